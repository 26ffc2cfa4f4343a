/**
 * The `bottle-supervise` operator CLI, built with `@effect/cli`: register or
 * check a bottle's supervise MCP sidecar from the host with one command.
 *
 * ```sh
 * SUPERVISE_TOKEN=… bottle-supervise provision --machine bottle-1 --url http://127.0.0.1:4318/ --token-env SUPERVISE_TOKEN
 * bottle-supervise verify --machine bottle-1 --url http://127.0.0.1:4318/ --json
 * ```
 *
 * The command tree is exported so it can be tested or embedded in a larger
 * CLI; `run` is the whole program minus the runtime (see `bin.ts`).
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Guest from "./internal/guest.js"
import { PINNED_ENV, prepare } from "./internal/request.js"
import * as Shell from "./internal/shellQuote.js"
import { problem as machineNameProblem } from "./MachineName.js"
import * as ProvisionSupervise from "./ProvisionSupervise.js"
import type { Smolvm } from "./Smolvm.js"
import type { SmolvmNotFound } from "./SmolvmError.js"
import * as SupervisePlan from "./SupervisePlan.js"

/**
 * The CLI's version, as printed by `--version`.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * Cli.VERSION // "0.1.0"
 */
export const VERSION = "0.1.0"

/**
 * The process exit codes, also listed at the end of `--help`:
 *
 * - `Ok` (0): `Registered`, `Unchanged`, `Replaced`, `Connected`; a dry run;
 *   `--help`, `--version`.
 * - `NotOk` (1): `Failed`, `Unreachable`, `NotRegistered`; an unexpected
 *   internal error.
 * - `Usage` (2): bad flags, an invalid plan (URL, machine name, user, paths,
 *   server name, timeout), a `--token-env` variable that is unset or empty.
 * - `SmolvmNotFound` (3): the smolvm binary (`SMOLVM_BIN`, default `smolvm`)
 *   is missing or not executable.
 * - `Interrupted` (130): stopped by SIGINT/SIGTERM.
 *
 * @since 0.1.0
 * @category exit codes
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * Cli.ExitCode.Usage // 2
 */
export const ExitCode = {
  Ok: 0,
  NotOk: 1,
  Usage: 2,
  SmolvmNotFound: 3,
  Interrupted: 130
} as const

/**
 * One of the values of `ExitCode`.
 *
 * @since 0.1.0
 * @category exit codes
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * const succeeded = (code: Cli.ExitCode) => code === Cli.ExitCode.Ok
 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * The flags were well-formed but the plan they describe is not: a bad URL,
 * machine name, user, path, server name or timeout, or a `--token-env`
 * variable that is unset or empty. Exit code 2. The message names the flag and
 * never contains a token.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * new Cli.PlanError({ problems: ["--url: must use http or https"] }).message
 * // "invalid plan:\n  --url: must use http or https"
 */
export class PlanError extends Data.TaggedError("PlanError")<{ readonly problems: ReadonlyArray<string> }> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `invalid plan:\n${this.problems.map((p) => `  ${p}`).join("\n")}`
  }
}

/**
 * The command ran and its outcome was not a success (`Failed`, `Unreachable`,
 * `NotRegistered`); the outcome has already been printed. Exit code 1.
 *
 * @since 0.1.0
 * @category errors
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * new Cli.OutcomeNotOk({ outcome: "Unreachable" }).message // "outcome: Unreachable"
 */
export class OutcomeNotOk extends Data.TaggedError("OutcomeNotOk")<{ readonly outcome: string }> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `outcome: ${this.outcome}`
  }
}

// -----------------------------------------------------------------------------
// Flags
// -----------------------------------------------------------------------------

