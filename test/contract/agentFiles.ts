/**
 * The agents' files as every harness of the agent contract (./agentSuite.ts)
 * sees them: where each place is for a home, the text a seeded config is
 * written as (Codex's TOML as Codex lays it out, the others' JSON as their
 * CLIs do), that text read back, and the plan for a real guest's agent (the
 * last three serve Claude Code's contract, ./suite.ts, too).
 */
import * as Effect from "effect/Effect"
import { agentOf } from "../../src/internal/agents/registry.js"
import * as Toml from "../../src/internal/testing/agents/toml.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import type * as Testing from "../../src/Testing.js"
import { parseToml } from "../support/toml.js"
import type { AgentContractGuest, AgentPlace, OtherAgent } from "./agentSuite.js"

/** The `configDir` place's directory, under the agent's home. */
export const configDirOf = (home: string): string => `${home}/.cfg`

const agentPlan = (kind: OtherAgent, home: string, configDir?: string) =>
  SupervisePlan.makeAgentPlan({
    kind,
    home: SupervisePlan.AbsolutePath.make(home),
    ...(configDir === undefined ? {} : { configDir: SupervisePlan.AbsolutePath.make(configDir) })
  })

/** The agent's file at each place, for the home `home`. */
export const agentPlaces = (kind: OtherAgent, home: string): Readonly<Record<AgentPlace, string>> => ({
  home: agentOf(kind).configFile(agentPlan(kind, home)),
  configDir: agentOf(kind).configFile(agentPlan(kind, home, configDirOf(home)))
})

/** A config's text as the agent keeps it. */
export const configText = (kind: SupervisePlan.AgentKind, config: Testing.ConfigJson): string =>
  kind === "codex" ? Toml.render(config) : `${JSON.stringify(config, null, 2)}\n`

/** An agent's file read back: its TOML or JSON as an object (a file that is not one fails the test). */
export const parseConfig = (kind: SupervisePlan.AgentKind, text: string): Testing.ConfigJson => {
  const parsed: unknown = kind === "codex" ? parseToml(text) : JSON.parse(text)
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`the ${kind} config is not an object: ${text.slice(0, 200)}`)
  }
  return { ...parsed }
}

/** A harness's `plan` (either contract's) for a real guest whose agent is `user`, at home `home`. */
export const realPlan = (kind: SupervisePlan.AgentKind, user: string, home: string): AgentContractGuest["plan"] =>
(
  supervise,
  options = {}
) =>
  Effect.orDie(SupervisePlan.decode({
    supervisePlan: { agentUrl: supervise.agentUrl, token: supervise.token },
    agent: {
      kind,
      user: supervise.user ?? user,
      home: supervise.user === undefined ? home : `/home/${supervise.user}`,
      ...(options.configDir === true ? { configDir: configDirOf(home) } : {})
    }
  }))
