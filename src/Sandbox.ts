/**
 * The backend-neutral service that provisioning and verification need: run an
 * argv in a named sandbox, as a given user, bounded in time and output, with
 * secrets passed out of band and every failure typed.
 *
 * As `@effect/sql`'s `SqlClient` is provided by `PgClient.layer`, `Sandbox` is
 * provided by each backend's layer: `Smolvm.layer` (microVMs) and
 * `Docker.layer` (containers) provide their own tag and this one.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type { Backend, ClientNotFound, ExecFailed } from "./SandboxError.js"

/**
 * What one exec may carry besides its argv.
 *
 * - `user`: the guest user the argv runs as. Docker chooses it with `-u`; on
 *   smolvm, where exec lands as the image's user, a fixed `sh` script runs the
 *   argv directly when exec already landed as `user`, switches with `runuser`
 *   (or `su`) from root, and fails with `UserMismatch` otherwise. Absent: as
 *   the sandbox's default user.
 * - `env`: guest environment. Visible in the host's `ps`: never put a secret
 *   here.
 * - `secretEnv`: guest variables whose values travel in the client's own
 *   environment (smolvm's `--secret-env`, docker's `-e NAME`), so they never
 *   appear on a command line, in a log or in an error.
 * - `workdir`: absolute guest working directory.
 * - `timeout`: the guest side is killed at this deadline and the client is
 *   killed on the host shortly after. Default 60 seconds; from 1 ms to 24
 *   days, else the exec fails with `InvalidRequest`.
 * - `maxOutputBytes`: per stream; the head and tail are kept and the cut is
 *   marked. Default 8 MiB.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import { Sandbox } from "bottle-supervise"
 * import { Redacted } from "effect"
 *
 * const options: Sandbox.ExecOptions = {
 *   user: "node",
 *   env: { LANG: "C.UTF-8" },
 *   secretEnv: { API_TOKEN: Redacted.make("s3cret") },
 *   workdir: "/home/node",
 *   timeout: "10 seconds"
 * }
 */
export interface ExecOptions {
  readonly user?: string | undefined
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
 * @since 0.2.0
 * @category models
 * @example
 * import { Sandbox } from "bottle-supervise"
 *
 * const firstLine = (result: Sandbox.ExecResult) => (result.truncated ? undefined : result.stdout.split("\n")[0])
 */
export interface ExecResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly truncated: boolean
}

/**
 * The service's shape: which backend it is, and one operation.
 *
 * @since 0.2.0
 * @category models
 * @example
 * import { Sandbox } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const echo: Sandbox.Service = {
 *   backend: "docker",
 *   exec: (_target, argv) => Effect.succeed({ exitCode: 0, stdout: `${argv.join(" ")}\n`, stderr: "", truncated: false })
 * }
 */
export interface Service {
  readonly backend: Backend
  /**
   * Runs `argv` in the sandbox `target` (a smolvm machine name, a container
   * name or id). The argv reaches the guest as a vector: no shell, no quoting.
   */
  readonly exec: (
    target: string,
    argv: ReadonlyArray<string>,
    options?: ExecOptions
  ) => Effect.Effect<ExecResult, ExecFailed | ClientNotFound>
}

/**
 * The tag of the service `provisionSupervise` and `verifySupervise` need.
 * Provide it with a backend's layer (`Smolvm.layer`, `Docker.layer`) in
 * production and `Smolvm.layerTest` (or the testing kit) in tests.
 *
 * @since 0.2.0
 * @category tags
 * @example
 * import { Sandbox } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const whoami = Effect.flatMap(Sandbox.Sandbox, (sandbox) => sandbox.exec("bottle-1", ["id", "-un"], { user: "node" }))
 */
export class Sandbox extends Context.Tag("bottle-supervise/Sandbox")<Sandbox, Service>() {}
