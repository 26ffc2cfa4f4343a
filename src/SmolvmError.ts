/**
 * The errors of `smolvm machine exec`, kept under their 0.1 module name. They
 * are the backend-neutral errors of `SandboxError` since 0.2.
 *
 * @since 0.1.0
 */
import { ClientNotFound, ExecFailed, ExecFailureReason } from "./SandboxError.js"

export {
  /**
   * See `SandboxError.ExecFailed`.
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import { SmolvmError } from "bottle-supervise"
   *
   * const retry = (error: SmolvmError.ExecFailed) => error.transient
   */
  ExecFailed,
  /**
   * See `SandboxError.ExecFailureReason`.
   *
   * @since 0.1.0
   * @category models
   * @example
   * import { SmolvmError } from "bottle-supervise"
   * import { Schema } from "effect"
   *
   * Schema.is(SmolvmError.ExecFailureReason)("Timeout") // true
   */
  ExecFailureReason
}

/**
 * The 0.1 name of `SandboxError.ClientNotFound`. Since 0.2 its `_tag` is
 * `"ClientNotFound"` for every backend: handle it with
 * `Effect.catchTag("ClientNotFound", …)`.
 *
 * @since 0.1.0
 * @category errors
 * @deprecated Use `SandboxError.ClientNotFound`.
 * @example
 * import { SmolvmError } from "bottle-supervise"
 *
 * new SmolvmError.SmolvmNotFound({ binary: "smolvm", reason: "NotFound", detail: "spawn smolvm ENOENT" })._tag
 * // "ClientNotFound"
 */
export const SmolvmNotFound = ClientNotFound

/**
 * The 0.1 name of `SandboxError.ClientNotFound`.
 *
 * @since 0.1.0
 * @category errors
 * @deprecated Use `SandboxError.ClientNotFound`.
 * @example
 * import type { SmolvmError } from "bottle-supervise"
 *
 * const binaryOf = (error: SmolvmError.SmolvmNotFound) => error.binary
 */
export type SmolvmNotFound = ClientNotFound
