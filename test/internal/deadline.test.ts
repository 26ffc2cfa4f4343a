/**
 * One deadline per call, read at every point that bounds its time: each exec,
 * retries included, gets what is left of it, and the call's own bound fires at
 * its instant, however late it is applied.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Schedule, TestClock } from "effect"
import * as Deadline from "../../src/internal/deadline.js"
import * as Runner from "../../src/internal/runner.js"
import { Sandbox } from "../../src/Sandbox.js"
import type * as SandboxService from "../../src/Sandbox.js"
import { ExecFailed } from "../../src/SandboxError.js"

describe("Deadline", () => {
  it.effect("what is left is read from the one instant, and is at least 1 ms", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.seconds(10))
      yield* TestClock.adjust("3 seconds")
      expect(Duration.toMillis(yield* Deadline.remaining(deadline))).toBe(7000)
      yield* TestClock.adjust("8 seconds")
      expect(Duration.toMillis(yield* Deadline.remaining(deadline))).toBe(1)
    }))

  it.effect("enforce fires at the deadline's instant, not a whole timeout after it is applied", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.seconds(10))
      yield* TestClock.adjust("4 seconds")
      const fiber = yield* Effect.never.pipe(Deadline.enforce(deadline), Effect.flip, Effect.fork)
      yield* TestClock.adjust("5999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect((yield* Fiber.join(fiber))._tag).toBe("TimedOut")
    }))
})

describe("Runner under a Deadline", () => {
  /** A sandbox whose every exec takes 2 s and fails transiently, recording the timeout it was given. */
  const slowTransient = (timeouts: Array<number>): SandboxService.Service => ({
    backend: "smolvm",
    exec: (target, argv, options) =>
      Effect.gen(function*() {
        timeouts.push(Duration.toMillis(Duration.decode(options?.timeout ?? Duration.zero)))
        yield* TestClock.adjust("2 seconds")
        return yield* new ExecFailed({ target, argv: [...argv], reason: "SpawnFailed", stdout: "", stderr: "" })
      })
  })

  const runnerFor = (deadline: Deadline.Deadline, sandbox: SandboxService.Service) =>
    Runner.make({ target: "b-1", deadline, retry: Schedule.recurs(3), secrets: [], firstArgv: ["x"], user: "node" })
      .pipe(Effect.provideService(Sandbox, sandbox))

  it.effect("every attempt, retries included, gets what is left of the one deadline", () =>
    Effect.gen(function*() {
      const timeouts: Array<number> = []
      const deadline = yield* Deadline.start(Duration.seconds(10))
      const runner = yield* runnerFor(deadline, slowTransient(timeouts))
      const error = yield* Effect.flip(runner.exec(["x"]))
      expect(error._tag === "ExecFailed" && error.reason).toBe("SpawnFailed")
      expect(timeouts).toEqual([10_000, 8_000, 6_000, 4_000])
      expect(yield* runner.execs).toBe(4)
    }))

  it.effect("a timeout names the budget the deadline started with, not what was left", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.seconds(10))
      const runner = yield* runnerFor(deadline, slowTransient([]))
      yield* TestClock.adjust("4 seconds")
      expect((yield* runner.timedOut).detail).toBe("gave up after 10s waiting for another provisioning of this bottle")
    }))
})
