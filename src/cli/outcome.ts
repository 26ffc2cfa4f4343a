/**
 * Printing an outcome: one sentence for people or the encoded outcome as JSON,
 * and a failure when it is not a success so the process exits 1. A failed
 * exec is shown by its step and command (`FailedExec.shorten`), in both.
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as ProvisionSupervise from "../ProvisionSupervise.js"
import { ExecFailed } from "../SandboxError.js"
import type * as VerifySupervise from "../VerifySupervise.js"
import { OutcomeNotOk } from "./errors.js"
import type * as FailedExec from "./failedExec.js"

const plural = (n: number) => `${n} exec${n === 1 ? "" : "s"}`

/** How a command names the step of a failed exec. @internal */
export type Shorten = (error: ExecFailed) => FailedExec.Short

const failed = (outcome: ProvisionSupervise.Failed, shorten: Shorten): string =>
  `Failed: ${outcome.error.message} (${plural(outcome.execs)})\n` +
  `Failed step: ${shorten(outcome.error).text}\n` +
  `Register by hand inside the bottle, as the agent user: ${outcome.hint}`

/** @internal */
export const describeProvision = (outcome: ProvisionSupervise.ProvisionOutcome, shorten: Shorten): string => {
  switch (outcome._tag) {
    case "Skipped":
      return `Skipped: supervise is off for ${outcome.target}`
    case "Registered":
      return `Registered: ${outcome.serverName} → ${outcome.url} in ${outcome.target} (${plural(outcome.execs)})`
    case "Unchanged":
      return `Unchanged: ${outcome.serverName} → ${outcome.url} was already registered in ${outcome.target} (${
        plural(outcome.execs)
      })`
    case "Replaced":
      return `Replaced: ${outcome.serverName} → ${outcome.url} in ${outcome.target}${
        outcome.previousUrl === undefined ? "" : `, was ${outcome.previousUrl}`
      } (changed: ${outcome.changed.join(", ")}; ${plural(outcome.execs)})`
    case "Failed":
      return failed(outcome, shorten)
  }
}

/** @internal */
export const describeVerify = (outcome: VerifySupervise.VerifyOutcome, shorten: Shorten): string => {
  switch (outcome._tag) {
    case "Skipped":
      return `Skipped: supervise is off for ${outcome.target}`
    case "Connected":
      return `Connected: the agent in ${outcome.target} reaches ${outcome.serverName} at ${
        outcome.registeredUrl ?? outcome.url
      }`
    case "Unreachable":
      return `Unreachable: the agent in ${outcome.target} cannot use ${outcome.serverName}${
        outcome.registeredUrl === undefined ? "" : ` (registered as ${outcome.registeredUrl})`
      }: ${outcome.reason}`
    case "NotRegistered":
      return `NotRegistered: the agent's config in ${outcome.target} has no MCP server named ${outcome.serverName}; ` +
        `run bottle-supervise provision`
    case "Failed":
      return failed(outcome, shorten)
  }
}

// Skipped never reaches here: the CLI's plan always has a supervisePlan (--url is required).
const OK_TAGS: ReadonlySet<string> = new Set(["Registered", "Unchanged", "Replaced", "Connected"])

/**
 * The encoded `Failed`, its error's argv shortened and its step named: the
 * outcome Schema's encoding otherwise, so it decodes with it.
 */
const encodeFailed = (outcome: ProvisionSupervise.Failed, shorten: Shorten) =>
  Effect.gen(function*() {
    const short = shorten(outcome.error)
    const shown = new ProvisionSupervise.Failed({
      ...outcome,
      error: new ExecFailed({ ...outcome.error, argv: [...short.argv] })
    })
    const encoded = yield* Schema.encode(ProvisionSupervise.Failed)(shown)
    return short.step === undefined ? encoded : { ...encoded, error: { ...encoded.error, step: short.step } }
  })

/**
 * Prints `outcome` on stdout and fails with `OutcomeNotOk` unless it is a
 * success.
 *
 * @internal
 */
export const report = <A extends ProvisionSupervise.ProvisionOutcome | VerifySupervise.VerifyOutcome, I>(
  outcome: A,
  schema: Schema.Schema<A, I>,
  json: boolean,
  describe: (outcome: A, shorten: Shorten) => string,
  shorten: Shorten
): Effect.Effect<void, OutcomeNotOk> =>
  Effect.gen(function*() {
    if (json) {
      const encoded = outcome instanceof ProvisionSupervise.Failed
        ? yield* Effect.orDie(encodeFailed(outcome, shorten))
        : yield* Effect.orDie(Schema.encode(schema)(outcome))
      yield* Console.log(JSON.stringify(encoded))
    } else {
      yield* Console.log(describe(outcome, shorten))
    }
    if (!OK_TAGS.has(outcome._tag)) return yield* new OutcomeNotOk({ outcome: outcome._tag })
  })
