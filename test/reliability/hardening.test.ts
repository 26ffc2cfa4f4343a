/**
 * Hardening (issue 21): what a huge plan value, a hostile guest, a busy or
 * full config directory, a short token, the token's way back, several
 * launcher processes and a signal in the middle of a replace do to
 * provisioning. The tests fail on the code before the 2026-12-07 fixes (plan
 * bounds, E2BIG as `InvalidRequest`, escaped guest words, the in-guest writer
 * lock, the replace on a copy, raw output parsed and only what is shown
 * scrubbed, tokens scrubbed in the guest), each checked by reverting its fix;
 * two are guards instead: eight launchers with one plan (the CLI's own lock
 * already serialised `add`), and the zombie lock holder (fixed with them).
 *
 * The real `claude` CLI runs through the smolvm stand-in, exec landing as root
 * and switching to the `node` user (root and a `node` user needed: skipped
 * without them, failing under CI=true).
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { inspect } from "node:util"
import * as Sidecar from "../../examples/supervise-sidecar.js"
import * as Guest from "../../src/internal/guest.js"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Sandbox from "../../src/Sandbox.js"
import type { ClientNotFound } from "../../src/SandboxError.js"
import { ExecFailed } from "../../src/SandboxError.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { buildBin, runBin, show } from "../cli/support.js"
import { gated, gatedOn, type Setup } from "../e2e/prerequisites.js"
import * as AgentView from "../support/agentView.js"
import { isRoot, makeGuest, type StandinGuest } from "../support/standin.js"
import { type Job, TOKEN_ENV } from "./launcherChild.js"
import { timed, waitFor } from "./rig.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const CHILD = fileURLToPath(new URL("./launcherChild.ts", import.meta.url))
/** The stand-in's guest PATH without its own directory for `claude`. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
const URL_A = "http://127.0.0.1:4001/"
const URL_B = "http://127.0.0.1:4002/"

// --- shared helpers -------------------------------------------------------------------------

/** Any control character (C0, DEL, C1) or Unicode line/paragraph separator: nothing shown on one line may hold one. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
/** Every way a terminal or a log viewer can start a line. */
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/

/** A line a guest must never be able to put in an operator's log. */
const FORGED = "bottle-supervise[other-bottle] info: supervise MCP server registered on other-bottle"

/** What a guest's text looks like once shown: no control character, and no line of its own. */
const expectShownSafely = (what: string, text: string): void => {
  expect({ what, control: CONTROL.exec(text)?.[0] }).toEqual({ what, control: undefined })
  expect({ what, forged: text.split(LINE_BREAK).filter((line) => line.startsWith("bottle-supervise[other-bottle]")) })
    .toEqual({ what, forged: [] })
}

/** An operator's stderr (Logger.layerOperator): one entry a line, none with a control character, none forged. */
const expectLogSafe = (stderr: string): void => {
  for (const line of stderr.split("\n")) expectShownSafely(`log line ${JSON.stringify(line)}`, line)
}

/** A test's body: scoped, and silent (the library's info lines would flood the test output). */
const quiet = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Scope.Scope>> =>
  Effect.scoped(self).pipe(EffectLogger.withMinimumLogLevel(LogLevel.None))

const randomToken = (): string => `tok_${randomBytes(24).toString("base64url")}`

/** A live layer on a stand-in guest, with Node's executor. */
const liveOn = (guest: StandinGuest) => guest.layer.pipe(Layer.provide(NodeContext.layer))

const provisionOn = (
  guest: StandinGuest,
  agentUrl: string,
  token: string | undefined,
  timeout: Duration.DurationInput = "90 seconds"
) =>
  Effect.flatMap(
    guest.plan({ agentUrl, token }),
    (plan) => ProvisionSupervise.provisionSupervise(plan, guest.name, { timeout })
  ).pipe(Effect.provide(liveOn(guest)))

/** The agent's user config, parsed: fails the test when it is not valid JSON. */
const readConfig = (file: string): unknown => JSON.parse(fs.readFileSync(file, "utf8"))

const urlIn = (file: string): Effect.Effect<string, AgentView.AgentViewError> =>
  Effect.map(AgentView.readEntry(file, "supervise"), (entry) => entry.url)

/**
 * An outcome as plain data, a failure's message and guest words beside its fields and its argv (the
 * long guest scripts) left out: what a failed assertion can print (Effect's errors are iterable,
 * which vitest's printer follows forever).
 */
const plain = (
  outcome: ProvisionSupervise.ProvisionOutcome | ProvisionSupervise.VerifyOutcome | undefined
): unknown => {
  if (outcome === undefined) return undefined
  if (outcome._tag !== "Failed") {
    const data: unknown = JSON.parse(JSON.stringify(outcome))
    return data
  }
  const { error } = outcome
  return {
    _tag: outcome._tag,
    target: outcome.target,
    execs: outcome.execs,
    hint: outcome.hint,
    error: {
      reason: error.reason,
      exitCode: error.exitCode,
      signal: error.signal,
      detail: error.detail,
      message: error.message,
      stdout: error.stdout,
      stderr: error.stderr
    }
  }
}

/** Asserts on an outcome's plain data; a mismatch prints all of it (a failure's message and words too). */
const expectOutcome = (
  outcome: ProvisionSupervise.ProvisionOutcome | ProvisionSupervise.VerifyOutcome | undefined,
  expected: Record<string, unknown>,
  context = ""
): void => {
  const data = plain(outcome)
  expect(data, `${context}${context === "" ? "" : "\n"}${JSON.stringify(data, null, 2)}`).toMatchObject(expected)
}

/** An exec's error as plain data, for the same reason. */
const plainError = (error: ExecFailed | ClientNotFound) => ({
  _tag: error._tag,
  reason: error.reason,
  backend: error.backend,
  message: error.message
})

