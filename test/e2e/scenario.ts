/**
 * The end-to-end scenario, run once per way exec can land in a guest: the
 * library's live `Smolvm` layer drives the smolvm stand-in, which runs the real
 * `claude` CLI on this host as the agent user, against the reference supervise
 * sidecar. Steps run in order and share one guest and two sidecars (the second
 * one plays "the sidecar moved to another port").
 */
import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as Sidecar from "../../examples/supervise-sidecar.js"
import * as Guest from "../../src/internal/guest.js"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as AgentView from "../support/agentView.js"
import { makeGuest, type StandinGuest } from "../support/standin.js"
import { gated, type Landing, type Setup } from "./prerequisites.js"

interface FixtureShape {
  readonly setup: Setup
  readonly guest: StandinGuest
  readonly token: string
  /** Where the sidecar first listens. */
  readonly sidecar: Sidecar.Sidecar
  /** The same sidecar "restarted" on another port. */
  readonly moved: Sidecar.Sidecar
}

const PROJECTS = 50_000

class Fixture extends Context.Tag("e2e/Fixture")<Fixture, FixtureShape>() {}

const FixtureLive = (setup: Setup) =>
  Layer.scopedContext(Effect.gen(function*() {
    const token = `e2e-token-${randomUUID()}`
    const guest = yield* makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs })
    const quiet = { token, log: () => {} }
    const sidecar = yield* Sidecar.scoped(quiet)
    const moved = yield* Sidecar.scoped(quiet)
    const smolvm = yield* Layer.build(guest.layer)
    return Context.add(smolvm, Fixture, { setup, guest, token, sidecar, moved })
  })).pipe(Layer.provide(NodeContext.layer))

/** Runs `self` with its logs captured, and checks the token is in none of them nor in the result. */
const withoutToken = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const { token } = yield* Fixture
    const [result, logs] = yield* BottleLogger.capture(self)
    expect(logs.length).toBeGreaterThan(0)
    for (const log of logs) expect(log.line).not.toContain(token)
    expect(JSON.stringify(result)).not.toContain(token)
    return result
  })

const planFor = (url: string) =>
  Effect.gen(function*() {
    const { guest, token } = yield* Fixture
    return yield* guest.plan({ agentUrl: url, token })
  })

const configOwner = Effect.gen(function*() {
  const { guest } = yield* Fixture
  return fs.statSync(guest.configFile).uid
})

