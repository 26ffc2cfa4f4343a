/**
 * Turning a `containerExec` call into a `docker exec` command line, shared by
 * the live service and the CLI's `--dry-run`, so both validate and render
 * identically. Pure: the exec's random id is an argument.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import type { ExecOptions } from "../../Sandbox.js"
import { ExecFailed } from "../../SandboxError.js"
import { checkOptions, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT } from "../request.js"
import { KILL_SCRIPT } from "./killScript.js"

/**
 * The guest variable every exec carries, with a value unique to the exec. Every
 * process the exec starts inherits it, so at a deadline or an interruption the
 * exec's processes can be found in the container and killed: killing the
 * docker client stops nothing there.
 *
 * @internal
 */
export const MARKER = "BOTTLE_SUPERVISE_EXEC"

/**
 * What `prepare` renders when no exec id is given: the CLI's `--dry-run`
 * shows the command line of an exec that has not happened, whose id does not
 * exist yet.
 *
 * @internal
 */
export const EXEC_ID_PLACEHOLDER = "<exec-id>"

/** A fresh exec id: 128 random bits in hex, so no two execs share a marker. @internal */
export const newExecId = (): string => randomBytes(16).toString("hex")

/** @internal */
export interface Prepared {
  readonly target: string
  readonly argv: ReadonlyArray<string>
  readonly user: string | undefined
  /** Arguments after the binary. Never holds a secret value: secrets are `-e NAME`. */
  readonly args: ReadonlyArray<string>
  /** Host variables added to the docker client's environment: the secret values, under their guest names. */
  readonly env: Record<string, string>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly timeout: Duration.Duration
  readonly maxOutputBytes: number
  readonly execId: string
}

/**
 * Docker's own rule for a container name (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`, one
 * character allowed here too for a short id prefix); a 64-hex id passes it as
 * well.
 */
const CONTAINER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

const MAX_TARGET = 128

/**
 * Why `target` is not a container name or id this library hands to docker,
 * or `undefined`. Checked before any process: a target starting with `-`
 * would be read as a flag.
 *
 * @internal
 */
export const targetProblem = (target: string): string | undefined => {
  if (target.length === 0) return "must not be empty"
  if (target.length > MAX_TARGET) return `must be at most ${MAX_TARGET} characters`
  if (!/^[a-zA-Z0-9]/.test(target)) return "must start with a letter or a digit"
  return CONTAINER.test(target) ? undefined : "may only contain ASCII letters, digits, '_', '.' and '-'"
}

/**
 * Variables the docker client reads itself. `-e NAME` takes a secret's value
 * from the client's own environment under the guest's name, so a secret with
 * one of these names would also reconfigure the client (`DOCKER_HOST`,
 * `LD_PRELOAD`, a proxy): refused instead.
 */
const CLIENT_READS = new Set([
  "PATH",
  "HOME",
  "TMPDIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GODEBUG",
  "GOGC",
  "GOMAXPROCS",
  "GOMEMLIMIT",
  "GOTRACEBACK",
  "GLIBC_TUNABLES",
  "NOTARY_AUTH",
  "BUILDKIT_HOST"
])

/** Why `name` cannot be a secret's guest name, or `undefined`. @internal */
export const secretNameProblem = (name: string): string | undefined =>
  name === MARKER
    ? `secret env name ${name} is reserved for bottle-supervise`
    : name.startsWith("DOCKER_") || name.startsWith("LD_") || CLIENT_READS.has(name.toUpperCase())
    ? `secret env name ${name} is read by the docker client itself; pass it under another name`
    : undefined

const optionsProblem = (argv: ReadonlyArray<string>, options: ExecOptions): string | undefined => {
  const common = checkOptions(argv, options)
  if (common !== undefined) return common
  if (options.env !== undefined && Object.hasOwn(options.env, MARKER)) {
    return `env name ${MARKER} is reserved for bottle-supervise`
  }
  for (const name of Object.keys(options.secretEnv ?? {})) {
    const bad = secretNameProblem(name)
    if (bad !== undefined) return bad
    // Two `-e` for one name: docker keeps one of them, and which one is not the caller's choice.
    if (options.env !== undefined && Object.hasOwn(options.env, name)) return `${name} is both in env and in secretEnv`
  }
  return undefined
}

/**
 * Validates a call and renders its command line:
 * `exec [-u USER] [-w DIR] [-e K=V]... [-e SECRET]... -e BOTTLE_SUPERVISE_EXEC=<id> CONTAINER ARGV...`.
 * Without `-i` the command's stdin is empty. `execId` is the exec's marker
 * value; the live service passes a fresh `newExecId()`.
 *
 * @internal
 */
export const prepare = (
  target: string,
  argv: ReadonlyArray<string>,
  options: ExecOptions = {},
  execId: string = EXEC_ID_PLACEHOLDER
): Either.Either<Prepared, ExecFailed> => {
  const invalid = (reason: "InvalidTarget" | "InvalidRequest", detail: string) =>
    Either.left(new ExecFailed({ target, argv: [...argv], reason, stdout: "", stderr: "", detail, backend: "docker" }))
  const badTarget = targetProblem(target)
  if (badTarget !== undefined) return invalid("InvalidTarget", badTarget)
  const badOption = optionsProblem(argv, options)
  if (badOption !== undefined) return invalid("InvalidRequest", badOption)

  const args: Array<string> = ["exec"]
  if (options.user !== undefined) args.push("-u", options.user)
  if (options.workdir !== undefined) args.push("-w", options.workdir)
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("-e", `${key}=${value}`)
  const env: Record<string, string> = {}
  const secrets: Array<Redacted.Redacted<string>> = []
  for (const [name, value] of Object.entries(options.secretEnv ?? {})) {
    // `-e NAME` without `=`: docker copies the value from its own environment.
    args.push("-e", name)
    env[name] = Redacted.value(value)
    secrets.push(value)
  }
  args.push("-e", `${MARKER}=${execId}`, target, ...argv)
  return Either.right({
    target,
    argv,
    user: options.user,
    args,
    env,
    secrets,
    timeout: options.timeout === undefined ? DEFAULT_TIMEOUT : Duration.decode(options.timeout),
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    execId
  })
}

/**
 * The command line that kills what one exec started in the container: a
 * fixed script, the exec id as its only parameter. It runs as the exec's own
 * user because a container's root lacks `CAP_SYS_PTRACE` and cannot read
 * another user's `/proc/PID/environ`, where the marker is.
 *
 * @internal
 */
export const killArgs = (p: Pick<Prepared, "target" | "user" | "execId">): ReadonlyArray<string> => [
  "exec",
  ...(p.user === undefined ? [] : ["-u", p.user]),
  p.target,
  "sh",
  "-c",
  KILL_SCRIPT,
  "bottle-supervise-kill",
  p.execId
]
