/**
 * Testing a launcher without a VM: an in-memory **Claude Code guest** that
 * provides `Sandbox` (and `Smolvm`) as a layer and answers the library's own
 * guest steps (ensure, read, replace, get) the way the real `claude` CLI and
 * smolvm do, plus arbitraries for property tests.
 *
 * A guest is seeded with what a bottle can hold: its users and where exec
 * lands (root on a bare VM, the agent on an image with `USER node`), config
 * files (the one the CLI picks, a `CLAUDE_CONFIG_DIR`, the legacy
 * `.config.json`, other keys and servers), the machine's state (running,
 * stopped, booting for N execs, missing), a missing `claude`, and whether the
 * sidecar is up. Afterwards a test reads the guest's config and the calls
 * made. Answers go through `Smolvm.makeTest`, so every `ExecFailed` has the
 * reason the live layer would give. The repository runs one contract suite
 * against this guest, the real CLI under the smolvm stand-in, and a real
 * Docker container: where they differ, CI fails.
 *
 * Like the real CLI, a write leaves out the top-level keys that hold Claude
 * Code's default value (`"theme": "dark"`, `"numStartups": 0`). Not
 * modelled: the first-start keys the real CLI adds (`firstStartTime`,
 * `machineID`, …) and its migrations of old keys; a sidecar that accepts
 * connections and never answers, or refuses the token; file permissions.
 *
 * @since 0.2.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import { fakeAgentOf } from "./internal/testing/agents/registry.js"
import * as GuestModel from "./internal/testing/guest.js"
import * as Model from "./internal/testing/model.js"
import * as MachineName from "./MachineName.js"
import type * as Sandbox from "./Sandbox.js"
import * as Smolvm from "./Smolvm.js"
import * as SupervisePlan from "./SupervisePlan.js"

/**
 * A machine's state: `running`; `stopped` (every exec answers smolvm's "is
 * not running", which provisioning retries until its deadline); `{ booting: n }`
 * (the next `n` execs answer "is not running", then it runs: the boot race);
 * `missing` (smolvm has no such machine).
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type * as Testing from "bottle-supervise/Testing"
 *
 * const justBooted: Testing.MachineState = { booting: 2 }
 */
export type MachineState = "running" | "stopped" | "missing" | { readonly booting: number }

/**
 * Whether a sidecar answers at a URL: the agent's health check (`claude mcp
 * get`) reports `Connected` for `up`, a refused connection for `down`.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type * as Testing from "bottle-supervise/Testing"
 *
 * const sidecar: Testing.SidecarState = "down"
 */
export type SidecarState = "up" | "down"

/**
 * A config file's content, as JSON: `mcpServers` and any other key. The
 * entries of `mcpServers` are kept as written (an `http` entry is
 * `{ type: "http", url, headers? }`, a stdio one `{ command, args?, env? }`).
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type * as Testing from "bottle-supervise/Testing"
 *
 * const config: Testing.ConfigJson = {
 *   numStartups: 12,
 *   mcpServers: { github: { type: "http", url: "https://api.githubcopilot.com/mcp/" } }
 * }
 */
export type ConfigJson = { readonly [key: string]: unknown }

/**
 * How to seed a guest. Every field is optional:
 *
 * - `name`: the machine name, default `bottle-1`. Execs on any other name
 *   answer smolvm's "vm not found".
 * - `agent`: the agent user, default `node`; `home` its home, default
 *   `/home/<agent>` (`/root` for root). `root` and the agent always exist;
 *   `users` adds more.
 * - `execLandsAs`: `root` (default: a bare VM, the library switches user) or
 *   `agent` (an image ending in `USER <agent>`: exec as anyone else is
 *   refused, `UserMismatch`).
 * - `machine`: default `running`.
 * - `agentKind`: the coding agent the guest runs, default `claude-code`
 *   (`codex`, `gemini`, `copilot`): its CLI is the only agent CLI on the
 *   guest, and `file`, `server` and `configFile` read that agent's config.
 * - `cli`: `missing` takes the agent's CLI off the guest's `PATH`; `claude`
 *   says the same for a Claude Code guest (kept from 0.2.0).
 * - `sidecar`: `up` (default) or `down` for every URL, or one state per URL
 *   (URLs not listed are down).
 * - `files`: config files by absolute path, as JSON (Codex's TOML as its
 *   JSON equivalent: `{ model: "o3", mcp_servers: { github: { url } } }`).
 * - `env`: the guest's own environment, inherited by every exec (an
 *   inherited `CLAUDE_CONFIG_DIR`, `CLAUDE_CODE_CUSTOM_OAUTH_URL`).
 * - `otherCommands`: answers execs that are none of the library's steps
 *   (a launcher's own commands); without it they fail as a missing command.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type * as Testing from "bottle-supervise/Testing"
 *
 * const relaunched: Testing.GuestOptions = {
 *   execLandsAs: "agent",
 *   files: {
 *     "/home/node/.claude.json": {
 *       mcpServers: { supervise: { type: "http", url: "http://127.0.0.1:4318/" } }
 *     }
 *   }
 * }
 */
