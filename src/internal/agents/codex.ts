/**
 * Codex (`@openai/codex`): `${CODEX_HOME:-~/.codex}/config.toml`, a TOML
 * table `[mcp_servers.NAME]` with `url`, as `codex mcp add NAME --url URL`
 * writes it.
 *
 * The token: Codex's own flag stores only the name of a variable
 * (`--bearer-token-env-var`), whose value must then be in the environment of
 * every Codex the launcher starts; nothing the library runs could check that,
 * and a launcher that forgot would get an agent that cannot authenticate
 * while verification said Connected. So the entry carries the header, as
 * Codex reads it: a `[mcp_servers.NAME.http_headers]` table with
 * `Authorization = "Bearer <token>"` (the file is 0600).
 *
 * The writer: `codex mcp add` rewrites every other `[mcp_servers.*]` table
 * through its own serializer (comments, unknown keys and empty values there
 * are dropped, `20` becomes `20.0`) and has no header flag. So the library
 * writes the entry's own tables into the work copy itself (the rest of the
 * file byte for byte) and then has Codex read it back (`codex mcp get`): a
 * file Codex cannot read is never renamed into place.
 *
 * Codex's `mcp get`/`list` do not connect: verification reads the entry and
 * probes the URL (`probe.ts`).
 *
 * @internal
 */
import type { SupervisePlan } from "../../SupervisePlan.js"
import { displayUrl } from "../claudeConfig.js"
import { NO_READER_MARK } from "../guest.js"
import * as Shell from "../shellQuote.js"
import type { Agent, Change, Comparison } from "./agent.js"
import * as Movable from "./movableConfig.js"
import * as Probe from "./probe.js"

