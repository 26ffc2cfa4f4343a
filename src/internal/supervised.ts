/**
 * The frame provisioning and verification share: `Skipped` without a
 * supervise plan; checks before any exec; one deadline over everything the
 * body does, retries and lock waits included; every guest problem turned into
 * a warned `Failed` with the manual hint.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { LogKeys } from "../Logger.js"
import type { Sandbox } from "../Sandbox.js"
import { type ClientNotFound, ExecFailed } from "../SandboxError.js"
import type { AgentPlan, SmolmachinesBottlePlan, SupervisePlan } from "../SupervisePlan.js"
import { agentOf } from "./agents/registry.js"
import * as Deadline from "./deadline.js"
import { Failed, Skipped } from "./outcomes.js"
import { timeoutProblem } from "./request.js"
import * as Runner from "./runner.js"
import * as Shown from "./shown.js"

/** The retry schedule for transient sandbox errors when the caller gives none. @internal */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(2)))
)

/** What a caller may bound and retry. @internal */
export interface Options {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, ExecFailed | ClientNotFound> | undefined
}

const trimmed = (text: string, max = 1000): string => {
  const t = text.trim()
  return t.length <= max ? t : `…${t.slice(t.length - max)}`
}

/** The warning's words: exit code and guest output where there was an exit. */
/** @internal */
export const failureWords = (error: ExecFailed): string =>
  error.exitCode !== undefined && (error.reason === "NonZeroExit" || error.reason === "GuestSignal")
    ? `exit ${error.exitCode}: ${Shown.escape(trimmed(error.stderr) || trimmed(error.stdout) || "(no output)")}`
    : error.message

/** @internal */
export const secretsOf = (plan: SupervisePlan): ReadonlyArray<Redacted.Redacted<string>> =>
  plan.token === undefined ? [] : [plan.token]

/** @internal */
export const logAnnotations = (plan: SmolmachinesBottlePlan, target: string): Record<string, string> =>
  plan.supervisePlan === undefined
    ? { [LogKeys.target]: target }
    : {
      [LogKeys.target]: target,
      [LogKeys.server]: plan.supervisePlan.serverName,
      [LogKeys.url]: plan.supervisePlan.agentUrl
    }

/**
 * Why the call cannot start, before any exec: a timeout it cannot keep. The
 * target is checked by the sandbox's own exec, by its backend's rule (a
 * smolvm machine name, a container name), before any process.
 */
const invalidCall = (
  target: string,
  argv: ReadonlyArray<string>,
  timeout: Duration.DurationInput | undefined
): ExecFailed | undefined => {
  const badTimeout = timeoutProblem(timeout)
  return badTimeout === undefined
    ? undefined
    : new ExecFailed({ target, argv: [...argv], reason: "InvalidRequest", stdout: "", stderr: "", detail: badTimeout })
}

/** What one provisioning or verification knows once the plan is checked. */
/** @internal */
export interface Session {
  readonly target: string
  readonly supervise: SupervisePlan
  readonly agent: AgentPlan
  readonly base: { readonly target: string; readonly serverName: string; readonly url: string }
  readonly runner: Runner.Runner
}

/**
 * The frame both operations share: `Skipped` without a supervise plan; checks
 * before any exec; one deadline over everything `body` does, retries and lock
 * waits included; every guest problem turned into a warned `Failed`.
 */
export const supervised = <A>(
  plan: SmolmachinesBottlePlan,
  target: string,
  options: Options | undefined,
  spec: {
    readonly defaultTimeout: Duration.Duration
    readonly firstArgv: (agent: AgentPlan, supervise: SupervisePlan) => ReadonlyArray<string>
    readonly warning: (error: ExecFailed, session: { readonly agent: AgentPlan; readonly hint: string }) => string
    readonly body: (session: Session) => Effect.Effect<A, ExecFailed | ClientNotFound>
  }
): Effect.Effect<A | Skipped | Failed, ClientNotFound, Sandbox> =>
  Effect.gen(function*() {
    const supervise = plan.supervisePlan
    if (supervise === undefined) return new Skipped({ target })
    const agent = plan.agent
    const base = { target, serverName: supervise.serverName, url: supervise.agentUrl }
    const hint = agentOf(agent.kind).manualHint(agent, supervise)
    const firstArgv = spec.firstArgv(agent, supervise)
    yield* Effect.annotateCurrentSpan({ [LogKeys.target]: target, [LogKeys.url]: supervise.agentUrl })

    const fail = (error: ExecFailed, execs: number) =>
      Effect.as(Effect.logWarning(spec.warning(error, { agent, hint })), new Failed({ ...base, execs, error, hint }))
    const invalid = invalidCall(target, firstArgv, options?.timeout)
    if (invalid !== undefined) return yield* fail(invalid, 0)

    const deadline = yield* Deadline.start(Duration.decode(options?.timeout ?? spec.defaultTimeout))
    const runner = yield* Runner.make({
      target,
      deadline,
      retry: options?.retry ?? defaultRetry,
      secrets: secretsOf(supervise),
      firstArgv,
      user: agent.user
    })
    const failWithExecs = (error: ExecFailed) => Effect.flatMap(runner.execs, (n) => fail(error, n))
    return yield* spec.body({ target, supervise, agent, base, runner }).pipe(
      Deadline.enforce(deadline),
      Effect.catchTags({
        TimedOut: () => Effect.flatMap(runner.timedOut, failWithExecs),
        ExecFailed: failWithExecs
      })
    )
  })
