/**
 * `Cli.run` in-process, as a launcher embedding the CLI would use it: exit
 * codes come back as values, and the sandbox is whatever `Cli.SandboxLayer`
 * gives for the backend the flags chose (a fake here).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterEach, beforeEach, describe, expect, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Cli from "../../src/Cli.js"
import * as Smolvm from "../../src/Smolvm.js"

const argv = (...args: Array<string>) => ["node", "bottle-supervise", ...args]
const URL_A = "http://127.0.0.1:4318/"

let out: Array<string> = []
let err: Array<string> = []
beforeEach(() => {
  out = []
  err = []
  vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void out.push(args.map(String).join(" ")))
  vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void err.push(args.map(String).join(" ")))
})
afterEach(() => {
  vi.restoreAllMocks()
})

// Logs would go to console.log too: a launcher picks its logger, here none.
const Quiet = Logger.replace(Logger.defaultLogger, Logger.none)
const withGuest = (handler: Smolvm.FakeHandler) => (effect: Effect.Effect<Cli.ExitCode, never, Cli.Environment>) =>
  effect.pipe(
    Effect.provideService(Cli.SandboxLayer, () => Smolvm.layerTest(handler)),
    Effect.provide(Layer.merge(NodeContext.layer, Quiet))
  )

describe("Cli.run", () => {
  it.live("returns 0 for Registered and prints the outcome as JSON", () =>
    Effect.gen(function*() {
      const code = yield* Cli.run(argv("provision", "--machine", "b1", "--url", URL_A, "--json")).pipe(
        withGuest(() => Effect.succeed({ exitCode: 0 }))
      )
      expect(code).toBe(Cli.ExitCode.Ok)
      expect(out).toHaveLength(1)
      expect(JSON.parse(out[0] ?? "")).toMatchObject(
        { _tag: "Registered", target: "b1", serverName: "supervise", url: URL_A, execs: 1 }
      )
    }))

  it.live("returns 1 for Failed", () =>
    Effect.gen(function*() {
      const code = yield* Cli.run(argv("provision", "--machine", "b1", "--url", URL_A)).pipe(
        withGuest(() => Effect.succeed({ exitCode: 1, stderr: "Error: vm not found: b1" }))
      )
      expect(code).toBe(Cli.ExitCode.NotOk)
      expect(out.join("\n")).toContain(`Failed: smolvm has no machine named "b1"`)
    }))

  it.live("returns 2 for a plan error and never calls smolvm", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 0 }))
      const code = yield* Cli.run(argv("verify", "--machine", "b1", "--url", "file:///etc/passwd")).pipe(
        Effect.provideService(Cli.SandboxLayer, () => fake.layer),
        Effect.provide(Layer.merge(NodeContext.layer, Quiet))
      )
      expect(code).toBe(Cli.ExitCode.Usage)
      expect(err.join("\n")).toContain("--url: must use http or https")
      expect(yield* fake.calls).toEqual([])
    }))

  it.live("leaves Node's process alone: no signal handler, no exit code, whatever the outcome", () =>
    Effect.gen(function*() {
      const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const
      const listeners = signals.map((signal) => process.listenerCount(signal))
      const exitCode = process.exitCode
      const code = yield* Cli.run(argv("provision", "--machine", "b1", "--url", URL_A)).pipe(
        withGuest(() => Effect.succeed({ exitCode: 1, stderr: "Error: vm not found: b1" }))
      )
      expect(code).toBe(Cli.ExitCode.NotOk)
      expect(signals.map((signal) => process.listenerCount(signal))).toEqual(listeners)
      expect(process.exitCode).toBe(exitCode)
    }))

  it.live("--docker runs on the layer SandboxLayer gives for docker, --machine on smolvm's", () =>
    Effect.gen(function*() {
      const asked: Array<string> = []
      const layerFor = (backend: "smolvm" | "docker") => {
        asked.push(backend)
        return Smolvm.layerTest(() => Effect.succeed({ exitCode: 0 }))
      }
      for (const flag of ["--docker", "--machine"]) {
        const code = yield* Cli.run(argv("provision", flag, "b1", "--url", URL_A)).pipe(
          Effect.provideService(Cli.SandboxLayer, layerFor),
          Effect.provide(Layer.merge(NodeContext.layer, Quiet))
        )
        expect(code).toBe(Cli.ExitCode.Ok)
      }
      expect(asked).toEqual(["docker", "smolvm"])
    }))
})
