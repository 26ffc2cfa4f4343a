/**
 * The `Smolvm` service: run a command inside a smolvm microVM with
 * `smolvm machine exec`, bounded in time and output, with secrets passed out of
 * band, and every failure typed.
 *
 * @since 0.1.0
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Binary from "./internal/binary.js"
import * as fake from "./internal/fake.js"
import * as live from "./internal/live.js"
import type { ExecFailed, SmolvmNotFound } from "./SmolvmError.js"

// Re-exported so a caller of `machineExec` can handle its errors with one import.
export {
  /**
   * A `smolvm machine exec` that did not succeed (see `SmolvmError.ExecFailed`).
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import { Smolvm } from "bottle-supervise"
   * import { Effect } from "effect"
   *
   * const whoami = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["id", "-un"])).pipe(
   *   Effect.catchTag("ExecFailed", (error: Smolvm.ExecFailed) =>
   *     error.transient ? Effect.succeed(undefined) : Effect.fail(error)
   *   )
   * )
   */
  ExecFailed,
  /**
   * Why an exec failed (see `SmolvmError.ExecFailureReason`).
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import { Smolvm } from "bottle-supervise"
   *
   * const retryable: ReadonlyArray<Smolvm.ExecFailureReason> = ["MachineNotRunning", "Timeout"]
   */
  ExecFailureReason,
  /**
   * The smolvm binary could not be started (see `SmolvmError.SmolvmNotFound`).
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import { Smolvm } from "bottle-supervise"
   * import { Effect } from "effect"
   *
   * const ls = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["ls"])).pipe(
   *   Effect.catchTag("SmolvmNotFound", (error: Smolvm.SmolvmNotFound) => Effect.die(error.message))
   * )
   */
  SmolvmNotFound
} from "./SmolvmError.js"

/**
 * What one exec may carry besides its argv.
 *
 * - `env`: guest environment (`-e K=V`). Visible in the host's `ps`: never put
 *   a secret here.
 * - `secretEnv`: guest variables whose values travel through smolvm's
 *   `--secret-env`, resolved from the smolvm client's own environment, so they
 *   never appear on a command line, in a log or in an error.
 * - `workdir`: absolute guest working directory (`-w`).
 * - `timeout`: the guest side is killed by smolvm at this deadline (`--timeout`)
 *   and the client is killed on the host shortly after. Default 60 seconds;
 *   from 1 ms to 24 days, else the exec fails with `InvalidRequest`.
 * - `maxOutputBytes`: per stream; the head and tail are kept and the cut is
 *   marked. Default 8 MiB.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Redacted } from "effect"
 *
 * const options: Smolvm.ExecOptions = {
 *   env: { LANG: "C.UTF-8" },
 *   secretEnv: { API_TOKEN: Redacted.make("s3cret") },
 *   workdir: "/home/node",
 *   timeout: "10 seconds"
 * }
 */
export interface ExecOptions {
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly secretEnv?: Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  readonly workdir?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly maxOutputBytes?: number | undefined
}

/**
 * A finished exec whose guest command exited 0. `truncated` is true when either
 * stream was larger than `maxOutputBytes` and was cut in the middle. Any
 * other exit is an `ExecFailed`, so `exitCode` is 0 here.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const firstLine = (result: Smolvm.ExecResult) => (result.truncated ? undefined : result.stdout.split("\n")[0])
 */
export interface ExecResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly truncated: boolean
}

/**
 * The service's shape: one operation, so a fake is a single function (see
 * `makeTest` for one that classifies like the live service).
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const echo: Smolvm.Service = {
 *   machineExec: (_target, argv) =>
 *     Effect.succeed({ exitCode: 0, stdout: `${argv.join(" ")}\n`, stderr: "", truncated: false })
 * }
 */
export interface Service {
  /**
   * Runs `smolvm machine exec --name <target> [flags] -- <argv...>`. The argv
   * reaches the guest as a vector: no shell, no quoting.
   */
  readonly machineExec: (
    target: string,
    argv: ReadonlyArray<string>,
    options?: ExecOptions
  ) => Effect.Effect<ExecResult, ExecFailed | SmolvmNotFound>
}

/**
 * The tag of the service every operation of this library needs. Provide it
 * with `layer` in production and `layerTest` in tests.
 *
 * @since 0.1.0
 * @category tags
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const whoami = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["id", "-un"]))
 */
export class Smolvm extends Context.Tag("bottle-supervise/Smolvm")<Smolvm, Service>() {}

/**
 * How the live service is built.
 *
 * - `binary`: the smolvm executable (default `smolvm`, found on `PATH`).
 * - `killGrace`: after the deadline or an interruption the client gets SIGTERM,
 *   then SIGKILL when it has not exited within this grace. Default 500 ms.
 * - `maxConcurrentExecsPerMachine`: smolvm's guest agent serves 8 connections;
 *   default 7.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const options: Smolvm.MakeOptions = { binary: "/usr/local/bin/smolvm", killGrace: "1 second" }
 */
