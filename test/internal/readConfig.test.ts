import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Redacted } from "effect"
import { spawnSync } from "node:child_process"
import { chmodSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import * as ClaudeConfig from "../../src/internal/claudeConfig.js"
import * as Guest from "../../src/internal/guest.js"
import { AbsolutePath, makeAgentPlan } from "../../src/SupervisePlan.js"
import { onCI } from "../e2e/prerequisites.js"
import * as Model from "../support/claudeModel.js"
import { planOf } from "../support/plans.js"

// The config read is plain sh + wc + cat + awk run by the guest: test it with
// the real tools on this host, on files laid out as Claude Code writes them.
const dir = mkdtempSync(join(tmpdir(), "bottle-supervise-read-"))
let homes = 0
/** A fresh home directory, holding `.claude.json` with `text` unless it is undefined. */
const homeWith = (text?: string): string => {
  const home = join(dir, `home-${homes++}`)
  mkdirSync(home)
  if (text !== undefined) writeFileSync(join(home, ".claude.json"), text)
  return home
}
/** The environment the CLI and the script share: only what the user switch and `agentEnv` leave. */
const read = (limit: number, name: string, home: string, env: Record<string, string> = {}, token?: string) =>
  spawnSync("sh", ["-c", Guest.READ, "bottle-supervise", String(limit), name], {
    encoding: "utf8",
    env: {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      HOME: home,
      ...(token === undefined ? {} : { [Guest.HEADER_VAR]: JSON.stringify(`Bearer ${token}`) }),
      ...env
    }
  })

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
  {
    mcpServers: servers,
    allowedTools: fc.array(fc.string(), { maxLength: 2 }),
    history: fc.jsonValue({ maxDepth: 2 })
  },
  { requiredKeys: [] }
)
/** A config with the user-scope servers anywhere among other keys, and projects with local-scope servers. */
const config = fc.tuple(
  // Claude Code writes no top-level mcpServers until the first `claude mcp add`.
  fc.option(servers, { nil: undefined, freq: 4 }),
  fc.dictionary(fc.string().filter((k) => k !== "mcpServers" && k !== "projects"), fc.jsonValue({ maxDepth: 3 }), {
    maxKeys: 5
  }),
  fc.option(fc.dictionary(fc.string({ unit: "binary" }), project, { maxKeys: 5 }), { nil: undefined }),
  fc.nat()
).map(([mcpServers, other, projects, at]) => {
  const entries: Array<[string, unknown]> = Object.entries(other)
  if (projects !== undefined) entries.splice(at % (entries.length + 1), 0, ["projects", projects])
  if (mcpServers !== undefined) entries.splice((at >> 3) % (entries.length + 1), 0, ["mcpServers", mcpServers])
  return { mcpServers, text: JSON.stringify(Object.fromEntries(entries), null, 2) }
})
const plan = fc.record({
  url: fc.constantFrom(...URLS),
  token: fc.option(fc.constantFrom(...TOKENS), { nil: undefined })
})
  .chain((p) => fc.constantFrom("supervise", "other").map((name) => planOf({ ...p, serverName: name })))

