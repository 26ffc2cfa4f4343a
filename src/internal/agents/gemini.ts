/**
 * Gemini CLI (`@google/gemini-cli`): `gemini mcp add --scope user --transport
 * http` into `${GEMINI_CLI_HOME:-$HOME}/.gemini/settings.json`, JSON
 * `mcpServers.NAME {url, type: "http", headers}`.
 *
 * Its quirks: the default scope is the project, so `--scope user` is always
 * passed; an `add` of a name that exists replaces it (exit 0), so a replace is
 * one CLI start; it writes the file 0644, and the file holds the token, so
 * it is written with umask 077 and ends 0600. Its folder trust hides user
 * servers in a folder the user has not trusted: verification runs
 * `gemini mcp list` (which connects) with `GEMINI_CLI_TRUST_WORKSPACE=true`
 * in the agent's home, and the agent itself needs a trusted workspace (README).
 *
 * @internal
 */
import type { AgentPlan, SupervisePlan } from "../../SupervisePlan.js"
import { cliExitMark, cliStatus, TOKEN_VAR, userScopeHttpAdd } from "../guest.js"
import * as Shell from "../shellQuote.js"
import type { Agent, Health, Ran } from "./agent.js"
import * as JsonEntry from "./jsonEntry.js"
import * as Movable from "./movableConfig.js"

const WRITE: ReadonlyArray<string> = [
  // Without it the CLI starts a second node process of itself (about 0.7 s of each start).
  String.raw`GEMINI_CLI_NO_RELAUNCH=true; export GEMINI_CLI_NO_RELAUNCH`,
  String.raw`cli_add() {`,
  String.raw`  if [ -n "$${TOKEN_VAR}" ]; then`,
  String
    .raw`    gemini mcp add --scope user --transport http "$1" "$2" --header "Authorization: Bearer $${TOKEN_VAR}"`,
  String.raw`  else`,
  String.raw`    gemini mcp add --scope user --transport http "$1" "$2"`,
  String.raw`  fi`,
  String.raw`}`,
  // An `add` of a name that exists replaces that entry.
  String.raw`cli_replace() { cli_add "$@"; }`
]

const layout: Movable.Layout = {
  cli: "gemini",
  writeWhat: "gemini mcp add",
  dirVar: "GEMINI_CLI_HOME",
  homeDir: "",
  file: ".gemini/settings.json",
  write: WRITE,
  read: Movable.READ_JSON
}

const CLI_EXIT_MARK = cliExitMark("gemini")

/** `$1` name: `gemini mcp list` in the agent's home, trusted, its status marked on stderr. */
const LIST = [
  "PATH=\"${PATH:-/usr/local/bin:/usr/bin:/bin}:$HOME/.local/bin\"; export PATH",
  String.raw`cd -- "$HOME" 2>/dev/null || cd /`,
  String.raw`GEMINI_CLI_NO_RELAUNCH=true GEMINI_CLI_TRUST_WORKSPACE=true gemini mcp list; st=$?`,
  String.raw`echo "${CLI_EXIT_MARK}$st" >&2`
].join("\n")

/** `✓ NAME: URL (TYPE) - STATUS`, as Gemini CLI 0.61.0 lists a server; the glyph is not read. */
/**
 * The plan's line in the list, read with plain string searches (linear in the
 * guest's output, which is the guest's): after an optional glyph, `NAME: `,
 * then the URL up to the last ` (`, the type up to `) - `, the status.
 */
const listed = (text: string, name: string) => {
  const head = `${name}: `
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    const at = line.indexOf(head)
    // The name starts the line, or follows the status glyph and one space.
    if (at < 0 || (at > 0 && (line[at - 1] !== " " || line.lastIndexOf(" ", at - 2) >= 0))) continue
    const rest = line.slice(at + head.length)
    const dash = rest.lastIndexOf(") - ")
    const open = dash < 0 ? -1 : rest.lastIndexOf(" (", dash)
    if (open < 0) continue
    const type = rest.slice(open + 2, dash)
    if (!/^[a-z]+$/.test(type)) continue
    return { url: rest.slice(0, open), type, status: rest.slice(dash + 4).trim() }
  }
  return undefined
}

const health = (ran: Ran, plan: SupervisePlan): Health => {
  const { exitCode, stderr } = cliStatus(ran, CLI_EXIT_MARK)
  const all = `${ran.stdout}\n${stderr}`
  const entry = listed(all, plan.serverName)
  if (entry === undefined) {
    return exitCode === 0 && /No MCP servers configured|Configured MCP servers/i.test(all)
      ? { _tag: "NotRegistered" }
      : {
        _tag: "Unknown",
        detail: "`gemini mcp list` printed nothing this library understands",
        exitCode: Number.isInteger(exitCode) ? exitCode : undefined,
        stdout: ran.stdout,
        stderr
      }
  }
  const type = entry.type === "http" ? "http" : entry.type
  return entry.status === "Connected"
    ? { _tag: "Connected", type, url: entry.url }
    : { _tag: "Unreachable", type, url: entry.url, reason: `gemini mcp list: ${entry.status}` }
}

const addCommand = (plan: SupervisePlan) => userScopeHttpAdd("gemini", plan)

const verifyArgv = (agent: AgentPlan, plan: SupervisePlan) => Movable.script(layout, agent, LIST, [plan.serverName])

/** @internal */
export const gemini: Agent = {
  kind: "gemini",
  title: "Gemini CLI",
  cli: "gemini",
  configFormat: "JSON",
  replaceStarts: 1,
  ...Movable.agentFields(layout),
  tokenEnv: Movable.tokenEnv((header) => header),
  compare: JsonEntry.compare,
  verifyArgv,
  verifyEnv: () => undefined,
  health,
  checkedBy: "connection",
  manualHint: (agent, plan) => {
    const dir = agent.configDir === undefined ? "" : `GEMINI_CLI_HOME=${Shell.quote(agent.configDir)} `
    const add = `${dir}${Shell.join(addCommand(plan))}`
    const header = plan.token === undefined ? "" : ` --header "Authorization: Bearer $SUPERVISE_TOKEN"`
    const file = agent.configDir === undefined
      ? "\"$HOME/.gemini/settings.json\""
      : Shell.quote(`${agent.configDir}/.gemini/settings.json`)
    return `${add}${header} && chmod 600 ${file}`
  },
  provisionSteps: (agent, plan) =>
    Movable.steps(layout, agent, plan, {
      addWhat: "gemini mcp add",
      replaceWhat: "gemini mcp add (which replaces an entry of that name)",
      add: addCommand(plan),
      replaceCommands: [addCommand(plan)]
    }),
  verifySteps: (agent, plan) => [{
    name: "get",
    when: "the agent's own health check (gemini mcp list connects to each server; run trusted, in the agent's home)",
    argv: verifyArgv(agent, plan),
    carriesToken: false,
    commands: [["gemini", "mcp", "list"]]
  }]
}