// --- launcher processes ---------------------------------------------------------------------

interface ChildRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** How a launcher process ended, for an assertion's message. */
const shown = (run: ChildRun): string =>
  `exit ${run.code}, signal ${run.signal}\nstderr: ${run.stderr.slice(-3000)}\nstdout: ${run.stdout.slice(-1000)}`

/** Starts a launcher process (`launcherChild.ts`) for `job`, the token in its environment only. */
const startChild = (job: Job, token: string | undefined): { child: ChildProcess; done: Promise<ChildRun> } => {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(job)], {
    cwd: ROOT,
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: process.env["HOME"] ?? os.tmpdir(),
      ...(token === undefined ? {} : { [TOKEN_ENV]: token })
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const done = new Promise<ChildRun>((resolve) => {
    child.on(
      "error",
      (error) => resolve({ code: null, signal: null, stdout, stderr: `${stderr}\nspawn error: ${error.message}` })
    )
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { child, done }
}

const jobFor = (guest: StandinGuest, op: Job["op"], agentUrl: string, extra: Partial<Job> = {}): Job => ({
  binary: guest.binary,
  target: guest.name,
  op,
  agentUrl,
  agent: { user: guest.user.name, home: guest.home },
  timeoutMs: 150_000,
  ...extra
})

/** The outcome a launcher process printed (its last stdout line), decoded; undefined when it printed none. */
const provisionOutcomeOf = (run: ChildRun): ProvisionSupervise.ProvisionOutcome | undefined => {
  const line = run.stdout.trim().split("\n").pop() ?? ""
  return line === "" ? undefined : Schema.decodeUnknownSync(ProvisionSupervise.ProvisionOutcome)(JSON.parse(line))
}

const verifyOutcomeOf = (run: ChildRun): ProvisionSupervise.VerifyOutcome | undefined => {
  const line = run.stdout.trim().split("\n").pop() ?? ""
  return line === "" ? undefined : Schema.decodeUnknownSync(ProvisionSupervise.VerifyOutcome)(JSON.parse(line))
}

/** A child that does not end in time is killed, and the test says so. */
const within = (run: { child: ChildProcess; done: Promise<ChildRun> }, ms: number): Promise<ChildRun> =>
  Promise.race([
    run.done,
    new Promise<ChildRun>((resolve) =>
      setTimeout(() => {
        run.child.kill("SIGKILL")
        void run.done.then((ended) =>
          resolve({ ...ended, stderr: `${ended.stderr}\n(killed by the test after ${ms} ms)` })
        )
      }, ms).unref()
    )
  ])

/** A guest for the real CLI: exec lands as root, the library switches to the agent. */
const realGuest = (setup: Setup, name = "bottle-h21") =>
  makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs, name })

// --- 1. E2BIG-sized values ------------------------------------------------------------------

describe("1. values of E2BIG size", () => {
  const huge = "x".repeat(200 * 1024)
  const cases = [
    {
      field: "agentUrl",
      raw: { supervisePlan: { agentUrl: `http://127.0.0.1:4318/${huge}` } },
      words: "must be at most 4096 characters"
    },
    {
      field: "home",
      raw: { supervisePlan: { agentUrl: URL_A }, agent: { home: `/${huge}` } },
      words: "must be at most 4096 characters (PATH_MAX)"
    },
    {
      field: "configDir",
      raw: { supervisePlan: { agentUrl: URL_A }, agent: { configDir: `/${huge}` } },
      words: "must be at most 4096 characters (PATH_MAX)"
    }
  ] as const

  for (const { field, raw, words } of cases) {
    it.effect(`a plan with a 200 KiB ${field} is refused at decode, the error naming the field`, () =>
      Effect.gen(function*() {
        const decoded = yield* Effect.either(SupervisePlan.decode(raw))
        expect(Either.isLeft(decoded)).toBe(true)
        if (Either.isRight(decoded)) return
        const message = decoded.left.message
        // The field, then its rule, with no other field between them in the error's tree.
        expect(message).toMatch(new RegExp(`\\["${field}"\\][^[]*${words.replace(/[()]/g, "\\$&")}`))
      }))
  }

  it.effect("all three at once: one error naming each field", () =>
    Effect.gen(function*() {
      const decoded = yield* Effect.either(SupervisePlan.decode({
        supervisePlan: { agentUrl: `http://127.0.0.1:4318/${huge}` },
        agent: { home: `/${huge}`, configDir: `/${huge}` }
      }))
      expect(Either.isLeft(decoded)).toBe(true)
      if (Either.isRight(decoded)) return
      for (const field of ["agentUrl", "home", "configDir"]) expect(decoded.left.message).toContain(`["${field}"]`)
      expect(decoded.left.message.match(/must be at most 4096 characters/g)).toHaveLength(3)
    }))

  it.effect("formatPlanError gives one short line per field, never the 200 KiB value", () =>
    Effect.gen(function*() {
      const decoded = yield* Effect.either(SupervisePlan.decode({
        supervisePlan: { agentUrl: `http://127.0.0.1:4318/${huge}` },
        agent: { home: `/${huge}`, configDir: `/${huge}` }
      }))
      if (Either.isRight(decoded)) return expect.unreachable("decoded")
      expect(SupervisePlan.formatPlanError(decoded.left)).toEqual([
        "supervisePlan.agentUrl: must be at most 4096 characters",
        "agent.home: must be at most 4096 characters (PATH_MAX)",
        "agent.configDir: must be at most 4096 characters (PATH_MAX)"
      ])
    }))

  it.live("machineExec with a 200 KiB argument fails InvalidRequest naming E2BIG, not ClientNotFound (real spawn)", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-e2big-"))
      try {
        // A smolvm that would say it ran: it must not.
        const binary = path.join(dir, "smolvm")
        const ran = path.join(dir, "ran")
        fs.writeFileSync(binary, `#!/bin/sh\necho ran > '${ran}'\n`, { mode: 0o755 })
        const layer = Smolvm.layerWith({ binary }).pipe(Layer.provide(NodeContext.layer))
        const smolvmError = yield* Effect.flip(
          Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["echo", huge])).pipe(
            Effect.provide(layer)
          )
        )
        const sandboxError = yield* Effect.flip(
          Effect.flatMap(
            Sandbox.Sandbox,
            (sandbox) => sandbox.exec("bottle-1", ["sh", "-c", "true", huge], { user: "node" })
          )
            .pipe(Effect.provide(layer))
        )
        for (const error of [smolvmError, sandboxError]) {
          expect(plainError(error)).toMatchObject({ _tag: "ExecFailed", reason: "InvalidRequest", backend: "smolvm" })
          expect(error.message).toContain("E2BIG")
          expect(error.message).toContain("larger than the kernel accepts")
          if (error instanceof ExecFailed) expect(error.transient).toBe(false)
        }
        expect(fs.existsSync(ran)).toBe(false)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))
})

