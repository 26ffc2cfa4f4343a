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
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { readdirSync, readFileSync } from "node:fs"
import type { ExecOptions, ExecResult, MakeOptions, Service } from "../Smolvm.js"
import { ExecFailed, SmolvmNotFound } from "../SmolvmError.js"
import * as Binary from "./binary.js"
import { type Collector, drainInto, makeCollector } from "./boundedOutput.js"
import { classify, smolvmTimeoutDetail } from "./classify.js"
import * as KeyedSemaphore from "./keyedSemaphore.js"
import { scrub } from "./redact.js"
import { hostDeadline, hostTimeoutDetail, prepare, type Prepared } from "./request.js"

/**
 * smolvm's exit 124 means its `--timeout` fired, but a guest command may exit
 * 124 on its own (coreutils `timeout` does). It is read as smolvm's timeout
 * when smolvm said so or when the deadline had (nearly) passed.
 */
const TIMEOUT_SLACK_MS = 100

/**
 * Whether a process of the group `pgid` still runs. `kill(-pgid, 0)` also
 * answers for zombies, and an orphaned grandchild stays a zombie forever under
 * an init that does not reap (a container's PID 1 often does not), so on Linux
 * the group's members are looked up in `/proc` and zombies do not count.
 */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
  } catch {
    return false
  }
  if (process.platform !== "linux") return true
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "latin1")
      } catch {
        continue
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true
    }
    return false
  } catch {
    return true
  }
}

const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal)
  } catch {
    // The group is already gone.
  }
}

const POLL = Duration.millis(20)

/** SIGKILL cannot be ignored; this only bounds the wait for the kernel. */
const KILL_WAIT = Duration.millis(500)

/**
 * Polls until the group is gone or `grace` has passed. A plain loop against
 * the clock, not `Effect.timeout`: this runs in a finalizer, where nothing can
 * be interrupted, so a timeout could never cut the wait short.
 */
const waitGone = (pgid: number, grace: Duration.Duration): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const until = (yield* Clock.currentTimeMillis) + Duration.toMillis(grace)
    while (groupAlive(pgid)) {
      if ((yield* Clock.currentTimeMillis) >= until) return false
      yield* Effect.sleep(POLL)
    }
    return true
  })

/**
 * Ends the client's whole process group: SIGTERM, grace, SIGKILL, and a last
 * bounded wait for the kernel to take them down.
 */
const reap = (pgid: number, grace: Duration.Duration): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (!groupAlive(pgid)) return
    signalGroup(pgid, "SIGTERM")
    if (yield* waitGone(pgid, grace)) return
    signalGroup(pgid, "SIGKILL")
    yield* waitGone(pgid, Duration.max(grace, KILL_WAIT))
  })

const signalOf = (error: PlatformError): string | undefined => /signal: (SIG[A-Z0-9]+)/.exec(error.message)?.[1]

/** @internal */
export const make = (options: MakeOptions = {}) =>
  Effect.gen(function*() {
    const executor = yield* CommandExecutor.CommandExecutor
    const binary = options.binary ?? "smolvm"
    // Checked here, not left to spawn: Node throws for these paths, which would be a defect.
    const unusable = Binary.unusable(binary)
    const grace = Duration.decode(options.killGrace ?? Duration.millis(500))
    // A semaphore with no permits would hold every exec forever.
    const slots = options.maxConcurrentExecsPerMachine
    const execSlots = KeyedSemaphore.unsafeMake(
      slots === undefined || !Number.isFinite(slots) ? 7 : Math.max(1, Math.floor(slots))
    )

    const run = (p: Prepared): Effect.Effect<ExecResult, ExecFailed | SmolvmNotFound> =>
      Effect.suspend(() => {
        // Outside the scope: a host-side timeout still reports what smolvm said.
        const out = makeCollector(p.maxOutputBytes)
        const err = makeCollector(p.maxOutputBytes)
        const deadline = hostDeadline(p.timeout)
        // Errors are shown to people: header-shaped values go too.
        const shown = (collector: Collector) => scrub(collector.result(p.secrets).text)
        const failed = (fields: Pick<ExecFailed, "reason"> & Partial<Pick<ExecFailed, "exitCode" | "signal" | "detail">>) =>
          new ExecFailed({ target: p.target, argv: [...p.argv], stdout: shown(out), stderr: shown(err), ...fields })
        // A host out of processes or descriptors is worth a retry; a binary that cannot run is not.
        const startFailed = (failure: Binary.StartFailure): ExecFailed | SmolvmNotFound =>
          failure._tag === "Exhausted"
            ? failed({ reason: "SpawnFailed", detail: failure.detail })
            : new SmolvmNotFound({ binary, reason: failure.reason, detail: failure.detail })

        if (unusable !== undefined) return Effect.fail(new SmolvmNotFound({ binary, reason: "NotFound", detail: unusable }))

        return Effect.scoped(Effect.gen(function*() {
          const started = yield* Clock.currentTimeMillis
          // stdin ends at once, so a client that reads it cannot wait on the launcher. An empty
          // stream rather than `feed("")`: that writes an empty chunk, which raises EPIPE (built
          // into a SystemError, stack trace and all) whenever the client has exited first.
          const command = Command.make(binary, ...p.args).pipe(Command.env(p.env), Command.stdin(Stream.empty))
          const start = executor.start(command).pipe(
            Effect.mapError(Binary.readStartError),
            // What Node's spawn() throws (ENOMEM, say) reaches here as a defect, not a PlatformError.
            Effect.catchSomeDefect((defect) => Option.map(Option.fromNullable(Binary.readSpawnThrow(defect)), Effect.fail)),
            Effect.mapError(startFailed)
          )
          // The reap is registered atomically with the start (no interruption in
          // between) and after the executor's own release, so it runs first: that
          // release sends SIGTERM and waits forever on a child that ignores it.
          const proc = yield* Effect.acquireRelease(start, (proc) => reap(proc.pid, grace))

          const readers = Fiber.zip(
            yield* Effect.fork(drainInto(proc.stdout, out)),
            yield* Effect.fork(drainInto(proc.stderr, err))
          )
          const exit = yield* Effect.either(proc.exitCode)
          const elapsed = (yield* Clock.currentTimeMillis) - started
          // A grandchild may hold the pipes open after the client exits. Most often both
          // pipes have closed by the time the exit is seen, and no timer is needed.
          const drained = Option.isSome(yield* Fiber.poll(readers))
            ? Option.some(undefined)
            : yield* Fiber.join(readers).pipe(Effect.timeout(grace), Effect.option)
          if (drained._tag === "None") {
            yield* reap(proc.pid, grace)
            yield* Fiber.interrupt(readers)
          }

          if (Either.isLeft(exit)) return yield* failed({ reason: "ClientSignal", signal: signalOf(exit.left) })
          const exitCode = exit.right
          const stderr = err.result(p.secrets).text
          const deadlineReached = elapsed >= Duration.toMillis(p.timeout) - TIMEOUT_SLACK_MS
          const verdict = classify(p.target, exitCode, stderr, deadlineReached)
          if (verdict._tag === "Failure") {
            return yield* failed({
              reason: verdict.reason,
              exitCode,
              signal: verdict.signal,
              detail: verdict.reason === "Timeout" ? smolvmTimeoutDetail(p.timeout) : undefined
            })
          }
          return {
            exitCode,
            stdout: out.result(p.secrets).text,
            stderr,
            truncated: out.result().truncated || err.result().truncated
          }
        })).pipe(
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
