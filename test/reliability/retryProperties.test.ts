/**
 * Property tests over random fault sequences, on the test layer
 * (`Smolvm.makeTest`) and the TestClock: whatever smolvm answers, and however
 * slowly, `provisionSupervise` retries exactly the transient answers, counts
 * every exec, and reaches its outcome by the deadline.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { defaultRetry, type ProvisionOutcome, provisionSupervise } from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import { planOf } from "../support/plans.js"

const fc = FastCheck
const TARGET = "bottle-p"
const plan = planOf({ url: "http://127.0.0.1:4318/", token: "tok_property_0123456789abcdef" })

/** What smolvm (or the guest) may answer to `claude mcp add`. */
const replies = {
  notRunning: {
    exitCode: 1,
    stderr:
      `Error: agent operation failed: connect: machine '${TARGET}' is not running. Use 'smolvm machine start --name ${TARGET}' first.\n`
  },
  reset: { exitCode: 1, stderr: "Error: agent operation failed: vm exec: Connection reset by peer (os error 104)\n" },
  unknown: { exitCode: 1, stderr: `Error: vm not found: ${TARGET}\n` },
  noCommand: {
    exitCode: 1,
    stderr: "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n"
  },
  usage: {
    exitCode: 2,
    stderr: "error: unexpected argument '--secret-env' found\n\nUsage: smolvm machine exec [OPTIONS]\n"
  },
  runuser: { exitCode: 1, stderr: "runuser: may not be used by non-root users\n" },
  guestExit: { exitCode: 3, stderr: "guest: boom\n" },
  guestSignal: { exitCode: 137, stderr: "" },
  ok: { exitCode: 0, stdout: "Added HTTP MCP server supervise with URL: http://127.0.0.1:4318/ to user config\n" }
} as const

type Kind = keyof typeof replies

const expectedReason: Record<Exclude<Kind, "ok">, string> = {
  notRunning: "MachineNotRunning",
  reset: "SmolvmError",
  unknown: "MachineNotFound",
  noCommand: "GuestCommandNotFound",
  usage: "SmolvmUsage",
  runuser: "RunuserRefused",
  guestExit: "NonZeroExit",
  guestSignal: "GuestSignal"
}

const transient = (kind: Kind): boolean => kind === "notRunning" || kind === "reset"

const kind: FastCheck.Arbitrary<Kind> = fc.constantFrom(
  "notRunning",
  "notRunning",
  "reset",
  "unknown",
  "noCommand",
  "usage",
  "runuser",
  "guestExit",
  "guestSignal",
  "ok"
)

/** A fake smolvm that answers the i-th exec with `script[i]` (then `ok`), after `delays[i]` ms. */
const scripted = (script: ReadonlyArray<Kind>, delays: ReadonlyArray<number> = []) =>
  Effect.gen(function*() {
    const index = yield* Ref.make(0)
    const fake = yield* Smolvm.makeTest(() =>
      Effect.gen(function*() {
        const i = yield* Ref.getAndUpdate(index, (n) => n + 1)
        const delay = delays[i] ?? 0
        if (delay > 0) yield* Effect.sleep(Duration.millis(delay))
        return replies[script[i] ?? "ok"]
      })
    )
    return fake
  })

const reasonOf = (outcome: ProvisionOutcome): string | undefined =>
  outcome._tag === "Failed" ? outcome.error.reason : undefined
const execsOf = (outcome: ProvisionOutcome): number => outcome._tag === "Skipped" ? 0 : outcome.execs

/** The default schedule's waits: 100 ms doubling, capped at 2 s. */
const defaultWait = (retry: number): number => Math.min(100 * 2 ** retry, 2000)

