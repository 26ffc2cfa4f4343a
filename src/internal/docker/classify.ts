/**
 * How a finished `docker exec` is read: exit code and output together. Exit 1
 * and 126 are shared by the command and by docker, so a reason other than the
 * command's own failure is only taken from docker's exact sentences on the
 * first line of its only output (engine 20.10 with client 28: the daemon's
 * refusals on stderr, runc's on stdout; see the table in `Docker.ts`), with
 * the container, user or command named in them compared with the exec's own.
 * A command that exits 1 printing `Error: something`, or 126 with other
 * words, stays `NonZeroExit`.
 *
 * @internal
 */
import type { ExecFailureReason } from "../../SandboxError.js"
import { guestExit } from "../classify.js"

/** A finished exec's verdict; a failure carries whether it is worth a retry, read once here. @internal */
export type DockerVerdict =
  | { readonly _tag: "Success" }
  | {
    readonly _tag: "Failure"
    readonly reason: ExecFailureReason
    readonly signal?: string | undefined
    readonly transient: boolean
  }

/** What of the exec the classification compares docker's words with. @internal */
export interface ExecCall {
  readonly target: string
  readonly user: string | undefined
  readonly argv: ReadonlyArray<string>
}

const DAEMON = "Error response from daemon: "

/** The first non-empty line of `text`, without trailing blanks. @internal */
export const firstLine = (text: string): string =>
  text.split("\n").map((line) => line.trimEnd()).find((line) => line.length > 0) ?? ""

const ID = /^[0-9a-f]{64}$/

/**
 * The daemon names a stopped or restarting container by its full id, whatever
 * the exec named it; a target that is itself a full id must be that id.
 */
const idFits = (id: string, target: string): boolean => !ID.test(target) || id === target

const NOT_RUNNING = /^Error response from daemon: Container ([0-9a-f]{64}) is not running$/
const RESTARTING = /^Error response from daemon: Container (\S+) is restarting, wait until the container is running$/
/** The client could not reach the engine: its own words, before any daemon answered. */
const UNREACHABLE = [
  /^Cannot connect to the Docker daemon at \S+\. Is the docker daemon running\?$/,
  /^permission denied while trying to connect to the Docker daemon socket at \S+: /,
  /^error during connect: /
]
const NO_USER = /^(?:OCI runtime exec failed: .*)?unable to find user ([^\s:]+): no matching entries in passwd file$/
const RUNC_REFUSED = /^OCI runtime exec failed: exec failed: .*: unknown$/
const EXEC_NAMED = /^OCI runtime exec failed: .*?exec: "(.*)": /
const NO_COMMAND =
  /^OCI runtime exec failed: .*exec: ".*": (?:executable file not found in \$PATH|stat .*: no such file or directory): unknown$/

const isRestarting = (line: string, target: string): boolean => {
  const match = RESTARTING.exec(line)
  if (match === null) return false
  const named = match[1] ?? ""
  return named === target || (ID.test(named) && idFits(named, target))
}

/** Reads exit 1 when the daemon or the client refused the exec; `undefined` for the command's own exit 1. */
const daemonRefusal = (call: ExecCall, line: string): ExecFailureReason | undefined => {
  if (line === `${DAEMON}No such container: ${call.target}`) return "MachineNotFound"
  const stopped = NOT_RUNNING.exec(line)
  if (stopped !== null && idFits(stopped[1] ?? "", call.target)) return "MachineNotRunning"
  if (line === `${DAEMON}Container ${call.target} is paused, unpause the container before exec`) {
    return "MachineNotRunning"
  }
  if (isRestarting(line, call.target)) return "MachineNotRunning"
  if (UNREACHABLE.some((pattern) => pattern.test(line))) return "SmolvmError"
  return undefined
}

/** Reads exit 126 when runc could not start the command; `undefined` for the command's own 126. */
const startRefusal = (call: ExecCall, line: string): ExecFailureReason | undefined => {
  const user = NO_USER.exec(line)
  // Without `-u` the image's default user is the one docker looked up.
  if (user !== null) return call.user === undefined || user[1] === call.user ? "UserMismatch" : undefined
  // runc names the program it could not start: only this exec's argv[0] is ours.
  const named = EXEC_NAMED.exec(line)
  if (named !== null && named[1] !== call.argv[0]) return undefined
  if (NO_COMMAND.test(line)) return "GuestCommandNotFound"
  // Not executable, a missing workdir, and runc's other refusals: docker could not run the command.
  if (RUNC_REFUSED.test(line)) return "SmolvmError"
  return undefined
}

/**
 * What docker printed when it refused the exec: its words are the only output,
 * on one stream, since they come before any command runs. Client 28 prints
 * the daemon's refusals (exit 1) on stderr, and runc's (exit 126) on stdout
 * (read from either, as other versions may move them).
 */
const onlyOutput = (stdout: string, stderr: string): string | undefined =>
  stdout.trim() === "" ? stderr : stderr.trim() === "" ? stdout : undefined

/**
 * Reads a finished exec. docker's own refusals are read from the only stream
 * that has output: they come before the command runs. A failure is transient
 * by `isTransientDockerError`, the rule an `ExecFailed` built without the
 * verdict applies to its own `stderr`.
 *
 * @internal
 */
export const classify = (call: ExecCall, exitCode: number, stdout: string, stderr: string): DockerVerdict => {
  if (exitCode === 0) return { _tag: "Success" }
  const said = onlyOutput(stdout, stderr)
  const refusal = said === undefined
    ? undefined
    : exitCode === 1
    ? (said === stderr ? daemonRefusal(call, firstLine(said)) : undefined)
    : exitCode === 126
    ? startRefusal(call, firstLine(said))
    : exitCode === 125 && /^Usage:\s+docker exec /m.test(said) && /'docker exec --help'/.test(said)
    ? "SmolvmUsage"
    : undefined
  const { reason, signal } = refusal !== undefined
    ? { reason: refusal, signal: undefined }
    : guestExit(exitCode, stderr)
  return { _tag: "Failure", reason, signal, transient: isTransientDockerError(reason, stderr) }
}

/**
 * Whether waiting may help: a container the engine is restarting (the
 * daemon's exact sentence only), or a client the host could not start for
 * lack of processes, descriptors or memory. A stopped or paused container
 * stays so until someone acts, and an unreachable engine is an operator's
 * problem. `classify` reads it once; an `ExecFailed` built without
 * `transient` reads it from its own `stderr`.
 *
 * @internal
 */
export const isTransientDockerError = (reason: ExecFailureReason, stderr: string): boolean =>
  reason === "SpawnFailed" ||
  (reason === "MachineNotRunning" && RESTARTING.test(firstLine(stderr)))