// --- 2. a hostile guest's output ------------------------------------------------------------

/**
 * A guest `claude` that attacks whoever reads its words: terminal escapes (clear the screen, set the
 * window title), a carriage return, and a forged log line. What it does is in `mode` next to it.
 */
const HOSTILE_CLAUDE = String.raw`#!/bin/sh
mode="$(cat "$(dirname "$0")/mode")"
forged='${FORGED}'
case "$mode:$1 $2" in
  "add-fails:mcp add")
    printf '\033[2J\033]0;pwned\007wiping\rdone\n%s\n' "$forged" >&2
    exit 1;;
  "get-unreachable:mcp get")
    printf 'supervise:\n  Scope: User config (available in all your projects)\n'
    printf '  Status: \342\234\230 Failed to connect\n'
    printf '  Issue: \033[2J\033]0;pwned\007refused\033[1A\r%s\n' "$forged"
    printf '  Type: http\n  URL: %s\n' "$BOTTLE_SUPERVISE_HOSTILE_URL"
    exit 0;;
  "get-fails:mcp get")
    printf 'something broke\n\033[1A\033[2K\r%s' "$forged" >&2
    exit 1;;
esac
echo "hostile claude: unexpected $mode:$*" >&2
exit 2
`

gated("2. a hostile guest's output", "root", (title, setup) =>
  describe(title, () => {
    it.live(
      "escapes, CR and a forged line from a guest claude: the operator's log, ExecFailed.message, the Failed and Unreachable fields stay one clean line each",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const bin = yield* Effect.acquireRelease(
            Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-hostile-"))),
            (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
          )
          fs.chmodSync(bin, 0o755)
          fs.writeFileSync(path.join(bin, "claude"), HOSTILE_CLAUDE, { mode: 0o755 })
          const mode = (name: string) => fs.writeFileSync(path.join(bin, "mode"), name, { mode: 0o644 })
          yield* guest.setMachine({
            running: true,
            execAs: setup.execLandsAs === "root" ? "root" : guest.user.name,
            env: { PATH: `${bin}:${SYSTEM_PATH}`, BOTTLE_SUPERVISE_HOSTILE_URL: URL_A }
          })
          const token = randomToken()

          // provisionSupervise: the add fails with the hostile words.
          mode("add-fails")
          const provisioned = yield* Effect.promise(() =>
            within(startChild(jobFor(guest, "provision", URL_A), token), 120_000)
          )
          expect(provisioned.code, shown(provisioned)).toBe(0)
          const failed = provisionOutcomeOf(provisioned)
          expectOutcome(failed, { _tag: "Failed", error: { reason: "NonZeroExit" } }, shown(provisioned))
          if (failed?._tag !== "Failed") return
          expect(failed.error.reason).toBe("NonZeroExit")
          // The hostile words reached the warning, escaped: shown, not obeyed.
          const warning = provisioned.stderr.split("\n").find((line) => line.includes(" warning: "))
          expect(warning, shown(provisioned)).toMatch(
            new RegExp(
              `^bottle-supervise\\[${guest.name}\\] warning: registering the supervise MCP server failed \\(exit 1: `
            )
          )
          expect(warning).toContain(String.raw`\u001b[2J\u001b]0;pwned\u0007wiping\rdone\n${FORGED}`)
          expectLogSafe(provisioned.stderr)
          for (
            const [what, text] of Object.entries({
              "ExecFailed.message": failed.error.message,
              hint: failed.hint,
              target: failed.target,
              serverName: failed.serverName,
              url: failed.url
            })
          ) expectShownSafely(what, text)
          expect(provisioned.stderr + provisioned.stdout).not.toContain(token)

          // verifySupervise: the health check's Issue is hostile.
          mode("get-unreachable")
          const checked = yield* Effect.promise(() =>
            within(startChild(jobFor(guest, "verify", URL_A), token), 120_000)
          )
          const unreachable = verifyOutcomeOf(checked)
          expectOutcome(unreachable, { _tag: "Unreachable" }, shown(checked))
          if (unreachable?._tag !== "Unreachable") return
          expect(unreachable.reason).toBe(String.raw`\u001b[2J\u001b]0;pwned\u0007refused\u001b[1A`)
          expectShownSafely("Unreachable.reason", unreachable.reason)
          expectLogSafe(checked.stderr)

          // verifySupervise: the health check fails, its last words a forged line behind a CR.
          mode("get-fails")
          const broken = yield* Effect.promise(() => within(startChild(jobFor(guest, "verify", URL_A), token), 120_000))
          const unexpected = verifyOutcomeOf(broken)
          expectOutcome(unexpected, { _tag: "Failed", error: { reason: "UnexpectedOutput" } }, shown(broken))
          if (unexpected?._tag !== "Failed") return
          expect(unexpected.error.reason).toBe("UnexpectedOutput")
          expect(unexpected.error.message).toContain(String.raw`\u001b[1A\u001b[2K\r${FORGED}`)
          expectShownSafely("ExecFailed.message (verify)", unexpected.error.message)
          expectShownSafely("hint (verify)", unexpected.hint)
          const verifyWarning = broken.stderr.split("\n").find((line) => line.includes(" warning: "))
          expect(verifyWarning, shown(broken)).toContain(`could not check the supervise MCP server on ${guest.name}`)
          expectLogSafe(broken.stderr)
        })),
      240_000
    )

    it.live("the built CLI on the same hostile guest: its human lines and its --json stay clean, the JSON valid", () =>
      quiet(Effect.gen(function*() {
        const bin = buildBin()
        const guest = yield* realGuest(setup)
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-hostile-"))),
          (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
        )
        fs.chmodSync(dir, 0o755)
        fs.writeFileSync(path.join(dir, "claude"), HOSTILE_CLAUDE, { mode: 0o755 })
        yield* guest.setMachine({
          running: true,
          execAs: setup.execLandsAs === "root" ? "root" : guest.user.name,
          env: { PATH: `${dir}:${SYSTEM_PATH}`, BOTTLE_SUPERVISE_HOSTILE_URL: URL_A }
        })
        const token = randomToken()
        const env = { SMOLVM_BIN: guest.binary, SUPERVISE_TOKEN: token }
        const flags = [
          "--machine",
          guest.name,
          "--url",
          URL_A,
          "--token-env",
          "SUPERVISE_TOKEN",
          "--user",
          guest.user.name,
          "--home",
          guest.home
        ]
        const cases = [
          ["add-fails", "provision", "Failed"],
          ["get-unreachable", "verify", "Unreachable"],
          ["get-fails", "verify", "Failed"]
        ] as const
        for (const [mode, command, tag] of cases) {
          fs.writeFileSync(path.join(dir, "mode"), mode, { mode: 0o644 })
          const human = yield* Effect.promise(() => runBin(bin, [command, ...flags], env))
          expect(human.code, `${mode}, human: ${show(human)}`).toBe(1)
          expect(human.stdout).toContain(`${tag}: `)
          for (const line of `${human.stdout}${human.stderr}`.split("\n")) {
            expectShownSafely(`${mode}, human: ${JSON.stringify(line)}`, line)
          }
          const json = yield* Effect.promise(() => runBin(bin, [command, ...flags, "--json"], env))
          expect(json.code, `${mode}, --json: ${show(json)}`).toBe(1)
          // One JSON object on one line: no raw control character, the guest's words escaped by JSON itself.
          expect(json.stdout.endsWith("\n")).toBe(true)
          expectShownSafely(`${mode}, --json stdout`, json.stdout.slice(0, -1))
          const parsed: unknown = JSON.parse(json.stdout)
          expect(parsed).toMatchObject({ _tag: tag })
          expect(json.stdout).not.toContain(token)
          expectLogSafe(json.stderr)
        }
      })), 300_000)

    it.effect("a guest whose own last stderr line is hostile: ExecFailed.message shows it escaped, on its one line", () =>
      Effect.gen(function*() {
        const fake = yield* Smolvm.makeTest(() =>
          Effect.succeed({
            exitCode: 3,
            stderr: `\u001b]0;pwned\u0007oops\u2028x\r\n\u001b[2K\r${FORGED}\u0085\u009b31m`
          })
        )
        const plan = Effect.runSync(SupervisePlan.decode({ supervisePlan: { agentUrl: URL_A } }))
        const [outcome, logs] = yield* BottleLogger.capture(
          ProvisionSupervise.provisionSupervise(plan, "bottle-1").pipe(Effect.provide(fake.layer))
        )
        expectOutcome(outcome, { _tag: "Failed" })
        if (outcome._tag !== "Failed") {
          return
        }
        expect(outcome.error.message).toBe(
          String.raw`guest command exited 3 on machine "bottle-1": \u001b[2K\r${FORGED}\u0085\u009b31m`
        )
        expectShownSafely("ExecFailed.message", outcome.error.message)
        const warning = logs.find((log) =>
          log.level === "WARN"
        )
        expect(warning).toBeDefined()
        // The message as the library logs it: the operator logger escapes it (see the launcher-process test above).
        expect(warning?.message).toContain(FORGED)
      }))
  }))

