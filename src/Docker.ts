/**
 * The `Docker` service: run a command inside a running container with
 * `docker exec`, bounded in time and output, with secrets passed out of band
 * and every failure typed. Its layers also provide the backend-neutral
 * `Sandbox.Sandbox`, so provisioning runs on containers unchanged.
 *
 * The command line is
 * `docker exec [-u USER] [-w DIR] [-e K=V]... [-e SECRET]... -e BOTTLE_SUPERVISE_EXEC=<id> CONTAINER ARGV...`:
 * the argv is a vector (no shell), stdin is empty, and a secret's value is
 * only in the docker client's own environment (`-e NAME` copies it from
 * there), never on a command line. The client inherits the launcher's
 * environment, so `DOCKER_HOST`, `DOCKER_CONTEXT` and the like apply.
 *
 * Deadlines: docker has no exec timeout, and killing the docker client does
 * not stop the command in the container. Every exec therefore carries a
 * unique `BOTTLE_SUPERVISE_EXEC` variable, which its descendants inherit. At
 * the exec's `timeout`, or when the caller interrupts it, the client is
 * stopped on the host and a second, bounded `docker exec` (as the exec's user,
 * running a fixed `sh` script) SIGKILLs every process of the container that
 * carries the marker or shares a session with one that does (the same
 * happens when the client is killed by someone else). The call returns
 * within the timeout, the kill grace and that second exec's bound (5 s; about
 * 0.3 s in practice). The container needs `sh` for this. If the launcher
 * itself dies, nothing ends the command: removing the container does.
 *
 * How docker's answers are read (`ExecFailed.reason`; exit 1 and 126 count as
 * docker's only when its exact sentence is the first line of the only stream
 * with output, naming this exec's container, user or command):
 *
 * | docker says | reason | transient |
 * | --- | --- | --- |
 * | exit 1 `Error response from daemon: No such container: NAME` | `MachineNotFound` | no |
 * | exit 1 `... Container <id> is not running` | `MachineNotRunning` | no |
 * | exit 1 `... Container NAME is paused, unpause the container before exec` | `MachineNotRunning` | no |
 * | exit 1 `... Container <id> is restarting, wait until the container is running` | `MachineNotRunning` | yes |
 * | exit 1 `Cannot connect to the Docker daemon at ...` (or the socket's permission denied, `error during connect`) | `SmolvmError` | no |
 * | exit 126 `unable to find user USER: no matching entries in passwd file` | `UserMismatch` | no |
 * | exit 126 `OCI runtime exec failed: ... exec: "CMD": executable file not found in $PATH` (or `stat CMD: no such file`) | `GuestCommandNotFound` | no |
 * | exit 126 `OCI runtime exec failed: exec failed: ...` otherwise (not executable, missing workdir) | `SmolvmError` | no |
 * | exit 125 with docker's usage text | `SmolvmUsage` | no |
 * | exit 127 with "not found" from a shell | `GuestCommandNotFound` | no |
 * | exit 128+n for a signal n | `GuestSignal` | no |
 * | any other exit | `NonZeroExit` | no |
 * | no answer by the deadline | `Timeout` | no |
 * | the client killed by a signal | `ClientSignal` | no |
 * | the client not started: the host is out of processes, descriptors or memory | `SpawnFailed` | yes |
 * | the client not started: the argv or environment is too large (E2BIG) | `InvalidRequest` | no |
 *
 * @since 0.2.0
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Binary from "./internal/binary.js"
import * as live from "./internal/docker/live.js"
import * as Sandbox from "./Sandbox.js"
import type { ClientNotFound, ExecFailed } from "./SandboxError.js"

/**
 * The service's shape: one operation, so a fake is a single function.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import { Docker } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const echo: Docker.Service = {
 *   containerExec: (_target, argv) =>
 *     Effect.succeed({ exitCode: 0, stdout: `${argv.join(" ")}\n`, stderr: "", truncated: false })
 * }
 */
export interface Service {
  /**
   * Runs `docker exec [flags] <target> <argv...>` in a running container,
   * named by its name or id. The argv reaches the container as a vector: no
   * shell, no quoting. `options.user` is docker's `-u` (a name or a uid).
   */
  readonly containerExec: (
    target: string,
    argv: ReadonlyArray<string>,
    options?: Sandbox.ExecOptions
  ) => Effect.Effect<Sandbox.ExecResult, ExecFailed | ClientNotFound>
}

