/**
 * GitHub Copilot CLI (`@github/copilot`): `copilot mcp add --transport http`
 * into `${COPILOT_HOME:-~/.copilot}/mcp-config.json`, JSON
 * `mcpServers.NAME {tools, type: "http", url, headers}`, written 0600.
 *
 * The writer: `copilot mcp add` refuses a name that exists (a replace would
 * be `remove` and `add`), refuses a file without `mcpServers`, and rewrites
 * every other server through its own schema (unknown keys dropped, `tools`
 * added). So the library sets the entry, exactly as `copilot mcp add` writes
 * it, in the work copy with node (every other key and server kept), and
 * Copilot CLI reads it back (`copilot mcp get`): one CLI start for a
 * registration or a replace. Its `mcp get` prints the stored header
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

/**
 * Sets `mcpServers.NAME` in the JSON file `$3` to the entry `copilot mcp add`
 * writes, every other key and server kept as they are; the token comes from
 * the environment. Comments and trailing commas are read (Copilot CLI accepts
 * them) and not written back. A file that is not a JSON object is left
 * alone, and said so without quoting it (it may hold tokens).
 */
const SET_ENTRY_JS = String.raw`
const fs = require("fs")
${Movable.STRIP_JSONC_JS}
const name = process.argv[1], url = process.argv[2], file = process.argv[3], token = process.env.${TOKEN_VAR}
let config = {}
try {
  const text = fs.readFileSync(file, "utf8")
  if (text.trim() !== "") config = JSON.parse(strip(text))
} catch (e) {
  if (e.code !== "ENOENT") { process.stderr.write(file + " is not JSON; the entry was left as it was\n"); process.exit(65) }
}
const obj = (v) => typeof v === "object" && v !== null && !Array.isArray(v)
if (!obj(config)) { process.stderr.write(file + " is not a JSON object; the entry was left as it was\n"); process.exit(65) }
if (!obj(config.mcpServers)) config.mcpServers = {}
config.mcpServers[name] = { tools: ["*"], type: "http", url, ...(token ? { headers: { Authorization: "Bearer " + token } } : {}) }
fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 })
`

const WRITE: ReadonlyArray<string> = [
  // Otherwise it runs whatever newer version it finds in its cache, not the one installed.
  String.raw`COPILOT_AUTO_UPDATE=false; export COPILOT_AUTO_UPDATE`,
  ...Movable.writtenThenReadBack("copilot", [`  node -e ${Shell.quote(SET_ENTRY_JS)} "$1" "$2" "$3" || return`])
]

const layout: Movable.Layout = {
  cli: "copilot",
  writeWhat: "writing the entry, or copilot mcp get reading it back",
  dirVar: "COPILOT_HOME",
  homeDir: ".copilot",
  file: "mcp-config.json",
  write: WRITE,
  read: Movable.READ_JSON
}

const addCommand = (
  plan: SupervisePlan
) => ["copilot", "mcp", "add", "--transport", "http", plan.serverName, plan.agentUrl]

const verifyArgv = Movable.argvs(layout).probe

const tokenEnv = Movable.tokenEnv((header) => header)

/** @internal */
export const copilot: Agent = {
  kind: "copilot",
  title: "Copilot CLI",
  cli: "copilot",
  configFormat: "JSON",
  replaceStarts: 1,
  ...Movable.agentFields(layout),
  tokenEnv,
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
    Movable.steps(layout, agent, plan, {
      addWhat: "the entry written into a copy and read back by copilot mcp get",
      replaceWhat: "the same",
      add: addCommand(plan),
      replaceCommands: [["copilot", "mcp", "remove", plan.serverName], addCommand(plan)]
    }),
  verifySteps: (agent, plan) => [{
    name: "get",
    when: "Copilot CLI has no check that connects: read the stored entry (header values scrubbed in the guest), " +
      "then send an MCP initialize to the planned URL from inside the guest",
    argv: verifyArgv(agent, plan),
    carriesToken: true,
    commands: [["probe", plan.agentUrl]]
  }]
}
