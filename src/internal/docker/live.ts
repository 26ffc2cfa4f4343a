/**
 * The live `Docker` service: `docker exec` run through `nodeClientProcess`, read
 * by docker's classification, and bounded in time inside the container too.
 *
 * Killing the docker client does not stop the command in the container, and
 * docker has no exec timeout. So at the deadline, and when the caller
 * interrupts, the client is reaped on the host (`nodeClientProcess`) and then a
 * second, bounded `docker exec` runs the fixed kill script, which SIGKILLs
 * every process carrying this exec's marker (see `killScript.ts`).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { MakeOptions, Service } from "../../Docker.js"
import { LogKeys } from "../../Logger.js"
import type { ExecOptions, ExecResult } from "../../Sandbox.js"
import type { ClientNotFound, ExecFailed } from "../../SandboxError.js"
import * as ClientSetup from "../clientSetup.js"
import * as ExecFailure from "../execFailure.js"
import * as ClientProcess from "../nodeClientProcess.js"
import { scrub } from "../redact.js"
import * as Shown from "../shown.js"
import { classify, firstLine } from "./classify.js"
import { killedCount } from "./killScript.js"
import { killArgs, newExecId, prepare, type Prepared } from "./request.js"

/**
 * How long the kill exec may take. It is one more `docker exec` (about 0.2 s
 * here) and a script of at most 30 rounds 0.1 s apart; past this the host
 * stops waiting and reports that the kill did not finish.
 *
 * @internal
 */
export const KILL_EXEC_TIMEOUT = Duration.seconds(5)

const KILL_OUTPUT_BYTES = 4096

/** What the kill exec achieved, for the Timeout's detail and the interruption's log. */
type KillOutcome =
  | { readonly _tag: "Killed"; readonly count: number }
  | { readonly _tag: "NotKilled"; readonly why: string }

const killWords = (outcome: KillOutcome): string =>
  outcome._tag === "NotKilled"
    ? `its processes in the container could not be killed: ${outcome.why}`
    : outcome.count === 0
    ? "no process it started was left in the container"
    : outcome.count === 1
    ? "1 process it started in the container was killed"
    : `${outcome.count} processes it started in the container were killed`

/** The `detail` of a Timeout: docker's exec has no deadline of its own, so this one is always the host's. @internal */
export const timeoutDetail = (timeout: Duration.Duration, outcome: KillOutcome): string =>
  `docker exec has no timeout; at the host's deadline of ${Duration.format(timeout)} its client was stopped and ${
    killWords(outcome)
  }`

