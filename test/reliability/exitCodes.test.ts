/**
 * Every exit code smolvm can give, through the live service's classification:
 * smolvm's own `Error:` lines vs guest exit codes vs 124 with and without the
 * deadline vs 128+signal. And every failure class a user can hit has a clear
 * message.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { constants } from "node:os"
import { cutMarker, makeCollector } from "../../src/internal/boundedOutput.js"
import { classify } from "../../src/internal/classify.js"
import * as Guest from "../../src/internal/guest.js"
import { provisionSupervise } from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import { ExecFailed, type ExecFailureReason, SmolvmNotFound } from "../../src/SmolvmError.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { planOf } from "../support/plans.js"
import { makeRig, survivors } from "./rig.js"

const fc = FastCheck

const exec = (target: string, argv: ReadonlyArray<string>, options?: Smolvm.ExecOptions) =>
  Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, argv, options))

const signalName = (n: number): string | undefined =>
  Object.entries(constants.signals).find(([, value]) => value === n)?.[0]

/** What a guest exit code with no smolvm words means. */
const guestReason = (code: number): { reason: ExecFailureReason; signal?: string } => {
  const signal = code > 128 ? signalName(code - 128) : undefined
  return signal === undefined ? { reason: "NonZeroExit" } : { reason: "GuestSignal", signal }
}

describe("exit codes 1..255 through the live machineExec", () => {
  it.live("a guest exit code N is NonZeroExit N, or GuestSignal for 128+signal; never transient; 124 early is the guest's", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const codes = Array.from({ length: 255 }, (_, i) => i + 1)
      const errors = yield* Effect.forEach(
        codes,
        (code) => {
          const m = rig.machine(`code-${code}`, { code, stdout: `out ${code}\n`, stderr: `guest says ${code}\n` })
          return Effect.flip(exec(m.name, ["guest-cmd"], { timeout: "30 seconds" }))
        },
        { concurrency: 6 }
      ).pipe(Effect.provide(rig.layer()))
      for (const [i, error] of errors.entries()) {
        const code = i + 1
        expect(error).toBeInstanceOf(ExecFailed)
        if (!(error instanceof ExecFailed)) continue
        const expected = guestReason(code)
        expect({ code, reason: error.reason, signal: error.signal }).toEqual({
          code,
          ...expected,
          signal: expected.signal
        })
        expect(error.exitCode).toBe(code)
        expect(error.transient).toBe(false)
        expect(error.stderr).toBe(`guest says ${code}\n`)
        expect(error.message).toContain(`${code}`)
        expect(error.message).toContain(`guest says ${code}`)
      }
      expect(errors.find((e) => e instanceof ExecFailed && e.exitCode === 137)).toMatchObject({
        reason: "GuestSignal",
        signal: "SIGKILL"
      })
      expect(errors[123]?.message).toBe(`guest command exited 124 on machine "code-124": guest says 124`)
    })))

  it.live("with an `Error: ` line on stderr only exit 1 is smolvm's own error; other codes stay the guest's", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const codes = Array.from({ length: 255 }, (_, i) => i + 1)
      const errors = yield* Effect.forEach(
        codes,
        (code) => {
          const m = rig.machine(`err-${code}`, { code, stderr: "Error: agent operation failed: something odd\n" })
          return Effect.flip(exec(m.name, ["guest-cmd"], { timeout: "30 seconds" }))
        },
        { concurrency: 6 }
      ).pipe(Effect.provide(rig.layer()))
      for (const [i, error] of errors.entries()) {
        const code = i + 1
        if (!(error instanceof ExecFailed)) throw new Error(`code ${code}: ${String(error)}`)
        expect({ code, reason: error.reason }).toEqual({
          code,
          reason: code === 1 ? "SmolvmError" : guestReason(code).reason
        })
      }
    })))

  it.live("124 with the deadline reached, or with smolvm's words, is Timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const slow = rig.machine("slow", { mode: "sleep", seconds: 20 })
      const timedOut = yield* Effect.flip(exec(slow.name, ["sleep", "20"], { timeout: "300 millis" })).pipe(
        Effect.provide(rig.layer())
      )
      // The test layer gives the same detail (test/Smolvm.test.ts): keep the two in step.
      expect(timedOut).toMatchObject({ reason: "Timeout", exitCode: 124, detail: "smolvm's --timeout of 300ms fired" })
      expect(survivors(slow.pids())).toEqual([])
      const said = rig.machine("said", { code: 124, stderr: "command timed out after 5000ms\n" })
      const saidSo = yield* Effect.flip(exec(said.name, ["x"], { timeout: "30 seconds" })).pipe(
        Effect.provide(rig.layer())
      )
      expect(saidSo).toMatchObject({ reason: "Timeout", exitCode: 124, detail: "smolvm's --timeout of 30s fired" })
      expect(saidSo.message).toContain("command timed out after 5000ms")
    })))
})

