/**
 * The two ways an exec in a sandbox can go wrong, as typed errors shared by
 * every backend: `ExecFailed` (the exec ran, or was refused, and did not
 * succeed) and `ClientNotFound` (the backend's client binary, `smolvm` or
 * `docker`, cannot be started at all).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import * as Binary from "./internal/binary.js"
import { isTransientSmolvmError } from "./internal/classify.js"
import { isTransientDockerError } from "./internal/docker/classify.js"
import * as Shown from "./internal/shown.js"

/**
 * Why an exec failed. `InvalidTarget` and `InvalidRequest` are raised before
 * any process starts; `Timeout` covers both smolvm's own `--timeout` (exit 124)
 * and the host-side deadline; `ClientSignal` means the smolvm client itself
 * died by a signal; `SpawnFailed` means the smolvm client could not be started
 * because the host was short of processes, file descriptors or memory (EAGAIN,
 * EMFILE, ENFILE, ENOMEM) and is transient; `UnexpectedOutput` is raised by
 * callers that could not read what a command printed (`provisionSupervise`
 * when the CLI and the config file disagree, `verifySupervise` for an unknown
 * `claude mcp get` answer).
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { ExecFailureReason } from "bottle-supervise/SmolvmError"
 * import { Schema } from "effect"
 *
 * Schema.is(ExecFailureReason)("MachineNotRunning") // true
 */
export const ExecFailureReason = Schema.Literal(
  "InvalidTarget",
  "InvalidRequest",
  "NonZeroExit",
  "GuestSignal",
  "RunuserRefused",
  "UserMismatch",
  "MachineNotFound",
  "MachineNotRunning",
  "GuestCommandNotFound",
  "SmolvmError",
  "SmolvmUsage",
  "Timeout",
  "ClientSignal",
  "SpawnFailed",
  "UnexpectedOutput"
)

/**
 * One of the `ExecFailureReason` literals: switch on it exhaustively.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import type { ExecFailureReason } from "bottle-supervise/SmolvmError"
 *
 * const beforeAnyProcess = (reason: ExecFailureReason) => reason === "InvalidTarget" || reason === "InvalidRequest"
 */
export type ExecFailureReason = typeof ExecFailureReason.Type

const lastLine = (text: string): string => {
  const lines = text.trim().split("\n")
  return (lines[lines.length - 1] ?? "").trim()
}

/** What the backend's client is called in a sentence: smolvm unless it says docker (0.1 errors had no backend). */
const clientOf = (self: ExecFailed): string => self.backend ?? "smolvm"