/** A TOML basic string of `text` (visible ASCII: only `\` and `"` need escaping). */
const tomlString = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`

/**
 * awk functions both programs share, so that the read and the write agree on
 * what belongs to the plan's entry. TOML 1.0 lets an entry be a table
 * `[mcp_servers.NAME]` with sub-tables, an inline table `NAME = { … }` under
 * `[mcp_servers]` (one line in TOML 1.0), or dotted keys
 * (`mcp_servers.NAME.url = …`): `d` is the dotted key a line defines,
 * whatever the form. Lines inside a multi-line string or array belong to the
 * key that opened them (`open` tracks them) and never count as keys; a CR
 * before the newline is ignored. (No single quote here: the program is
 * single-quoted in the script; `\047` is one.)
 */
const TOML_AWK = [
  // The dotted name in a table header or before a key's `=`: spaces around dots and quotes dropped.
  String
    .raw`function dotted(s) { sub(/^[ \t]*\[+[ \t]*/, "", s); sub(/[ \t]*(\]+[ \t]*(#.*)?|=.*)$/, "", s); sub(/^[ \t]+/, "", s); gsub(/[ \t]*\.[ \t]*/, ".", s); gsub(/"/, "", s); return s }`,
  String.raw`function ours(x) { return x == base || index(x, base ".") == 1 }`,
  // Sets `kind` (`continued`, `header`, `key`, `other`), `t` (the current table), `d` and `value`.
  String.raw`function classify(line,  v) {`,
  String.raw`  sub(/\r$/, "", line)`,
  String
    .raw`  if (open == "]") { depth += gsub(/\[/, "[", line) - gsub(/\]/, "]", line); if (depth <= 0) open = ""; kind = "continued"; return }`,
  String.raw`  if (open != "") { if (index(line, open) > 0) open = ""; kind = "continued"; return }`,
  String.raw`  if (line ~ /^[ \t]*\[/) { t = dotted(line); d = t; kind = "header"; return }`,
  // A key line: only key characters (bare or quoted, dotted) before its first `=`.
  String
    .raw`  v = line; if (sub(/=.*/, "", v) == 0 || v !~ /^[ \t]*["A-Za-z0-9_.-][" \tA-Za-z0-9_.-]*$/) { kind = "other"; return }`,
  String.raw`  d = dotted(line); if (t != "") d = t "." d; kind = "key"`,
  String.raw`  v = line; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v); value = v`,
  String.raw`  if (substr(v, 1, 3) == q2 && index(substr(v, 4), q2) == 0) open = q2`,
  String.raw`  else if (substr(v, 1, 3) == q1 && index(substr(v, 4), q1) == 0) open = q1`,
  String.raw`  else if (v ~ /^\[/) { depth = gsub(/\[/, "[", v) - gsub(/\]/, "]", v); if (depth > 0) open = "]" }`,
  String.raw`}`,
  String.raw`BEGIN { base = "mcp_servers." ENVIRON["BOTTLE_SUPERVISE_NAME"]; q1 = "\047\047\047"; q2 = "\"\"\"" }`
].join("\n")

/**
 * Prints what the plan's entry holds, one line each: `entry` (its table),
 * `table<TAB>SUB` (a sub-table), `key<TAB>KEY<TAB>VALUE` with the value as
 * written for `url`, `bearer_token_env_var` and `enabled` and `[REDACTED]`
 * for any other key (`inline` for an inline table), `header<TAB>NAME<TAB>P`
 * (the plan's `Authorization`) or `R`; `absent` when nothing belongs to it.
 * Names are printed only when they are plain (`[A-Za-z0-9_-]`), and no line
 * that is not a key of the entry is printed: nothing else of the file, no
 * other server's token and no multi-line value, leaves the guest.
 */
/** @internal */
export const READ_TOML: ReadonlyArray<string> = [
  String.raw`read_entry() {`,
  String.raw`  if ! command -v awk >/dev/null 2>&1; then echo "${NO_READER_MARK}" >&2; return 0; fi`,
  String.raw`  BOTTLE_SUPERVISE_NAME="$1" awk '`,
  TOML_AWK,
  String.raw`  BEGIN { mine = ENVIRON["${Movable.STORED_HEADER_VAR}"] }`,
  String.raw`  { classify($0) }`,
  String.raw`  kind == "header" && ours(d) {`,
  String.raw`    found = 1; s = substr(d, length(base) + 2)`,
  String.raw`    if (d == base) print "entry"; else print "table\t" (s ~ /^[A-Za-z0-9_.-]+$/ ? s : "?")`,
  String.raw`  }`,
  String.raw`  kind != "key" || !ours(d) { next }`,
  String.raw`  {`,
  String.raw`    found = 1`,
  String.raw`    if (d == base) { print "key\tinline\t[REDACTED]"; next }`,
  String.raw`    k = substr(d, length(base) + 2)`,
  String.raw`    if (index(k, "http_headers.") == 1) {`,
  String
    .raw`      h = substr(k, 14); print "header\t" (h ~ /^[A-Za-z0-9_-]+$/ ? h : "?") "\t" (mine != "" && value == mine ? "P" : "R")`,
  String
    .raw`    } else if (k == "url" || k == "bearer_token_env_var" || k == "enabled") print "key\t" k "\t" (open == "" ? value : "[REDACTED]")`,
  String.raw`    else print "key\t" (k ~ /^[A-Za-z0-9_-]+$/ ? k : "?") "\t[REDACTED]"`,
  String.raw`  }`,
  String.raw`  END { if (!found) print "absent" }`,
  String.raw`  ' "$2"`,
  String.raw`}`
]

/** @internal */
export const WRITE: ReadonlyArray<string> = Movable.writtenThenReadBack("codex", [
  // Every line of the plan's entry out of the copy (whatever its form, multi-line values included), every
  // other line kept as it is, then the plan's entry appended as `codex mcp add` writes it.
  String.raw`  if [ -s "$3" ]; then`,
  String.raw`    BOTTLE_SUPERVISE_NAME="$1" awk '`,
  TOML_AWK,
  String.raw`    { classify($0) }`,
  String.raw`    kind == "header" { drop = ours(d); skip = 0 }`,
  String.raw`    kind == "key" { skip = ours(d) }`,
  String.raw`    kind == "other" { skip = 0 }`,
  String.raw`    drop || skip { next }`,
  // Blank lines wait for the next kept line: those before the plan's tables at the end go with them.
  String.raw`    { if ($0 ~ /^[ \t]*\r?$/) { blank = blank $0 "\n"; next } printf "%s", blank; blank = ""; print }`,
  String.raw`    ' "$3" >"$3.new" && mv -f -- "$3.new" "$3" || return`,
  String.raw`    [ -s "$3" ] && echo >>"$3"`,
  String.raw`  fi`,
  // The URL has no backslash (the plan's rule); a double quote is escaped for a TOML basic string.
  String.raw`  u=$(printf '%s' "$2" | sed 's/"/\\"/g')`,
  String.raw`  printf '[mcp_servers.%s]\nurl = "%s"\n' "$1" "$u" >>"$3" || return`,
  String.raw`  if [ -n "$${Movable.STORED_HEADER_VAR}" ]; then`,
  String
    .raw`    printf '\n[mcp_servers.%s.http_headers]\nAuthorization = %s\n' "$1" "$${Movable.STORED_HEADER_VAR}" >>"$3" || return`,
  String.raw`  fi`
])

const layout: Movable.Layout = {
  cli: "codex",
  writeWhat: "writing the entry, or codex mcp get reading it back",
  dirVar: "CODEX_HOME",
  homeDir: ".codex",
  file: "config.toml",
  write: WRITE,
  read: READ_TOML
}

/** A TOML value as written: a basic or literal string's text, else the raw text. */
const tomlValue = (raw: string): string => {
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return raw.slice(1, -1)
  if (raw.startsWith("\"") && raw.endsWith("\"") && raw.length >= 2) {
    try {
      const parsed: unknown = JSON.parse(raw)
      return typeof parsed === "string" ? parsed : raw
    } catch {
      return raw
    }
  }
  return raw
}

/** @internal */
export const compare = (stdout: string, plan: SupervisePlan): Comparison => {
  const lines = stdout.split("\n").filter((line) => line !== "")
  if (lines.length === 0) return { _tag: "Unparsable" }
  if (lines.includes("absent")) return { _tag: "Absent", shadowedIn: [] }
  const keys = new Map<string, string>()
  const headers = new Map<string, string>()
  const tables: Array<string> = []
  for (const line of lines) {
    const [kind = "", key = "", value = ""] = line.split("\t")
    if (kind === "key") keys.set(key, value)
    else if (kind === "header") headers.set(key, value)
    else if (kind === "table") tables.push(key)
  }
  const rawUrl = keys.get("url")
  const url = rawUrl === undefined ? undefined : tomlValue(rawUrl)
  const changes: Array<Change> = []
  // No URL: a stdio server (`command`) under the plan's name, an empty table, or an inline table (its keys
  // are not read: rewritten as the plan's table).
  if (url === undefined || keys.has("command") || keys.has("inline")) changes.push("transport")
  if (url !== plan.agentUrl) changes.push("url")
  const headersOk = plan.token === undefined
    ? headers.size === 0 && !tables.includes("http_headers")
    : headers.size === 1 && headers.get("Authorization") === "P"
  // Another way to send a token (a variable's name, headers from variables) is not the plan's either.
  const otherAuth = keys.has("bearer_token_env_var") || keys.has("env_http_headers") || keys.has("http_headers") ||
    tables.includes("env_http_headers")
  if (!headersOk || otherAuth || keys.has("inline")) changes.push("headers")
  // A disabled entry is one Codex does not load: the plan's is enabled.
  const enabled = keys.get("enabled")
  if (enabled !== undefined && enabled !== "true") changes.push("enabled")
  return { _tag: "Present", changes, previousUrl: displayUrl(url), shadowedIn: [] }
}

const verifyArgv = Movable.argvs(layout).probe

const tokenEnv = Movable.tokenEnv(tomlString)

/** @internal */
export const codex: Agent = {
  kind: "codex",
  title: "Codex",
  cli: "codex",
  configFormat: "TOML",
  replaceStarts: 1,
  ...Movable.agentFields(layout),
  tokenEnv,
  compare,
  verifyArgv,
  verifyEnv: tokenEnv,
  health: Probe.health(compare),
  checkedBy: "entry-and-probe",
  // The hint's TOML string takes the token as typed: a token with `"` or `\` needs escaping by hand.
  manualHint: (agent, plan) => {
    const dir = agent.configDir === undefined ? "" : `CODEX_HOME=${Shell.quote(agent.configDir)} `
    const add = `${dir}${Shell.join(["codex", "mcp", "add", plan.serverName, "--url", plan.agentUrl])}`
    if (plan.token === undefined) return add
    const file = agent.configDir === undefined
      ? "\"$HOME/.codex/config.toml\""
      : Shell.quote(`${agent.configDir}/config.toml`)
    return `${add} && printf '\\n[mcp_servers.%s.http_headers]\\nAuthorization = "Bearer %s"\\n' ${
      Shell.quote(plan.serverName)
    } "$SUPERVISE_TOKEN" >>${file}`
  },
  provisionSteps: (agent, plan) =>
    Movable.steps(layout, agent, plan, {
      addWhat: "the entry written into a copy and read back by codex mcp get",
      replaceWhat: "the same",
      add: ["codex", "mcp", "add", plan.serverName, "--url", plan.agentUrl],
      replaceCommands: [["codex", "mcp", "add", plan.serverName, "--url", plan.agentUrl]]
    }),
  verifySteps: (agent, plan) => [{
    name: "get",
    when: "Codex has no check that connects: read the stored entry (header values scrubbed in the guest), " +
      "then send an MCP initialize to the planned URL from inside the guest",
    argv: verifyArgv(agent, plan),
    carriesToken: true,
    commands: [["probe", plan.agentUrl]]
  }]
}