/** @internal */
export const make = (options: MakeOptions = {}) =>
  Effect.gen(function*() {
    const { binary, execSlots, executor, grace, unusable } = yield* ClientSetup.make({
      binary: options.binary ?? "docker",
      killGrace: options.killGrace,
      // As smolvm's: a container has no such limit, but provisioning needs no more.
      maxConcurrentExecs: options.maxConcurrentExecsPerContainer
    })

    /**
     * Runs the kill script in the container. Never fails and always ends: it
     * runs in finalizers and after a deadline, where nothing else would stop it,
     * so it is made interruptible for its own timeout.
     */
    const killInside = (p: Prepared): Effect.Effect<KillOutcome> =>
      Effect.suspend(() => {
        const [out, err] = ClientProcess.collectors(KILL_OUTPUT_BYTES)
        const request = { binary, args: killArgs(p), env: {}, maxOutputBytes: KILL_OUTPUT_BYTES, grace }
        return ClientProcess.runClient(executor, request, out, err).pipe(
          Effect.interruptible,
          Effect.timeoutOption(KILL_EXEC_TIMEOUT),
          Effect.map((ran): KillOutcome => {
            if (Option.isNone(ran)) {
              return {
                _tag: "NotKilled",
                why: `the kill exec did not finish within ${Duration.format(KILL_EXEC_TIMEOUT)}`
              }
            }
            const exit = ran.value.exit
            // docker prints runc's refusals on stdout, the daemon's on stderr.
            const said = Shown.escape(scrub(firstLine(err.result().text) || firstLine(out.result().text)))
            if (exit._tag === "Signaled") {
              return { _tag: "NotKilled", why: `the kill exec's client was killed by ${exit.signal ?? "a signal"}` }
            }
            const count = killedCount(out.result().text)
            if (exit.code === 0 && count !== undefined) {
              return { _tag: "Killed", count }
            }
            return { _tag: "NotKilled", why: `the kill exec exited ${exit.code}${said.length > 0 ? `: ${said}` : ""}` }
          }),
          Effect.catchAll((failure) => Effect.succeed<KillOutcome>({ _tag: "NotKilled", why: failure.detail }))
        )
      })

    const run = (p: Prepared): Effect.Effect<ExecResult, ExecFailed | ClientNotFound> =>
      Effect.suspend(() => {
        // Outside the run: a timed-out exec still reports what the command printed.
        const [out, err] = ClientProcess.collectors(p.maxOutputBytes)
        const { failed, notClient: notClientFailure, startFailed, unusable: notUsable } = ExecFailure.make({
          backend: "docker",
          binary,
          target: p.target,
          argv: p.argv,
          secrets: p.secrets,
          out,
          err
        })
        if (unusable !== undefined) return Effect.fail(notUsable(unusable))

        const client = ClientProcess.runClient(
          executor,
          { binary, args: p.args, env: p.env, maxOutputBytes: p.maxOutputBytes, grace },
          out,
          err
        ).pipe(Effect.mapError(startFailed))

        const read = (ran: ClientProcess.ClientRun): Effect.Effect<ExecResult, ExecFailed | ClientNotFound> => {
          if (ran.exit._tag === "Signaled") {
            // Someone else killed the client: the command runs on in the container, and nobody
            // would ever read its result, so it ends with the call, as at a deadline.
            const signal = ran.exit.signal
            return Effect.flatMap(
              killInside(p),
              (outcome) =>
                Effect.fail(
                  failed({ reason: "ClientSignal", signal, detail: `the docker client died; ${killWords(outcome)}` })
                )
            )
          }
          const exitCode = ran.exit.code
          // Classified and returned raw: a short secret scrubbed out of the guest's words could
          // change what they mean. Only what is shown (an ExecFailed) is scrubbed.
          const stderr = err.result().text
          const stdout = out.result().text
          // The binary is no program at all (the host's shell ran it as a script): the client's failure.
          const notClient = notClientFailure(exitCode, stderr)
          if (notClient !== undefined) return Effect.fail(notClient)
          const verdict = classify(p, exitCode, stdout, stderr)
          if (verdict._tag === "Failure") {
            return Effect.fail(
              failed({ reason: verdict.reason, exitCode, signal: verdict.signal, transient: verdict.transient })
            )
          }
          return Effect.succeed({
            exitCode,
            stdout,
            stderr,
            truncated: out.result().truncated || err.result().truncated
          })
        }

        // The client is reaped on the host by `runClient` whenever it is cut short; what it
        // started in the container is killed here, after the deadline and on interruption alike.
        return Effect.uninterruptibleMask((restore) =>
          restore(Effect.timeoutOption(client, p.timeout)).pipe(
            Effect.onInterrupt(() =>
              Effect.flatMap(killInside(p), (outcome) =>
                outcome._tag === "NotKilled"
                  ? Effect.logWarning(`interrupted exec on container ${p.target}: ${killWords(outcome)}`).pipe(
                    Effect.annotateLogs(LogKeys.target, p.target)
                  )
                  : Effect.void)
            ),
            Effect.flatMap(Option.match({
              onNone: () =>
                Effect.flatMap(
                  killInside(p),
                  (outcome) => Effect.fail(failed({ reason: "Timeout", detail: timeoutDetail(p.timeout, outcome) }))
                ),
              onSome: read
            }))
          )
        )
      })

    const containerExec = Effect.fn("Docker.containerExec")(
      function*(target: string, argv: ReadonlyArray<string>, execOptions?: ExecOptions) {
        // Never the env or the secrets: only where, and which program.
        yield* Effect.annotateCurrentSpan({ "docker.target": target, "docker.command": argv[0] ?? "" })
        const prepared = prepare(target, argv, execOptions, newExecId())
        if (Either.isLeft(prepared)) return yield* prepared.left
        return yield* execSlots.withPermits(target)(run(prepared.right))
      }
    )

    return { containerExec } satisfies Service
  })
