/**
 * Codex 0.171.0 as the in-memory guest imitates it, with the library's
 * script: in `${CODEX_HOME:-~/.codex}/config.toml` the plan's tables
 * (`[mcp_servers.NAME]` and its sub-tables) are taken out and
 * `[mcp_servers.NAME] url = "URL"` appended, with
 * `[mcp_servers.NAME.http_headers] Authorization = "Bearer <token>"` when
 * the plan has a token, every other line kept; then `codex mcp get` reads it
 * back (a missing `codex` fails there). The file is kept as JSON (the TOML
 * document's tables as objects) and its text is rendered as Codex lays it
 * out, for the script's `grep` and its awk read, which this module runs as the
 * awk does.
 *
 * @internal
 */
import { codex as library } from "../../agents/codex.js"
import type * as Model from "../model.js"
import type { FakeAgent } from "./agent.js"
import * as Movable from "./movable.js"
import * as Toml from "./toml.js"

const SERVERS = "mcp_servers"

const render = (file: Model.ConfigFile): string =>
  Toml.render(Object.keys(file.mcpServers).length === 0 ? file.other : { ...file.other, [SERVERS]: file.mcpServers })

/** The library's `read_entry` awk (`READ_TOML`), line by line over the file's text. */
const readEntry = (file: Model.ConfigFile, name: string, storedHeader: string | undefined): string => {
  const base = `${SERVERS}.${name}`
  const ours = storedHeader ?? ""
  const out: Array<string> = []
  let table = ""
  let found = false
  for (const line of render(file).split("\n")) {
    if (/^[ \t]*\[/.test(line)) {
      const header = line.replace(/^[ \t]*\[+[ \t]*/, "").replace(/[ \t]*\]+[ \t]*(#.*)?$/, "")
        .replace(/[ \t]*\.[ \t]*/g, ".").replace(/"/g, "")
      if (header === base) {
        table = "entry"
        found = true
      } else if (header === `${base}.http_headers`) {
        table = "headers"
        found = true
        out.push("table\thttp_headers")
      } else if (header.startsWith(`${base}.`)) {
        table = "other"
        found = true
        out.push(`table\t${header.slice(base.length + 1)}`)
      } else {
        table = ""
      }
      continue
    }
    if (table === "" || /^[ \t]*(#|$)/.test(line)) continue
    const key = line.replace(/[ \t]*=.*/, "").replace(/^[ \t]+/, "").replace(/"/g, "")
    const value = line.replace(/^[^=]*=[ \t]*/, "").replace(/[ \t]+$/, "")
    if (table === "headers") out.push(`header\t${key}\t${ours !== "" && value === ours ? "P" : "R"}`)
    else if (table === "entry") {
      const shown = key === "url" || key === "bearer_token_env_var" || key === "enabled"
      out.push(`key\t${key}\t${shown ? value : "[REDACTED]"}`)
    }
  }
  if (!found) out.push("absent")
  return out.map((line) => `${line}\n`).join("")
}

/**
 * The script's `cli_add`: the plan's tables out of the file (every other line
 * kept), the entry appended with its header table, then `codex mcp get`
 * reads it back (its output dropped).
 */
const add = (file: Model.ConfigFile, name: string, url: string, { token }: Movable.Secrets): Movable.CliAnswer => {
  delete file.mcpServers[name]
  file.mcpServers[name] = token === undefined ? { url } : { url, http_headers: { Authorization: `Bearer ${token}` } }
  return { exitCode: 0, out: "" }
}

/** @internal */
export const codex: FakeAgent = Movable.make({
  agent: library,
  dirVar: "CODEX_HOME",
  serversKey: SERVERS,
  render,
  readEntry,
  add,
  runs: "get"
})
