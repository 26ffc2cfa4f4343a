/**
 * A backend's client binary (`smolvm`, `docker`): where the live layers and
 * the CLI's `--dry-run` find it, why it could not be started, and how that is
 * described, so the library's error and the CLI's one-line message say the
 * same thing.
 *
 * @internal
 */
import type { PlatformError } from "@effect/platform/Error"
import * as Config from "effect/Config"
import type { Backend, ClientNotFound } from "../SandboxError.js"

/** The config variable that names each backend's binary. @internal */
export const configName = (backend: Backend): string => backend === "docker" ? "DOCKER_BIN" : "SMOLVM_BIN"

/**
 * `SMOLVM_BIN` (or `DOCKER_BIN`), or the backend's own name found on `PATH`.
 * An empty value counts as unset, as shells and env files commonly mean it:
 * Node cannot spawn an empty path at all.
 *
 * @internal
 */
export const configFor = (backend: Backend): Config.Config<string> =>
  Config.string(configName(backend)).pipe(
    Config.withDefault(backend),
    Config.map((binary) => binary === "" ? backend : binary)
  )

/** `configFor("smolvm")`. @internal */
export const config: Config.Config<string> = configFor("smolvm")

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
 * Spawn errors that say the host is short of processes, file descriptors or
 * memory right now, not that the binary is unusable: provisioning a fleet at
 * once can hit them, and they pass as other processes end.
 */
const EXHAUSTION: ReadonlyMap<string, string> = new Map([
  ["EAGAIN", "the system refused a new process (a process or thread limit, or memory)"],
  ["EMFILE", "this process has too many open files"],
  ["ENFILE", "the system has too many open files"],
  ["ENOMEM", "the system is out of memory"]
])

/**
 * Why the smolvm client did not start: the binary itself (`Unusable`, with
 * `SmolvmNotFound`'s reason), or a host out of resources (`Exhausted`, worth a
 * retry).
 *
 * @internal
 */
export type StartFailure =
  | { readonly _tag: "Unusable"; readonly reason: ClientNotFound["reason"]; readonly detail: string }
  | { readonly _tag: "Exhausted"; readonly errno: string; readonly detail: string }
  | { readonly _tag: "Refused"; readonly errno: string; readonly detail: string }

/**
 * Spawn errors about this one call's arguments or environment, not the binary:
 * the kernel's limit on their size (E2BIG). The binary is fine; the request is
 * not, so it is the exec's failure (`InvalidRequest`), never a missing client.
 */
const refused = (errno: string | undefined): StartFailure | undefined =>
  errno === "E2BIG"
    ? { _tag: "Refused", errno, detail: "E2BIG: the command line or environment is larger than the kernel accepts" }
    : undefined

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

const exhausted = (errno: string | undefined): StartFailure | undefined => {
  const words = errno === undefined ? undefined : EXHAUSTION.get(errno)
  return errno === undefined || words === undefined
    ? undefined
    : { _tag: "Exhausted", errno, detail: `${errno}: ${words}` }
}

/**
 * Reads the executor's start failure. @effect/platform-node-shared files every
 * errno but ENOENT and EACCES under `Unknown` and keeps Node's error, with its
 * `code`, as the `cause`.
 *
 * @internal
 */
export const readStartError = (error: PlatformError): StartFailure => {
  if (error._tag === "SystemError") {
    const errno = codeOf(error.cause) ?? /\b(E[A-Z0-9]+)$/.exec(error.description ?? "")?.[1]
    const lack = exhausted(errno) ?? refused(errno)
    if (lack !== undefined) return lack
    if (error.reason === "NotFound" || error.reason === "PermissionDenied") {
      return { _tag: "Unusable", reason: error.reason, detail: error.message }
    }
  }
  return { _tag: "Unusable", reason: "Unknown", detail: error.message }
}

/**
 * Reads what Node's `spawn()` threw, or `undefined` for any other defect. Node
 * emits only EACCES, EAGAIN, EMFILE, ENFILE and ENOENT as `error` events and
 * throws the rest (ENOMEM among them) from inside the executor's
 * `Effect.async`, where they surface as defects.
 *
 * @internal
 */
export const readSpawnThrow = (defect: unknown): StartFailure | undefined => {
  if (!(defect instanceof Error) || !("syscall" in defect) || defect.syscall !== "spawn") return undefined
  const errno = codeOf(defect)
  if (errno === undefined) return undefined
  return exhausted(errno) ?? refused(errno) ?? { _tag: "Unusable", reason: "Unknown", detail: defect.message }
}

/**
 * `the smolvm binary "<path>" was not found` (or is not executable, or could
 * not be started): what went wrong, without the spawn error's detail.
 *
 * @internal
 */
export const problem = (binary: string, reason: ClientNotFound["reason"], backend: Backend = "smolvm"): string => {
  const what = reason === "NotFound"
    ? "was not found"
    : reason === "PermissionDenied"
    ? "is not executable"
    : "could not be started"
  return `the ${backend} binary ${JSON.stringify(binary)} ${what}`
}