const planFlags = {
  machine: Options.text("machine").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription(
      "The smolvm machine (bottle) to run in, as `smolvm machine exec --name NAME`: 1 to 128 characters from " +
        "[A-Za-z0-9_-], starting with a letter or digit."
    )
  ),
  url: Options.text("url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(
      "The URL the agent inside the guest uses to reach the supervise sidecar: any http(s) URL without credentials, " +
        "e.g. http://127.0.0.1:4318/ under smolvm's TSI networking, http://100.96.0.1:4318/ under virtio-net."
    )
  ),
  serverName: Options.text("server-name").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription("The MCP server name in the agent's Claude Code config. Default: supervise."),
    Options.optional
  ),
  tokenEnv: Options.text("token-env").pipe(
    Options.withPseudoName("VAR"),
    Options.withDescription(
      "The NAME of the host environment variable that holds the sidecar's bearer token (sent as " +
        "`Authorization: Bearer …`). The value travels to the guest through smolvm --secret-env and is never " +
        "printed or put on a command line; there is no flag that takes the token itself. Unset or empty is an error. " +
        "Without this flag no header is registered."
    ),
    Options.optional
  ),
  user: Options.text("user").pipe(
    Options.withPseudoName("USER"),
    Options.withDescription("The agent user inside the guest; registration runs as this user. Default: node."),
    Options.optional
  ),
  home: Options.text("home").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription("The agent's home inside the guest (absolute). Default: /home/USER (/root for root)."),
    Options.optional
  ),
  configDir: Options.text("config-dir").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription(
      "The agent's CLAUDE_CONFIG_DIR inside the guest (absolute), when it sets one; the config file is then " +
        "DIR/.claude.json instead of HOME/.claude.json."
    ),
    Options.optional
  ),
  timeout: Options.text("timeout").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDescription(
      "Overall deadline, retries included, e.g. 30s, 2m, 500ms, 1m30s. Default: 60s for provision, 90s for verify."
    ),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription(
      "Validate the plan and print the exact smolvm command line(s) that would run, then exit without running " +
        "anything. The token is shown as a reference to the --token-env variable."
    )
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription(
      "Print the outcome (or the dry run) as one JSON object on stdout instead of a sentence. Logs stay on stderr."
    )
  )
} as const

/**
 * The parsed flags shared by `provision` and `verify`.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Option } from "effect"
 *
 * const flags: Cli.PlanFlags = {
 *   machine: "bottle-1",
 *   url: "http://127.0.0.1:4318/",
 *   serverName: Option.none(),
 *   tokenEnv: Option.some("SUPERVISE_TOKEN"),
 *   user: Option.none(),
 *   home: Option.none(),
 *   configDir: Option.none(),
 *   timeout: Option.some("30s"),
 *   dryRun: true,
 *   json: false
 * }
 */
export interface PlanFlags {
  readonly machine: string
  readonly url: string
  readonly serverName: Option.Option<string>
  readonly tokenEnv: Option.Option<string>
  readonly user: Option.Option<string>
  readonly home: Option.Option<string>
  readonly configDir: Option.Option<string>
  readonly timeout: Option.Option<string>
  readonly dryRun: boolean
  readonly json: boolean
}

// -----------------------------------------------------------------------------
// Plan
// -----------------------------------------------------------------------------

const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  "supervisePlan.agentUrl": "--url",
  "supervisePlan.serverName": "--server-name",
  "supervisePlan.token": "the token in --token-env",
  "agent.user": "--user",
  "agent.home": "--home",
  "agent.configDir": "--config-dir"
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses a humantime-style duration (`30s`, `2m`, `500ms`, `1m30s`, `1.5s`) or
 * an Effect duration string (`30 seconds`).
 */
const parseTimeout = (input: string): Duration.Duration | undefined => {
  const text = input.trim()
  let total = 0
  let rest = text
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/
  while (rest.length > 0) {
    const match = part.exec(rest)
    if (match === null) break
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN)
    rest = rest.slice(match[0].length)
  }
  const fromHumantime = text.length > 0 && rest.length === 0 ? Option.some(Duration.millis(total)) : Option.none()
  const decoded = Option.orElse(fromHumantime, () => Duration.decodeUnknown(text))
  return Option.getOrUndefined(
    Option.filter(decoded, (d) => Duration.isFinite(d) && Duration.toMillis(d) >= 1)
  )
}

/** What a command needs once the flags have become a plan. */
interface Resolved {
  readonly plan: SupervisePlan.SmolmachinesBottlePlan
  readonly supervise: SupervisePlan.SupervisePlan
  readonly target: string
  readonly timeout: Duration.Duration | undefined
}

// An optional field with a default decodes through `X | undefined`: when X
// fails, the `undefined` branch fails too, and says nothing useful.
const UNDEFINED_BRANCH = /^Expected undefined, actual /

const formatParseError = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .filter((issue) => !UNDEFINED_BRANCH.test(issue.message))
    .map((issue) => {
      const path = issue.path.map(String).join(".")
      return `${FLAG_OF_PATH[path] ?? (path || "plan")}: ${issue.message}`
    })

