/**
 * The guest steps of an agent whose CLI keeps its MCP servers in one file
 * under a directory an environment variable moves (Codex's `CODEX_HOME`,
 * Gemini CLI's `GEMINI_CLI_HOME`, Copilot CLI's `COPILOT_HOME`): the same
 * shape as Claude Code's steps, built once for all of them.
 *
 * - ensure, under the bottle's lock: when the file cannot hold the entry, the
 *   CLI writes it (one exec, one CLI start); otherwise the stored entry is
 *   printed with every header value scrubbed in the guest (no CLI start).
 * - replace, under the lock: the CLI rewrites the entry in a copy of the file
 *   (the variable pointing at the lock directory), which is renamed over the
 *   original, so an exec killed at any moment leaves the old entry or the new
 *   one, never half of a remove and add.
 * - every file the CLI writes is created with umask 077 and the config ends
 *   0600: it holds the token in clear.
 *
 * Nothing is interpolated: data reaches the scripts as positional parameters
 * and environment variables only.
 *
 * @internal
 */
import type { AgentPlan, SupervisePlan } from "../../SupervisePlan.js"
import {
  FAILED_MARK,
  LOCK,
  NO_READER_MARK,
  READ_FILE_MARK,
  STEP_MARK,
  TOKEN_PLACEHOLDER_HEADER,
  TOKEN_VAR,
  tokenEnvWith
} from "../guest.js"
import * as Shell from "../shellQuote.js"
import type { Step } from "./agent.js"

/** The header's value (`Bearer <token>`) as the agent's file spells it, for the in-guest comparison. @internal */
export const STORED_HEADER_VAR = "BOTTLE_SUPERVISE_STORED_HEADER"

/** Where a probe reports what the sidecar answered, as one JSON object after this. @internal */
export const PROBE_MARK = "bottle-supervise: probe "

/** Where the agent's config lives and how its CLI writes it. @internal */
export interface Layout {
  /** The CLI's command name. */
  readonly cli: string
  /** What writes the entry, for failure messages: `gemini mcp add`, or the library and the CLI's read-back. */
  readonly writeWhat: string
  /** The variable that moves the CLI's config directory. */
  readonly dirVar: string
  /** The directory without the variable, under `$HOME`: `.codex`, or `""` for `$HOME` itself. */
  readonly homeDir: string
  /** The file's path inside the directory: `config.toml`, `.gemini/settings.json`. */
  readonly file: string
  /**
   * `sh` lines defining `cli_add` (`$1` name, `$2` URL, `$3` the file it
   * writes; the token, if any, in `BOTTLE_SUPERVISE_TOKEN`) and
   * `cli_replace` (the same, for a file that holds the entry).
   */
  readonly write: ReadonlyArray<string>
  /** `sh` lines defining `read_entry` (`$1` name, `$2` file): prints the entry scrubbed, or says it is absent. */
  readonly read: ReadonlyArray<string>
}

/** The file for `agent`, as the host spells it. @internal */
export const configFile = (layout: Layout, agent: AgentPlan): string =>
  `${agent.configDir ?? (layout.homeDir === "" ? agent.home : `${agent.home}/${layout.homeDir}`)}/${layout.file}`

const pathLine = "PATH=\"${PATH:-/usr/local/bin:/usr/bin:/bin}:$HOME/.local/bin\"; export PATH"

/** `sh` lines that set `$f` to the file, as the CLI finds it (an empty variable reads as unset). */
const pickFile = (layout: Layout): ReadonlyArray<string> => [
  `f="\${${layout.dirVar}:-$HOME${layout.homeDir === "" ? "" : `/${layout.homeDir}`}}/${layout.file}"`
]

const subdirOf = (file: string): string => (file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "")

/**
 * `write add|replace NAME URL`: the CLI writes into a copy inside the lock
 * directory, renamed over the original; a symlinked file is written through,
 * as the CLI itself would.
 */
