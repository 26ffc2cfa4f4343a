/**
 * The end-to-end scenario for the other coding agents (Codex, Gemini CLI,
 * Copilot CLI), run once per agent and kind of guest: the library's live
 * backend layer drives a guest with the agent's real pinned CLI in it (the
 * smolvm stand-in finds them through `test/fixtures/agent-clis.mjs`; the
 * Docker images `bottle-supervise-test:agents-*` carry them), against the
 * reference supervise sidecar. What a launcher would notice: outcomes, exec
 * and CLI-start counts, the agent's file (owner, mode, other servers and keys
 * kept), verification, the manual hint, and the token nowhere it must not be.
 *
 * Every look at the guest goes through the same backend, as the agent user
 * (`exec --user`), so one scenario serves the stand-in and real containers.
 */
import { NodeContext } from "@effect/platform-node"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import * as Sidecar from "../../examples/supervise-sidecar.js"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { type ArgvSample, controlLine, hostControl, sampleHostArgv } from "../support/hostArgv.js"

/** The agents this scenario covers (Claude Code has its own, `scenario.ts`). */
export type OtherAgent = "codex" | "gemini" | "copilot"

export const OTHER_AGENTS: ReadonlyArray<OtherAgent> = ["codex", "gemini", "copilot"]

const AGENT_CLIS_JS: string = fileURLToPath(new URL("../fixtures/agent-clis.mjs", import.meta.url))

/** Why the agents' pinned CLIs are not there for the guests, or undefined when they are. */
export const agentClisProblem = (): string | undefined => {
  try {
    execFileSync(process.execPath, [AGENT_CLIS_JS, "plan"], { stdio: "ignore", timeout: 20_000 })
    return undefined
  } catch {
    return "the pinned codex, gemini and copilot CLIs are not installed in node_modules (npm ci)"
  }
}

/** A guest as this scenario sees it. */
export interface AgentGuest {
  /** The target the library is given. */
  readonly name: string
  /** The agent user and its uid as the guest knows it. */
  readonly user: string
  readonly agentUid: number
  /** The agent's home, as the guest names it. */
  readonly home: string
  readonly layer: Layer.Layer<Sandbox.Sandbox, never, CommandExecutor.CommandExecutor>
  /** Every client command line so far, when the client records them (the stand-in's argv log). */
  readonly commandLines: Effect.Effect<ReadonlyArray<ReadonlyArray<string>>> | undefined
  /** Set when the guest runs in a container: a substring of its docker client's command line (the host is sampled). */
  readonly container: string | undefined
}

/** What an agent's file holds for a server, read by the test (token in clear: never shown). */
interface StoredEntry {
  readonly url: string | undefined
  readonly authorization: string | undefined
}

/** What differs between the agents, as the scenario checks them. */
interface AgentFacts {
  readonly checkedBy: "connection" | "entry-and-probe"
  /** CLI starts of a replace. */
  readonly replaceStarts: number
  /** A config the user had before: another server, keys of their own (and a comment where the format has them). */
  readonly seed: string
  /** The server `name` as the file stores it. */
  readonly entry: (text: string, name: string) => StoredEntry | undefined
  /** Checks that what `seed` put there is still there. */
  readonly expectSeedKept: (text: string) => void
}

const OTHER_URL = "http://127.0.0.1:9/other"

/** `[table]` headers and their `key = value` lines, values as written (enough for the files Codex writes). */
const tomlTables = (text: string): Record<string, Record<string, string>> => {
  const tables: Record<string, Record<string, string>> = { "": {} }
  let current = ""
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header !== null) {
      current = (header[1] ?? "").replace(/\s*\.\s*/g, ".").replace(/"/g, "")
      tables[current] ??= {}
      continue
    }
    const at = line.indexOf("=")
    if (at > 0) (tables[current] ??= {})[line.slice(0, at).trim().replace(/"/g, "")] = line.slice(at + 1).trim()
  }
  return tables
}

const tomlString = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined
  const parsed: unknown = JSON.parse(raw)
  return typeof parsed === "string" ? parsed : undefined
}

/** JSON with `//` comments on lines of their own (Gemini CLI's settings). */
const parseJsonc = (text: string): Record<string, unknown> => JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""))

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}

