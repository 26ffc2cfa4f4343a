/**
 * Real Docker containers for tests: finds the private engine that
 * `.ci/docker-engine.sh start` runs, makes sure the test images exist
 * (`test/docker/build-images.sh`), and wraps the `docker` client for test
 * setup and assertions.
 *
 * - The engine: `DOCKER_HOST` when set, else the fixed socket
 *   {@link DOCKER_SOCKET}.
 * - The images: {@link TEST_IMAGES}`.root` (exec lands as root, like a bare VM)
 *   and {@link TEST_IMAGES}`.node` (`USER node`, exec lands as the agent), and
 *   the same two with node and the other agents' CLIs (`agents-root`,
 *   `agents-node`).
 * - {@link describeDocker} registers a block only when both are there;
 *   otherwise it is skipped with the reason, except on CI (`CI=true`), where a
 *   missing prerequisite is a failure (as in `test/e2e/prerequisites.ts`).
 *
 * Every `docker` child is bounded by a timeout (killed with SIGKILL), and a
 * failure throws with the command, exit status, signal and stderr.
 */
import { describe, it } from "@effect/vitest"
import { spawnSync, type SpawnSyncReturns } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** The socket of the engine that `.ci/docker-engine.sh start` runs. */
export const DOCKER_SOCKET = "/run/bottle-supervise-docker/docker.sock"

/** The test images that `test/docker/build-images.sh` builds. */
export const TEST_IMAGES = {
  /** exec lands as root (no USER); `runuser`/`su` switch to `node`. */
  root: "bottle-supervise-test:root",
  /** `USER node`, `HOME=/home/node`: exec lands as the agent. */
  node: "bottle-supervise-test:node",
  /** `root` plus node and the pinned codex, gemini and copilot CLIs. */
  "agents-root": "bottle-supervise-test:agents-root",
  /** `node` plus node and the pinned codex, gemini and copilot CLIs. */
  "agents-node": "bottle-supervise-test:agents-node"
} as const

/** Which test image: exec landing as root, or as the agent `node`. */
export type TestImage = keyof typeof TEST_IMAGES

/** The label every test container carries (`.ci/docker-engine.sh stop` removes them). */
export const TEST_LABEL = "bottle-supervise-test=1"

/** The script that builds the test images. */
export const BUILD_IMAGES_SCRIPT: string = fileURLToPath(new URL("../docker/build-images.sh", import.meta.url))

/** The Docker client this module runs (the one on `PATH`). */
export const DOCKER_BIN = "docker"

const envDockerHost = process.env["DOCKER_HOST"]

/** The engine's address: `DOCKER_HOST` when set, else the fixed socket. */
export const DOCKER_HOST: string = envDockerHost !== undefined && envDockerHost !== ""
  ? envDockerHost
  : `unix://${DOCKER_SOCKET}`

/**
 * What a Docker client needs to reach the test engine: merge it into the
 * environment of any `docker` child (`{ ...process.env, ...DOCKER_ENV }`).
 */
export const DOCKER_ENV: { readonly DOCKER_HOST: string } = { DOCKER_HOST }

const clientEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ...DOCKER_ENV })

/** What a finished `docker` child gave. */
export interface DockerResult {
  readonly status: number
  readonly stdout: string
  readonly stderr: string
}

/** Options of one `docker` invocation. */
export interface DockerRunOptions {
  /** Bytes for the client's stdin (pass `-i` to `exec` to forward them). */
  readonly input?: string
  /** Kill the client (SIGKILL) after this long; 30 s by default. */
  readonly timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 30_000
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024

const describeCommand = (command: string, args: ReadonlyArray<string>): string =>
  [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")

const trimmed = (text: string): string => {
  const t = text.trim()
  return t.length > 2000 ? `${t.slice(0, 2000)}…` : t
}

/** Runs a command without a shell, bounded; throws when it cannot start, times out or dies of a signal. */
const runBounded = (
  command: string,
  args: ReadonlyArray<string>,
  options: DockerRunOptions & { readonly env?: NodeJS.ProcessEnv } = {}
): DockerResult => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    encoding: "utf8",
    env: options.env ?? clientEnv(),
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: MAX_OUTPUT_BYTES,
    ...(options.input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input: options.input })
  })
  const what = describeCommand(command, args)
  const stderr = result.stderr ?? ""
  if (result.error !== undefined) {
    const code = "code" in result.error ? String(result.error.code) : result.error.name
    const timedOut = code === "ETIMEDOUT"
    throw new Error(
      `${what}: ${timedOut ? `timed out after ${timeoutMs} ms` : `failed (${code}: ${result.error.message})`}` +
        ` (status ${String(result.status)}, signal ${String(result.signal)})` +
        (stderr.trim() === "" ? "" : `; stderr: ${trimmed(stderr)}`)
    )
  }
  if (result.status === null) {
    throw new Error(`${what}: killed by ${String(result.signal)}; stderr: ${trimmed(stderr)}`)
  }
  return { status: result.status, stdout: result.stdout ?? "", stderr }
}

/**
 * Runs `docker ARGS` against the test engine and returns its status and
 * output (a non-zero status is returned, not thrown).
 */