const describe = (self: ExecFailed): string => {
  const docker = self.backend === "docker"
  const on = `on ${docker ? "container" : "machine"} ${JSON.stringify(self.target)}`
  // Guest words are shown escaped, on this line: a guest cannot start a line of its own.
  const words = Shown.escape(lastLine(self.stderr) || lastLine(self.stdout))
  const tail = words.length > 0 ? `: ${words}` : ""
  const client = clientOf(self)
  switch (self.reason) {
    case "InvalidTarget":
      return `invalid ${docker ? "container" : "machine"} name ${JSON.stringify(self.target)}: ${
        self.detail ?? "rejected"
      }`
    case "InvalidRequest":
      return `invalid exec request ${on}: ${self.detail ?? "rejected"}`
    case "NonZeroExit":
      return `guest command exited ${self.exitCode} ${on}${tail}`
    case "GuestSignal":
      return `guest command ${on} ended with exit ${self.exitCode} (killed by ${self.signal ?? "a signal"})${tail}`
    case "RunuserRefused":
      return `runuser was refused ${on}: exec does not run as root there, so it cannot switch user${tail}`
    case "UserMismatch":
      return docker
        ? `the agent user does not exist ${on}${tail}`
        : `exec ${on} runs as a user that is neither root nor the agent user${tail}`
    case "MachineNotFound":
      return `${client} has no ${docker ? "container" : "machine"} named ${JSON.stringify(self.target)}${tail}`
    case "MachineNotRunning":
      return `${docker ? "container" : "machine"} ${JSON.stringify(self.target)} is not running${tail}`
    case "GuestCommandNotFound":
      // The backend's own spawn failure is about argv[0]; a shell's 127 is about
      // whatever it tried to run (the CLI behind the user switch, say).
      return self.exitCode === 127
        ? `a command the guest tried to run does not exist ${on} (exit 127)${tail}`
        : `the command ${JSON.stringify(self.argv[0] ?? "")} does not exist ${on}${tail}`
    case "SmolvmError":
      return `${client} could not run the command ${on}${tail}`
    case "SmolvmUsage":
      return `${client} rejected its command line (exit ${self.exitCode}); is this ${client} too old?${tail}`
    case "Timeout":
      return `timed out ${on}${self.detail === undefined ? "" : ` (${self.detail})`}${tail}`
    case "ClientSignal":
      return `the ${client} client was killed by ${self.signal ?? "a signal"} ${on}${tail}`
    case "SpawnFailed":
      return `the ${client} client could not be started ${on}${self.detail === undefined ? "" : ` (${self.detail})`}`
    case "UnexpectedOutput":
      return `the command ${on} printed output this library does not understand${
        self.detail === undefined ? "" : ` (${self.detail})`
      }${tail}`
  }
}

/**
 * Which sandbox client ran (or refused) an exec: `smolvm` for a microVM,
 * `docker` for a container.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import { SandboxError } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.is(SandboxError.Backend)("docker") // true
 */
export const Backend = Schema.Literal("smolvm", "docker")

/**
 * One of the `Backend` literals.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import type { SandboxError } from "bottle-supervise"
 *
 * const backend: SandboxError.Backend = "smolvm"
 */
export type Backend = typeof Backend.Type

const execFailedFields = {
  target: Schema.String,
  argv: Schema.Array(Schema.String),
  reason: ExecFailureReason,
  exitCode: Schema.optional(Schema.Number),
  signal: Schema.optional(Schema.String),
  stdout: Schema.String,
  stderr: Schema.String,
  detail: Schema.optional(Schema.String),
  /** @since 0.2.0 */
  backend: Schema.optional(Backend),
  /** Absent: read from `stderr` when the error is built (see the `transient` property). */
  transient: Schema.optional(Schema.Boolean)
}

type ExecFailedFields = typeof execFailedFields

/**
 * The reading of an error built without `transient`: the rule each backend's
 * classification applies to the client's raw output, here applied to `stderr`
 * as the error holds it.
 */
const readTransient = (
  fields: Pick<Schema.Struct.Constructor<ExecFailedFields>, "backend" | "reason" | "target" | "stderr">
): boolean => {
  if (fields.backend === "docker") return isTransientDockerError(fields.reason, fields.stderr)
  switch (fields.reason) {
    case "MachineNotRunning":
    case "SmolvmError":
      return isTransientSmolvmError(fields.target, fields.stderr)
    case "SpawnFailed":
      return true
    default:
      return false
  }
}

/**
 * An exec in a sandbox that did not succeed. `stdout` and `stderr` are
 * bounded and scrubbed of every secret the exec was given. `backend` says
 * which client ran it (absent for a call refused before any backend was
 * involved); the reasons are shared by every backend (see the README's
 * table for what each means on Docker).
 *
 * @since 0.1.0
 * @category errors
 * @example
 * import { ExecFailed } from "bottle-supervise/SandboxError"
 *
 * const error = new ExecFailed({
 *   target: "bottle-1",
 *   argv: ["true"],
 *   reason: "MachineNotRunning",
 *   exitCode: 1,
 *   stdout: "",
 *   stderr: "Error: agent operation failed: connect: machine 'bottle-1' is not running."
 * })
 * error.transient // true
 */
