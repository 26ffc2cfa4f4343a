import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, FastCheck as fc, Fiber, Option, Redacted, Schedule, Schema, TestClock } from "effect"
import { spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Guest from "../src/internal/guest.js"
import * as Logger from "../src/Logger.js"
import * as MachineName from "../src/MachineName.js"
import * as ProvisionSupervise from "../src/ProvisionSupervise.js"
import type * as Sandbox from "../src/Sandbox.js"
import * as Smolvm from "../src/Smolvm.js"
import type { SmolmachinesBottlePlan } from "../src/SupervisePlan.js"
import * as Model from "./support/claudeModel.js"
import * as Plans from "./support/plans.js"

/** The first step's stderr when add said "already exists" and it read the config instead. */
const alreadyThenRead =
  `${Guest.STEP_MARK}add\nMCP server supervise already exists in user config\n${Guest.STEP_MARK}read\n`

const NOT_RUNNING =
  "Error: agent operation failed: connect: machine 'b' is not running. Use 'smolvm machine start --name b' first."

/** Provisions against a fake smolvm and returns the outcome, the calls and the logs. */
const provision = (
  plan: SmolmachinesBottlePlan,
  target: string,
  handler: Smolvm.FakeHandler,
  options?: ProvisionSupervise.ProvisionOptions
) =>
  Effect.gen(function*() {
    const fake = yield* Smolvm.makeTest(handler)
    const [outcome, logs] = yield* Logger.capture(
      ProvisionSupervise.provisionSupervise(plan, target, options).pipe(
        Effect.provide(fake.layer)
      )
    )
    return { outcome, logs, calls: yield* fake.calls }
  })

/** Wraps a handler so each exec takes a moment, and counts how many ever overlapped. */
const overlapCounting = (inner: Smolvm.FakeHandler) => {
  let inFlight = 0
  let most = 0
  const handler: Smolvm.FakeHandler = (call) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        inFlight++
        most = Math.max(most, inFlight)
      }),
      () => Effect.zipRight(Effect.sleep(Duration.millis(2)), inner(call)),
      () => Effect.sync(() => inFlight--)
    )
  return { handler, most: () => most }
}

const fastRetry = Schedule.spaced(Duration.millis(1))