describe("the guest's config read", () => {
  it.prop("at or under the limit it prints the file as it is, every Authorization value scrubbed", [
    config,
    fc.option(fc.constantFrom(...TOKENS), { nil: undefined })
  ], ([{ text }, token]) => {
    const home = homeWith(text)
    const run = read(Buffer.byteLength(text), "supervise", home, {}, token)
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(`${Model.scrubbed(text, token)}\n`)
    for (const t of TOKENS) expect(run.stdout).not.toContain(t)
    expect(run.stderr).toBe(`${Guest.READ_FILE_MARK}${join(home, ".claude.json")}\n`)
    expect(Guest.readFileOf(makeAgentPlan({ home: AbsolutePath.make(home) }), run.stderr)).toBe(
      join(home, ".claude.json")
    )
  }, { fastCheck: { numRuns: 25 } })

  it.prop(
    "over the limit, the part it prints compares exactly as the whole file (laid out as Claude Code writes it): same entry, changes and shadowing projects",
    [config, plan],
    ([{ mcpServers, text }, bottle]) => {
      const supervise = bottle.supervisePlan!
      const token = supervise.token === undefined ? undefined : Redacted.value(supervise.token)
      const run = read(Buffer.byteLength(text) - 1, supervise.serverName, homeWith(text), {}, token)
      expect(run.status).toBe(0)
      expect(run.stderr).toContain(Guest.READ_PART_MARK)
      const part: { mcpServers?: unknown } = JSON.parse(run.stdout)
      const whole = Model.scrubbed(text, token)
      expect(part.mcpServers).toEqual(JSON.parse(Model.scrubbed(JSON.stringify({ mcpServers }), token)).mcpServers)
      expect(ClaudeConfig.compare(run.stdout, supervise)).toEqual(ClaudeConfig.compare(whole, supervise))
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("a file of tens of MB comes back as its servers and the shadowing project only", () => {
    const projects: Record<string, unknown> = {}
    for (let i = 0; i < 80_000; i++) {
      projects[`/work/repo-${i}`] = { allowedTools: [], mcpServers: {}, exampleFiles: ["a.ts"] }
    }
    projects["/work/repo-7"] = { mcpServers: { supervise: { type: "stdio", command: "x" } } }
    const servers = { supervise: { type: "http", url: "http://127.0.0.1:4318/" } }
    const text = JSON.stringify({ numStartups: 9, projects, mcpServers: servers }, null, 2)
    expect(text.length).toBeGreaterThan(2 * Guest.READ_WHOLE_LIMIT)
    const run = read(Guest.READ_WHOLE_LIMIT, "supervise", homeWith(text))
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
    const run = read(10, "supervise", homeWith(render(value)))
    expect(run.status).toBe(0)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain(Guest.READ_PART_MARK)
  })

  it("past the limit on a guest without awk, it prints nothing, so reconcile rewrites the entry uncompared", () => {
    // A PATH holding only what the script needs besides awk.
    const bin = join(dir, "no-awk-bin")
    mkdirSync(bin, { recursive: true })
    for (const tool of ["wc", "cat", "ls"]) {
      const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim()
      symlinkSync(found, join(bin, tool))
    }
    const text = JSON.stringify({ mcpServers: { supervise: { type: "http", url: "http://a:1/" } } }, null, 2)
    const run = spawnSync("/bin/sh", ["-c", Guest.READ, "bottle-supervise", "10", "supervise"], {
      encoding: "utf8",
      env: { PATH: bin, HOME: homeWith(text) }
    })
    expect(run.status).toBe(0)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain(Guest.READ_PART_MARK)
    expect(ClaudeConfig.compare(run.stdout, planOf({ url: "http://a:1/" }).supervisePlan!)._tag).toBe("Unparsable")
  })

  it("a missing file fails with cat's own words", () => {
    const home = homeWith()
    const run = read(Guest.READ_WHOLE_LIMIT, "supervise", home)
    expect(run.status).toBe(1)
    const file = join(home, ".claude.json")
    expect(run.stderr).toBe(`${Guest.READ_FILE_MARK}${file}\ncat: ${file}: No such file or directory\n`)
  })
})

// Which file the read takes: the one Claude Code itself picks at startup (see
// `pickConfigFile`, the CLI's own rule), from the same environment, on any mix
// of files, empty files, read-only files, hard links, directories and symlinks
// where the CLI looks. A `cat` that names its file shows the choice.
const shim = join(dir, "cat-shim")
mkdirSync(shim)
writeFileSync(join(shim, "cat"), `#!/bin/sh\nprintf 'CAT %s\\n' "$2"\n`, { mode: 0o755 })
const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim()
const busyboxBin = (() => {
  if (!busybox.startsWith("/")) return undefined
  const bin = join(dir, "busybox-bin")
  mkdirSync(bin)
  for (const applet of ["ls", "wc", "awk"]) symlinkSync(busybox, join(bin, applet))
  return bin
})()
const hostPath = process.env["PATH"] ?? "/usr/bin:/bin"
/** The shells a guest may have as `sh`, with the tools it would find: the host's, and busybox's (Alpine). */
const shells: ReadonlyArray<readonly [string, ReadonlyArray<string>, string] | readonly [string, undefined, string]> = [
  ["sh", ["sh"], hostPath],
  ["bash", spawnSync("bash", ["-c", "true"]).status === 0 ? ["bash"] : undefined, hostPath],
  ["busybox sh", busyboxBin === undefined ? undefined : [busybox, "sh"], busyboxBin ?? hostPath]
]

/** What sits at a path where the CLI may look. */
type Entry =
  | { readonly kind: "absent" }
  | { readonly kind: "dir" }
  | { readonly kind: "file"; readonly empty: boolean; readonly mode: number; readonly hardLinked: boolean }
  | { readonly kind: "symlink"; readonly to: "file" | "empty file" | "nothing" | "itself" }

const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "absent" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "dir" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("file" as const),
      empty: fc.boolean(),
      // Write bits for the owner, the group, the others, or none.
      mode: fc.constantFrom(0o644, 0o600, 0o444, 0o400, 0o420, 0o402),
      hardLinked: fc.boolean()
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("symlink" as const),
      to: fc.constantFrom("file" as const, "empty file" as const, "nothing" as const, "itself" as const)
    })
  }
)

const PLACES = Model.CONFIG_PLACES

