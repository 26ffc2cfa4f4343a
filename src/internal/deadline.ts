/**
 * The one deadline of a provisioning or a verification: an instant on
 * Effect's `Clock`, taken once when the call starts. Every bound on its time is
 * read from it, at four points, each for a reason of its own:
 *
 * 1. The whole call (`enforce`, in `supervised.ts`): the caller's bound, over
 *    what no exec's timeout sees: the wait for the bottle's writer lock, the
 *    backoff between retries, the host's work between steps. When it fires,
 *    the runner reports the step in flight (`Runner.timedOut`).
 * 2. Each exec (`remaining`, given by the runner as the exec's `timeout`): what
 *    is left, so that the backend ends the command in the guest at the same
 *    instant (smolvm's `--timeout`; on Docker a kill inside the container).
 *    Interrupting the host's side alone would leave it running there, holding
 *    the config's lock.
 * 3. The backend's host margin (`request.hostDeadline`, smolvm): past the
 *    exec's timeout, a client that has not reported its own timeout is killed
 *    on the host. It lies after the deadline, so (1) fires first and a hung
 *    client cannot stretch the caller's bound.
 * 4. Before any of them, `request.timeoutProblem` refuses a timeout no timer can
 *    keep (under 1 ms, over 24 days), as the call's `InvalidRequest`.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The call's deadline passed (point 1). @internal */
export class TimedOut extends Data.TaggedError("TimedOut") {}

/** @internal */
export interface Deadline {
  /** The budget it was started with: what a timeout's message names. */
  readonly timeout: Duration.Duration
  /** When it passes, in `Clock.currentTimeMillis`. */
  readonly at: number
}

/** A deadline `timeout` from now. @internal */
export const start = (timeout: Duration.Duration): Effect.Effect<Deadline> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({ timeout, at: now + Duration.toMillis(timeout) }))

/**
 * What is left of `self`, at least 1 ms: a backend refuses a zero timeout, and
 * `enforce` fires at the same instant anyway.
 *
 * @internal
 */
export const remaining = (self: Deadline): Effect.Effect<Duration.Duration> =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(1, self.at - now)))

/** Fails `effect` with `TimedOut` when `self` passes. @internal */
export const enforce =
  (self: Deadline) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | TimedOut, R> =>
    Effect.flatMap(
      remaining(self),
      (left) => Effect.timeoutFail(effect, { duration: left, onTimeout: () => new TimedOut() })
    )
