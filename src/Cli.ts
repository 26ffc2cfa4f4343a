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
import * as ValidationError from "@effect/cli/ValidationError"
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type { OutcomeNotOk, PlanError } from "./internal/cli/errors.js"
import { ExitCode, fromError, MEANINGS } from "./internal/cli/exitCode.js"
import { planFlags, type PlanFlags } from "./internal/cli/flags.js"
import * as Handlers from "./internal/cli/handlers.js"
import type { Sandbox } from "./Sandbox.js"
import type { ClientNotFound } from "./SandboxError.js"

export {
  /**
   * The process exit codes `run` returns, also listed at the end of
   * `--help`.
   *
   * @since 0.1.0
   * @category exit codes
   * @example
   * import * as Cli from "bottle-supervise/Cli"
   *
   * Cli.ExitCode.Usage // 2
   * const succeeded = (code: Cli.ExitCode) => code === Cli.ExitCode.Ok
   */
  ExitCode
}

export {
  /**
   * The command ran and its outcome was not a success (`Failed`,
   * `Unreachable`, `NotRegistered`); the outcome has already been printed.
   * Exit code 1.
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import * as Cli from "bottle-supervise/Cli"
   *
   * new Cli.OutcomeNotOk({ outcome: "Unreachable" }).message // "outcome: Unreachable"
   */
  OutcomeNotOk,
  /**
   * The flags were well-formed but the plan they describe is not. Exit code 2.
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import * as Cli from "bottle-supervise/Cli"
   *
   * new Cli.PlanError({ problems: ["--url: must use http or https"] }).message
   * // "invalid plan:\n  --url: must use http or https"
   */
  PlanError
} from "./internal/cli/errors.js"

export type {
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
  PlanFlags
} from "./internal/cli/flags.js"

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
  Sandbox,
  PlanError | OutcomeNotOk | ClientNotFound,
  PlanFlags
> = Command.make("provision", planFlags, Handlers.provision).pipe(
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
  Sandbox,
  PlanError | OutcomeNotOk | ClientNotFound,
  PlanFlags
> = Command.make("verify", planFlags, Handlers.verify).pipe(
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
  Sandbox,
  PlanError | OutcomeNotOk | ClientNotFound | ValidationError.ValidationError,
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
  HelpDoc.descriptionList(
    Arr.map(MEANINGS, ([code, meaning]): [Span.Span, HelpDoc.HelpDoc] => [Span.text(String(code)), HelpDoc.p(meaning)])
  ),
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
 * import { Logger, Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * // Logs on stderr, so that `--json` leaves stdout to the outcome.
 * const CliLive: Layer.Layer<Cli.Environment> = Layer.mergeAll(Smolvm.layer, Logger.layerOperator).pipe(
 *   Layer.provideMerge(NodeContext.layer)
 * )
 */
export type Environment = Sandbox | CliApp.CliApp.Environment

/**
 * The whole CLI as one effect: parses `argv` (as `process.argv`, runtime and
 * script first), runs the command, prints its output, and returns the exit
 * code instead of exiting, so a launcher can embed it. Never fails;
 * interruption is left to the runtime.
 *
 * @since 0.1.0
 * @category running
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Logger, Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * // Logs on stderr (the operator logger), so that `--json` leaves stdout to the outcome.
 * const code = Cli.run(["node", "bottle-supervise", "verify", "--machine", "b1", "--url", "http://127.0.0.1:4318/"]).pipe(
 *   Effect.provide(Layer.mergeAll(Smolvm.layer, Logger.layerOperator).pipe(Layer.provideMerge(NodeContext.layer)))
 * )
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Environment> =>
  Effect.suspend(() =>
    // The wizard prompts on stdin and would wait forever on a pipe or /dev/null.
    argv.includes("--wizard") && process.stdin.isTTY !== true
      ? Effect.as(Console.error("bottle-supervise: --wizard needs a terminal on stdin"), ExitCode.Usage)
      : runCommand(argv)
  )

const runCommand = (argv: ReadonlyArray<string>): Effect.Effect<ExitCode, never, Environment> =>
  Command.run(command, { name: "bottle-supervise", version: VERSION, footer })(argv).pipe(
    Effect.as(ExitCode.Ok),
    Effect.catchAll(fromError),
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
  const code = Exit.isSuccess(exit)
    ? typeof exit.value === "number" ? exit.value : ExitCode.Ok
    : Cause.isInterruptedOnly(exit.cause)
    ? ExitCode.Interrupted
    : ExitCode.NotOk
  afterFlush(() => onExit(code))
}

/** How long the exit waits for a reader that does not drain stdout or stderr. */
const FLUSH_LIMIT_MS = 5_000

/**
 * `runMain` exits with `process.exit` on a non-zero code, which drops what is
 * still queued for a pipe (a `Failed` outcome can carry MBs of guest output):
 * `--json | jq` would get a cut object. Wait for both streams, boundedly.
 */
const afterFlush = (then: () => void): void => {
  let pending = 2
  let finished = false
  const finish = () => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    then()
  }
  const timer = setTimeout(finish, FLUSH_LIMIT_MS)
  const flushed = () => {
    if (--pending === 0) finish()
  }
  process.stdout.write("", flushed)
  process.stderr.write("", flushed)
}
