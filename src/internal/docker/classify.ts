/**
 * How a finished `docker exec` is read. The daemon's own refusals start with
 * `Error response from daemon: ` or `Cannot connect to the Docker daemon` on
 * the client's stderr; exit codes 1 and 126 are shared with the command's own,
 * so a reason is only taken from those exact openings.
 *
 * @internal
 */
import type { ExecFailureReason } from "../../SandboxError.js"

/** @internal */
export type DockerVerdict =
  | { readonly _tag: "Success" }
  | { readonly _tag: "Failure"; readonly reason: ExecFailureReason; readonly signal?: string | undefined }

const DAEMON = "Error response from daemon: "

/** The daemon's first line, when the client's stderr starts with one. @internal */
export const daemonLine = (stderr: string): string | undefined => {
  const first = stderr.split("\n").find((line) => line.trim().length > 0)?.trim()
  if (first === undefined) return undefined
  return first.startsWith(DAEMON) || first.startsWith("Cannot connect to the Docker daemon") ? first : undefined
}

/**
 * Whether waiting may help: a container the engine is restarting. A stopped or
 * paused container stays so until someone acts, and an unreachable engine is
 * an operator's problem.
 *
 * @internal
 */
export const isTransientDockerError = (reason: ExecFailureReason, stderr: string): boolean =>
  reason === "MachineNotRunning" && /is restarting, wait until the container is running/.test(daemonLine(stderr) ?? "")
