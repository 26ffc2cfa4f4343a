import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { agentOf } from "../../src/internal/agents/registry.js"
import * as Guest from "../../src/internal/guest.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { cleanupAfterEach, makeGuest, runBin, show, STUB, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

type Guest = ReturnType<typeof makeGuest>
const guest = (): Guest => {
  const g = makeGuest()
  defer(g.cleanup)
  return g
}

const URL_A = "http://127.0.0.1:4318/"
const URL_B = "http://127.0.0.1:4319/"
const TOKEN = "tok-Zq8!S3cr3t-value"

const plan = (machine: string, url: string, ...more: Array<string>) => ["--machine", machine, "--url", url, ...more]

/** The single line of JSON on stdout, decoded with the library's outcome schema. */
const provisionJson = (stdout: string) => {
  const lines = stdout.split("\n").filter((l) => l !== "")
  expect(lines).toHaveLength(1)
  return Schema.decodeUnknownSync(ProvisionSupervise.ProvisionOutcome)(JSON.parse(lines[0] ?? ""))
}
const verifyJson = (stdout: string) => {
  const lines = stdout.split("\n").filter((l) => l !== "")
  expect(lines).toHaveLength(1)
  return Schema.decodeUnknownSync(ProvisionSupervise.VerifyOutcome)(JSON.parse(lines[0] ?? ""))
}

describe("provision", () => {
  it("Registered, Unchanged, Replaced: exit 0, with 1, 1 and 2 execs", async () => {
    const g = guest()
    const first = await runBin(built.path, ["provision", ...plan("bottle-1", URL_A)], g.env)
    expect(first).toMatchObject({ code: 0 })
    expect(first.stdout).toBe(`Registered: supervise → ${URL_A} in bottle-1 (1 exec)\n`)
    expect(first.stderr).toContain("bottle-supervise[bottle-1] info: supervise MCP server registered on bottle-1")

    const again = await runBin(built.path, ["provision", ...plan("bottle-1", URL_A), "--json"], g.env)
    expect(again.code).toBe(0)
    expect(provisionJson(again.stdout)).toMatchObject({ _tag: "Unchanged", execs: 1, target: "bottle-1" })

    const moved = await runBin(built.path, ["provision", ...plan("bottle-1", URL_B), "--json"], g.env)
    expect(moved.code).toBe(0)
    expect(provisionJson(moved.stdout)).toMatchObject({
      _tag: "Replaced",
      execs: 2,
      previousUrl: URL_A,
      url: URL_B,
      changed: ["url"]
    })
    expect(g.config("bottle-1")).toContain(URL_B)
    expect(g.calls()).toHaveLength(4)
  })

  it("Failed: exit 1, the reason and the manual hint; --json carries the typed error", async () => {
    const g = guest()
    const env = { ...g.env, STUB_SMOLVM_EXIT: "1", STUB_SMOLVM_STDERR: "Error: vm not found: bottle-9" }
    const text = await runBin(built.path, ["provision", ...plan("bottle-9", URL_A)], env)
    expect(text.code).toBe(Cli.ExitCode.NotOk)
    expect(text.stdout).toContain(`Failed: smolvm has no machine named "bottle-9"`)
    expect(text.stdout).toContain("claude mcp add --scope user --transport http supervise http://127.0.0.1:4318/")
    expect(text.stderr).toContain("warning:")

    const json = await runBin(built.path, ["provision", ...plan("bottle-9", URL_A), "--json"], env)
    expect(json.code).toBe(1)
    const outcome = provisionJson(json.stdout)
    expect(outcome._tag).toBe("Failed")
    if (outcome._tag === "Failed") expect(outcome.error.reason).toBe("MachineNotFound")
  })

  it("a missing smolvm binary: a clear message, exit 3", async () => {
    const g = guest()
    const run = await runBin(built.path, ["provision", ...plan("bottle-1", URL_A)], {
      ...g.env,
      SMOLVM_BIN: "/nonexistent/smolvm"
    })
    expect(run.code).toBe(Cli.ExitCode.SmolvmNotFound)
    expect(run.stderr).toContain(
      `bottle-supervise: the smolvm binary "/nonexistent/smolvm" was not found; set SMOLVM_BIN to the path of smolvm`
    )
    expect(run.stdout).toBe("")
  })

  it("--server-name, --user, --home and --config-dir reach the guest command", async () => {
    const g = guest()
    const run = await runBin(built.path, [
      "provision",
      ...plan(
        "bottle-2",
        URL_A,
        "--server-name",
        "sup_2",
        "--user",
        "agent",
        "--home",
        "/srv/agent",
        "--config-dir",
        "/srv/cfg"
      )
    ], g.env)
    expect(run.code).toBe(0)
    const [call] = g.calls()
    expect(call?.argv).toContain("agent")
    expect(call?.argv).toContain("HOME=/srv/agent")
    expect(call?.argv).toContain("CLAUDE_CONFIG_DIR=/srv/cfg")
    expect(call?.argv.slice(-3)).toEqual(["sup_2", URL_A, String(4 * 1024 * 1024)])
    expect(g.config("bottle-2")).toContain(`"sup_2"`)
  })
})

