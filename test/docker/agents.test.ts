/**
 * Codex, Gemini CLI and Copilot CLI through the library's own `Docker.layer`,
 * end to end, on real containers of the private test engine whose images
 * carry node and the agents' pinned CLIs (`bottle-supervise-test:agents-root`:
 * exec lands as root, the library passes `-u node`; `:agents-node`: exec lands
 * as the agent), against the reference sidecar on the host (the containers
 * share the host's network). The scenario is `test/e2e/agentScenario.ts`.
 *
 * Skipped without the engine (`.ci/docker-engine.sh start`), failing on CI.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { agentClisProblem, type AgentGuest, agentScenarioOn, OTHER_AGENTS } from "../e2e/agentScenario.js"
import { gatedOn } from "../e2e/prerequisites.js"
import { describeDocker, DOCKER_HOST, type TestImage } from "../support/docker.js"
import { dockerLive } from "../support/dockerLayer.js"
import { IMAGE_AGENT, IMAGE_AGENT_HOME, scopedContainer } from "../support/scenarioGuest.js"

const images: ReadonlyArray<readonly [TestImage, string]> = [
  ["agents-root", "root image (exec lands as root; the library passes -u node)"],
  ["agents-node", "node image (exec lands as the agent)"]
]

/** A fresh container of `image`, provisioned through a `Docker.layer` of its own. */
const container = (image: TestImage): Effect.Effect<AgentGuest, never, Scope.Scope> =>
  Effect.map(scopedContainer(image), (name): AgentGuest => ({
    name,
    user: IMAGE_AGENT.name,
    agentUid: IMAGE_AGENT.uid,
    home: IMAGE_AGENT_HOME,
    layer: dockerLive(DOCKER_HOST),
    commandLines: undefined,
    container: name
  }))

describeDocker("the other agents through Docker.layer on real containers", () => {
  for (const kind of OTHER_AGENTS) {
    for (const [image, how] of images) {
      gatedOn(
        `e2e ${kind} on Docker.layer, ${how}`,
        agentClisProblem(),
        (title) => agentScenarioOn(kind, title, container(image))
      )
    }
  }
})
