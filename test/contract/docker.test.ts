/**
 * The contracts against real Docker containers of the private test engine,
 * through the library's own `Docker.layer`: Claude Code's (./suite.ts) with
 * the real pinned `claude` CLI on `bottle-supervise-test:root` (exec lands as
 * root and the library switches to `node`) and `:node` (`USER node`);
 * Codex's, Gemini CLI's and Copilot CLI's (./agentSuite.ts) with their real
 * pinned CLIs on `:agents-root` and `:agents-node`. Skipped without the
 * engine, failing on CI.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomBytes } from "node:crypto"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import { agentClisProblem, OTHER_AGENTS } from "../e2e/agentScenario.js"
import { gatedOn } from "../e2e/prerequisites.js"
import {
  describeDocker,
  dockerExecSync,
  guestStat,
  readGuestFile,
  removeContainer,
  startContainer,
  stopContainer,
  type TestImage,
  writeGuestFile
} from "../support/docker.js"
import { dockerLive } from "../support/dockerLayer.js"
import { IMAGE_AGENT, IMAGE_AGENT_HOME } from "../support/scenarioGuest.js"
import { agentPlaces, configText, parseConfig, realPlan } from "./agentFiles.js"
import { type AgentContractGuest, agentContractSuite, type AgentGuestSpec, AgentHarness } from "./agentSuite.js"
import { sidecars } from "./sidecars.js"
import { type ContractGuest, contractSuite, type GuestSpec, Harness, type Place } from "./suite.js"

const HOME = IMAGE_AGENT_HOME
const PATHS: Readonly<Record<Place, string>> = {
  home: `${HOME}/.claude.json`,
  legacy: `${HOME}/.claude/.config.json`,
  configDir: `${HOME}/.cfg/.claude.json`
}

const asNode = (container: string, argv: ReadonlyArray<string>) => {
  const result = dockerExecSync(container, argv, { user: IMAGE_AGENT.name })
  if (result.status !== 0) throw new Error(`${argv.join(" ")} in ${container}: ${result.stderr}`)
}

/**
 * A container of `image`, removed when the scope closes: `seed` (file, text)
 * written as the agent (mode 0600, directories made), the CLI at `removeCli`
 * removed, stopped when the machine is; the target names no container when it
 * is missing.
 */
const scopedGuest = (
  image: TestImage,
  spec: {
    readonly machine?: GuestSpec["machine"]
    readonly removeCli?: string | undefined
    readonly seed: ReadonlyArray<readonly [string, string]>
  }
) =>
  Effect.gen(function*() {
    const container = yield* Effect.acquireRelease(
      Effect.sync(() => startContainer({ image })),
      (name) => Effect.sync(() => removeContainer(name))
    )
    yield* Effect.sync(() => {
      for (const [file, text] of spec.seed) {
        asNode(container, ["mkdir", "-p", "--", file.slice(0, file.lastIndexOf("/"))])
        writeGuestFile(container, file, text, { user: IMAGE_AGENT.name, mode: 0o600 })
      }
      if (spec.removeCli !== undefined) {
        const rm = dockerExecSync(container, ["rm", "-f", spec.removeCli], { user: "0" })
        if (rm.status !== 0) throw new Error(`removing ${spec.removeCli}: ${rm.stderr}`)
      }
      if (spec.machine === "stopped") stopContainer(container)
    })
    return {
      container,
      target: spec.machine === "missing" ? `bs-absent-${randomBytes(4).toString("hex")}` : container
    }
  })

/** The agent's file in the container, parsed, or undefined when there is none. */
const readConfig = (kind: SupervisePlan.AgentKind, container: string, file: string) =>
  Effect.sync(() =>
    guestStat(container, file) === undefined ? undefined : parseConfig(kind, readGuestFile(container, file))
  )

const ownedByAgent = (container: string, file: string) =>
  Effect.sync(() => {
    const stat = guestStat(container, file)
    return stat === undefined ? undefined : stat.uid === IMAGE_AGENT.uid
  })

const harness = (dockerHost: string) =>
  Effect.gen(function*() {
    const { token, urls } = yield* sidecars
    const layer = dockerLive(dockerHost)
    const guest = (spec: GuestSpec) =>
      Effect.gen(function*() {
        const seed = (["home", "legacy", "configDir"] as const).flatMap((place) => {
          const content = spec.files?.[place]
          return content === undefined ? [] : [[PATHS[place], configText("claude-code", content)] as const]
        })
        const { container, target } = yield* scopedGuest(spec.execLandsAs === "root" ? "root" : "node", {
          machine: spec.machine,
          removeCli: spec.claude === "missing" ? "/usr/local/bin/claude" : undefined,
          seed
        })
        const contract: ContractGuest = {
          target,
          layer,
          plan: realPlan("claude-code", IMAGE_AGENT.name, HOME),
          read: (place) => readConfig("claude-code", container, PATHS[place]),
          ownedByAgent: (place) => ownedByAgent(container, PATHS[place])
        }
        return contract
      })
    return { name: "docker", backend: "docker" as const, token, urls, propertyRuns: 3, guest }
  })

const agentHarness = (kind: (typeof OTHER_AGENTS)[number], dockerHost: string) =>
  Effect.gen(function*() {
    const { token, urls } = yield* sidecars
    const layer = dockerLive(dockerHost)
    const places = agentPlaces(kind, HOME)
    const guest = (spec: AgentGuestSpec) =>
      Effect.gen(function*() {
        const seed = (["home", "configDir"] as const).flatMap((place) => {
          const content = spec.files?.[place]
          return content === undefined ? [] : [[places[place], configText(kind, content)] as const]
        })
        const { container, target } = yield* scopedGuest(
          spec.execLandsAs === "root" ? "agents-root" : "agents-node",
          { machine: spec.machine, removeCli: spec.cli === "missing" ? `/usr/local/bin/${kind}` : undefined, seed }
        )
        const contract: AgentContractGuest = {
          target,
          layer,
          plan: realPlan(kind, IMAGE_AGENT.name, HOME),
          read: (place) => readConfig(kind, container, places[place]),
          ownedByAgent: (place) => ownedByAgent(container, places[place])
        }
        return contract
      })
    return { name: "docker", backend: "docker" as const, kind, token, urls, propertyRuns: 3, guest }
  })

describeDocker("contract: real Docker containers with the real CLIs", (host) => {
  contractSuite("contract: Docker.layer", Layer.scoped(Harness, harness(host)), {
    cannotBoot: "docker has no boot race: `docker start` returns once the container runs"
  })
  for (const kind of OTHER_AGENTS) {
    gatedOn(
      `contract (${kind}): Docker.layer with the real ${kind} CLI`,
      agentClisProblem(),
      (title) => agentContractSuite(title, kind, Layer.scoped(AgentHarness, agentHarness(kind, host)))
    )
  }
})
