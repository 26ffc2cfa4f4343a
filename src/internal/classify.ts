/**
 * How a finished `smolvm machine exec` is read: exit code and stderr together,
 * because exit 1 means both "the guest command failed" and "smolvm could not run
 * it"; smolvm's own errors start with `Error: ` on stderr.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as MachineName from "../MachineName.js"
import { linuxSignalName } from "./signals.js"

/**
 * A finished exec's verdict. A failure carries whether it is worth a retry,
 * read here once from the client's raw output, so the `ExecFailed` built from
 * it never reads its (scrubbed, bounded) stderr again.
 *
 * @internal
 */
export type Classified =
  | { readonly _tag: "Success" }
  | (Reading & { readonly transient: boolean })

/** A failure's reason, before whether it is transient is decided. @internal */
export interface Reading {
  readonly _tag: "Failure"
  readonly reason: FailureReason
  readonly signal?: string | undefined
}

/** @internal */
export type FailureReason =
  | "NonZeroExit"
  | "GuestSignal"
  | "RunuserRefused"
  | "UserMismatch"
  | "MachineNotFound"
  | "MachineNotRunning"
  | "GuestCommandNotFound"
  | "SmolvmError"
  | "SmolvmUsage"
  | "Timeout"

/**
 * Exit code the guest-side script uses when exec landed as a user that is
 * neither root nor the agent, so it can neither run as the agent nor switch.
 *
 * @internal
 */
export const USER_MISMATCH_EXIT = 125

/** @internal */
export const USER_MISMATCH_MARK = "bottle-supervise: cannot run as"

/**
 * smolvm's own error: the first line of stderr when it starts with `Error: `,
 * with the anyhow "Caused by:" chain right below it (indented lines). smolvm
 * prints nothing else when it could not run the command (its logging is pinned
 * off). Nothing past that chain is read: a guest that exits 1 and prints
 * `Error: ...` after other output, or mentions "is not running" further down,
 * stays the guest's failure and is not retried.
 *
 * @internal
 */
export const smolvmErrorLine = (stderr: string): string | undefined => {
  const lines = stderr.split("\n").map((line) => line.trimEnd())
  const start = lines.findIndex((line) => line.length > 0)
  const first = lines[start]
  if (first === undefined || !first.startsWith("Error: ")) return undefined
  const rest = lines.slice(start + 1)
  const caused = rest.findIndex((line) => line.length > 0)
  if (rest[caused] !== "Caused by:") return first
  const chain = rest.slice(caused + 1)
  const end = chain.findIndex((line) => line.length > 0 && !/^\s/.test(line))
  return [first, "Caused by:", ...(end === -1 ? chain : chain.slice(0, end))].filter((l) => l.length > 0).join("\n")
}

/**
 * smolvm's error on one line, as anyhow prints a chain with `{:#}`: the first
 * line without `Error: `, then each cause (its `N: ` index dropped), joined by
 * `: `. So the plain and the Caused-by layouts of one error read the same.
 */
const smolvmMessage = (stderr: string): string | undefined => {
  const error = smolvmErrorLine(stderr)
  if (error === undefined) return undefined
  const [first = "", , ...causes] = error.split("\n")
  return [first.slice("Error: ".length), ...causes.map((cause) => cause.trim().replace(/^\d+: /, ""))].join(": ")
}

/**
 * smolvm 1.9's sentence for a stopped machine (`ensure_running_and_connect`);
 * the start hint repeats the name. The name is captured loosely and compared
 * with the exec's target below, so any other one reads as a look-alike.
 */
