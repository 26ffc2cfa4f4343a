/**
 * Throwaway stand-in guests for end-to-end tests and the demo.
 *
 * A guest is a temp directory holding a machine file for
 * `test/fixtures/smolvm-standin.mjs` (which stands in for a smolvm VM and runs
 * commands on this host), the agent's home directory (owned by the agent user)
 * and a per-guest `smolvm` wrapper script that points the stand-in at its own
 * state directory. Because the state travels in the wrapper, not in
 * `process.env`, guests are independent and can be used concurrently.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as Sandbox from "../../src/Sandbox.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"

/** Absolute path of the stand-in executable. */
export const STANDIN: string = fileURLToPath(new URL("../fixtures/smolvm-standin.mjs", import.meta.url))

/** Something in the host setup a stand-in guest needs is missing. */
export class StandinError extends Data.TaggedError("StandinError")<{ readonly message: string }> {}

/** A POSIX user on this host. */
export interface HostUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

/** The user running this process. */
export const currentUser = (): HostUser => {
  const info = os.userInfo()
  return { name: info.username, uid: info.uid, gid: info.gid }
}

/** Looks a user up with `id`; undefined when there is no such user. */
export const lookupUser = (name: string): HostUser | undefined => {
  try {
    const uid = Number(
      execFileSync("id", ["-u", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    )
    const gid = Number(
      execFileSync("id", ["-g", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    )
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined
  } catch {
    return undefined
  }
}

/** Whether this process runs as root. */
export const isRoot = (): boolean => process.getuid?.() === 0

/**
 * What the machine file says. `execAs: null` lands exec as whoever runs the
 * stand-in.
 */
export interface MachineState {
  readonly running: boolean
  readonly execAs: string | null
  readonly notRunningFor?: number | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  /** File the stand-in appends each exec's command line to (a JSON array a line). */
  readonly argvLog?: string | undefined
  /** Container mode: the machine is this real container, every exec a `docker exec` into it. */
  readonly container?: string | undefined
}

/**
 * How to build a guest.
 *
 * - `user`: the agent user (owns the home directory; the plan's `agent.user`).
 * - `execLandsAs`: `"root"` emulates a bare VM (exec runs as root, the library
 *   switches user); `"agent"` emulates an image ending in `USER <agent>`.
 *   Landing as root, or as an agent other than the current user, needs root.
 * - `name`: machine name, default `bottle-e2e`.
 */
export interface GuestOptions {
  readonly user: HostUser
  readonly execLandsAs: "root" | "agent"
  readonly name?: string | undefined
  readonly notRunningFor?: number | undefined
}

/** A stand-in guest, removed when its scope closes. */
export interface StandinGuest {
  readonly name: string
  readonly user: HostUser
  /** The agent's home directory (a temp dir owned by the agent user). */
  readonly home: string
  /** `<home>/.claude.json`. */
  readonly configFile: string
  /** The per-guest `smolvm` executable to give `Smolvm.layerWith`. */
  readonly binary: string
  readonly machineFile: string
  /** Every exec's smolvm command line so far, as the host's `ps` would show it. */
  readonly commandLines: Effect.Effect<ReadonlyArray<ReadonlyArray<string>>>
  /** `Smolvm.layerWith({ binary })`: provide a `CommandExecutor` (e.g. `NodeContext.layer`). */
  readonly layer: Layer.Layer<Smolvm.Smolvm | Sandbox.Sandbox, never, CommandExecutor.CommandExecutor>
  /** Decodes a bottle plan for this guest's agent with the given supervise part. */
  readonly plan: (
    supervise: { readonly agentUrl: string; readonly token?: string | undefined } | undefined
  ) => Effect.Effect<SupervisePlan.SmolmachinesBottlePlan, ParseResult.ParseError>
  /** Rewrites the machine file (keep `argvLog` to keep recording command lines). */
  readonly setMachine: (state: MachineState) => Effect.Effect<void>
}

const parseArgvLine = (line: string): ReadonlyArray<string> => {
  const parsed: unknown = JSON.parse(line)
  return Array.isArray(parsed) ? parsed.map(String) : []
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

const fsTry = <A>(what: string, f: () => A): Effect.Effect<A, StandinError> =>
  Effect.try({
    try: f,
    catch: (error) =>
      new StandinError({ message: `${what}: ${error instanceof Error ? error.message : String(error)}` })
  })

/**
 * Creates a stand-in guest in a temp directory and removes it when the scope
 * closes.
 */
export const makeGuest = (
  options: GuestOptions
): Effect.Effect<StandinGuest, StandinError, Scope.Scope> =>
  Effect.gen(function*() {
    const me = currentUser()
    const needsRoot = options.execLandsAs === "root" || options.user.uid !== me.uid
    if (needsRoot && me.uid !== 0) {
      return yield* new StandinError({
        message: `a guest whose exec lands as ${
          options.execLandsAs === "root" ? "root" : options.user.name
        } needs this process to run as root (it runs as ${me.name})`
      })
    }
    const machine = yield* machineDir(options.name ?? "bottle-e2e", {})
    const home = path.join(machine.root, "home")
    yield* fsTry("preparing the guest", () => {
      // The agent user must reach its home through this directory.
      fs.chmodSync(machine.root, 0o755)
      fs.mkdirSync(home, { mode: 0o700 })
      if (options.user.uid !== me.uid) fs.chownSync(home, options.user.uid, options.user.gid)
      machine.write({
        running: true,
        execAs: options.execLandsAs === "root" ? "root" : options.user.name,
        notRunningFor: options.notRunningFor,
        argvLog: machine.argvLog
      })
    })
    return machine.guest(options.user, home)
  })

/** What a stand-in machine needs on this host: its state directory, machine file and `smolvm` wrapper. */
const machineDir = (name: string, wrapperEnv: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const root = yield* Effect.acquireRelease(
      fsTry("creating the guest directory", () => fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-guest-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const stateDir = path.join(root, "state")
    const binary = path.join(root, "smolvm")
    const machineFile = path.join(stateDir, `${name}.json`)
    const argvLog = path.join(root, "argv.log")
    const write = (state: MachineState) => {
      const tmp = `${machineFile}.tmp`
      fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`)
      fs.renameSync(tmp, machineFile)
    }
    const env = { SMOLVM_STANDIN_STATE: stateDir, ...wrapperEnv }
    yield* fsTry("preparing the stand-in", () => {
      fs.mkdirSync(stateDir, { mode: 0o700 })
      fs.writeFileSync(
        binary,
        [
          "#!/bin/sh",
          "# smolvm for one stand-in guest (see smolvm-standin.mjs).",
          ...Object.entries(env).flatMap(([key, value]) => [`${key}=${shellQuote(value)}`, `export ${key}`]),
          `exec ${shellQuote(process.execPath)} ${shellQuote(STANDIN)} "$@"`,
          ""
        ].join("\n"),
        { mode: 0o755 }
      )
    })
    const guest = (user: HostUser, home: string): StandinGuest => ({
      name,
      user,
      home,
      configFile: path.posix.join(home, ".claude.json"),
      binary,
      machineFile,
      commandLines: Effect.sync(() =>
        fs.existsSync(argvLog)
          ? fs.readFileSync(argvLog, "utf8").split("\n").filter((line) => line !== "").map(parseArgvLine)
          : []
      ),
      layer: Smolvm.layerWith({ binary }),
      plan: (supervise) =>
        SupervisePlan.decode({
          ...(supervise === undefined ? {} : { supervisePlan: supervise }),
          agent: { user: user.name, home }
        }),
      setMachine: (state) => Effect.sync(() => write(state))
    })
    return { root, argvLog, write, guest }
  })

/**
 * How to build a stand-in guest in container mode.
 *
 * - `container`: a running container (the caller starts and removes it).
 * - `execLandsAs`: `"root"` emulates a bare VM (`docker exec -u 0`, the library
 *   switches user); `"image"` an image ending in `USER <agent>` (`docker exec`
 *   without `-u`: as the image's user).
 * - `agent`: the agent user as the container knows it, and its home there.
 * - `dockerHost`: the engine, given to the stand-in's docker client through its
 *   wrapper script (not `process.env`).
 */
export interface ContainerGuestOptions {
  readonly container: string
  readonly execLandsAs: "root" | "image"
  readonly agent: HostUser
  readonly agentHome: string
  readonly dockerHost: string
  readonly name?: string | undefined
}

/** A stand-in guest whose machine is a real container; `home` and `configFile` are paths in the container. */
export interface ContainerStandinGuest extends StandinGuest {
  readonly container: string
}

/**
 * Creates a stand-in guest in container mode: a machine file that names the
 * container, and a `smolvm` wrapper that sends the stand-in's `docker exec` to
 * `dockerHost`. Removed (not the container) when the scope closes. Needs no
 * root on this host: the container's users do the work.
 */
export const makeContainerGuest = (
  options: ContainerGuestOptions
): Effect.Effect<ContainerStandinGuest, StandinError, Scope.Scope> =>
  Effect.gen(function*() {
    const machine = yield* machineDir(options.name ?? "bottle-e2e", { DOCKER_HOST: options.dockerHost })
    yield* fsTry("preparing the guest", () =>
      machine.write({
        running: true,
        execAs: options.execLandsAs === "root" ? "root" : null,
        argvLog: machine.argvLog,
        container: options.container
      }))
    return { ...machine.guest(options.agent, options.agentHome), container: options.container }
  })