const writeFn = (layout: Layout): ReadonlyArray<string> => {
  const sub = subdirOf(layout.file)
  return [
    String.raw`fail() { echo "${FAILED_MARK}$*" >&2; }`,
    String.raw`write() {`,
    String.raw`  how="$1"; shift`,
    // A symlinked file is written where it points, through a copy beside its target renamed over the
    // target: the link stays a link, and the write is as atomic as any other.
    String.raw`  real="$f"; w="$L/work"`,
    String.raw`  if [ -L "$f" ]; then`,
    String
      .raw`    real=$(readlink -f -- "$f") && [ -n "$real" ] || { fail "resolving the symlink $f; the entry was left as it was"; exit 74; }`,
    `    w="\${real%/*}/.bottle-supervise-work.$$"`,
    String.raw`    trap 'rm -rf -- "$L" "$w"' EXIT`,
    String.raw`  fi`,
    String.raw`  rm -rf -- "$w"`,
    `  mkdir -p -- "$w${sub === "" ? "" : `/${sub}`}" || { fail "making $w; the entry was left as it was"; exit 74; }`,
    `  t="$w/${layout.file}"`,
    String
      .raw`  if [ -e "$real" ]; then cp -p -- "$real" "$t" || { fail "copying $real; the entry was left as it was"; exit 74; }; fi`,
    `  ( ${layout.dirVar}="$w"; export ${layout.dirVar}; "cli_$how" "$1" "$2" "$t" ) >&2 || {`,
    String.raw`    st=$?; fail "${layout.writeWhat} (exit $st); the entry was left as it was"; exit "$st"`,
    String.raw`  }`,
    // A CLI can say it wrote and not have (Gemini CLI prints "added" after a failed save): an entry that is
    // not in the copy, or a replace that changed nothing, was not written.
    String
      .raw`  grep -qF -- "$1" "$t" 2>/dev/null || { fail "${layout.cli} wrote no entry to $t; the entry was left as it was"; exit 74; }`,
    String.raw`  if [ "$how" = replace ] && [ -e "$real" ] && [ "$(cat -- "$real")" = "$(cat -- "$t")" ]; then`,
    String.raw`    fail "${layout.cli} changed nothing in $t; the entry was left as it was"; exit 74`,
    String.raw`  fi`,
    String.raw`  chmod 600 -- "$t"`,
    String
      .raw`  mv -f -- "$t" "$real" || { fail "renaming the new config over $real; the entry was left as it was"; exit 74; }`,
    String.raw`  [ "$w" = "$L/work" ] || rm -rf -- "$w"`,
    String.raw`}`
  ]
}

const prelude = (layout: Layout): ReadonlyArray<string> => [
  pathLine,
  // Every file the CLI creates starts owner-only: the config holds the token in clear.
  "umask 077",
  ...pickFile(layout),
  ...layout.write,
  ...layout.read,
  ...writeFn(layout)
]

/**
 * `cli_add` and `cli_replace` for an agent whose entry the library writes
 * itself (`set`: lines that write it into `$3`), then has the agent's CLI
 * read back with `mcp get NAME --json`: a file the CLI cannot read is never
 * renamed into place. The CLI prints the stored header in clear: its stdout
 * is dropped.
 *
 * @internal
 */
export const writtenThenReadBack = (cli: string, set: ReadonlyArray<string>): ReadonlyArray<string> => [
  String.raw`cli_add() {`,
  ...set,
  `  ${cli} mcp get "$1" --json >/dev/null`,
  String.raw`}`,
  String.raw`cli_replace() { cli_add "$@"; }`
]

/** `$1` name, `$2` URL. @internal */
export const ensureScript = (layout: Layout): string =>
  [
    ...prelude(layout),
    ...LOCK,
    String.raw`if ! [ -e "$f" ] || ! grep -qF -- "$1" "$f" 2>/dev/null; then`,
    String.raw`  echo "${STEP_MARK}add" >&2`,
    String.raw`  write add "$1" "$2"`,
    String.raw`  exit 0`,
    String.raw`fi`,
    String.raw`echo "${STEP_MARK}read" >&2`,
    String.raw`printf '%s\n' "${READ_FILE_MARK}$f" >&2`,
    // Not `exec`: the lock is released on exit. A missing or unreadable file is cat's own error and status.
    String.raw`[ -r "$f" ] || { cat -- "$f"; exit; }`,
    // The file holds the token in clear: owner only, also when the user wrote it (a CLI's 0644) and it is Unchanged.
    String.raw`chmod go-rwx -- "$f" 2>/dev/null || :`,
    String.raw`read_entry "$1" "$f"`
  ].join("\n")

/** `$1` name, `$2` URL. @internal */
export const replaceScript = (layout: Layout): string =>
  [
    ...prelude(layout),
    ...LOCK,
    String.raw`echo "${STEP_MARK}replace" >&2`,
    String.raw`write replace "$1" "$2"`
  ].join("\n")

/**
 * An MCP `initialize` sent to `$2` from inside the guest with node's `fetch`,
 * the plan's token as the bearer, bounded at 10 s; what came back is one JSON
 * object on stderr after `PROBE_MARK`: `{status, mcp}` for an answer (`mcp`:
 * it reads as a JSON-RPC result), `{error}` for none. A session the server
 * opened is closed again.
 */
