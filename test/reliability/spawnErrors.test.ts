/**
 * A smolvm client that cannot be started: a binary that is missing or not
 * executable is `SmolvmNotFound` (no bottle can be reached), but a host short
 * of processes, file descriptors or memory while a fleet is provisioned
 * (EAGAIN, EMFILE, ENFILE, ENOMEM) is a transient `ExecFailed` `SpawnFailed`,
 * retried like smolvm's own transient answers.
 */
import { NodeContext } from "@effect/platform-node"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { spawnSync } from "node:child_process"
import { resolve } from "node:path"
import { provisionSupervise } from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import { ExecFailed, SmolvmNotFound } from "../../src/SmolvmError.js"
import { planOf } from "../support/plans.js"
import { makeRig } from "./rig.js"

const ROOT = resolve(__dirname, "../..")

/** What Node hands to a spawn's `error` event, or throws from `spawn()` itself. */
const errnoError = (code: string, syscall: string): Error =>
  Object.assign(new Error(`${syscall} ${code}`), { code, errno: -1, syscall })

/** The `PlatformError` @effect/platform-node-shared builds from a spawn's `error` event (`handleErrnoException`). */
const spawnSystemError = (code: string, reason: SystemError["reason"] = "Unknown") =>
  new SystemError({
    reason,
    module: "Command",
    method: "spawn",
    pathOrDescriptor: "smolvm machine exec --name b -- true",
    syscall: "spawn smolvm",
    description: `spawn smolvm ${code}`,
    cause: errnoError(code, "spawn smolvm")
  })

/** The live layer on an executor whose every start does `start`. */
const liveOn = (start: CommandExecutor.CommandExecutor["start"]) =>
  Smolvm.layerWith({ binary: "smolvm" }).pipe(
    Layer.provide(Layer.succeed(CommandExecutor.CommandExecutor, CommandExecutor.makeExecutor(start)))
  )

const exec = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("b", ["true"]))