/** Registers the scenario for one landing mode (skipped, or failing on CI, without its prerequisites). */
export const scenario = (landing: Landing, title: string): void =>
  gated(title, landing, (title, setup) =>
    layer(FixtureLive(setup), { excludeTestServices: true, timeout: "30 seconds" })(title, (it) => {
      it.effect("verifySupervise on a fresh guest is NotRegistered", () =>
        Effect.gen(function*() {
          const { guest, sidecar } = yield* Fixture
          const outcome = yield* withoutToken(ProvisionSupervise.verifySupervise(yield* planFor(sidecar.url), guest.name))
          expect(outcome._tag).toBe("NotRegistered")
          // The CLI writes its first-start keys even for `get`: as the agent, so the agent keeps owning its config.
          if (fs.existsSync(guest.configFile)) expect(yield* configOwner).toBe(setup.agent.uid)
        }))

      it.effect("provisioning registers the entry with the token header, in a file owned by the agent", () =>
        Effect.gen(function*() {
          const { guest, sidecar, token } = yield* Fixture
          const outcome = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name))
          expect(outcome._tag).toBe("Registered")
          if (outcome._tag === "Registered") expect(outcome.execs).toBe(1)
          const entry = yield* AgentView.readEntry(guest.configFile, "supervise")
          expect(entry).toEqual({ type: "http", url: sidecar.url, headers: { Authorization: `Bearer ${token}` } })
          expect(yield* configOwner).toBe(setup.agent.uid)
        }))

      it.effect("re-provisioning the same URL and token is Unchanged", () =>
        Effect.gen(function*() {
          const { guest, sidecar } = yield* Fixture
          const outcome = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name))
          expect(outcome._tag).toBe("Unchanged")
          if (outcome._tag === "Unchanged") expect([outcome.execs, outcome.cliStarts]).toEqual([1, 0])
        }))

      it.effect("a new port is Replaced; a server registered beforehand with the real CLI is kept", () =>
        Effect.gen(function*() {
          const { guest, moved, sidecar, token } = yield* Fixture
          const plan = yield* planFor(moved.url)
          // Another MCP server, registered by the agent itself with the real CLI.
          const smolvm = yield* Smolvm.Smolvm
          yield* smolvm.machineExec(
            guest.name,
            Guest.asAgent(plan.agent, [
              "claude", "mcp", "add", "--scope", "user", "--transport", "http", "other", "http://127.0.0.1:9/other"
            ]),
            { user: plan.agent.user }
          )
          const outcome = yield* withoutToken(ProvisionSupervise.provisionSupervise(plan, guest.name))
          expect(outcome._tag).toBe("Replaced")
          if (outcome._tag === "Replaced") {
            expect(outcome.changed).toEqual(["url"])
            expect(outcome.previousUrl).toBe(sidecar.url)
            expect([outcome.execs, outcome.cliStarts]).toEqual([2, 2])
          }
          const servers = yield* AgentView.readServers(guest.configFile)
          expect(servers["other"]).toEqual({ type: "http", url: "http://127.0.0.1:9/other" })
          expect(servers["supervise"]).toEqual({
            type: "http",
            url: moved.url,
            headers: { Authorization: `Bearer ${token}` }
          })
          expect(yield* configOwner).toBe(setup.agent.uid)
        }))

      it.effect("a config grown to MBs (thousands of projects) still reconciles: Unchanged in 1 exec, Replaced in 2", () =>
        Effect.gen(function*() {
          const { guest, moved, sidecar } = yield* Fixture
          // Claude Code keeps state for every directory it ever ran in, in its own layout.
          const config: { projects?: Record<string, unknown> } = JSON.parse(fs.readFileSync(guest.configFile, "utf8"))
          const projects: Record<string, unknown> = { ...config.projects }
          for (let i = 0; i < PROJECTS; i++) {
            projects[`/work/repo-${i}`] = {
              allowedTools: [],
              mcpServers: {},
              hasTrustDialogAccepted: true,
              exampleFiles: ["src/index.ts", "src/cli.ts", "README.md"],
              lastSessionId: randomUUID()
            }
          }
          fs.writeFileSync(guest.configFile, JSON.stringify({ ...config, projects }, null, 2))
          // Past what smolvm carries back from one exec (about 11 MiB).
          expect(fs.statSync(guest.configFile).size).toBeGreaterThan(12 * 1024 * 1024)

          const same = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(moved.url), guest.name))
          expect(same).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          const back = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name))
          expect(back).toMatchObject({ _tag: "Replaced", execs: 2, changed: ["url"], previousUrl: moved.url })
          const again = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(moved.url), guest.name))
          expect(again).toMatchObject({ _tag: "Replaced", execs: 2, changed: ["url"], previousUrl: sidecar.url })

          const after: { projects?: Record<string, unknown> } = JSON.parse(fs.readFileSync(guest.configFile, "utf8"))
          expect(Object.keys(after.projects ?? {}).length).toBeGreaterThanOrEqual(PROJECTS)
          expect((yield* AgentView.readServers(guest.configFile))["other"]).toEqual({
            type: "http",
            url: "http://127.0.0.1:9/other"
          })
          expect(yield* configOwner).toBe(setup.agent.uid)
        }))

      it.effect("verifySupervise is Connected while the sidecar runs (the CLI prints the token; we do not)", () =>
        Effect.gen(function*() {
          const { guest, moved } = yield* Fixture
          const outcome = yield* withoutToken(ProvisionSupervise.verifySupervise(yield* planFor(moved.url), guest.name))
          expect(outcome._tag).toBe("Connected")
          if (outcome._tag === "Connected") expect(outcome.registeredUrl).toBe(moved.url)
        }))

      it.effect("the agent is offered pipelock-block and capability-block, and a call reaches the operator", () =>
        Effect.gen(function*() {
          const { guest, moved } = yield* Fixture
          const entry = yield* AgentView.readEntry(guest.configFile, "supervise")
          const tools = yield* AgentView.listTools(entry)
          expect(tools.map((tool) => tool.name).sort()).toEqual(["capability-block", "pipelock-block"])
          const answer = yield* AgentView.callTool(entry, "capability-block", {
            capability: "the psql client",
            why: "the e2e suite wants to see this request recorded"
          })
          expect(answer).toContain("Recorded as request #1")
          expect(moved.requests).toHaveLength(1)
          expect(moved.requests[0]).toMatchObject({ tool: "capability-block", capability: "the psql client" })
          // Without the header the sidecar refuses.
          const status = yield* Effect.promise(() => fetch(entry.url, { method: "POST", body: "{}" }))
          expect(status.status).toBe(401)
        }))

      it.effect("verifySupervise is Unreachable once the sidecar stops", () =>
        Effect.gen(function*() {
          const { guest, moved } = yield* Fixture
          yield* Effect.promise(() => moved.close())
          const outcome = yield* withoutToken(ProvisionSupervise.verifySupervise(yield* planFor(moved.url), guest.name))
          expect(outcome._tag).toBe("Unreachable")
          if (outcome._tag === "Unreachable") expect(outcome.reason).toMatch(/ECONNREFUSED/)
        }))

      it.effect("the token never appeared on a smolvm command line (it travels with --secret-env)", () =>
        Effect.gen(function*() {
          const { guest, token } = yield* Fixture
          const lines = yield* guest.commandLines
          expect(lines.length).toBeGreaterThanOrEqual(10)
          for (const line of lines) expect(line.join(" ")).not.toContain(token)
          expect(lines.some((line) => line.includes("--secret-env"))).toBe(true)
        }))
    }))
