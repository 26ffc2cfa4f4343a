/**
 * The flags `provision` and `verify` share, as `@effect/cli` options. The
 * descriptions are the `--help` text.
 *
 * @internal
 */
import * as Options from "@effect/cli/Options"
import * as Either from "effect/Either"
import type * as Option from "effect/Option"
import type { Backend } from "../SandboxError.js"

/**
 * The sandbox a command runs in: a smolvm machine (`--machine`) or a Docker
 * container (`--docker`), with the backend that reaches it. Public as
 * `Cli.PlanTarget`.
 *
 * @since 0.2.0
 * @category models
 */
export interface PlanTarget {
  readonly backend: Backend
  readonly name: string
}

/**
 * `--machine NAME` or `--docker CONTAINER`, exactly one: `@effect/cli`
 * refuses both, and names both when neither is given.
 */
const target: Options.Options<PlanTarget> = Options.text("machine").pipe(
  Options.withPseudoName("NAME"),
  Options.withDescription(
    "The smolvm machine (bottle) to run in, as `smolvm machine exec --name NAME`: 1 to 128 characters from " +
      "[A-Za-z0-9_-], starting with a letter or digit. Exactly one of --machine and --docker."
  ),
  Options.orElseEither(
    Options.text("docker").pipe(
      Options.withPseudoName("CONTAINER"),
      Options.withDescription(
        "The Docker container (name or id) to run in, as `docker exec CONTAINER`: 1 to 128 characters from " +
          "[A-Za-z0-9_.-], starting with a letter or digit. Exactly one of --machine and --docker."
      )
    )
  ),
  Options.map(Either.match({
    onLeft: (name): PlanTarget => ({ backend: "smolvm", name }),
    onRight: (name): PlanTarget => ({ backend: "docker", name })
  }))
)

/** @internal */
export const planFlags = {
  target,
  url: Options.text("url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(
      "The URL the agent inside the guest uses to reach the supervise sidecar: any http(s) URL without credentials, " +
        "e.g. http://127.0.0.1:4318/ under smolvm's TSI networking, http://100.96.0.1:4318/ under virtio-net, " +
        "the host's address on the container's network under Docker."
    )
  ),
  serverName: Options.text("server-name").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription("The MCP server name in the agent's config. Default: supervise."),
    Options.optional
  ),
  tokenEnv: Options.text("token-env").pipe(
    Options.withPseudoName("VAR"),
    Options.withDescription(
      "The NAME of the host environment variable that holds the sidecar's bearer token (sent as " +
        "`Authorization: Bearer …`). The value travels to the guest in the client's environment (smolvm " +
        "--secret-env, docker exec -e NAME) and is never " +
        "printed or put on a command line; there is no flag that takes the token itself. Unset or empty is an error. " +
        "Without this flag no header is registered."
    ),
    Options.optional
  ),
  agent: Options.text("agent").pipe(
    Options.withPseudoName("KIND"),
    Options.withDescription(
      "The coding agent the bottle runs, whose own CLI registers the sidecar in its user config: claude-code " +
        "(Claude Code), codex (Codex), gemini (Gemini CLI) or copilot (Copilot CLI). Default: claude-code."
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
      "The agent's config directory inside the guest (absolute), when the agent runs with one moved: " +
        "CLAUDE_CONFIG_DIR (DIR/.claude.json), CODEX_HOME (DIR/config.toml), GEMINI_CLI_HOME " +
        "(DIR/.gemini/settings.json) or COPILOT_HOME (DIR/mcp-config.json)."
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
      "Validate the plan and print the exact smolvm or docker command line(s) that would run, then exit without running " +
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
 * The parsed flags, before they are checked: every value as typed. Public as
 * `Cli.PlanFlags`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlanFlags {
  readonly target: PlanTarget
  readonly url: string
  readonly serverName: Option.Option<string>
  readonly tokenEnv: Option.Option<string>
  /** @since 0.3.0 */
  readonly agent: Option.Option<string>
  readonly user: Option.Option<string>
  readonly home: Option.Option<string>
  readonly configDir: Option.Option<string>
  readonly timeout: Option.Option<string>
  readonly dryRun: boolean
  readonly json: boolean
}