export interface GuestOptions {
  readonly name?: string | undefined
  readonly agent?: string | undefined
  readonly home?: string | undefined
  readonly users?: ReadonlyArray<string> | undefined
  readonly execLandsAs?: "root" | "agent" | undefined
  readonly machine?: MachineState | undefined
  readonly claude?: "installed" | "missing" | undefined
  /** @since 0.3.0 */
  readonly agentKind?: SupervisePlan.AgentKind | undefined
  /** @since 0.3.0 */
  readonly cli?: "installed" | "missing" | undefined
  readonly sidecar?: SidecarState | Readonly<Record<string, SidecarState>> | undefined
  readonly files?: Readonly<Record<string, ConfigJson>> | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly otherCommands?: Smolvm.FakeHandler | undefined
}

/**
 * One exec that reached the guest: which of the library's steps it ran
 * (`other` for anything else), as which user, against which config file (the
 * one the CLI picked for the exec's environment), and its exit code.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type * as Testing from "bottle-supervise/Testing"
 *
 * const ranAsAgent = (steps: ReadonlyArray<Testing.GuestStep>) => steps.every((step) => step.user === "node")
 */
export interface GuestStep {
  readonly step: "ensure" | "read" | "replace" | "get" | "other"
  readonly user: string
  readonly configFile: string | undefined
  readonly exitCode: number
}

/**
 * A guest and how a test looks inside it. Reads are copies; the setters
 * change the guest between calls (a sidecar that restarts, a machine that
 * stops).
 *
 * @since 0.2.0
 * @category models
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { Effect } from "effect"
 *
 * const registeredUrl = (guest: Testing.Guest) => Effect.map(guest.server("supervise"), (entry) => entry?.["url"])
 */
export interface Guest {
  /** The machine name: the target to provision. */
  readonly name: string
  /** The agent user and its home. */
  readonly agent: { readonly user: string; readonly home: string }
  /**
   * The coding agent the guest runs.
   *
   * @since 0.3.0
   */
  readonly kind: SupervisePlan.AgentKind
  /** `Sandbox` and `Smolvm` answered by this guest, sharing its state. */
  readonly layer: Layer.Layer<Smolvm.Smolvm | Sandbox.Sandbox>
  /**
   * A plan decoded as a launcher decodes it, for this guest's agent (its
   * kind, user and home) unless `agent` says otherwise (another user, whose
   * home is then `/home/<user>`; a `configDir`, the agent's own variable:
   * `CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_CLI_HOME`, `COPILOT_HOME`).
   */
  readonly plan: (
    supervise: {
      readonly agentUrl: string
      readonly token?: string | undefined
      readonly serverName?: string | undefined
    },
    agent?: {
      readonly user?: string | undefined
      readonly home?: string | undefined
      readonly configDir?: string | undefined
      readonly kind?: SupervisePlan.AgentKind | undefined
    }
  ) => Effect.Effect<SupervisePlan.SmolmachinesBottlePlan, ParseResult.ParseError>
  /** Every exec the sandbox was asked for, in order, refused ones included. */
  readonly calls: Effect.Effect<ReadonlyArray<Smolvm.RecordedExec>>
  /** Every exec that reached the guest, in order. */
  readonly steps: Effect.Effect<ReadonlyArray<GuestStep>>
  /** The content of the config file at `path` (Codex's TOML as JSON), or `undefined` when there is none. */
  readonly file: (path: string) => Effect.Effect<ConfigJson | undefined>
  /** The config file the agent's CLI uses now (with `configDir` as its `CLAUDE_CONFIG_DIR`, `CODEX_HOME`, ...). */
  readonly configFile: (options?: { readonly configDir?: string | undefined }) => Effect.Effect<string>
  /**
   * The user-scope entry `name` (default `supervise`) in the file the agent's
   * CLI uses: Codex's `[mcp_servers.NAME]` table as JSON, its
   * `http_headers` sub-table inside.
   */
  readonly server: (
    name?: string,
    options?: { readonly configDir?: string | undefined }
  ) => Effect.Effect<ConfigJson | undefined>
  /** Who owns the file at `path` (whoever created it), or `undefined` when there is none. */
  readonly owner: (path: string) => Effect.Effect<string | undefined>
  /** Writes a config file, as its `owner` (default the agent). */
  readonly writeFile: (path: string, content: ConfigJson, owner?: string) => Effect.Effect<void>
  readonly setMachine: (state: MachineState) => Effect.Effect<void>
  /** The sidecar at `url`, or at every URL without `url`. */
  readonly setSidecar: (state: SidecarState, url?: string) => Effect.Effect<void>
  readonly setClaude: (state: "installed" | "missing") => Effect.Effect<void>
  /**
   * Installs or removes the agent's CLI.
   *
   * @since 0.3.0
   */
  readonly setCli: (state: "installed" | "missing") => Effect.Effect<void>
}

