/**
 * Register a bottle's supervise sidecar in the agent's user-level config
 * (Claude Code, Codex, Gemini CLI or Copilot CLI: the plan's `agent.kind`),
 * through the sandbox's exec (`Sandbox`: smolvm or Docker).
 *
 * Registration reconciles under a writer lock taken inside the guest: a first
 * registration is one exec and one start of the agent's CLI (`claude mcp add`
 * as the agent user, for Claude Code); a relaunch reads the config the CLI
 * uses (tokens scrubbed in the guest) and is `Unchanged` with no CLI start
 * when URL and headers match, or replaces the entry (on a copy, renamed into
 * place) in a second exec when they do not. State is never read through a
 * CLI's `mcp get/list`, which health-check every server and can hang.
 * Verification lives in `VerifySupervise` (re-exported here for 0.1 callers).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { agentOf } from "./internal/agents/registry.js"
import * as Defaults from "./internal/defaults.js"
import * as MachineLocks from "./internal/machineLocks.js"
import { Failed, Registered, Replaced, Skipped, Unchanged } from "./internal/outcomes.js"
import { logOutcome, reconcile } from "./internal/reconcile.js"
import * as Supervised from "./internal/supervised.js"
import type { Sandbox } from "./Sandbox.js"
import type { ClientNotFound, ExecFailed } from "./SandboxError.js"
import type { AgentPlan, SmolmachinesBottlePlan, SupervisePlan } from "./SupervisePlan.js"

export {
  /**
   * Registration did not happen. Logged as a warning; the bottle still works,
   * without the supervise tools, until someone runs `hint` inside it as the agent
   * user.
   *
   * @since 0.1.0
   * @category outcomes
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const tellOperator = (outcome: ProvisionSupervise.Failed) =>
   *   `${outcome.error.message}${outcome.error.transient ? " (may pass on a retry)" : ""}; by hand: ${outcome.hint}`
   */
  Failed,
  /**
   * The entry was added (first registration).
   *
   * @since 0.1.0
   * @category outcomes
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const firstTime = (outcome: ProvisionSupervise.ProvisionOutcome): outcome is ProvisionSupervise.Registered =>
   *   outcome._tag === "Registered"
   */
  Registered,
  /**
   * An entry under the same name differed (another URL, another token, another
   * transport) and was replaced; every other server and key was kept.
   *
   * `changed` is empty when the entry was rewritten without comparing: the
   * agent's config was over the capture bound even in part, or too large to read
   * whole (over 4 MiB) and not laid out as Claude Code writes it, so its
   * `mcpServers` could not be cut out.
   *
   * @since 0.1.0
   * @category outcomes
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const tokenRotated = (outcome: ProvisionSupervise.Replaced) => outcome.changed.includes("headers")
   */
  Replaced,
  /**
   * The plan has no `supervisePlan`: supervise is off for this bottle and
   * nothing ran. An outcome rather than an error, so a launcher can provision
   * every bottle the same way.
   *
   * @since 0.1.0
   * @category outcomes
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * new ProvisionSupervise.Skipped({ target: "bottle-1" })._tag // "Skipped"
   */
  Skipped,
  /**
   * An entry with the same transport, URL and headers was already there, so a
   * relaunch writes nothing.
   *
   * @since 0.1.0
   * @category outcomes
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const outcome = new ProvisionSupervise.Unchanged({
   *   target: "bottle-1",
   *   serverName: "supervise",
   *   url: "http://127.0.0.1:4318/",
   *   execs: 2
   * })
   */
  Unchanged
}

/**
 * What `provisionSupervise` reports, as a Schema so a launcher can encode it
 * (for JSON logs, say) and decode it back.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * const toJson = Schema.encodeSync(ProvisionSupervise.ProvisionOutcome)
 */
export const ProvisionOutcome = Schema.Union(Skipped, Registered, Unchanged, Replaced, Failed)

/**
 * One of `Skipped`, `Registered`, `Unchanged`, `Replaced`, `Failed`: switch
 * on `_tag`.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const describe = (outcome: ProvisionSupervise.ProvisionOutcome) => {
 *   switch (outcome._tag) {
 *     case "Failed":
 *       return `failed: ${outcome.error.message}`
 *     default:
 *       return outcome._tag
 *   }
 * }
 */
export type ProvisionOutcome = typeof ProvisionOutcome.Type

/**
 * - `timeout`: bounds the whole call, retries and the wait behind another
 *   provisioning of the same bottle included (default 60 seconds, at most 24
 *   days). At the
 *   deadline the smolvm client is killed (SIGTERM, then SIGKILL after the
 *   layer's kill grace) and the outcome is `Failed` with reason `Timeout`,
 *   carrying smolvm's last words. The call returns once the client is gone:
 *   at most about twice the kill grace past the deadline (1 s by default).
 * - `retry`: schedule for transient smolvm errors (the agent answers "is not
 *   running" for a moment after boot). Default: exponential from 100 ms,
 *   capped at 2 s per wait, within the timeout.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schedule } from "effect"
 *
 * const options: ProvisionSupervise.ProvisionOptions = {
 *   timeout: "2 minutes",
 *   retry: Schedule.spaced("500 millis")
 * }
 */