describe("smolvm's spawn failures", () => {
  it("only a missing command (os error 2) is GuestCommandNotFound; a refused spawn keeps smolvm's words", () => {
    const spawnFailed = (why: string) =>
      classify("b", 1, `Error: agent operation failed: vm exec: failed to spawn command: ${why}\n`, false)
    expect(spawnFailed("No such file or directory (os error 2)")).toEqual({
      _tag: "Failure",
      reason: "GuestCommandNotFound",
      transient: false
    })
    expect(spawnFailed("Permission denied (os error 13)")).toEqual({
      _tag: "Failure",
      reason: "SmolvmError",
      transient: false
    })
    expect(spawnFailed("Not a directory (os error 20)")).toEqual({
      _tag: "Failure",
      reason: "SmolvmError",
      transient: false
    })
    const error = new ExecFailed({
      target: "b",
      argv: ["claude"],
      reason: "SmolvmError",
      exitCode: 1,
      stdout: "",
      stderr: "Error: agent operation failed: vm exec: failed to spawn command: Permission denied (os error 13)\n"
    })
    expect(error.message).toContain("Permission denied")
  })
})

describe("classification properties", () => {
  it.prop(
    "every exit code and stderr gets exactly one verdict; only exit 0 succeeds; transient only for smolvm's connect errors",
    {
      code: fc.integer({ min: 0, max: 255 }),
      stderr: fc.oneof(
        fc.string(),
        fc.constantFrom(
          "Error: vm not found: b\n",
          "Error: agent operation failed: connect: machine 'b' is not running. Use 'smolvm machine start --name b' first.\n",
          "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n",
          "runuser: may not be used by non-root users\n",
          "error: unexpected argument\n\nUsage: smolvm machine exec\n",
          "command timed out after 10ms\n",
          "sh: 1: nope: not found\n"
        )
      ),
      deadlineReached: fc.boolean()
    },
    ({ code, deadlineReached, stderr }) => {
      const verdict = classify("b", code, stderr, deadlineReached)
      expect(verdict._tag === "Success").toBe(code === 0)
      if (verdict._tag === "Failure") {
        const error = new ExecFailed({
          target: "b",
          argv: ["x"],
          reason: verdict.reason,
          exitCode: code,
          stdout: "",
          stderr
        })
        expect(error.message.length).toBeGreaterThan(10)
        if (error.transient) {
          expect(code).toBe(1)
          const lines = stderr.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0)
          expect(lines[0]?.startsWith("Error: ") || lines[lines.length - 1]?.startsWith("Error: ")).toBe(true)
        }
        if (verdict.reason === "Timeout") expect(code).toBe(124)
      }
    },
    { fastCheck: { numRuns: 2000 } }
  )
})