describe("provisionSupervise", () => {
  it.effect.prop(
    "Skipped: a plan without supervisePlan never execs, whatever the target",
    [fc.string()],
    ([target]) =>
      Effect.gen(function*() {
        const { calls, logs, outcome } = yield* provision(Plans.noSupervise(), target, () => Effect.die("no exec"))
        expect(outcome._tag).toBe("Skipped")
        expect(calls).toHaveLength(0)
        expect(logs).toHaveLength(0)
      })
  )

  it.effect.prop(
    "first registration is one exec, run as the agent user with its HOME, the token out of argv",
    {
      url: Plans.agentUrl,
      token: fc.option(Plans.token, { nil: undefined }),
      user: Plans.userName,
      configDir: fc.option(Plans.absolutePath, { nil: undefined }),
      target: Plans.machineName
    },
    ({ configDir, target, token, url, user }) =>
      Effect.gen(function*() {
        const plan = Plans.planOf({ url, token, user, configDir })
        const state = Model.makeState()
        const { calls, outcome } = yield* provision(plan, target, Model.handler(state))
        expect(outcome).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1, target, url })
        expect(calls).toHaveLength(1)
        const [call] = calls
        const parsed = Model.parseArgv(call!.argv)
        expect(call!.options.user).toBe(user)
        expect(parsed.env["HOME"]).toBe(plan.agent.home)
        expect(parsed.env["CLAUDE_CONFIG_DIR"]).toBe(configDir)
        expect(parsed.command.slice(0, 3)).toEqual(["sh", "-c", Guest.ENSURE])
        if (token !== undefined) {
          expect(call!.argv.join("\n")).not.toContain(token)
          expect(Redacted.value(call!.options.secretEnv![Guest.TOKEN_VAR]!)).toBe(token)
          expect(Redacted.value(call!.options.secretEnv![Guest.HEADER_VAR]!)).toBe(JSON.stringify(`Bearer ${token}`))
        } else {
          expect(call!.options.secretEnv).toBeUndefined()
        }
      })
  )

  it.effect.prop(
    "reconciles across relaunches: Registered, then Unchanged or Replaced, keeping other servers and keys",
    [fc.array(
      fc.record({
        url: fc.constantFrom("http://127.0.0.1:4318/", "http://127.0.0.1:5000/", "http://100.96.0.1:4318/"),
        token: fc.option(fc.constantFrom("tok_aaaaaaaaaaaaaaaa", "tok_bbbbbbbbbbbbbbbb"), { nil: undefined })
      }),
      { minLength: 1, maxLength: 6 }
    )],
    ([steps]) =>
      Effect.gen(function*() {
        const state = Model.makeState()
        const path = "/home/node/.claude.json"
        state.files.set(path, {
          other: { theme: "light", projects: { "/work": { allowedTools: [] } } },
          mcpServers: { other: { type: "stdio", url: "" } }
        })
        let previous: (typeof steps)[number] | undefined
        for (const step of steps) {
          const { outcome } = yield* provision(Plans.planOf(step), "bottle-1", Model.handler(state))
          if (previous === undefined) {
            // A server named "supervise" does not exist yet.
            expect(outcome).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1 })
          } else if (previous.url === step.url && previous.token === step.token) {
            // A relaunch with the same plan starts no Claude Code.
            expect(outcome).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          } else {
            expect(outcome).toMatchObject({ _tag: "Replaced", execs: 2, cliStarts: 2, previousUrl: previous.url })
            if (outcome._tag === "Replaced") {
              expect(outcome.changed.includes("url")).toBe(previous.url !== step.url)
              expect(outcome.changed.includes("headers")).toBe(previous.token !== step.token)
            }
          }
          previous = step
          const file = state.files.get(path)!
          expect(file.mcpServers["other"]).toEqual({ type: "stdio", url: "" })
          expect(file.other).toEqual({ theme: "light", projects: { "/work": { allowedTools: [] } } })
          expect(file.mcpServers["supervise"]).toEqual(
            step.token === undefined
              ? { type: "http", url: step.url }
              : { type: "http", url: step.url, headers: { Authorization: `Bearer ${step.token}` } }
          )
        }
      }),
    { fastCheck: { numRuns: 60 } }
  )

  it.effect("a config grown past what one read carries (thousands of projects) still reconciles in 1 or 2 execs", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      const path = "/home/node/.claude.json"
      const projects = Object.fromEntries(
        Array.from(
          { length: 40_000 },
          (_, i) => [`/work/repo-${i}`, { allowedTools: [], mcpServers: {}, exampleFiles: ["a.ts"] }]
        )
      )
      const other = { theme: "dark", projects }
      state.files.set(path, { other, mcpServers: { other: { type: "stdio", url: "" } } })
      expect(Model.render(state.files.get(path)!).length).toBeGreaterThan(Guest.READ_WHOLE_LIMIT)

      const first = yield* provision(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b", Model.handler(state))
      expect(first.outcome).toMatchObject({ _tag: "Registered", execs: 1 })
      const same = yield* provision(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b", Model.handler(state))
      expect(same.outcome).toMatchObject({ _tag: "Unchanged", execs: 1 })
      const moved = yield* provision(Plans.planOf({ url: "http://127.0.0.1:5000/" }), "b", Model.handler(state))
      expect(moved.outcome).toMatchObject({
        _tag: "Replaced",
        execs: 2,
        previousUrl: "http://127.0.0.1:4318/",
        changed: ["url"]
      })
      expect(state.files.get(path)!.other).toBe(other)
      expect(state.files.get(path)!.mcpServers).toEqual({
        other: { type: "stdio", url: "" },
        supervise: { type: "http", url: "http://127.0.0.1:5000/" }
      })
    }))

  it.effect("a large config keeps the warning about a project whose local entry shadows ours", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      const projects: Record<string, unknown> = Object.fromEntries(
        Array.from({ length: 40_000 }, (_, i) => [`/work/repo-${i}`, { allowedTools: [], mcpServers: {} }])
      )
      projects["/work/repo-9"] = { mcpServers: { supervise: { type: "stdio", command: "old-sidecar" } } }
      state.files.set("/home/node/.claude.json", {
        other: { projects },
        mcpServers: { supervise: { type: "http", url: "http://127.0.0.1:4318/" } }
      })
      const { logs, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        Model.handler(state)
      )
      expect(outcome).toMatchObject({ _tag: "Unchanged", execs: 1 })
      expect(logs.filter((entry) => entry.level === "WARN").map((entry) => entry.message)).toEqual([
        "a local-scope MCP server named supervise in /work/repo-9 shadows the user-scope entry there"
      ])
    }))

  it.effect("'already exists' with no entry in a large config's part: Failed, as for a small one, not Replaced every relaunch", () =>
    Effect.gen(function*() {
      const { calls, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () =>
          Effect.succeed({
            exitCode: 0,
            stdout: `{\n  "mcpServers": {}\n}\n`,
            stderr:
              `${Guest.STEP_MARK}add\nMCP server supervise already exists in user config\n${Guest.STEP_MARK}read\n` +
              `${Guest.READ_PART_MARK} (9000000 bytes)\n`
          })
      )
      expect(calls).toHaveLength(1)
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput" } })
    }))

  it.effect("a large config not laid out as Claude Code writes it is rewritten without comparing: Replaced, changed []", () =>
    Effect.gen(function*() {
      const { calls, logs, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        (call) =>
          Effect.succeed(
            call.argv.includes(Guest.ENSURE)
              ? { exitCode: 0, stdout: "", stderr: `${Guest.STEP_MARK}read\n${Guest.READ_PART_MARK} (9000000 bytes)\n` }
              : {
                exitCode: 0,
                stdout: "Added HTTP MCP server supervise with URL: http://127.0.0.1:4318/ to user config\n"
              }
          )
      )
      expect(outcome).toMatchObject({ _tag: "Replaced", execs: 2, changed: [] })
      expect(calls[1]!.argv).toContain(Guest.REPLACE)
      expect(logs.map((entry) => entry.message).join("\n")).toContain("without comparing")
      expect(logs.filter((entry) => entry.level === "WARN")).toEqual([])
    }))

  it.effect("an entry with another transport is Replaced", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      state.files.set("/home/node/.claude.json", {
        other: {},
        mcpServers: { supervise: { type: "sse", url: "http://127.0.0.1:4318/" } }
      })
      const { outcome } = yield* provision(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b", Model.handler(state))
      expect(outcome).toMatchObject({ _tag: "Replaced", changed: ["transport"] })
    }))

  it.effect("Failed: a guest error is a warning with exit code, guest words and a manual hint, never an error", () =>
    Effect.gen(function*() {
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/" })
      const { calls, logs, outcome } = yield* provision(
        plan,
        "bottle-7",
        () => Effect.succeed({ exitCode: 3, stderr: "  claude: config is locked\n" })
      )
      expect(calls).toHaveLength(1)
      expect(outcome._tag).toBe("Failed")
      if (outcome._tag !== "Failed") return
      expect(outcome.error.reason).toBe("NonZeroExit")
      expect(outcome.error.exitCode).toBe(3)
      expect(outcome.hint).toBe(
        "claude mcp remove --scope user supervise 2>/dev/null; claude mcp add --scope user --transport http supervise http://127.0.0.1:4318/"
      )
      expect(logs.map((l) => l.level)).toEqual(["INFO", "WARN"])
      expect(logs[0]!.message).toContain("bottle-7")
      expect(logs[0]!.message).toContain("http://127.0.0.1:4318/")
      const warning = logs[1]!
      expect(warning.message).toContain("exit 3")
      expect(warning.message).toContain("claude: config is locked")
      expect(warning.message).toContain(outcome.hint)
      expect(warning.annotations).toMatchObject({
        [Logger.LogKeys.target]: "bottle-7",
        [Logger.LogKeys.url]: "http://127.0.0.1:4318/",
        [Logger.LogKeys.server]: "supervise"
      })
    }))

  it.effect("a re-run with the same URL logs no warning", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/", token: "tok_cccccccccccccccc" })
      yield* provision(plan, "b", Model.handler(state))
      const { logs, outcome } = yield* provision(plan, "b", Model.handler(state))
      expect(outcome._tag).toBe("Unchanged")
      expect(logs.filter((l) => l.level !== "INFO")).toEqual([])
    }))

  it.effect.prop(
    "an invalid target is Failed before any exec",
    [fc.string().filter((s) => MachineName.problem(s) !== undefined)],
    ([target]) =>
      Effect.gen(function*() {
        const { calls, outcome } = yield* provision(
          Plans.planOf({ url: "http://127.0.0.1:4318/" }),
          target,
          () => Effect.die("no exec")
        )
        // The sandbox refused the call by its own rule before any process: the handler (smolvm) never ran.
        expect(calls.map((call) => call.target)).toEqual([target])
        expect(outcome).toMatchObject({ _tag: "Failed", execs: 0, error: { reason: "InvalidTarget" } })
      })
  )

  it.effect.prop(
    "no token ever reaches a log line, an outcome or an error, whatever the guest prints",
    {
      token: Plans.token,
      exitCode: fc.constantFrom(0, 1, 2, 3, 124, 137),
      echo: fc.constantFrom(
        (t: string) => t,
        (t: string) => `Authorization: Bearer ${t}`,
        (t: string) => `{"headers":{"Authorization":"Bearer ${t}"}}`,
        (t: string) => `Error: agent operation failed: ${t}`
      ),
      already: fc.boolean()
    },
    ({ already, echo, exitCode, token }) =>
      Effect.gen(function*() {
        const plan = Plans.planOf({ url: "http://127.0.0.1:4318/", token })
        const { logs, outcome } = yield* provision(
          plan,
          "bottle-1",
          () =>
            Effect.succeed({
              exitCode,
              stdout: echo(token),
              stderr: already ? `MCP server supervise already exists in user config\n${echo(token)}` : echo(token)
            }),
          { retry: Schedule.recurs(2) }
        )
        const everything = [
          ...logs.map((l) => l.line),
          JSON.stringify(Schema.encodeSync(ProvisionSupervise.ProvisionOutcome)(outcome)),
          outcome._tag === "Failed" ? outcome.error.message : "",
          outcome._tag === "Failed" ? outcome.hint : ""
        ].join("\n")
        expect(everything).not.toContain(token)
      }),
    { fastCheck: { numRuns: 80 } }
  )

  it.effect("a timeout names the step that was running, not an earlier answer", () =>
    Effect.gen(function*() {
      // The first step finds another URL, then the replace hangs: the timeout is the replace's.
      const fiber = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "bottle-1",
        (call) =>
          call.argv.includes(Guest.REPLACE)
            ? Effect.never
            : Effect.succeed({
              exitCode: 0,
              stdout: `{"mcpServers": {"supervise": {"type": "http", "url": "http://127.0.0.1:5000/"}}}\n`,
              stderr: `${Guest.STEP_MARK}read\nthe first step's words\n`
            }),
        { timeout: Duration.seconds(3) }
      ).pipe(Effect.fork)
      yield* TestClock.adjust(Duration.seconds(3))
      const { outcome } = yield* Fiber.join(fiber)
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 2, error: { reason: "Timeout" } })
      if (outcome._tag !== "Failed") return
      expect(outcome.error.argv).toContain(Guest.REPLACE)
      expect(outcome.error.message).not.toContain("the first step's words")
      expect(outcome.error.message).toContain("before any answer from smolvm")
    }))

  it.effect("a replace whose remove fails is Failed with the CLI's words, never a false Replaced", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      yield* provision(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b", Model.handler(state))
      state.removeFails = true
      const { outcome } = yield* provision(Plans.planOf({ url: "http://127.0.0.1:5000/" }), "b", Model.handler(state))
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 2, error: { reason: "NonZeroExit", exitCode: 1 } })
      // The step that failed, in its own words: not an "already exists" from a later add.
      if (outcome._tag === "Failed") {
        expect(outcome.error.stderr).toContain("Error: failed to write the config")
        expect(outcome.error.message).toContain(`${Guest.FAILED_MARK}claude mcp remove`)
        expect(outcome.error.stderr).not.toContain("already exists")
      }
      expect(state.files.get("/home/node/.claude.json")!.mcpServers["supervise"]!.url).toBe("http://127.0.0.1:4318/")
    }))

  it.effect.prop(
    "an unusable timeout is Failed before any exec, with a clear reason",
    [fc.constantFrom<Duration.DurationInput>(0, -5, Duration.infinity, Number.NaN, "0 millis")],
    ([timeout]) =>
      Effect.gen(function*() {
        const { calls, outcome } = yield* provision(
          Plans.planOf({ url: "http://127.0.0.1:4318/" }),
          "b",
          () => Effect.die("no exec"),
          { timeout }
        )
        expect(calls).toHaveLength(0)
        expect(outcome).toMatchObject({ _tag: "Failed", execs: 0, error: { reason: "InvalidRequest" } })
        if (outcome._tag === "Failed") expect(outcome.error.message).toContain("timeout must be a finite duration")
      })
  )

  it.effect("a guest whose own first stderr line is `Error: ... connection refused` is not retried", () =>
    Effect.gen(function*() {
      const { calls, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () => Effect.succeed({ exitCode: 1, stderr: "Error: connect ECONNREFUSED 127.0.0.1:5432\n" }),
        { retry: Schedule.recurs(5) }
      )
      expect(calls).toHaveLength(1)
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "SmolvmError" } })
    }))

  it.effect("'already exists' with no entry where the plan says the config is: Failed, not a Replaced every relaunch", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      // The CLI wrote to another file (an inherited CLAUDE_CONFIG_DIR, say); the planned one has no entry.
      state.files.set("/elsewhere/.claude.json", { other: {}, mcpServers: { supervise: { type: "http", url: "x" } } })
      state.files.set("/home/node/.claude.json", { other: { theme: "dark" }, mcpServers: {} })
      // The first step found no name in the planned file and ran add, which wrote elsewhere and said so.
      const { calls, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () =>
          Effect.succeed({
            exitCode: 0,
            stdout: `${Model.render(state.files.get("/home/node/.claude.json")!)}\n`,
            stderr:
              `${Guest.STEP_MARK}add\nMCP server supervise already exists in user config\n${Guest.STEP_MARK}read\n`
          })
      )
      expect(calls).toHaveLength(1)
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput" } })
      if (outcome._tag === "Failed") expect(outcome.error.message).toContain("has no such user-scope entry")
    }))

  it.effect("a config the CLI disagrees with names the file the guest read (a legacy .config.json), not the plan's", () =>
    Effect.gen(function*() {
      const legacy = "/home/node/.claude/.config.json"
      const { outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () =>
          Effect.succeed({
            exitCode: 0,
            stdout: "{}\n",
            stderr: `${alreadyThenRead}${Guest.READ_FILE_MARK}${legacy}\n`
          })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "UnexpectedOutput" } })
      if (outcome._tag !== "Failed") return
      expect(outcome.error.message).toContain(`${legacy} has no such user-scope entry`)
      expect(outcome.error.message).not.toContain("/home/node/.claude.json")
    }))

  it.effect("a file name on the read's stderr that the script cannot have picked is never shown (a guest's credential line)", () =>
    Effect.gen(function*() {
      const token = "tok_SECRETSECRETSECRET"
      const { logs, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/", token }),
        "b",
        () =>
          Effect.succeed({
            exitCode: 0,
            stdout: "{}\n",
            stderr: `${alreadyThenRead}${Guest.READ_FILE_MARK}/x Authorization: Bearer ${token}\n`
          })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput" } })
      if (outcome._tag !== "Failed") return
      expect(outcome.error.message).toContain("/home/node/.claude.json has no such user-scope entry")
      expect(`${outcome.error.message}${JSON.stringify(logs)}`).not.toContain(token)
    }))

  it.effect("without a configDir, an inherited CLAUDE_CONFIG_DIR is unset for the CLI", () =>
    Effect.gen(function*() {
      const { calls } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        Model.handler(Model.makeState())
      )
      expect(Model.parseArgv(calls[0]!.argv).unset).toEqual(["CLAUDE_CONFIG_DIR"])
      const withDir = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/", configDir: "/cfg" }),
        "b",
        Model.handler(Model.makeState())
      )
      expect(Model.parseArgv(withDir.calls[0]!.argv).unset).toEqual([])
    }))

  it.effect("options.timeout bounds the whole provisioning, and the outcome says so", () =>
    Effect.gen(function*() {
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/" })
      const fiber = yield* provision(plan, "b", () => Effect.never, { timeout: Duration.seconds(5) }).pipe(Effect.fork)
      yield* TestClock.adjust(Duration.seconds(5))
      const { outcome } = yield* Fiber.join(fiber)
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "Timeout" } })
    }))

  const defaults: ReadonlyArray<
    readonly [
      string,
      (plan: SmolmachinesBottlePlan, target: string) => Effect.Effect<unknown, unknown, Sandbox.Sandbox>,
      number
    ]
  > = [
    ["provisionSupervise", (plan, target) => ProvisionSupervise.provisionSupervise(plan, target), 60_000],
    ["verifySupervise", (plan, target) => ProvisionSupervise.verifySupervise(plan, target), 90_000]
  ]
  for (const [name, operation, ms] of defaults) {
    it.effect(`${name} without options.timeout has ${ms / 1000} s: not a moment less, and smolvm is told so`, () =>
      Effect.gen(function*() {
        const fake = yield* Smolvm.makeTest(() => Effect.never)
        const fiber = yield* operation(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b").pipe(
          Effect.provide(fake.layer),
          Effect.fork
        )
        yield* TestClock.adjust(Duration.millis(ms - 1))
        expect(yield* Fiber.poll(fiber)).toEqual(Option.none())
        yield* TestClock.adjust(Duration.millis(1))
        expect(yield* Fiber.join(fiber)).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "Timeout" } })
        const [first] = yield* fake.calls
        expect(first?.options.timeout).toEqual(Duration.millis(ms))
      }))
  }

  it.effect("an add that fails with some other 'already exists' (EEXIST on a write) is Failed with its words, not reconciled", () =>
    Effect.gen(function*() {
      const eexist = "Failed to save config: EEXIST: file already exists, mkdir '/home/node/.claude'\n"
      const { calls, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () => Effect.succeed({ exitCode: 1, stderr: eexist })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "NonZeroExit", exitCode: 1 } })
      expect(calls).toHaveLength(1)
      if (outcome._tag === "Failed") expect(outcome.error.message).toContain("EEXIST")
    }))

  it.effect("each exec gets what is left of the deadline, so no guest command outlives the call", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/" })
      yield* provision(plan, "b", Model.handler(state))
      // The relaunch's first step takes 1.5 s to find another URL; the replace then has 1.5 s left of 3.
      const slowFirst: Smolvm.FakeHandler = (call) =>
        call.argv.includes(Guest.REPLACE)
          ? Model.handler(state)(call)
          : Effect.zipRight(Effect.sleep(Duration.millis(1500)), Model.handler(state)(call))
      const moved = Plans.planOf({ url: "http://127.0.0.1:5000/" })
      const fiber = yield* provision(moved, "b", slowFirst, { timeout: Duration.seconds(3) }).pipe(Effect.fork)
      yield* TestClock.adjust(Duration.seconds(2))
      const { calls, outcome } = yield* Fiber.join(fiber)
      expect(outcome).toMatchObject({ _tag: "Replaced", execs: 2 })
      expect(calls.map((call) => call.options.timeout)).toEqual([Duration.millis(3000), Duration.millis(1500)])
    }))

  it.live("a transient 'is not running' is retried and then succeeds", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      let answered = 0
      const { outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        (call) => answered++ < 2 ? Effect.succeed({ exitCode: 1, stderr: NOT_RUNNING }) : Model.handler(state)(call),
        { retry: fastRetry }
      )
      expect(outcome).toMatchObject({ _tag: "Registered", execs: 3 })
    }))

  it.live("retries give up at the deadline and keep smolvm's last words", () =>
    Effect.gen(function*() {
      const { logs, outcome } = yield* provision(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        "b",
        () => Effect.succeed({ exitCode: 1, stderr: NOT_RUNNING }),
        { retry: Schedule.spaced(Duration.millis(20)), timeout: Duration.millis(300) }
      )
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "Timeout" } })
      if (outcome._tag !== "Failed") return
      expect(outcome.execs).toBeGreaterThan(2)
      expect(outcome.error.message).toContain("is not running")
      expect(logs.find((l) => l.level === "WARN")?.message).toContain("is not running")
    }))

  it.effect.prop(
    "guest exit codes and unknown machines are not retried",
    [fc.oneof(
      fc.integer({ min: 1, max: 255 }).map((exitCode) => ({ exitCode, stderr: "boom" })),
      fc.constant({ exitCode: 1, stderr: "Error: vm not found: b" })
    )],
    ([reply]) =>
      Effect.gen(function*() {
        const { calls, outcome } = yield* provision(
          Plans.planOf({ url: "http://127.0.0.1:4318/" }),
          "b",
          () => Effect.succeed(reply),
          { retry: Schedule.recurs(5) }
        )
        expect(outcome._tag).toBe("Failed")
        expect(calls).toHaveLength(1)
      })
  )

  it.effect("a missing smolvm binary fails the effect: no bottle can be provisioned", () =>
    Effect.gen(function*() {
      const missing = new Smolvm.SmolvmNotFound({ binary: "smolvm", reason: "NotFound", detail: "spawn smolvm ENOENT" })
      const result = yield* provision(Plans.planOf({ url: "http://127.0.0.1:4318/" }), "b", () => Effect.fail(missing))
        .pipe(Effect.flip)
      expect(result._tag).toBe("ClientNotFound")
      expect(result.message).toBe(missing.message)
    }))

  it.live("the bottle's lock holds across separately built Smolvm services", () =>
    Effect.gen(function*() {
      const { handler, most } = overlapCounting(Model.handler(Model.makeState()))
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/" })
      // Each call builds its own layer, as a launcher providing at each call site would.
      const outcomes = yield* Effect.all(
        Array.from({ length: 4 }, () =>
          ProvisionSupervise.provisionSupervise(plan, "shared").pipe(Effect.provide(Smolvm.layerTest(handler)))),
        { concurrency: "unbounded" }
      )
      expect(most()).toBe(1)
      expect(
        outcomes.map((o) =>
          o._tag
        ).sort()
      ).toEqual(["Registered", "Unchanged", "Unchanged", "Unchanged"])
    }))

  it.live("concurrent provisions of one bottle run one after another; exactly one registers", () =>
    Effect.gen(function*() {
      const { handler, most } = overlapCounting(Model.handler(Model.makeState()))
      const fake = yield* Smolvm.makeTest(handler)
      const plan = Plans.planOf({ url: "http://127.0.0.1:4318/" })
      const outcomes = yield* Effect.all(
        Array.from({ length: 6 }, () => ProvisionSupervise.provisionSupervise(plan, "same")),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(fake.layer))
      expect(most()).toBe(1)
      expect(outcomes.map((o) => o._tag).sort()).toEqual(["Registered", ...Array(5).fill("Unchanged")])
    }))
})

