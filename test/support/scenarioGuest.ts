/**
 * The guest the end-to-end scenario (`test/e2e/scenario.ts`) runs against,
 * whatever the backend: a target name, the layer that reaches it, the agent's
 * plan, and how the test reads and writes the agent's config file and sees its
 * owner. Three kinds:
 *
 * - {@link hostStandin}: the smolvm stand-in running commands on this host
 *   (the config file is a host file);
 * - {@link containerStandin}: the smolvm stand-in in container mode (every
 *   exec a `docker exec` into a real container);
 * - {@link dockerContainer}: the library's own `Docker.layer` on a real
 *   container.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import type * as Sandbox from "../../src/Sandbox.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import {
  DOCKER_HOST,
  dockerExecSync,
  guestStat,
  removeContainer,
  startContainer,
  type TestImage,
  writeGuestFile
} from "./docker.js"
import { dockerLive } from "./dockerLayer.js"
import { type ContainerStandinGuest, type HostUser, makeContainerGuest, type StandinGuest } from "./standin.js"

/** Owner, permission bits and size of the agent's config file. */
export interface ConfigStat {
  readonly uid: number
  readonly mode: number
  readonly size: number
}

/** What the scenario needs of a guest. */
export interface ScenarioGuest {
  /** The target the library is given: a machine or container name. */
  readonly name: string
  /** The agent user's uid, as the guest knows it (the config file's owner). */
  readonly agentUid: number
  /** The backend's live layer for this guest. */
  readonly layer: Layer.Layer<Sandbox.Sandbox, never, CommandExecutor.CommandExecutor>
  /** Decodes a bottle plan for this guest's agent with the given supervise part. */
  readonly plan: (
    supervise: { readonly agentUrl: string; readonly token?: string | undefined }
  ) => Effect.Effect<SupervisePlan.SmolmachinesBottlePlan, ParseResult.ParseError>
  /** The agent's `.claude.json`, as the guest names it. */
  readonly configFile: string
  /** Its text, or undefined when it does not exist. */
  readonly readConfig: Effect.Effect<string | undefined>
  /** Overwrites it in place (owner and mode kept). */
  readonly writeConfig: (text: string) => Effect.Effect<void>
  /** Its owner, mode and size, or undefined when it does not exist. */
  readonly configStat: Effect.Effect<ConfigStat | undefined>
  /** Every client command line so far, when the client records them (the stand-in's argv log). */
  readonly commandLines: Effect.Effect<ReadonlyArray<ReadonlyArray<string>>> | undefined
  /**
   * Set when the guest's processes run in a container (another pid
   * namespace), so the host's own command lines can be told from the guest's
   * and are sampled during provisioning. The value is a substring of the
   * docker client's command line for this guest (the container's name).
   */
  readonly container: string | undefined
}

const hostConfigStat = (file: string): ConfigStat | undefined => {
  try {
    const stat = fs.statSync(file)
    return { uid: stat.uid, mode: stat.mode & 0o7777, size: stat.size }
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined
    throw error
  }
}

/** A host-folder stand-in guest: the config is a file on this host. */
export const hostStandin = (guest: StandinGuest, agentUid: number): ScenarioGuest => ({
  name: guest.name,
  agentUid,
  layer: guest.layer,
  plan: (supervise) => guest.plan(supervise),
  configFile: guest.configFile,
  readConfig: Effect.sync(
    () => (fs.existsSync(guest.configFile) ? fs.readFileSync(guest.configFile, "utf8") : undefined)
  ),
  writeConfig: (text) => Effect.sync(() => fs.writeFileSync(guest.configFile, text)),
  configStat: Effect.sync(() => hostConfigStat(guest.configFile)),
  commandLines: guest.commandLines,
  container: undefined
})

/** The config file of a container, read, written and stat'ed through `docker exec`. */
const containerConfig = (container: string, file: string, writer: string) => ({
  configFile: file,
  readConfig: Effect.sync(() => {
    const result = dockerExecSync(container, ["cat", "--", file], { user: "0", timeoutMs: 60_000 })
    if (result.status === 0) return result.stdout
    if (result.status === 1 && /No such file or directory/.test(result.stderr)) return undefined
    throw new Error(
      `docker exec ${container} cat ${file}: exit status ${result.status}; stderr: ${result.stderr.trim()}`
    )
  }),
  // As the agent: truncating the existing file keeps its owner and mode.
  writeConfig: (text: string) => Effect.sync(() => writeGuestFile(container, file, text, { user: writer })),
  configStat: Effect.sync(() => guestStat(container, file))
})

/** The test images' agent: `node`, uid and gid 1001, home `/home/node`. */
export const IMAGE_AGENT: HostUser = { name: "node", uid: 1001, gid: 1001 }

/** The agent's home in the test images. */
export const IMAGE_AGENT_HOME = "/home/node"

/** A container of a test image, removed when the scope closes. */
export const scopedContainer = (image: TestImage): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => startContainer({ image })),
    (name) => Effect.sync(() => removeContainer(name))
  )

/**
 * A container-mode stand-in guest on a fresh container of `image`: the root
 * image is a bare VM (exec lands as root, `-u 0`), the node image an image
 * ending in `USER node` (exec lands as the image's user).
 */
export const containerStandinGuest = (
  image: TestImage
): Effect.Effect<ContainerStandinGuest, Error, Scope.Scope> =>
  Effect.flatMap(scopedContainer(image), (container) =>
    makeContainerGuest({
      container,
      execLandsAs: image === "root" ? "root" : "image",
      agent: IMAGE_AGENT,
      agentHome: IMAGE_AGENT_HOME,
      dockerHost: DOCKER_HOST
    }))

/** A container-mode stand-in guest as the scenario sees it. */
export const containerStandin = (guest: ContainerStandinGuest): ScenarioGuest => ({
  name: guest.name,
  agentUid: guest.user.uid,
  layer: guest.layer,
  plan: (supervise) => guest.plan(supervise),
  ...containerConfig(guest.container, guest.configFile, guest.user.name),
  commandLines: guest.commandLines,
  container: guest.container
})

/** The plan for the test images' agent. */
export const imagePlan = (
  supervise: { readonly agentUrl: string; readonly token?: string | undefined }
): Effect.Effect<SupervisePlan.SmolmachinesBottlePlan, ParseResult.ParseError> =>
  SupervisePlan.decode({ supervisePlan: supervise, agent: { user: IMAGE_AGENT.name, home: IMAGE_AGENT_HOME } })

/**
 * A fresh container of `image` provisioned through the library's own
 * `Docker.layer` (a layer of its own, talking to the test engine).
 */
export const dockerContainer = (image: TestImage): Effect.Effect<ScenarioGuest, never, Scope.Scope> =>
  Effect.map(scopedContainer(image), (container): ScenarioGuest => ({
    name: container,
    agentUid: IMAGE_AGENT.uid,
    layer: dockerLive(DOCKER_HOST),
    plan: imagePlan,
    ...containerConfig(container, `${IMAGE_AGENT_HOME}/.claude.json`, IMAGE_AGENT.name),
    commandLines: undefined,
    container
  }))
