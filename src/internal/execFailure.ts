/**
 * How a backend's exec fails, the same for every backend: the `ExecFailed`
 * shown to people (its output bounded and scrubbed of the exec's secrets) and
 * the reading of a client that could not be started.
 *
 * @internal
 */
import type * as Redacted from "effect/Redacted"
import { type Backend, ClientNotFound, ExecFailed } from "../SandboxError.js"
import type * as Binary from "./binary.js"
import type { Collector } from "./boundedOutput.js"
import { clientNotRunnable } from "./classify.js"
import { scrub } from "./redact.js"
import * as Shown from "./shown.js"

/**
 * The fields a failure adds to what the exec was. `transient` is the
 * classification's verdict on the raw output; absent, `ExecFailed` reads it
 * from the reason (and the shown stderr, for a reason that needs the words).
 *
 * @internal
 */
export type FailureFields =
  & Pick<ExecFailed, "reason">
  & Partial<Pick<ExecFailed, "exitCode" | "signal" | "detail" | "transient">>

/** @internal */
export interface ExecFailures {
  readonly failed: (fields: FailureFields) => ExecFailed
  readonly startFailed: (failure: Binary.StartFailure) => ExecFailed | ClientNotFound
  readonly unusable: (detail: string) => ClientNotFound
  /** The client's failure when the binary is no program at all: the host's shell ran it as a script and exited 127. */
  readonly notClient: (exitCode: number, stderr: string) => ClientNotFound | undefined
}

/**
 * The failures of one exec of `backend`'s client `binary`. `out` and `err` are
 * read when a failure is built, so a timeout still shows what the client had
 * printed by then.
 *
 * @internal
 */
export const make = (options: {
  readonly backend: Backend
  readonly binary: string
  readonly target: string
  readonly argv: ReadonlyArray<string>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly out: Collector
  readonly err: Collector
}): ExecFailures => {
  const { backend, binary, err, out, secrets } = options
  // Errors are shown to people: header-shaped values go too.
  const shown = (collector: Collector) => scrub(collector.result(secrets).text)
  const failed = (fields: FailureFields) =>
    new ExecFailed({
      target: options.target,
      argv: [...options.argv],
      stdout: shown(out),
      stderr: shown(err),
      backend,
      ...fields
    })
  return {
    failed,
    // A host out of processes or descriptors is worth a retry; arguments the kernel refuses are
    // this exec's fault; only a binary that cannot run at all is the client's.
    startFailed: (failure) =>
      failure._tag === "Exhausted"
        ? failed({ reason: "SpawnFailed", detail: failure.detail })
        : failure._tag === "Refused"
        ? failed({ reason: "InvalidRequest", detail: failure.detail })
        : new ClientNotFound({ binary, reason: failure.reason, detail: failure.detail, backend }),
    unusable: (detail) => new ClientNotFound({ binary, reason: "NotFound", detail, backend }),
    notClient: (exitCode, stderr) => {
      const line = clientNotRunnable(binary, exitCode, stderr)
      return line === undefined ? undefined : new ClientNotFound({
        binary,
        reason: "Unknown",
        detail: `it is not ${backend}: the host's shell ran it as a script, which failed (exit 127): ${
          Shown.escape(line.slice(0, 300))
        }`,
        backend
      })
    }
  }
}
