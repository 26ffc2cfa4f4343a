/**
 * Copilot CLI 1.0.102 as the in-memory guest imitates it, with the library's
 * script: node sets `mcpServers.NAME` in
 * `${COPILOT_HOME:-~/.copilot}/mcp-config.json` to the entry `copilot mcp
 * add` writes, `{tools: ["*"], type: "http", url, headers}`, every other key
 * and server kept; then `copilot mcp get` reads it back (a missing `copilot`
 * fails there).
 *
 * @internal
 */
import { copilot as library } from "../../agents/copilot.js"
import * as Model from "../model.js"
import type { FakeAgent } from "./agent.js"
import * as JsonEntry from "./jsonEntry.js"
import * as Movable from "./movable.js"

/**
 * The script's `cli_add`: node sets `mcpServers.NAME` to the entry `copilot
 * mcp add` writes, every other key and server kept, then `copilot mcp get`
 * reads it back (its output dropped).
 */
const add = (file: Model.ConfigFile, name: string, url: string, { token }: Movable.Secrets): Movable.CliAnswer => {
  file.mcpServers[name] = token === undefined
    ? { tools: ["*"], type: "http", url }
    : { tools: ["*"], type: "http", url, headers: { Authorization: `Bearer ${token}` } }
  return { exitCode: 0, out: "" }
}

/** @internal */
export const copilot: FakeAgent = Movable.make({
  agent: library,
  dirVar: "COPILOT_HOME",
  serversKey: "mcpServers",
  render: Model.render,
  readEntry: JsonEntry.readEntry,
  add,
  runs: "get"
})
