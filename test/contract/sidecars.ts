/**
 * The sidecars the real guests of the contract reach: two reference supervise
 * sidecars on this host's loopback (the stand-in runs on this host; the test
 * containers share its network), requiring one token, and a URL where nothing
 * listens.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as net from "node:net"
import * as Sidecar from "../../examples/supervise-sidecar.js"

/** A loopback port nothing listens on (it was free a moment ago). */
const closedPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

export interface Sidecars {
  readonly token: string
  readonly urls: { readonly up: string; readonly alsoUp: string; readonly down: string }
}

export const sidecars: Effect.Effect<Sidecars, never, Scope.Scope> = Effect.gen(function*() {
  const token = `contract-${randomUUID()}`
  const quiet = { token, log: () => {} }
  const up = yield* Sidecar.scoped(quiet)
  const alsoUp = yield* Sidecar.scoped(quiet)
  const down = yield* closedPort
  return { token, urls: { up: up.url, alsoUp: alsoUp.url, down: `http://127.0.0.1:${down}/` } }
})
