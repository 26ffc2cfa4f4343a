/**
 * One launcher process for the cross-process concurrency test in
 * `provision.test.ts`: builds its own `Docker.layer` (the docker client finds
 * the engine through the `DOCKER_HOST` it inherits), says `ready` on stderr,
 * waits for a line on stdin, provisions the container once, and prints the
 * outcome (encoded) and every log line it emitted as one JSON object on stdout.
 *
 *   node --import tsx test/docker/provisionChild.ts CONTAINER URL   (token in CHILD_TOKEN)
 *
 * (The test runs it bundled into one module, which starts faster.)
 */
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Docker from "../../src/Docker.js"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"

const [container, url] = process.argv.slice(2)
const token = process.env["CHILD_TOKEN"]

const go = Effect.async<void>((resume) => {
  process.stdin.once("data", () => resume(Effect.void))
  process.stdin.once("end", () => resume(Effect.void))
})

const program = Effect.gen(function*() {
  if (container === undefined || url === undefined) {
    return yield* Effect.dieMessage("usage: provisionChild CONTAINER URL")
  }
  const plan = yield* SupervisePlan.decode({
    supervisePlan: { agentUrl: url, ...(token === undefined ? {} : { token }) },
    agent: { user: "node", home: "/home/node" }
  })
  // The layer is built before the go, so the provisionings themselves race.
  const context = yield* Layer.build(Docker.layer.pipe(Layer.provide(NodeContext.layer)))
  process.stderr.write("ready\n")
  yield* go
  const [outcome, logs] = yield* BottleLogger.capture(
    ProvisionSupervise.provisionSupervise(plan, container, { timeout: "120 seconds" }).pipe(Effect.provide(context))
  )
  const encoded = yield* Schema.encode(ProvisionSupervise.ProvisionOutcome)(outcome)
  process.stdout.write(`${JSON.stringify({ outcome: encoded, logs: logs.map((log) => log.line) })}\n`)
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`provisionChild: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  }
)