const jsonEntry = (text: string, name: string): StoredEntry | undefined => {
  const servers = record(parseJsonc(text)["mcpServers"])
  if (!Object.hasOwn(servers, name)) return undefined
  const entry = record(servers[name])
  const authorization = record(entry["headers"])["Authorization"]
  return {
    url: typeof entry["url"] === "string" ? entry["url"] : undefined,
    authorization: typeof authorization === "string" ? authorization : undefined
  }
}

const COMMENT = "kept: a comment the user wrote"

export const AGENT_FACTS: Readonly<Record<OtherAgent, AgentFacts>> = {
  codex: {
    checkedBy: "entry-and-probe",
    replaceStarts: 1,
    seed: [
      `# ${COMMENT}`,
      `model = "gpt-5-codex"`,
      "",
      "[mcp_servers.other]",
      `url = "${OTHER_URL}"`,
      "",
      "[profiles.fast]",
      `model = "o4-mini"`,
      ""
    ].join("\n"),
    entry: (text, name) => {
      const tables = tomlTables(text)
      const entry = tables[`mcp_servers.${name}`]
      if (entry === undefined) return undefined
      return {
        url: tomlString(entry["url"]),
        authorization: tomlString(tables[`mcp_servers.${name}.http_headers`]?.["Authorization"])
      }
    },
    expectSeedKept: (text) => {
      const tables = tomlTables(text)
      expect(text).toContain(`# ${COMMENT}`)
      expect(tables[""]?.["model"]).toBe(`"gpt-5-codex"`)
      expect(tables["mcp_servers.other"]).toEqual({ url: `"${OTHER_URL}"` })
      expect(tables["profiles.fast"]).toEqual({ model: `"o4-mini"` })
    }
  },
  gemini: {
    checkedBy: "connection",
    replaceStarts: 1,
    seed: [
      "{",
      `  // ${COMMENT}`,
      `  "general": { "vimMode": true },`,
      `  "mcpServers": { "other": { "httpUrl": "${OTHER_URL}" } }`,
      "}",
      ""
    ].join("\n"),
    entry: jsonEntry,
    expectSeedKept: (text) => {
      expect(text).toContain(`// ${COMMENT}`)
      const config = parseJsonc(text)
      expect(config["general"]).toEqual({ vimMode: true })
      expect(record(config["mcpServers"])["other"]).toEqual({ httpUrl: OTHER_URL })
    }
  },
  copilot: {
    checkedBy: "entry-and-probe",
    replaceStarts: 1,
    seed: `${
      JSON.stringify(
        {
          mcpServers: { other: { type: "http", url: OTHER_URL, tools: ["*"] } },
          keptKey: { set: "by the user" }
        },
        null,
        2
      )
    }\n`,
    entry: jsonEntry,
    expectSeedKept: (text) => {
      const config = parseJsonc(text)
      expect(config["keptKey"]).toEqual({ set: "by the user" })
      expect(record(config["mcpServers"])["other"]).toEqual({ type: "http", url: OTHER_URL, tools: ["*"] })
    }
  }
}

interface FixtureShape {
  readonly kind: OtherAgent
  readonly guest: AgentGuest
  readonly token: string
  /** Another token, that no sidecar accepts. */
  readonly otherToken: string
  /** Where the sidecar first listens, and the same sidecar "restarted" on another port. */
  readonly sidecar: Sidecar.Sidecar
  readonly moved: Sidecar.Sidecar
  /** What the host's command lines showed during the sampled provisionings (container guests only), and the token. */
  readonly samples: Array<{ readonly needle: string; readonly sample: ArgvSample }>
}

class Fixture extends Context.Tag("e2e/AgentFixture")<Fixture, FixtureShape>() {}

const FixtureLive = <E>(kind: OtherAgent, makeGuest: Effect.Effect<AgentGuest, E, Scope.Scope>) =>
  Layer.scopedContext(Effect.gen(function*() {
    const token = `e2e-${kind}-token-${randomUUID()}`
    const otherToken = `e2e-${kind}-other-${randomUUID()}`
    const guest = yield* makeGuest
    const quiet = { token, log: () => {} }
    const sidecar = yield* Sidecar.scoped(quiet)
    const moved = yield* Sidecar.scoped(quiet)
    const backend = yield* Layer.build(guest.layer)
    return Context.add(backend, Fixture, { kind, guest, token, otherToken, sidecar, moved, samples: [] })
  })).pipe(Layer.provide(NodeContext.layer))

