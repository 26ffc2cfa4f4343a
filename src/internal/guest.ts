/**
 * The guest side of provisioning: fixed `sh` scripts that take every piece of
 * data as a positional parameter or an environment variable. Nothing is ever
 * interpolated into a script, so no URL, name or token can change what runs.
 *
 * @internal
 */
import type * as Redacted from "effect/Redacted"
import type { AgentPlan, SupervisePlan } from "../SupervisePlan.js"
import * as Shell from "./shellQuote.js"

/** Guest variable that carries the bearer token, set through `--secret-env`. @internal */
export const TOKEN_VAR = "BOTTLE_SUPERVISE_TOKEN"

/** The exec's secret environment for `plan`'s token, if any. @internal */
export const tokenEnv = (plan: SupervisePlan): Readonly<Record<string, Redacted.Redacted<string>>> | undefined =>
  plan.token === undefined ? undefined : { [TOKEN_VAR]: plan.token }

/**
 * Where Claude Code's own installers put `claude` in the agent's home (the
 * native installer's `~/.local/bin`, the older local install's
 * `~/.claude/local`), appended to `PATH`: after a switch from root, `PATH` is
 * root's, and an agent that installed the CLI for itself is found there only.
 */
const CLAUDE_ON_PATH = 'PATH="${PATH:-/usr/local/bin:/usr/bin:/bin}:$HOME/.local/bin:$HOME/.claude/local"; export PATH'

const ADD_LINES = [
  `if [ -n "\${${TOKEN_VAR}:-}" ]; then`,
  `  exec claude mcp add --scope user --transport http "$1" "$2" --header "Authorization: Bearer \${${TOKEN_VAR}}"`,
  `fi`,
  `exec claude mcp add --scope user --transport http "$1" "$2"`
]

/** `$1` server name, `$2` URL; the token, if any, in `BOTTLE_SUPERVISE_TOKEN`. @internal */
export const ADD = [CLAUDE_ON_PATH, ...ADD_LINES].join("\n")

/** Like `ADD`, after removing whatever user-scope entry holds the name. @internal */
export const REPLACE = [CLAUDE_ON_PATH, `claude mcp remove --scope user "$1" >/dev/null 2>&1 || :`, ...ADD_LINES].join(
  "\n"
)

/** `$1` server name. @internal */
export const GET = [CLAUDE_ON_PATH, `exec claude mcp get "$1"`].join("\n")

/** Above this size the config is read in part: see `READ`. @internal */
export const READ_WHOLE_LIMIT = 4 * 1024 * 1024

/** What `READ` says on stderr when it printed the top-level `mcpServers` only. @internal */
export const READ_PART_MARK = "bottle-supervise: read the top-level mcpServers only"

/**
 * `READ` names the file it picked on stderr, after this, so an error can name
 * the file that was read rather than the one a fresh guest would use.
 *
 * @internal
 */
export const READ_FILE_MARK = "bottle-supervise: config file "

/** The files `READ` may pick for `agent`, with `/` runs collapsed as a path lookup does. */
const configFiles = (agent: AgentPlan): ReadonlyArray<string> => {
  const dir = agent.configDir ?? agent.home
  return [`${dir}/.claude.json`, `${dir}/.claude-custom-oauth.json`, `${agent.configDir ?? `${agent.home}/.claude`}/.config.json`]
    .map(collapseSlashes)
}

const collapseSlashes = (path: string): string => path.replace(/\/+/g, "/")

/**
 * The file a `READ` for `agent` named on its stderr, when it is one of those
 * the script can pick. The guest's stderr is the guest's: anything else there
 * (another program's line, a credential) is never taken as a file name.
 *
 * @internal
 */
export const readFileOf = (agent: AgentPlan, stderr: string): string | undefined => {
  const named = stderr.split("\n").find((line) => line.startsWith(READ_FILE_MARK))?.slice(READ_FILE_MARK.length)
  // The host's own spelling of the file, not the guest's (which could be megabytes of `/`).
  return named === undefined ? undefined : configFiles(agent).find((file) => file === collapseSlashes(named))
}

/**
 * Sets `$3` to the user config file Claude Code uses, decided as Claude Code
 * 2.1.330 decides it at startup (`rE()` in its bundle), from the environment
 * the CLI runs in (`HOME`, `CLAUDE_CONFIG_DIR`, `CLAUDE_CODE_CUSTOM_OAUTH_URL`).
 * Its file is `${CLAUDE_CONFIG_DIR:-$HOME}/.claude.json`, or
 * `.claude-custom-oauth.json` when `CLAUDE_CODE_CUSTOM_OAUTH_URL` is non-empty,
 * except that it keeps the legacy `${CLAUDE_CONFIG_DIR-$HOME/.claude}/.config.json`
 * when that is, after symlinks:
 * - a non-empty regular file, even next to a `.claude.json` (unless that is
 *   missing or a non-empty file and the directory's listing lacks the exact
 *   name: a case-insensitive file system matched another one); or
 * - an empty regular file with a write bit in its mode, while the other file
 *   cannot be stat'ed or is an empty regular file without write bits and with
 *   one link.
 * The CLI NFC-normalises the legacy directory first; this does not, which only
 * matters for a home or `configDir` not in NFC. `pickConfigFile` in
 * test/support/claudeModel.ts is the rule ported from the CLI; the tests hold
 * this script to it and to the real CLI.
 */
