/**
 * Every agent the library drives, by kind: the one place a new agent is
 * added.
 *
 * @internal
 */
import type { AgentKind } from "../../SupervisePlan.js"
import type { Agent } from "./agent.js"
import { claudeCode } from "./claudeCode.js"
import { codex } from "./codex.js"
import { copilot } from "./copilot.js"
import { gemini } from "./gemini.js"

const AGENTS: Readonly<Record<AgentKind, Agent>> = {
  "claude-code": claudeCode,
  codex,
  gemini,
  copilot
}

/** @internal */
export const agentOf = (kind: AgentKind): Agent => AGENTS[kind]