describe("verify", () => {
  it("Connected exit 0; Unreachable and NotRegistered exit 1", async () => {
    const g = guest()
    const none = await runBin(built.path, ["verify", ...plan("bottle-3", URL_A), "--json"], g.env)
    expect(none.code).toBe(1)
    expect(verifyJson(none.stdout)).toMatchObject({ _tag: "NotRegistered", execs: 1 })

    expect((await runBin(built.path, ["provision", ...plan("bottle-3", URL_A)], g.env)).code).toBe(0)
    const ok = await runBin(built.path, ["verify", ...plan("bottle-3", URL_A)], g.env)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toBe(`Connected: the agent in bottle-3 reaches supervise at ${URL_A}\n`)

    const refused = await runBin(built.path, ["verify", ...plan("bottle-3", URL_A), "--json"], {
      ...g.env,
      STUB_SMOLVM_GET: "refused"
    })
    expect(refused.code).toBe(1)
    expect(verifyJson(refused.stdout)).toMatchObject({ _tag: "Unreachable", registeredUrl: URL_A })
    expect(refused.stdout).toContain("ECONNREFUSED")
    const refusedText = await runBin(built.path, ["verify", ...plan("bottle-3", URL_A)], {
      ...g.env,
      STUB_SMOLVM_GET: "refused"
    })
    expect(refusedText.code).toBe(1)
    expect(refusedText.stdout).toBe(
      `Unreachable: the agent in bottle-3 cannot use supervise (registered as ${URL_A}): ` +
        "ECONNREFUSED: Unable to connect. Is the computer able to access the url?\n"
    )
  })

  it("an entry under another URL: Unreachable, exit 1, saying so", async () => {
    const g = guest()
    expect((await runBin(built.path, ["provision", ...plan("bottle-10", URL_A)], g.env)).code).toBe(0)
    const run = await runBin(built.path, ["verify", ...plan("bottle-10", URL_B)], g.env)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe(
      `Unreachable: the agent in bottle-10 cannot use supervise (registered as ${URL_A}): ` +
        `the agent's config points at ${URL_A}, not ${URL_B}: provision again\n`
    )
  })

  it("Failed: exit 1", async () => {
    const g = guest()
    const run = await runBin(built.path, ["verify", ...plan("bottle-4", URL_A), "--json"], {
      ...g.env,
      STUB_SMOLVM_EXIT: "1",
      STUB_SMOLVM_STDERR:
        "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)"
    })
    expect(run.code).toBe(1)
    expect(verifyJson(run.stdout)).toMatchObject({ _tag: "Failed", error: { reason: "GuestCommandNotFound" } })
  })
})