const NOT_RUNNING =
  /^agent operation failed: connect: machine '([^']*)' is not running(?:\. Use 'smolvm machine start --name ([^']*)' first)?\.?$/

/**
 * Whether `name` is the one smolvm would print for this exec: smolvm echoes
 * `--name` verbatim, so its own error names exactly the target. Any other
 * name, even a valid one, is a guest printing about some other machine. A
 * target smolvm would refuse never reached it, so nothing names it.
 */
const namesTarget = (name: string | undefined, target: string): boolean =>
  name === target && MachineName.problem(target) === undefined

/**
 * Whether stderr holds smolvm's own "machine ... is not running" and nothing
 * like it: the exact sentence, inside smolvm's `agent operation failed:
 * connect:` frame, naming the exec's target (in the hint too). A guest's
 * `Error: docker daemon is not running`, or the very sentence about another
 * machine, is not it.
 */
const isMachineNotRunning = (stderr: string, target: string): boolean => {
  const match = NOT_RUNNING.exec(smolvmMessage(stderr) ?? "")
  return match !== null && namesTarget(match[1], target) && (match[2] === undefined || match[2] === target)
}

/**
 * Whether stderr starts with smolvm's `Error: vm not found: NAME` for the
 * exec's target. A guest's `Error: vm not found: config.json`, or
 * `Error: vm not found: mybox` when the target is another machine, is not it.
 */
const isMachineNotFound = (stderr: string, target: string): boolean => {
  const first = smolvmErrorLine(stderr)?.split("\n")[0]
  return first?.startsWith("Error: vm not found: ") === true &&
    namesTarget(first.slice("Error: vm not found: ".length), target)
}

/**
 * Words smolvm uses for its machine errors. On an `Error:` line that is not
 * one of smolvm's exact sentences they prove the line is the guest's own: the
 * guest's failure, never a machine smolvm could not reach.
 */
const soundsLikeMachineError = (stderr: string): boolean =>
  /is not running/.test(smolvmMessage(stderr) ?? "") ||
  smolvmErrorLine(stderr)?.startsWith("Error: vm not found") === true

/**
 * smolvm failing to reach its guest agent: refused or reset connections. A
 * guest that exits 1 with its own "Error: connect: connection refused" as
 * first line is not it: only the `agent operation failed` frame is smolvm's.
 */
const isAgentConnectionError = (stderr: string): boolean => {
  const line = smolvmErrorLine(stderr)
  return line !== undefined && line.startsWith("Error: agent operation failed") &&
    /connection reset|connection refused|broken pipe|temporarily unavailable|timed out connecting/i.test(line)
}

/**
 * Whether smolvm's words on stderr are worth a short retry: the agent answers
 * "is not running" for a moment after boot (smolvm's exact sentence only), and
 * a connection to it can be refused or reset. The reading `classify` gives
 * every failure, so an `ExecFailed` is transient only for what `classify`
 * called `MachineNotRunning` (for this `target`, the exec's `--name`), or a
 * `SmolvmError` about the agent's connection. Only smolvm's error is read,
 * never the guest's output. For an `ExecFailed` built without `transient`.
 *
 * @internal
 */
export const isTransientSmolvmError = (target: string, stderr: string): boolean => {
  const verdict = classify(target, 1, stderr, false)
  return verdict._tag === "Failure" && verdict.transient
}

/**
 * Whether a 127 is the host's shell refusing the client binary itself, with
 * the line it said so in. An executable file that is no program (a text
 * file, a script without `#!`) is run by `/bin/sh`, execvp's fallback for
 * ENOEXEC, which fails on the file's first word and names the file:
 * `<path>: 1: hello: not found` (dash), `<path>: line 1: hello: command not
 * found` (bash, busybox). smolvm never ran, so no guest was involved. Only
 * stderr's first line is read, and only a line naming the binary's own path
 * (as given, or the `PATH` entry a bare name resolved to, which ends in it):
 * smolvm's own errors start with `Error: `, and a guest's 127 names what the
 * guest ran.
 *
 * @internal
 */
export const clientNotRunnable = (binary: string, exitCode: number, stderr: string): string | undefined => {
  if (exitCode !== 127) return undefined
  const first = stderr.split("\n").find((line) => line.trim().length > 0) ?? ""
  const named = /^(.+?): (?:line )?\d+: /.exec(first)?.[1]
  if (named === undefined) return undefined
  return named === binary || (!binary.includes("/") && named.endsWith(`/${binary}`)) ? first : undefined
}

/**
 * The `detail` of a Timeout read from smolvm's exit 124. One text for the live
 * and the test layer, so what a launcher asserts against the fake holds live.
 *
 * @since 0.1.0
 * @internal
 */
export const smolvmTimeoutDetail = (timeout: Duration.Duration): string =>
  `smolvm's --timeout of ${Duration.format(timeout)} fired`

/** smolvm's own words when its `--timeout` fires (it does not always print them). */
const TIMED_OUT = /^command timed out after /m

/**
 * Reads a finished exec of `target` (the `--name` it was given). Exit 124 is
 * smolvm's `--timeout` only when `deadlineReached` (the exec ran for its whole
 * timeout) or smolvm said so; a guest command that exits 124 early is an
 * ordinary non-zero exit. A failure is transient when it is smolvm's "is not
 * running" for this target (the reading checked the name) or smolvm's error
 * about the agent's connection.
 *
 * @internal
 */
export const classify = (
  target: string,
  exitCode: number,
  stderr: string,
  deadlineReached: boolean
): Classified => {
  const verdict = read(target, exitCode, stderr, deadlineReached)
  return verdict._tag === "Success" ? verdict : {
    ...verdict,
    transient: verdict.reason === "MachineNotRunning" ||
      (verdict.reason === "SmolvmError" && isAgentConnectionError(stderr))
  }
}

const read = (
  target: string,
  exitCode: number,
  stderr: string,
  deadlineReached: boolean
): { readonly _tag: "Success" } | Reading => {
  if (exitCode === 0) return { _tag: "Success" }
  if (exitCode === 124 && (deadlineReached || TIMED_OUT.test(stderr))) return { _tag: "Failure", reason: "Timeout" }
  const error = smolvmErrorLine(stderr)
  if (exitCode === 1 && error !== undefined) {
    if (isMachineNotFound(stderr, target)) return { _tag: "Failure", reason: "MachineNotFound" }
    if (isMachineNotRunning(stderr, target)) return { _tag: "Failure", reason: "MachineNotRunning" }
    // Not smolvm's sentence, yet its words: the guest's own line, read like any guest output below.
    if (!soundsLikeMachineError(stderr)) {
      // Only ENOENT means the command is missing; a refused or otherwise failed spawn keeps smolvm's words.
      if (/failed to spawn command: .*\(os error 2\)/.test(error)) {
        return { _tag: "Failure", reason: "GuestCommandNotFound" }
      }
      return { _tag: "Failure", reason: "SmolvmError" }
    }
  }
  if (exitCode === 2 && /^error: /m.test(stderr) && /Usage:/.test(stderr)) {
    return { _tag: "Failure", reason: "SmolvmUsage" }
  }
  if (exitCode === 1 && /runuser: may not be used by non-root users/.test(stderr)) {
    return { _tag: "Failure", reason: "RunuserRefused" }
  }
  if (exitCode === USER_MISMATCH_EXIT && stderr.includes(USER_MISMATCH_MARK)) {
    return { _tag: "Failure", reason: "UserMismatch" }
  }
  return guestExit(exitCode, stderr)
}

/**
 * A guest command's own non-zero exit, read the same on every backend: a
 * shell's 127 for a command it could not find, 128+N for Linux signal N, else
 * a plain non-zero exit.
 *
 * @internal
 */
export const guestExit = (exitCode: number, stderr: string): Reading => {
  if (exitCode === 127 && /not found|No such file/i.test(stderr)) {
    return { _tag: "Failure", reason: "GuestCommandNotFound" }
  }
  if (exitCode > 128 && exitCode < 128 + 65) {
    const signal = linuxSignalName(exitCode - 128)
    if (signal !== undefined) return { _tag: "Failure", reason: "GuestSignal", signal }
  }
  return { _tag: "Failure", reason: "NonZeroExit" }
}