// --- 3. a replace that cannot write: Claude Code's lock held, a full disk ---------------------

/** Why a 64 KiB tmpfs cannot be mounted here, or undefined when it can. */
const tmpfsProblem = (): string | undefined => {
  if (!isRoot()) return "needs root, to mount a 64 KiB tmpfs as the agent's config directory"
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-tmpfs-probe-"))
  try {
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { encoding: "utf8" })
    if (mounted.status !== 0) return `cannot mount a tmpfs: ${mounted.stderr.trim() || `exit ${mounted.status}`}`
    spawnSync("umount", [dir])
    return undefined
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

gated("3. a replace that cannot write", "root", (title, setup) =>
  describe(title, () => {
    it.live(
      "Claude Code's own lock held and refreshed every second: Failed naming the lock, in bounded time, the old entry intact",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const token = randomToken()
          expectOutcome(yield* provisionOn(guest, URL_A, token), { _tag: "Registered" })
          const lock = `${guest.configFile}.lock`
          // Another claude holds the config's lock and keeps it fresh, as Claude Code's writers do.
          fs.mkdirSync(lock)
          const timer = setInterval(() => {
            const now = new Date()
            try {
              fs.utimesSync(lock, now, now)
            } catch {
              // Taken away: the assertions below say so.
            }
          }, 1_000)
          const release = () => {
            clearInterval(timer)
            fs.rmSync(lock, { recursive: true, force: true })
          }
          yield* Effect.addFinalizer(() => Effect.sync(release))
          const [outcome, ms] = yield* timed(provisionOn(guest, URL_B, token, "60 seconds"))
          expectOutcome(outcome, { _tag: "Failed", error: { reason: "NonZeroExit", exitCode: 75 } })
          if (outcome._tag !== "Failed") return
          expect(outcome.error.message).toContain(
            `bottle-supervise: failed at Claude Code's lock ${lock}: another claude is writing this config; the entry was left as it was`
          )
          expect(outcome.execs).toBe(2)
          // It waits about 11 s for the lock to go stale, then gives up: not the whole deadline.
          expect(ms).toBeGreaterThan(10_000)
          expect(ms).toBeLessThan(45_000)
          readConfig(guest.configFile)
          expect(yield* AgentView.readEntry(guest.configFile, "supervise")).toEqual({
            type: "http",
            url: URL_A,
            headers: { Authorization: `Bearer ${token}` }
          })
          expect(fs.existsSync(path.join(guest.home, ".bottle-supervise.lock"))).toBe(false)
          // Once the other writer is done, the replace goes through.
          expect(fs.existsSync(lock)).toBe(true)
          release()
          expectOutcome(yield* provisionOn(guest, URL_B, token), { _tag: "Replaced", changed: ["url"] })
          expect(yield* urlIn(guest.configFile)).toBe(URL_B)
        })),
      180_000
    )
  }))

