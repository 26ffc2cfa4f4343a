/**
 * GitHub Copilot CLI (`@github/copilot`): `copilot mcp add --transport http`
 * into `${COPILOT_HOME:-~/.copilot}/mcp-config.json`, JSON
 * `mcpServers.NAME {tools, type: "http", url, headers}`, written 0600.
 *
 * Like Claude Code it refuses a name that exists (`Server "N" already
 * exists`), so a replace is `copilot mcp remove` and `add` (two CLI starts),
 * in a work copy renamed into place. Its `mcp get` prints the stored header
 * in clear and does not connect: verification reads the entry (header values
 * scrubbed in the guest) and probes the URL (`probe.ts`). Its first run
 * unpacks about 235 MB into the agent's `~/.cache/copilot`, once per guest.
 *
 * @internal
 */
import type { SupervisePlan } from "../../SupervisePlan.js"
import { TOKEN_VAR } from "../guest.js"
import * as Shell from "../shellQuote.js"
import type { Agent } from "./agent.js"
import * as JsonEntry from "./jsonEntry.js"
import * as Movable from "./movableConfig.js"
import * as Probe from "./probe.js"

const WRITE: ReadonlyArray<string> = [
  // Otherwise it runs whatever newer version it finds in its cache, not the one installed.
  String.raw`COPILOT_AUTO_UPDATE=false; export COPILOT_AUTO_UPDATE`,
  String.raw`cli_add() {`,
  // It refuses a file without `mcpServers` (`{}`, or empty): give such a file the key.
  String.raw`  if [ -f "$3" ] && ! grep -q '[^[:space:]{}]' "$3"; then printf '{"mcpServers": {}}
' >"$3" || return; fi`,
  String.raw`  if [ -n "$${TOKEN_VAR}" ]; then`,
  String
    .raw`    copilot mcp add --transport http --header "Authorization: Bearer $${TOKEN_VAR}" "$1" "$2"`,
  String.raw`  else`,
  String.raw`    copilot mcp add --transport http "$1" "$2"`,
  String.raw`  fi`,
  String.raw`}`,
  String.raw`cli_replace() {`,
  String.raw`  out="$(copilot mcp remove "$1" 2>&1)" || {`,
  String.raw`    st=$?`,
  // Nothing to remove is what a replace wants; anything else is the remove's own failure.
  String.raw`    case "$out" in *"Server \"$1\" not found"*) ;; *) printf '%s\n' "$out"; return "$st";; esac`,
  String.raw`  }`,
  String.raw`  cli_add "$@"`,
  String.raw`}`
]

const layout: Movable.Layout = {
  cli: "copilot",
  dirVar: "COPILOT_HOME",
  homeDir: ".copilot",
  file: "mcp-config.json",
  write: WRITE,
  read: Movable.READ_JSON
}

const addCommand = (
  plan: SupervisePlan
) => ["copilot", "mcp", "add", "--transport", "http", plan.serverName, plan.agentUrl]

const { ensure: ensureArgv, probe: verifyArgv, replace: replaceArgv } = Movable.argvs(layout)

const tokenEnv = Movable.tokenEnv((header) => header)

/** @internal */
export const copilot: Agent = {
  kind: "copilot",
  title: "Copilot CLI",
  cli: "copilot",
  configFormat: "JSON",
  replaceStarts: 2,
  configFile: (agent) => Movable.configFile(layout, agent),
  tokenEnv,
  ensureArgv,
  replaceArgv,
  readFileOf: (agent, stderr) => Movable.readFileOf(layout, agent, stderr),
  compare: JsonEntry.compare,
  verifyArgv,
  verifyEnv: tokenEnv,
  health: Probe.health(JsonEntry.compare),
  checkedBy: "entry-and-probe",
  manualHint: (agent, plan) => {
    const dir = agent.configDir === undefined ? "" : `COPILOT_HOME=${Shell.quote(agent.configDir)} `
    const remove = `${dir}${Shell.join(["copilot", "mcp", "remove", plan.serverName])} 2>/dev/null`
    const header = plan.token === undefined ? "" : ` --header "Authorization: Bearer $SUPERVISE_TOKEN"`
    const add = `${dir}${Shell.join(["copilot", "mcp", "add", "--transport", "http"])}${header} ${
      Shell.join([plan.serverName, plan.agentUrl])
    }`
    return `${remove}; ${add}`
  },
  provisionSteps: (agent, plan) =>
    Movable.steps(layout, {
      ensure: ensureArgv(agent, plan),
      replace: replaceArgv(agent, plan),
      replaceWhat: "copilot mcp remove + add",
      add: addCommand(plan),
      replaceCommands: [["copilot", "mcp", "remove", plan.serverName], addCommand(plan)]
    }),
  verifySteps: (agent, plan) => [{
    name: "get",
    when: "Copilot CLI has no check that connects: read the stored entry (header values scrubbed in the guest), " +
      "then send an MCP initialize to the planned URL from inside the guest",
    argv: verifyArgv(agent, plan),
    carriesToken: true,
    commands: [["copilot", "mcp", "get", plan.serverName, "--json"]]
  }]
}