export interface MakeOptions {
  readonly binary?: string | undefined
  readonly killGrace?: Duration.DurationInput | undefined
  readonly maxConcurrentExecsPerMachine?: number | undefined
}

/**
 * Builds the live service on top of `@effect/platform`'s `CommandExecutor`.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const SmolvmLive = Layer.effect(Smolvm.Smolvm, Smolvm.make({ binary: "/usr/local/bin/smolvm" })).pipe(
 *   Layer.provide(NodeContext.layer)
 * )
 */
export const make: (
  options?: MakeOptions
) => Effect.Effect<Service, never, CommandExecutor.CommandExecutor> = live.make

/**
 * The live layer. The binary comes from the `SMOLVM_BIN` config (default
 * `smolvm`); only `CommandExecutor` is required, so `NodeContext.layer`
 * satisfies it.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const SmolvmLive = Smolvm.layer.pipe(Layer.provide(NodeContext.layer))
 */
export const layer: Layer.Layer<Smolvm, never, CommandExecutor.CommandExecutor> = Layer.effect(
  Smolvm,
  Effect.flatMap(Effect.orDie(Binary.config), (binary) => live.make({ binary }))
)

/**
 * The live layer with an explicit binary and options.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const SmolvmLive = Smolvm.layerWith({ binary: "/opt/smolvm/bin/smolvm", killGrace: "1 second" })
 */
export const layerWith = (options: MakeOptions): Layer.Layer<Smolvm, never, CommandExecutor.CommandExecutor> =>
  Layer.effect(Smolvm, live.make(options))

/**
 * One call seen by a test service: what a real smolvm would have been asked to
 * run. Secrets stay `Redacted`.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const ranAsAgent = (call: Smolvm.RecordedExec) => call.argv.includes("node")
 */
export interface RecordedExec {
  readonly target: string
  readonly argv: ReadonlyArray<string>
  readonly options: ExecOptions
}

/**
 * What a test handler answers: the guest's exit code and output, as the smolvm
 * client would print them. Non-zero codes and smolvm's `Error: ` lines are
 * classified exactly as the live service does.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const notRunning: Smolvm.FakeReply = {
 *   exitCode: 1,
 *   stderr: "Error: agent operation failed: connect: machine 'b' is not running."
 * }
 */
export interface FakeReply {
  readonly exitCode: number
  readonly stdout?: string | undefined
  readonly stderr?: string | undefined
}

/**
 * Answers one call of a test service: a `FakeReply`, or a `SmolvmNotFound` to
 * act as a host without the smolvm binary.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const handler: Smolvm.FakeHandler = (call) =>
 *   call.target === "gone"
 *     ? Effect.fail(new Smolvm.SmolvmNotFound({ binary: "smolvm", reason: "NotFound", detail: "spawn smolvm ENOENT" }))
 *     : Effect.succeed({ exitCode: 0 })
 */
export type FakeHandler = (call: RecordedExec) => Effect.Effect<FakeReply, SmolvmNotFound>

/**
 * A test service and what it has recorded, for tests that assert on the
 * commands a launcher ran.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const targets = (test: Smolvm.TestSmolvm) => Effect.map(test.calls, (calls) => calls.map((call) => call.target))
 */
export interface TestSmolvm {
  readonly service: Service
  /** Every exec so far, in order, including rejected ones. */
  readonly calls: Effect.Effect<ReadonlyArray<RecordedExec>>
}

/**
 * A fake `Smolvm` for launchers' own tests: it validates targets and options
 * like the live service, records each call, answers from `handler`, and maps
 * the answer through the live service's exit-code classification, so a fake
 * "is not running" for the exec's target is as transient as a real one.
 *
 * Time runs on Effect's `Clock`, as in the live service: an answer that takes
 * at least the exec's `timeout` is smolvm's own timeout (`Timeout`, exit 124),
 * and a handler that never answers times out a little later, when the live
 * service would kill the client. Under the `TestClock`, advance it.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const fake = yield* Smolvm.makeTest(() => Effect.succeed({ exitCode: 0, stdout: "ok\n" }))
 *   yield* fake.service.machineExec("bottle-1", ["true"])
 *   return (yield* fake.calls).length // 1
 * })
 */
export const makeTest: (handler: FakeHandler) => Effect.Effect<TestSmolvm> = fake.make

/**
 * `makeTest` as a layer, for tests that only need the answers. The answer
 * below is a stopped machine only for execs on machine `b`: smolvm names the
 * target in it.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const AlwaysStopped = Smolvm.layerTest(() =>
 *   Effect.succeed({ exitCode: 1, stderr: "Error: agent operation failed: connect: machine 'b' is not running." })
 * )
 */
export const layerTest = (handler: FakeHandler): Layer.Layer<Smolvm> =>
  Layer.effect(Smolvm, Effect.map(fake.make(handler), (test) => test.service))
