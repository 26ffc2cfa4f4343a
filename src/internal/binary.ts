/**
 * The smolvm binary: where the live layer and the CLI's `--dry-run` find it,
 * and how a binary that cannot be started is described, so the library's
 * error and the CLI's one-line message say the same thing.
 *
 * @internal
 */
import * as Config from "effect/Config"
import type { SmolvmNotFound } from "../SmolvmError.js"

const DEFAULT = "smolvm"

/**
 * `SMOLVM_BIN`, or `smolvm` found on `PATH`. An empty `SMOLVM_BIN=` counts as
 * unset, as shells and env files commonly mean it: Node cannot spawn an empty
 * path at all.
 *
 * @internal
 */
export const config: Config.Config<string> = Config.string("SMOLVM_BIN").pipe(
  Config.withDefault(DEFAULT),
  Config.map((binary) => binary === "" ? DEFAULT : binary)
)

/**
 * Why no process can be started from `binary` at all, or `undefined`. Node's
 * spawn throws a `TypeError` for these instead of failing, which would end the
 * caller's effect as a defect rather than a `SmolvmNotFound`.
 *
 * @internal
 */
export const unusable = (binary: string): string | undefined =>
  binary === ""
    ? "the path is empty"
    : binary.includes("\u0000")
    ? "the path contains a NUL character"
    : undefined

/**
 * `the smolvm binary "<path>" was not found` (or is not executable, or could
 * not be started): what went wrong, without the spawn error's detail.
 *
 * @internal
 */
export const problem = (binary: string, reason: SmolvmNotFound["reason"]): string => {
  const what = reason === "NotFound"
    ? "was not found"
    : reason === "PermissionDenied"
    ? "is not executable"
    : "could not be started"
  return `the smolvm binary ${JSON.stringify(binary)} ${what}`
}
