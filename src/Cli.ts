/**
 * The `bottle-supervise` operator CLI, built with `@effect/cli`: register or
 * check a bottle's supervise MCP sidecar from the host with one command.
 *
 * ```sh
 * SUPERVISE_TOKEN=… bottle-supervise provision --machine bottle-1 --url http://127.0.0.1:4318/ --token-env SUPERVISE_TOKEN
 * bottle-supervise verify --machine bottle-1 --url http://127.0.0.1:4318/ --json
 * bottle-supervise provision --docker agent-1 --url http://172.17.0.1:4318/ --dry-run
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
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as App from "./cli/app.js"
import * as Commands from "./cli/commands.js"
import type { OutcomeNotOk, PlanError } from "./cli/errors.js"
import { ExitCode } from "./cli/exitCode.js"
import type { PlanFlags } from "./cli/flags.js"
import * as Help from "./cli/help.js"
import { version } from "./cli/version.js"
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
   *   target: { backend: "smolvm", name: "bottle-1" },
   *   url: "http://127.0.0.1:4318/",
   *   serverName: Option.none(),
   *   tokenEnv: Option.some("SUPERVISE_TOKEN"),
   *   agent: Option.none(),
   *   user: Option.none(),
   *   home: Option.none(),
   *   configDir: Option.none(),
   *   timeout: Option.some("30s"),
   *   dryRun: true,
   *   json: false
   * }
   */
  PlanFlags,
  /**
   * Where a command runs: `--machine NAME` (`backend: "smolvm"`) or
   * `--docker CONTAINER` (`backend: "docker"`).
   *
   * @since 0.2.0
   * @category models
   * @example
   * import * as Cli from "bottle-supervise/Cli"
   *
   * const target: Cli.PlanTarget = { backend: "docker", name: "agent-1" }
   */
  PlanTarget
} from "./cli/flags.js"

export {
  /**
   * The `Sandbox` layer a command runs with, for the backend its flags chose:
   * `Smolvm.layer` for `--machine`, `Docker.layer` for `--docker` by default.
   * Provide another value to run the CLI on a fake or on layers built with
   * other options.
   *
   * @since 0.2.0
   * @category backends
   * @example
   * import * as Cli from "bottle-supervise/Cli"
   * import { Smolvm } from "bottle-supervise"
   * import { Effect } from "effect"
   *
   * // Every backend answered by one fake smolvm that succeeds.
   * const onFake = Effect.provideService(Cli.SandboxLayer, () => Smolvm.layerTest(() => Effect.succeed({ exitCode: 0 })))
   */
  SandboxLayer
} from "./cli/backend.js"

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
  CommandExecutor.CommandExecutor,
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
  CommandExecutor.CommandExecutor,
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
  CommandExecutor.CommandExecutor,
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
 * What `run` needs: `@effect/cli`'s platform environment and a
 * `CommandExecutor` for the sandbox client, all of which `NodeContext.layer`
 * provides. The backend's layer is chosen per command by its flags (see
 * `SandboxLayer`); since 0.2 it is no longer a requirement.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Logger } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * // Logs on stderr, so that `--json` leaves stdout to the outcome.
 * const CliLive: Layer.Layer<Cli.Environment> = Layer.merge(NodeContext.layer, Logger.layerOperator)
 */
export type Environment = App.Environment

/**
 * The whole CLI as one effect: parses `argv` (as `process.argv`, runtime and
 * script first), runs the command, prints its output, and returns the exit
 * code instead of exiting, so a launcher can embed it. Never fails;
 * interruption is left to the runtime. The command runs on the backend its
 * flags name (`--machine`: smolvm, `--docker`: Docker; see `SandboxLayer`).
 * `--help`, `--version` and
 * `--log-level` are read anywhere before a `--`; every error is one or more
 * lines on stderr starting `bottle-supervise: `. `--help` is coloured only
 * on a terminal without `NO_COLOR`.
 *
 * @since 0.1.0
 * @category running
 * @example
 * import * as Cli from "bottle-supervise/Cli"
 * import { Logger } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * // Logs on stderr (the operator logger), so that `--json` leaves stdout to the outcome.
 * const code = Cli.run(["node", "bottle-supervise", "verify", "--docker", "agent-1", "--url", "http://172.17.0.1:4318/"]).pipe(
 *   Effect.provide(Layer.merge(NodeContext.layer, Logger.layerOperator))
 * )
 */
export const run: (argv: ReadonlyArray<string>) => Effect.Effect<ExitCode, never, Environment> = App.run
