// Testing a launcher with bottle-supervise/Testing: an in-memory Claude Code guest that answers like the
// real CLI inside a smolvm VM. Each test builds a fresh guest with Testing.layer(...) and reads like the
// launcher's specification. Run by the repository's test suite; the README quotes it.
import { describe, expect, it } from "@effect/vitest"
import { Logger, ProvisionSupervise, SupervisePlan } from "bottle-supervise"
import * as Testing from "bottle-supervise/Testing"
import { Effect, Schedule } from "effect"

const plan = (agentUrl: string, token = "tok_launcher_0001") =>
  SupervisePlan.decode({ supervisePlan: { agentUrl, token }, agent: { user: "node" } })

describe("launching a bottle", () => {
  // Property: whatever the plan, a fresh bottle is Registered with exactly the planned entry.
  it.effect.prop(
    "any plan registers its sidecar on a fresh bottle",
    [Testing.arbitraryPlan],
    ([plan]) =>
      Effect.gen(function*() {
        const guest = yield* Testing.ClaudeGuest
        const outcome = yield* ProvisionSupervise.provisionSupervise(plan, guest.name)
        expect(outcome._tag).toBe("Registered")
        const entry = yield* guest.server(plan.supervisePlan?.serverName, { configDir: plan.agent.configDir })
        expect(entry?.["url"]).toBe(plan.supervisePlan?.agentUrl)
      }).pipe(Effect.provide(Testing.layer())),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect("a first launch is Registered, a relaunch with the same plan is Unchanged", () =>
    Effect.gen(function*() {
      const guest = yield* Testing.ClaudeGuest
      const same = yield* plan("http://127.0.0.1:4318/")
      expect((yield* ProvisionSupervise.provisionSupervise(same, guest.name))._tag).toBe("Registered")
      expect((yield* ProvisionSupervise.provisionSupervise(same, guest.name))._tag).toBe("Unchanged")
      expect(yield* guest.owner("/home/node/.claude.json")).toBe("node") // written as the agent, not root
    }).pipe(Effect.provide(Testing.layer({ execLandsAs: "root" }))))

  it.effect("a relaunch with a new port is Replaced and keeps the user's other servers", () =>
    Effect.gen(function*() {
      const guest = yield* Testing.ClaudeGuest
      yield* ProvisionSupervise.provisionSupervise(yield* plan("http://127.0.0.1:4318/"), guest.name)
      const outcome = yield* ProvisionSupervise.provisionSupervise(yield* plan("http://127.0.0.1:5000/"), guest.name)
      expect(outcome).toMatchObject({ _tag: "Replaced", changed: ["url"], previousUrl: "http://127.0.0.1:4318/" })
      const config = yield* guest.file("/home/node/.claude.json")
      expect(config?.["mcpServers"]).toMatchObject({
        github: { type: "http", url: "https://api.githubcopilot.com/mcp/" },
        supervise: { type: "http", url: "http://127.0.0.1:5000/" }
      })
    }).pipe(Effect.provide(Testing.layer({
      files: {
        "/home/node/.claude.json": {
          mcpServers: { github: { type: "http", url: "https://api.githubcopilot.com/mcp/" } }
        }
      }
    }))))

  it.effect("a stopped machine is Failed; the operator is warned with the manual hint", () =>
    Effect.gen(function*() {
      const guest = yield* Testing.ClaudeGuest
      const [outcome, logs] = yield* Logger.capture(
        ProvisionSupervise.provisionSupervise(yield* plan("http://127.0.0.1:4318/"), guest.name, {
          retry: Schedule.recurs(2) // "is not running" is retried: 3 execs here
        })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 3, error: { reason: "MachineNotRunning" } })
      const warning = logs.find((log) => log.level === "WARN")
      expect(warning?.message).toContain("register manually with: claude mcp remove --scope user supervise")
      expect(warning?.message).not.toContain("tok_launcher_0001") // the token is never logged
    }).pipe(Effect.provide(Testing.layer({ machine: "stopped" }))))

  it.effect("verify is Connected while the sidecar answers, Unreachable once it is down", () =>
    Effect.gen(function*() {
      const guest = yield* Testing.ClaudeGuest
      const bottle = yield* plan("http://127.0.0.1:4318/")
      yield* ProvisionSupervise.provisionSupervise(bottle, guest.name)
      expect((yield* ProvisionSupervise.verifySupervise(bottle, guest.name))._tag).toBe("Connected")
      yield* guest.setSidecar("down")
      expect(yield* ProvisionSupervise.verifySupervise(bottle, guest.name)).toMatchObject({
        _tag: "Unreachable",
        registeredUrl: "http://127.0.0.1:4318/"
      })
    }).pipe(Effect.provide(Testing.layer())))

  // A mixed fleet: the same launcher code for a bottle that runs Codex (also "gemini", "copilot").
  it.effect("a Codex bottle: Registered, then Unchanged with no Codex start; the entry as Codex reads it", () =>
    Effect.gen(function*() {
      const guest = yield* Testing.AgentGuest
      const codex = yield* SupervisePlan.decode({
        supervisePlan: { agentUrl: "http://127.0.0.1:4318/", token: "tok_launcher_0001" },
        agent: { kind: "codex", user: "node" }
      })
      expect((yield* ProvisionSupervise.provisionSupervise(codex, guest.name))._tag).toBe("Registered")
      expect(yield* ProvisionSupervise.provisionSupervise(codex, guest.name)).toMatchObject({
        _tag: "Unchanged",
        cliStarts: 0
      })
      expect(yield* guest.server("supervise")).toMatchObject({ url: "http://127.0.0.1:4318/" })
      expect(yield* ProvisionSupervise.verifySupervise(codex, guest.name)).toMatchObject({
        _tag: "Connected",
        checkedBy: "entry-and-probe" // Codex's CLI has no check that connects
      })
    }).pipe(Effect.provide(Testing.layer({ agentKind: "codex" }))))
})
