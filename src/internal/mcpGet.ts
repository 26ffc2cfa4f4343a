/**
 * Parsing `claude mcp get NAME`, the agent's own health check, as recorded from
 * Claude Code 2.1.330 (see test/fixtures/claude-mcp-get). Lines are matched by
 * their label, not their position, and the status by its words, not its glyph.
 *
 * @internal
 */
import type { Health as AgentHealth } from "./agents/agent.js"

/** What `claude mcp get` said; an `Unknown` carries no output (the caller has it). @internal */
export type Health = Exclude<AgentHealth, { readonly _tag: "Unknown" }> | { readonly _tag: "Unknown" }

// Fields are indented by two spaces. The first line is the server's own name and a
// colon, and the headers (printed in clear) are indented by four: neither may read as
// a field when the real one is missing. [ \t], not \s: never across lines.
const field = (text: string, label: string): string | undefined => {
  const match = new RegExp(`^  ${label}:[ \\t]*(.*?)[ \\t]*$`, "mi").exec(text)
  return match?.[1]
}

/** @internal */
export const parse = (exitCode: number, stdout: string, stderr: string): Health => {
  const all = `${stdout}\n${stderr}`
  if (exitCode !== 0) {
    return /No MCP server named/i.test(all) ? { _tag: "NotRegistered" } : { _tag: "Unknown" }
  }
  const status = field(stdout, "Status")
  if (status === undefined) return { _tag: "Unknown" }
  // A stdio server prints `Command:` and no `URL:`: the transport tells it from ours.
  const type = field(stdout, "Type")
  const url = field(stdout, "URL")
  if (/\bconnected\b/i.test(status) && !/fail|not|disconnected/i.test(status)) return { _tag: "Connected", type, url }
  const issue = field(stdout, "Issue")
  const cleanStatus = status.replace(/^[^A-Za-z]+/, "")
  return { _tag: "Unreachable", type, url, reason: issue ?? cleanStatus }
}