/** How full the disk is when the replace runs, and what the failure must say. */
const FULL_DISK = [
  {
    name: "room for the replace's pid file and copy only: the CLI's remove cannot write",
    pages: 2,
    exitCode: 1,
    step: "bottle-supervise: failed at claude mcp remove (exit 1); the entry was left as it was",
    // The CLI's own sentence (Claude Code 2.1.330 does not name ENOSPC; it guesses a lock or a read-only file).
    words: `MCP server "supervise" was not removed from `
  },
  {
    name: "no room at all: the copy cannot be written",
    pages: 0,
    exitCode: 74,
    step: "bottle-supervise: failed at copying ",
    words: "No space left on device"
  }
] as const

gatedOn(
  "3. a replace on a full disk",
  tmpfsProblem(),
  (title) =>
    gated(title, "root", (title, setup) =>
      describe(title, () => {
        for (const variant of FULL_DISK) {
          it.live(`a 64 KiB tmpfs as configDir, ${variant.name}: Failed with those words, the old entry intact`, () =>
            quiet(Effect.gen(function*() {
              const guest = yield* realGuest(setup)
              const configDir = path.join(guest.home, "cfg")
              fs.mkdirSync(configDir)
              const mounted = yield* Effect.acquireRelease(
                Effect.sync(() =>
                  spawnSync("mount", [
                    "-t",
                    "tmpfs",
                    "-o",
                    `size=64k,mode=0700,uid=${setup.agent.uid},gid=${setup.agent.gid}`,
                    "tmpfs",
                    configDir
                  ], { encoding: "utf8" })
                ),
                () =>
                  Effect.sync(() => {
                    if (spawnSync("umount", [configDir]).status !== 0) spawnSync("umount", ["-l", configDir])
                  })
              )
              expect(mounted.status, mounted.stderr).toBe(0)
              const token = randomToken()
              const provision = (agentUrl: string) =>
                Effect.flatMap(
                  SupervisePlan.decode({
                    supervisePlan: { agentUrl, token },
                    agent: { user: guest.user.name, home: guest.home, configDir }
                  }),
                  (plan) =>
                    ProvisionSupervise.provisionSupervise(plan, guest.name, { timeout: "90 seconds" })
                ).pipe(Effect.provide(liveOn(guest)))
              const file = path.join(configDir, ".claude.json")
              expectOutcome(yield* provision(URL_A), { _tag: "Registered" })
              const before = fs.readFileSync(file, "utf8")
              const filler = path.join(configDir, "filler")
              const { bavail, bsize } = fs.statfsSync(configDir)
              fs.writeFileSync(filler, Buffer.alloc(Math.max(0, (bavail - variant.pages) * bsize)))

              const [outcome, logs] = yield* BottleLogger.capture(provision(URL_B))
              expectOutcome(outcome, { _tag: "Failed", error: { reason: "NonZeroExit", exitCode: variant.exitCode } })
              if (outcome._tag !== "Failed") return
              expect(outcome.error.message).toContain(variant.step)
              expect(outcome.error.stderr).toContain(variant.words)
              const warning = logs.find((log) => log.level === "WARN")?.message ?? ""
              expect(warning).toContain(variant.words)
              expect(warning).toContain(variant.step)
              expect(warning).not.toContain(token)
              // Not a byte of the config changed, and no lock or work copy is left behind.
              expect(fs.readFileSync(file, "utf8")).toBe(before)
              expect(
                fs.readdirSync(configDir).filter((f) => f.startsWith(".bottle-supervise.lock") || f.includes(".tmp."))
              )
                .toEqual([])
              // Room again: the replace goes through.
              fs.rmSync(filler)
              expectOutcome(yield* provision(URL_B), { _tag: "Replaced", changed: ["url"] })
              expect(yield* urlIn(file)).toBe(URL_B)
            })), 180_000)
        }
      }))
)

// --- 4. short tokens ------------------------------------------------------------------------

/** Tokens that occur in what the guest prints (URLs, the CLI's words, the scripts' marks, JSON keys). */
const SHORT_TOKENS = ["1", "a", "user", "http", "config", "supervise", "Bearer"] as const

