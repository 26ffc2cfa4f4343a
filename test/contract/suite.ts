/**
 * The contract of the testing kit's Claude Code guest, written once and run
 * against three guests: the kit's in-memory fake (`fake.test.ts`), the smolvm
 * stand-in running the real pinned `claude` CLI on this host
 * (`standin.test.ts`), and a real Docker container with the real CLI through
 * `Docker.layer` (`docker.test.ts`). Whatever the fake promises a launcher's
 * tests, the real CLI does: a difference fails CI.
 *
 * A harness makes guests from a backend-neutral description (where exec
 * lands, the machine's state, a missing CLI, config files at the agent's
 * usual places) and offers three sidecar URLs: two that answer (real
 * sidecars for the real guests, requiring the harness's token) and one that
 * refuses connections. Where two backends differ by design (smolvm's "is not
 * running" is retried, docker's is not; docker has no boot race), the
 * expectation says so by backend, never by harness.
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
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import type * as Sandbox from "../../src/Sandbox.js"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import * as Testing from "../../src/Testing.js"

/** Where a config file sits, relative to the agent. */
export type Place =
  /** `<home>/.claude.json`: the file a fresh guest's CLI uses. */
  | "home"
  /** `<home>/.claude/.config.json`: the legacy file, which the CLI keeps using when it is not empty. */
  | "legacy"
  /** `<home>/.cfg/.claude.json`, with the plan's `configDir` (the agent's `CLAUDE_CONFIG_DIR`) `<home>/.cfg`. */
  | "configDir"

/** A guest, described the same way for every harness. */
export interface GuestSpec {
  readonly execLandsAs: "root" | "agent"
  readonly machine?: "running" | "stopped" | "missing" | { readonly booting: number } | undefined
  readonly claude?: "installed" | "missing" | undefined
  readonly files?: Partial<Record<Place, Testing.ConfigJson>> | undefined
}

/** A guest made from a `GuestSpec`. */
export interface ContractGuest {
  /** What to provision: the machine or container name (one that does not exist for `missing`). */
  readonly target: string
  readonly layer: Layer.Layer<Sandbox.Sandbox>
  /** A plan for the guest's agent; `configDir` sets the agent's `CLAUDE_CONFIG_DIR` to the `configDir` place's directory. */
  readonly plan: (
    supervise: { readonly agentUrl: string; readonly token?: string | undefined; readonly user?: string | undefined },
    options?: { readonly configDir?: boolean | undefined }
  ) => Effect.Effect<SupervisePlan.SmolmachinesBottlePlan>
  /** The file at a place, parsed, or `undefined` when it does not exist. */
  readonly read: (place: Place) => Effect.Effect<Testing.ConfigJson | undefined>
  /** Whether the agent owns the file at a place (`undefined` when it does not exist). */
  readonly ownedByAgent: (place: Place) => Effect.Effect<boolean | undefined>
}

/** What a test runs against. */
export interface HarnessShape {
  readonly name: string
  readonly backend: "smolvm" | "docker"
  /** The token the answering sidecars require. */
  readonly token: string
  /** Two URLs where a sidecar answers, one where nothing listens. */
  readonly urls: { readonly up: string; readonly alsoUp: string; readonly down: string }
  /** Property runs per property test: the real CLI takes about a second a run. */
  readonly propertyRuns: number
  readonly guest: (spec: GuestSpec) => Effect.Effect<ContractGuest, never, Scope.Scope>
}

/** The harness of a contract run. */
export class Harness extends Context.Tag("contract/Harness")<Harness, HarnessShape>() {}

/** A guest as provisioning needs it: what to target, and the sandbox that reaches it. */
type Reachable = Pick<ContractGuest, "target" | "layer">

export const provision = (
  guest: Reachable,
  plan: SupervisePlan.SmolmachinesBottlePlan,
  options?: ProvisionSupervise.ProvisionOptions
) => Effect.provide(ProvisionSupervise.provisionSupervise(plan, guest.target, options), guest.layer)

export const verify = (guest: Reachable, plan: SupervisePlan.SmolmachinesBottlePlan) =>
  Effect.provide(ProvisionSupervise.verifySupervise(plan, guest.target), guest.layer)

