/**
 * The live `Smolvm` service on `@effect/platform`'s `CommandExecutor`.
 *
 * Effect's Node executor answers interruption with SIGTERM to the child's
 * process group and then waits for it with no SIGKILL, and lets grandchildren
 * that outlive the child keep its pipes open. Both would let a misbehaving guest
 * hold a launcher forever, so every exec here ends with the process group gone:
 * SIGTERM, a short grace, then SIGKILL.
 *
 * @internal
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type { ExecOptions, ExecResult, MakeOptions, Service } from "../Smolvm.js"
import { ExecFailed, SmolvmNotFound } from "../SmolvmError.js"
import { makeCollector, drainInto } from "./boundedOutput.js"
import { classify } from "./classify.js"
import * as KeyedSemaphore from "./keyedSemaphore.js"
import { scrub, scrubSecrets } from "./redact.js"
import { prepare, type Prepared } from "./request.js"

/**
 * smolvm kills the guest at `--timeout`; the client then needs a moment to say
 * so. Past this margin the host stops waiting and kills the client itself.
 */
const CLIENT_MARGIN = Duration.seconds(2)

const toNotFound = (binary: string) => (error: PlatformError): SmolvmNotFound =>
  new SmolvmNotFound({
    binary,
    reason: error._tag === "SystemError" && (error.reason === "NotFound" || error.reason === "PermissionDenied")
      ? error.reason
      : "Unknown",
    detail: error.message
  })

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal)
  } catch {
    // The group is already gone.
  }
}

const POLL = Duration.millis(10)

const waitGone = (pgid: number, grace: Duration.Duration) =>
  Effect.suspend(() => groupAlive(pgid) ? Effect.sleep(POLL) : Effect.void).pipe(
    Effect.repeat({ until: () => !groupAlive(pgid) }),
    Effect.timeout(grace),
    Effect.ignore
  )

/** Ends the client's whole process group: SIGTERM, grace, SIGKILL. */
const reap = (pgid: number, grace: Duration.Duration) =>
  Effect.suspend(() => {
    if (!groupAlive(pgid)) return Effect.void
    signalGroup(pgid, "SIGTERM")
    return waitGone(pgid, grace).pipe(
      Effect.zipRight(Effect.suspend(() => {
        if (!groupAlive(pgid)) return Effect.void
        signalGroup(pgid, "SIGKILL")
        return waitGone(pgid, grace)
      }))
    )
  })

const signalOf = (error: PlatformError): string | undefined => /signal: (SIG[A-Z0-9]+)/.exec(error.message)?.[1]

/** @internal */
export const make = (options: MakeOptions = {}) =>
  Effect.gen(function*() {
    const executor = yield* CommandExecutor.CommandExecutor
    const binary = options.binary ?? "smolvm"
    const grace = Duration.decode(options.killGrace ?? Duration.millis(500))
    const execSlots = KeyedSemaphore.unsafeMake(options.maxConcurrentExecsPerMachine ?? 7)
    const writers = KeyedSemaphore.unsafeMake(1)

    const run = (p: Prepared): Effect.Effect<ExecResult, ExecFailed | SmolvmNotFound> =>
      Effect.scoped(Effect.gen(function*() {
        const command = Command.make(binary, ...p.args).pipe(Command.env(p.env), Command.feed(""))
        const proc = yield* executor.start(command).pipe(Effect.mapError(toNotFound(binary)))
        // Runs before the executor's own release, which would wait forever on a
        // child that ignores SIGTERM.
        yield* Effect.addFinalizer(() => reap(proc.pid, grace))

        const out = makeCollector(p.maxOutputBytes)
        const err = makeCollector(p.maxOutputBytes)
        const readers = yield* Effect.all([
          drainInto(proc.stdout.pipe(Stream.orElse(() => Stream.empty)), out),
          drainInto(proc.stderr.pipe(Stream.orElse(() => Stream.empty)), err)
        ], { concurrency: 2, discard: true }).pipe(Effect.fork)
        const exit = yield* Effect.either(proc.exitCode)
        // A grandchild may hold the pipes open after the client exits.
        const drained = yield* Fiber.join(readers).pipe(Effect.timeout(grace), Effect.option)
        if (drained._tag === "None") {
          yield* reap(proc.pid, grace)
          yield* Fiber.interrupt(readers)
        }

        const stdout = scrubSecrets(out.result().text, p.secrets)
        const stderr = scrubSecrets(err.result().text, p.secrets)
        const truncated = out.result().truncated || err.result().truncated
        // Errors are shown to people: header-shaped values go too.
        const failed = (fields: Pick<ExecFailed, "reason"> & Partial<Pick<ExecFailed, "exitCode" | "signal">>) =>
          new ExecFailed({ target: p.target, argv: [...p.argv], stdout: scrub(stdout), stderr: scrub(stderr), ...fields })

        if (Either.isLeft(exit)) return yield* failed({ reason: "ClientSignal", signal: signalOf(exit.left) })
        const exitCode = exit.right
        const verdict = classify(exitCode, stderr, true)
        if (verdict._tag === "Failure") {
          return yield* failed({ reason: verdict.reason, exitCode, signal: verdict.signal })
        }
        return { exitCode, stdout, stderr, truncated }
      })).pipe(
        Effect.timeoutFail({
          duration: Duration.sum(p.timeout, CLIENT_MARGIN),
          onTimeout: () =>
            new ExecFailed({
              target: p.target,
              argv: [...p.argv],
              reason: "Timeout",
              stdout: "",
              stderr: "",
              detail: `smolvm did not answer within ${Duration.format(Duration.sum(p.timeout, CLIENT_MARGIN))}; its client was killed`
            })
        })
      )

    const machineExec = Effect.fn("Smolvm.machineExec")(
      function*(target: string, argv: ReadonlyArray<string>, execOptions?: ExecOptions) {
        yield* Effect.annotateCurrentSpan({ "smolvm.target": target, "smolvm.command": argv[0] ?? "" })
        const prepared = prepare(target, argv, execOptions)
        if (Either.isLeft(prepared)) return yield* prepared.left
        return yield* execSlots.withPermits(target)(run(prepared.right))
      }
    )

    return {
      machineExec,
      withMachineLock: (target) => writers.withPermits(target)
    } satisfies Service
  })