/**
 * The tag of the guest `layer` builds, for tests that look inside it.
 *
 * @since 0.2.0
 * @category tags
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { Effect } from "effect"
 *
 * const steps = Effect.flatMap(Testing.ClaudeGuest, (guest) => guest.steps)
 */
export class ClaudeGuest extends Context.Tag("bottle-supervise/Testing/ClaudeGuest")<ClaudeGuest, Guest>() {}

/**
 * The tag of a guest for any agent: the same guest `layer` provides as
 * `ClaudeGuest`, named for what it is when the guest runs Codex, Gemini CLI
 * or Copilot CLI.
 *
 * @since 0.3.0
 * @category tags
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { Effect } from "effect"
 *
 * const entry = Effect.flatMap(Testing.AgentGuest, (guest) => guest.server("supervise"))
 */
export class AgentGuest extends Context.Tag("bottle-supervise/Testing/AgentGuest")<AgentGuest, Guest>() {}

const homeOf = (user: string): string => (user === "root" ? "/root" : `/home/${user}`)

const machineOf = (state: MachineState): GuestModel.Machine =>
  state === "running"
    ? { _tag: "Running" }
    : state === "stopped"
    ? { _tag: "Stopped" }
    : state === "missing"
    ? { _tag: "Missing" }
    : state.booting > 0
    ? { _tag: "Booting", execs: state.booting }
    : { _tag: "Running" }

/**
 * Creates a guest. Each call is a separate guest with its own state and
 * exec slots.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import * as Testing from "bottle-supervise/Testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const guest = yield* Testing.make({ execLandsAs: "agent" })
 *   const plan = yield* guest.plan({ agentUrl: "http://127.0.0.1:4318/", token: "tok_123" })
 *   const outcome = yield* ProvisionSupervise.provisionSupervise(plan, guest.name).pipe(Effect.provide(guest.layer))
 *   return [outcome._tag, yield* guest.server()] // ["Registered", { type: "http", url: ..., headers: ... }]
 * })
 */