export const dockerSync = (args: ReadonlyArray<string>, options: DockerRunOptions = {}): DockerResult =>
  runBounded(DOCKER_BIN, args, options)

/** `dockerSync`, throwing unless the status is 0. */
const dockerOk = (args: ReadonlyArray<string>, options: DockerRunOptions = {}): DockerResult => {
  const result = dockerSync(args, options)
  if (result.status !== 0) {
    throw new Error(
      `${describeCommand(DOCKER_BIN, args)} exited with status ${result.status}` +
        (result.stderr.trim() === "" ? "" : `; stderr: ${trimmed(result.stderr)}`)
    )
  }
  return result
}

// ---------------------------------------------------------------------------------------------------------------
// Prerequisites.

/** Whether the test engine and the test images are there. */
export type DockerPrerequisites =
  | { readonly ok: true; readonly host: string }
  | { readonly ok: false; readonly reason: string }

const BUILD_TIMEOUT_MS = 240_000

const missingImages = (): ReadonlyArray<string> =>
  Object.values(TEST_IMAGES).filter((image) =>
    dockerSync(["image", "inspect", "--format", "{{.Id}}", image], { timeoutMs: 10_000 }).status !== 0
  )

const checkPrerequisites = (): DockerPrerequisites => {
  const fromEnv = envDockerHost !== undefined && envDockerHost !== ""
  if (!fromEnv && !existsSync(DOCKER_SOCKET)) {
    return {
      ok: false,
      reason:
        `no Docker engine: DOCKER_HOST is unset and ${DOCKER_SOCKET} does not exist (start one as root: bash .ci/docker-engine.sh start)`
    }
  }
  try {
    const info = dockerSync(["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 5_000 })
    if (info.status !== 0) {
      return {
        ok: false,
        reason: `the Docker engine at ${DOCKER_HOST} does not answer (docker info: status ${info.status}: ${
          trimmed(info.stderr)
        })`
      }
    }
    let missing = missingImages()
    if (missing.length === 0) return { ok: true, host: DOCKER_HOST }
    const build = runBounded("bash", [BUILD_IMAGES_SCRIPT], { timeoutMs: BUILD_TIMEOUT_MS })
    if (build.status !== 0) {
      return {
        ok: false,
        reason: `test images missing (${
          missing.join(", ")
        }) and test/docker/build-images.sh failed with status ${build.status}: ${trimmed(build.stderr)}`
      }
    }
    missing = missingImages()
    if (missing.length > 0) {
      return { ok: false, reason: `test/docker/build-images.sh succeeded but ${missing.join(", ")} still missing` }
    }
    return { ok: true, host: DOCKER_HOST }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) }
  }
}

let prerequisites: DockerPrerequisites | undefined

/**
 * Finds the test engine (`DOCKER_HOST`, else {@link DOCKER_SOCKET}), checks
 * that it answers within 5 s and that every test image exists; builds them
 * once (synchronously, bounded) when the engine answers but they are missing.
 * Checked once per test file.
 */
export const dockerPrerequisites = (): DockerPrerequisites => {
  prerequisites ??= checkPrerequisites()
  return prerequisites
}

/** Whether missing prerequisites must fail rather than skip. */
const onCI: boolean = process.env["CI"] === "true"

let skipReported = false

/**
 * Registers `body` as the block `title` when the Docker prerequisites are
 * there; otherwise a skipped block whose name says why (the reason printed
 * once), or, on CI, a failing test that says what is missing.
 */
