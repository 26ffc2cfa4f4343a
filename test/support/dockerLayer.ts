/**
 * The library's live `Docker.layer`, as a launcher builds it, pointed at the
 * private test engine without touching `process.env`: the `CommandExecutor`
 * under it adds `DOCKER_HOST` (from `DOCKER_ENV`) to every command it starts,
 * so the docker client, and only it, finds the test engine. Every call builds
 * a separate layer (its own exec slots): nothing is shared between two of
 * them but the engine.
 */
import { NodeContext } from "@effect/platform-node"
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Docker from "../../src/Docker.js"
import type * as Sandbox from "../../src/Sandbox.js"

/** A `CommandExecutor` that starts every command with `env` added to its environment. */
export const executorWithEnv = (
  env: Readonly<Record<string, string>>
): Layer.Layer<CommandExecutor.CommandExecutor, never, CommandExecutor.CommandExecutor> =>
  Layer.effect(
    CommandExecutor.CommandExecutor,
    Effect.map(CommandExecutor.CommandExecutor, (base) =>
      CommandExecutor.makeExecutor((command) => base.start(Command.env(command, { ...env }))))
  )

/**
 * `Docker.layer` (the binary from `DOCKER_BIN`, default `docker`) whose client
 * talks to the engine at `dockerHost`; Node's executor underneath.
 */
export const dockerLive = (dockerHost: string): Layer.Layer<Docker.Docker | Sandbox.Sandbox> =>
  Docker.layer.pipe(
    Layer.provide(executorWithEnv({ DOCKER_HOST: dockerHost })),
    Layer.provide(NodeContext.layer)
  )