const resolvePlan = (flags: PlanFlags): Effect.Effect<Resolved, PlanError> =>
  Effect.gen(function*() {
    const problems: Array<string> = []
    const badMachine = machineNameProblem(flags.machine)
    if (badMachine !== undefined) problems.push(`--machine: ${badMachine}`)

    const timeout = Option.match(flags.timeout, {
      onNone: () => undefined,
      onSome: (text) => {
        const parsed = parseTimeout(text)
        if (parsed === undefined) {
          problems.push(`--timeout: ${JSON.stringify(text)} is not a duration like 30s, 2m, 500ms or 1m30s`)
        }
        return parsed
      }
    })

    let token: string | undefined
    if (Option.isSome(flags.tokenEnv)) {
      const name = flags.tokenEnv.value
      if (!ENV_NAME.test(name)) {
        problems.push(`--token-env: ${JSON.stringify(name)} is not an environment variable name`)
      } else {
        const value = yield* Config.option(Config.redacted(name)).pipe(
          Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
        )
        if (Option.isNone(value)) {
          problems.push(`--token-env: the environment variable ${name} is not set`)
        } else if (Redacted.value(value.value).length === 0) {
          problems.push(`--token-env: the environment variable ${name} is empty`)
        } else {
          token = Redacted.value(value.value)
        }
      }
    }

    const input = {
      supervisePlan: {
        agentUrl: flags.url,
        ...Option.match(flags.serverName, { onNone: () => ({}), onSome: (serverName) => ({ serverName }) }),
        ...(token === undefined ? {} : { token })
      },
      agent: {
        ...Option.match(flags.user, { onNone: () => ({}), onSome: (user) => ({ user }) }),
        ...Option.match(flags.home, { onNone: () => ({}), onSome: (home) => ({ home }) }),
        ...Option.match(flags.configDir, { onNone: () => ({}), onSome: (configDir) => ({ configDir }) })
      }
    }
    const decoded = yield* Effect.either(SupervisePlan.decode(input))
    if (Either.isLeft(decoded)) {
      const lines = formatParseError(decoded.left)
      problems.push(...(lines.length > 0 ? lines : [ParseResult.TreeFormatter.formatErrorSync(decoded.left)]))
    }
    if (problems.length > 0 || Either.isLeft(decoded)) return yield* new PlanError({ problems })
    const plan = decoded.right
    const supervise = plan.supervisePlan
    if (supervise === undefined) return yield* new PlanError({ problems: ["--url: required"] })
    return { plan, supervise, target: flags.machine, timeout }
  })

// -----------------------------------------------------------------------------
// Dry run
// -----------------------------------------------------------------------------

interface DryRunStep {
  readonly when: string
  readonly argv: ReadonlyArray<string>
  readonly hostEnv: Readonly<Record<string, string>>
  readonly commandLine: string
}

const smolvmBinary = Config.string("SMOLVM_BIN").pipe(Config.withDefault("smolvm"))

const dryRunSteps = (
  resolved: Resolved,
  steps: ReadonlyArray<readonly [when: string, argv: ReadonlyArray<string>, withToken: boolean]>,
  tokenEnv: Option.Option<string>,
  defaultTimeout: Duration.Duration
): Effect.Effect<ReadonlyArray<DryRunStep>, PlanError> =>
  Effect.gen(function*() {
    const binary = yield* Effect.orElseSucceed(smolvmBinary, () => "smolvm")
    const token = resolved.supervise.token
    const out: Array<DryRunStep> = []
    for (const [when, argv, withToken] of steps) {
      const prepared = prepare(resolved.target, argv, {
        timeout: resolved.timeout ?? defaultTimeout,
        secretEnv: withToken && token !== undefined ? { [Guest.TOKEN_VAR]: token } : undefined
      })
      if (Either.isLeft(prepared)) return yield* new PlanError({ problems: [prepared.left.message] })
      // The secret host variables carry the token's value: show where it comes from instead.
      const hostEnv: Record<string, string> = {}
      for (const key of Object.keys(prepared.right.env)) {
        hostEnv[key] = Object.hasOwn(PINNED_ENV, key)
          ? prepared.right.env[key] ?? ""
          : `$${Option.getOrElse(tokenEnv, () => "TOKEN")}`
      }
      const assignments = Object.entries(hostEnv).map(([key, value]) =>
        Object.hasOwn(PINNED_ENV, key) ? Shell.quote(`${key}=${value}`) : `${key}="${value}"`
      )
      const fullArgv = [binary, ...prepared.right.args]
      out.push({ when, argv: fullArgv, hostEnv, commandLine: [...assignments, Shell.join(fullArgv)].join(" ") })
    }
    return out
  })

