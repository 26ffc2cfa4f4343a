/**
 * The contract (./suite.ts) against real Docker containers of the private
 * test engine, with the real pinned `claude` CLI, through the library's own
 * `Docker.layer`: `bottle-supervise-test:root` (exec lands as root and the
 * library switches to `node`) and `:node` (`USER node`). Skipped without the
 * engine, failing on CI.
 */
import { NodeContext } from "@effect/platform-node"
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomBytes } from "node:crypto"
import * as Docker from "../../src/Docker.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import type * as Testing from "../../src/Testing.js"
import {
  describeDocker,
  dockerExecSync,
  guestStat,
  readGuestFile,
  removeContainer,
  startContainer,
  stopContainer,
  writeGuestFile
} from "../support/docker.js"
import { sidecars } from "./sidecars.js"
import { type ContractGuest, contractSuite, type GuestSpec, Harness, type Place } from "./suite.js"

const HOME = "/home/node"
const AGENT_UID = 1001
const PATHS: Readonly<Record<Place, string>> = {
  home: `${HOME}/.claude.json`,
  legacy: `${HOME}/.claude/.config.json`,
  configDir: `${HOME}/.cfg/.claude.json`
}

/** `Docker.layer` whose client, and only it, talks to the test engine (no `process.env` change). */
const dockerLayer = (dockerHost: string) =>
  Docker.layer.pipe(
    Layer.provide(Layer.effect(
      CommandExecutor.CommandExecutor,
      Effect.map(CommandExecutor.CommandExecutor, (base) =>
        CommandExecutor.makeExecutor((command) => base.start(Command.env(command, { DOCKER_HOST: dockerHost }))))
    )),
    Layer.provide(NodeContext.layer)
  )

const asNode = (container: string, argv: ReadonlyArray<string>) => {
  const result = dockerExecSync(container, argv, { user: "node" })
  if (result.status !== 0) throw new Error(`${argv.join(" ")} in ${container}: ${result.stderr}`)
}

const harness = (dockerHost: string) =>
  Layer.scoped(
    Harness,
    Effect.gen(function*() {
      const { token, urls } = yield* sidecars
      const layer = dockerLayer(dockerHost)
      const guest = (spec: GuestSpec) =>
        Effect.gen(function*() {
          const container = yield* Effect.acquireRelease(
            Effect.sync(() => startContainer({ image: spec.execLandsAs === "root" ? "root" : "node" })),
            (name) => Effect.sync(() => removeContainer(name))
          )
          yield* Effect.sync(() => {
            for (const place of ["home", "legacy", "configDir"] as const) {
              const content = spec.files?.[place]
              if (content === undefined) continue
              const file = PATHS[place]
              asNode(container, ["mkdir", "-p", "--", file.slice(0, file.lastIndexOf("/"))])
              writeGuestFile(container, file, `${JSON.stringify(content, null, 2)}\n`, { user: "node", mode: 0o600 })
            }
            if (spec.claude === "missing") {
              const rm = dockerExecSync(container, ["rm", "-f", "/usr/local/bin/claude"], { user: "0" })
              if (rm.status !== 0) throw new Error(`removing claude: ${rm.stderr}`)
            }
            if (spec.machine === "stopped") stopContainer(container)
          })
          const contract: ContractGuest = {
            target: spec.machine === "missing" ? `bs-absent-${randomBytes(4).toString("hex")}` : container,
            layer,
            plan: (supervise, options = {}) =>
              Effect.orDie(SupervisePlan.decode({
                supervisePlan: { agentUrl: supervise.agentUrl, token: supervise.token },
                agent: {
                  user: supervise.user ?? "node",
                  ...(options.configDir === true ? { configDir: `${HOME}/.cfg` } : {})
                }
              })),
            read: (place) =>
              Effect.sync((): Testing.ConfigJson | undefined => {
                if (guestStat(container, PATHS[place]) === undefined) return undefined
                const parsed: unknown = JSON.parse(readGuestFile(container, PATHS[place]))
                return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
                  ? { ...parsed }
                  : undefined
              }),
            ownedByAgent: (place) =>
              Effect.sync(() => {
                const stat = guestStat(container, PATHS[place])
                return stat === undefined ? undefined : stat.uid === AGENT_UID
              })
          }
          return contract
        })
      return { name: "docker", backend: "docker", token, urls, propertyRuns: 3, guest }
    })
  )

describeDocker("contract: real Docker containers with the real claude CLI", (host) => {
  contractSuite("contract: Docker.layer", harness(host), {
    cannotBoot: "docker has no boot race: `docker start` returns once the container runs"
  })
})
