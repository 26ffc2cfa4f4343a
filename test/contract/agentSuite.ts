/**
 * The contract of the testing kit's guests for Codex, Gemini CLI and Copilot
 * CLI, written once per agent and run against the kit's in-memory guest
 * (`fake.test.ts`) and, where their CLIs are installed, the real ones. The
 * Claude Code contract is `suite.ts`; this one has what differs by agent in
 * one table (`EXPECT`): the entry each CLI writes, what a replace costs, the
 * manual hint's command, how verification checks and what it says when the
 * sidecar is down.
 */
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import type * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as BottleLogger from "../../src/Logger.js"
import type * as Sandbox from "../../src/Sandbox.js"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import * as Testing from "../../src/Testing.js"
import { provision, verify } from "./suite.js"

/** An agent other than Claude Code. */
export type OtherAgent = Exclude<SupervisePlan.AgentKind, "claude-code">

/** Where a config file sits: the agent's default file, or under the plan's `configDir` (`<home>/.cfg`). */
export type AgentPlace = "home" | "configDir"

/** A guest, described the same way for every harness. */
export interface AgentGuestSpec {
  readonly execLandsAs: "root" | "agent"
  readonly machine?: "running" | "stopped" | "missing" | undefined
  readonly cli?: "installed" | "missing" | undefined
  /** Config files as JSON (Codex's TOML as its JSON equivalent). */
  readonly files?: Partial<Record<AgentPlace, Testing.ConfigJson>> | undefined
}

/** A guest made from an `AgentGuestSpec`. */
export interface AgentContractGuest {
  readonly target: string
  readonly layer: Layer.Layer<Sandbox.Sandbox>
  /** A plan for the guest's agent; `configDir` moves its config to the `configDir` place's directory. */
  readonly plan: (
    supervise: { readonly agentUrl: string; readonly token?: string | undefined; readonly user?: string | undefined },
    options?: { readonly configDir?: boolean | undefined }
  ) => Effect.Effect<SupervisePlan.SmolmachinesBottlePlan>
  /** The file at a place, parsed (Codex's TOML too), or `undefined` when it does not exist. */
  readonly read: (place: AgentPlace) => Effect.Effect<Testing.ConfigJson | undefined>
  readonly ownedByAgent: (place: AgentPlace) => Effect.Effect<boolean | undefined>
}

/** What a test runs against. */
export interface AgentHarnessShape {
  readonly name: string
  /** What the backend does by design decides some expectations (see ./suite.ts). */
  readonly backend: "smolvm" | "docker"
  readonly kind: OtherAgent
  readonly token: string
  readonly urls: { readonly up: string; readonly alsoUp: string; readonly down: string }
  readonly propertyRuns: number
  readonly guest: (spec: AgentGuestSpec) => Effect.Effect<AgentContractGuest, never, Scope.Scope>
}

/** The harness of an agent contract run. */
export class AgentHarness extends Context.Tag("contract/AgentHarness")<AgentHarness, AgentHarnessShape>() {}

const serversKey = (kind: OtherAgent) => (kind === "codex" ? "mcp_servers" : "mcpServers")

/** What differs by agent. */
export const EXPECT: Readonly<
  Record<OtherAgent, {
    /** The entry the CLI (and, for Codex, the library's header table) writes. */
    readonly entry: (url: string, token?: string) => Testing.ConfigJson
    readonly replaceStarts: number
    /** In the warning's manual hint. */
    readonly hint: string
    readonly checkedBy: "connection" | "entry-and-probe"
    /** Verify's reason when nothing listens at the registered URL. */
    readonly downReason: string
    /** A config with other servers and keys, in the form the CLI writes them back. */
    readonly seeded: Testing.ConfigJson
    /** A stdio server, as the user's file may hold it. */
    readonly stdio: Testing.ConfigJson
  }>
