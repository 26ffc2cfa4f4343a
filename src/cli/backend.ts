/**
 * The backend a command runs on, chosen by its flags when it runs:
 * `Smolvm.layer` for `--machine`, `Docker.layer` for `--docker`, each with its
 * client binary from `SMOLVM_BIN` or `DOCKER_BIN`.
 *
 * @internal
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Docker from "../Docker.js"
import type { Sandbox } from "../Sandbox.js"
import type { Backend } from "../SandboxError.js"
import * as Smolvm from "../Smolvm.js"

/**
 * The `Sandbox` layer for a backend. A reference with the live layers as its
 * default, so that a launcher embedding the CLI, or a test, can give its own
 * (a fake, a layer built with other options). Public as `Cli.SandboxLayer`.
 *
 * @since 0.2.0
 * @category backends
 */
export class SandboxLayer extends Context.Reference<SandboxLayer>()("bottle-supervise/Cli/SandboxLayer", {
  defaultValue: () => (backend: Backend): Layer.Layer<Sandbox, never, CommandExecutor.CommandExecutor> =>
    backend === "docker" ? Docker.layer : Smolvm.layer
}) {}

/**
 * `effect`, given the `Sandbox` of `backend`.
 *
 * @internal
 */
export const provide = <A, E>(
  backend: Backend,
  effect: Effect.Effect<A, E, Sandbox>
): Effect.Effect<A, E, CommandExecutor.CommandExecutor> =>
  Effect.flatMap(SandboxLayer, (layerFor) => Effect.provide(effect, layerFor(backend)))
