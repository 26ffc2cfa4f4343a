/**
 * The end-to-end scenario, run once per kind of guest: the library's live
 * backend layer drives a guest with the real `claude` CLI in it, against the
 * reference supervise sidecar. Steps run in order and share one guest and two
 * sidecars (the second one plays "the sidecar moved to another port").
 *
 * Guests (`test/support/scenarioGuest.ts`): the smolvm stand-in running
 * commands on this host, once per way exec lands (`scenario`, here); the
 * stand-in in container mode, and the Docker backend on real containers
 * (`scenarioOn`, from their own test files).
 */
import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as Sidecar from "../../examples/supervise-sidecar.js"
import * as Guest from "../../src/internal/guest.js"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as AgentView from "../support/agentView.js"
import { type ArgvSample, controlLine, hostControl, sampleHostArgv } from "../support/hostArgv.js"
import { hostStandin, type ScenarioGuest } from "../support/scenarioGuest.js"
import { makeGuest } from "../support/standin.js"
import { gated, type Landing } from "./prerequisites.js"

interface FixtureShape {
  readonly guest: ScenarioGuest
  readonly token: string
  /** Where the sidecar first listens. */
  readonly sidecar: Sidecar.Sidecar
  /** The same sidecar "restarted" on another port. */
  readonly moved: Sidecar.Sidecar
  /** What the host's command lines showed during the sampled provisionings (container guests only). */
  readonly samples: Array<ArgvSample>
}

const PROJECTS = 50_000

class Fixture extends Context.Tag("e2e/Fixture")<Fixture, FixtureShape>() {}

const FixtureLive = <E>(makeGuest: Effect.Effect<ScenarioGuest, E, Scope.Scope>) =>
  Layer.scopedContext(Effect.gen(function*() {
    const token = `e2e-token-${randomUUID()}`
    const guest = yield* makeGuest
    const quiet = { token, log: () => {} }
    const sidecar = yield* Sidecar.scoped(quiet)
    const moved = yield* Sidecar.scoped(quiet)
    const backend = yield* Layer.build(guest.layer)
    return Context.add(backend, Fixture, { guest, token, sidecar, moved, samples: [] })
  })).pipe(Layer.provide(NodeContext.layer))

/**
 * Runs `self` with its logs captured, and checks the token is in none of them nor in the result. With
 * `sample`, on a container guest, the host's command lines are sampled meanwhile (see the last test).
 */
const withoutToken = <A, E, R>(self: Effect.Effect<A, E, R>, options: { readonly sample?: boolean } = {}) =>
  Effect.gen(function*() {
    const { guest, samples, token } = yield* Fixture
    const captured = BottleLogger.capture(self)
    const [result, logs] = options.sample === true && guest.container !== undefined
      ? yield* Effect.map(
        sampleHostArgv({ needle: token, client: guest.container }, Effect.zipLeft(captured, hostControl(token))),
        ([ran, sample]) => {
          samples.push(sample)
          return ran
        }
      )
      : yield* captured
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

/** The agent's config file exists, is the agent's own and private to it. */
const expectAgentsOwn = Effect.gen(function*() {
  const { guest } = yield* Fixture
  const stat = yield* guest.configStat
  expect(stat === undefined ? undefined : { uid: stat.uid, mode: stat.mode.toString(8) }).toEqual({
    uid: guest.agentUid,
    mode: "600"
  })
})

const configText = Effect.gen(function*() {
  const { guest } = yield* Fixture
  const text = yield* guest.readConfig
  if (text === undefined) return yield* Effect.die(new Error(`${guest.configFile} does not exist`))
  return text
})

const servers = Effect.gen(function*() {
  const { guest } = yield* Fixture
  return yield* AgentView.serversIn(yield* configText, guest.configFile)
})

const entry = (name: string) =>
  Effect.gen(function*() {
    const { guest } = yield* Fixture
    return yield* AgentView.entryIn(yield* configText, name, guest.configFile)
  })

/** Registers the scenario for one landing mode of the host-folder stand-in (skipped, or failing on CI, without its prerequisites). */
export const scenario = (landing: Landing, title: string): void =>
  gated(title, landing, (title, setup) =>
    scenarioOn(
      title,
      Effect.map(
        makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs }),
        (guest) => hostStandin(guest, setup.agent.uid)
      )
    ))