export const make: (options?: GuestOptions) => Effect.Effect<Guest> = Effect.fn("Testing.make")(
  function*(options: GuestOptions = {}) {
    const name = options.name ?? "bottle-1"
    const user = options.agent ?? "node"
    const home = options.home ?? homeOf(user)
    const state = GuestModel.makeState()
    state.name = name
    state.machine = machineOf(options.machine ?? "running")
    state.landsAs = options.execLandsAs === "agent" ? user : "root"
    state.users = new Set(["root", user, ...(options.users ?? [])])
    const kind = options.agentKind ?? "claude-code"
    const agentFake = fakeAgentOf(kind)
    state.kind = kind
    state.cli = (options.cli ?? (kind === "claude-code" ? options.claude : undefined)) !== "missing"
    const sidecar = options.sidecar ?? "up"
    if (typeof sidecar === "string") {
      state.reachable = sidecar === "up"
    } else {
      state.reachable = false
      for (const [url, up] of Object.entries(sidecar)) state.sidecars.set(url, up === "up")
    }
    for (const [path, content] of Object.entries(options.files ?? {})) {
      state.files.set(path, Model.fromJson(content, agentFake.serversKey))
      state.owners.set(path, user)
    }
    state.env = { ...(options.env ?? {}) }
    state.other = options.otherCommands
    const fake = yield* Smolvm.makeTest(GuestModel.handler(state))
    // The environment the library gives the agent's CLI: the plan's `configDir` in the agent's variable, or none.
    const agentEnv = (configDir: string | undefined) => ({
      ...state.env,
      HOME: home,
      [agentFake.dirVar]: configDir
    })
    const setCli = (cli: "installed" | "missing") =>
      Effect.sync(() => {
        state.cli = cli === "installed"
      })
    const guest: Guest = {
      name,
      agent: { user, home },
      kind,
      layer: fake.layer,
      plan: (supervise, agent = {}) =>
        SupervisePlan.decode({
          supervisePlan: supervise,
          agent: {
            kind: agent.kind ?? kind,
            user: agent.user ?? user,
            home: agent.home ?? (agent.user === undefined ? home : homeOf(agent.user)),
            ...(agent.configDir === undefined ? {} : { configDir: agent.configDir })
          }
        }),
      calls: fake.calls,
      steps: Effect.sync(() =>
        state.execs.map((exec) => ({
          step: exec.step,
          user: exec.ranAs,
          configFile: exec.configFile,
          exitCode: exec.exitCode
        }))
      ),
      file: (path) =>
        Effect.sync(() => {
          const file = state.files.get(path)
          return file === undefined ? undefined : Model.toJson(file, agentFake.serversKey)
        }),
      configFile: (opts = {}) => Effect.sync(() => agentFake.configPath(state, agentEnv(opts.configDir))),
      server: (serverName = "supervise", opts = {}) =>
        Effect.sync(() => {
          const file = state.files.get(agentFake.configPath(state, agentEnv(opts.configDir)))
          const entry = file?.mcpServers[serverName]
          return entry === undefined ? undefined : structuredClone(entry)
        }),
      owner: (path) => Effect.sync(() => (state.files.has(path) ? state.owners.get(path) : undefined)),
      writeFile: (path, content, owner = user) =>
        Effect.sync(() => {
          state.files.set(path, Model.fromJson(content, agentFake.serversKey))
          state.owners.set(path, owner)
        }),
      setMachine: (machine) =>
        Effect.sync(() => {
          state.machine = machineOf(machine)
        }),
      setSidecar: (sidecarState, url) =>
        Effect.sync(() => {
          if (url === undefined) {
            state.sidecars.clear()
            state.reachable = sidecarState === "up"
          } else {
            state.sidecars.set(url, sidecarState === "up")
          }
        }),
      setClaude: setCli,
      setCli
    }
    return guest
  }
)

/**
 * A fresh guest as a layer: `Sandbox` and `Smolvm` for the program under
 * test, `ClaudeGuest` (and, since 0.3.0, `AgentGuest`: the same guest) to
 * look inside. Build it per test (`Effect.provide`):
 * a layer shared by a whole `describe` block shares one guest.
 *
 * @since 0.2.0
 * @category layers
 * @example
 * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
 * import * as Testing from "bottle-supervise/Testing"
 * import { Effect } from "effect"
 *
 * const stoppedBottle = Effect.gen(function*() {
 *   const plan = yield* SupervisePlan.decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } })
 *   return yield* ProvisionSupervise.provisionSupervise(plan, "bottle-1", { timeout: "1 second" })
 * }).pipe(Effect.provide(Testing.layer({ machine: "stopped" })))
 */
export const layer = (
  options?: GuestOptions
): Layer.Layer<ClaudeGuest | AgentGuest | Smolvm.Smolvm | Sandbox.Sandbox> =>
  Layer.unwrapEffect(
    Effect.map(make(options), (guest) =>
      Layer.mergeAll(Layer.succeed(ClaudeGuest, guest), Layer.succeed(AgentGuest, guest), guest.layer))
  )

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))

/**
 * Bearer tokens a plan accepts: 8 to 64 visible ASCII characters.
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * FastCheck.sample(Testing.arbitraryToken, 3)
 */
export const arbitraryToken: FastCheck.Arbitrary<string> = FastCheck.string({
  unit: FastCheck.constantFrom(...VISIBLE),
  minLength: 8,
  maxLength: 64
})

/**
 * Valid smolvm machine names (`MachineName`).
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * FastCheck.sample(Testing.arbitraryTarget, 3)
 */
export const arbitraryTarget: FastCheck.Arbitrary<MachineName.MachineName> = Arbitrary.make(MachineName.MachineName)

/**
 * Valid sidecar URLs (`SupervisePlan.AgentUrl`): http(s), loopback, smolvm's
 * addresses, IPv4, IPv6 loopback or DNS names, any port, a path.
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * FastCheck.sample(Testing.arbitraryAgentUrl, 3)
 */
