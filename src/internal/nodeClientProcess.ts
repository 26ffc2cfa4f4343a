/**
 * Running a sandbox client (`smolvm`, `docker`) on the host, on
 * `@effect/platform`'s `CommandExecutor`: stdin at end of file, stdout and stderr
 * drained into bounded collectors, the exit awaited, the start failure read,
 * and the client's whole process group gone when this returns.
 *
 * Effect's Node executor answers interruption with SIGTERM to the child's
 * process group and then waits for it with no SIGKILL, and lets grandchildren
 * that outlive the child keep its pipes open. Both would let a misbehaving guest
 * hold a launcher forever, so every exec here ends with the process group gone:
 * SIGTERM, a short grace, then SIGKILL.
 *
 * Node is assumed here and only here (named so): process groups are signalled
 * with `process.kill`, and on Linux `/proc` tells a live member from a zombie.
 * The executor itself stays the caller's (Node's, Bun's or a fake).
 *
 * @internal
 */
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { fstatSync, readdirSync, readFileSync, statSync } from "node:fs"
import * as Binary from "./binary.js"
import { type Collector, drainInto, makeCollector } from "./boundedOutput.js"

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

/** `/dev/null`'s device number, read on first use; `null` when there is none to read. */
let devNullRdev: number | null | undefined

/**
 * Whether this process's own stdin is `/dev/null` (a service, a container, a
 * job started with `</dev/null`), so that a client inheriting it reads end of
 * file at once. Checked on every exec (`fstat` of fd 0): a descriptor 0 that
 * was closed and reused for another file is never passed on.
 */
const stdinIsDevNull = (): boolean => {
  try {
    const stdin = fstatSync(0)
    if (!stdin.isCharacterDevice()) return false
    if (devNullRdev === undefined) {
      try {
        devNullRdev = statSync("/dev/null").rdev
      } catch {
        devNullRdev = null
      }
    }
    return stdin.rdev === devNullRdev
  } catch {
    return false
  }
}

const signalOf = (error: PlatformError): string | undefined => /signal: (SIG[A-Z0-9]+)/.exec(error.message)?.[1]

/** What a client run left: how it ended, what it printed, how long it took. @internal */
export interface ClientRun {
  /** The exit code, or the signal that killed the client. */
  readonly exit: { readonly _tag: "Exited"; readonly code: number } | {
    readonly _tag: "Signaled"
    readonly signal: string | undefined
  }
  readonly stdout: Collector
  readonly stderr: Collector
  readonly elapsedMs: number
}

/** @internal */
export interface ClientRequest {
  readonly binary: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly maxOutputBytes: number
  /** SIGTERM, this grace, then SIGKILL to the client's process group. */
  readonly grace: Duration.Duration
}

/**
 * Runs the client once. Fails only when it could not be started. The caller
 * bounds it in time (`Effect.timeout…` around it, or interruption): the client's
 * process group is reaped whenever this is interrupted. `out` and `err` are
 * the caller's, so what the client printed is still there after a timeout.
 *
 * @internal
 */
export const runClient = (
  executor: CommandExecutor.CommandExecutor,
  request: ClientRequest,
  out: Collector,
  err: Collector
): Effect.Effect<ClientRun, Binary.StartFailure> =>
  Effect.scoped(Effect.gen(function*() {
    const { grace } = request
    const started = yield* Clock.currentTimeMillis
    // A client that reads stdin sees end of file and never waits on the launcher (smolvm and
    // docker read none without `-i`, which is never passed; a wrapper script may): the
    // launcher's own stdin when that is /dev/null, which costs nothing; else a pipe ended at
    // once by an empty stream, which the executor runs through `Stream.run` in a fiber of its
    // own (about 0.45 ms of CPU per exec on the project's machine). Not `feed("")`: that writes
    // an empty chunk, which raises EPIPE (built into a SystemError, stack trace and all)
    // whenever the client has exited first.
    const command = Command.make(request.binary, ...request.args).pipe(
      Command.env(request.env),
      Command.stdin(stdinIsDevNull() ? "inherit" : Stream.empty)
    )
    const start = executor.start(command).pipe(
      Effect.mapError(Binary.readStartError),
      // What Node's spawn() throws (ENOMEM, E2BIG) reaches here as a defect, not a PlatformError.
      Effect.catchSomeDefect((defect) => Option.map(Option.fromNullable(Binary.readSpawnThrow(defect)), Effect.fail))
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
    const elapsedMs = (yield* Clock.currentTimeMillis) - started
    // A grandchild may hold the pipes open after the client exits. Most often both
    // pipes have closed by the time the exit is seen, and no timer is needed.
    const drained = Option.isSome(yield* Fiber.poll(readers))
      ? Option.some(undefined)
      : yield* Fiber.join(readers).pipe(Effect.timeout(grace), Effect.option)
    if (drained._tag === "None") {
      yield* reap(proc.pid, grace)
      yield* Fiber.interrupt(readers)
    }
    const run: ClientRun = {
      exit: Either.isLeft(exit)
        ? { _tag: "Signaled", signal: signalOf(exit.left) }
        : { _tag: "Exited", code: exit.right },
      stdout: out,
      stderr: err,
      elapsedMs
    }
    return run
  }))

/** Two fresh collectors of `max` bytes each. @internal */
export const collectors = (max: number): readonly [Collector, Collector] => [makeCollector(max), makeCollector(max)]