const printDryRun = (command: "provision" | "verify", steps: ReadonlyArray<DryRunStep>, json: boolean) =>
  json
    ? Console.log(JSON.stringify({ _tag: "DryRun", command, steps }))
    : Console.log(
      [
        `# bottle-supervise ${command} --dry-run: nothing was run. It would run:`,
        ...steps.flatMap((step, i) => ["", `# ${i + 1}. ${step.when}`, step.commandLine])
      ].join("\n")
    )

// -----------------------------------------------------------------------------
// Outcomes
// -----------------------------------------------------------------------------

const plural = (n: number) => `${n} exec${n === 1 ? "" : "s"}`

const describeProvision = (outcome: ProvisionSupervise.ProvisionOutcome): string => {
  switch (outcome._tag) {
    case "Skipped":
      return `Skipped: supervise is off for ${outcome.target}`
    case "Registered":
      return `Registered: ${outcome.serverName} → ${outcome.url} in ${outcome.target} (${plural(outcome.execs)})`
    case "Unchanged":
      return `Unchanged: ${outcome.serverName} → ${outcome.url} was already registered in ${outcome.target} (${
        plural(outcome.execs)
      })`
    case "Replaced":
      return `Replaced: ${outcome.serverName} → ${outcome.url} in ${outcome.target}${
        outcome.previousUrl === undefined ? "" : `, was ${outcome.previousUrl}`
      } (changed: ${outcome.changed.join(", ")}; ${plural(outcome.execs)})`
    case "Failed":
      return `Failed: ${outcome.error.message} (${plural(outcome.execs)})\n` +
        `Register by hand inside the bottle, as the agent user: ${outcome.hint}`
  }
}

const describeVerify = (outcome: ProvisionSupervise.VerifyOutcome): string => {
  switch (outcome._tag) {
    case "Skipped":
      return `Skipped: supervise is off for ${outcome.target}`
    case "Connected":
      return `Connected: the agent in ${outcome.target} reaches ${outcome.serverName} at ${
        outcome.registeredUrl ?? outcome.url
      }`
    case "Unreachable":
      return `Unreachable: the agent in ${outcome.target} cannot use ${outcome.serverName}${
        outcome.registeredUrl === undefined ? "" : ` (registered as ${outcome.registeredUrl})`
      }: ${outcome.reason}`
    case "NotRegistered":
      return `NotRegistered: the agent's config in ${outcome.target} has no MCP server named ${outcome.serverName}; ` +
        `run bottle-supervise provision`
    case "Failed":
      return `Failed: ${outcome.error.message} (${plural(outcome.execs)})\n` +
        `Register by hand inside the bottle, as the agent user: ${outcome.hint}`
  }
}

const OK_TAGS: ReadonlySet<string> = new Set(["Registered", "Unchanged", "Replaced", "Connected"])

const report = <A extends { readonly _tag: string }, I>(
  outcome: A,
  schema: Schema.Schema<A, I>,
  json: boolean,
  describe: (outcome: A) => string
): Effect.Effect<void, OutcomeNotOk> =>
  Effect.gen(function*() {
    if (json) {
      const encoded = yield* Effect.orDie(Schema.encode(schema)(outcome))
      yield* Console.log(JSON.stringify(encoded))
    } else {
      yield* Console.log(describe(outcome))
    }
    if (!OK_TAGS.has(outcome._tag)) return yield* new OutcomeNotOk({ outcome: outcome._tag })
  })

// -----------------------------------------------------------------------------
// Commands
// -----------------------------------------------------------------------------

const PROVISION_TIMEOUT = Duration.seconds(60)
const VERIFY_TIMEOUT = Duration.seconds(90)

const provisionHandler = (flags: PlanFlags) =>
  Effect.gen(function*() {
    const resolved = yield* resolvePlan(flags)
    const { plan, supervise, target, timeout } = resolved
    if (flags.dryRun) {
      const steps = yield* dryRunSteps(resolved, [
        ["register: always runs (claude mcp add, as the agent user)", Guest.addArgv(plan.agent, supervise), true],
        [
          "only when the entry already exists: read the agent's config",
          Guest.readConfigArgv(plan.agent),
          false
        ],
        [
          "only when the stored entry differs: replace it (claude mcp remove + add)",
          Guest.replaceArgv(plan.agent, supervise),
          true
        ]
      ], flags.tokenEnv, PROVISION_TIMEOUT)
      return yield* printDryRun("provision", steps, flags.json)
    }
    const outcome = yield* ProvisionSupervise.provisionSupervise(plan, target, timeout === undefined ? {} : { timeout })
    return yield* report(outcome, ProvisionSupervise.ProvisionOutcome, flags.json, describeProvision)
  })