/** A fresh guest for the duration of `body`. */
const withGuest = <A, E>(spec: GuestSpec, body: (guest: ContractGuest, harness: HarnessShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.gen(function*() {
    const harness = yield* Harness
    const guest = yield* harness.guest(spec)
    return yield* body(guest, harness)
  }))

const entry = (url: string, token?: string) =>
  token === undefined ? { type: "http", url } : { type: "http", url, headers: { Authorization: `Bearer ${token}` } }

const serversOf = (config: Testing.ConfigJson | undefined): Readonly<Record<string, unknown>> => {
  const servers = config?.["mcpServers"]
  return typeof servers === "object" && servers !== null ? { ...servers } : {}
}

/** Every key and server of `seeded` is in `config` as it was; the plan's entry aside. */
const expectKept = (config: Testing.ConfigJson | undefined, seeded: Testing.ConfigJson, planned = "supervise") => {
  expect(config).toBeDefined()
  for (const [key, value] of Object.entries(seeded)) {
    if (key !== "mcpServers") expect({ [key]: config?.[key] }).toEqual({ [key]: value })
  }
  const now = serversOf(config)
  for (const [name, value] of Object.entries(serversOf(seeded))) {
    if (name !== planned) expect({ [name]: now[name] }).toEqual({ [name]: value })
  }
}

const SEEDED: Testing.ConfigJson = {
  numStartups: 42,
  "x-launcher": { bottle: "b-1", features: ["a", "b"], pinned: true },
  mcpServers: {
    github: { type: "http", url: "https://api.githubcopilot.com/mcp/", headers: { Authorization: "Bearer not-ours" } },
    files: { type: "stdio", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/work"], env: {} },
    events: { type: "sse", url: "http://127.0.0.1:7000/sse" }
  }
}

/**
 * Registers the contract as the block `title`, against the harness `harness`
 * builds (once for the block: sidecars are shared, guests are made per test).
 */
export const contractSuite = <E>(
  title: string,
  harness: Layer.Layer<Harness, E>,
  options: {
    readonly timeoutMs?: number
    /** Why the backend has no boot race to emulate, to skip that case with the reason. */
    readonly cannotBoot?: string
  } = {}
): void =>
  layer(harness, { excludeTestServices: true, timeout: "120 seconds" })(title, (it) => {
    // The library's info logs would flood the output; `Logger.capture` still sees them where a test asks.
    const test = (name: string, body: () => Effect.Effect<void, unknown, Harness>) =>
      it.effect(name, () =>
        Effect.provide(body(), EffectLogger.remove(EffectLogger.defaultLogger)), options.timeoutMs ?? 120_000)

    for (const execLandsAs of ["root", "agent"] as const) {
      test(`exec as ${execLandsAs}: a first provisioning is Registered (1 exec), the agent owns the entry and reaches it`, () =>
        withGuest({ execLandsAs }, (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            const outcome = yield* provision(guest, plan)
            expect(outcome).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1, url: urls.up })
            expect(serversOf(yield* guest.read("home"))["supervise"]).toEqual(entry(urls.up, token))
            expect(yield* guest.ownedByAgent("home")).toBe(true)
            const verified = yield* verify(guest, plan)
            expect(verified).toMatchObject({ _tag: "Connected", registeredUrl: urls.up })
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
      withGuest({ execLandsAs: "root", files: { home: SEEDED } }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const first = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(first._tag).toBe("Registered")
          const moved = yield* guest.plan({ agentUrl: urls.alsoUp, token })
          const outcome = yield* provision(guest, moved)
          expect(outcome).toMatchObject({
            _tag: "Replaced",
            changed: ["url"],
            previousUrl: urls.up,
            execs: 2,
            cliStarts: 2
          })
          const config = yield* guest.read("home")
          expectKept(config, SEEDED)
          expect(serversOf(config)["supervise"]).toEqual(entry(urls.alsoUp, token))
          expect(yield* guest.ownedByAgent("home")).toBe(true)
          expect(yield* verify(guest, moved)).toMatchObject({ _tag: "Connected", registeredUrl: urls.alsoUp })
        })))

    test("the CLI's write leaves out keys holding Claude Code's defaults, and keeps every other key", () =>
      withGuest(
        {
          execLandsAs: "root",
          files: {
            home: {
              theme: "dark",
              numStartups: 0,
              verbose: false,
              tipsHistory: {},
              "x-zero": 0,
              autoUpdates: true,
              theme2: "dark"
            }
          }
        },
        (guest, { token, urls }) =>
          Effect.gen(function*() {
            expect((yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token })))._tag).toBe("Registered")
            const config = yield* guest.read("home")
            expect({
              theme: config?.["theme"],
              numStartups: config?.["numStartups"],
              verbose: config?.["verbose"],
              tipsHistory: config?.["tipsHistory"],
              "x-zero": config?.["x-zero"],
              autoUpdates: config?.["autoUpdates"],
              theme2: config?.["theme2"]
            }).toEqual({
              theme: undefined,
              numStartups: undefined,
              verbose: undefined,
              tipsHistory: undefined,
              "x-zero": 0,
              autoUpdates: true,
              theme2: "dark"
            })
          })
      ))

    test("a rotated token is Replaced (headers); a token dropped too", () =>
      withGuest({ execLandsAs: "agent" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token: "old-token-0001" }))
          const rotated = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(rotated).toMatchObject({ _tag: "Replaced", changed: ["headers"] })
          expect(serversOf(yield* guest.read("home"))["supervise"]).toEqual(entry(urls.up, token))
          const dropped = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up }))
          expect(dropped).toMatchObject({ _tag: "Replaced", changed: ["headers"] })
          expect(serversOf(yield* guest.read("home"))["supervise"]).toEqual(entry(urls.up))
        })))

    test("an entry of another transport under the plan's name is Replaced (transport)", () =>
      withGuest(
        {
          execLandsAs: "root",
          files: { home: { mcpServers: { supervise: { type: "sse", url: "http://127.0.0.1:1/" } } } }
        },
        (guest) =>
          Effect.gen(function*() {
            // The stored URL is the plan's: only the transport differs.
            const plan = yield* guest.plan({ agentUrl: "http://127.0.0.1:1/" })
            expect(yield* provision(guest, plan)).toMatchObject({ _tag: "Replaced", changed: ["transport"] })
            expect(serversOf(yield* guest.read("home"))["supervise"]).toEqual(entry("http://127.0.0.1:1/"))
          })
      ))

    test("a stdio server under the plan's name is Replaced (transport, url, headers); verify first says it is not the sidecar", () =>
      withGuest(
        {
          execLandsAs: "agent",
          files: { home: { mcpServers: { supervise: { type: "stdio", command: "old-sidecar", args: [], env: {} } } } }
        },
        (guest, { token, urls }) =>
          Effect.gen(function*() {
            const plan = yield* guest.plan({ agentUrl: urls.up, token })
            expect(yield* verify(guest, plan)).toMatchObject({
              _tag: "Unreachable",
              reason: `ENOENT: Executable not found in $PATH: "old-sidecar"`
            })
            expect(yield* provision(guest, plan)).toMatchObject({
              _tag: "Replaced",
              changed: ["transport", "url", "headers"]
            })
            expect(yield* verify(guest, plan)).toMatchObject({ _tag: "Connected" })
          })
      ))

    test("a stopped machine is Failed, with the operator warned and given the manual hint", () =>
      withGuest({ execLandsAs: "root", machine: "stopped" }, (guest, { backend, token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token })
          const [outcome, logs] = yield* BottleLogger.capture(provision(guest, plan, { retry: Schedule.recurs(2) }))
          // smolvm's "is not running" may pass after boot: it is retried. docker's stopped container is not.
          expect(outcome).toMatchObject({ _tag: "Failed", execs: backend === "smolvm" ? 3 : 1 })
          if (outcome._tag === "Failed") {
            expect(outcome.error.reason).toBe("MachineNotRunning")
            expect(outcome.error.transient).toBe(backend === "smolvm")
          }
          const warnings = logs.filter((log) =>
            log.level === "WARN"
          ).map((log) => log.message)
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toContain("register manually with: claude mcp remove --scope user supervise")
          expect(warnings.join("\n")).not.toContain(token)
          const verified = yield* BottleLogger.capture(
            Effect.provide(
              ProvisionSupervise.verifySupervise(plan, guest.target, { retry: Schedule.recurs(1) }),
              guest.layer
            )
          )
          expect(verified[0]).toMatchObject({ _tag: "Failed", error: { reason: "MachineNotRunning" } })
        })))

    const booting = "a machine that boots meanwhile is Registered once it runs (smolvm's boot race, retried)"
    // A backend without a boot race (`cannotBoot` says why) has no such case: nothing is registered for it, rather
    // than a skipped test that would read as covered.
    if (options.cannotBoot === undefined) {
      test(booting, () =>
        withGuest({ execLandsAs: "root", machine: { booting: 2 } }, (guest, { token, urls }) =>
          Effect.gen(function*() {
            const outcome = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
            expect(outcome).toMatchObject({ _tag: "Registered", execs: 3 })
          })))
    }

    test("a missing machine is Failed (MachineNotFound) after 1 exec, not retried", () =>
      withGuest({ execLandsAs: "root", machine: "missing" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const outcome = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "MachineNotFound" } })
          const verified = yield* verify(guest, yield* guest.plan({ agentUrl: urls.up, token }))
          expect(verified).toMatchObject({ _tag: "Failed", error: { reason: "MachineNotFound" } })
        })))

    test("a guest without claude: provisioning is Failed (GuestCommandNotFound), verify cannot read an answer", () =>
      withGuest({ execLandsAs: "root", claude: "missing" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token })
          const outcome = yield* provision(guest, plan)
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "GuestCommandNotFound" } })
          expect(yield* verify(guest, plan)).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput" } })
        })))

    test("a plan for a user exec cannot become is Failed (UserMismatch) when exec lands as the agent", () =>
      withGuest({ execLandsAs: "agent" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const outcome = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token, user: "ghost" }))
          expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "UserMismatch" } })
        })))

    test("verify: NotRegistered on a fresh guest; Unreachable when the sidecar is down or the entry points elsewhere", () =>
      withGuest({ execLandsAs: "root" }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const down = yield* guest.plan({ agentUrl: urls.down, token })
          expect(yield* verify(guest, down)).toMatchObject({ _tag: "NotRegistered", execs: 1 })
          expect((yield* provision(guest, down))._tag).toBe("Registered")
          const refused = yield* verify(guest, down)
          expect(refused).toMatchObject({
            _tag: "Unreachable",
            registeredUrl: urls.down,
            reason: "ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
          })
          // Registered at `up`, checked for `alsoUp`: the agent reaches a sidecar, but not the planned one.
          expect((yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token })))._tag).toBe("Replaced")
          const elsewhere = yield* verify(guest, yield* guest.plan({ agentUrl: urls.alsoUp, token }))
          expect(elsewhere).toMatchObject({ _tag: "Unreachable", registeredUrl: urls.up })
        })))

    test("a non-empty legacy .config.json is the file the CLI uses: the entry goes there, .claude.json stays untouched", () =>
      withGuest({ execLandsAs: "root", files: { legacy: SEEDED } }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token })
          expect((yield* provision(guest, plan))._tag).toBe("Registered")
          const legacy = yield* guest.read("legacy")
          expectKept(legacy, SEEDED)
          expect(serversOf(legacy)["supervise"]).toEqual(entry(urls.up, token))
          expect(serversOf(yield* guest.read("home"))["supervise"]).toBeUndefined()
          expect(yield* provision(guest, plan)).toMatchObject({ _tag: "Unchanged", execs: 1 })
          expect(yield* verify(guest, plan)).toMatchObject({ _tag: "Connected" })
        })))

    test("with CLAUDE_CONFIG_DIR the entry goes to <configDir>/.claude.json, kept beside its other servers", () =>
      withGuest({ execLandsAs: "agent", files: { configDir: SEEDED } }, (guest, { token, urls }) =>
        Effect.gen(function*() {
          const plan = yield* guest.plan({ agentUrl: urls.up, token }, { configDir: true })
          expect((yield* provision(guest, plan))._tag).toBe("Registered")
          const config = yield* guest.read("configDir")
          expectKept(config, SEEDED)
          expect(serversOf(config)["supervise"]).toEqual(entry(urls.up, token))
          expect(serversOf(yield* guest.read("home"))["supervise"]).toBeUndefined()
          const moved = yield* guest.plan({ agentUrl: urls.alsoUp, token }, { configDir: true })
          expect(yield* provision(guest, moved)).toMatchObject({ _tag: "Replaced", changed: ["url"] })
          expectKept(yield* guest.read("configDir"), SEEDED)
          expect(yield* verify(guest, moved)).toMatchObject({ _tag: "Connected" })
        })))

    test("property: any user config keeps every other key and server through Registered and Replaced", () =>
      Effect.gen(function*() {
        const harness = yield* Harness
        const samples = FastCheck.sample(
          FastCheck.tuple(Testing.arbitraryConfig, FastCheck.constantFrom<"root" | "agent">("root", "agent")),
          { numRuns: harness.propertyRuns, seed: Date.now() | 0 }
        )
        for (const [config, execLandsAs] of samples) {
          yield* withGuest({ execLandsAs, files: { home: config } }, (guest, { token, urls }) =>
            Effect.gen(function*() {
              const first = yield* provision(guest, yield* guest.plan({ agentUrl: urls.up, token }))
              expect(first._tag).toBe("Registered")
              expectKept(yield* guest.read("home"), config)
              const moved = yield* provision(guest, yield* guest.plan({ agentUrl: urls.alsoUp, token }))
              expect(moved).toMatchObject({ _tag: "Replaced", changed: ["url"] })
              const after = yield* guest.read("home")
              expectKept(after, config)
              expect(serversOf(after)["supervise"]).toEqual(entry(urls.alsoUp, token))
            }).pipe(Effect.tapErrorCause(() =>
              Effect.sync(() =>
                console.error("sample:", JSON.stringify(config))
              )
            )))
        }
      }))
  })