gated("4. short tokens with the real CLI", "root", (title, setup) =>
  describe(title, () => {
    it.live(
      `tokens ${
        SHORT_TOKENS.map((t) => JSON.stringify(t)).join(", ")
      }: Registered, Unchanged, a port change Replaced, verify Connected`,
      () =>
        quiet(Effect.gen(function*() {
          const one = (token: typeof SHORT_TOKENS[number], index: number) =>
            quiet(Effect.gen(function*() {
              const guest = yield* realGuest(setup, `bottle-short-${index}`)
              const quiet = { token, log: () => {} }
              const sidecar = yield* Sidecar.scoped(quiet)
              const moved = yield* Sidecar.scoped(quiet)
              const label = (what: string) => `token ${JSON.stringify(token)}: ${what}`
              const first = yield* provisionOn(guest, sidecar.url, token)
              expectOutcome(first, { _tag: "Registered", execs: 1, cliStarts: 1 }, label("first"))
              const again = yield* provisionOn(guest, sidecar.url, token)
              expectOutcome(again, { _tag: "Unchanged", execs: 1, cliStarts: 0 }, label("again"))
              const replaced = yield* provisionOn(guest, moved.url, token)
              expectOutcome(replaced, {
                _tag: "Replaced",
                execs: 2,
                cliStarts: 2,
                changed: ["url"],
                previousUrl: sidecar.url
              }, label("moved"))
              expect(yield* AgentView.readEntry(guest.configFile, "supervise"), label("entry")).toEqual({
                type: "http",
                url: moved.url,
                headers: { Authorization: `Bearer ${token}` }
              })
              const verified = yield* Effect.flatMap(guest.plan({ agentUrl: moved.url, token }), (plan) =>
                ProvisionSupervise.verifySupervise(plan, guest.name, { timeout: "90 seconds" })).pipe(
                  Effect.provide(liveOn(guest))
                )
              expectOutcome(verified, { _tag: "Connected", registeredUrl: moved.url }, label("verify"))
              // And once more with the same plan: still nothing to do.
              expectOutcome(yield* provisionOn(guest, moved.url, token), {
                _tag: "Unchanged",
                cliStarts: 0
              }, label("after the move"))
            }))
          // Two at a time: each token costs four Claude Code starts.
          yield* Effect.forEach(SHORT_TOKENS, one, { concurrency: 2, discard: true })
        })),
      300_000
    )
  }))

// --- 5. the token never flows back to the host ------------------------------------------------

/**
 * Everything a tracer sees: span names, attributes, events, links and the exit of every span
 * (`Smolvm.machineExec`'s is the raw `ExecResult` or its error).
 */
const recordingTracer = () => {
  const seen: Array<unknown> = []
  let ids = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const attributes = new Map<string, unknown>(Object.entries(options?.attributes ?? {}))
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      seen.push(name, options?.attributes, links)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: `span-${++ids}`,
        traceId: "trace-h21",
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
          seen.push(exit)
          if (Exit.isFailure(exit)) seen.push(Cause.pretty(exit.cause))
        },
        attribute: (key, value) => {
          attributes.set(key, value)
          seen.push(key, value)
        },
        event: (eventName, _at, eventAttributes) => seen.push(eventName, eventAttributes),
        addLinks: (more) => seen.push(more)
      }
      seen.push(span)
      return span
    },
    context: (f) => f()
  })
  return { tracer, seen }
}

const isSpan = (value: unknown): value is Tracer.Span =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Span"

/** The `Sandbox` of `inner`, recording every `ExecResult` and every error it gives back. */
const recordingSandbox = (seen: Array<unknown>) =>
  Layer.effect(
    Sandbox.Sandbox,
    Effect.map(Sandbox.Sandbox, (inner): Sandbox.Service => ({
      backend: inner.backend,
      exec: (target, argv, options) =>
        inner.exec(target, argv, options).pipe(
          Effect.tapBoth({
            onSuccess: (result) => Effect.sync(() => seen.push(result)),
            onFailure: (error) => Effect.sync(() => seen.push(error, error.message))
          })
        )
    }))
  )

/** Every recorded value as text, as deep as it goes (a `Redacted` shows as `<redacted>`, as it must). */
const asText = (values: ReadonlyArray<unknown>): string =>
  values.map((value) =>
    typeof value === "string"
      ? value
      : inspect(value, { depth: 30, maxArrayLength: null, maxStringLength: null, breakLength: Infinity, getters: true })
  ).join("\n")

gated("5. the token never flows back to the host", "root", (title, setup) =>
  describe(title, () => {
    it.live(
      "Registered, Unchanged, Replaced (port, then token) and Connected: no span, exec result, error, log or outcome holds a token",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const first = randomToken()
          const rotated = randomToken()
          const sidecar = yield* Sidecar.scoped({ token: rotated, log: () => {} })
          const { seen, tracer } = recordingTracer()
          const sandbox = recordingSandbox(seen).pipe(Layer.provide(liveOn(guest)))
          const run =
            <A, E>(self: (plan: SupervisePlan.SmolmachinesBottlePlan) => Effect.Effect<A, E, Sandbox.Sandbox>) =>
            (agentUrl: string, token: string) =>
              Effect.flatMap(guest.plan({ agentUrl, token }), (plan) =>
                BottleLogger.capture(self(plan)).pipe(
                  Effect.tap(([result, logs]) => Effect.sync(() => seen.push(result, ...logs.map((log) => log.line))))
                )).pipe(Effect.map(([result]) => result), Effect.provide(sandbox), Effect.withTracer(tracer))
          const provision = run((plan) => ProvisionSupervise.provisionSupervise(plan, guest.name))
          const verify = run((plan) => ProvisionSupervise.verifySupervise(plan, guest.name))

          expectOutcome(yield* provision(URL_A, first), { _tag: "Registered" })
          expectOutcome(yield* provision(URL_A, first), { _tag: "Unchanged" })
          expectOutcome(yield* provision(sidecar.url, first), { _tag: "Replaced", changed: ["url"] })
          expectOutcome(yield* provision(sidecar.url, rotated), { _tag: "Replaced", changed: ["headers"] })
          expectOutcome(yield* verify(sidecar.url, rotated), { _tag: "Connected" })
          // The guest really holds the token: it reached the guest, and only the guest.
          expect(yield* AgentView.readEntry(guest.configFile, "supervise")).toMatchObject({
            headers: { Authorization: `Bearer ${rotated}` }
          })

          const text = asText(seen)
          // What was recorded is what came back: spans of every exec, results and the guest's placeholder.
          expect(text).toContain("Smolvm.machineExec")
          expect(text).toContain("Added HTTP MCP server supervise")
          expect(text).toContain(Guest.TOKEN_PLACEHOLDER_HEADER)
          expect(text).toContain("Connected")
          // Seven execs (1 + 1 + 2 + 2 + 1), each a span that ended with the raw result; five calls around them.
          const ended = (name: string) =>
            seen.filter((value) => isSpan(value) && value.name.endsWith(name) && value.status._tag === "Ended").length
          expect([ended("Smolvm.machineExec"), ended(".provisionSupervise"), ended(".verifySupervise")]).toEqual([
            7,
            4,
            1
          ])
          expect(text).not.toContain(first)
          expect(text).not.toContain(rotated)
          // Nor did the host's command lines carry it.
          expect(JSON.stringify(yield* guest.commandLines)).not.toContain(first)
          expect(JSON.stringify(yield* guest.commandLines)).not.toContain(rotated)
        })),
      180_000
    )
  }))

