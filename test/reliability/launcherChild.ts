/**
 * A launcher process, for the reliability tests that need several OS processes
 * or a signal: it provisions (or verifies) one bottle through the live smolvm
 * layer on a given binary, logs with `Logger.layerOperator` (plain lines on its
 * stderr), and prints the outcome, encoded, as one JSON line on stdout.
 * SIGTERM or SIGINT ends it as it ends a launcher: `runMain` interrupts the
 * call, and the live layer kills the smolvm client's process group.
 *
 * Run: `node --import tsx launcherChild.ts '<job as JSON>'`, the token (if
 * any) in `BOTTLE_SUPERVISE_CHILD_TOKEN`, never on the command line.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { pathToFileURL } from "node:url"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"

/** What the parent asks for. */
export const Job = Schema.Struct({
  binary: Schema.String,
  target: Schema.String,
  op: Schema.Literal("provision", "verify"),
  agentUrl: Schema.String,
  agent: Schema.Struct({ user: Schema.String, home: Schema.String, configDir: Schema.optional(Schema.String) }),
  /** The call's deadline, in milliseconds. */
  timeoutMs: Schema.Number
})

/** @see Job */
export type Job = typeof Job.Type

/** Where the token travels to the child. */
export const TOKEN_ENV = "BOTTLE_SUPERVISE_CHILD_TOKEN"

/** The job's call, its outcome printed, with the live layer on the job's binary and the operator logger. */
export const run = (job: Job) =>
  Effect.gen(function*() {
    const token = process.env[TOKEN_ENV]
    const plan = yield* SupervisePlan.decode({
      supervisePlan: { agentUrl: job.agentUrl, ...(token === undefined ? {} : { token }) },
      agent: job.agent
    })
    const line = job.op === "provision"
      ? Schema.encodeSync(ProvisionSupervise.ProvisionOutcome)(
        yield* ProvisionSupervise.provisionSupervise(plan, job.target, { timeout: Duration.millis(job.timeoutMs) })
      )
      : Schema.encodeSync(ProvisionSupervise.VerifyOutcome)(
        yield* ProvisionSupervise.verifySupervise(plan, job.target, { timeout: Duration.millis(job.timeoutMs) })
      )
    yield* Effect.sync(() => process.stdout.write(`${JSON.stringify(line)}\n`))
  }).pipe(
    Effect.provide(
      Layer.mergeAll(Smolvm.layerWith({ binary: job.binary }), BottleLogger.layerOperator).pipe(
        Layer.provideMerge(NodeContext.layer)
      )
    )
  )

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  NodeRuntime.runMain(run(Schema.decodeUnknownSync(Schema.parseJson(Job))(process.argv[2] ?? "")), {
    disablePrettyLogger: true
  })
}