export class ExecFailed extends Schema.TaggedError<ExecFailed>()("ExecFailed", execFailedFields) {
  /**
   * Whether trying again soon may succeed: the agent answers "is not running"
   * for a moment after boot, and connections can be reset. Decided once, when
   * the error is built: a backend passes what its classification read from the
   * client's raw output, by the rule that classified it, so a guest's look-alike
   * (`Error: docker daemon is not running`, or smolvm's sentence naming another
   * machine than `target`) never is, whatever the reason says. An error built
   * without it (by hand, in a test, or decoded from JSON that lacks it) gets
   * the same rule's reading of its `stderr`.
   * A client that could not be started for lack of host resources is
   * transient. A guest exit code, an unknown machine or a bad name never is.
   * On Docker, only a container that is restarting is worth waiting for.
   *
   * @since 0.1.0
   */
  declare readonly transient: boolean

  constructor(props: Schema.Struct.Constructor<ExecFailedFields>, options?: Schema.MakeOptions) {
    super({ ...props, transient: props.transient ?? readTransient(props) }, options)
  }

  /**
   * @since 0.1.0
   */
  override get message(): string {
    return describe(this)
  }

  /**
   * Which layer failed: `request` (refused before any process: a bad target,
   * option or an argv too large), `client` (the sandbox client or the sandbox
   * itself: not found, not running, the client's own error or usage, its
   * signal, no process to start it with, the deadline), `guest` (the command in
   * the guest: its exit, signal, user switch or a missing command) or
   * `library` (the guest answered what this library cannot read).
   *
   * @since 0.2.0
   */
  get layer(): "request" | "client" | "guest" | "library" {
    switch (this.reason) {
      case "InvalidTarget":
      case "InvalidRequest":
        return "request"
      case "MachineNotFound":
      case "MachineNotRunning":
      case "SmolvmError":
      case "SmolvmUsage":
      case "ClientSignal":
      case "SpawnFailed":
      case "Timeout":
        return "client"
      case "NonZeroExit":
      case "GuestSignal":
      case "RunuserRefused":
      case "UserMismatch":
      case "GuestCommandNotFound":
        return "guest"
      case "UnexpectedOutput":
        return "library"
    }
  }
}

/**
 * The backend's client binary (`smolvm` or `docker`) could not be started: it
 * is missing (`NotFound`, also for an empty path or one containing a NUL
 * character), not executable (`PermissionDenied`), or the spawn failed for
 * another reason a retry would not fix, or the file is no client at all (the
 * host's shell ran it as a script and it exited 127) (`Unknown`). An error of the effect
 * rather than a `Failed` outcome, because no sandbox can be reached without
 * the client. A spawn that failed because the host was short of processes,
 * file descriptors or memory is an `ExecFailed` with reason `SpawnFailed`
 * instead, and is transient; one refused for its arguments (E2BIG) is an
 * `ExecFailed` with reason `InvalidRequest`.
 *
 * @since 0.2.0
 * @category errors
 * @example
 * import { SandboxError } from "bottle-supervise"
 *
 * new SandboxError.ClientNotFound({ binary: "/opt/smolvm", reason: "NotFound", detail: "spawn /opt/smolvm ENOENT" })
 *   .message
 * // "the smolvm binary \"/opt/smolvm\" was not found (set SMOLVM_BIN to its path): spawn /opt/smolvm ENOENT"
 */
export class ClientNotFound extends Schema.TaggedError<ClientNotFound>()("ClientNotFound", {
  binary: Schema.String,
  reason: Schema.Literal("NotFound", "PermissionDenied", "Unknown"),
  detail: Schema.String,
  /** Absent means `smolvm`, as before 0.2. */
  backend: Schema.optional(Backend)
}) {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    const backend = this.backend ?? "smolvm"
    return `${Binary.problem(this.binary, this.reason, backend)} (set ${
      Binary.configName(backend)
    } to its path): ${this.detail}`
  }
}
