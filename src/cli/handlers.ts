/**
 * What `provision` and `verify` do once their flags are parsed: resolve the
 * plan, then either render the dry run or run the library and report.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ProvisionSupervise from "../ProvisionSupervise.js"
import type { Sandbox } from "../Sandbox.js"
import type { ClientNotFound } from "../SandboxError.js"
import * as Guest from "../internal/guest.js"
import * as DryRun from "./dryRun.js"
import type { OutcomeNotOk, PlanError } from "./errors.js"
import type { PlanFlags } from "./flags.js"
import * as Outcome from "./outcome.js"
import * as Plan from "./plan.js"

// The library's default deadlines, for the `--timeout` a dry run shows when none was given.
const PROVISION_TIMEOUT = Duration.seconds(60)
const VERIFY_TIMEOUT = Duration.seconds(90)

/** @internal */
export const provision = (flags: PlanFlags): Effect.Effect<void, PlanError | OutcomeNotOk | ClientNotFound, Sandbox> =>
  Effect.gen(function*() {
    const resolved = yield* Plan.resolve(flags)
    const { plan, supervise, target, timeout } = resolved
    if (flags.dryRun) {
      const steps = yield* DryRun.steps(resolved, [
        ["register: always runs (claude mcp add, as the agent user)", Guest.addArgv(plan.agent, supervise), true],
        [
          "only when the entry already exists: read the agent's config",
          Guest.readConfigArgv(plan.agent, supervise),
          false
        ],
        [
          "only when the stored entry differs: replace it (claude mcp remove + add)",
          Guest.replaceArgv(plan.agent, supervise),
          true
        ]
      ], flags.tokenEnv, PROVISION_TIMEOUT)
      return yield* DryRun.print("provision", steps, flags.json)
    }
    const outcome = yield* ProvisionSupervise.provisionSupervise(plan, target, timeout === undefined ? {} : { timeout })
    return yield* Outcome.report(outcome, ProvisionSupervise.ProvisionOutcome, flags.json, Outcome.describeProvision)
  })

/** @internal */
export const verify = (flags: PlanFlags): Effect.Effect<void, PlanError | OutcomeNotOk | ClientNotFound, Sandbox> =>
  Effect.gen(function*() {
    const resolved = yield* Plan.resolve(flags)
    const { plan, supervise, target, timeout } = resolved
    if (flags.dryRun) {
      const steps = yield* DryRun.steps(resolved, [
        [
          "check: the agent's own health check (claude mcp get, as the agent user)",
          Guest.getArgv(plan.agent, supervise),
          false
        ]
      ], flags.tokenEnv, VERIFY_TIMEOUT)
      return yield* DryRun.print("verify", steps, flags.json)
    }
    const outcome = yield* ProvisionSupervise.verifySupervise(plan, target, timeout === undefined ? {} : { timeout })
    return yield* Outcome.report(outcome, ProvisionSupervise.VerifyOutcome, flags.json, Outcome.describeVerify)
  })
