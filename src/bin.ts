#!/usr/bin/env node
/**
 * The `bottle-supervise` executable: `Cli.run` on Node, with the live
 * `Smolvm` layer (binary from `SMOLVM_BIN`, default `smolvm`) and the operator
 * logger (one plain line per log entry on stderr). Exits with `Cli.ExitCode`.
 *
 * @since 0.1.0
 * @example
 * // npx bottle-supervise provision --machine bottle-1 --url http://127.0.0.1:4318/ --token-env SUPERVISE_TOKEN
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as OperatorLogger from "./Logger.js"
import * as Smolvm from "./Smolvm.js"

const MainLive = Layer.mergeAll(Smolvm.layer, OperatorLogger.layerOperator).pipe(
  Layer.provideMerge(NodeContext.layer)
)

// runMain interrupts on the first SIGINT or SIGTERM and then drops its handlers, so a
// second Ctrl-C would kill Node while the smolvm client's process group is being reaped
// (it runs in its own session: no terminal signal reaches it). These keep Node up through
// that bounded teardown, and a hang-up (a closed terminal or ssh session) interrupts too.
const stayUp = () => undefined
process.on("SIGINT", stayUp)
process.on("SIGTERM", stayUp)
process.on("SIGHUP", () => process.kill(process.pid, "SIGTERM"))

Cli.run(process.argv).pipe(
  Effect.provide(MainLive),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: Cli.teardown })
)
