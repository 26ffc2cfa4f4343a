/**
 * `npm run demo`: the whole chain on one machine, without a VM.
 *
 * 1. Starts the reference supervise sidecar (examples/supervise-sidecar.ts) on
 *    a free loopback port, with a bearer token.
 * 2. Creates a stand-in guest (test/fixtures/smolvm-standin.mjs: it stands in
 *    for a smolvm VM and runs commands on this host) whose exec lands as the
 *    current user, who is also the agent; the agent's home is a temp dir.
 * 3. Provisions through the library exactly as a launcher would:
 *    `Smolvm.layerWith({ binary })` + `NodeContext.layer`, operator logging
 *    with `Logger.layerOperator`, the real `claude` CLI doing the writes.
 * 4. Shows the agent's config entry (token redacted), the agent's own health
 *    check, the tools the agent is offered, a tool call reaching the operator,
 *    the idempotent re-run and a port change. Then cleans up and exits 0.
 *
 * The token is never printed: set BOTTLE_SUPERVISE_DEMO_TOKEN to pick it and
 * check for yourself.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomUUID } from "node:crypto"
import type { Sandbox, Smolvm } from "../src/index.js"
import { Logger, ProvisionSupervise } from "../src/index.js"
import * as AgentView from "../test/support/agentView.js"
import { currentUser, makeGuest } from "../test/support/standin.js"
import * as Sidecar from "./supervise-sidecar.js"

class DemoError extends Data.TaggedError("DemoError")<{ readonly message: string }> {}

const say = (line = "") => Effect.sync(() => process.stdout.write(`${line}\n`))

/** Succeeds with `value` narrowed to the expected outcome, or fails the demo saying what came instead. */
const expectTag = <A extends { readonly _tag: string }, T extends A["_tag"]>(
  what: string,
  value: A,
  tag: T
): Effect.Effect<Extract<A, { readonly _tag: T }>, DemoError> => {
  const isTag = (v: A): v is Extract<A, { readonly _tag: T }> => v._tag === tag
  return isTag(value)
    ? Effect.succeed(value)
    : Effect.fail(new DemoError({ message: `${what}: expected ${tag}, got ${JSON.stringify(value)}` }))
}

const redact = (text: string, token: string) => text.split(token).join("[REDACTED]")

