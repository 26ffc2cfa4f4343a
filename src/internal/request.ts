/**
 * Turning a `machineExec` call into a smolvm command line, shared by the live
 * service, the test service and the CLI's `--dry-run`, so all three validate
 * and render identically.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { problem } from "../MachineName.js"
import type { ExecOptions } from "../Sandbox.js"
import { ExecFailed } from "../SandboxError.js"
import * as Defaults from "./defaults.js"
import * as SwitchUser from "./switchUser.js"

/** @internal */
export const DEFAULT_TIMEOUT: Duration.Duration = Defaults.EXEC_TIMEOUT

/** @internal */
export const DEFAULT_MAX_OUTPUT_BYTES = Defaults.MAX_OUTPUT_BYTES

/**
 * smolvm's own logging is pinned so that the client's stderr is the guest's.
 *
 * @internal
 */
export const PINNED_ENV: Readonly<Record<string, string>> = { RUST_LOG: "off", SMOLVM_LOG_FORMAT: "text" }

/** @internal */
export interface Prepared {
  readonly target: string
  readonly argv: ReadonlyArray<string>
  /** Arguments after the binary. Never holds a secret. */
  readonly args: ReadonlyArray<string>
  /** Host variables for the smolvm client: pinned logging and secret values. */
  readonly env: Readonly<Record<string, string>>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly timeout: Duration.Duration
  readonly maxOutputBytes: number
}

/**
 * A name smolvm accepts for `-e` and `--secret-env`, and the CLI for
 * `--token-env`.
 *
 * @internal
 */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const hasNul = (s: string) => s.includes("\u0000")

/** @internal */
export const secretHostVar = (index: number): string => `BOTTLE_SUPERVISE_SECRET_${index}`

/**
 * smolvm kills the guest at `--timeout`; the client then needs a moment to say
 * so. Past this margin the host stops waiting and kills the client itself. The
 * margin scales with the timeout (half of it) between 250 ms and 2 s, so a
 * short exec is not held for seconds by a client that hangs.
 */
const clientMargin = (timeout: Duration.Duration): Duration.Duration =>
  Duration.clamp(Duration.times(timeout, 0.5), { minimum: Duration.millis(250), maximum: Duration.seconds(2) })

/**
 * When the host stops waiting for a smolvm client that has not answered. The
 * live layer and the test layer both use it, so a caller's own deadline equal
 * to the exec's timeout (`provisionSupervise` gives each exec what is left of
 * its deadline) fires first against either (see `deadline.ts`, point 3).
 *
 * @internal
 */
export const hostDeadline = (timeout: Duration.Duration): Duration.Duration =>
  Duration.sum(timeout, clientMargin(timeout))

/** The `detail` of a Timeout at `hostDeadline`. @internal */
export const hostTimeoutDetail = (deadline: Duration.Duration): string =>
  `smolvm did not answer within ${Duration.format(deadline)}; its client was killed`

/** Why `timeout` is not a usable deadline, or `undefined` when it is (or absent); `deadline.ts`, point 4. @internal */
export const timeoutProblem = (timeout: Duration.DurationInput | undefined): string | undefined => {
  if (timeout === undefined) return undefined
  const decoded = Duration.decodeUnknown(timeout)
  if (decoded._tag === "None" || !Duration.isFinite(decoded.value) || Duration.toMillis(decoded.value) < 1) {
    return "timeout must be a finite duration of at least 1ms"
  }
  // Node's timers fire at once past 2^31 - 1 ms, and smolvm's own parser refuses huge values.
  return Duration.toMillis(decoded.value) > Defaults.MAX_TIMEOUT_MS ? "timeout must be at most 24 days" : undefined
}

/**
 * A user an exec may run as: a POSIX name or a numeric uid. Checked before any
 * process: it reaches a script argument (smolvm) or `-u` (docker), where a
 * leading `-` or a `:` would change its meaning.
 *
 * @internal
 */
export const EXEC_USER = /^(?:[a-z_][a-z0-9_-]{0,31}|\d{1,10})$/

/** Why the common exec options are unusable, or `undefined`. Shared by every backend. @internal */
export const checkOptions = (argv: ReadonlyArray<string>, options: ExecOptions): string | undefined => {
  if (argv.length === 0) return "argv must not be empty"
  if (options.user !== undefined && !EXEC_USER.test(options.user)) {
    return `user ${JSON.stringify(options.user)} must be a POSIX user name or a numeric uid`
  }
  if (argv.some(hasNul)) return "argv must not contain NUL characters"
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(key)) return `env name ${JSON.stringify(key)} is not a valid variable name`
    if (hasNul(value)) return `env ${key} must not contain NUL characters`
  }
  for (const [key, value] of Object.entries(options.secretEnv ?? {})) {
    if (!ENV_NAME.test(key)) return `secret env name ${JSON.stringify(key)} is not a valid variable name`
    // Node's spawn would throw with the value in its message: refuse first, without it.
    if (hasNul(Redacted.value(value))) return `secret env ${key} must not contain NUL characters`
  }
  if (options.workdir !== undefined && (!options.workdir.startsWith("/") || hasNul(options.workdir))) {
    return "workdir must be an absolute path"
  }
  const badTimeout = timeoutProblem(options.timeout)
  if (badTimeout !== undefined) return badTimeout
  const max = options.maxOutputBytes
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 2)) return "maxOutputBytes must be an integer >= 2"
  return undefined
}

/** @internal */
export const prepare = (
  target: string,
  argv: ReadonlyArray<string>,
  options: ExecOptions = {}
): Either.Either<Prepared, ExecFailed> => {
  const invalid = (reason: "InvalidTarget" | "InvalidRequest", detail: string) =>
    Either.left(new ExecFailed({ target, argv: [...argv], reason, stdout: "", stderr: "", detail, backend: "smolvm" }))
  const badName = problem(target)
  if (badName !== undefined) return invalid("InvalidTarget", badName)
  const badOption = checkOptions(argv, options)
  if (badOption !== undefined) return invalid("InvalidRequest", badOption)

  const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT : Duration.decode(options.timeout)
  const args: Array<string> = ["machine", "exec", "--name", target]
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("-e", `${key}=${value}`)
  const env: Record<string, string> = { ...PINNED_ENV }
  const secrets: Array<Redacted.Redacted<string>> = []
  Object.entries(options.secretEnv ?? {}).forEach(([guest, value], index) => {
    const hostVar = secretHostVar(index)
    args.push("--secret-env", `${guest}=${hostVar}`)
    env[hostVar] = Redacted.value(value)
    secrets.push(value)
  })
  if (options.workdir !== undefined) args.push("-w", options.workdir)
  // smolvm has no user flag: a fixed script switches in the guest.
  const guestArgv = options.user === undefined ? argv : SwitchUser.wrap(options.user, argv)
  args.push("--timeout", `${Math.ceil(Duration.toMillis(timeout))}ms`, "--", ...guestArgv)
  return Either.right({
    target,
    argv,
    args,
    env,
    secrets,
    timeout,
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  })
}