export const describeDocker = (title: string, body: (host: string) => void): void => {
  const found = dockerPrerequisites()
  if (found.ok) {
    describe(title, () => body(found.host))
    return
  }
  if (onCI) {
    describe(title, () => {
      it(`prerequisites (CI=true, so not skipped): ${found.reason}`, () => {
        throw new Error(`missing prerequisite on CI: ${found.reason}`)
      })
    })
    return
  }
  if (!skipReported) {
    skipReported = true
    console.warn(`Docker tests skipped: ${found.reason}`)
  }
  describe.skip(`${title} (skipped: ${found.reason})`, () => {
    it("needs a Docker engine and the test images", () => {})
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Containers.

/** How to start a test container. */
export interface StartContainerOptions {
  /** `root`: exec lands as root; `node`: exec lands as the agent. */
  readonly image: TestImage
  /** The container's name; `bs-<random>` by default. */
  readonly name?: string
  /** Run `docker-init` (tini) as PID 1 so killed processes are reaped; true by default. */
  readonly init?: boolean
}

/**
 * Starts a container of a test image running `sleep infinity`, on the host's
 * network (`--network host`: it reaches servers on the host's loopback),
 * labelled {@link TEST_LABEL}. Returns its name.
 */
export const startContainer = (options: StartContainerOptions): string => {
  const name = options.name ?? `bs-${randomBytes(6).toString("hex")}`
  dockerOk([
    "run",
    "--detach",
    ...(options.init === false ? [] : ["--init"]),
    "--network",
    "host",
    "--label",
    TEST_LABEL,
    "--name",
    name,
    TEST_IMAGES[options.image],
    "sleep",
    "infinity"
  ], { timeoutMs: 60_000 })
  return name
}

/** Removes a container, running or not; a container that does not exist is fine. */
export const removeContainer = (name: string): void => {
  const result = dockerSync(["rm", "--force", name], { timeoutMs: 30_000 })
  if (result.status !== 0 && !/No such container/i.test(result.stderr)) {
    throw new Error(`docker rm --force ${name} exited with status ${result.status}; stderr: ${trimmed(result.stderr)}`)
  }
}

/** Stops a container (SIGTERM, SIGKILL after 2 s); it stays, not running. */
export const stopContainer = (name: string): void => {
  dockerOk(["stop", "--time", "2", name])
}

/** Freezes every process of a container (`docker pause`). */
export const pauseContainer = (name: string): void => {
  dockerOk(["pause", name])
}

/** Thaws a paused container. */
export const unpauseContainer = (name: string): void => {
  dockerOk(["unpause", name])
}

/** Options of {@link dockerExecSync}. */
export interface ExecOptions {
  /** `-u`: a user name or uid[:gid]; the image's user by default. */
  readonly user?: string
  /** Sent to the command's stdin (`-i`); empty stdin otherwise. */
  readonly input?: string
  /** `-w`: the working directory. */
  readonly workdir?: string
  /** `-e KEY=VALUE` for each entry. Values end up on the docker client's command line: no secrets. */
  readonly env?: Readonly<Record<string, string>>
  /** Kill the docker client after this long; 30 s by default. The process in the container is NOT killed. */
  readonly timeoutMs?: number
}

/**
 * `docker exec [-i] [-u USER] NAME ARGV...`, for test setup and assertions:
 * returns the status and output, whatever the status (the daemon's own
 * refusals are status 1 with `Error response from daemon: ` on stderr).
 * Throws only when the client cannot run or times out.
 */
export const dockerExecSync = (
  name: string,
  argv: ReadonlyArray<string>,
  options: ExecOptions = {}
): DockerResult => {
  const args = [
    "exec",
    ...(options.input === undefined ? [] : ["-i"]),
    ...(options.user === undefined ? [] : ["-u", options.user]),
    ...(options.workdir === undefined ? [] : ["-w", options.workdir]),
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ["-e", `${key}=${value}`]),
    name,
    ...argv
  ]
  return dockerSync(args, {
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
  })
}

const execOk = (name: string, argv: ReadonlyArray<string>, options: ExecOptions = {}): DockerResult => {
  const result = dockerExecSync(name, argv, options)
  if (result.status !== 0) {
    throw new Error(
      `docker exec${options.user === undefined ? "" : ` -u ${options.user}`} ${name} ${
        describeCommand(argv[0] ?? "", argv.slice(1))
      }` +
        ` exited with status ${result.status}` +
        (result.stderr.trim() === "" ? "" : `; stderr: ${trimmed(result.stderr)}`)
    )
  }
  return result
}

/** The content of a file in the container, read as root (any file is readable). */
export const readGuestFile = (name: string, path: string): string =>
  execOk(name, ["cat", "--", path], { user: "0" }).stdout

/** Options of {@link writeGuestFile}. */
export interface WriteGuestFileOptions {
  /** Who writes it (and so owns a new file); root by default. */
  readonly user?: string
  /** Permission bits set afterwards (e.g. `0o600`). */
  readonly mode?: number
}

/**
 * Writes `content` to `path` in the container as `user` (through stdin: the
 * content is on no command line), creating or truncating the file.
 */
export const writeGuestFile = (
  name: string,
  path: string,
  content: string,
  options: WriteGuestFileOptions = {}
): void => {
  const user = options.user ?? "0"
  execOk(name, ["sh", "-c", "cat > \"$1\"", "sh", path], { user, input: content })
  if (options.mode !== undefined) execOk(name, ["chmod", options.mode.toString(8), "--", path], { user })
}

/** Owner and permissions of a path in the container. */
export interface GuestStat {
  readonly uid: number
  readonly gid: number
  /** Permission bits, e.g. `0o600`. */
  readonly mode: number
  readonly size: number
}

/** `stat` of a path in the container (as root, following no link), or undefined when it does not exist. */
export const guestStat = (name: string, path: string): GuestStat | undefined => {
  const result = dockerExecSync(name, ["stat", "-c", "%u %g %a %s", "--", path], { user: "0" })
  if (result.status !== 0) {
    if (/No such file or directory/.test(result.stderr)) return undefined
    throw new Error(
      `docker exec ${name} stat ${path} exited with status ${result.status}; stderr: ${trimmed(result.stderr)}`
    )
  }
  const fields = result.stdout.trim().split(" ")
  const [uid, gid, mode, size] = fields
  if (fields.length !== 4 || uid === undefined || gid === undefined || mode === undefined || size === undefined) {
    throw new Error(`docker exec ${name} stat ${path}: unexpected output ${JSON.stringify(result.stdout)}`)
  }
  return { uid: Number(uid), gid: Number(gid), mode: parseInt(mode, 8), size: Number(size) }
}
