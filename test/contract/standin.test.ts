/**
 * The contract (./suite.ts) against the smolvm stand-in with the real pinned
 * `claude` CLI: the library's live `Smolvm` layer drives
 * test/fixtures/smolvm-standin.mjs, which runs each step on this host as the
 * agent user `node` (exec landing as root, which switches, or as `node`).
 * Needs root, a `node` user and the CLI; skipped otherwise, failing on CI.
 */
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import type * as Testing from "../../src/Testing.js"
import { gatedOn, setupFor } from "../e2e/prerequisites.js"
import { type HostUser, type MachineState, makeGuest } from "../support/standin.js"
import { sidecars } from "./sidecars.js"
import { type ContractGuest, contractSuite, type GuestSpec, Harness, type Place } from "./suite.js"

const found = setupFor("root")

const relative: Readonly<Record<Place, string>> = {
  home: ".claude.json",
  legacy: ".claude/.config.json",
  configDir: ".cfg/.claude.json"
}

/** Writes `content` as the CLI would (two-space JSON, mode 0600), owned by `user`, directories too. */
const seed = (home: string, place: Place, content: Testing.ConfigJson, user: HostUser) => {
  const file = path.join(home, relative[place])
  const dir = path.dirname(file)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  fs.chownSync(dir, user.uid, user.gid)
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 })
  fs.chownSync(file, user.uid, user.gid)
}

const readJson = (file: string): Testing.ConfigJson | undefined => {
  if (!fs.existsSync(file)) return undefined
  const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : undefined
}

const harness = (agent: HostUser) =>
  Layer.scoped(
    Harness,
    Effect.gen(function*() {
      const { token, urls } = yield* sidecars
      const guest = (spec: GuestSpec) =>
        Effect.gen(function*() {
          const standin = yield* Effect.orDie(makeGuest({
            user: agent,
            execLandsAs: spec.execLandsAs,
            name: "bottle-contract",
            notRunningFor: typeof spec.machine === "object" ? spec.machine.booting : undefined
          }))
          for (const place of ["home", "legacy", "configDir"] as const) {
            const content = spec.files?.[place]
            if (content !== undefined) seed(standin.home, place, content, agent)
          }
          const machine: MachineState = {
            running: spec.machine !== "stopped",
            execAs: spec.execLandsAs === "root" ? "root" : agent.name,
            notRunningFor: typeof spec.machine === "object" ? spec.machine.booting : undefined,
            // Without claude: PATH holds the system directories only, and the agent's home has no CLI.
            ...(spec.claude === "missing"
              ? { env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } }
              : {})
          }
          yield* standin.setMachine(machine)
          const contract: ContractGuest = {
            target: spec.machine === "missing" ? "bottle-absent" : standin.name,
            layer: standin.layer.pipe(Layer.provide(NodeContext.layer)),
            plan: (supervise, options = {}) =>
              Effect.orDie(SupervisePlan.decode({
                supervisePlan: { agentUrl: supervise.agentUrl, token: supervise.token },
                agent: {
                  user: supervise.user ?? agent.name,
                  home: supervise.user === undefined ? standin.home : `/home/${supervise.user}`,
                  ...(options.configDir === true ? { configDir: path.join(standin.home, ".cfg") } : {})
                }
              })),
            read: (place) => Effect.sync(() => readJson(path.join(standin.home, relative[place]))),
            ownedByAgent: (place) =>
              Effect.sync(() => {
                const file = path.join(standin.home, relative[place])
                return fs.existsSync(file) ? fs.statSync(file).uid === agent.uid : undefined
              })
          }
          return contract
        })
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
