/**
 * The smolvm binary: where the live layer and the CLI's `--dry-run` find it,
 * and how a binary that cannot be started is described, so the library's
 * error and the CLI's one-line message say the same thing.
 *
 * @internal
 */
import * as Config from "effect/Config"
import type { SmolvmNotFound } from "../SmolvmError.js"

/**
 * `SMOLVM_BIN`, or `smolvm` found on `PATH`.
 *
 * @internal
 */
export const config: Config.Config<string> = Config.string("SMOLVM_BIN").pipe(Config.withDefault("smolvm"))

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
