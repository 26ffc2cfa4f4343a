/**
 * Exit codes: their values, their meanings as `--help` lists them, and the
 * mapping from a failure of the command to one of them.
 *
 * @internal
 */
import * as ValidationError from "@effect/cli/ValidationError"
import type * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { ClientNotFound } from "../../SandboxError.js"
import * as Binary from "../binary.js"
import type { OutcomeNotOk, PlanError } from "./errors.js"

/**
 * The process exit codes, public as `Cli.ExitCode`:
 *
 * - `Ok` (0): `Registered`, `Unchanged`, `Replaced`, `Connected`; a dry run;
 *   `--help`, `--version`.
 * - `NotOk` (1): `Failed`, `Unreachable`, `NotRegistered`; an unexpected
 *   internal error.
 * - `Usage` (2): bad flags, an invalid plan (URL, machine name, user, paths,
 *   server name, timeout), a `--token-env` variable that is unset or empty.
 * - `SmolvmNotFound` (3): the smolvm binary (`SMOLVM_BIN`, default `smolvm`)
 *   is missing, not executable or cannot be started.
 * - `Interrupted` (130): stopped by SIGINT, SIGTERM or SIGHUP.
 *
 * @since 0.1.0
 * @category exit codes
 */
export const ExitCode = {
  Ok: 0,
  NotOk: 1,
  Usage: 2,
  SmolvmNotFound: 3,
  Interrupted: 130
} as const

/**
 * One of the values of `ExitCode`.
 *
 * @since 0.1.0
 * @category exit codes
 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * What each code means, in the words of the help footer.
 *
 * @internal
 */
export const MEANINGS: Arr.NonEmptyReadonlyArray<readonly [code: ExitCode, meaning: string]> = [
  [ExitCode.Ok, "Registered, Unchanged, Replaced (provision); Connected (verify); a dry run; --help; --version"],
  [
    ExitCode.NotOk,
    "Failed (provision or verify); Unreachable, NotRegistered (verify); an unexpected internal error"
  ],
  [
    ExitCode.Usage,
    "usage or plan error: bad flags, invalid URL, machine name, user, path, server name or timeout, " +
    "--token-env variable unset or empty"
  ],
  [ExitCode.SmolvmNotFound, "the smolvm binary (SMOLVM_BIN, default smolvm) is missing, not executable or cannot be started"],
  [ExitCode.Interrupted, "interrupted (SIGINT, SIGTERM or SIGHUP)"]
]

/**
 * Prints what went wrong, unless it has been printed already (`@effect/cli`
 * prints its own usage errors, `report` the outcome), and maps it to a code.
 *
 * @internal
 */
export const fromError = (
  error: PlanError | OutcomeNotOk | ClientNotFound | ValidationError.ValidationError
): Effect.Effect<ExitCode> => {
  if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage)
  switch (error._tag) {
    case "PlanError":
      return Effect.as(Console.error(`bottle-supervise: ${error.message}`), ExitCode.Usage)
    case "OutcomeNotOk":
      return Effect.succeed(ExitCode.NotOk)
    case "ClientNotFound": {
      // The error's detail repeats the whole command line: the operator needs the binary and what to do.
      const backend = error.backend ?? "smolvm"
      return Effect.as(
        Console.error(
          `bottle-supervise: ${Binary.problem(error.binary, error.reason, backend)}; ` +
            `set ${Binary.configName(backend)} to the path of ${backend}`
        ),
        ExitCode.SmolvmNotFound
      )
    }
  }
}