describe("retries follow the rules for any fault sequence", () => {
  it.effect.prop(
    "transient answers are retried up to the schedule's limit; any other answer ends at once",
    { script: fc.array(kind, { maxLength: 8 }), limit: fc.integer({ min: 0, max: 6 }) },
    ({ limit, script }) =>
      Effect.gen(function*() {
        const fake = yield* scripted(script)
        const outcome = yield* provisionSupervise(plan, TARGET, {
          timeout: "1 minute",
          retry: Schedule.recurs(limit)
        }).pipe(Effect.provide(fake.layer))
        const calls = yield* fake.calls

        // The model: walk the script.
        let i = 0
        while (i < limit && transient(script[i] ?? "ok")) i++
        const last = script[i] ?? "ok"
        if (last === "ok") {
          expect(outcome._tag).toBe("Registered")
        } else {
          expect(outcome._tag).toBe("Failed")
          expect(reasonOf(outcome)).toBe(expectedReason[last])
        }
        expect(execsOf(outcome)).toBe(i + 1)
        expect(calls).toHaveLength(i + 1)
      }),
    { fastCheck: { numRuns: 200 } }
  )

  it.effect.prop(
    "with slow answers and the default schedule, the outcome comes exactly at the deadline or before, as the model says",
    {
      script: fc.array(kind, { maxLength: 10 }),
      // Odd offsets keep every event off the 100 ms grid of the schedule and the whole-second deadline.
      delays: fc.array(fc.integer({ min: 0, max: 25 }).map((n) => n * 100 + 13), { maxLength: 10 }),
      seconds: fc.integer({ min: 1, max: 12 })
    },
    ({ delays, script, seconds }) =>
      Effect.gen(function*() {
        const deadline = seconds * 1000
        const fake = yield* scripted(script, delays)
        const fiber = yield* provisionSupervise(plan, TARGET, { timeout: Duration.seconds(seconds) }).pipe(
          Effect.provide(fake.layer),
          Effect.fork
        )
        yield* TestClock.adjust(Duration.seconds(seconds))
        // Nothing more may be needed: the outcome is there at the deadline.
        const outcome = yield* Fiber.poll(fiber)
        expect(Option.isSome(outcome)).toBe(true)
        const result = yield* Fiber.join(fiber)

        // The model: exec starts and answers on the clock.
        let now = 0
        let execs = 0
        let retries = 0
        let expected: { tag: string; reason?: string } = { tag: "Failed", reason: "Timeout" }
        let sawTransient = false
        for (let i = 0;; i++) {
          if (now >= deadline) break
          execs++
          const answerAt = now + (delays[i] ?? 0)
          if (answerAt >= deadline) break
          const k = script[i] ?? "ok"
          if (k === "ok") {
            expected = { tag: "Registered" }
            break
          }
          if (!transient(k)) {
            expected = { tag: "Failed", reason: expectedReason[k] }
            break
          }
          sawTransient = true
          now = answerAt + defaultWait(retries++)
        }
        expect(result._tag).toBe(expected.tag)
        expect(reasonOf(result)).toBe(expected.reason)
        expect(execsOf(result)).toBe(execs)
        if (expected.reason === "Timeout" && result._tag === "Failed") {
          expect(result.error.message).toContain(`gave up after ${seconds}s`)
          // The operator still gets smolvm's last words, not only "timed out".
          if (sawTransient && script.slice(0, execs).some((k) => k === "notRunning")) {
            expect(result.error.message.includes("is not running") || result.error.message.includes("reset")).toBe(
              true
            )
          }
        }
      }),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("'is not running' forever: the default schedule tries at 0, 0.1, 0.3, 0.7, 1.5, 3.1, 5.1, 7.1, 9.1 s within 10 s", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() => Effect.succeed(replies.notRunning))
      const fiber = yield* provisionSupervise(plan, TARGET, { timeout: "10 seconds" }).pipe(
        Effect.provide(fake.layer),
        Effect.fork
      )
      yield* TestClock.adjust("10 seconds")
      const outcome = yield* Fiber.join(fiber)
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 9, error: { reason: "Timeout" } })
      expect(reasonOf(outcome)).toBe("Timeout")
      if (outcome._tag === "Failed") {
        expect(outcome.error.message).toBe(
          `timed out on machine "${TARGET}" (gave up after 10s): ${replies.notRunning.stderr.trim()}`
        )
        expect(outcome.error.transient).toBe(false)
      }
      expect(yield* fake.calls).toHaveLength(9)
    }))

  it.effect("a custom schedule is honoured: recurs(2) gives up after 3 execs with smolvm's own error", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() => Effect.succeed(replies.notRunning))
      const outcome = yield* provisionSupervise(plan, TARGET, {
        timeout: "10 seconds",
        retry: Schedule.recurs(2)
      }).pipe(Effect.provide(fake.layer))
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 3, error: { reason: "MachineNotRunning" } })
    }))

  it("the default schedule waits 100 ms doubling, capped at 2 s", () => {
    const delays = Effect.runSync(
      Schedule.run(
        Schedule.delays(defaultRetry),
        0,
        Array.from({ length: 9 }, (_, i) => i)
      )
    )
    expect(Array.from(delays, Duration.toMillis)).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000])
  })
})
