/**
 * What `provision` and `verify` do once their flags are parsed: resolve the
 * plan, then either render the dry run of the library's steps or run the
 * library on the backend the flags chose and report.
 *
 * @internal
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
// The library's own default deadlines: the `--timeout` a dry run shows when none was given.
import type { Step as AgentStep } from "../internal/agents/agent.js"
import { agentOf } from "../internal/agents/registry.js"
import * as Defaults from "../internal/defaults.js"
import * as ProvisionSupervise from "../ProvisionSupervise.js"
import type { ClientNotFound } from "../SandboxError.js"
import * as VerifySupervise from "../VerifySupervise.js"
import * as Backend from "./backend.js"
import * as DryRun from "./dryRun.js"
import type { OutcomeNotOk, PlanError } from "./errors.js"
import * as FailedExec from "./failedExec.js"
import type { PlanFlags } from "./flags.js"
import * as Outcome from "./outcome.js"
import * as Plan from "./plan.js"

/** How a failed exec of one of `steps` is named in the output. */
const shortener = (steps: ReadonlyArray<AgentStep>): Outcome.Shorten => (error) => FailedExec.shorten(error, steps)

/** @internal */
export const provision = (
  flags: PlanFlags
): Effect.Effect<void, PlanError | OutcomeNotOk | ClientNotFound, CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const resolved = yield* Plan.resolve(flags)
    const { plan, supervise, target, timeout } = resolved
    const steps = agentOf(plan.agent.kind).provisionSteps(plan.agent, supervise)
    if (flags.dryRun) {
      return yield* DryRun.print(
        "provision",
        target.backend,
        yield* DryRun.steps(resolved, steps, flags.tokenEnv, Defaults.PROVISION_TIMEOUT),
        flags.json
      )
    }
    const outcome = yield* Backend.provide(
      target.backend,
      ProvisionSupervise.provisionSupervise(plan, target.name, timeout === undefined ? {} : { timeout })
    )
    return yield* Outcome.report(
      outcome,
      ProvisionSupervise.ProvisionOutcome,
      flags.json,
      Outcome.describeProvision,
      shortener(steps)
    )
  })

/** @internal */
export const verify = (
  flags: PlanFlags
): Effect.Effect<void, PlanError | OutcomeNotOk | ClientNotFound, CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const resolved = yield* Plan.resolve(flags)
    const { plan, supervise, target, timeout } = resolved
    const steps = agentOf(plan.agent.kind).verifySteps(plan.agent, supervise)
    if (flags.dryRun) {
      return yield* DryRun.print(
        "verify",
        target.backend,
        yield* DryRun.steps(resolved, steps, flags.tokenEnv, Defaults.VERIFY_TIMEOUT),
        flags.json
      )
    }
    const outcome = yield* Backend.provide(
      target.backend,
      VerifySupervise.verifySupervise(plan, target.name, timeout === undefined ? {} : { timeout })
    )
    return yield* Outcome.report(
      outcome,
      VerifySupervise.VerifyOutcome,
      flags.json,
      Outcome.describeVerify,
      shortener(steps)
    )
  })
