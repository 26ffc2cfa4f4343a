/**
 * The `bottle-supervise` operator CLI, built with `@effect/cli`: register or
 * check a bottle's supervise MCP sidecar from the host with one command.
 *
 * ```sh
 * SUPERVISE_TOKEN=… bottle-supervise provision --machine bottle-1 --url http://127.0.0.1:4318/ --token-env SUPERVISE_TOKEN
 * bottle-supervise verify --machine bottle-1 --url http://127.0.0.1:4318/ --json
 * ```
 *
 * The CLI is an application on the library (its code is under `cli/`); this
 * module is its public face: the command tree, to test or embed it in a
 * larger CLI, and `run`, the whole program minus Node's process, which
 * `bin.ts` owns (signals, flushing, the exit).
 *
 * @since 0.1.0
 */
import type * as Command from "@effect/cli/Command"
import type * as HelpDoc from "@effect/cli/HelpDoc"
import type * as ValidationError from "@effect/cli/ValidationError"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as App from "./cli/app.js"
import * as Commands from "./cli/commands.js"
import type { OutcomeNotOk, PlanError } from "./cli/errors.js"
import { ExitCode } from "./cli/exitCode.js"
import type { PlanFlags } from "./cli/flags.js"
import * as Help from "./cli/help.js"
import { version } from "./cli/version.js"
import type { Sandbox } from "./Sandbox.js"
import type { ClientNotFound } from "./SandboxError.js"

export {
  /**
   * The process exit codes `run` returns, also listed at the end of
   * `--help`. `ClientNotFound` (3) is also `SmolvmNotFound`, its 0.1 name.
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
} from "./cli/errors.js"

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
} from "./cli/flags.js"

/**
 * The CLI's version, as printed by `--version`: the package's own, read from
 * its package.json.
 *
 * @since 0.1.0
 * @category constants
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 *
 * console.log(`bottle-supervise ${Cli.VERSION}`)
 */
export const VERSION: string = version

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
> = Commands.provision

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
> = Commands.verify

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
 * const main = Command.run(Cli.command, { name: "bottle-supervise", version: Cli.VERSION, footer: Cli.footer })
 */
export const command: Command.Command<
  "bottle-supervise",
  Sandbox,
  PlanError | OutcomeNotOk | ClientNotFound | ValidationError.ValidationError,
  { readonly subcommand: Option.Option<PlanFlags> }
> = Commands.command

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
export const footer: HelpDoc.HelpDoc = Help.footer

/**
 * What `run` needs: the `Sandbox` service (`Smolvm.layer`) and
 * `@effect/cli`'s platform environment (`NodeContext.layer` provides the
 * latter).
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
export type Environment = App.Environment

/**
 * The whole CLI as one effect: parses `argv` (as `process.argv`, runtime and
 * script first), runs the command, prints its output, and returns the exit
 * code instead of exiting, so a launcher can embed it. Never fails;
 * interruption is left to the runtime. `--help`, `--version` and
 * `--log-level` are read anywhere before a `--`; every error is one or more
 * lines on stderr starting `bottle-supervise: `. `--help` is coloured only
 * on a terminal without `NO_COLOR`.
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
export const run: (argv: ReadonlyArray<string>) => Effect.Effect<ExitCode, never, Environment> = App.run