> = {
  codex: {
    entry: (
      url,
      token
    ) => (token === undefined ? { url } : { url, http_headers: { Authorization: `Bearer ${token}` } }),
    replaceStarts: 1,
    hint: "codex mcp add supervise --url",
    checkedBy: "entry-and-probe",
    downReason: "cannot connect to the sidecar (ECONNREFUSED)",
    seeded: {
      model: "o3",
      approval_policy: "never",
      profiles: { fast: { model: "o4-mini" } },
      mcp_servers: {
        github: { url: "https://api.githubcopilot.com/mcp/", bearer_token_env_var: "GH_TOKEN" },
        files: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/work"], env: { A: "b" } }
      }
    },
    stdio: { command: "old-sidecar", args: ["--port", "1"] }
  },
  gemini: {
    entry: (url, token) =>
      token === undefined
        ? { url, type: "http" }
        : { url, type: "http", headers: { Authorization: `Bearer ${token}` } },
    replaceStarts: 1,
    hint: "gemini mcp add --scope user --transport http supervise",
    checkedBy: "connection",
    downReason: "gemini mcp list: Disconnected",
    seeded: {
      general: { vimMode: true },
      ui: { theme: "GitHub" },
      mcpServers: {
        github: { httpUrl: "https://api.githubcopilot.com/mcp/", headers: { Authorization: "Bearer not-ours" } },
        files: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/work"] },
        events: { url: "http://127.0.0.1:7000/sse", type: "sse" }
      }
    },
    stdio: { command: "old-sidecar", args: ["--port", "1"] }
  },
  copilot: {
    entry: (url, token) =>
      token === undefined
        ? { tools: ["*"], type: "http", url }
        : { tools: ["*"], type: "http", url, headers: { Authorization: `Bearer ${token}` } },
    replaceStarts: 1,
    hint: "copilot mcp remove supervise",
    checkedBy: "entry-and-probe",
    downReason: "cannot connect to the sidecar (ECONNREFUSED)",
    seeded: {
      "x-launcher": { bottle: "b-1", pinned: true },
      mcpServers: {
        github: {
          tools: ["*"],
          type: "http",
          url: "https://api.githubcopilot.com/mcp/",
          headers: { Authorization: "Bearer not-ours" }
        },
        files: { tools: ["*"], command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/work"] }
      }
    },
    stdio: { tools: ["*"], command: "old-sidecar", args: ["--port", "1"] }
  }
}

const withGuest = <A, E>(
  spec: AgentGuestSpec,
  body: (guest: AgentContractGuest, harness: AgentHarnessShape) => Effect.Effect<A, E>
) =>
  Effect.scoped(Effect.gen(function*() {
    const harness = yield* AgentHarness
    const guest = yield* harness.guest(spec)
    return yield* body(guest, harness)
  }))

const serversOf = (kind: OtherAgent, config: Testing.ConfigJson | undefined): Readonly<Record<string, unknown>> => {
  const servers = config?.[serversKey(kind)]
  return typeof servers === "object" && servers !== null ? { ...servers } : {}
}

/** Every key and server of `seeded` is in `config` as it was; the plan's entry aside. */
const expectKept = (kind: OtherAgent, config: Testing.ConfigJson | undefined, seeded: Testing.ConfigJson) => {
  expect(config).toBeDefined()
  for (const [key, value] of Object.entries(seeded)) {
    if (key !== serversKey(kind)) expect({ [key]: config?.[key] }).toEqual({ [key]: value })
  }
  const now = serversOf(kind, config)
  for (const [name, value] of Object.entries(serversOf(kind, seeded))) {
    if (name !== "supervise") expect({ [name]: now[name] }).toEqual({ [name]: value })
  }
}

/** Registers the agent contract as the block `title`, against the harness `harness` builds. */
export const agentContractSuite = <E>(
  title: string,
  kind: OtherAgent,
  harness: Layer.Layer<AgentHarness, E>,
  options: {
    readonly timeoutMs?: number
    /** Expectations the library does not meet yet, by test name: registered as `fails`, naming the finding. */
    readonly knownFailing?: ReadonlyArray<string>
  } = {}
): void =>
  layer(harness, { excludeTestServices: true, timeout: "180 seconds" })(title, (it) => {
    const want = EXPECT[kind]
    const servers = (config: Testing.ConfigJson | undefined) => serversOf(kind, config)
    const test = (name: string, body: () => Effect.Effect<void, unknown, AgentHarness>) => {
      const run = () => Effect.provide(body(), EffectLogger.remove(EffectLogger.defaultLogger))
      if (options.knownFailing?.includes(name)) it.effect.fails(name, run, options.timeoutMs ?? 180_000)
      else it.effect(name, run, options.timeoutMs ?? 180_000)
    }

    for (const execLandsAs of ["root", "agent"] as const) {
      test(`exec as ${execLandsAs}: a first provisioning is Registered (1 exec, 1 CLI start), the agent owns the entry and reaches it`, () =>
        withGuest({ execLandsAs }, (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            expect(yield* provision(guest, plan)).toMatchObject({
              _tag: "Registered",
              execs: 1,
              cliStarts: 1,
              url: urls.up
            })
            expect(servers(yield* guest.read("home"))["supervise"]).toEqual(want.entry(urls.up, token))
            expect(yield* guest.ownedByAgent("home")).toBe(true)
            expect(yield* verify(guest, plan)).toMatchObject({
              _tag: "Connected",
              registeredUrl: urls.up,
              checkedBy: want.checkedBy
            })
          })))

      test(`exec as ${execLandsAs}: a relaunch with the same plan is Unchanged in 1 exec, with no CLI start`, () =>
        withGuest({ execLandsAs }, (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            expect((yield* provision(guest, plan))._tag).toBe("Registered")
            expect(yield* provision(guest, plan)).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          })))
    }

    test("a relaunch with a new port is Replaced (url) and keeps the user's other servers and keys", () =>
      withGuest({ execLandsAs: "root", files: { home: want.seeded } }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          expect((yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token })))._tag).toBe("Registered")
          expectKept(kind, yield* guest.read("home"), want.seeded)
          const moved = yield* guest.plan({ agentUrl: urls.alsoUp, token })
          expect(yield* provision(guest, moved)).toMatchObject({
            _tag: "Replaced",
            changed: ["url"],
            previousUrl: urls.up,
            execs: 2,
            cliStarts: want.replaceStarts
          })
          const config = yield* guest.read("home")
          expectKept(kind, config, want.seeded)
          expect(servers(config)["supervise"]).toEqual(want.entry(urls.alsoUp, token))
          expect(yield* guest.ownedByAgent("home")).toBe(true)
          expect(yield* verify(guest, moved)).toMatchObject({ _tag: "Connected", registeredUrl: urls.alsoUp })
        })))

    test("a rotated token is Replaced (headers); a token dropped too", () =>
      withGuest({ execLandsAs: "agent" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token: "old-token-0001" }))
          const rotated = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(rotated).toMatchObject({ _tag: "Replaced", changed: ["headers"] })
          expect(servers(yield* guest.read("home"))["supervise"]).toEqual(want.entry(urls.up, token))
          const dropped = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up }))
          expect(dropped).toMatchObject({ _tag: "Replaced", changed: ["headers"] })
          expect(servers(yield* guest.read("home"))["supervise"]).toEqual(want.entry(urls.up))
        })))

    test("a stdio server under the plan's name is Replaced (transport, url, headers); verify first says Unreachable", () =>
      withGuest(
        { execLandsAs: "agent", files: { home: { [serversKey(kind)]: { supervise: want.stdio } } } },
        (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            expect(yield* verify(guest, plan)).toMatchObject({ _tag: "Unreachable" })
            expect(yield* provision(guest, plan)).toMatchObject({
              _tag: "Replaced",
              changed: ["transport", "url", "headers"]
            })
            expect(servers(yield* guest.read("home"))["supervise"]).toEqual(want.entry(urls.up, token))
            expect(yield* verify(guest, plan)).toMatchObject({ _tag: "Connected" })
          })
      ))

    test("the server's name elsewhere in the file (another server's URL) is no entry: Registered in 2 execs", () =>
      withGuest(
        {
          execLandsAs: "root",
          files: {
            home: {
              [serversKey(kind)]: {
                proxy: kind === "codex"
                  ? { url: "http://127.0.0.1:9/supervise" }
                  : {
                    ...(kind === "copilot" ? { tools: ["*"] } : {}),
                    type: "http",
                    url: "http://127.0.0.1:9/supervise"
                  }
              }
            }
          }
        },
        (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            expect(yield* provision(guest, plan)).toMatchObject({ _tag: "Registered", execs: 2 })
            const config = yield* guest.read("home")
            expect(servers(config)["supervise"]).toEqual(want.entry(urls.up, token))
            expect(Object.keys(servers(config)).sort()).toEqual(["proxy", "supervise"])
          })
      ))

    test("a stopped machine is Failed, with the operator warned and given the agent's manual hint", () =>
      withGuest({ execLandsAs: "root", machine: "stopped" }, (guest, { backend, token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token })
          const [outcome, logs] = yield* BottleLogger.capture(provision(guest, plan, { retry: Schedule.recurs(2) }))
          // smolvm's "is not running" may pass after boot: it is retried. docker's stopped container is not.
          expect(outcome).toMatchObject({
            _tag: "Failed",
            execs: backend === "smolvm" ? 3 : 1,
            error: { reason: "MachineNotRunning", transient: backend === "smolvm" }
          })
          const warnings = logs.filter((log) =>
            log.level === "WARN"
          ).map((log) => log.message)
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toContain(`register manually with: ${want.hint}`)
          expect(warnings.join("\n")).not.toContain(token)
        })))

    test("a missing machine is Failed (MachineNotFound) after 1 exec, not retried", () =>
      withGuest({ execLandsAs: "root", machine: "missing" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const outcome = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "MachineNotFound" } })
        })))

    test("a guest without the agent's CLI: provisioning is Failed (GuestCommandNotFound) and writes nothing", () =>
      withGuest({ execLandsAs: "root", cli: "missing" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token })
          const outcome = yield* provision(guest, plan)
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "GuestCommandNotFound" } })
          expect(servers(yield* guest.read("home"))["supervise"]).toBeUndefined()
          const verified = yield* verify(guest, plan)
          // Gemini CLI's check is its own `mcp list`; the others read the file, which is not there.
          expect(verified).toMatchObject(
            kind === "gemini" ? { _tag: "Failed", error: { reason: "UnexpectedOutput" } } : { _tag: "NotRegistered" }
          )
        })))

    test("a plan for a user exec cannot become is Failed (UserMismatch) when exec lands as the agent", () =>
      withGuest({ execLandsAs: "agent" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const outcome = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token, user: "ghost" }))
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "UserMismatch" } })
        })))

    test("verify on a fresh guest is NotRegistered", () =>
      withGuest({ execLandsAs: "root" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          expect(yield* verify(guest, yield* guest.plan({ agentUrl: urls.up, token }))).toMatchObject({
            _tag: "NotRegistered",
            execs: 1,
            checkedBy: want.checkedBy
          })
        })))

    test("verify: Unreachable when the sidecar is down or the entry points elsewhere", () =>
      withGuest({ execLandsAs: "root" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const down = yield* guest.plan({ agentUrl: urls.down, token })
          expect((yield* provision(guest, down))._tag).toBe("Registered")
          expect(yield* verify(guest, down)).toMatchObject({
            _tag: "Unreachable",
            registeredUrl: urls.down,
            reason: want.downReason
          })
          expect((yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token })))._tag).toBe("Replaced")
          const elsewhere = yield* verify(guest, yield* guest.plan({ agentUrl: urls.alsoUp, token }))
          expect(elsewhere).toMatchObject({ _tag: "Unreachable", registeredUrl: urls.up })
        })))

    test("with the plan's configDir the entry goes to the agent's file there, beside its other servers", () =>
      withGuest({ execLandsAs: "agent", files: { configDir: want.seeded } }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token }, { configDir: true })
          expect((yield* provision(guest, plan))._tag).toBe("Registered")
          const config = yield* guest.read("configDir")
          expectKept(kind, config, want.seeded)
          expect(servers(config)["supervise"]).toEqual(want.entry(urls.up, token))
          expect(yield* guest.read("home")).toBeUndefined()
          const moved = yield* guest.plan({ agentUrl: urls.alsoUp, token }, { configDir: true })
          expect(yield* provision(guest, moved)).toMatchObject({ _tag: "Replaced", changed: ["url"] })
          expectKept(kind, yield* guest.read("configDir"), want.seeded)
          expect(yield* verify(guest, moved)).toMatchObject({ _tag: "Connected" })
        })))

    test("property: any user config keeps every other key and server through Registered and Replaced", () =>
      Effect.gen(function*() {
        const harness = yield* AgentHarness
        const samples = FastCheck.sample(
          FastCheck.tuple(
            Testing.arbitraryAgentConfig(kind),
            FastCheck.constantFrom<"root" | "agent">("root", "agent")
          ),
          { numRuns: harness.propertyRuns, seed: Date.now() | 0 }
        )
        for (const [config, execLandsAs] of samples) {
          yield* withGuest({ execLandsAs, files: { home: config } }, (guest, { token, urls }) =>
            Effect.gen(function*() {
              expect((yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token })))._tag).toBe(
                "Registered"
              )
              expectKept(kind, yield* guest.read("home"), config)
              const moved = yield* provision(guest, yield* guest.plan({ agentUrl: urls.alsoUp, token }))
              expect(moved).toMatchObject({ _tag: "Replaced", changed: ["url"] })
              const after = yield* guest.read("home")
              expectKept(kind, after, config)
              expect(servers(after)["supervise"]).toEqual(want.entry(urls.alsoUp, token))
            }).pipe(Effect.tapErrorCause(() =>
              Effect.sync(() =>
                console.error("sample:", JSON.stringify(config))
              )
            )))
        }
      }))
  })