export interface ProvisionOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, ExecFailed | ClientNotFound> | undefined
}

/**
 * The default retry schedule for transient smolvm errors.
 *
 * @since 0.1.0
 * @category retry
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schedule } from "effect"
 *
 * const patient = ProvisionSupervise.defaultRetry.pipe(Schedule.intersect(Schedule.recurs(20)))
 */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = Supervised.defaultRetry

/**
 * The command an operator pastes into a shell inside the bottle, as the agent
 * user, to register the sidecar by hand. Shell-quoted; a token is referenced as
 * `"$SUPERVISE_TOKEN"`, never written out.
 *
 * @since 0.1.0
 * @category hints
 * @example
 * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
 *
 * const plan = SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make("http://127.0.0.1:4318/") })
 * ProvisionSupervise.manualHint(SupervisePlan.makeAgentPlan({}), plan)
 * // "claude mcp remove --scope user supervise 2>/dev/null; claude mcp add --scope user --transport http supervise http://127.0.0.1:4318/"
 */
export const manualHint = (agent: AgentPlan, plan: SupervisePlan): string => agentOf(agent.kind).manualHint(agent, plan)

/**
 * Registers the plan's supervise sidecar in the user-level config of the
 * plan's agent (`agent.kind`) inside `target`, as the agent user, and reports
 * what it did.
 *
 * Never fails on a guest problem: those are `Failed` outcomes, logged as
 * warnings with a manual hint. Only a missing or unexecutable smolvm binary
 * fails the effect, since no bottle can be provisioned then. Concurrent calls
 * for one target run one after another; the wait counts against `timeout`.
 *
 * @since 0.1.0
 * @category provisioning
 * @example
 * import { ProvisionSupervise, Smolvm, SupervisePlan } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const plan = yield* SupervisePlan.decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } })
 *   return yield* ProvisionSupervise.provisionSupervise(plan, "bottle-1", { timeout: "30 seconds" })
 * }).pipe(Effect.provide(Smolvm.layer.pipe(Layer.provide(NodeContext.layer))))
 */
export const provisionSupervise: (
  plan: SmolmachinesBottlePlan,
  target: string,
  options?: ProvisionOptions
) => Effect.Effect<ProvisionOutcome, ClientNotFound, Sandbox> = Effect.fn("ProvisionSupervise.provisionSupervise")(
  (plan: SmolmachinesBottlePlan, target: string, options?: ProvisionOptions) =>
    Supervised.supervised(plan, target, options, {
      defaultTimeout: Defaults.PROVISION_TIMEOUT,
      firstArgv: (agent, supervise) => agentOf(agent.kind).ensureArgv(agent, supervise),
      warning: (error, { agent, hint }) =>
        `registering the ${plan.supervisePlan?.serverName} MCP server failed (${Supervised.failureWords(error)}). ` +
        `Inside the bottle, as ${agent.user}, register manually with: ${hint}`,
      body: (session) =>
        Effect.zipRight(
          Effect.logInfo(
            `registering supervise MCP server in agent ${
              agentOf(session.agent.kind).cli
            } config on ${target} → ${session.supervise.agentUrl}`
          ),
          // The deadline covers the wait for the bottle's writer lock too: a launcher gets an
          // outcome in bounded time even behind a stuck provisioning of the same bottle.
          MachineLocks.exclusive(target)(Effect.flatMap(reconcile(session), logOutcome(agentOf(session.agent.kind))))
        )
    }),
  (effect, plan, target) => Effect.annotateLogs(effect, Supervised.logAnnotations(plan, target))
)

export {
  /**
   * See `VerifySupervise.Connected`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const reachedAt = (outcome: ProvisionSupervise.Connected) => outcome.registeredUrl ?? outcome.url
   */
  Connected,
  /**
   * See `VerifySupervise.NotRegistered`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const missing = (outcome: ProvisionSupervise.VerifyOutcome): outcome is ProvisionSupervise.NotRegistered =>
   *   outcome._tag === "NotRegistered"
   */
  NotRegistered,
  /**
   * See `VerifySupervise.Unreachable`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   *
   * const why = (outcome: ProvisionSupervise.Unreachable) => outcome.reason
   */
  Unreachable,
  /**
   * See `VerifySupervise.VerifyOptions`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import type { ProvisionSupervise } from "bottle-supervise"
   *
   * const options: ProvisionSupervise.VerifyOptions = { timeout: "45 seconds" }
   */
  type VerifyOptions,
  /**
   * See `VerifySupervise.VerifyOutcome`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { ProvisionSupervise } from "bottle-supervise"
   * import { Schema } from "effect"
   *
   * const toJson = Schema.encodeSync(ProvisionSupervise.VerifyOutcome)
   */
  VerifyOutcome,
  /**
   * See `VerifySupervise.verifySupervise`; kept here for 0.1 callers.
   *
   * @since 0.1.0
   * @category verification
   * @example
   * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
   *
   * const check = (plan: SupervisePlan.SmolmachinesBottlePlan) => ProvisionSupervise.verifySupervise(plan, "bottle-1")
   */
  verifySupervise
} from "./VerifySupervise.js"
