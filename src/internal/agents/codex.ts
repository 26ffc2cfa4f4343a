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
 * An awk function: the dotted name of the table a header line opens
 * (`[ mcp_servers . "N" ]` is `mcp_servers.N`), spaces and quotes dropped.
 */
const TABLE_FN = String
  .raw`function table(line) { sub(/^[ 	]*\[+[ 	]*/, "", line); sub(/[ 	]*\]+[ 	]*(#.*)?$/, "", line); gsub(/[ 	]*\.[ 	]*/, ".", line); gsub(/"/, "", line); return line }`

/**
 * Prints the lines of the tables `[mcp_servers.NAME]` and
 * `[mcp_servers.NAME.*]` as `key<TAB>NAME<TAB>VALUE`: `url`,
 * `bearer_token_env_var` and `enabled` as written, every other key's value
 * `[REDACTED]`, each `http_headers` value `P` (the plan's header) or `R`;
 * `absent` when there is no such table. Nothing else of the file leaves the
 * guest.
 */
/** @internal */
export const READ_TOML: ReadonlyArray<string> = [
  String.raw`read_entry() {`,
  String.raw`  if ! command -v awk >/dev/null 2>&1; then echo "${NO_READER_MARK}" >&2; return 0; fi`,
  String.raw`  BOTTLE_SUPERVISE_NAME="$1" awk '`,
  String
    .raw`  BEGIN { base = "mcp_servers." ENVIRON["BOTTLE_SUPERVISE_NAME"]; ours = ENVIRON["${Movable.STORED_HEADER_VAR}"] }`,
  String.raw`  /^[ \t]*\[/ {`,
  String.raw`    h = $0; sub(/^[ \t]*\[+[ \t]*/, "", h); sub(/[ \t]*\]+[ \t]*(#.*)?$/, "", h)`,
  String.raw`    gsub(/[ \t]*\.[ \t]*/, ".", h); gsub(/"/, "", h)`,
  String.raw`    if (h == base) { t = "entry"; found = 1 }`,
  String.raw`    else if (h == base ".http_headers") { t = "headers"; found = 1; print "table\thttp_headers" }`,
  String
    .raw`    else if (index(h, base ".") == 1) { t = "other"; found = 1; print "table\t" substr(h, length(base) + 2) }`,
  String.raw`    else t = ""`,
  String.raw`    next`,
  String.raw`  }`,
  String.raw`  t == "" || /^[ \t]*(#|$)/ { next }`,
  String.raw`  {`,
  String.raw`    k = $0; sub(/[ \t]*=.*/, "", k); sub(/^[ \t]+/, "", k); gsub(/"/, "", k)`,
  String.raw`    v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)`,
  String.raw`    if (t == "headers") print "header\t" k "\t" (ours != "" && v == ours ? "P" : "R")`,
  String
    .raw`    else if (t == "entry") print "key\t" k "\t" ((k == "url" || k == "bearer_token_env_var" || k == "enabled") ? v : "[REDACTED]")`,
  String.raw`  }`,
  String.raw`  END { if (!found) print "absent" }`,
  String.raw`  ' "$2"`,
  String.raw`}`
]

const WRITE: ReadonlyArray<string> = Movable.writtenThenReadBack("codex", [
  // The plan's tables out of the copy (every other line kept as it is), then the plan's entry appended.
  String.raw`  if [ -s "$3" ]; then`,
  String.raw`    BOTTLE_SUPERVISE_NAME="$1" awk '`,
  `    ${TABLE_FN}`,
  String.raw`    BEGIN { base = "mcp_servers." ENVIRON["BOTTLE_SUPERVISE_NAME"] }`,
  String.raw`    /^[ \t]*\[/ { h = table($0); drop = (h == base || index(h, base ".") == 1) }`,
  // Blank lines wait for the next kept line: those before the plan's tables at the end go with them.
  String.raw`    !drop { if ($0 ~ /^[ \t]*$/) { blank = blank $0 "\n"; next } printf "%s", blank; blank = ""; print }`,
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
  // No URL: a stdio server (`command`) under the plan's name.
  if (url === undefined || keys.has("command")) changes.push("transport")
  if (url !== plan.agentUrl) changes.push("url")
  const headersOk = plan.token === undefined
    ? headers.size === 0 && !tables.includes("http_headers")
    : headers.size === 1 && headers.get("Authorization") === "P"
  // Another way to send a token (a variable's name, headers from variables) is not the plan's either.
  const otherAuth = keys.has("bearer_token_env_var") || keys.has("env_http_headers") || keys.has("http_headers") ||
    tables.includes("env_http_headers")
  if (!headersOk || otherAuth) changes.push("headers")
  return { _tag: "Present", changes, previousUrl: displayUrl(url), shadowedIn: [] }
}

const { ensure: ensureArgv, probe: verifyArgv, replace: replaceArgv } = Movable.argvs(layout)

const tokenEnv = Movable.tokenEnv(tomlString)

/** @internal */
export const codex: Agent = {
  kind: "codex",
  title: "Codex",
  cli: "codex",
  configFormat: "TOML",
  replaceStarts: 1,
  configFile: (agent) => Movable.configFile(layout, agent),
  tokenEnv,
  ensureArgv,
  replaceArgv,
  readFileOf: (agent, stderr) => Movable.readFileOf(layout, agent, stderr),
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
    Movable.steps(layout, {
      ensure: ensureArgv(agent, plan),
      replace: replaceArgv(agent, plan),
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
    commands: [["codex", "mcp", "get", plan.serverName, "--json"]]
  }]
}
