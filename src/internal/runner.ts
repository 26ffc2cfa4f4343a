/**
 * A bounded run of guest commands for one provisioning or verification: every
 * exec gets what is left of the call's `Deadline` as its own timeout, transient
 * smolvm errors are retried, the plan's token is scrubbed from every failure,
 * and what a timeout should report (the step in flight, smolvm's last words) is
 * kept.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Schedule from "effect/Schedule"
import { Sandbox } from "../Sandbox.js"
import type { ExecResult } from "../Sandbox.js"
import { type ClientNotFound, ExecFailed } from "../SandboxError.js"
import * as Deadline from "./deadline.js"
import { scrub } from "./redact.js"

/** @internal */
export interface Runner {
  /** One step: an exec, retried while its failure is transient. */
  readonly exec: (
    argv: ReadonlyArray<string>,
    secretEnv?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  ) => Effect.Effect<ExecResult, ExecFailed | ClientNotFound>
  /** Execs so far, retries included; not those refused before any process started. */
  readonly execs: Effect.Effect<number>
  /** The failure to report at the deadline: the step in flight, with smolvm's last transient words. */
  readonly timedOut: Effect.Effect<ExecFailed>
}

const scrubFailure = (error: ExecFailed, secrets: ReadonlyArray<Redacted.Redacted<string>>): ExecFailed =>
  secrets.length === 0 ? error : new ExecFailed({
    ...error,
    argv: error.argv,
    stdout: scrub(error.stdout, secrets),
    stderr: scrub(error.stderr, secrets)
  })

/** @internal */
export const make = (options: {
  readonly target: string
  readonly deadline: Deadline.Deadline
  readonly retry: Schedule.Schedule<unknown, ExecFailed | ClientNotFound>
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  /** What a timeout before the first exec (waiting for the bottle's lock) names. */
  readonly firstArgv: ReadonlyArray<string>
  /** The guest user every step runs as. */
  readonly user: string
}): Effect.Effect<Runner, never, Sandbox> =>
  Effect.gen(function*() {
    const { deadline, retry, secrets, target } = options
    const sandbox = yield* Sandbox
    const execs = yield* Ref.make(0)
    const step = yield* Ref.make(options.firstArgv)
    const lastWords = yield* Ref.make(Option.none<ExecFailed>())

    const attempt = (
      argv: ReadonlyArray<string>,
      secretEnv: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
    ) =>
      Effect.gen(function*() {
        const timeout = yield* Deadline.remaining(deadline)
        yield* Ref.update(execs, (n) => n + 1)
        return yield* sandbox.exec(target, argv, {
          user: options.user,
          timeout,
          secretEnv
        }).pipe(
          // Refused before any process: not an exec.
          Effect.tapError((error) =>
            error._tag === "ExecFailed" && (error.reason === "InvalidTarget" || error.reason === "InvalidRequest") &&
              error.exitCode === undefined
              ? Ref.update(execs, (n) => n - 1)
              : Effect.void
          )
        )
      }).pipe(
        // A guest may print the token while failing (a config file it was reading, an echo): the
        // service only knows the secrets of this exec, so the plan's token is scrubbed from every one.
        Effect.mapError((error) => error._tag === "ExecFailed" ? scrubFailure(error, secrets) : error),
        Effect.tapError((error) =>
          error._tag === "ExecFailed" && error.transient ? Ref.set(lastWords, Option.some(error)) : Effect.void
        )
      )

    const exec: Runner["exec"] = (argv, secretEnv) =>
      Effect.zipRight(
        Effect.zipRight(Ref.set(step, argv), Ref.set(lastWords, Option.none())),
        attempt(argv, secretEnv).pipe(
          Effect.retry({ schedule: retry, while: (error): boolean => error._tag === "ExecFailed" && error.transient })
        )
      )

    const gaveUp = `gave up after ${Duration.format(deadline.timeout)}`
    const timedOut: Runner["timedOut"] = Effect.gen(function*() {
      const argv = yield* Ref.get(step)
      const previous = Option.getOrUndefined(yield* Ref.get(lastWords))
      const started = (yield* Ref.get(execs)) > 0
      return new ExecFailed({
        target,
        argv: [...argv],
        reason: "Timeout",
        exitCode: previous?.exitCode,
        stdout: previous?.stdout ?? "",
        stderr: previous?.stderr ?? "",
        // The sandbox's own backend, so the message names a container and docker on the Docker backend.
        backend: sandbox.backend,
        detail: !started
          ? `${gaveUp} waiting for another provisioning of this bottle`
          : previous === undefined
          ? `${gaveUp}, before any answer from ${sandbox.backend}`
          : previous.stderr === "" && previous.detail !== undefined
          // A client that never started (SpawnFailed) left no output: its words are the detail.
          ? `${gaveUp}; last attempt: ${previous.detail}`
          : gaveUp
      })
    })

    return { exec, execs: Ref.get(execs), timedOut }
  })
