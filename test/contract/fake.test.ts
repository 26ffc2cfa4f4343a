/**
 * The contracts (./suite.ts for Claude Code, ./agentSuite.ts for Codex,
 * Gemini CLI and Copilot CLI) against the testing kit's in-memory guest
 * (`bottle-supervise/Testing`): what launchers' tests run against.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Testing from "../../src/Testing.js"
import { agentPlaces } from "./agentFiles.js"
import {
  type AgentContractGuest,
  agentContractSuite,
  type AgentGuestSpec,
  AgentHarness,
  type OtherAgent
} from "./agentSuite.js"
import { type ContractGuest, contractSuite, type GuestSpec, Harness, type Place } from "./suite.js"

const HOME = "/home/node"
const PATHS: Readonly<Record<Place, string>> = {
  home: `${HOME}/.claude.json`,
  legacy: `${HOME}/.claude/.config.json`,
  configDir: `${HOME}/.cfg/.claude.json`
}

const urls = { up: "http://127.0.0.1:4318/", alsoUp: "http://127.0.0.1:4319/mcp", down: "http://127.0.0.1:4320/" }

const guest = (spec: GuestSpec) =>
  Effect.gen(function*() {
    const files: Record<string, Testing.ConfigJson> = {}
    for (const place of ["home", "legacy", "configDir"] as const) {
      const content = spec.files?.[place]
      if (content !== undefined) files[PATHS[place]] = content
    }
    const fake = yield* Testing.make({
      execLandsAs: spec.execLandsAs,
      machine: spec.machine,
      claude: spec.claude,
      sidecar: { [urls.up]: "up", [urls.alsoUp]: "up", [urls.down]: "down" },
      files
    })
    const contract: ContractGuest = {
      target: fake.name,
      layer: fake.layer,
      plan: (supervise, options = {}) =>
        Effect.orDie(fake.plan(
          { agentUrl: supervise.agentUrl, token: supervise.token },
          { user: supervise.user, configDir: options.configDir === true ? `${HOME}/.cfg` : undefined }
        )),
      read: (place) => fake.file(PATHS[place]),
      ownedByAgent: (place) =>
        Effect.map(fake.owner(PATHS[place]), (owner) => (owner === undefined ? undefined : owner === "node"))
    }
    return contract
  })

contractSuite(
  "contract: the testing kit's in-memory guest",
  Layer.succeed(Harness, { name: "fake", backend: "smolvm", token: "contract-token", urls, propertyRuns: 100, guest })
)

const agentGuest = (kind: OtherAgent) => (spec: AgentGuestSpec) =>
  Effect.gen(function*() {
    const places = agentPlaces(kind, HOME)
    const files: Record<string, Testing.ConfigJson> = {}
    for (const place of ["home", "configDir"] as const) {
      const content = spec.files?.[place]
      if (content !== undefined) files[places[place]] = content
    }
    const fake = yield* Testing.make({
      agentKind: kind,
      execLandsAs: spec.execLandsAs,
      machine: spec.machine,
      cli: spec.cli,
      sidecar: { [urls.up]: "up", [urls.alsoUp]: "up", [urls.down]: "down" },
      files
    })
    const contract: AgentContractGuest = {
      target: fake.name,
      layer: fake.layer,
      plan: (supervise, options = {}) =>
        Effect.orDie(fake.plan(
          { agentUrl: supervise.agentUrl, token: supervise.token },
          { user: supervise.user, configDir: options.configDir === true ? `${HOME}/.cfg` : undefined }
        )),
      read: (place) => fake.file(places[place]),
      ownedByAgent: (place) =>
        Effect.map(fake.owner(places[place]), (owner) => (owner === undefined ? undefined : owner === "node"))
    }
    return contract
  })

for (const kind of ["codex", "gemini", "copilot"] as const) {
  agentContractSuite(
    `contract (${kind}): the testing kit's in-memory guest`,
    kind,
    Layer.succeed(AgentHarness, {
      name: "fake",
      backend: "smolvm",
      kind,
      token: "contract-token",
      urls,
      propertyRuns: 100,
      guest: agentGuest(kind)
    })
  )
}
