/**
 * Exit codes: their values, their meanings as `--help` lists them, and the
 * mapping from a failure of the command to one of them, with the one line
 * on stderr that says why.
 *
 * @internal
 */
import * as ValidationError from "@effect/cli/ValidationError"
import type * as Arr from "effect/Array"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Binary from "../internal/binary.js"
import type { ClientNotFound } from "../SandboxError.js"
import type { OutcomeNotOk, PlanError } from "./errors.js"
import { plainText } from "./render.js"

/**
 * The process exit codes, public as `Cli.ExitCode`:
 *
 * - `Ok` (0): `Registered`, `Unchanged`, `Replaced`, `Connected`; a dry run;
 *   `--help`, `--version`.
 * - `NotOk` (1): `Failed`, `Unreachable`, `NotRegistered`; an unexpected
 *   internal error.
 * - `Usage` (2): bad flags, an invalid plan (URL, machine name, user, paths,
 *   server name, timeout), a `--token-env` variable that is unset or empty.
 * - `ClientNotFound` (3): the sandbox client (`SMOLVM_BIN`, default
 *   `smolvm`; `DOCKER_BIN`, default `docker`) is missing, not executable or
 *   cannot be started. `SmolvmNotFound` is its 0.1 name.
 * - `Interrupted` (130): stopped by SIGINT, SIGTERM or SIGHUP.
 *
 * @since 0.1.0
 * @category exit codes
 */
export const ExitCode = {
  Ok: 0,
  NotOk: 1,
  Usage: 2,
  ClientNotFound: 3,
  /** The 0.1 name of `ClientNotFound`. */
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
    "usage or plan error: bad flags, invalid URL, machine or container name, user, path, server name or timeout, " +
    "--token-env variable unset or empty"
  ],
  [
    ExitCode.ClientNotFound,
    "the smolvm binary (SMOLVM_BIN, default smolvm) or the docker binary (DOCKER_BIN, default docker) is missing, " +
    "not executable, cannot be started or is not smolvm"
  ],
  [ExitCode.Interrupted, "interrupted (SIGINT, SIGTERM or SIGHUP)"]
]

/** The prefix of every line the CLI writes about a failure, so a log reader can tell whose it is. @internal */
export const PREFIX = "bottle-supervise: "

/**
 * A spawn error's detail is `<reason>: Command.spawn (<the whole command line>): <Node's message>`
 * (`@effect/platform`'s `SystemError`); the command line carries both guest scripts. Node's own
 * message (`spawn /opt/smolvm EACCES`) is what an operator needs.
 */
const SPAWN_DETAIL = /^\w+: Command\.spawn \(.*\): /s

/** What a `ClientNotFound` says on one line, without the command line it was given. @internal */
export const describeClientNotFound = (error: ClientNotFound): string => {
  const backend = error.backend ?? "smolvm"
  // Missing and not executable say it all; anything else says what happened, shortly.
  const why = error.reason === "Unknown" ? ` (${error.detail.replace(SPAWN_DETAIL, "")})` : ""
  return `${Binary.problem(error.binary, error.reason, backend)}${why}; ` +
    `set ${Binary.configName(backend)} to the path of ${backend}`
}

/**
 * Prints what went wrong, unless it has been printed already (`report`
 * prints the outcome), and maps it to a code. `@effect/cli`'s usage errors
 * are printed here too, each line with the same prefix as the CLI's own.
 *
 * @internal
 */
export const fromError = (
  error: PlanError | OutcomeNotOk | ClientNotFound | ValidationError.ValidationError
): Effect.Effect<ExitCode> => {
  if (ValidationError.isValidationError(error)) {
    const lines = plainText(error.error).split("\n").map((line) => line.trim()).filter((line) => line !== "")
    return Effect.as(Console.error(lines.map((line) => `${PREFIX}${line}`).join("\n")), ExitCode.Usage)
  }
  switch (error._tag) {
    case "PlanError":
      return Effect.as(Console.error(`${PREFIX}${error.message}`), ExitCode.Usage)
    case "OutcomeNotOk":
      return Effect.succeed(ExitCode.NotOk)
    case "ClientNotFound":
      return Effect.as(Console.error(`${PREFIX}${describeClientNotFound(error)}`), ExitCode.ClientNotFound)
  }
}