describe("manualHint", () => {
  const dir = mkdtempSync(join(tmpdir(), "hint-"))
  const record = join(dir, "calls")
  // A stand-in `claude` that records its argv and CLAUDE_CONFIG_DIR, one JSON line per call.
  writeFileSync(
    join(dir, "claude"),
    `#!/usr/bin/env node\nrequire("fs").appendFileSync(${
      JSON.stringify(record)
    }, JSON.stringify({ argv: process.argv.slice(2), dir: process.env.CLAUDE_CONFIG_DIR ?? null }) + "\\n")\n`
  )
  chmodSync(join(dir, "claude"), 0o755)

  it.prop(
    "pasted into a real sh, the hint runs exactly the intended claude commands",
    {
      url: Plans.agentUrl,
      serverName: Plans.serverName,
      token: fc.option(Plans.token, { nil: undefined }),
      configDir: fc.option(Plans.absolutePath, { nil: undefined })
    },
    ({ configDir, serverName, token, url }) => {
      const plan = Plans.planOf({ url, serverName, token, configDir })
      const hint = ProvisionSupervise.manualHint(plan.agent, plan.supervisePlan!)
      rmSync(record, { force: true })
      const env: Record<string, string> = { PATH: `${dir}:${process.env["PATH"]}` }
      if (token !== undefined) env[Guest.HINT_TOKEN_VAR] = token
      const run = spawnSync("sh", ["-c", hint], { env, encoding: "utf8" })
      expect(run.status).toBe(0)
      const calls = readFileSync(record, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      expect(calls).toEqual([
        { argv: ["mcp", "remove", "--scope", "user", serverName], dir: configDir ?? null },
        {
          argv: [
            "mcp",
            "add",
            "--scope",
            "user",
            "--transport",
            "http",
            serverName,
            plan.supervisePlan!.agentUrl,
            ...(token === undefined ? [] : ["--header", `Authorization: Bearer ${token}`])
          ],
          dir: configDir ?? null
        }
      ])
      if (token !== undefined) expect(hint).not.toContain(token)
    },
    { fastCheck: { numRuns: 40 } }
  )
})