/** A guest's bounded wait: a loaded 2-core box, and CLIs that take seconds to start. */
const SLOW = { timeout: "120 seconds" } as const

const planFor = (url: string, options: { readonly token?: string; readonly configDir?: string } = {}) =>
  Effect.gen(function*() {
    const { guest, kind, token } = yield* Fixture
    return yield* SupervisePlan.decode({
      supervisePlan: { agentUrl: url, token: options.token ?? token },
      agent: {
        kind,
        user: guest.user,
        home: guest.home,
        ...(options.configDir === undefined ? {} : { configDir: options.configDir })
      }
    })
  })

/** Runs `argv` in the guest as the agent, in its home; a failure shows exit, signal and stderr. */
const asAgent = (argv: ReadonlyArray<string>, secretEnv?: Readonly<Record<string, Redacted.Redacted<string>>>) =>
  Effect.gen(function*() {
    const { guest } = yield* Fixture
    const sandbox = yield* Sandbox.Sandbox
    return yield* sandbox.exec(guest.name, ["env", `HOME=${guest.home}`, ...argv], {
      user: guest.user,
      workdir: guest.home,
      ...(secretEnv === undefined ? {} : { secretEnv }),
      ...SLOW
    }).pipe(
      Effect.catchAll((error) =>
        Effect.die(
          new Error(
            `${JSON.stringify(argv).slice(0, 300)} as ${guest.user} in ${guest.name} failed: ` +
              (error._tag === "ExecFailed"
                ? `${error.reason}, exit ${String(error.exitCode)}, signal ${String(error.signal)}; stderr: ${
                  error.stderr.slice(-3000)
                }; stdout: ${error.stdout.slice(-1000)}`
                : error.message)
          )
        )
      )
    )
  })

/** The agent's file: owner uid, mode and text; undefined when it does not exist. */
const readFile = (file: string) =>
  Effect.map(
    asAgent(["sh", "-c", `[ -e "$1" ] || exit 0; stat -c '%u %a' -- "$1" && cat -- "$1"`, "read", file]),
    (ran) => {
      if (ran.stdout === "") return undefined
      const at = ran.stdout.indexOf("\n")
      const [uid, mode] = ran.stdout.slice(0, at).split(" ")
      return { uid: Number(uid), mode, text: ran.stdout.slice(at + 1) }
    }
  )

/** The file exists, is the agent's own and private to it; returns its text. */
const expectAgentsOwn = (file: string) =>
  Effect.gen(function*() {
    const { guest } = yield* Fixture
    const found = yield* readFile(file)
    expect(found === undefined ? undefined : { uid: found.uid, mode: found.mode }, file).toEqual({
      uid: guest.agentUid,
      mode: "600"
    })
    return found?.text ?? ""
  })

const storedEntry = (file: string) =>
  Effect.gen(function*() {
    const { kind } = yield* Fixture
    return AGENT_FACTS[kind].entry(yield* expectAgentsOwn(file), "supervise")
  })

/**
 * Runs `self` with its logs captured and checks neither token is in them nor in the result. With `sample`, on a
 * container guest, the host's command lines are sampled meanwhile.
 */
const withoutTokens = <A, E, R>(self: Effect.Effect<A, E, R>, options: { readonly sample?: string } = {}) =>
  Effect.gen(function*() {
    const { guest, otherToken, samples, token } = yield* Fixture
    const captured = BottleLogger.capture(self)
    const needle = options.sample
    const [result, logs] = needle !== undefined && guest.container !== undefined
      ? yield* Effect.map(
        sampleHostArgv({ needle, client: guest.container }, Effect.zipLeft(captured, hostControl(needle))),
        ([ran, sample]) => {
          samples.push({ needle, sample })
          return ran
        }
      )
      : yield* captured
    for (const secret of [token, otherToken]) {
      for (const log of logs) expect(log.line).not.toContain(secret)
      expect(JSON.stringify(result)).not.toContain(secret)
    }
    return result
  })

const provision = (plan: SupervisePlan.SmolmachinesBottlePlan, options: { readonly sample?: string } = {}) =>
  Effect.gen(function*() {
    const { guest } = yield* Fixture
    return yield* withoutTokens(ProvisionSupervise.provisionSupervise(plan, guest.name, SLOW), options)
  })

