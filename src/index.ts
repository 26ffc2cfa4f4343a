/**
 * bottle-supervise: register a bottle's supervise MCP sidecar in the coding
 * agent's config (Claude Code, Codex, Gemini CLI, Copilot CLI) inside a
 * smolvm microVM or a Docker container.
 *
 * Each module is also importable on its own, as `bottle-supervise/<Module>`;
 * the CLI is only there (`bottle-supervise/Cli`): importing the library does
 * not load `@effect/cli`.
 *
 * @since 0.1.0
 */

/**
 * The `Smolvm` service and its live and test layers.
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const SmolvmLive = Smolvm.layer.pipe(Layer.provide(NodeContext.layer))
 */
export * as Smolvm from "./Smolvm.js"

/**
 * The backend-neutral `Sandbox` service that provisioning needs, provided by
 * `Smolvm.layer` and `Docker.layer`.
 *
 * @since 0.2.0
 * @category modules
 * @example
 * import { Sandbox } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const backend = Effect.map(Sandbox.Sandbox, (sandbox) => sandbox.backend)
 */
export * as Sandbox from "./Sandbox.js"

/**
 * The `Docker` service (`docker exec` in a running container) and its live
 * layers, which also provide `Sandbox`.
 *
 * @since 0.2.0
 * @category modules
 * @example
 * import { Docker } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const DockerLive = Docker.layer.pipe(Layer.provide(NodeContext.layer))
 */
export * as Docker from "./Docker.js"

/**
 * Typed errors of an exec in any sandbox: `ExecFailed`, `ClientNotFound`.
 *
 * @since 0.2.0
 * @category modules
 * @example
 * import { SandboxError } from "bottle-supervise"
 *
 * const retry = (error: SandboxError.ExecFailed) => error.transient
 */
export * as SandboxError from "./SandboxError.js"

/**
 * Typed errors of `smolvm machine exec`.
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { SmolvmError } from "bottle-supervise"
 *
 * const retry = (error: SmolvmError.ExecFailed) => error.transient
 */
export * as SmolvmError from "./SmolvmError.js"

/**
 * smolvm machine-name validation.
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { MachineName } from "bottle-supervise"
 *
 * MachineName.problem("bottle-1") // undefined
 */
export * as MachineName from "./MachineName.js"

/**
 * The bottle plan schema.
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const plan = SupervisePlan.decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } })
 */
export * as SupervisePlan from "./SupervisePlan.js"

/**
 * Registration and reconciliation (and, for 0.1 callers, verification).
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const provision = (plan: SupervisePlan.SmolmachinesBottlePlan) =>
 *   ProvisionSupervise.provisionSupervise(plan, "bottle-1").pipe(Effect.map((outcome) => outcome._tag))
 */
export * as ProvisionSupervise from "./ProvisionSupervise.js"

/**
 * Verification: the agent's own health check, read into an outcome.
 *
 * @since 0.2.0
 * @category modules
 * @example
 * import { SupervisePlan, VerifySupervise } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const connected = (plan: SupervisePlan.SmolmachinesBottlePlan) =>
 *   VerifySupervise.verifySupervise(plan, "bottle-1").pipe(Effect.map((outcome) => outcome._tag === "Connected"))
 */
export * as VerifySupervise from "./VerifySupervise.js"

/**
 * Log annotations, an operator logger and a capture helper.
 *
 * @since 0.1.0
 * @category modules
 * @example
 * import { Logger } from "bottle-supervise"
 *
 * Logger.LogKeys.outcome // "supervise.outcome"
 */
export * as Logger from "./Logger.js"