/** Registers the scenario as the block `title`, against the guest `makeGuest` makes (once, for the whole block). */
export const scenarioOn = <E>(title: string, makeGuest: Effect.Effect<ScenarioGuest, E, Scope.Scope>): void =>
  layer(FixtureLive(makeGuest), { excludeTestServices: true, timeout: "60 seconds" })(title, (it) => {
    it.effect("verifySupervise on a fresh guest is NotRegistered", () =>
      Effect.gen(function*() {
        const { guest, sidecar } = yield* Fixture
        const outcome = yield* withoutToken(ProvisionSupervise.verifySupervise(yield* planFor(sidecar.url), guest.name))
        expect(outcome._tag).toBe("NotRegistered")
        // The CLI writes its first-start keys even for `get`: as the agent, so the agent keeps owning its config.
        if ((yield* guest.configStat) !== undefined) yield* expectAgentsOwn
      }))

    it.effect("provisioning registers the entry with the token header, in a file owned by the agent", () =>
      Effect.gen(function*() {
        const { guest, sidecar, token } = yield* Fixture
        const outcome = yield* withoutToken(
          ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name),
          { sample: true }
        )
        expect(outcome._tag).toBe("Registered")
        if (outcome._tag === "Registered") expect([outcome.execs, outcome.cliStarts]).toEqual([1, 1])
        expect(yield* entry("supervise")).toEqual({
          type: "http",
          url: sidecar.url,
          headers: { Authorization: `Bearer ${token}` }
        })
        yield* expectAgentsOwn
      }))

    it.effect("re-provisioning the same URL and token is Unchanged", () =>
      Effect.gen(function*() {
        const { guest, sidecar } = yield* Fixture
        const outcome = yield* withoutToken(
          ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name)
        )
        expect(outcome._tag).toBe("Unchanged")
        if (outcome._tag === "Unchanged") expect([outcome.execs, outcome.cliStarts]).toEqual([1, 0])
      }))

    it.effect("a new port is Replaced; a server registered beforehand with the real CLI, and other keys, are kept", () =>
      Effect.gen(function*() {
        const { guest, moved, sidecar, token } = yield* Fixture
        const plan = yield* planFor(moved.url)
        // Another MCP server, registered by the agent itself with the real CLI.
        const sandbox = yield* Sandbox.Sandbox
        yield* sandbox.exec(
          guest.name,
          Guest.asAgent(plan.agent, [
            "claude",
            "mcp",
            "add",
            "--scope",
            "user",
            "--transport",
            "http",
            "other",
            "http://127.0.0.1:9/other"
          ]),
          { user: plan.agent.user }
        )
        const before: Record<string, unknown> = JSON.parse(yield* configText)
        const outcome = yield* withoutToken(ProvisionSupervise.provisionSupervise(plan, guest.name), { sample: true })
        expect(outcome._tag).toBe("Replaced")
        if (outcome._tag === "Replaced") {
          expect(outcome.changed).toEqual(["url"])
          expect(outcome.previousUrl).toBe(sidecar.url)
          expect([outcome.execs, outcome.cliStarts]).toEqual([2, 2])
        }
        const after: Record<string, unknown> = JSON.parse(yield* configText)
        // Every top-level key the CLI wrote before (its first-start state) is still there.
        expect(Object.keys(after)).toEqual(expect.arrayContaining(Object.keys(before)))
        const now = yield* servers
        expect(now["other"]).toEqual({ type: "http", url: "http://127.0.0.1:9/other" })
        expect(now["supervise"]).toEqual({
          type: "http",
          url: moved.url,
          headers: { Authorization: `Bearer ${token}` }
        })
        yield* expectAgentsOwn
      }))

    it.effect(
      "a config grown to MBs (thousands of projects) still reconciles: Unchanged in 1 exec, Replaced in 2",
      () =>
        Effect.gen(function*() {
          const { guest, moved, sidecar } = yield* Fixture
          // Claude Code keeps state for every directory it ever ran in, in its own layout.
          const config: { projects?: Record<string, unknown> } = JSON.parse(yield* configText)
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
          yield* guest.writeConfig(JSON.stringify({ ...config, projects }, null, 2))
          // Past what smolvm carries back from one exec (about 11 MiB), and past the Docker layer's 8 MiB bound.
          expect((yield* guest.configStat)?.size).toBeGreaterThan(12 * 1024 * 1024)

          const same = yield* withoutToken(ProvisionSupervise.provisionSupervise(yield* planFor(moved.url), guest.name))
          expect(same).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          const back = yield* withoutToken(
            ProvisionSupervise.provisionSupervise(yield* planFor(sidecar.url), guest.name)
          )
          expect(back).toMatchObject({ _tag: "Replaced", execs: 2, changed: ["url"], previousUrl: moved.url })
          const again = yield* withoutToken(
            ProvisionSupervise.provisionSupervise(yield* planFor(moved.url), guest.name)
          )
          expect(again).toMatchObject({ _tag: "Replaced", execs: 2, changed: ["url"], previousUrl: sidecar.url })

          const text = yield* configText
          const after: { projects?: Record<string, unknown> } = JSON.parse(text)
          expect(Object.keys(after.projects ?? {}).length).toBeGreaterThanOrEqual(PROJECTS)
          expect((yield* AgentView.serversIn(text, guest.configFile))["other"]).toEqual({
            type: "http",
            url: "http://127.0.0.1:9/other"
          })
          yield* expectAgentsOwn
        }),
      120_000
    )

    it.effect("verifySupervise is Connected while the sidecar runs (the CLI prints the token; we do not)", () =>
      Effect.gen(function*() {
        const { guest, moved } = yield* Fixture
        const outcome = yield* withoutToken(ProvisionSupervise.verifySupervise(yield* planFor(moved.url), guest.name))
        expect(outcome._tag).toBe("Connected")
        if (outcome._tag === "Connected") expect(outcome.registeredUrl).toBe(moved.url)
      }))

    it.effect("the agent is offered pipelock-block and capability-block, and a call reaches the operator", () =>
      Effect.gen(function*() {
        const { moved } = yield* Fixture
        const supervise = yield* entry("supervise")
        const tools = yield* AgentView.listTools(supervise)
        expect(tools.map((tool) => tool.name).sort()).toEqual(["capability-block", "pipelock-block"])
        const answer = yield* AgentView.callTool(supervise, "capability-block", {
          capability: "the psql client",
          why: "the e2e suite wants to see this request recorded"
        })
        expect(answer).toContain("Recorded as request #1")
        expect(moved.requests).toHaveLength(1)
        expect(moved.requests[0]).toMatchObject({ tool: "capability-block", capability: "the psql client" })
        // Without the header the sidecar refuses.
        const status = yield* Effect.promise(() => fetch(supervise.url, { method: "POST", body: "{}" }))
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

    it.effect("the token never appeared on a host command line (it travels in the client's environment)", () =>
      Effect.gen(function*() {
        const { guest, samples, token } = yield* Fixture
        // Some record of the host's command lines must exist, or this test would pass on nothing.
        expect(guest.commandLines !== undefined || guest.container !== undefined).toBe(true)
        if (guest.commandLines !== undefined) {
          const lines = yield* guest.commandLines
          expect(lines.length).toBeGreaterThanOrEqual(10)
          for (const line of lines) expect(line.join(" ")).not.toContain(token)
          expect(lines.some((line) => line.includes("--secret-env"))).toBe(true)
        }
        if (guest.container !== undefined) {
          // The registration and the replace, each sampled while it ran.
          expect(samples).toHaveLength(2)
          for (const sample of samples) {
            // The sampler saw the token where it was put on purpose (so it would have seen it anywhere), and nowhere else.
            expect(sample.hostHits).toEqual([controlLine(token)])
            // It saw the docker client, which names the secret and not its value.
            expect(
              sample.clientLines.filter((line) =>
                /^(\S*\/)?docker exec /.test(line) && line.includes(` -e ${Guest.TOKEN_VAR} `)
              )
            )
              .not.toEqual([])
          }
          // Inside the container `claude mcp add` gets the header as an argument: seen there, in the guest's pid namespace.
          expect(samples.reduce((n, sample) => n + sample.guestHits, 0)).toBeGreaterThan(0)
        }
      }))
  })
