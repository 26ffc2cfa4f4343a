/**
 * End to end with the real Codex, Gemini CLI and Copilot CLI (pinned
 * devDependencies) on the smolvm stand-in, for each agent: exec landing as
 * root (a bare VM: the library switches to `node`) and as the agent (an image
 * ending in `USER node`). The scenario is `agentScenario.ts`; the same on real
 * containers is `test/docker/agents.test.ts`. Needs root and a `node` user for
 * the root landing, and the CLIs in node_modules: skipped with the reason
 * without them, failing on CI.
 */
import * as Effect from "effect/Effect"
import { makeGuest } from "../support/standin.js"
import { agentClisProblem, type AgentGuest, agentScenarioOn, OTHER_AGENTS } from "./agentScenario.js"
import { gated, gatedOn, type Landing } from "./prerequisites.js"

const landings: ReadonlyArray<readonly [Landing, string]> = [
  ["root", "exec lands as root, the library switches to the agent user"],
  ["agent", "exec lands as the agent"]
]

for (const kind of OTHER_AGENTS) {
  for (const [landing, how] of landings) {
    gatedOn(
      `e2e ${kind} on the stand-in: ${how}`,
      agentClisProblem(),
      (title) =>
        gated(title, landing, (title, setup) =>
          agentScenarioOn(
            kind,
            title,
            Effect.map(
              makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs, name: `bottle-${kind}-${landing}` }),
              (guest): AgentGuest => ({
                name: guest.name,
                user: setup.agent.name,
                agentUid: setup.agent.uid,
                home: guest.home,
                layer: guest.layer,
                commandLines: guest.commandLines,
                container: undefined
              })
            )
          ))
    )
  }
}
