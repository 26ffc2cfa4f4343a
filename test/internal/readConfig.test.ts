import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Guest from "../../src/internal/guest.js"

// The config read is plain sh + wc + cat + awk run by the guest: test it with
// the real tools on this host, on files laid out as Claude Code writes them.
const dir = mkdtempSync(join(tmpdir(), "bottle-supervise-read-"))
let files = 0
const fileWith = (text: string): string => {
  const path = join(dir, `claude-${files++}.json`)
  writeFileSync(path, text)
  return path
}
const read = (limit: number, path: string) =>
  spawnSync("sh", ["-c", Guest.READ, "bottle-supervise", String(limit), path], { encoding: "utf8" })

const server = fc.oneof(
  fc.record({ type: fc.constant("http"), url: fc.webUrl() }),
  fc.record({
    type: fc.constant("http"),
    url: fc.webUrl(),
    headers: fc.record({ Authorization: fc.string({ unit: "binary" }) })
  }),
  fc.record({ type: fc.constant("stdio"), command: fc.string(), args: fc.array(fc.string({ unit: "binary" })) })
)
/** A config with the user-scope servers anywhere among other keys, and local-scope ones in projects. */
const config = fc.tuple(
  fc.dictionary(fc.string({ unit: "binary" }), server, { maxKeys: 5 }),
  fc.dictionary(fc.string().filter((k) => k !== "mcpServers"), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
  fc.dictionary(fc.string({ unit: "binary" }), server, { maxKeys: 3 }),
  fc.nat()
).map(([mcpServers, other, local, at]) => {
  const entries: Array<[string, unknown]> = [
    ...Object.entries(other),
    ["projects", { "/work": { history: [{ display: '  "mcpServers": {' }], mcpServers: local } }]
  ]
  entries.splice(at % (entries.length + 1), 0, ["mcpServers", mcpServers])
  return { mcpServers, text: JSON.stringify(Object.fromEntries(entries), null, 2) }
})

describe("the guest's config read", () => {
  it.prop("at or under the limit it prints the file as it is", [config], ([{ text }]) => {
    const run = read(Buffer.byteLength(text), fileWith(text))
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(text)
    expect(run.stderr).toBe("")
  }, { fastCheck: { numRuns: 30 } })

  it.prop("over the limit it prints exactly the top-level mcpServers, as JSON, and says so", [config], ([{ mcpServers, text }]) => {
    const run = read(Buffer.byteLength(text) - 1, fileWith(text))
    expect(run.status).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ mcpServers })
    expect(run.stderr).toContain(Guest.READ_PART_MARK)
  }, { fastCheck: { numRuns: 60 } })

  it("a large file of tens of MB comes back as its servers only", () => {
    const history = Array.from({ length: 200_000 }, (_, i) => ({ display: `prompt ${i}`, pastedContents: {} }))
    const servers = { supervise: { type: "http", url: "http://127.0.0.1:4318/" } }
    const text = JSON.stringify({ numStartups: 9, projects: { "/work": { history } }, mcpServers: servers }, null, 2)
    expect(text.length).toBeGreaterThan(2 * Guest.READ_WHOLE_LIMIT)
    const run = read(Guest.READ_WHOLE_LIMIT, fileWith(text))
    expect(JSON.parse(run.stdout)).toEqual({ mcpServers: servers })
    expect(run.stdout.length).toBeLessThan(200)
  })

  it("a large file written otherwise (one line) gives no part rather than a wrong one", () => {
    const run = read(10, fileWith(JSON.stringify({ a: 1, mcpServers: { s: { type: "http", url: "http://x/" } } })))
    expect(run.status).toBe(0)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain(Guest.READ_PART_MARK)
  })

  it("a missing file fails with cat's own words", () => {
    const run = read(Guest.READ_WHOLE_LIMIT, join(dir, "missing.json"))
    expect(run.status).toBe(1)
    expect(run.stderr).toBe(`cat: ${join(dir, "missing.json")}: No such file or directory\n`)
  })
})
