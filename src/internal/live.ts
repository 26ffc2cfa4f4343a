/**
 * The live `Smolvm` service: `smolvm machine exec` run through
 * `nodeClientProcess`, read by smolvm's classification.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { ClientNotFound, ExecFailed } from "../SandboxError.js"
import type { ExecOptions, ExecResult, MakeOptions, Service } from "../Smolvm.js"
import { classify, smolvmTimeoutDetail } from "./classify.js"
import * as ClientSetup from "./clientSetup.js"
import * as ExecFailure from "./execFailure.js"
import * as ClientProcess from "./nodeClientProcess.js"
import { hostDeadline, hostTimeoutDetail, prepare, type Prepared } from "./request.js"

/**
 * smolvm's exit 124 means its `--timeout` fired, but a guest command may exit
 * 124 on its own (coreutils `timeout` does). It is read as smolvm's timeout
 * when smolvm said so or when the deadline had (nearly) passed.
 */
const TIMEOUT_SLACK_MS = 100

/** @internal */
export const make = (options: MakeOptions = {}) =>
  Effect.gen(function*() {
    const { binary, execSlots, executor, grace, unusable } = yield* ClientSetup.make({
      binary: options.binary ?? "smolvm",
      killGrace: options.killGrace,
      maxConcurrentExecs: options.maxConcurrentExecsPerMachine
    })

    const run = (p: Prepared): Effect.Effect<ExecResult, ExecFailed | ClientNotFound> =>
      Effect.suspend(() => {
        // Outside the run: a host-side timeout still reports what smolvm said.
        const [out, err] = ClientProcess.collectors(p.maxOutputBytes)
        const deadline = hostDeadline(p.timeout)
        const { failed, notClient: notClientFailure, startFailed, unusable: notUsable } = ExecFailure.make({
          backend: "smolvm",
          binary,
          target: p.target,
          argv: p.argv,
          secrets: p.secrets,
          out,
          err
        })
        if (unusable !== undefined) return Effect.fail(notUsable(unusable))

        return ClientProcess.runClient(
          executor,
          { binary, args: p.args, env: p.env, maxOutputBytes: p.maxOutputBytes, grace },
          out,
          err
        ).pipe(
          Effect.mapError(startFailed),
          Effect.flatMap((ran): Effect.Effect<ExecResult, ExecFailed | ClientNotFound> => {
            if (ran.exit._tag === "Signaled") {
              return Effect.fail(failed({ reason: "ClientSignal", signal: ran.exit.signal }))
            }
            const exitCode = ran.exit.code
            // Classified and returned raw: a short secret scrubbed out of the guest's words could
            // change what they mean. Only what is shown (an ExecFailed) is scrubbed.
            const stderr = err.result().text
            // The binary is no program at all (the host's shell ran it as a script): the client's failure.
            const notClient = notClientFailure(exitCode, stderr)
            if (notClient !== undefined) return Effect.fail(notClient)
            const deadlineReached = ran.elapsedMs >= Duration.toMillis(p.timeout) - TIMEOUT_SLACK_MS
            const verdict = classify(p.target, exitCode, stderr, deadlineReached)
            if (verdict._tag === "Failure") {
              return Effect.fail(failed({
                reason: verdict.reason,
                exitCode,
                signal: verdict.signal,
                detail: verdict.reason === "Timeout" ? smolvmTimeoutDetail(p.timeout) : undefined,
                transient: verdict.transient
              }))
            }
            return Effect.succeed({
              exitCode,
              stdout: out.result().text,
              stderr,
              truncated: out.result().truncated || err.result().truncated
            })
          }),
          Effect.timeoutFail({
            duration: deadline,
            onTimeout: () => failed({ reason: "Timeout", detail: hostTimeoutDetail(deadline) })
          })
        )
      })

    const machineExec = Effect.fn("Smolvm.machineExec")(
      function*(target: string, argv: ReadonlyArray<string>, execOptions?: ExecOptions) {
        yield* Effect.annotateCurrentSpan({ "smolvm.target": target, "smolvm.command": argv[0] ?? "" })
        const prepared = prepare(target, argv, execOptions)
        if (Either.isLeft(prepared)) return yield* prepared.left
        return yield* execSlots.withPermits(target)(run(prepared.right))
      }
    )

    return { machineExec } satisfies Service
  })