const PICK_FILE = [
  'f="${CLAUDE_CONFIG_DIR:-$HOME}/.claude${CLAUDE_CODE_CUSTOM_OAUTH_URL:+-custom-oauth}.json"',
  // `-`, not `:-`: the CLI takes an empty CLAUDE_CONFIG_DIR as the directory here, and joins "" to a relative name.
  'd="${CLAUDE_CONFIG_DIR-$HOME/.claude}"',
  'l="${d:+$d/}.config.json"',
  // The mode string and link count of a file, after symlinks.
  String.raw`lsl() { set -f; set -- $(ls -ldL -- "$1" 2>/dev/null); set +f; mode="$1"; links="$2"; }`,
  String.raw`writable() { case "$mode" in ??w*|?????w*|????????w*) return 0;; esac; return 1; }`,
  String.raw`if [ -f "$l" ]; then`,
  String.raw`  if [ -s "$l" ]; then`,
  String.raw`    if [ -e "$f" ] && ! { [ -f "$f" ] && [ -s "$f" ]; }; then f="$l"`,
  String.raw`    else`,
  // The CLI looks for the exact name in the directory's listing; a glob lists it the same way.
  String.raw`      listed=0`,
  '      for e in "${d:-.}"/.config.jso[n]; do [ "$e" = "${d:-.}/.config.json" ] && listed=1; done',
  '      if [ "$listed" = 1 ] || ! [ -r "${d:-.}" ]; then f="$l"; fi',
  String.raw`    fi`,
  String.raw`  else`,
  String.raw`    lsl "$l"`,
  String.raw`    if writable; then`,
  String.raw`      if ! [ -e "$f" ]; then f="$l"`,
  String.raw`      elif [ -f "$f" ] && ! [ -s "$f" ]; then lsl "$f"; if ! writable && [ "$links" = 1 ]; then f="$l"; fi`,
  String.raw`      fi`,
  String.raw`    fi`,
  String.raw`  fi`,
  String.raw`fi`,
  // From here on the file is "$3".
  String.raw`set -- "$1" "$2" "$f"`
]

/**
 * `$1` byte limit, `$2` server name. Reads the user config file the CLI uses
 * (`PICK_FILE` sets it as `$3`): prints it when it is at most the limit; else only what
 * reconcile reads: the top-level
 * `mcpServers` object and, under `projects`, each project whose own
 * `mcpServers` holds the name (a local-scope entry that shadows ours), as
 * `{"mcpServers": …, "projects": {"<path>": {"mcpServers": {"<name>": {}}}}}`.
 * Claude Code keeps state for every directory it ever ran in in the same file,
 * which grows to MBs, past what smolvm carries back from one exec (about 11
 * MiB) and past the host's capture bound. Claude Code writes it with two-space
 * indentation, so the nesting depth of a line is its indentation (JSON strings
 * hold no raw newline); a file laid out otherwise gives no output, and
 * reconcile stops comparing. A file without a top-level `mcpServers` gives an
 * object without it, as reading it whole would.
 *
 * @internal
 */