const PROBE_JS = String.raw`
const url = process.argv[1], mark = process.argv[2], token = process.env.${TOKEN_VAR}
const say = (o) => process.stderr.write(mark + JSON.stringify(o) + "\n")
const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" }
if (token) headers.authorization = "Bearer " + token
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bottle-supervise-probe", version: "1" } } })
fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10000) }).then(async (res) => {
  const text = (await res.text()).slice(0, 65536)
  const mcp = res.ok && /"jsonrpc"\s*:\s*"2\.0"/.test(text) && /"result"\s*:/.test(text)
  say({ status: res.status, mcp })
  const session = res.headers.get("mcp-session-id")
  if (session) {
    await fetch(url, { method: "DELETE", headers: { ...headers, "mcp-session-id": session }, signal: AbortSignal.timeout(2000) }).catch(() => {})
  }
}).catch((e) => say({ error: String((e && e.cause && e.cause.code) || (e && e.name) || "failed") }))
`

/** `$1` name, `$2` URL: the stored entry, read as ensure reads it, then a probe of the planned URL. @internal */
export const probeScript = (layout: Layout): string =>
  [
    pathLine,
    ...pickFile(layout),
    ...layout.read,
    String.raw`printf '%s\n' "${READ_FILE_MARK}$f" >&2`,
    // No file holds no entry: read as an empty one, so each agent's read says so in its own words.
    String.raw`if ! [ -e "$f" ]; then read_entry "$1" /dev/null; exit 0; fi`,
    String.raw`[ -r "$f" ] || exec cat -- "$f"`,
    String.raw`read_entry "$1" "$f" || exit`,
    String
      .raw`if ! command -v node >/dev/null 2>&1; then echo "${PROBE_MARK}{\"error\":\"no node in the guest to probe with\"}" >&2; exit 0; fi`,
    `node -e ${Shell.quote(PROBE_JS)} "$2" "${PROBE_MARK}"`
  ].join("\n")

/**
 * What every agent on this layout has alike: its file, where a read says it
 * read, and the two provisioning steps.
 *
 * @internal
 */
export const agentFields = (layout: Layout) => ({
  configFile: (agent: AgentPlan) => configFile(layout, agent),
  readFileOf: (agent: AgentPlan, stderr: string) => readFileOf(layout, agent, stderr),
  ensureArgv: argvs(layout).ensure,
  replaceArgv: argvs(layout).replace
})

/** The three steps' argvs for a layout: ensure, replace, and the entry-and-probe check. @internal */
export const argvs = (layout: Layout) => ({
  ensure: (agent: AgentPlan, plan: SupervisePlan) =>
    script(layout, agent, ensureScript(layout), [plan.serverName, plan.agentUrl]),
  replace: (agent: AgentPlan, plan: SupervisePlan) =>
    script(layout, agent, replaceScript(layout), [plan.serverName, plan.agentUrl]),
  probe: (agent: AgentPlan, plan: SupervisePlan) =>
    script(layout, agent, probeScript(layout), [plan.serverName, plan.agentUrl])
})

/** argv that runs `body` as the agent, in its home, with the agent's environment. @internal */
export const script = (
  layout: Layout,
  agent: AgentPlan,
  body: string,
  args: ReadonlyArray<string>
): ReadonlyArray<string> => [
  "env",
  // One inherited from the guest's environment would send the CLI's writes elsewhere.
  ...(agent.configDir === undefined ? ["-u", layout.dirVar] : []),
  `HOME=${agent.home}`,
  ...(agent.configDir === undefined ? [] : [`${layout.dirVar}=${agent.configDir}`]),
  "sh",
  "-c",
  body,
  "bottle-supervise",
  ...args
]

/**
 * The exec's secret environment: the token for the CLI and the probe, and
 * the header's value as the agent's file spells it (`stored`), for the
 * in-guest scrub.
 *
 * @internal
 */
export const tokenEnv = (stored: (header: string) => string) => tokenEnvWith(STORED_HEADER_VAR, stored)

/** The read's placeholder for the plan's own header value, as on Claude Code. @internal */
export const PLACEHOLDER = TOKEN_PLACEHOLDER_HEADER

/**
 * A node function, `strip(text)`: JSON with comments and trailing commas (as
 * Gemini CLI and Copilot CLI accept them) as plain JSON.
 *
 * @internal
 */