const verifyHandler = (flags: PlanFlags) =>
  Effect.gen(function*() {
    const resolved = yield* resolvePlan(flags)
    const { plan, supervise, target, timeout } = resolved
    if (flags.dryRun) {
      const steps = yield* dryRunSteps(resolved, [
        ["check: the agent's own health check (claude mcp get, as the agent user)", Guest.getArgv(plan.agent, supervise), false]
      ], flags.tokenEnv, VERIFY_TIMEOUT)
      return yield* printDryRun("verify", steps, flags.json)
    }
    const outcome = yield* ProvisionSupervise.verifySupervise(plan, target, timeout === undefined ? {} : { timeout })
    return yield* report(outcome, ProvisionSupervise.VerifyOutcome, flags.json, describeVerify)
  })

/**
 * `bottle-supervise provision`: register the sidecar in the agent's
 * user-level Claude Code config (add, or reconcile an existing entry).
 *
 * @since 0.1.0
 * @category commands
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Command } from "@effect/cli"
 *
 * const app = Command.make("launcher").pipe(Command.withSubcommands([Cli.provision]))
 */
export const provision: Command.Command<
  "provision",
  Smolvm,
  PlanError | OutcomeNotOk | SmolvmNotFound,
  PlanFlags
> = Command.make("provision", planFlags, provisionHandler).pipe(
  Command.withDescription(
    "Register the supervise MCP sidecar in the agent's user-level Claude Code config inside the bottle, as the " +
      "agent user: `claude mcp add` on first run; on a re-run the stored entry is read and left alone when it " +
      "matches (Unchanged) or replaced when URL, token or transport differ (Replaced). Outcomes: Registered, " +
      "Unchanged, Replaced (exit 0) or Failed (exit 1, with a command to run by hand)."
  )
)

/**
 * `bottle-supervise verify`: run the agent's own health check (`claude mcp
 * get`) inside the bottle and report whether the agent reaches the sidecar.
 *
 * @since 0.1.0
 * @category commands
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Command } from "@effect/cli"
 *
 * const app = Command.make("launcher").pipe(Command.withSubcommands([Cli.verify]))
 */
export const verify: Command.Command<
  "verify",
  Smolvm,
  PlanError | OutcomeNotOk | SmolvmNotFound,
  PlanFlags
> = Command.make("verify", planFlags, verifyHandler).pipe(
  Command.withDescription(
    "Check, with the agent's own health check (`claude mcp get`, as the agent user), that the agent inside the " +
      "bottle can reach the sidecar. Opens a real MCP connection: can take up to a minute against a port that " +
      "never answers. Outcomes: Connected (exit 0), Unreachable, NotRegistered or Failed (exit 1)."
  )
)

/**
 * The root command, `bottle-supervise`, with `provision` and `verify`.
 * Without a subcommand it fails with a usage error.
 *
 * @since 0.1.0
 * @category commands
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Command } from "@effect/cli"
 *
 * const main = Command.run(Cli.command, { name: "bottle-supervise", version: Cli.VERSION })
 */
export const command: Command.Command<
  "bottle-supervise",
  Smolvm,
  PlanError | OutcomeNotOk | SmolvmNotFound | ValidationError.ValidationError,
  { readonly subcommand: Option.Option<PlanFlags> }
> = Command.make("bottle-supervise", {}, () =>
  Effect.zipRight(
    Console.error("bottle-supervise: missing command: provision or verify (see --help)"),
    Effect.fail(ValidationError.missingSubcommand(HelpDoc.p("missing command: provision or verify")))
  )).pipe(
    Command.withDescription(
      "Register a bottle's supervise MCP sidecar in the agent's Claude Code config inside a smolvm microVM " +
        "(provision), or check that the agent can reach it (verify). Runs `smolvm machine exec` on the host; the " +
        "smolvm binary is SMOLVM_BIN (default: smolvm on PATH). Human logs go to stderr."
    ),
    Command.withSubcommands([provision, verify])
  )

