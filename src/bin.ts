#!/usr/bin/env node
/**
 * The `bottle-supervise` executable: `Cli.run` on Node, with the operator
 * logger (one plain line per log entry on stderr). Each command runs on the
 * live backend its flags name: `Smolvm.layer` (binary from `SMOLVM_BIN`,
 * default `smolvm`) or `Docker.layer` (`DOCKER_BIN`, default `docker`). Node's process is this
 * file's alone: the signals, the flush of stdout and stderr, the exit code.
 *
 * @since 0.1.0
 * @example
 * // npx bottle-supervise provision --machine bottle-1 --url http://127.0.0.1:4318/ --token-env SUPERVISE_TOKEN
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as OperatorLogger from "./Logger.js"

const MainLive = Layer.merge(NodeContext.layer, OperatorLogger.layerOperator)

/** How long the exit waits for a reader that does not drain stdout or stderr. */
const FLUSH_LIMIT_MS = 5_000

/**
 * `runMain` exits with `process.exit` on a non-zero code, which drops what is
 * still queued for a pipe (a `Failed` outcome can carry MBs of guest output):
 * `--json | jq` would get a cut object. Wait for both streams, boundedly.
 */
const afterFlush = (then: () => void): void => {
  let pending = 2
  let finished = false
  const finish = () => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    then()
  }
  const timer = setTimeout(finish, FLUSH_LIMIT_MS)
  const flushed = () => {
    if (--pending === 0) finish()
  }
  process.stdout.write("", flushed)
  process.stderr.write("", flushed)
}

/** Exits with the code `Cli.run` returned: 130 when interrupted, 1 for anything else that ended the program. */
const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void): void => {
  // runMain's teardown is generic; the program's value is the code.
  const code = Exit.isSuccess(exit)
    ? typeof exit.value === "number" ? exit.value : Cli.ExitCode.Ok
    : Cause.isInterruptedOnly(exit.cause)
    ? Cli.ExitCode.Interrupted
    : Cli.ExitCode.NotOk
  afterFlush(() => onExit(code))
}

// runMain interrupts on the first SIGINT or SIGTERM and then drops its handlers, so a
// second Ctrl-C would kill Node while the client's process group is being reaped
// (it runs in its own session: no terminal signal reaches it). These keep Node up through
// that bounded teardown, and a hang-up (a closed terminal or ssh session) interrupts too.
const stayUp = () => undefined
process.on("SIGINT", stayUp)
process.on("SIGTERM", stayUp)
process.on("SIGHUP", () => process.kill(process.pid, "SIGTERM"))

Cli.run(process.argv).pipe(
  Effect.provide(MainLive),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown })
)
