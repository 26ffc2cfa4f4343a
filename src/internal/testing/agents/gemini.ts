/**
 * Gemini CLI 0.61.0 as the in-memory guest imitates it: `gemini mcp add
 * --scope user --transport http` writes `mcpServers.NAME {url, type, headers}`
 * into `${GEMINI_CLI_HOME:-$HOME}/.gemini/settings.json`, replacing an entry
 * of that name (and its other keys) after saying it is already configured,
 * and leaving every other server and key as it was; `gemini mcp list` (the
 * library's verification) connects to each server and prints one line each
 * on stderr: `✓ NAME: URL (http) - Connected` or `✗ ... - Disconnected`.
 *
 * @internal
 */
import { gemini as library } from "../../agents/gemini.js"
import { cliExitMark } from "../../guest.js"
import * as Model from "../model.js"
import { reaches, type State } from "../state.js"
import type { FakeAgent } from "./agent.js"
import { notFound } from "./agent.js"
import * as JsonEntry from "./jsonEntry.js"
import * as Movable from "./movable.js"

const add = (file: Model.ConfigFile, name: string, url: string, { token }: Movable.Secrets): Movable.CliAnswer => {
  const existed = Object.hasOwn(file.mcpServers, name)
  file.mcpServers[name] = token === undefined
    ? { url, type: "http" }
    : { url, type: "http", headers: { Authorization: `Bearer ${token}` } }
  return {
    exitCode: 0,
    out: existed
      ? `MCP server "${name}" is already configured within user settings.\n` +
        `MCP server "${name}" updated in user settings.\n`
      : `MCP server "${name}" added to user settings. (http)\n`
  }
}

/** One server as `gemini mcp list` shows it: stdio servers never connect in the guest (no such command). */
const listed = (state: State, name: string, server: Model.JsonObject): string => {
  const stdio = typeof server["command"] === "string"
  const type = typeof server["type"] === "string" ? server["type"] : stdio ? "stdio" : "http"
  const target = stdio
    ? [server["command"], ...(Array.isArray(server["args"]) ? server["args"] : [])].map(String).join(" ")
    : String(server["httpUrl"] ?? server["url"] ?? "")
  const up = !stdio && type !== "stdio" && reaches(state, target)
  return `${up ? "✓" : "✗"} ${name}: ${target} (${type}) - ${up ? "Connected" : "Disconnected"}\n`
}

const CLI_EXIT_MARK = cliExitMark("gemini")

/** @internal */
export const gemini: FakeAgent = Movable.make({
  agent: library,
  dirVar: "GEMINI_CLI_HOME",
  serversKey: "mcpServers",
  render: Model.render,
  readEntry: JsonEntry.readEntry,
  add,
  runs: "add",
  check: (state, file, input, script) => {
    if (!input.installed) {
      const missing = notFound(script, "gemini", (line) => line.includes("gemini mcp list"))
      return { exitCode: 0, stderr: `${missing}${CLI_EXIT_MARK}127\n` }
    }
    const servers = Object.entries(file?.mcpServers ?? {})
    const list = servers.length === 0
      ? "No MCP servers configured.\n"
      : `Configured MCP servers:\n\n${servers.map(([name, server]) => listed(state, name, server)).join("")}`
    return { exitCode: 0, stderr: `${list}${CLI_EXIT_MARK}0\n` }
  }
})