describe("smolvm's words vs the guest's", () => {
  it.live("a guest that exits 1 with `Error: ... connection refused` inside its own output is not retried", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const trace = [
        "/app/index.js:12",
        "    throw err",
        "Error: upstream is not running (connection refused)",
        "    at main (/app/index.js:12:5)",
        "",
        "Node.js v20.19.0",
        ""
      ].join("\n")
      const m = rig.machine("guest-trace", { code: 1, stderr: trace })
      const outcome = yield* provisionSupervise(planOf({ url: "http://127.0.0.1:4318/" }), m.name, {
        timeout: "10 seconds"
      }).pipe(Effect.provide(rig.layer()))
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "NonZeroExit", exitCode: 1 } })
      expect(m.calls()).toHaveLength(1)
    })))

  it("smolvm's connection errors on its own line are transient; its other errors are not", () => {
    const reset = "Error: agent operation failed: vm exec: Connection reset by peer (os error 104)\n"
    expect(classify("b", 1, reset, false)).toEqual({ _tag: "Failure", reason: "SmolvmError", transient: true })
    const error = (stderr: string) =>
      new ExecFailed({ target: "b", argv: ["x"], reason: "SmolvmError", exitCode: 1, stdout: "", stderr })
    expect(error(reset).transient).toBe(true)
    expect(error("Error: agent operation failed: disk full\n").transient).toBe(false)
    // anyhow's "Caused by:" layout: the chain below smolvm's first line is still smolvm's.
    const chained = "Error: agent operation failed\n\nCaused by:\n    connect: machine 'b' is not running\n"
    expect(classify("b", 1, chained, false)).toEqual({ _tag: "Failure", reason: "MachineNotRunning", transient: true })
    // Only the chain right below smolvm's first line is smolvm's: the guest's words after it are not.
    expect(classify("b", 1, `${chained}guest says: server is not running\n`, false)).toEqual({
      _tag: "Failure",
      reason: "MachineNotRunning",
      transient: true
    })
    expect(classify("b", 1, "Error: agent operation failed: disk full\nguest: daemon is not running\n", false)).toEqual(
      {
        _tag: "Failure",
        reason: "SmolvmError",
        transient: false
      }
    )
    // An `Error:` line after other output is the guest's, however it reads.
    const late = "guest line\nError: agent operation failed: connect: Connection refused (os error 111)\n"
    expect(classify("b", 1, late, false)).toEqual({ _tag: "Failure", reason: "NonZeroExit", transient: false })
    expect(error(late).transient).toBe(false)
  })
})

describe("bounded output", () => {
  it.prop(
    "head and tail are kept exactly, the cut is marked with its size, for any chunking",
    {
      chunks: fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => a.map((b) => 32 + (b % 95))), {
        maxLength: 40
      }),
      limit: fc.integer({ min: 2, max: 2000 })
    },
    ({ chunks, limit }) => {
      const collector = makeCollector(limit)
      for (const chunk of chunks) collector.push(chunk)
      const all = Buffer.concat(chunks.map((c) => Buffer.from(c))).toString("latin1")
      const result = collector.result()
      expect(result.bytes).toBe(all.length)
      if (all.length <= limit) {
        expect(result).toEqual({ text: all, bytes: all.length, truncated: false })
      } else {
        const head = Math.ceil(limit / 2)
        const tail = limit - head
        expect(result.truncated).toBe(true)
        expect(result.text).toBe(all.slice(0, head) + cutMarker(all.length - limit) + all.slice(all.length - tail))
      }
    },
    { fastCheck: { numRuns: 500 } }
  )
})