describe.concurrent("plan and usage errors: exit 2 with a readable message, nothing run", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, Record<string, string>, string]> = [
    ["bad URL scheme", plan("bottle-1", "ftp://127.0.0.1:4318/"), {}, "--url: must use http or https"],
    ["URL with credentials", plan("bottle-1", "http://u:p@127.0.0.1:4318/"), {}, "--url: must not carry credentials"],
    ["URL port 0", plan("bottle-1", "http://127.0.0.1:0/"), {}, "--url: must have a port between 1 and 65535"],
    ["machine name with --", plan("bad--name", URL_A), {}, `--machine: must not contain "--"`],
    ["machine name with a slash", plan("a/b", URL_A), {}, "--machine: may only contain ASCII letters"],
    ["user", plan("bottle-1", URL_A, "--user", "Root"), {}, "--user: user must be a POSIX user name"],
    ["relative home", plan("bottle-1", URL_A, "--home", "home/node"), {}, "--home: must be an absolute path"],
    [
      "config dir with ..",
      plan("bottle-1", URL_A, "--config-dir", "/a/../b"),
      {},
      "--config-dir: must not contain . or .."
    ],
    ["server name", plan("bottle-1", URL_A, "--server-name", "a b"), {}, "--server-name: server name must be"],
    [
      "unknown agent",
      plan("bottle-1", URL_A, "--agent", "cursor"),
      {},
      "--agent: agent kind must be one of claude-code, codex, gemini, copilot"
    ],
    ["timeout", plan("bottle-1", URL_A, "--timeout", "soon"), {}, `--timeout: "soon" is not a duration`],
    [
      "unset token variable",
      plan("bottle-1", URL_A, "--token-env", "NO_SUCH_VAR"),
      {},
      "--token-env: the environment variable NO_SUCH_VAR is not set"
    ],
    [
      "empty token variable",
      plan("bottle-1", URL_A, "--token-env", "EMPTY_TOKEN"),
      { EMPTY_TOKEN: "" },
      "--token-env: the environment variable EMPTY_TOKEN is empty"
    ],
    [
      "token with a space",
      plan("bottle-1", URL_A, "--token-env", "SPACED"),
      { SPACED: "a b" },
      "the token in --token-env: token must be 1 to 4096 visible ASCII characters"
    ],
    [
      "bad variable name",
      plan("bottle-1", URL_A, "--token-env", "1X"),
      {},
      `--token-env: "1X" is not an environment variable name`
    ],
    ["missing --machine", ["--url", URL_A], {}, "Expected to find option: '--machine'"],
    ["unknown flag", [...plan("bottle-1", URL_A), "--force"], {}, "Received unknown argument: '--force'"]
  ]
  for (const command of ["provision", "verify"]) {
    for (const [name, args, env, message] of cases) {
      it(`${command}: ${name}`, async () => {
        // Concurrent tests: each cleans up its own guest.
        const g = makeGuest()
        try {
          const run = await runBin(built.path, [command, ...args], { ...g.env, ...env })
          expect(run.code).toBe(Cli.ExitCode.Usage)
          expect(run.stderr).toContain(message)
          expect(run.stderr).not.toContain("or absent")
          expect(run.stdout).toBe("")
          expect(g.calls()).toHaveLength(0)
        } finally {
          g.cleanup()
        }
      })
    }
  }

  it("lists every problem at once", async () => {
    const run = await runBin(built.path, ["provision", ...plan("-x", "nope", "--user", "A", "--timeout", "0s")])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("bottle-supervise: invalid plan:")
    for (const flag of ["--machine:", "--url:", "--user:", "--timeout:"]) expect(run.stderr).toContain(flag)
    expect(run.stderr).not.toContain("Expected undefined")
  })
})

/** The library's own step list for the plan the CLI builds from `--url`. */
const libraryPlan = (url: string) => Effect.runSync(SupervisePlan.decode({ supervisePlan: { agentUrl: url } }))

const DryRunJson = Schema.Struct({
  _tag: Schema.Literal("DryRun"),
  command: Schema.Literal("provision", "verify"),
  steps: Schema.Array(Schema.Struct({
    name: Schema.String,
    when: Schema.String,
    argv: Schema.Array(Schema.String),
    hostEnv: Schema.Record({ key: Schema.String, value: Schema.String }),
    commandLine: Schema.String
  }))
})

