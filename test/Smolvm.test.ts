import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import {
  ConfigProvider,
  Duration,
  Effect,
  Either,
  FastCheck as fc,
  Fiber,
  Layer,
  Option,
  Redacted,
  TestClock
} from "effect"
import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as Smolvm from "../src/Smolvm.js"

const STUB = resolve(__dirname, "fixtures/record-smolvm")

/**
 * A per-test copy of the recording stub: a wrapper that points it at its own
 * record directory, so tests never share state through the environment.
 */
const makeStub = (answer: { exit?: number; stdout?: string; stderr?: string } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "record-smolvm-"))
  const binary = join(dir, "smolvm")
  writeFileSync(binary, `#!/bin/sh\nRECORD_DIR='${dir}' exec '${STUB}' "$@"\n`)
  chmodSync(binary, 0o755)
  if (answer.exit !== undefined) writeFileSync(join(dir, "exit"), String(answer.exit))
  if (answer.stdout !== undefined) writeFileSync(join(dir, "stdout"), answer.stdout)
  if (answer.stderr !== undefined) writeFileSync(join(dir, "stderr"), answer.stderr)
  return {
    binary,
    argv: () => readFileSync(join(dir, "argv"), "utf8").split("\0").slice(0, -1),
    env: () => readFileSync(join(dir, "env"), "utf8"),
    ran: () => existsSync(join(dir, "argv"))
  }
}

const exec = (
  stub: { binary: string },
  target: string,
  argv: ReadonlyArray<string>,
  options?: Smolvm.ExecOptions
) =>
  Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, argv, options)).pipe(
    Effect.provide(Smolvm.layerWith({ binary: stub.binary }).pipe(Layer.provide(NodeContext.layer)))
  )

/** A launcher for the stdin test: one `machineExec` of `cat` on the binary in argv[1], its result as JSON. */
const STDIN_LAUNCHER = [
  `import { NodeContext } from "@effect/platform-node"`,
  `import { Effect, Layer } from "effect"`,
  `import * as Smolvm from "./src/Smolvm.ts"`,
  `const exec = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("b", ["cat"], { timeout: "10 seconds" }))`,
  `const layer = Smolvm.layerWith({ binary: process.argv[1] }).pipe(Layer.provide(NodeContext.layer))`,
  `process.stdout.write(JSON.stringify(await Effect.runPromise(Effect.provide(exec, layer))))`
].join("\n")

