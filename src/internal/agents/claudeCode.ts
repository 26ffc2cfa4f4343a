/**
 * Claude Code: `claude mcp add --scope user`, the config file the CLI picks
 * at startup (`.claude.json`, a legacy `.config.json`, `CLAUDE_CONFIG_DIR`),
 * `claude mcp get` as the health check (it connects). The guest scripts are
 * in `../guest.ts`, the host's reading of the config in `../claudeConfig.ts`
 * and of `claude mcp get` in `../mcpGet.ts`.
 *
 * @internal
 */
import * as ClaudeConfig from "../claudeConfig.js"
import * as Guest from "../guest.js"
import * as McpGet from "../mcpGet.js"
import type { Agent, Health, Ran } from "./agent.js"

/** `claude mcp get` as the GET script ran it: the CLI's own status is marked on stderr. */
const health = (ran: Ran): Health => {
  const { exitCode, stderr } = Guest.cliStatus(ran, Guest.CLI_EXIT_MARK)
  const parsed = Number.isInteger(exitCode) ? McpGet.parse(exitCode, ran.stdout, stderr) : undefined
  return parsed === undefined || parsed._tag === "Unknown"
    ? {
      _tag: "Unknown",
      detail: "`claude mcp get` printed nothing this library understands",
      exitCode: Number.isInteger(exitCode) ? exitCode : undefined,
      stdout: ran.stdout,
      stderr
    }
    : parsed
}

/** @internal */
export const claudeCode: Agent = {
  kind: "claude-code",
  title: "Claude Code",
  cli: "claude",
  configFormat: "JSON",
  replaceStarts: 2,
  configFile: (agent) => `${agent.configDir ?? agent.home}/.claude.json`,
  tokenEnv: Guest.tokenEnv,
  ensureArgv: Guest.ensureArgv,
  replaceArgv: Guest.replaceArgv,
  readFileOf: Guest.readFileOf,
  compare: ClaudeConfig.compare,
  verifyArgv: Guest.getArgv,
  verifyEnv: () => undefined,
  health,
  checkedBy: "connection",
  manualHint: Guest.manualHint,
  provisionSteps: Guest.provisionSteps,
  verifySteps: Guest.verifySteps
}
