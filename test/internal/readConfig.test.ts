import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ClaudeConfig from "../../src/internal/claudeConfig.js"
import * as Guest from "../../src/internal/guest.js"
import { planOf } from "../support/plans.js"

// The config read is plain sh + wc + cat + awk run by the guest: test it with
// the real tools on this host, on files laid out as Claude Code writes them.
const dir = mkdtempSync(join(tmpdir(), "bottle-supervise-read-"))
let files = 0
const fileWith = (text: string): string => {
  const path = join(dir, `claude-${files++}.json`)
  writeFileSync(path, text)
  return path
}
const read = (limit: number, name: string, path: string) =>
  spawnSync("sh", ["-c", Guest.READ, "bottle-supervise", String(limit), name, path], { encoding: "utf8" })

const URLS = ["http://127.0.0.1:4318/", "http://127.0.0.1:5000/"] as const
const TOKENS = ["tok_aaaaaaaaaaaaaaaa", "tok_bbbbbbbbbbbbbbbb"] as const
/** Names that collide with the plan's often, and arbitrary ones (quotes, braces, newlines) too. */
const serverName = fc.oneof(fc.constantFrom("supervise", "other", "Supervise"), fc.string({ unit: "binary" }))
const server = fc.oneof(
  fc.record({ type: fc.constant("http"), url: fc.oneof(fc.constantFrom(...URLS), fc.webUrl()) }),
  fc.record({
    type: fc.constant("http"),
    url: fc.constantFrom(...URLS),
    headers: fc.record({ Authorization: fc.oneof(fc.constantFrom(...TOKENS.map((t) => `Bearer ${t}`)), fc.string()) })
  }),
  fc.record({ type: fc.constant("stdio"), command: fc.string(), args: fc.array(fc.string({ unit: "binary" })) })
)
const servers = fc.dictionary(serverName, server, { maxKeys: 4 })
const project = fc.record(
  { mcpServers: servers, allowedTools: fc.array(fc.string(), { maxLength: 2 }), history: fc.jsonValue({ maxDepth: 2 }) },
  { requiredKeys: [] }
)
/** A config with the user-scope servers anywhere among other keys, and projects with local-scope servers. */
const config = fc.tuple(
  // Claude Code writes no top-level mcpServers until the first `claude mcp add`.
  fc.option(servers, { nil: undefined, freq: 4 }),
  fc.dictionary(fc.string().filter((k) => k !== "mcpServers" && k !== "projects"), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.option(fc.dictionary(fc.string({ unit: "binary" }), project, { maxKeys: 5 }), { nil: undefined }),
  fc.nat()
).map(([mcpServers, other, projects, at]) => {
  const entries: Array<[string, unknown]> = Object.entries(other)
  if (projects !== undefined) entries.splice(at % (entries.length + 1), 0, ["projects", projects])
  if (mcpServers !== undefined) entries.splice((at >> 3) % (entries.length + 1), 0, ["mcpServers", mcpServers])
  return { mcpServers, text: JSON.stringify(Object.fromEntries(entries), null, 2) }
})
const plan = fc.record({ url: fc.constantFrom(...URLS), token: fc.option(fc.constantFrom(...TOKENS), { nil: undefined }) })
  .chain((p) => fc.constantFrom("supervise", "other").map((name) => planOf({ ...p, serverName: name })))

describe("the guest's config read", () => {
  it.prop("at or under the limit it prints the file as it is", [config], ([{ text }]) => {
    const run = read(Buffer.byteLength(text), "supervise", fileWith(text))
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(text)
    expect(run.stderr).toBe("")
  }, { fastCheck: { numRuns: 25 } })

  it.prop(
    "over the limit, the part it prints compares exactly as the whole file (laid out as Claude Code writes it): same entry, changes and shadowing projects",
    [config, plan],
    ([{ mcpServers, text }, bottle]) => {
      const supervise = bottle.supervisePlan!
      const run = read(Buffer.byteLength(text) - 1, supervise.serverName, fileWith(text))
      expect(run.status).toBe(0)
      expect(run.stderr).toContain(Guest.READ_PART_MARK)
      const part: { mcpServers?: unknown } = JSON.parse(run.stdout)
      expect(part.mcpServers).toEqual(mcpServers)
      expect(ClaudeConfig.compare(run.stdout, supervise)).toEqual(ClaudeConfig.compare(text, supervise))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("a file of tens of MB comes back as its servers and the shadowing project only", () => {
    const projects: Record<string, unknown> = {}
    for (let i = 0; i < 80_000; i++) projects[`/work/repo-${i}`] = { allowedTools: [], mcpServers: {}, exampleFiles: ["a.ts"] }
    projects["/work/repo-7"] = { mcpServers: { supervise: { type: "stdio", command: "x" } } }
    const servers = { supervise: { type: "http", url: "http://127.0.0.1:4318/" } }
    const text = JSON.stringify({ numStartups: 9, projects, mcpServers: servers }, null, 2)
    expect(text.length).toBeGreaterThan(2 * Guest.READ_WHOLE_LIMIT)
    const run = read(Guest.READ_WHOLE_LIMIT, "supervise", fileWith(text))
    expect(JSON.parse(run.stdout)).toEqual({
      mcpServers: servers,
      projects: { "/work/repo-7": { mcpServers: { supervise: {} } } }
    })
    expect(run.stdout.length).toBeLessThan(300)
  })

  it.each([
    ["one line", (value: unknown) => JSON.stringify(value)],
    ["one-space indentation", (value: unknown) => JSON.stringify(value, null, 1)],
    ["four-space indentation", (value: unknown) => JSON.stringify(value, null, 4)],
    ["CRLF line ends", (value: unknown) => JSON.stringify(value, null, 2).replace(/\n/g, "\r\n")]
  ])("a large file in another layout (%s) gives no part rather than a wrong one", (_, render) => {
    // With one-space indentation a nested "mcpServers" sits where a top-level one would with two.
    const value = {
      nested: { mcpServers: { supervise: { type: "http", url: "http://127.0.0.1:4318/" } } },
      mcpServers: { supervise: { type: "http", url: "http://old:1/" } }
    }
    const run = read(10, "supervise", fileWith(render(value)))
    expect(run.status).toBe(0)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain(Guest.READ_PART_MARK)
  })

  it("a missing file fails with cat's own words", () => {
    const run = read(Guest.READ_WHOLE_LIMIT, "supervise", join(dir, "missing.json"))
    expect(run.status).toBe(1)
    expect(run.stderr).toBe(`cat: ${join(dir, "missing.json")}: No such file or directory\n`)
  })
})
