/**
 * Properties of the testing kit's guest for every agent, over any plan
 * (`arbitraryAgentPlan`: any URL, token or none, server name, config
 * directory) and any seeded config (`arbitraryAgentConfig`: other servers and
 * keys, never the plan's entry): a first provisioning is Registered, a second
 * Unchanged in one exec with no CLI start, the stored entry is the plan's as
 * that agent's CLI writes it, and every other server and key is kept.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Redacted from "effect/Redacted"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import * as Testing from "../../src/Testing.js"
import { EXPECT } from "../contract/agentSuite.js"

const KINDS: ReadonlyArray<SupervisePlan.AgentKind> = ["claude-code", "codex", "gemini", "copilot"]

const serversKey = (kind: SupervisePlan.AgentKind) => (kind === "codex" ? "mcp_servers" : "mcpServers")

const planned = (kind: SupervisePlan.AgentKind, url: string, token: string | undefined): Testing.ConfigJson =>
  kind === "claude-code"
    ? token === undefined
      ? { type: "http", url }
      : { type: "http", url, headers: { Authorization: `Bearer ${token}` } }
    : EXPECT[kind].entry(url, token)

describe("the kit's guest, any agent", () => {
  for (const kind of KINDS) {
    it.effect.prop(
      `${kind}: any plan on any seeded config is Registered, then Unchanged; the entry is the plan's, the rest kept`,
      [
        Testing.arbitraryAgentPlan(kind),
        Testing.arbitraryAgentConfig(kind),
        FastCheck.constantFrom<"root" | "agent">("root", "agent")
      ],
      ([plan, config, execLandsAs]) =>
        Effect.gen(function*() {
          const supervise = plan.supervisePlan
          if (supervise === undefined) return
          const probe = yield* Testing.make({ agentKind: kind })
          const path = yield* probe.configFile({ configDir: plan.agent.configDir })
          const guest = yield* Testing.make({ agentKind: kind, execLandsAs, files: { [path]: config } })
          const first = yield* ProvisionSupervise.provisionSupervise(plan, guest.name).pipe(
            Effect.provide(guest.layer)
          )
          expect(first._tag).toBe("Registered")
          const second = yield* ProvisionSupervise.provisionSupervise(plan, guest.name).pipe(
            Effect.provide(guest.layer)
          )
          expect(second).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          const token = supervise.token === undefined ? undefined : Redacted.value(supervise.token)
          expect(yield* guest.server(supervise.serverName, { configDir: plan.agent.configDir })).toEqual(
            planned(kind, supervise.agentUrl, token)
          )
          const after = yield* guest.file(path)
          const key = serversKey(kind)
          for (const [name, value] of Object.entries(config)) {
            if (name === key) continue
            // Claude Code drops keys holding its defaults; arbitraryConfig draws none.
            expect({ [name]: after?.[name] }).toEqual({ [name]: value })
          }
          const servers = (json: Testing.ConfigJson | undefined): Record<string, unknown> => {
            const found = json?.[key]
            return typeof found === "object" && found !== null ? { ...found } : {}
          }
          const now = servers(after)
          for (const [name, value] of Object.entries(servers(config))) {
            if (name !== supervise.serverName) expect({ [name]: now[name] }).toEqual({ [name]: value })
          }
        }),
      { fastCheck: { numRuns: 60 } }
    )
  }
})
