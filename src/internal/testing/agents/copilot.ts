/**
 * Copilot CLI 1.0.102 as the in-memory guest imitates it: `copilot mcp add
 * --transport http` refuses a name that exists (`Server "N" already exists`),
 * `remove` of a missing name fails (`Server "N" not found.`), and every write
 * rewrites the whole `${COPILOT_HOME:-~/.copilot}/mcp-config.json`: each
 * server keeps only the keys Copilot knows and gets `tools: ["*"]` when it had
 * none. The entry it writes is `{tools: ["*"], type: "http", url, headers}`.
 *
 * @internal
 */
import { copilot as library } from "../../agents/copilot.js"
import * as Model from "../model.js"
import type { FakeAgent } from "./agent.js"
import * as JsonEntry from "./jsonEntry.js"
import * as Movable from "./movable.js"

/** The keys of a server Copilot CLI keeps when it rewrites its file. */
const KNOWN = new Set(["tools", "type", "url", "headers", "timeout", "command", "args", "cwd", "env"])

const rewrite = (file: Model.ConfigFile): void =>
  Movable.keepKnown(file.mcpServers, KNOWN, (entry) => {
    if (entry["tools"] === undefined) entry["tools"] = ["*"]
  })

const add = (file: Model.ConfigFile, name: string, url: string, { token }: Movable.Secrets): Movable.CliAnswer => {
  if (Object.hasOwn(file.mcpServers, name)) {
    return {
      exitCode: 1,
      out: `Error: Server "${name}" already exists. To update it, remove it first:\n  copilot mcp remove ${name}\n`
    }
  }
  rewrite(file)
  file.mcpServers[name] = token === undefined
    ? { tools: ["*"], type: "http", url }
    : { tools: ["*"], type: "http", url, headers: { Authorization: `Bearer ${token}` } }
  return {
    exitCode: 0,
    out: `Added server "${name}"\n\n${name}\n  Type: http\n  URL: ${url}\n` +
      (token === undefined ? "" : "  Headers:\n    Authorization: ***\n") +
      "  Tools: * (all)\n  Source: User\n"
  }
}

const remove = (file: Model.ConfigFile, name: string): Movable.CliAnswer => {
  if (!Object.hasOwn(file.mcpServers, name)) return { exitCode: 1, out: `Error: Server "${name}" not found.\n` }
  delete file.mcpServers[name]
  rewrite(file)
  return { exitCode: 0, out: `Removed server "${name}"\n` }
}

/** @internal */
export const copilot: FakeAgent = Movable.make({
  agent: library,
  dirVar: "COPILOT_HOME",
  serversKey: "mcpServers",
  render: Model.render,
  readEntry: JsonEntry.readEntry,
  add,
  // The script's `cli_replace`: a missing name is what a replace wants; any other failure is the remove's own.
  replace: (file, name, url, secrets) => {
    const removed = remove(file, name)
    if (removed.exitCode !== 0 && !removed.out.includes(`Server "${name}" not found`)) return removed
    return add(file, name, url, secrets)
  },
  replaceRunsFirst: "remove"
})
