/**
 * The command tree: `provision` and `verify` under `bottle-supervise`, with
 * the descriptions `--help` shows. Public through `bottle-supervise/Cli`.
 *
 * @internal
 */
import type * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Usage from "@effect/cli/Usage"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { ClientNotFound } from "../SandboxError.js"
import type { OutcomeNotOk, PlanError } from "./errors.js"
import { type PlanFlags, planFlags } from "./flags.js"
import * as Handlers from "./handlers.js"
import { PROGRAM } from "./help.js"

/** @internal */
export const provision: Command.Command<
  "provision",
  CommandExecutor.CommandExecutor,
  PlanError | OutcomeNotOk | ClientNotFound,
  PlanFlags
> = Command.make("provision", planFlags, Handlers.provision).pipe(
  Command.withDescription(
    "Register the supervise MCP sidecar in the agent's user-level config inside the bottle (--agent: Claude Code, " +
      "Codex, Gemini CLI or Copilot CLI), as the agent user, through the agent's own CLI on first run; on a re-run the stored entry is read and left alone when it " +
      "matches (Unchanged) or replaced when URL, token or transport differ (Replaced). Outcomes: Registered, " +
      "Unchanged, Replaced (exit 0) or Failed (exit 1, with a command to run by hand)."
  )
)

/** @internal */
export const verify: Command.Command<
  "verify",
  CommandExecutor.CommandExecutor,
  PlanError | OutcomeNotOk | ClientNotFound,
  PlanFlags
> = Command.make("verify", planFlags, Handlers.verify).pipe(
  Command.withDescription(
    "Check, with the agent's own health check (`claude mcp get`, `gemini mcp list`; for Codex and Copilot CLI the " +
      "stored entry and an MCP initialize from inside the guest), as the agent user, that the agent inside the " +
      "bottle can reach the sidecar. Opens a real MCP connection: can take up to a minute against a port that " +
      "never answers. Outcomes: Connected (exit 0), Unreachable, NotRegistered or Failed (exit 1)."
  )
)

/** @internal */
export const command: Command.Command<
  typeof PROGRAM,
  CommandExecutor.CommandExecutor,
  PlanError | OutcomeNotOk | ClientNotFound | ValidationError.ValidationError,
  { readonly subcommand: Option.Option<PlanFlags> }
> = Command.make(PROGRAM, {}, () =>
  // A usage error like any other: `run` prints it with the same prefix and exits 2.
  Effect.fail(ValidationError.missingSubcommand(HelpDoc.p("missing command: provision or verify (see --help)")))).pipe(
    Command.withDescription(
      "Register a bottle's supervise MCP sidecar in the agent's config inside a smolvm microVM " +
        "(--machine) or a Docker container (--docker) (provision), or check that the agent can reach it (verify). " +
        "Runs `smolvm machine exec` or `docker exec` on the host; the binaries are SMOLVM_BIN and DOCKER_BIN " +
        "(default: smolvm and docker on PATH). Human logs go to stderr."
    ),
    Command.withSubcommands([provision, verify])
  )

/** The subcommands' names: a help page is about the first of them on the command line, if any. @internal */
export const SUBCOMMANDS: ReadonlySet<string> = new Set(["provision", "verify"])

/**
 * What a help page shows for the program (`name` undefined or unknown) or
 * one subcommand: its usage lines and `@effect/cli`'s help.
 *
 * @internal
 */
export const helpParts = (
  name: string | undefined,
  config: CliConfig.CliConfig
): { readonly usages: ReadonlyArray<Usage.Usage>; readonly help: HelpDoc.HelpDoc } => {
  switch (name) {
    case "provision":
      return { usages: [Command.getUsage(provision)], help: Command.getHelp(provision, config) }
    case "verify":
      return { usages: [Command.getUsage(verify)], help: Command.getHelp(verify, config) }
    default:
      return {
        usages: [Command.getUsage(provision), Command.getUsage(verify)],
        help: Command.getHelp(command, config)
      }
  }
}