const scenario = fc.record({
  entries: fc.tuple(...PLACES.map(() => entry)),
  // An empty CLAUDE_CONFIG_DIR is set for the legacy file (relative to the working directory) and unset for the other.
  configDir: fc.constantFrom(undefined, "cfg", ""),
  customOauth: fc.constantFrom(undefined, "", " ", "https://login.example.test/")
})

let scenarios = 0
const build = ({ entries }: { readonly entries: ReadonlyArray<Entry> }): string => {
  const root = join(dir, `scenario-${scenarios++}`)
  for (const sub of ["home", "cfg", "cwd"]) mkdirSync(join(root, sub), { recursive: true })
  entries.forEach((at, i) => {
    const file = join(root, PLACES[i]!)
    if (at.kind !== "absent") mkdirSync(dirname(file), { recursive: true })
    switch (at.kind) {
      case "absent":
        return
      case "dir":
        return mkdirSync(file)
      case "file":
        writeFileSync(file, at.empty ? "" : `{"at": "${PLACES[i]}"}\n`)
        if (at.hardLinked) linkSync(file, `${file}.link`)
        return chmodSync(file, at.mode)
      case "symlink": {
        const target = `${file}.target`
        if (at.to === "file") writeFileSync(target, `{"via": "${PLACES[i]}"}\n`)
        if (at.to === "empty file") writeFileSync(target, "")
        return symlinkSync(at.to === "itself" ? file : target, file)
      }
    }
  })
  return root
}

describe("the file the guest's config read takes", () => {
  for (const [name, shell, path] of shells) {
    if (shell === undefined) {
      // A guest may have this shell as `sh`: the rule must hold there too, so CI must have it.
      const why = `${name} is not installed on this host (.ci/run installs it)`
      if (onCI) it(`is the one the CLI picks (${name}): missing prerequisite on CI`, () => expect.fail(why))
      else it.skip(`is the one the CLI picks (${name}): ${why}`, () => undefined)
      continue
    }
    it.prop(`is the one the CLI picks from the same environment and files (${name})`, [scenario], ([s]) => {
      const root = build(s)
      const cwd = join(root, "cwd")
      const env = {
        HOME: join(root, "home"),
        ...(s.configDir === undefined ? {} : { CLAUDE_CONFIG_DIR: s.configDir === "" ? "" : join(root, s.configDir) }),
        ...(s.customOauth === undefined ? {} : { CLAUDE_CODE_CUSTOM_OAUTH_URL: s.customOauth })
      }
      const relativeToCwd: Model.ConfigFs = {
        stat: (file) => Model.nodeFs.stat(resolve(cwd, file)),
        readdir: (d) => Model.nodeFs.readdir(resolve(cwd, d))
      }
      const run = spawnSync(
        shell[0]!,
        [...shell.slice(1), "-c", Guest.READ, "bottle-supervise", "999999", "supervise"],
        {
          cwd,
          encoding: "utf8",
          env: { PATH: `${shim}:${path}`, ...env }
        }
      )
      const picked = Model.pickConfigFile(env, relativeToCwd)
      expect(run.stderr).toBe(`${Guest.READ_FILE_MARK}${picked}\n`)
      expect(run.stdout).toBe(`CAT ${picked}\n`)
    }, { fastCheck: { numRuns: 300 } })
  }

  it("a legacy ~/.claude/.config.json is read whole, even next to a ~/.claude.json, and in part past the limit", () => {
    const home = homeWith(
      JSON.stringify({ mcpServers: { supervise: { type: "http", url: "http://new:1/" } } }, null, 2)
    )
    mkdirSync(join(home, ".claude"))
    const legacy = JSON.stringify(
      {
        numStartups: 3,
        mcpServers: { supervise: { type: "http", url: "http://legacy:1/" } },
        projects: { "/w": { mcpServers: { supervise: {} } } }
      },
      null,
      2
    )
    writeFileSync(join(home, ".claude", ".config.json"), legacy)
    expect(read(Guest.READ_WHOLE_LIMIT, "supervise", home).stdout).toBe(`${legacy}\n`)
    const part = read(10, "supervise", home)
    expect(part.stderr).toContain(Guest.READ_PART_MARK)
    expect(JSON.parse(part.stdout)).toEqual({
      mcpServers: { supervise: { type: "http", url: "http://legacy:1/" } },
      projects: { "/w": { mcpServers: { supervise: {} } } }
    })
  })

  it("CLAUDE_CODE_CUSTOM_OAUTH_URL in the guest's environment reads .claude-custom-oauth.json", () => {
    const home = homeWith("{}\n")
    writeFileSync(join(home, ".claude-custom-oauth.json"), `{"oauth": true}\n`)
    const run = read(Guest.READ_WHOLE_LIMIT, "supervise", home, {
      CLAUDE_CODE_CUSTOM_OAUTH_URL: "https://login.example.test/"
    })
    expect(run.stdout).toBe(`{"oauth": true}\n`)
  })
})