export const arbitraryAgentUrl: FastCheck.Arbitrary<SupervisePlan.AgentUrl> = Arbitrary.make(SupervisePlan.AgentUrl)

/**
 * Valid plans with supervise on, for the agent a default guest has (`node`,
 * `/home/node`), sometimes with a `CLAUDE_CONFIG_DIR`; a token most of the
 * time; the server named `supervise` most of the time.
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * const [plan] = FastCheck.sample(Testing.arbitraryPlan, 1)
 */
export const arbitraryPlan: FastCheck.Arbitrary<SupervisePlan.SmolmachinesBottlePlan> = FastCheck.record({
  agentUrl: arbitraryAgentUrl,
  token: FastCheck.option(arbitraryToken, { nil: undefined, freq: 5 }),
  serverName: FastCheck.oneof(
    { weight: 4, arbitrary: FastCheck.constant(SupervisePlan.ServerName.make("supervise")) },
    { weight: 1, arbitrary: Arbitrary.make(SupervisePlan.ServerName) }
  ),
  configDir: FastCheck.option(FastCheck.constantFrom("/home/node/.claude", "/home/node/.config/claude"), {
    nil: undefined,
    freq: 4
  })
}).map(({ agentUrl, configDir, serverName, token }) =>
  SupervisePlan.SmolmachinesBottlePlan.make({
    supervisePlan: SupervisePlan.SupervisePlan.make({
      agentUrl,
      serverName,
      ...(token === undefined ? {} : { token: Redacted.make(token) })
    }),
    agent: SupervisePlan.makeAgentPlan(
      configDir === undefined ? {} : { configDir: SupervisePlan.AbsolutePath.make(configDir) }
    )
  })
)

const jsonLeaf = FastCheck.oneof(
  FastCheck.string({ maxLength: 12 }),
  FastCheck.integer({ min: -1_000_000, max: 1_000_000 }),
  FastCheck.boolean(),
  FastCheck.constant(null)
)

const jsonValue = FastCheck.oneof(
  { weight: 3, arbitrary: jsonLeaf },
  { weight: 1, arbitrary: FastCheck.array(jsonLeaf, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: FastCheck.dictionary(FastCheck.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/), jsonLeaf, { maxKeys: 3 })
  }
)

const otherServer = FastCheck.oneof(
  FastCheck.record({
    type: FastCheck.constantFrom("http", "sse"),
    url: arbitraryAgentUrl,
    headers: FastCheck.option(
      FastCheck.constantFrom({ "X-Api-Key": "k-123" }, { Authorization: "Bearer someone-elses-token" }),
      { nil: undefined }
    )
  }).map(({ headers, type, url }): ConfigJson => (headers === undefined ? { type, url } : { type, url, headers })),
  FastCheck.record({
    command: FastCheck.constantFrom("npx", "node", "/usr/local/bin/mcp-server"),
    args: FastCheck.array(FastCheck.stringMatching(/^[a-z-]{1,10}$/), { maxLength: 3 })
  }).map(({ args, command }): ConfigJson => ({ type: "stdio", command, args, env: {} }))
)

const configParts = FastCheck.record({
  // Not 0: the CLI drops a key that holds its default value.
  numStartups: FastCheck.integer({ min: 1, max: 500 }),
  keys: FastCheck.dictionary(FastCheck.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/).map((k) => `x-${k}`), jsonValue, {
    maxKeys: 4
  }),
  servers: FastCheck.dictionary(
    FastCheck.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((name) => name !== "supervise"),
    otherServer,
    { maxKeys: 4 }
  )
})

/**
 * Config files as a user's Claude Code may have them: random servers (http,
 * sse, stdio; none named `supervise`) and random keys (named `x-…`, which no
 * Claude Code version uses), beside a `numStartups` of at least 1: every key
 * is one the real CLI keeps as it is.
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * const [config] = FastCheck.sample(Testing.arbitraryConfig, 1)
 */
export const arbitraryConfig: FastCheck.Arbitrary<ConfigJson> = configParts.map((
  { keys, numStartups, servers }
) => ({ numStartups, ...keys, mcpServers: servers }))

/**
 * Guests for property tests with the default agent (`node`): exec landing as
 * root or as the agent, a fresh home or a `.claude.json` from
 * `arbitraryConfig` (sometimes already holding a `supervise` entry, to another
 * URL), the sidecar up or down.
 *
 * @since 0.2.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * const [options] = FastCheck.sample(Testing.arbitraryGuest, 1)
 */