describe("spawn errors from the executor", () => {
  for (
    const [code, words] of [
      ["EAGAIN", "process"],
      ["EMFILE", "open files"],
      ["ENFILE", "open files"]
    ] as const
  ) {
    it.effect(`${code} (the spawn's error event) → ExecFailed SpawnFailed, transient, naming ${code}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(exec.pipe(Effect.provide(liveOn(() => Effect.fail(spawnSystemError(code))))))
        expect(error).toBeInstanceOf(ExecFailed)
        if (!(error instanceof ExecFailed)) return
        expect(error).toMatchObject({ reason: "SpawnFailed", target: "b", argv: ["true"], stdout: "", stderr: "" })
        expect(error.exitCode).toBeUndefined()
        expect(error.transient).toBe(true)
        expect(error.message).toContain(`the smolvm client could not be started on machine "b"`)
        expect(error.message).toContain(code)
        expect(error.message).toContain(words)
      }))
  }

  it.effect("ENOMEM, which Node's spawn() throws instead of emitting → SpawnFailed, not a defect", () =>
    Effect.gen(function*() {
      // The executor calls spawn() inside Effect.async's register: a throw there dies.
      const throwing = liveOn(() =>
        Effect.async<never>(() => {
          throw errnoError("ENOMEM", "spawn")
        })
      )
      const error = yield* Effect.flip(exec.pipe(Effect.provide(throwing)))
      expect(error).toMatchObject({ _tag: "ExecFailed", reason: "SpawnFailed" })
      expect(error.message).toContain("ENOMEM")
      expect(error._tag === "ExecFailed" && error.transient).toBe(true)
    }))

  it.effect("missing, not executable, or failing for an unknown cause → SmolvmNotFound, as before", () =>
    Effect.gen(function*() {
      const cases = [
        [spawnSystemError("ENOENT", "NotFound"), "NotFound"],
        [spawnSystemError("EACCES", "PermissionDenied"), "PermissionDenied"],
        [spawnSystemError("ENOEXEC"), "Unknown"],
        [spawnSystemError("ELOOP", "BadResource"), "Unknown"]
      ] as const
      for (const [platformError, reason] of cases) {
        const error = yield* Effect.flip(exec.pipe(Effect.provide(liveOn(() => Effect.fail(platformError)))))
        expect(error).toBeInstanceOf(SmolvmNotFound)
        expect(error).toMatchObject({ binary: "smolvm", reason, detail: platformError.message })
      }
      // A spawn() that throws an errno other than exhaustion: the binary cannot be started.
      const thrown = yield* Effect.flip(exec.pipe(Effect.provide(liveOn(() =>
        Effect.async<never>(() => {
          throw errnoError("ENAMETOOLONG", "spawn")
        })
      ))))
      expect(thrown).toMatchObject({ _tag: "ClientNotFound", reason: "Unknown" })
      expect(thrown.message).toContain("ENAMETOOLONG")
    }))

  it.effect("a defect that is no spawn error stays a defect", () =>
    Effect.gen(function*() {
      const bug = new TypeError("not a spawn error")
      const exit = yield* Effect.exit(exec.pipe(Effect.provide(liveOn(() => Effect.die(bug)))))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))
})

describe("SpawnFailed in provisioning", () => {
  it.live("EAGAIN twice, then the client starts → Registered after 3 execs; smolvm ran once", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const m = rig.machine("fleet-1", {})
      let starts = 0
      const flaky = Layer.effect(
        CommandExecutor.CommandExecutor,
        Effect.map(
          CommandExecutor.CommandExecutor,
          (real) =>
            CommandExecutor.makeExecutor((command) =>
              ++starts <= 2 ? Effect.fail(spawnSystemError("EAGAIN")) : real.start(command)
            )
        )
      )
      const layer = Smolvm.layerWith({ binary: rig.binary }).pipe(
        Layer.provide(flaky),
        Layer.provide(NodeContext.layer)
      )
      const outcome = yield* provisionSupervise(planOf({ url: "http://127.0.0.1:4318/" }), m.name, {
        timeout: "10 seconds"
      }).pipe(Effect.provide(layer))
      expect(outcome).toMatchObject({ _tag: "Registered", execs: 3 })
      expect(m.calls()).toHaveLength(1)
    })))

  it.live("EAGAIN forever → Failed Timeout at the deadline, not SmolvmNotFound", () =>
    Effect.gen(function*() {
      const outcome = yield* provisionSupervise(planOf({ url: "http://127.0.0.1:4318/" }), "fleet-2", {
        timeout: "700 millis"
      }).pipe(Effect.provide(liveOn(() => Effect.fail(spawnSystemError("EAGAIN")))))
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "Timeout" } })
      if (outcome._tag !== "Failed") return
      expect(outcome.execs).toBeGreaterThanOrEqual(2)
      // The warning still says why: the client never started, for lack of processes.
      expect(outcome.error.message).toContain("last attempt:")
      expect(outcome.error.message).toContain("EAGAIN")
    }))
})

describe("a real EMFILE", () => {
  it("a process out of file descriptors gets SpawnFailed EMFILE from machineExec, not SmolvmNotFound", () => {
    // A child node with a low descriptor limit fills its table, then execs through the live layer.
    const script = `
      import { NodeContext } from "@effect/platform-node"
      import { Effect, Layer } from "effect"
      import { closeSync, openSync } from "node:fs"
      import * as Smolvm from ${JSON.stringify(resolve(ROOT, "src/Smolvm.ts"))}
      const program = Effect.flatMap(Smolvm.Smolvm, (s) => s.machineExec("b", ["true"])).pipe(
        Effect.provide(Smolvm.layerWith({ binary: "/bin/true" }).pipe(Layer.provide(NodeContext.layer))),
        Effect.flip
      )
      const fds = []
      try { for (;;) fds.push(openSync("/dev/null", "r")) } catch {}
      const error = await Effect.runPromise(program)
      for (const fd of fds) closeSync(fd)
      console.log(JSON.stringify({ tag: error._tag, reason: error.reason, transient: error.transient, message: error.message }))
    `
    const run = spawnSync(
      "/bin/sh",
      [
        "-c",
        "ulimit -n 256 && exec \"$0\" \"$@\"",
        process.execPath,
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        script
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000 }
    )
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const result: unknown = JSON.parse(run.stdout)
    expect(result).toMatchObject({ tag: "ExecFailed", reason: "SpawnFailed", transient: true })
    expect(result).toHaveProperty("message", expect.stringContaining("EMFILE"))
  })
})
