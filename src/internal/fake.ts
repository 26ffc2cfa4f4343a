/**
 * The test `Smolvm`: same validation, same classification, same locks as the
 * live service; answers come from a handler instead of a process.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import { ExecFailed } from "../SandboxError.js"
import type { ExecOptions, FakeHandler, FakeReply, RecordedExec, Service } from "../Smolvm.js"
import { makeCollector } from "./boundedOutput.js"
import { classify, smolvmTimeoutDetail } from "./classify.js"
import * as KeyedSemaphore from "./keyedSemaphore.js"
import { scrub } from "./redact.js"
import { hostDeadline, hostTimeoutDetail, prepare } from "./request.js"

const bound = (text: string, limit: number, secrets: ReadonlyArray<Redacted.Redacted<string>>) => {
  const collector = makeCollector(limit)
  collector.push(new TextEncoder().encode(text))
  return collector.result(secrets)
}

/** @internal */
export const make = (
  handler: FakeHandler
): Effect.Effect<{ readonly service: Service; readonly calls: Effect.Effect<ReadonlyArray<RecordedExec>> }> =>
  Effect.gen(function*() {
    const calls = yield* Ref.make<ReadonlyArray<RecordedExec>>([])
    const execSlots = KeyedSemaphore.unsafeMake(7)

    const machineExec = (target: string, argv: ReadonlyArray<string>, options: ExecOptions = {}) =>
      Effect.gen(function*() {
        const call: RecordedExec = { target, argv: [...argv], options }
        yield* Ref.update(calls, (all) => [...all, call])
        const prepared = prepare(target, argv, options)
        if (Either.isLeft(prepared)) return yield* prepared.left
        const p = prepared.right
        const deadline = hostDeadline(p.timeout)
        // A handler that never answers is a smolvm client that never answers:
        // fail as the live layer does when it kills such a client.
        const [took, answer] = yield* handler(call).pipe(
          Effect.timed,
          Effect.timeoutFail({
            duration: deadline,
            onTimeout: () =>
              new ExecFailed({
                target,
                argv: [...argv],
                reason: "Timeout",
                stdout: "",
                stderr: "",
                detail: hostTimeoutDetail(deadline),
                backend: "smolvm"
              })
          })
        )
        // Live, smolvm's own --timeout kills the guest at `timeout` and exits 124
        // with nothing of the guest's answer, so a later reply is never seen. No
        // slack below `timeout` as the live layer allows: that covers a real
        // clock's jitter, and a reply just before the timeout is the handler's.
        const late = Duration.greaterThanOrEqualTo(took, p.timeout)
        const reply: FakeReply = late ? { exitCode: 124 } : answer
        // Raw, as the live layer classifies and returns it; only an ExecFailed is scrubbed.
        const out = bound(reply.stdout ?? "", p.maxOutputBytes, [])
        const err = bound(reply.stderr ?? "", p.maxOutputBytes, [])
        const stdout = out.text
        const stderr = err.text
        const verdict = classify(target, reply.exitCode, stderr, late)
        if (verdict._tag === "Failure") {
          return yield* new ExecFailed({
            target,
            argv: [...argv],
            reason: verdict.reason,
            exitCode: reply.exitCode,
            signal: verdict.signal,
            stdout: scrub(stdout, p.secrets),
            stderr: scrub(stderr, p.secrets),
            detail: verdict.reason === "Timeout" ? smolvmTimeoutDetail(p.timeout) : undefined,
            backend: "smolvm",
            transient: verdict.transient
          })
        }
        return { exitCode: reply.exitCode, stdout, stderr, truncated: out.truncated || err.truncated }
      }).pipe(execSlots.withPermits(target))

    const service: Service = { machineExec }
    return { service, calls: Ref.get(calls) }
  })