export const STRIP_JSONC_JS = String.raw`
const strip = (t) => {
  let r = "", i = 0, s = false, comma = -1
  while (i < t.length) {
    const c = t[i]
    if (s) { r += c; if (c === "\\") { r += t[i + 1] ?? ""; i += 2; continue } if (c === '"') s = false; i++; continue }
    if (c === "/" && t[i + 1] === "/") { while (i < t.length && t[i] !== "\n") i++; continue }
    if (c === "/" && t[i + 1] === "*") { const e = t.indexOf("*/", i + 2); i = e < 0 ? t.length : e + 2; continue }
    if ((c === "}" || c === "]") && comma >= 0) { r = r.slice(0, comma) + r.slice(comma + 1) }
    if (!/\s/.test(c)) comma = c === "," ? r.length : -1
    if (c === '"') s = true
    r += c; i++
  }
  return r
}
`

/**
 * Reads a JSON config's `mcpServers.<name>` in the guest with node (the CLIs
 * of these agents run on node, so it is there), comments and trailing commas
 * tolerated: prints `{"absent":true}`, `{"unparsable":true}` or
 * `{"entry":{…}}` with only `type`, `url`, `httpUrl` and the header names,
 * each value the placeholder when it is the plan's and `[REDACTED]`
 * otherwise. No other part of the file (other servers' keys and
 * environments) leaves the guest.
 */
const READ_JSON_JS = String.raw`
const fs = require("fs")
${STRIP_JSONC_JS}
const name = process.argv[1], file = process.argv[2]
const ours = process.env.${STORED_HEADER_VAR}
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n")
let config
try {
  const text = fs.readFileSync(file, "utf8")
  config = text.trim() === "" ? {} : JSON.parse(strip(text))
} catch { out({ unparsable: true }); process.exit(0) }
const obj = (v) => typeof v === "object" && v !== null && !Array.isArray(v)
const servers = obj(config) ? config.mcpServers : undefined
if (!obj(servers) || !Object.hasOwn(servers, name)) { out({ absent: true }); process.exit(0) }
const e = servers[name]
if (!obj(e)) { out({ entry: {} }); process.exit(0) }
const entry = {}
for (const k of ["type", "url", "httpUrl"]) if (typeof e[k] === "string") entry[k] = e[k]
if (obj(e.headers)) {
  entry.headers = {}
  for (const [k, v] of Object.entries(e.headers)) entry.headers[k] = ours !== undefined && v === ours ? ${
  JSON.stringify(TOKEN_PLACEHOLDER_HEADER)
} : "[REDACTED]"
} else if (e.headers !== undefined) entry.headers = "[REDACTED]"
entry.keys = Object.keys(e)
out({ entry })
`

/** `read_entry NAME FILE` for a JSON config. @internal */
export const READ_JSON: ReadonlyArray<string> = [
  String.raw`read_entry() {`,
  String.raw`  if ! command -v node >/dev/null 2>&1; then echo "${NO_READER_MARK}" >&2; return 0; fi`,
  `  node -e ${Shell.quote(READ_JSON_JS)} "$1" "$2"`,
  String.raw`}`
]

/**
 * The file a read named on its stderr, when it is the one the script picks
 * for `agent`: the guest's stderr is the guest's, and nothing else there is
 * ever taken as a file name.
 *
 * @internal
 */
export const readFileOf = (layout: Layout, agent: AgentPlan, stderr: string): string | undefined => {
  const collapse = (path: string) => path.replace(/\/+/g, "/")
  const named = stderr.split("\n").find((line) => line.startsWith(READ_FILE_MARK))?.slice(READ_FILE_MARK.length)
  const file = collapse(configFile(layout, agent))
  return named !== undefined && collapse(named) === file ? file : undefined
}

/** The steps, as `--dry-run` lists them. @internal */
export const steps = (
  layout: Layout,
  agent: AgentPlan,
  plan: SupervisePlan,
  words: {
    readonly addWhat: string
    readonly replaceWhat: string
    readonly add: ReadonlyArray<string>
    readonly replaceCommands: ReadonlyArray<ReadonlyArray<string>>
  }
): ReadonlyArray<Step> => [
  {
    name: "ensure",
    when: `always runs: under the bottle's lock, ${words.addWhat} when the config has no such entry, ` +
      `else print the entry with header values scrubbed (no ${layout.cli} start)`,
    argv: argvs(layout).ensure(agent, plan),
    carriesToken: true,
    commands: [words.add]
  },
  {
    name: "replace",
    when: `only when the stored entry differs: ${words.replaceWhat} on a copy, renamed into place`,
    argv: argvs(layout).replace(agent, plan),
    carriesToken: true,
    commands: words.replaceCommands
  }
]