export const arbitraryGuest: FastCheck.Arbitrary<GuestOptions> = FastCheck.record({
  execLandsAs: FastCheck.constantFrom<"root" | "agent">("root", "agent"),
  config: FastCheck.option(
    FastCheck.tuple(configParts, FastCheck.option(arbitraryAgentUrl, { nil: undefined })).map((
      [{ keys, numStartups, servers }, stale]
    ): ConfigJson => ({
      numStartups,
      ...keys,
      mcpServers: stale === undefined ? servers : { ...servers, supervise: { type: "http", url: stale } }
    })),
    { nil: undefined, freq: 4 }
  ),
  sidecar: FastCheck.constantFrom<SidecarState>("up", "up", "down")
}).map(({ config, execLandsAs, sidecar }): GuestOptions => ({
  execLandsAs,
  sidecar,
  ...(config === undefined ? {} : { files: { "/home/node/.claude.json": config } })
}))

const agentServer: Readonly<Record<SupervisePlan.AgentKind, FastCheck.Arbitrary<ConfigJson>>> = {
  "claude-code": otherServer,
  codex: FastCheck.oneof(
    FastCheck.record({
      url: arbitraryAgentUrl,
      bearer_token_env_var: FastCheck.option(FastCheck.constantFrom("GH_TOKEN", "API_KEY"), { nil: undefined })
    }).map(({ bearer_token_env_var, url }): ConfigJson =>
      bearer_token_env_var === undefined ? { url } : { url, bearer_token_env_var }
    ),
    FastCheck.record({
      command: FastCheck.constantFrom("npx", "node", "/usr/local/bin/mcp-server"),
      args: FastCheck.array(FastCheck.stringMatching(/^[a-z-]{1,10}$/), { minLength: 1, maxLength: 3 })
    })
  ),
  gemini: otherServer.map((server): ConfigJson =>
    server["type"] === "stdio" ? { command: server["command"], args: server["args"] } : server
  ),
  copilot: otherServer.map((server): ConfigJson => ({ tools: ["*"], ...server }))
}

/**
 * Config files as a user's agent may have them, for `kind`: random other
 * servers (none named `supervise`) in the form that agent's CLI writes them
 * back (Codex and Copilot CLI rewrite every entry when they write), and
 * random top-level keys (`x-…`). For `claude-code` it is `arbitraryConfig`.
 *
 * @since 0.3.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * const [config] = FastCheck.sample(Testing.arbitraryAgentConfig("codex"), 1) // { "x-…": …, mcp_servers: { … } }
 */
export const arbitraryAgentConfig = (kind: SupervisePlan.AgentKind): FastCheck.Arbitrary<ConfigJson> =>
  kind === "claude-code" ? arbitraryConfig : FastCheck.record({
    keys: FastCheck.dictionary(
      FastCheck.stringMatching(/^[a-z][a-zA-Z0-9]{0,10}$/).map((k) => `x-${k}`),
      FastCheck.oneof(
        FastCheck.string({ maxLength: 12 }),
        FastCheck.integer({ min: -1000, max: 1000 }),
        FastCheck.boolean()
      ),
      { maxKeys: 4 }
    ),
    servers: FastCheck.dictionary(
      FastCheck.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((name) => !name.includes("supervise")),
      agentServer[kind],
      { maxKeys: 4 }
    )
  }).map(({ keys, servers }) => ({ ...keys, [fakeAgentOf(kind).serversKey]: servers }))

/**
 * Valid plans for `kind`, as `arbitraryPlan` draws them, for the default
 * guest's agent (`node`, `/home/node`), sometimes with the agent's config
 * directory moved (`configDir`).
 *
 * @since 0.3.0
 * @category arbitraries
 * @example
 * import * as Testing from "bottle-supervise/Testing"
 * import { FastCheck } from "effect"
 *
 * const [plan] = FastCheck.sample(Testing.arbitraryAgentPlan("gemini"), 1) // plan.agent.kind === "gemini"
 */
export const arbitraryAgentPlan = (
  kind: SupervisePlan.AgentKind
): FastCheck.Arbitrary<SupervisePlan.SmolmachinesBottlePlan> =>
  arbitraryPlan.map((plan) =>
    SupervisePlan.SmolmachinesBottlePlan.make({
      ...plan,
      agent: SupervisePlan.makeAgentPlan({ ...plan.agent, kind })
    })
  )
