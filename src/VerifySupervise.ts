/**
 * Check that the agent really reaches the supervise sidecar: the agent's own
 * health check where its CLI has one that connects (`claude mcp get`,
 * `gemini mcp list`), else its stored entry and an MCP `initialize` sent to
 * the URL from inside the guest (Codex, Copilot CLI), run in the guest as the
 * agent user, read into an outcome that says which (`checkedBy`).
 *
 * @since 0.2.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { agentOf } from "./internal/agents/registry.js"
import * as Defaults from "./internal/defaults.js"
import { Connected, Failed, NotRegistered, Skipped, Unreachable } from "./internal/outcomes.js"
import * as Supervised from "./internal/supervised.js"
import { check } from "./internal/verify.js"
import { LogKeys } from "./Logger.js"
import type { Sandbox } from "./Sandbox.js"
import type { ClientNotFound, ExecFailed } from "./SandboxError.js"
import type { SmolmachinesBottlePlan } from "./SupervisePlan.js"

export {
  /**
   * The agent's health check reports a live MCP connection to the planned
   * sidecar URL.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { VerifySupervise } from "bottle-supervise"
   *
   * const reachedAt = (outcome: VerifySupervise.Connected) => outcome.registeredUrl ?? outcome.url
   */
  Connected,
  /**
   * The agent's config has no server under the plan's name, so the agent will
   * not see the supervise tools until the bottle is provisioned.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { VerifySupervise } from "bottle-supervise"
   *
   * const needsProvisioning = (outcome: VerifySupervise.VerifyOutcome) => outcome._tag === "NotRegistered"
   */
  NotRegistered,
  /**
   * The agent cannot reach the planned sidecar: the server is registered but the
   * agent could not connect (`reason` is the CLI's own words, scrubbed of
   * credentials), or it is registered under another URL.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { VerifySupervise } from "bottle-supervise"
   *
   * const stale = (outcome: VerifySupervise.Unreachable) =>
   *   outcome.registeredUrl !== undefined && outcome.registeredUrl !== outcome.url
   */
  Unreachable
}

/**
 * What `verifySupervise` reports, as a Schema so it can be encoded for output.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { VerifySupervise } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * const toJson = Schema.encodeSync(VerifySupervise.VerifyOutcome)
 */
export const VerifyOutcome = Schema.Union(Skipped, Connected, Unreachable, NotRegistered, Failed)

/**
 * One of `Skipped`, `Connected`, `Unreachable`, `NotRegistered`, `Failed`.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { VerifySupervise } from "bottle-supervise"
 *
 * const ok = (outcome: VerifySupervise.VerifyOutcome) => outcome._tag === "Connected"
 */
export type VerifyOutcome = typeof VerifyOutcome.Type

/**
 * - `timeout`: bounds the whole check (default 90 seconds: the CLI's own
 *   check can take a minute against a port that accepts and never answers).
 * - `retry`: schedule for transient smolvm errors, as for provisioning.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { VerifySupervise } from "bottle-supervise"
 *
 * const options: VerifySupervise.VerifyOptions = { timeout: "45 seconds" }
 */
export interface VerifyOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, ExecFailed | ClientNotFound> | undefined
}

/**
 * Runs the agent's own health check (`claude mcp get` for Claude Code; see
 * the module's description for the others) inside the guest, as the agent
 * user with the agent's HOME and config directory, and reports
 * whether the agent can reach the sidecar. Use it after provisioning or to
 * diagnose, never on a hot path: it opens a real MCP connection.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { SupervisePlan, VerifySupervise } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const check = (plan: SupervisePlan.SmolmachinesBottlePlan) =>
 *   VerifySupervise.verifySupervise(plan, "bottle-1", { timeout: "45 seconds" }).pipe(
 *     Effect.map((outcome) => outcome._tag === "Connected")
 *   )
 */
export const verifySupervise: (
  plan: SmolmachinesBottlePlan,
  target: string,
  options?: VerifyOptions
) => Effect.Effect<VerifyOutcome, ClientNotFound, Sandbox> = Effect.fn("VerifySupervise.verifySupervise")(
  (plan: SmolmachinesBottlePlan, target: string, options?: VerifyOptions) =>
    Supervised.supervised(plan, target, options, {
      defaultTimeout: Defaults.VERIFY_TIMEOUT,
      firstArgv: (agent, supervise) => agentOf(agent.kind).verifyArgv(agent, supervise),
      warning: (error) => `could not check the supervise MCP server on ${target}: ${error.message}`,
      body: (session) =>
        Effect.tap(
          check(session),
          (outcome) =>
            Effect.logInfo(`supervise MCP server on ${target}: ${outcome._tag}`).pipe(
              Effect.annotateLogs(LogKeys.outcome, outcome._tag)
            )
        )
    }),
  (effect, plan, target) => Effect.annotateLogs(effect, Supervised.logAnnotations(plan, target))
)
