/**
 * bottle-supervise: register a bottle's supervise MCP sidecar in the agent's
 * Claude Code config inside a smolvm microVM.
 *
 * @since 0.1.0
 */

/**
 * The `Smolvm` service and its live and test layers.
 *
 * @since 0.1.0
 */
export * as Smolvm from "./Smolvm.js"

/**
 * Typed errors of `smolvm machine exec`.
 *
 * @since 0.1.0
 */
export * as SmolvmError from "./SmolvmError.js"

/**
 * smolvm machine-name validation.
 *
 * @since 0.1.0
 */
export * as MachineName from "./MachineName.js"

/**
 * The bottle plan schema.
 *
 * @since 0.1.0
 */
export * as SupervisePlan from "./SupervisePlan.js"

/**
 * Registration, reconciliation and verification.
 *
 * @since 0.1.0
 */
export * as ProvisionSupervise from "./ProvisionSupervise.js"

/**
 * Log annotations, an operator logger and a capture helper.
 *
 * @since 0.1.0
 */
export * as Logger from "./Logger.js"