// --- 6. eight launcher processes on one bottle ------------------------------------------------

const LAUNCHERS = 8

gated("6. eight launcher processes provisioning one bottle at once", "root", (title, setup) =>
  describe(title, () => {
    /** Starts the launchers together and waits for them all (each bounded). */
    const race = (guest: StandinGuest, token: string, urlOf: (i: number) => string) =>
      Effect.promise(() =>
        Promise.all(
          Array.from({ length: LAUNCHERS }, (_, i) =>
            within(startChild(jobFor(guest, "provision", urlOf(i)), token), 240_000))
        )
      )

    /** What every launcher said: its outcome, or how it ended when it said nothing readable. */
    const outcomesOf = (runs: ReadonlyArray<ChildRun>) =>
      runs.map((run) => {
        const outcome = run.code === 0 ? provisionOutcomeOf(run) : undefined
        return outcome === undefined ? { _tag: `no outcome (${shown(run)})` } : outcome
      })

    /** An outcome's tag, a failure's message beside it. */
    const tagOf = (outcome: ReturnType<typeof outcomesOf>[number]): string =>
      "error" in outcome ? `${outcome._tag}: ${outcome.error.message}` : outcome._tag

    const expectConfigSound = (guest: StandinGuest) => {
      readConfig(guest.configFile)
      const stat = fs.statSync(guest.configFile)
      expect(stat.uid).toBe(setup.agent.uid)
      expect(stat.mode & 0o077).toBe(0)
      // No writer lock and no work copy are left behind.
      expect(
        fs.readdirSync(guest.home).filter((f) =>
          f.startsWith(".bottle-supervise.lock") || f.includes(".tmp.")
        )
      ).toEqual([])
    }

    it.live(
      "the same plan: exactly one Registered, seven Unchanged, none Failed; the config valid and the agent's",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const token = randomToken()
          const [runs, ms] = yield* timed(race(guest, token, () => URL_A))
          const outcomes = outcomesOf(runs)
          expect(outcomes.map(tagOf).sort()).toEqual([
            "Registered",
            ...Array.from({ length: LAUNCHERS - 1 }, () => "Unchanged")
          ])
          // One Claude Code start in all: the add; the others read the entry and started none.
          expect(outcomes.map((o) => "cliStarts" in o ? o.cliStarts : -1).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 1])
          expectConfigSound(guest)
          expect(yield* AgentView.readEntry(guest.configFile, "supervise")).toEqual({
            type: "http",
            url: URL_A,
            headers: { Authorization: `Bearer ${token}` }
          })
          for (const run of runs) expectLogSafe(run.stderr)
          expect(ms).toBeLessThan(240_000)
        })),
      300_000
    )

    it.live(
      "two URLs, alternating: every outcome Registered, Unchanged or Replaced, none Failed; the config valid, holding one",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const token = randomToken()
          const runs = yield* race(guest, token, (i) => (i % 2 === 0 ? URL_A : URL_B))
          const outcomes = outcomesOf(runs)
          for (const outcome of outcomes) expect(["Registered", "Unchanged", "Replaced"]).toContain(tagOf(outcome))
          expect(outcomes.filter((o) => o._tag === "Registered")).toHaveLength(1)
          expectConfigSound(guest)
          const entry = yield* AgentView.readEntry(guest.configFile, "supervise")
          expect([URL_A, URL_B]).toContain(entry.url)
          expect(entry).toEqual({ type: "http", url: entry.url, headers: { Authorization: `Bearer ${token}` } })
          // Exactly one entry under the name, and nothing else in the file's servers.
          expect(Object.keys(yield* AgentView.readServers(guest.configFile))).toEqual(["supervise"])
        })),
      300_000
    )
  }))

// --- 7. SIGTERM in the middle of a replace ----------------------------------------------------

const SIGTERM_RUNS = 20