const verify = (plan: SupervisePlan.SmolmachinesBottlePlan) =>
  Effect.gen(function*() {
    const { guest, kind } = yield* Fixture
    const outcome = yield* withoutTokens(ProvisionSupervise.verifySupervise(plan, guest.name, SLOW))
    if ("checkedBy" in outcome) expect(outcome.checkedBy).toBe(AGENT_FACTS[kind].checkedBy)
    return outcome
  })

const TEST_TIMEOUT = 300_000

/**
 * Registers the scenario for `kind` as the block `title`, against the guest `makeGuest` makes (once, for the
 * whole block). Steps run in order and build on each other.
 */
export const agentScenarioOn = <E>(
  kind: OtherAgent,
  title: string,
  makeGuest: Effect.Effect<AgentGuest, E, Scope.Scope>
): void =>
  layer(FixtureLive(kind, makeGuest), { excludeTestServices: true, timeout: "120 seconds" })(title, (it) => {
    const facts = AGENT_FACTS[kind]

    it.effect("verifySupervise on a fresh guest is NotRegistered", () =>
      Effect.gen(function*() {
        const { sidecar } = yield* Fixture
        const outcome = yield* verify(yield* planFor(sidecar.url))
        expect(outcome, JSON.stringify(outcome)).toMatchObject({ _tag: "NotRegistered" })
      }), TEST_TIMEOUT)

    it.effect(
      "a first provisioning is Registered (1 exec, 1 CLI start): the agent's own file, 0600, the user's servers and keys kept",
      () =>
        Effect.gen(function*() {
          const { sidecar, token } = yield* Fixture
          const plan = yield* planFor(sidecar.url)
          const file = plan.agent.configFile
          // What the user had before, written as the agent.
          yield* asAgent([
            "sh",
            "-c",
            `umask 077 && mkdir -p -- "$(dirname -- "$1")" && printf '%s' "$2" >"$1"`,
            "seed",
            file,
            facts.seed
          ])
          const outcome = yield* provision(plan, { sample: token })
          expect(outcome).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1 })
          expect(yield* storedEntry(file)).toEqual({ url: sidecar.url, authorization: `Bearer ${token}` })
          facts.expectSeedKept(yield* expectAgentsOwn(file))
        }),
      TEST_TIMEOUT
    )

    it.effect("the same plan again is Unchanged (1 exec, no CLI start), the file byte for byte as it was", () =>
      Effect.gen(function*() {
        const { sidecar } = yield* Fixture
        const plan = yield* planFor(sidecar.url)
        const before = yield* readFile(plan.agent.configFile)
        expect(yield* provision(plan)).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
        expect(yield* readFile(plan.agent.configFile)).toEqual(before)
      }), TEST_TIMEOUT)

    it.effect("verifySupervise is Connected while the sidecar runs", () =>
      Effect.gen(function*() {
        const { sidecar } = yield* Fixture
        expect(yield* verify(yield* planFor(sidecar.url))).toMatchObject({
          _tag: "Connected",
          registeredUrl: sidecar.url
        })
      }), TEST_TIMEOUT)

    it.effect(
      `the sidecar on a new port is Replaced (2 execs, ${facts.replaceStarts} CLI start(s)), then Unchanged`,
      () =>
        Effect.gen(function*() {
          const { moved, sidecar, token } = yield* Fixture
          const plan = yield* planFor(moved.url)
          expect(yield* provision(plan)).toMatchObject({
            _tag: "Replaced",
            execs: 2,
            cliStarts: facts.replaceStarts,
            changed: ["url"],
            previousUrl: sidecar.url
          })
          expect(yield* storedEntry(plan.agent.configFile)).toEqual({
            url: moved.url,
            authorization: `Bearer ${token}`
          })
          facts.expectSeedKept(yield* expectAgentsOwn(plan.agent.configFile))
          expect(yield* provision(plan)).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
        }),
      TEST_TIMEOUT
    )

    it.effect("verifySupervise of a plan whose URL is not the stored one is Unreachable: the config points at it", () =>
      Effect.gen(function*() {
        const { moved, sidecar } = yield* Fixture
        const outcome = yield* verify(yield* planFor(sidecar.url))
        expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: moved.url })
        if (outcome._tag === "Unreachable") {
          expect(outcome.reason).toContain(`points at ${moved.url}`)
        }
      }), TEST_TIMEOUT)

    it.effect(
      "a new token is Replaced (headers); verify is then Unreachable with the sidecar's refusal (it wants the old one)",
      () =>
        Effect.gen(function*() {
          const { moved, otherToken } = yield* Fixture
          const plan = yield* planFor(moved.url, { token: otherToken })
          expect(yield* provision(plan, { sample: otherToken })).toMatchObject({
            _tag: "Replaced",
            execs: 2,
            cliStarts: facts.replaceStarts,
            changed: ["headers"],
            previousUrl: moved.url
          })
          expect(yield* storedEntry(plan.agent.configFile)).toEqual({
            url: moved.url,
            authorization: `Bearer ${otherToken}`
          })
          const outcome = yield* verify(plan)
          expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: moved.url })
          if (outcome._tag === "Unreachable") {
            expect(outcome.reason).toMatch(
              facts.checkedBy === "connection" ? /gemini mcp list: Disconnected/ : /refused the token \(HTTP 401\)/
            )
          }
        }),
      TEST_TIMEOUT
    )

    it.effect(
      "the manual hint, pasted into sh as the agent with SUPERVISE_TOKEN set, registers what provisioning then finds Unchanged",
      () =>
        Effect.gen(function*() {
          const { sidecar, token } = yield* Fixture
          const plan = yield* planFor(sidecar.url)
          const supervise = plan.supervisePlan
          if (supervise === undefined) {
            return yield* Effect.die(new Error("the plan has no supervise part"))
          }
          const hint = ProvisionSupervise.manualHint(plan.agent, supervise)
          expect(hint).not.toContain(token)
          yield* asAgent(["sh", "-c", hint], { SUPERVISE_TOKEN: Redacted.make(token) })
          expect(yield* storedEntry(plan.agent.configFile)).toEqual({
            url: sidecar.url,
            authorization: `Bearer ${token}`
          })
          expect(yield* provision(plan)).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          expect(yield* verify(plan)).toMatchObject({ _tag: "Connected", registeredUrl: sidecar.url })
        }),
      TEST_TIMEOUT
    )

    it.effect("agent.configDir moves the file: Registered there (the agent's, 0600), Unchanged, Connected", () =>
      Effect.gen(function*() {
        const { guest, sidecar, token } = yield* Fixture
        const plan = yield* planFor(sidecar.url, { configDir: `${guest.home}/moved-config` })
        const file = plan.agent.configFile
        expect(file.startsWith(`${guest.home}/moved-config/`)).toBe(true)
        expect(yield* provision(plan)).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1 })
        expect(yield* storedEntry(file)).toEqual({ url: sidecar.url, authorization: `Bearer ${token}` })
        expect(yield* provision(plan)).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
        expect(yield* verify(plan)).toMatchObject({ _tag: "Connected", registeredUrl: sidecar.url })
      }), TEST_TIMEOUT)

    it.effect("verifySupervise is Unreachable once the sidecar stops", () =>
      Effect.gen(function*() {
        const { sidecar } = yield* Fixture
        yield* Effect.promise(() =>
          sidecar.close()
        )
        const outcome = yield* verify(yield* planFor(sidecar.url))
        expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: sidecar.url })
        if (outcome._tag === "Unreachable" && facts.checkedBy === "entry-and-probe") {
          expect(outcome.reason).toMatch(/ECONNREFUSED/)
        }
      }), TEST_TIMEOUT)

    it.effect("no token ever appeared on a host command line (it travels in the client's environment)", () =>
      Effect.gen(function*() {
        const { guest, otherToken, samples, token } = yield* Fixture
        expect(guest.commandLines !== undefined || guest.container !== undefined).toBe(true)
        if (guest.commandLines !== undefined) {
          const lines = yield* guest.commandLines
          expect(lines.length).toBeGreaterThanOrEqual(10)
          for (const line of lines) {
            expect(line.join(" ")).not.toContain(token)
            expect(line.join(" ")).not.toContain(otherToken)
          }
          expect(lines.some((line) =>
            line.includes("--secret-env")
          )).toBe(true)
        }
        if (guest.container !== undefined) {
          // The registration and the token's replace, each sampled while it ran.
          expect(samples).toHaveLength(2)
          // The sampler saw the token where it was put on purpose (so it would have seen it anywhere), and nowhere else.
          for (const { needle, sample } of samples) {
            expect(sample.hostHits).toEqual([controlLine(needle)])
          }
        }
      }), TEST_TIMEOUT)
  })
