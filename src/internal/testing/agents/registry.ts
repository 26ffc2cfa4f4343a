/**
 * Every agent the in-memory guest imitates, by kind: the one place a new
 * agent's fake is added (beside `../../agents/registry.ts`).
 *
 * @internal
 */
import type { AgentKind } from "../../../SupervisePlan.js"
import type * as Model from "../model.js"
import type { FakeAgent } from "./agent.js"
import { claudeCode } from "./claudeCode.js"
import { codex } from "./codex.js"
import { copilot } from "./copilot.js"
import { gemini } from "./gemini.js"

const FAKES: Readonly<Record<AgentKind, FakeAgent>> = {
  "claude-code": claudeCode,
  codex,
  gemini,
  copilot
}

/** @internal */
export const fakeAgentOf = (kind: AgentKind): FakeAgent => FAKES[kind]

/** The agent and step a command runs, when it is one of the library's step scripts. @internal */
export const stepOf = (command: ReadonlyArray<string>):
  | {
    readonly agent: FakeAgent
    readonly step: Model.StepName
    readonly args: ReadonlyArray<string>
  }
  | undefined =>
{
  for (const agent of Object.values(FAKES)) {
    const stepped = agent.stepOf(command)
    if (stepped !== undefined) return { agent, ...stepped }
  }
  return undefined
}
