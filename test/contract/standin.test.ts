/**
 * The contracts against the smolvm stand-in with the real pinned CLIs: the
 * library's live `Smolvm` layer drives test/fixtures/smolvm-standin.mjs,
 * which runs each step on this host as the agent user `node` (exec landing as
 * root, which switches, or as `node`). Claude Code's (./suite.ts) with the
 * `claude` CLI; Codex's, Gemini CLI's and Copilot CLI's (./agentSuite.ts)
 * with theirs, which the stand-in puts on the guest's PATH
 * (test/fixtures/agent-clis.mjs). Needs root, a `node` user and the CLIs;
 * skipped otherwise, failing on CI.
 */
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import type * as Testing from "../../src/Testing.js"
import { agentClisProblem, OTHER_AGENTS } from "../e2e/agentScenario.js"
import { gated, gatedOn, setupFor } from "../e2e/prerequisites.js"
import { type HostUser, type MachineState, makeGuest } from "../support/standin.js"
import { agentPlaces, configText, parseConfig, realPlan } from "./agentFiles.js"
import { type AgentContractGuest, agentContractSuite, type AgentGuestSpec, AgentHarness } from "./agentSuite.js"
import { sidecars } from "./sidecars.js"
import { type ContractGuest, contractSuite, type GuestSpec, Harness } from "./suite.js"

const found = setupFor("root")

/** Writes `text` as the CLI would (mode 0600), owned by `user`, the directories it makes too. */
const seedFile = (file: string, text: string, user: HostUser) => {
  const dir = path.dirname(file)
  const first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (first !== undefined) {
    for (let at = dir; at.startsWith(first); at = path.dirname(at)) fs.chownSync(at, user.uid, user.gid)
  }
  fs.writeFileSync(file, text, { mode: 0o600 })
  fs.chownSync(file, user.uid, user.gid)
}

/**
 * A stand-in guest of `kind` for `agent`, its files at the places `placesOf`
 * gives for its home (seeded from `spec.files` first): exec landing as
 * `execLandsAs`, the machine stopped, missing (a target that does not exist)
 * or booting, and without the agents' CLIs (PATH the system directories only:
 * no CLI in them) when `cliMissing`. Either contract's guest.
 */
const standinGuest = <P extends string>(
  kind: SupervisePlan.AgentKind,
  agent: HostUser,
  spec: {
    readonly execLandsAs: "root" | "agent"
    readonly machine?: GuestSpec["machine"]
    readonly cliMissing: boolean
    readonly files?: Partial<Record<P, Testing.ConfigJson>> | undefined
  },
  placesOf: (home: string) => Readonly<Record<P, string>>
) =>
  Effect.gen(function*() {
    const booting = typeof spec.machine === "object" ? spec.machine.booting : undefined
    const standin = yield* Effect.orDie(makeGuest({
      user: agent,
      execLandsAs: spec.execLandsAs,
      name: "bottle-contract",
      notRunningFor: booting
    }))
    const places = placesOf(standin.home)
    for (const [place, content] of Object.entries<Testing.ConfigJson | undefined>(spec.files ?? {})) {
      if (content !== undefined) seedFile(places[place as P], configText(kind, content), agent)
    }
    const machine: MachineState = {
      running: spec.machine !== "stopped",
      execAs: spec.execLandsAs === "root" ? "root" : agent.name,
      notRunningFor: booting,
      ...(spec.cliMissing ? { env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } } : {})
    }
    yield* standin.setMachine(machine)
    return {
      target: spec.machine === "missing" ? "bottle-absent" : standin.name,
      layer: standin.layer.pipe(Layer.provide(NodeContext.layer)),
      plan: realPlan(kind, agent.name, standin.home),
      read: (place: P) =>
        Effect.sync(() =>
          fs.existsSync(places[place]) ? parseConfig(kind, fs.readFileSync(places[place], "utf8")) : undefined
        ),
      ownedByAgent: (place: P) =>
        Effect.sync(() => (fs.existsSync(places[place]) ? fs.statSync(places[place]).uid === agent.uid : undefined))
    }
  })

const harness = (agent: HostUser) =>
  Layer.scoped(
    Harness,
    Effect.gen(function*() {
      const { token, urls } = yield* sidecars
      const guest = (spec: GuestSpec): Effect.Effect<ContractGuest, never, Scope.Scope> =>
        standinGuest(
          "claude-code",
          agent,
          { ...spec, cliMissing: spec.claude === "missing" },
          (home) => ({
            home: path.join(home, ".claude.json"),
            legacy: path.join(home, ".claude/.config.json"),
            configDir: path.join(home, ".cfg/.claude.json")
          })
        )
      return { name: "standin", backend: "smolvm", token, urls, propertyRuns: 4, guest }
    })
  )

gatedOn(
  "contract: the smolvm stand-in with the real claude CLI",
  "setup" in found ? undefined : found.missing,
  (title) => {
    if ("setup" in found) contractSuite(title, harness(found.setup.agent))
  }
)

const agentHarness = (kind: (typeof OTHER_AGENTS)[number], agent: HostUser) =>
  Layer.scoped(
    AgentHarness,
    Effect.gen(function*() {
      const { token, urls } = yield* sidecars
      const guest = (spec: AgentGuestSpec): Effect.Effect<AgentContractGuest, never, Scope.Scope> =>
        standinGuest(kind, agent, { ...spec, cliMissing: spec.cli === "missing" }, (home) => agentPlaces(kind, home))
      return { name: "standin", backend: "smolvm", kind, token, urls, propertyRuns: 4, guest }
    })
  )

for (const kind of OTHER_AGENTS) {
  gatedOn(
    `contract (${kind}): the smolvm stand-in with the real ${kind} CLI`,
    agentClisProblem(),
    (title) => gated(title, "root", (title, setup) => agentContractSuite(title, kind, agentHarness(kind, setup.agent)))
  )
}