/**
 * The tag of the Docker backend. Its layers (`layer`, `layerWith`) provide it
 * and the backend-neutral `Sandbox.Sandbox` that provisioning needs.
 *
 * @since 0.2.0
 * @category tags
 * @example
 * import { Docker } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const whoami = Effect.flatMap(Docker.Docker, (docker) => docker.containerExec("bottle-1", ["id", "-un"], { user: "node" }))
 */
export class Docker extends Context.Tag("bottle-supervise/Docker")<Docker, Service>() {}

/**
 * How the live service is built.
 *
 * - `binary`: the docker client (default `docker`, found on `PATH`).
 * - `killGrace`: at the deadline or an interruption the client gets SIGTERM,
 *   then SIGKILL when it has not exited within this grace. Default 500 ms.
 *   The command in the container is killed by a second exec either way.
 * - `maxConcurrentExecsPerContainer`: execs of one container run at most this
 *   many at a time, the others wait. Default 7, as on smolvm.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import { Docker } from "bottle-supervise"
 *
 * const options: Docker.MakeOptions = { binary: "/usr/bin/docker", killGrace: "1 second" }
 */
export interface MakeOptions {
  readonly binary?: string | undefined
  readonly killGrace?: Duration.DurationInput | undefined
  readonly maxConcurrentExecsPerContainer?: number | undefined
}

/**
 * Builds the live service on top of `@effect/platform`'s `CommandExecutor`.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * import { Docker } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const DockerLive = Layer.effect(Docker.Docker, Docker.make({ binary: "/usr/bin/docker" })).pipe(
 *   Layer.provide(NodeContext.layer)
 * )
 */
export const make: (
  options?: MakeOptions
) => Effect.Effect<Service, never, CommandExecutor.CommandExecutor> = live.make

/**
 * A `Docker` service seen as the backend-neutral `Sandbox`.
 *
 * @since 0.2.0
 * @category constructors
 * @example
 * import { Docker, Sandbox } from "bottle-supervise"
 *
 * const asSandbox = (docker: Docker.Service): Sandbox.Service => Docker.toSandbox(docker)
 */
export const toSandbox = (service: Service): Sandbox.Service => ({ backend: "docker", exec: service.containerExec })

/** Both tags from one service, so `Docker` and `Sandbox` share exec slots. */
const fromService = <E, R>(make: Effect.Effect<Service, E, R>): Layer.Layer<Docker | Sandbox.Sandbox, E, R> =>
  Layer.effectContext(
    Effect.map(make, (service) => Context.make(Docker, service).pipe(Context.add(Sandbox.Sandbox, toSandbox(service))))
  )

/**
 * The live layer with an explicit binary and options.
 *
 * @since 0.2.0
 * @category layers
 * @example
 * import { Docker } from "bottle-supervise"
 *
 * const DockerLive = Docker.layerWith({ binary: "/usr/bin/docker", maxConcurrentExecsPerContainer: 2 })
 */
export const layerWith = (
  options: MakeOptions
): Layer.Layer<Docker | Sandbox.Sandbox, never, CommandExecutor.CommandExecutor> => fromService(live.make(options))

/**
 * The live layer. The binary comes from the `DOCKER_BIN` config (default
 * `docker`; empty means `docker`); only `CommandExecutor` is required, so
 * `NodeContext.layer` satisfies it. Which engine it talks to is the docker
 * client's own business (`DOCKER_HOST`, `DOCKER_CONTEXT`).
 *
 * @since 0.2.0
 * @category layers
 * @example
 * import { Docker, Sandbox } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const DockerLive = Docker.layer.pipe(Layer.provide(NodeContext.layer))
 * const whoami = Effect.flatMap(Sandbox.Sandbox, (sandbox) => sandbox.exec("bottle-1", ["id", "-un"])).pipe(
 *   Effect.provide(DockerLive)
 * )
 */
export const layer: Layer.Layer<Docker | Sandbox.Sandbox, never, CommandExecutor.CommandExecutor> = Layer.unwrapEffect(
  Effect.map(Effect.orDie(Binary.configFor("docker")), (binary) => layerWith({ binary }))
)