gated("7. a launcher killed by SIGTERM during a replace", "root", (title, setup) =>
  describe(title, () => {
    it.live(
      `${SIGTERM_RUNS} runs, each killed at a random moment of the replace: the entry always there, the config valid, the next provisioning fine`,
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const token = randomToken()
          const lockDir = path.join(guest.home, ".bottle-supervise.lock")
          expectOutcome(yield* provisionOn(guest, URL_A, token), { _tag: "Registered" })
          let current: string = URL_A

          // How long a replace takes here, from its exec's start to the launcher's end: the window to kill in.
          const replaceMs = (run: { child: ChildProcess; done: Promise<ChildRun> }, execsBefore: number) =>
            Effect.gen(function*() {
              const started = yield* waitFor(
                () => Effect.runSync(guest.commandLines).length >= execsBefore + 2,
                120_000
              )
              expect(started).toBe(true)
              const at = performance.now()
              const ended = yield* Effect.promise(() => within(run, 120_000))
              return { ended, ms: performance.now() - at }
            })
          const calibration = yield* replaceMs(
            startChild(jobFor(guest, "provision", URL_B), token),
            (yield* guest.commandLines).length
          )
          expectOutcome(provisionOutcomeOf(calibration.ended), { _tag: "Replaced" }, shown(calibration.ended))
          current = URL_B
          // The window follows the machine's pace: it shrinks after a run that finished before its signal.
          let window = Math.max(500, calibration.ms)

          const phases: Array<
            { readonly delay: number; readonly work: boolean; readonly finished: boolean; readonly landed: string }
          > = []
          for (let i = 0; i < SIGTERM_RUNS; i++) {
            const target = current === URL_A ? URL_B : URL_A
            const execsBefore = (yield* guest.commandLines).length
            const launcher = startChild(jobFor(guest, "provision", target), token)
            // The replace's exec has started (the stand-in logs each exec as it begins) ...
            const started = yield* waitFor(() => Effect.runSync(guest.commandLines).length >= execsBefore + 2, 120_000)
            expect(started, `run ${i}: the replace never started`).toBe(true)
            // ... and is killed at a random moment of it.
            const delay = Math.floor(Math.random() * window)
            yield* Effect.sleep(`${delay} millis`)
            const work = fs.existsSync(path.join(lockDir, "work"))
            launcher.child.kill("SIGTERM")
            const ended = yield* Effect.promise(() => within(launcher, 60_000))
            const finished = provisionOutcomeOf(ended) !== undefined
            // Interrupted by the signal: runMain interrupted the call, which killed the smolvm client's process
            // group, and exited 0. One that had already finished may die of the signal on its way out.
            expect({ run: i, code: ended.code, signal: ended.signal }, shown(ended)).toEqual(
              finished && ended.signal === "SIGTERM"
                ? { run: i, code: null, signal: "SIGTERM" }
                : { run: i, code: 0, signal: null }
            )
            expect(fs.existsSync(guest.configFile)).toBe(true)
            readConfig(guest.configFile)
            const landed = yield* urlIn(guest.configFile)
            expect([current, target], `run ${i}`).toContain(landed)
            phases.push({ delay, work, finished, landed: landed === target ? "new" : "old" })
            window = finished ? Math.max(300, delay * 0.8) : Math.min(window * 1.1, Math.max(500, calibration.ms) * 2)
            // The next provisioning breaks whatever lock the killed exec left, and succeeds.
            const next = yield* provisionOn(guest, target, token, "120 seconds")
            expectOutcome(next, { _tag: landed === target ? "Unchanged" : "Replaced" }, `run ${i}`)
            expect(yield* urlIn(guest.configFile)).toBe(target)
            current = target
          }
          console.log(`SIGTERM runs (calibrated window ${Math.round(calibration.ms)} ms): ${JSON.stringify(phases)}`)
          // Most kills hit a replace still running (a loaded machine may let a few finish first).
          expect(phases.filter((p) => !p.finished).length).toBeGreaterThanOrEqual(SIGTERM_RUNS / 2)
          expect(fs.readdirSync(guest.home).filter((f) => f.startsWith(".bottle-supervise.lock"))).toEqual([])
        })),
      900_000
    )

    it.live(
      "a writer lock whose holder was killed and never reaped (a zombie, under an init that does not reap) is broken too",
      () =>
        quiet(Effect.gen(function*() {
          const guest = yield* realGuest(setup)
          const token = randomToken()
          expectOutcome(yield* provisionOn(guest, URL_A, token), { _tag: "Registered" })
          // A shell of the agent's that exits while its parent never waits for it: a zombie, its pid still taken.
          const parent = yield* Effect.acquireRelease(
            Effect.sync(() =>
              spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 120"], {
                uid: setup.agent.uid,
                gid: setup.agent.gid,
                cwd: "/",
                stdio: ["ignore", "pipe", "ignore"]
              })
            ),
            (child) => Effect.sync(() => child.kill("SIGKILL"))
          )
          const zombie = yield* Effect.promise(() =>
            new Promise<number>((resolve) =>
              parent.stdout?.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim())))
            )
          )
          const state = () => {
            const stat = fs.readFileSync(`/proc/${zombie}/stat`, "utf8")
            return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
          }
          expect(yield* waitFor(() => state() === "Z", 10_000)).toBe(true)
          // The lock as the killed exec left it: its pid, and a half-made work copy.
          const lockDir = path.join(guest.home, ".bottle-supervise.lock")
          for (const dir of [lockDir, path.join(lockDir, "work")]) {
            fs.mkdirSync(dir)
            fs.chownSync(dir, setup.agent.uid, setup.agent.gid)
          }
          fs.writeFileSync(path.join(lockDir, "pid"), `${zombie}\n`)
          const [outcome, ms] = yield* timed(provisionOn(guest, URL_B, token, "40 seconds"))
          expectOutcome(outcome, { _tag: "Replaced", changed: ["url"] })
          expect(ms).toBeLessThan(30_000)
          expect(state()).toBe("Z")
          expect(yield* urlIn(guest.configFile)).toBe(URL_B)
          expect(fs.readdirSync(guest.home).filter((f) => f.startsWith(".bottle-supervise.lock"))).toEqual([])
        })),
      120_000
    )
  }))
