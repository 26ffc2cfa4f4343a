import { describe, expect, it } from "@effect/vitest"
import { PROBE_MARK } from "../../src/internal/agents/movableConfig.js"
import { agentOf } from "../../src/internal/agents/registry.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"

// How each agent's verification output is read on the host: the words a real CLI or the probe prints
// (recorded from Gemini CLI 0.61.0 and the probe against the reference sidecar), and a hostile guest's.
const plan = SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make("http://127.0.0.1:4318/") })
const ran = (stderr: string, stdout = "") => ({ exitCode: 0, stdout, stderr })
const entry = JSON.stringify({ entry: { type: "http", url: "http://127.0.0.1:4318/" } })

describe("Gemini CLI's mcp list", () => {
  const gemini = agentOf("gemini")
  it("reads the server's line by its words, not its glyph", () => {
    const list = (line: string) =>
      gemini.health(ran(`Configured MCP servers:\n\n${line}\nbottle-supervise: gemini exited 0`), plan)
    expect(list("✓ supervise: http://127.0.0.1:4318/ (http) - Connected")).toEqual({
      _tag: "Connected",
      type: "http",
      url: "http://127.0.0.1:4318/"
    })
    expect(list("✗ supervise: http://127.0.0.1:4318/ (http) - Disconnected")).toMatchObject({
      _tag: "Unreachable",
      reason: "gemini mcp list: Disconnected"
    })
    // Folder trust off: the server is listed as disabled, which is not a connection.
    expect(list("○ supervise: http://127.0.0.1:4318/ (http) - Disabled")._tag).toBe("Unreachable")
    expect(list("✓ other: http://127.0.0.1:4318/ (http) - Connected")._tag).toBe("NotRegistered")
  })
  it("a missing gemini is Unknown with the CLI's status, not NotRegistered", () => {
    const health = gemini.health(ran("sh: 3: gemini: not found\nbottle-supervise: gemini exited 127"), plan)
    expect(health).toMatchObject({ _tag: "Unknown", exitCode: 127 })
  })
  it("a hostile guest's megabyte of lookalike text is read in bounded time", () => {
    const hostile = `supervise: ${" (a) - x".repeat(200_000)}\n`.repeat(2)
    const started = performance.now()
    gemini.health(ran(hostile), plan)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe("the entry-and-probe check (Codex, Copilot CLI)", () => {
  const copilot = agentOf("copilot")
  const probe = (answer: unknown) => copilot.health(ran(`${PROBE_MARK}${JSON.stringify(answer)}\n`, entry), plan)
  it("Connected only when the sidecar answered initialize as an MCP server", () => {
    expect(probe({ status: 200, mcp: true })).toEqual({ _tag: "Connected", type: "http", url: plan.agentUrl })
    expect(probe({ status: 200, mcp: false })).toMatchObject({
      _tag: "Unreachable",
      reason: expect.stringContaining("not as an MCP server")
    })
    expect(probe({ status: 401, mcp: false })).toMatchObject({
      _tag: "Unreachable",
      reason: "the sidecar refused the token (HTTP 401)"
    })
    expect(probe({ error: "ECONNREFUSED" })).toMatchObject({
      _tag: "Unreachable",
      reason: "cannot connect to the sidecar (ECONNREFUSED)"
    })
  })
  it("no probe answer, or one that is not JSON, is Unknown; no entry is NotRegistered", () => {
    expect(copilot.health(ran("", entry), plan)._tag).toBe("Unknown")
    expect(copilot.health(ran(`${PROBE_MARK}{nope\n`, entry), plan)._tag).toBe("Unknown")
    expect(copilot.health(ran("", "{\"absent\":true}\n"), plan)._tag).toBe("NotRegistered")
    expect(agentOf("codex").health(ran("", "absent\n"), plan)._tag).toBe("NotRegistered")
  })
})