const program = Effect.gen(function*() {
  const token = process.env["BOTTLE_SUPERVISE_DEMO_TOKEN"] || `demo-${randomUUID()}`
  const sidecarLog = (line: string) => process.stdout.write(`     sidecar → operator: ${line}\n`)

  yield* say("bottle-supervise demo: register a bottle's supervise sidecar in the agent's Claude Code config,")
  yield* say("verify that the agent reaches it, and list the tools the agent gets.")
  yield* say("Lines starting with `bottle-supervise[...]` are the library's own log (Logger.layerOperator, on stderr).")
  yield* say()

  const sidecar = yield* Sidecar.scoped({ token, log: sidecarLog })
  yield* say(`1. Reference supervise sidecar listening at ${sidecar.url} (bearer token required)`)

  const me = currentUser()
  const guest = yield* makeGuest({ user: me, execLandsAs: "agent", name: "demo-bottle" })
  yield* say(`2. Stand-in guest "${guest.name}": exec lands as ${me.name} (the agent user), agent home ${guest.home}`)
  yield* say(`   (the stand-in runs commands on this host; a launcher gives Smolvm.layerWith the real smolvm binary)`)

  const SmolvmLive = guest.layer.pipe(Layer.provide(NodeContext.layer))
  const withSmolvm = <A, E>(self: Effect.Effect<A, E, Smolvm.Smolvm | Sandbox.Sandbox>) =>
    Effect.provide(self, SmolvmLive)

  const plan = yield* guest.plan({ agentUrl: sidecar.url, token })
  yield* say()
  yield* say(`3. provisionSupervise(plan, "${guest.name}") with supervisePlan.agentUrl = ${sidecar.url} and a token:`)
  const registered = yield* expectTag(
    "first provisioning",
    yield* withSmolvm(ProvisionSupervise.provisionSupervise(plan, guest.name)),
    "Registered"
  )
  yield* say(`   → ${registered._tag} (${registered.execs} exec, ${registered.cliStarts} Claude Code start)`)

  const entry = yield* AgentView.readEntry(guest.configFile, "supervise")
  yield* say()
  yield* say(`4. The agent's ${guest.configFile}, mcpServers.supervise (token redacted):`)
  for (const line of redact(JSON.stringify(entry, null, 2), token).split("\n")) yield* say(`     ${line}`)

  yield* say()
  yield* say("5. verifySupervise: the agent's own health check (`claude mcp get supervise`, as the agent):")
  const health = yield* withSmolvm(ProvisionSupervise.verifySupervise(plan, guest.name))
  yield* expectTag("verification", health, "Connected")
  yield* say(`   → ${health._tag}`)

  yield* say()
  yield* say("6. Tools the agent is offered (tools/list with the entry's URL and headers):")
  const tools = yield* AgentView.listTools(entry)
  for (const tool of tools) yield* say(`     - ${tool.name}: ${(tool.description ?? "").split(". ")[0]}`)
  for (const wanted of ["pipelock-block", "capability-block"]) {
    if (!tools.some((tool) => tool.name === wanted)) {
      return yield* new DemoError({ message: `the sidecar does not offer ${wanted}` })
    }
  }

  yield* say()
  yield* say("7. The agent hits an egress block and calls pipelock-block:")
  const answer = yield* AgentView.callTool(entry, "pipelock-block", {
    host: "pypi.org",
    reason: "blocked by pipelock: host not in allowlist",
    detail: "pip install requests"
  })
  yield* say(`     agent ← sidecar: ${answer}`)

  yield* say()
  yield* say("8. Provisioning again with the same plan (a launcher restart):")
  const again = yield* expectTag(
    "re-provisioning",
    yield* withSmolvm(ProvisionSupervise.provisionSupervise(plan, guest.name)),
    "Unchanged"
  )
  yield* say(
    `   → ${again._tag} (${again.execs} exec, ${again.cliStarts} Claude Code starts: the config, read under the bottle's lock, matched)`
  )

  const moved = yield* Sidecar.scoped({ token, log: sidecarLog })
  yield* Effect.promise(() => sidecar.close())
  const movedPlan = yield* guest.plan({ agentUrl: moved.url, token })
  yield* say()
  yield* say(`9. The sidecar restarts on another port, ${moved.url}; provisioning with the new plan:`)
  const replaced = yield* expectTag(
    "port change",
    yield* withSmolvm(ProvisionSupervise.provisionSupervise(movedPlan, guest.name)),
    "Replaced"
  )
  yield* say(
    `   → ${replaced._tag} (${replaced.execs} execs, ${replaced.cliStarts} Claude Code starts; changed: ${
      replaced.changed.join(", ")
    }; was ${replaced.previousUrl ?? "?"})`
  )
  const after = yield* withSmolvm(ProvisionSupervise.verifySupervise(movedPlan, guest.name))
  yield* expectTag("verification after the move", after, "Connected")
  yield* say(`   verifySupervise → ${after._tag}`)

  yield* say()
  yield* say(`Done: the operator has ${sidecar.requests.length + moved.requests.length} request(s) from the agent.`)
  yield* say(
    "The token was given to the library as Redacted and passed to the guest with --secret-env; no line above shows it."
  )
  yield* say("Cleaning up the sidecar and the stand-in guest.")
})

const main = Effect.scoped(program).pipe(
  Effect.provide(Logger.layerOperator),
  Effect.tapErrorCause((cause) => Effect.sync(() => process.stderr.write(`demo failed: ${cause.toString()}\n`)))
)

NodeRuntime.runMain(main, { disableErrorReporting: true, disablePrettyLogger: true })