describe("--dry-run", () => {
  it("provision prints the three possible smolvm command lines and runs nothing", async () => {
    const g = guest()
    const run = await runBin(built.path, [
      "provision",
      ...plan("bottle-5", URL_A, "--token-env", "SUP_TOKEN", "--dry-run")
    ], {
      ...g.env,
      SUP_TOKEN: TOKEN
    })
    expect(run.code, show(run)).toBe(0)
    expect(g.calls()).toHaveLength(0)
    expect(g.config("bottle-5")).toBeUndefined()
    const lines = run.stdout.split("\n")
    expect(lines[0]).toBe("# bottle-supervise provision --dry-run: nothing was run. It would run:")
    expect(lines.filter((l) => /^# \d\. /.test(l)).map((l) => l.replace(/:.*/, ""))).toEqual([
      "# 1. ensure",
      "# 2. read",
      "# 3. replace"
    ])
    // Steps 2 and 3 run only on a condition: they are there, commented out.
    expect(lines.filter((l) => l.startsWith("RUST_LOG=off"))).toHaveLength(1)
    const commands = lines.filter((l) => /^(# )?RUST_LOG=off/.test(l)).map((l) => l.replace(/^# /, ""))
    expect(commands).toHaveLength(3)
    // The token is a reference to its variable, in the header the guest compares against too.
    expect(commands[0]).toBe(
      `RUST_LOG=off SMOLVM_LOG_FORMAT=text BOTTLE_SUPERVISE_SECRET_0="$SUP_TOKEN" ` +
        `BOTTLE_SUPERVISE_SECRET_1="\\"Bearer $SUP_TOKEN\\"" ${STUB} machine exec --name bottle-5 ` +
        `--secret-env BOTTLE_SUPERVISE_TOKEN=BOTTLE_SUPERVISE_SECRET_0 ` +
        `--secret-env BOTTLE_SUPERVISE_HEADER=BOTTLE_SUPERVISE_SECRET_1 --timeout 60000ms -- sh -c 'u="$1"; shift`
    )
    expect(run.stdout).not.toContain(TOKEN)
    expect(run.stderr).not.toContain(TOKEN)
  })

  for (const command of ["provision", "verify"] as const) {
    it(`${command} lists the library's own steps, each run as the agent user`, async () => {
      const run = await runBin(built.path, [command, ...plan("bottle-5", URL_A, "--dry-run", "--json")])
      expect(run.code, show(run)).toBe(0)
      const { steps } = Schema.decodeUnknownSync(DryRunJson)(JSON.parse(run.stdout))
      const p = libraryPlan(URL_A)
      const supervise = p.supervisePlan
      if (supervise === undefined) throw new Error("no supervise plan")
      const library = command === "provision"
        ? Guest.provisionSteps(p.agent, supervise)
        : Guest.verifySteps(p.agent, supervise)
      expect(steps.map((s) => [s.name, s.when])).toEqual(library.map((s) => [s.name, s.when]))
      steps.forEach((step, i) => {
        const argv = library[i]?.argv ?? []
        expect(step.argv.slice(-argv.length)).toEqual(argv)
        // Wrapped to run as the agent: smolvm has no user flag.
        expect(step.argv.slice(-argv.length - 2, -argv.length)).toEqual(["bottle-supervise", "node"])
      })
    })
  }

  for (const kind of ["codex", "gemini", "copilot"] as const) {
    it(`--agent ${kind}: the dry run lists that agent's own steps, with its CLI and its config directory`, async () => {
      const run = await runBin(built.path, [
        "provision",
        ...plan("bottle-5", URL_A, "--agent", kind, "--config-dir", "/srv/cfg", "--dry-run", "--json")
      ])
      expect(run.code, show(run)).toBe(0)
      const { steps } = Schema.decodeUnknownSync(DryRunJson)(JSON.parse(run.stdout))
      const p = SupervisePlan.SmolmachinesBottlePlan.make({
        supervisePlan: SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make(URL_A) }),
        agent: SupervisePlan.makeAgentPlan({ kind, configDir: SupervisePlan.AbsolutePath.make("/srv/cfg") })
      })
      const supervise = p.supervisePlan
      if (supervise === undefined) throw new Error("no supervise plan")
      const library = agentOf(kind).provisionSteps(p.agent, supervise)
      expect(steps.map((s) => s.name)).toEqual(["ensure", "replace"])
      expect(steps.map((s) => s.when)).toEqual(library.map((s) => s.when))
      const variable = { codex: "CODEX_HOME", gemini: "GEMINI_CLI_HOME", copilot: "COPILOT_HOME" }[kind]
      for (const step of steps) expect(step.argv).toContain(`${variable}=/srv/cfg`)
      expect(steps[0]?.when).toContain(`${kind} mcp`)
    })
  }

  it("the printed command line is the one the CLI runs", async () => {
    const g = guest()
    const env = { ...g.env, SUP_TOKEN: TOKEN }
    const dry = await runBin(built.path, [
      "provision",
      ...plan("bottle-6", URL_A, "--token-env", "SUP_TOKEN", "--dry-run", "--json")
    ], env)
    expect(dry.code, show(dry)).toBe(0)
    const steps = Schema.decodeUnknownSync(DryRunJson)(JSON.parse(dry.stdout)).steps
    expect(steps).toHaveLength(3)
    expect(steps[0]?.hostEnv).toEqual({
      RUST_LOG: "off",
      SMOLVM_LOG_FORMAT: "text",
      BOTTLE_SUPERVISE_SECRET_0: "$SUP_TOKEN",
      BOTTLE_SUPERVISE_SECRET_1: `"Bearer $SUP_TOKEN"`
    })

    const real = await runBin(built.path, ["provision", ...plan("bottle-6", URL_A, "--token-env", "SUP_TOKEN")], env)
    expect(real.code, show(real)).toBe(0)
    const [call] = g.calls()
    // The live run gives each exec what is left of the deadline: only the --timeout value differs.
    const withoutTimeout = (argv: ReadonlyArray<string>) => argv.map((a, i) => argv[i - 1] === "--timeout" ? "T" : a)
    expect(withoutTimeout(call?.argv ?? [])).toEqual(withoutTimeout(steps[0]?.argv.slice(1) ?? []))
  })

  it("verify prints one command line; the smolvm binary need not exist", async () => {
    const g = guest()
    const run = await runBin(built.path, ["verify", ...plan("bottle-7", URL_A, "--timeout", "1m30s", "--dry-run")], {
      ...g.env,
      SMOLVM_BIN: "/opt/smolvm/bin/smolvm"
    })
    expect(run.code, show(run)).toBe(0)
    const commands = run.stdout.split("\n").filter((l) => l.startsWith("RUST_LOG=off"))
    expect(commands).toEqual([
      expect.stringMatching(
        /^RUST_LOG=off SMOLVM_LOG_FORMAT=text \/opt\/smolvm\/bin\/smolvm machine exec --name bottle-7 --timeout 90000ms -- sh -c /
      )
    ])
    expect(run.stdout).toMatch(/' bottle-supervise supervise\n$/)
  })
})

describe("the token", () => {
  it("never reaches stdout, stderr or the stub's argv; it is in the stub's env under the secret host variable", async () => {
    const g = guest()
    const env = { ...g.env, SUP_TOKEN: TOKEN }
    const withToken = (...more: Array<string>) => plan("bottle-8", URL_A, "--token-env", "SUP_TOKEN", ...more)
    const runs = [
      await runBin(built.path, ["provision", ...withToken()], env),
      await runBin(built.path, ["provision", ...withToken("--json")], env),
      await runBin(built.path, ["provision", ...plan("bottle-8", URL_B, "--token-env", "SUP_TOKEN", "--json")], env),
      // `claude mcp get` prints the stored header in clear: the CLI must not pass it on.
      await runBin(built.path, ["verify", ...plan("bottle-8", URL_B, "--token-env", "SUP_TOKEN")], env),
      await runBin(built.path, ["verify", ...plan("bottle-8", URL_B, "--token-env", "SUP_TOKEN", "--json")], {
        ...env,
        STUB_SMOLVM_GET: "refused"
      }),
      await runBin(built.path, ["provision", ...withToken("--dry-run")], env),
      // A guest that echoes the token back in an error.
      await runBin(built.path, ["provision", ...withToken("--json")], {
        ...env,
        STUB_SMOLVM_EXIT: "1",
        STUB_SMOLVM_STDERR: `claude: bad header Authorization: Bearer ${TOKEN}`
      })
    ]
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 1, 0, 1])
    for (const run of runs) {
      expect(run.stdout).not.toContain(TOKEN)
      expect(run.stderr).not.toContain(TOKEN)
    }
    const calls = g.calls()
    expect(calls.length).toBeGreaterThanOrEqual(7)
    for (const call of calls) expect(call.argv.join(" ")).not.toContain(TOKEN)
    const secretCalls = calls.filter((c) => c.argv.includes("--secret-env"))
    expect(secretCalls.length).toBeGreaterThanOrEqual(4)
    for (const call of secretCalls) {
      expect(call.argv).toContain("BOTTLE_SUPERVISE_TOKEN=BOTTLE_SUPERVISE_SECRET_0")
      // The token, and the header text the guest compares the stored one with.
      expect(call.env).toBe(
        `BOTTLE_SUPERVISE_SECRET_0=${TOKEN}\nBOTTLE_SUPERVISE_SECRET_1=${JSON.stringify(`Bearer ${TOKEN}`)}\n`
      )
    }
    // What the guest stored is the real header, so the plumbing works end to end.
    expect(g.config("bottle-8")).toContain(`"Authorization":"Bearer ${TOKEN}"`)
  })
})