describe("Smolvm.layer", () => {
  it.live("renders smolvm's command line exactly, flags before `--`, the argv untouched", () =>
    Effect.gen(function*() {
      const stub = makeStub({ stdout: "hello\n" })
      const result = yield* exec(stub, "bottle-1", ["printf", "%s", "a b", "--", "$HOME;rm -rf /"], {
        env: { LANG: "C.UTF-8" },
        secretEnv: { TOKEN: Redacted.make("s3cret-value") },
        workdir: "/work",
        timeout: "5 seconds"
      })
      expect(result).toEqual({ exitCode: 0, stdout: "hello\n", stderr: "", truncated: false })
      expect(stub.argv()).toEqual([
        "machine",
        "exec",
        "--name",
        "bottle-1",
        "-e",
        "LANG=C.UTF-8",
        "--secret-env",
        "TOKEN=BOTTLE_SUPERVISE_SECRET_0",
        "-w",
        "/work",
        "--timeout",
        "5000ms",
        "--",
        "printf",
        "%s",
        "a b",
        "--",
        "$HOME;rm -rf /"
      ])
    }))

  it.live("secrets travel in the client's environment, never on its command line", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "b", ["true"], { secretEnv: { A: Redacted.make("first-secret"), B: Redacted.make("second") } })
      for (const arg of stub.argv()) {
        expect(arg).not.toContain("first-secret")
        expect(arg).not.toContain("second")
      }
      const env = stub.env()
      expect(env).toContain("BOTTLE_SUPERVISE_SECRET_0=first-secret")
      expect(env).toContain("BOTTLE_SUPERVISE_SECRET_1=second")
    }))

  it.live("pins smolvm's logging so stderr stays the guest's, and times out by default at 60 s", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "b", ["true"])
      expect(stub.env()).toMatch(/^RUST_LOG=off$/m)
      expect(stub.env()).toMatch(/^SMOLVM_LOG_FORMAT=text$/m)
      expect(stub.argv()).toContain("60000ms")
    }))

  it.live("a result is the guest's raw output (read, not shown); a secret the guest echoes is scrubbed from errors", () =>
    Effect.gen(function*() {
      // Scrubbing a short secret out of output that is then parsed would change its meaning
      // (a token "user" in "already exists in user config"): results stay raw, errors are shown.
      const ok = makeStub({ stdout: "token is s3cret-value\n" })
      const result = yield* exec(ok, "b", ["env"], { secretEnv: { T: Redacted.make("s3cret-value") } })
      expect(result.stdout).toBe("token is s3cret-value\n")
      const bad = makeStub({ exit: 3, stderr: "s3cret-value\nAuthorization: Bearer other-token\n" })
      const error = yield* Effect.flip(exec(bad, "b", ["env"], { secretEnv: { T: Redacted.make("s3cret-value") } }))
      expect(error._tag).toBe("ExecFailed")
      if (error._tag !== "ExecFailed") return
      expect(error.stderr).not.toContain("s3cret-value")
      expect(error.stderr).not.toContain("other-token")
      expect(error.message).not.toContain("other-token")
    }))

  const cases: ReadonlyArray<readonly [string, { exit: number; stderr?: string }, Smolvm.ExecFailureReason]> = [
    ["a guest exit code", { exit: 3, stderr: "guest says no\n" }, "NonZeroExit"],
    [
      "a guest exit 1 without smolvm's Error:",
      { exit: 1, stderr: "cat: x: No such file or directory\n" },
      "NonZeroExit"
    ],
    ["an unknown machine", { exit: 1, stderr: "Error: vm not found: b\n" }, "MachineNotFound"],
    [
      "a stopped machine",
      {
        exit: 1,
        stderr:
          "Error: agent operation failed: connect: machine 'b' is not running. Use 'smolvm machine start --name b' first.\n"
      },
      "MachineNotRunning"
    ],
    [
      "a command missing in a bare VM",
      {
        exit: 1,
        stderr:
          "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n"
      },
      "GuestCommandNotFound"
    ],
    // smolvm echoes `--name`: the same sentences naming another machine are the guest's own output.
    [
      "a guest printing another machine's 'vm not found'",
      { exit: 1, stderr: "Error: vm not found: mybox\n" },
      "NonZeroExit"
    ],
    [
      "a guest printing another machine's 'is not running'",
      {
        exit: 1,
        stderr:
          "Error: agent operation failed: connect: machine 'mybox' is not running. Use 'smolvm machine start --name mybox' first.\n"
      },
      "NonZeroExit"
    ],
    ["another smolvm error", { exit: 1, stderr: "Error: agent operation failed: disk full\n" }, "SmolvmError"],
    [
      "bad flags",
      { exit: 2, stderr: "error: unexpected argument '--bogus' found\n\nUsage: smolvm machine exec\n" },
      "SmolvmUsage"
    ],
    ["smolvm's --timeout", { exit: 124, stderr: "command timed out after 5000ms\n" }, "Timeout"],
    ["a guest killed by SIGKILL", { exit: 137 }, "GuestSignal"],
    [
      "runuser on an image machine",
      { exit: 1, stderr: "runuser: may not be used by non-root users\n" },
      "RunuserRefused"
    ]
  ]

  for (const [what, answer, reason] of cases) {
    it.live(`maps ${what} to ${reason}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(exec(makeStub(answer), "b", ["true"]))
        expect(error).toMatchObject({ _tag: "ExecFailed", reason, exitCode: answer.exit, target: "b", argv: ["true"] })
        expect(error.message.length).toBeGreaterThan(10)
      }))
  }

  it.live("an invalid target or request starts no process", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      const badName = yield* Effect.flip(exec(stub, "no--such", ["true"]))
      expect(badName).toMatchObject({ _tag: "ExecFailed", reason: "InvalidTarget" })
      const badEnv = yield* Effect.flip(exec(stub, "b", ["true"], { env: { "A=B": "x" } }))
      expect(badEnv).toMatchObject({ _tag: "ExecFailed", reason: "InvalidRequest" })
      const empty = yield* Effect.flip(exec(stub, "b", []))
      expect(empty).toMatchObject({ _tag: "ExecFailed", reason: "InvalidRequest" })
      // Node's spawn would throw with the value in its message: refused first, without it.
      const nul = yield* Effect.flip(
        exec(stub, "b", ["true"], { secretEnv: { T: Redacted.make("SUPERSECRET\u0000x") } })
      )
      expect(nul).toMatchObject({ _tag: "ExecFailed", reason: "InvalidRequest" })
      expect(nul.message).not.toContain("SUPERSECRET")
      expect(stub.ran()).toBe(false)
    }))

  it.live("a missing or unexecutable binary is SmolvmNotFound", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(exec({ binary: "/nonexistent/smolvm" }, "b", ["true"]))
      expect(missing).toMatchObject({ _tag: "ClientNotFound", reason: "NotFound", binary: "/nonexistent/smolvm" })
      const dir = mkdtempSync(join(tmpdir(), "noexec-"))
      writeFileSync(join(dir, "smolvm"), "#!/bin/sh\n")
      chmodSync(join(dir, "smolvm"), 0o644)
      const denied = yield* Effect.flip(exec({ binary: join(dir, "smolvm") }, "b", ["true"]))
      // Root may execute nothing without an x bit either: the kernel refuses it.
      expect(denied).toMatchObject({ _tag: "ClientNotFound", reason: "PermissionDenied" })
      expect(denied.message).toContain("is not executable")
    }))

  it.live("the client's stdin is at end of file, so a client that reads it finishes instead of waiting", () =>
    Effect.gen(function*() {
      // A real smolvm forwards its stdin to the guest command; if ours were left open, a guest
      // `cat` would wait on the launcher until the deadline.
      const dir = mkdtempSync(join(tmpdir(), "stdin-smolvm-"))
      const binary = join(dir, "smolvm")
      writeFileSync(binary, "#!/bin/sh\nn=$(wc -c)\necho \"read $n bytes\"\n")
      chmodSync(binary, 0o755)
      const result = yield* exec({ binary }, "b", ["cat"], { timeout: "10 seconds" }).pipe(
        Effect.timeout("5 seconds")
      )
      expect(result).toEqual({ exitCode: 0, stdout: "read 0 bytes\n", stderr: "", truncated: false })
    }))

  it.live(
    "a client reading stdin sees end of file whatever the launcher's own stdin is, and never reads the launcher's",
    () =>
      Effect.gen(function*() {
        // The layer passes the launcher's stdin on when it is /dev/null, and otherwise gives the
        // client a pipe it ends at once: a launcher of its own for each case, one whose stdin is
        // /dev/null and one whose stdin is a pipe that carries bytes and is never closed.
        const dir = mkdtempSync(join(tmpdir(), "stdin-launcher-"))
        const binary = join(dir, "smolvm")
        writeFileSync(binary, "#!/bin/sh\nn=$(wc -c)\necho \"read $n bytes\"\n")
        chmodSync(binary, 0o755)
        const launcher = (stdin: "ignore" | "pipe") =>
          Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
            const child = spawn(process.execPath, [
              "--import",
              "tsx",
              "--input-type=module",
              "-e",
              STDIN_LAUNCHER,
              binary
            ], {
              cwd: resolve(__dirname, ".."),
              stdio: [stdin, "pipe", "pipe"]
            })
            let stdout = ""
            let stderr = ""
            child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
            child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
            child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
            child.stdin?.write("typed at the launcher's terminal\n")
            return Effect.sync(() => void child.kill("SIGKILL"))
          })
        const runs = yield* Effect.all([launcher("ignore"), launcher("pipe")], { concurrency: 2 }).pipe(
          Effect.timeout("80 seconds")
        )
        for (const ran of runs) {
          expect(ran, ran.stderr).toMatchObject({ code: 0 })
          expect(JSON.parse(ran.stdout)).toEqual({
            exitCode: 0,
            stdout: "read 0 bytes\n",
            stderr: "",
            truncated: false
          })
        }
      }),
    90_000
  )

  it.live("Smolvm.layer takes the binary from SMOLVM_BIN", () =>
    Effect.gen(function*() {
      const stub = makeStub({ stdout: "via config\n" })
      const result = yield* Effect.flatMap(Smolvm.Smolvm, (s) => s.machineExec("b", ["true"])).pipe(
        Effect.provide(
          Smolvm.layer.pipe(
            Layer.provide(NodeContext.layer),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SMOLVM_BIN", stub.binary]]))))
          )
        ),
        Effect.either
      )
      expect(Either.getOrThrow(result).stdout).toBe("via config\n")
    }))
})

describe("Smolvm.makeTest", () => {
  it.effect("reads exit 124 as smolvm's timeout only when smolvm says so, like the live layer", () =>
    Effect.gen(function*() {
      const early = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 124 }))
      expect(yield* Effect.flip(early.service.machineExec("b", ["timeout", "1", "x"]))).toMatchObject({
        reason: "NonZeroExit"
      })
      const late = yield* Smolvm.makeTest(() =>
        Effect.succeed({ exitCode: 124, stderr: "command timed out after 5000ms\n" })
      )
      // The live layer's detail for any Timeout it reads from exit 124, words or not.
      expect(yield* Effect.flip(late.service.machineExec("b", ["sleep", "9"]))).toMatchObject({
        reason: "Timeout",
        exitCode: 124,
        detail: "smolvm's --timeout of 1m fired"
      })
    }))

  it.effect("records calls with secrets still Redacted and classifies answers like the live layer", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 1, stderr: "Error: vm not found: b\n" }))
      const error = yield* Effect.flip(
        fake.service.machineExec("b", ["true"], { secretEnv: { T: Redacted.make("x-secret") } })
      )
      expect(error).toMatchObject({ _tag: "ExecFailed", reason: "MachineNotFound" })
      const calls = yield* fake.calls
      expect(calls).toHaveLength(1)
      expect(Redacted.value(calls[0]!.options.secretEnv!["T"]!)).toBe("x-secret")
    }))
})

describe("Smolvm.makeTest reads smolvm's machine errors only for the exec's own target", () => {
  const sentences = (name: string) => ({
    notFound: `Error: vm not found: ${name}\n`,
    notRunning:
      `Error: agent operation failed: connect: machine '${name}' is not running. Use 'smolvm machine start --name ${name}' first.\n`
  })

  it.effect("naming the target they are MachineNotFound and MachineNotRunning (transient)", () =>
    Effect.gen(function*() {
      const reply = sentences("b")
      const notFound = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 1, stderr: reply.notFound }))
      expect(yield* Effect.flip(notFound.service.machineExec("b", ["true"]))).toMatchObject({
        reason: "MachineNotFound"
      })
      const notRunning = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 1, stderr: reply.notRunning }))
      const error = yield* Effect.flip(notRunning.service.machineExec("b", ["true"]))
      expect(error).toMatchObject({ reason: "MachineNotRunning" })
      if (error._tag === "ExecFailed") expect(error.transient).toBe(true)
    }))

  it.effect("naming another machine they are the guest's exit 1, NonZeroExit, not transient", () =>
    Effect.gen(function*() {
      for (const stderr of Object.values(sentences("mybox"))) {
        const fake = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 1, stderr }))
        const error = yield* Effect.flip(fake.service.machineExec("b", ["true"]))
        expect(error).toMatchObject({ _tag: "ExecFailed", reason: "NonZeroExit", exitCode: 1, target: "b" })
        if (error._tag === "ExecFailed") expect(error.transient).toBe(false)
      }
    }))
})

describe("Smolvm.makeTest timeouts", () => {
  // The live layer waits for a client that does not answer until the exec's
  // timeout plus the margin smolvm has to report its own --timeout (half the
  // timeout, 250 ms to 2 s), then kills it; the fake must end at the same time.
  const cases: ReadonlyArray<readonly [string, Smolvm.ExecOptions, Duration.Duration, string]> = [
    ["the default 60 s", {}, Duration.seconds(62), "1m 2s"],
    ["2 seconds", { timeout: "2 seconds" }, Duration.seconds(3), "3s"],
    ["100 ms", { timeout: Duration.millis(100) }, Duration.millis(350), "350ms"]
  ]

  for (const [what, options, fires, shown] of cases) {
    it.effect(`a handler that never answers is a Timeout at ${shown} with a timeout of ${what}, as live`, () =>
      Effect.gen(function*() {
        const fake = yield* Smolvm.makeTest(() => Effect.never)
        const fiber = yield* Effect.fork(fake.service.machineExec("b", ["sleep", "inf"], options))
        yield* TestClock.adjust(Duration.subtract(fires, Duration.millis(1)))
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust(Duration.millis(1))
        // Polled, not joined: a fake that ignores the timeout fails here instead of hanging.
        expect(Option.isSome(yield* Fiber.poll(fiber))).toBe(true)
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error).toMatchObject({
          _tag: "ExecFailed",
          reason: "Timeout",
          target: "b",
          argv: ["sleep", "inf"],
          stdout: "",
          stderr: ""
        })
        if (error._tag !== "ExecFailed") return
        expect(error.exitCode).toBeUndefined()
        expect(error.detail).toBe(`smolvm did not answer within ${shown}; its client was killed`)
        expect(error.message).toBe(
          `timed out on machine "b" (smolvm did not answer within ${shown}; its client was killed)`
        )
        expect(error.transient).toBe(false)
      }))
  }

  it.effect.prop(
    "a handler that never answers ends after its timeout and at most 2 s later, whatever the timeout",
    [fc.integer({ min: 1, max: 600_000 })],
    ([ms]) =>
      Effect.gen(function*() {
        const fake = yield* Smolvm.makeTest(() => Effect.never)
        const fiber = yield* Effect.fork(fake.service.machineExec("b", ["true"], { timeout: Duration.millis(ms) }))
        yield* TestClock.adjust(Duration.millis(ms))
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust(Duration.seconds(2))
        expect(Option.isSome(yield* Fiber.poll(fiber))).toBe(true)
        expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ _tag: "ExecFailed", reason: "Timeout" })
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect.prop(
    "a handler that answers within the timeout is unaffected",
    [fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })],
    ([ms, fraction]) =>
      Effect.gen(function*() {
        const delay = Math.floor(ms * fraction)
        const fake = yield* Smolvm.makeTest(() =>
          Effect.as(Effect.sleep(Duration.millis(delay)), { exitCode: 0, stdout: "answered\n" })
        )
        const fiber = yield* Effect.fork(fake.service.machineExec("b", ["true"], { timeout: Duration.millis(ms) }))
        yield* TestClock.adjust(Duration.millis(ms))
        expect(yield* Fiber.join(fiber)).toEqual({ exitCode: 0, stdout: "answered\n", stderr: "", truncated: false })
      }),
    { fastCheck: { numRuns: 50 } }
  )

  // smolvm's own --timeout kills the guest at `timeout` and exits 124: an answer the
  // handler gives later never reaches the host, live. Between `timeout` and the host
  // deadline the fake must therefore fail as the live layer does on that exit 124.
  const smolvmTimedOut = (shown: string) => ({
    _tag: "ExecFailed",
    reason: "Timeout",
    exitCode: 124,
    target: "b",
    stdout: "",
    stderr: "",
    detail: `smolvm's --timeout of ${shown} fired`
  })

  it.effect("an answer at timeout + 1 ms is smolvm's Timeout, exit 124, whatever the handler replied", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() =>
        Effect.as(Effect.sleep("2001 millis"), { exitCode: 0, stdout: "too late\n" })
      )
      const fiber = yield* Effect.fork(fake.service.machineExec("b", ["true"], { timeout: "2 seconds" }))
      yield* TestClock.adjust("2001 millis")
      // Polled, not joined: the answer came before the host deadline (3 s), so nothing else may be waited for.
      const exit = yield* Fiber.poll(fiber)
      expect(Option.isSome(exit)).toBe(true)
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject(smolvmTimedOut("2s"))
      expect(error.message).toBe(`timed out on machine "b" (smolvm's --timeout of 2s fired)`)
      if (error._tag === "ExecFailed") expect(error.transient).toBe(false)
    }))

  it.effect("an answer exactly at the timeout is smolvm's Timeout too; one 1 ms before it is the handler's", () =>
    Effect.gen(function*() {
      const answerAfter = (ms: number) =>
        Effect.gen(function*() {
          const fake = yield* Smolvm.makeTest(() =>
            Effect.as(Effect.sleep(Duration.millis(ms)), { exitCode: 1, stderr: "Error: vm not found: b\n" })
          )
          const fiber = yield* Effect.fork(fake.service.machineExec("b", ["true"], { timeout: "500 millis" }))
          yield* TestClock.adjust(Duration.millis(ms))
          return yield* Effect.flip(Fiber.join(fiber))
        })
      expect(yield* answerAfter(500)).toMatchObject(smolvmTimedOut("500ms"))
      expect(yield* answerAfter(499)).toMatchObject({ reason: "MachineNotFound", exitCode: 1 })
    }))

  it.effect.prop(
    "an answer is the handler's before the timeout, smolvm's Timeout from it to the host deadline, the host's after",
    {
      // Short timeouts too, where the margin is its 250 ms floor; delays drawn on each side of
      // the timeout, and right at it.
      timing: fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 600_000 })).chain((ms) =>
        fc.record({
          ms: fc.constant(ms),
          delay: fc.oneof(
            fc.integer({ min: 0, max: ms }),
            fc.integer({ min: ms, max: ms + 2_500 }),
            fc.constantFrom(ms - 1, ms, ms + 1).filter((d) => d >= 0)
          )
        })
      ),
      reply: fc.constantFrom<Smolvm.FakeReply>(
        { exitCode: 0, stdout: "answered\n" },
        { exitCode: 1, stderr: "Error: vm not found: b\n" },
        { exitCode: 3, stderr: "guest: boom\n" },
        { exitCode: 124 },
        { exitCode: 124, stderr: "command timed out after 5ms\n" }
      )
    },
    ({ reply, timing: { delay, ms } }) =>
      Effect.gen(function*() {
        // The live layer's margin, restated: half the timeout, between 250 ms and 2 s.
        const hostDeadline = ms + Math.min(Math.max(ms / 2, 250), 2_000)
        // At the very instant both the answer and the host's kill are due: either may win.
        fc.pre(delay !== hostDeadline)
        const run = (after: number) =>
          Effect.gen(function*() {
            const fake = yield* Smolvm.makeTest(() => Effect.as(Effect.sleep(Duration.millis(after)), reply))
            const fiber = yield* Effect.fork(
              Effect.exit(fake.service.machineExec("b", ["true"], { timeout: Duration.millis(ms) }))
            )
            yield* TestClock.adjust(Duration.millis(Math.max(after, hostDeadline) + 1))
            const polled = yield* Fiber.poll(fiber)
            expect(Option.isSome(polled)).toBe(true)
            return yield* Fiber.join(fiber)
          })
        const got = yield* run(delay)
        if (delay < ms) {
          // The handler's own answer, read exactly as an immediate one.
          expect(got).toEqual(yield* run(0))
        } else if (delay < hostDeadline) {
          expect(got).toMatchObject({
            _tag: "Failure",
            cause: { error: smolvmTimedOut(Duration.format(Duration.millis(ms))) }
          })
        } else {
          expect(got).toMatchObject({ _tag: "Failure", cause: { error: { reason: "Timeout", stderr: "" } } })
          if (got._tag === "Failure" && got.cause._tag === "Fail") {
            expect(got.cause.error).not.toHaveProperty("exitCode", 124)
            expect(got.cause.error.message).toContain("smolvm did not answer within")
          }
        }
      }),
    { fastCheck: { numRuns: 200 } }
  )

  it.effect("a failing answer within the timeout is classified as before, not turned into a Timeout", () =>
    Effect.gen(function*() {
      const fake = yield* Smolvm.makeTest(() =>
        Effect.as(Effect.sleep("1500 millis"), { exitCode: 1, stderr: "Error: vm not found: b\n" })
      )
      const fiber = yield* Effect.fork(fake.service.machineExec("b", ["true"], { timeout: "2 seconds" }))
      yield* TestClock.adjust("2 seconds")
      expect(yield* Effect.flip(Fiber.join(fiber))).toMatchObject({ reason: "MachineNotFound" })
    }))
})
