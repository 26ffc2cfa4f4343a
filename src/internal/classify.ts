/**
 * How a finished `smolvm machine exec` is read: exit code and stderr together,
 * because exit 1 means both "the guest command failed" and "smolvm could not run
 * it"; smolvm's own errors start with `Error: ` on stderr.
 *
 * @internal
 */
import { constants } from "node:os"

/** @internal */
export type Classified =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly reason: FailureReason; readonly signal?: string | undefined }

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

const signalName = (n: number): string | undefined => {
  for (const [name, value] of Object.entries(constants.signals)) {
    if (value === n) return name
  }
  return undefined
}

/**
 * Whether smolvm's error (see `smolvmErrorLine`) is worth a short retry: the
 * agent answers "is not running" for a moment after boot, and a connection to
 * it can be refused or reset. Only smolvm's own line is read, never the guest's
 * output.
 *
 * @internal
 */
export const isTransientSmolvmError = (stderr: string): boolean => {
  const line = smolvmErrorLine(stderr)
  // Only smolvm's failure to reach its guest agent: a guest that exits 1 with its
  // own "Error: connect: connection refused" as first line is not retried.
  return line !== undefined && line.startsWith("Error: agent operation failed") &&
    /is not running|connection reset|connection refused|broken pipe|temporarily unavailable|timed out connecting/i.test(line)
}

/** smolvm's own words when its `--timeout` fires (it does not always print them). */
const TIMED_OUT = /^command timed out after /m

/**
 * Reads a finished exec. Exit 124 is smolvm's `--timeout` only when
 * `deadlineReached` (the exec ran for its whole timeout) or smolvm said so; a
 * guest command that exits 124 early is an ordinary non-zero exit.
 *
 * @internal
 */
export const classify = (
  exitCode: number,
  stderr: string,
  deadlineReached: boolean
): Classified => {
  if (exitCode === 0) return { _tag: "Success" }
  if (exitCode === 124 && (deadlineReached || TIMED_OUT.test(stderr))) return { _tag: "Failure", reason: "Timeout" }
  const error = smolvmErrorLine(stderr)
  if (exitCode === 1 && error !== undefined) {
    if (error.startsWith("Error: vm not found")) return { _tag: "Failure", reason: "MachineNotFound" }
    if (/is not running/.test(error)) return { _tag: "Failure", reason: "MachineNotRunning" }
    if (/failed to spawn command/.test(error)) return { _tag: "Failure", reason: "GuestCommandNotFound" }
    return { _tag: "Failure", reason: "SmolvmError" }
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
  if (exitCode === 127 && /not found|No such file/i.test(stderr)) {
    return { _tag: "Failure", reason: "GuestCommandNotFound" }
  }
  if (exitCode > 128 && exitCode < 128 + 65) {
    const signal = signalName(exitCode - 128)
    if (signal !== undefined) return { _tag: "Failure", reason: "GuestSignal", signal }
  }
  return { _tag: "Failure", reason: "NonZeroExit" }
}