export const READ = [
  ...PICK_FILE,
  String.raw`printf '%s\n' "${READ_FILE_MARK}$3" >&2`,
  String.raw`size=$(( $(wc -c 2>/dev/null <"$3") + 0 ))`,
  String.raw`if [ "$size" -le "$1" ]; then exec cat -- "$3"; fi`,
  String.raw`echo "${READ_PART_MARK} ($size bytes)" >&2`,
  // Without awk the part cannot be cut out: print nothing, and reconcile rewrites the entry uncompared.
  String.raw`command -v awk >/dev/null 2>&1 || exit 0`,
  // The name goes through the environment: awk -v would read backslashes in it as escapes.
  String.raw`BOTTLE_SUPERVISE_NAME="$2" exec awk '`,
  String.raw`  BEGIN { key = "\"" ENVIRON["BOTTLE_SUPERVISE_NAME"] "\": " }`,
  String.raw`  NR == 1 && $0 == "{}" { empty = 1; exit }`,
  String.raw`  NR == 1 && $0 != "{" { bad = 1; exit }`,
  String.raw`  NR == 2 && !/^  "/ { bad = 1; exit }`,
  String.raw`  /^  "mcpServers": \{\},?$/ { servers = "{}"; next }`,
  String.raw`  /^  "mcpServers": \{$/ { inServers = 1; servers = "{"; next }`,
  String.raw`  inServers { if (/^  \},?$/) { servers = servers "\n  }"; inServers = 0 } else servers = servers "\n" $0; next }`,
  String.raw`  /^  "projects": \{$/ { inProjects = 1; next }`,
  String.raw`  inProjects && /^  \},?$/ { inProjects = 0; next }`,
  String.raw`  inProjects && /^    "/ { project = $0; sub(/^    /, "", project); sub(/: \{$/, "", project); inLocal = 0; next }`,
  String.raw`  inProjects && /^      "mcpServers": \{$/ { inLocal = 1; next }`,
  String.raw`  inLocal && /^      \},?$/ { inLocal = 0; next }`,
  String.raw`  inLocal && index($0, "        " key) == 1 { shadowed[++n] = project; next }`,
  String.raw`  END {`,
  String.raw`    if (empty) { print "{}"; exit }`,
  String.raw`    if (bad || NR < 2) exit`,
  String.raw`    print "{"`,
  // No top-level mcpServers is an answer too (the entry is not where the plan says), not a layout failure.
  String.raw`    if (servers != "") { printf "  \"mcpServers\": %s", servers; sep = "," }`,
  String.raw`    if (n == 0) { if (sep != "") print ""; print "}"; exit }`,
  String.raw`    print sep`,
  String.raw`    print "  \"projects\": {"`,
  String.raw`    for (i = 1; i <= n; i++) printf "    %s: {\"mcpServers\": {%s{}}}%s\n", shadowed[i], key, (i < n ? "," : "")`,
  String.raw`    print "  }"`,
  String.raw`    print "}"`,
  String.raw`  }`,
  String.raw`' "$3"`
].join("\n")

/** The agent's environment for the CLI, after the user switch reset it. @internal */
export const agentEnv = (agent: AgentPlan): ReadonlyArray<string> => [
  // Without a configDir, one inherited from the guest's environment would send the
  // CLI's writes to another file than the one reconcile reads.
  ...(agent.configDir === undefined ? ["-u", "CLAUDE_CONFIG_DIR"] : []),
  `HOME=${agent.home}`,
  ...(agent.configDir === undefined ? [] : [`CLAUDE_CONFIG_DIR=${agent.configDir}`]),
  "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
  "DISABLE_TELEMETRY=1"
]

/**
 * argv that runs `command` with the agent's environment; the exec runs it as
 * the agent user (`user: agent.user`).
 *
 * @internal
 */
export const asAgent = (agent: AgentPlan, command: ReadonlyArray<string>): ReadonlyArray<string> => [
  "env",
  ...agentEnv(agent),
  ...command
]

/** argv that runs one of the scripts above as the agent. @internal */
export const script = (agent: AgentPlan, body: string, args: ReadonlyArray<string>): ReadonlyArray<string> =>
  asAgent(agent, ["sh", "-c", body, "bottle-supervise", ...args])

/** @internal */
export const addArgv = (agent: AgentPlan, plan: SupervisePlan) => script(agent, ADD, [plan.serverName, plan.agentUrl])

/** @internal */
export const replaceArgv = (agent: AgentPlan, plan: SupervisePlan) =>
  script(agent, REPLACE, [plan.serverName, plan.agentUrl])

/** @internal */
export const readConfigArgv = (agent: AgentPlan, plan: SupervisePlan) =>
  script(agent, READ, [String(READ_WHOLE_LIMIT), plan.serverName])

/** @internal */
export const getArgv = (agent: AgentPlan, plan: SupervisePlan) => script(agent, GET, [plan.serverName])

/** Name of the variable the manual hint expects the operator to set. @internal */
export const HINT_TOKEN_VAR = "SUPERVISE_TOKEN"

/**
 * What an operator pastes into a shell inside the bottle, as the agent user.
 * Every word is quoted; the token is referenced as `$SUPERVISE_TOKEN`, never
 * written out.
 *
 * @internal
 */
export const manualHint = (agent: AgentPlan, plan: SupervisePlan): string => {
  // Quote the value, not the word: a quoted `'A=b'` is a command name, not an assignment.
  const prefix = agent.configDir === undefined ? "" : `CLAUDE_CONFIG_DIR=${Shell.quote(agent.configDir)} `
  const remove = `${prefix}${Shell.join(["claude", "mcp", "remove", "--scope", "user", plan.serverName])} 2>/dev/null`
  const add = `${prefix}${
    Shell.join(["claude", "mcp", "add", "--scope", "user", "--transport", "http", plan.serverName, plan.agentUrl])
  }`
  const header = plan.token === undefined ? "" : ` --header "Authorization: Bearer $${HINT_TOKEN_VAR}"`
  return `${remove}; ${add}${header}`
}