describe("every failure class has a clear message", () => {
  const failed = (reason: ExecFailureReason, extra: Partial<ConstructorParameters<typeof ExecFailed>[0]> = {}) =>
    new ExecFailed({ target: "bottle-1", argv: ["claude", "mcp"], reason, stdout: "", stderr: "", ...extra }).message

  it("binary missing / not executable", () => {
    expect(
      new SmolvmNotFound({ binary: "/opt/smolvm", reason: "NotFound", detail: "spawn /opt/smolvm ENOENT" }).message
    )
      .toBe(`the smolvm binary "/opt/smolvm" was not found (set SMOLVM_BIN to its path): spawn /opt/smolvm ENOENT`)
    expect(
      new SmolvmNotFound({ binary: "/opt/smolvm", reason: "PermissionDenied", detail: "spawn /opt/smolvm EACCES" })
        .message
    )
      .toContain("is not executable")
  })

  it("each exec failure reason names the machine and what happened", () => {
    expect(failed("MachineNotFound", { exitCode: 1, stderr: "Error: vm not found: bottle-1\n" })).toBe(
      `smolvm has no machine named "bottle-1": Error: vm not found: bottle-1`
    )
    expect(failed("MachineNotRunning", { exitCode: 1, stderr: "Error: ... machine 'bottle-1' is not running.\n" }))
      .toContain(`machine "bottle-1" is not running`)
    expect(failed("GuestCommandNotFound", { exitCode: 1 })).toBe(
      `the command "claude" does not exist on machine "bottle-1"`
    )
    expect(failed("RunuserRefused", { exitCode: 1 })).toContain("runuser was refused")
    expect(failed("NonZeroExit", { exitCode: 3, stderr: "boom" })).toBe(
      `guest command exited 3 on machine "bottle-1": boom`
    )
    expect(failed("GuestSignal", { exitCode: 137, signal: "SIGKILL" })).toContain("killed by SIGKILL")
    expect(failed("ClientSignal", { signal: "SIGKILL" })).toBe(
      `the smolvm client was killed by SIGKILL on machine "bottle-1"`
    )
    expect(failed("Timeout", { detail: "gave up after 1s" })).toBe(`timed out on machine "bottle-1" (gave up after 1s)`)
    expect(failed("UnexpectedOutput", { exitCode: 0, detail: "/home/node/.claude.json is not a JSON config" })).toBe(
      `the command on machine "bottle-1" printed output this library does not understand (/home/node/.claude.json is not a JSON config)`
    )
    expect(failed("InvalidTarget", { target: "a--b", detail: "must not contain \"--\"" })).toBe(
      `invalid machine name "a--b": must not contain "--"`
    )
    expect(failed("SmolvmUsage", { exitCode: 2 })).toContain("is this smolvm too old?")
  })

  it.effect("output cut: a config read past the capture bound is rewritten without comparing → Replaced, changed []", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest((call) =>
        Effect.succeed(
          call.argv.includes(Guest.ENSURE)
            ? {
              exitCode: 0,
              stdout: `{"mcpServers":{},"pad":"${"x".repeat(9 * 1024 * 1024)}"}`,
              stderr: `${Guest.STEP_MARK}read\n`
            }
            : {
              exitCode: 0,
              stdout: "Added HTTP MCP server supervise with URL: http://127.0.0.1:4318/ to user config\n"
            }
        )
      )
      const outcome = yield* provisionSupervise(planOf({ url: "http://127.0.0.1:4318/" }), "bottle-1").pipe(
        Effect.provide(fake.layer)
      )
      expect(outcome).toMatchObject({ _tag: "Replaced", execs: 2, changed: [] })
      expect((yield* fake.calls).map((call) => call.argv.includes(Guest.REPLACE))).toEqual([false, true])
    }))

  it.effect("invalid plan: a ParseError that names the field and never prints the token", () =>
    Effect.gen(function*() {
      const token = "tok_secret_\u0001value"
      const error = yield* Effect.flip(SupervisePlan.decode({ supervisePlan: { agentUrl: "ftp://x:0/", token } }))
      expect(error._tag).toBe("ParseError")
      expect(error.message).toContain("agentUrl")
      expect(error.message).toContain("token")
      expect(error.message).not.toContain("tok_secret")
      const ok = yield* Effect.either(SupervisePlan.decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } }))
      expect(Either.isRight(ok)).toBe(true)
    }))
})
