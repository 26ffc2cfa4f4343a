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
import * as Binary from "./internal/binary.js"
import * as fake from "./internal/fake.js"
import * as live from "./internal/live.js"
import * as Sandbox from "./Sandbox.js"
import type { ClientNotFound, ExecFailed } from "./SandboxError.js"

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
   * The smolvm binary could not be started (see `SandboxError.ClientNotFound`).
   *
   * @since 0.1.0
   * @category errors
   * @example
   * import { Smolvm } from "bottle-supervise"
   * import { Effect } from "effect"
   *
   * const ls = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["ls"])).pipe(
   *   Effect.catchTag("ClientNotFound", (error: Smolvm.SmolvmNotFound) => Effect.die(error.message))
   * )
   */
  SmolvmNotFound
} from "./SmolvmError.js"

/**
 * What one exec may carry besides its argv: `Sandbox.ExecOptions`. On smolvm,
 * `env` is `-e`, `secretEnv` is `--secret-env` (values resolved from the
 * client's own environment), `workdir` is `-w`, `timeout` is smolvm's
 * `--timeout`, and `user` wraps the argv in a fixed script that runs it as that
 * user (directly, or through `runuser`/`su` when exec lands as root).
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
export type ExecOptions = Sandbox.ExecOptions

/**
 * A finished exec whose guest command exited 0: `Sandbox.ExecResult`.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { Smolvm } from "bottle-supervise"
 *
 * const firstLine = (result: Smolvm.ExecResult) => (result.truncated ? undefined : result.stdout.split("\n")[0])
 */
export type ExecResult = Sandbox.ExecResult

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
  ) => Effect.Effect<ExecResult, ExecFailed | ClientNotFound>
}

/**
 * The tag of the smolvm backend. Its layers (`layer`, `layerWith`,
 * `layerTest`) provide it and the backend-neutral `Sandbox.Sandbox` that
 * provisioning needs.
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
export const layer: Layer.Layer<Smolvm | Sandbox.Sandbox, never, CommandExecutor.CommandExecutor> = Layer.unwrapEffect(
  Effect.map(Effect.orDie(Binary.config), (binary) => layerWith({ binary }))
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
export const layerWith = (
  options: MakeOptions
): Layer.Layer<Smolvm | Sandbox.Sandbox, never, CommandExecutor.CommandExecutor> => fromService(live.make(options))

/**
 * A `Smolvm` service seen as the backend-neutral `Sandbox`.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * import { Sandbox, Smolvm } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const asSandbox = (smolvm: Smolvm.Service): Sandbox.Service => Smolvm.toSandbox(smolvm)
 */
export const toSandbox = (service: Service): Sandbox.Service => ({ backend: "smolvm", exec: service.machineExec })

/** Both tags from one service, so `Smolvm` and `Sandbox` share exec slots. */
const fromService = <E, R>(make: Effect.Effect<Service, E, R>): Layer.Layer<Smolvm | Sandbox.Sandbox, E, R> =>
  Layer.effectContext(
    Effect.map(make, (service) => Context.make(Smolvm, service).pipe(Context.add(Sandbox.Sandbox, toSandbox(service))))
  )

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
export type FakeHandler = (call: RecordedExec) => Effect.Effect<FakeReply, ClientNotFound>

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
  /** `service` as both `Smolvm` and `Sandbox`, to provide to the program under test. */
  readonly layer: Layer.Layer<Smolvm | Sandbox.Sandbox>
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
 * // Provide `fake.layer` to a program that provisions: it needs `Sandbox`, which it provides too.
 */
export const makeTest = (handler: FakeHandler): Effect.Effect<TestSmolvm> =>
  Effect.map(fake.make(handler), (test) => ({ ...test, layer: fromService(Effect.succeed(test.service)) }))

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
export const layerTest = (handler: FakeHandler): Layer.Layer<Smolvm | Sandbox.Sandbox> =>
  fromService(Effect.map(fake.make(handler), (test) => test.service))