const EXIT_CODE_ROWS: ReadonlyArray<readonly [string, string]> = [
  ["0", "Registered, Unchanged, Replaced (provision); Connected (verify); a dry run; --help; --version"],
  ["1", "Failed (provision or verify); Unreachable, NotRegistered (verify); an unexpected internal error"],
  ["2", "usage or plan error: bad flags, invalid URL, machine name, user, path, server name or timeout, " +
    "--token-env variable unset or empty"],
  ["3", "the smolvm binary (SMOLVM_BIN, default smolvm) is missing or not executable"],
  ["130", "interrupted (SIGINT/SIGTERM)"]
]

/**
 * The help footer: the exit-code table and the environment the CLI reads.
 *
 * @since 0.1.0
 * @category help
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { HelpDoc } from "@effect/cli"
 *
 * console.log(HelpDoc.toAnsiText(Cli.footer))
 */
export const footer: HelpDoc.HelpDoc = HelpDoc.blocks([
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList([
    [Span.text(EXIT_CODE_ROWS[0]![0]), HelpDoc.p(EXIT_CODE_ROWS[0]![1])],
    ...EXIT_CODE_ROWS.slice(1).map(([code, meaning]): [Span.Span, HelpDoc.HelpDoc] => [
      Span.text(code),
      HelpDoc.p(meaning)
    ])
  ]),
  HelpDoc.h1("ENVIRONMENT"),
  HelpDoc.descriptionList([
    [Span.text("SMOLVM_BIN"), HelpDoc.p("the smolvm executable (default: smolvm, found on PATH)")],
    [Span.text("the --token-env variable"), HelpDoc.p("the sidecar's bearer token; read, never printed")]
  ])
])

/**
 * What `run` needs: the `Smolvm` service and `@effect/cli`'s platform
 * environment (`NodeContext.layer` provides the latter).
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const CliLive: Layer.Layer<Cli.Environment> = Smolvm.layer.pipe(Layer.provideMerge(NodeContext.layer))
 */
export type Environment = Smolvm | CliApp.CliApp.Environment

/**
 * Prints what went wrong (when it has not been printed yet) and maps it to
 * an exit code.
 */
const toExitCode = (
  error: PlanError | OutcomeNotOk | SmolvmNotFound | ValidationError.ValidationError
): Effect.Effect<ExitCode> => {
  if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage)
  switch (error._tag) {
    case "PlanError":
      return Effect.as(Console.error(`bottle-supervise: ${error.message}`), ExitCode.Usage)
    case "OutcomeNotOk":
      return Effect.succeed(ExitCode.NotOk)
    case "SmolvmNotFound":
      // The error's detail repeats the whole command line: the operator needs the binary and what to do.
      return Effect.as(
        Console.error(
          `bottle-supervise: the smolvm binary ${JSON.stringify(error.binary)} ${
            error.reason === "NotFound"
              ? "was not found"
              : error.reason === "PermissionDenied"
              ? "is not executable"
              : "could not be started"
          }; set SMOLVM_BIN to the path of smolvm`
        ),
        ExitCode.SmolvmNotFound
      )
  }
}

/**
 * The whole CLI as one effect: parses `argv` (as `process.argv`, runtime and
 * script first), runs the command, prints its output, and returns the exit
 * code instead of exiting. Never fails; interruption is left to the runtime.
 *
 * @since 0.1.0
 * @category running
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const code = Cli.run(["node", "bottle-supervise", "verify", "--machine", "b1", "--url", "http://127.0.0.1:4318/"]).pipe(
 *   Effect.provide(Smolvm.layer.pipe(Layer.provideMerge(NodeContext.layer)))
 * )
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Environment> =>
  Command.run(command, { name: "bottle-supervise", version: VERSION, footer })(argv).pipe(
    Effect.as(ExitCode.Ok),
    Effect.catchAll(toExitCode),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        Console.error(`bottle-supervise: internal error: ${Cause.pretty(Cause.die(defect))}`),
        ExitCode.NotOk
      )
    )
  )

/**
 * A `runMain` teardown that exits with the code `run` returned: 130 when
 * interrupted, 1 for anything else that ended the program.
 *
 * @since 0.1.0
 * @category running
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * NodeRuntime.runMain(Effect.succeed(Cli.ExitCode.Ok), { teardown: Cli.teardown })
 */
export const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void): void => {
  if (Exit.isSuccess(exit)) {
    onExit(typeof exit.value === "number" ? exit.value : ExitCode.Ok)
  } else {
    onExit(Cause.isInterruptedOnly(exit.cause) ? ExitCode.Interrupted : ExitCode.NotOk)
  }
}
