/**
 * Reading the agent's `.claude.json` on the host: how a stored URL is shown, and
 * which files compare at all. What Claude Code 2.1.330 was seen to do:
 * `claude mcp add` stores the URL as given and `claude mcp get` prints it as
 * stored (`http://127.0.0.1:4318` keeps its missing slash, `HTTP://LocalHost`
 * its case); `add` accepts a config whose projects are odd (`"/gone": null`, a
 * project's `"mcpServers": []`, `"projects": null`) and keeps them, and replaces
 * a top-level `"mcpServers": null` or `[]` with its own object.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ClaudeConfig from "../../src/internal/claudeConfig.js"
import * as Guest from "../../src/internal/guest.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as Model from "../support/claudeModel.js"
import * as Plans from "../support/plans.js"

const URL_A = "http://127.0.0.1:4318/"
const URL_B = "http://127.0.0.1:5000/"
const TOKEN = "tok_aaaaaaaaaaaaaaaa"
const supervise = (url: string, token?: string, serverName?: string) =>
  Plans.planOf({ url, token, serverName }).supervisePlan!

/** A scheme and host in any case, with or without the slash of an empty path: all stored as given. */
const unnormalised = fc.tuple(
  fc.oneof(Plans.agentUrl, fc.webUrl({ withQueryParameters: true, withFragments: true })),
  fc.nat()
)
  .map(([url, bits]) => {
    const [, scheme = "", authority = "", rest = ""] = /^([a-z]+:\/\/)([^/?#]*)(.*)$/.exec(url) ?? []
    const cased = (s: string, flip: boolean) => (flip ? s.toUpperCase() : s)
    const path = (bits & 4) !== 0 && rest === "/" ? "" : (bits & 8) !== 0 && rest === "" ? "/" : rest
    return `${cased(scheme, (bits & 1) !== 0)}${cased(authority, (bits & 2) !== 0)}${path}`
  })

/** A userinfo the URL parser reads as credentials: a user always, a password (with `:` or `@`) sometimes. */
const userinfo = fc.tuple(
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=-]{1,10}$/),
  fc.option(fc.stringMatching(/^pw_[0-9a-f]{12}[A-Za-z0-9:@._~-]{0,8}$/), { nil: undefined })
)

describe("displayUrl", () => {
  it("shows a URL as Claude Code stores and prints it: no slash added, case kept", () => {
    expect(ClaudeConfig.displayUrl("http://127.0.0.1:4318")).toBe("http://127.0.0.1:4318")
    expect(ClaudeConfig.displayUrl("HTTP://LocalHost:80/Mcp")).toBe("HTTP://LocalHost:80/Mcp")
    expect(ClaudeConfig.displayUrl("http://h:1/a/../b?x@y#z")).toBe("http://h:1/a/../b?x@y#z")
    expect(ClaudeConfig.displayUrl(undefined)).toBeUndefined()
  })

  it.prop("any stored URL without credentials is shown verbatim", [unnormalised], ([url]) => {
    expect(new URL(url).username).toBe("")
    expect(ClaudeConfig.displayUrl(url)).toBe(url)
  }, { fastCheck: { numRuns: 300 } })

  it("replaces credentials by [REDACTED]@ and keeps the rest as stored", () => {
    expect(ClaudeConfig.displayUrl("http://user:hunter2@127.0.0.1:4318")).toBe("http://[REDACTED]@127.0.0.1:4318")
    expect(ClaudeConfig.displayUrl("http://u:p@ss@LOCALHOST:1/x?y#z")).toBe("http://[REDACTED]@LOCALHOST:1/x?y#z")
    expect(ClaudeConfig.displayUrl("http://user@h:1")).toBe("http://[REDACTED]@h:1")
    expect(ClaudeConfig.displayUrl("http://:secret@h:1/")).toBe("http://[REDACTED]@h:1/")
    // The URL parser's own leniencies: no slashes, backslashes, a scheme of its own.
    expect(ClaudeConfig.displayUrl("http:u:secret@h/x")).toBe("http:[REDACTED]@h/x")
    expect(ClaudeConfig.displayUrl("http:\\\\u:secret@h\\x")).toBe("http:\\\\[REDACTED]@h\\x")
    expect(ClaudeConfig.displayUrl("foo://h\\u:secret@x/")).toBe("foo://[REDACTED]@x/")
    // An empty userinfo holds no credentials.
    expect(ClaudeConfig.displayUrl("http://@h:1/")).toBe("http://@h:1/")
  })

  it.prop(
    "a URL with credentials never shows them: only the userinfo is replaced, the rest is as stored",
    [unnormalised, userinfo],
    ([base, [user, password]]) => {
      const at = base.indexOf("://") + 3
      const stored = `${base.slice(0, at)}${user}${password === undefined ? "" : `:${password}`}@${base.slice(at)}`
      expect(new URL(stored).username).not.toBe("")
      const shown = ClaudeConfig.displayUrl(stored)
      expect(shown).toBe(`${base.slice(0, at)}[REDACTED]@${base.slice(at)}`)
      if (password !== undefined) expect(shown).not.toContain(password)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("shows nothing for what does not parse as a URL or would break the line it is on", () => {
    for (const url of ["not a url", "http://u:secret@/x", "http://h:1/\nnext", "http://h:1/\u0007", " http://h:1/"]) {
      expect(ClaudeConfig.displayUrl(url)).toBeUndefined()
    }
  })
})

const http = (url: string, token?: string) =>
  token === undefined ? { type: "http", url } : { type: "http", url, headers: { Authorization: `Bearer ${token}` } }

describe("compare", () => {
  it("a token rotation reports the stored URL as stored, equal to the plan's", () => {
    const text = JSON.stringify({ mcpServers: { supervise: http("http://127.0.0.1:4318", "old") } })
    expect(ClaudeConfig.compare(text, supervise("http://127.0.0.1:4318", TOKEN))).toEqual({
      _tag: "Present",
      changes: ["headers"],
      previousUrl: "http://127.0.0.1:4318",
      shadowedIn: []
    })
  })

  it("compares the stored text: a URL differing only by its slash or case is a change, shown as stored", () => {
    for (
      const [stored, planned] of [
        ["http://127.0.0.1:4318", "http://127.0.0.1:4318/"],
        ["http://127.0.0.1:4318/", "http://127.0.0.1:4318"],
        ["http://LOCALHOST:4318/", "http://localhost:4318/"]
      ] as const
    ) {
      const text = JSON.stringify({ mcpServers: { supervise: http(stored) } })
      expect(ClaudeConfig.compare(text, supervise(planned))).toEqual({
        _tag: "Present",
        changes: ["url"],
        previousUrl: stored,
        shadowedIn: []
      })
    }
  })

  it("a stored URL with credentials is a change, and its previousUrl hides them", () => {
    const text = JSON.stringify({ mcpServers: { supervise: http("http://u:hunter2@127.0.0.1:4318/") } })
    const found = ClaudeConfig.compare(text, supervise(URL_A))
    expect(found).toMatchObject({ _tag: "Present", changes: ["url"], previousUrl: "http://[REDACTED]@127.0.0.1:4318/" })
    expect(JSON.stringify(found)).not.toContain("hunter2")
  })

  it.each([
    ["a project that is null", { "/gone": null }],
    ["a project that is a number, a string, an array", {
      "/a": 3,
      "/b": "x",
      "/c": [{ mcpServers: { supervise: {} } }]
    }],
    ["a project whose mcpServers is an array", { "/p": { mcpServers: [] } }],
    ["a project whose mcpServers is null or a string", {
      "/p": { mcpServers: null },
      "/q": { mcpServers: "supervise" }
    }]
  ])("%s does not make the file unreadable: it is skipped", (_, odd) => {
    const projects = { ...odd, "/work": { mcpServers: { supervise: { type: "stdio", command: "x" } } } }
    const text = JSON.stringify({ projects, mcpServers: { supervise: http(URL_A) } }, null, 2)
    expect(ClaudeConfig.compare(text, supervise(URL_B))).toEqual({
      _tag: "Present",
      changes: ["url"],
      previousUrl: URL_A,
      shadowedIn: ["/work"]
    })
  })

  it.each([["null", null], ["an array", []], ["a string", "x"]])(
    "projects that is %s shadows nothing",
    (_, projects) => {
      const text = JSON.stringify({ projects, mcpServers: { supervise: http(URL_A) } })
      expect(ClaudeConfig.compare(text, supervise(URL_A))).toEqual({
        _tag: "Present",
        changes: [],
        previousUrl: URL_A,
        shadowedIn: []
      })
    }
  )

  it("a server name like an array index is not found in a project's mcpServers array", () => {
    const text = JSON.stringify({ projects: { "/p": { mcpServers: ["x"] } }, mcpServers: { "0": http(URL_A) } })
    expect(ClaudeConfig.compare(text, supervise(URL_A, undefined, "0"))).toMatchObject({
      _tag: "Present",
      shadowedIn: []
    })
  })

  it("a top-level mcpServers that is not an object holds no server, as Claude Code reads it", () => {
    for (const mcpServers of [null, [], [{ supervise: http(URL_A) }], "supervise", 1]) {
      const text = JSON.stringify({ mcpServers, projects: { "/w": { mcpServers: { supervise: {} } } } })
      expect(ClaudeConfig.compare(text, supervise(URL_A))).toEqual({ _tag: "Absent", shadowedIn: ["/w"] })
    }
  })

  it("Unparsable only for text that is not JSON, or JSON that is not an object", () => {
    for (const text of ["", "{", "not json", "null", "[]", "[{\"mcpServers\":{}}]", "\"x\"", "3", "true"]) {
      expect(ClaudeConfig.compare(text, supervise(URL_A))).toEqual({ _tag: "Unparsable" })
    }
    expect(ClaudeConfig.compare("{}", supervise(URL_A))).toEqual({ _tag: "Absent", shadowedIn: [] })
  })
})

// Malformed project entries, and well-formed ones that may shadow the plan's name.
const NAMES = ["supervise", "other", "0"] as const
const notObject = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  // An array holding what a project or its servers would hold.
  fc.constantFrom(...NAMES).map((name) => [{ mcpServers: { [name]: {} } }, { [name]: {} }, name])
)
const oddProject = fc.oneof(
  notObject,
  fc.record({ mcpServers: notObject, allowedTools: fc.array(fc.string(), { maxLength: 2 }) }, {
    requiredKeys: ["mcpServers"]
  })
)
const goodProject = fc.record({
  mcpServers: fc.dictionary(
    fc.constantFrom(...NAMES),
    fc.oneof(fc.constant({ type: "stdio", command: "x" }), fc.jsonValue({ maxDepth: 1 })),
    { maxKeys: 3 }
  ),
  allowedTools: fc.array(fc.string(), { maxLength: 2 })
}, { requiredKeys: [] })
const projectPath = fc.oneof(
  fc.constantFrom("/work", "/gone", "/home/node/x"),
  fc.string({ unit: "binary", maxLength: 12 })
)
/** Projects, each marked odd or not, in any order; paths distinct. */
const projects = fc.uniqueArray(
  fc.tuple(
    projectPath,
    fc.oneof(
      oddProject.map((value) => ({ odd: true as const, value })),
      goodProject.map((value) => ({ odd: false as const, value }))
    )
  ),
  { selector: ([path]) => path, maxLength: 8 }
)
const entry = fc.oneof(
  fc.constantFrom(http(URL_A), http(URL_B), http(URL_A, TOKEN), http("http://127.0.0.1:4318"), {
    type: "stdio",
    command: "x"
  }),
  fc.jsonValue({ maxDepth: 1 })
)
const configWithOddProjects = fc.record({
  // Claude Code writes no top-level mcpServers until the first `add`, and accepts an odd one.
  servers: fc.option(
    fc.oneof({ arbitrary: fc.dictionary(fc.constantFrom(...NAMES), entry, { maxKeys: 3 }), weight: 4 }, notObject),
    {
      nil: undefined
    }
  ),
  projects,
  before: fc.boolean()
})
const aPlan = fc.record({
  url: fc.constantFrom(URL_A, URL_B, "http://127.0.0.1:4318"),
  token: fc.option(fc.constant(TOKEN), { nil: undefined }),
  name: fc.constantFrom(...NAMES)
}).map(({ name, token, url }) => supervise(url, token, name))

/** Claude Code's layout: two-space indentation, other keys around. */
const render = (servers: unknown, projects: ReadonlyArray<readonly [string, unknown]>, before: boolean): string => {
  const all: Array<[string, unknown]> = [["numStartups", 3], ["projects", Object.fromEntries(projects)], [
    "theme",
    "dark"
  ]]
  if (servers !== undefined) all.splice(before ? 0 : all.length, 0, ["mcpServers", servers])
  return JSON.stringify(Object.fromEntries(all), null, 2)
}

describe("compare, with odd projects anywhere", () => {
  it.prop(
    "odd project entries are skipped: the file compares as it would without them",
    [configWithOddProjects, aPlan],
    ([{ before, projects, servers }, plan]) => {
      const text = render(servers, projects.map(([path, p]) => [path, p.value]), before)
      const without = render(servers, projects.filter(([, p]) => !p.odd).map(([path, p]) => [path, p.value]), before)
      const found = ClaudeConfig.compare(text, plan)
      expect(found._tag).not.toBe("Unparsable")
      expect(found).toEqual(ClaudeConfig.compare(without, plan))
      if (found._tag !== "Unparsable") {
        expect(found.shadowedIn).toEqual(
          projects.filter(([, p]) => !p.odd && Object.hasOwn(p.value.mcpServers ?? {}, plan.serverName)).map(([path]) =>
            path
          )
        )
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  // The guest's partial read of a file over 4 MiB, run with the real sh and awk on this host.
  const dir = mkdtempSync(join(tmpdir(), "bottle-supervise-claudeconfig-"))
  let files = 0
  it.prop(
    "the guest's partial read of such a file compares as the whole file does",
    [configWithOddProjects, aPlan],
    ([{ before, projects, servers }, plan]) => {
      const text = render(servers, projects.map(([path, p]) => [path, p.value]), before)
      // The file where the CLI's environment puts it, and named after the arguments as well.
      const home = join(dir, `home-${files++}`)
      mkdirSync(home)
      const path = join(home, ".claude.json")
      writeFileSync(path, text)
      const limit = String(Buffer.byteLength(text) - 1)
      const { CLAUDE_CODE_CUSTOM_OAUTH_URL: _, ...env } = process.env
      const run = spawnSync("sh", ["-c", Guest.READ, "bottle-supervise", limit, plan.serverName, path], {
        encoding: "utf8",
        env: { ...env, HOME: home, CLAUDE_CONFIG_DIR: home }
      })
      expect(run.status).toBe(0)
      expect(run.stderr).toContain(Guest.READ_PART_MARK)
      expect(ClaudeConfig.compare(run.stdout, plan)).toEqual(ClaudeConfig.compare(text, plan))
    },
    { fastCheck: { numRuns: 150 } }
  )
})

describe("provisioning over a config with an odd project", () => {
  it.effect("a relaunch with a new URL replaces the entry instead of failing on every relaunch", () =>
    Effect.gen(function*() {
      const state = Model.makeState()
      const path = "/home/node/.claude.json"
      state.files.set(path, {
        other: { projects: { "/gone": null, "/p": { mcpServers: [] }, "/work": { allowedTools: [] } } },
        mcpServers: {}
      })
      const run = (url: string) =>
        Effect.flatMap(
          Smolvm.makeTest(Model.handler(state)),
          (fake) =>
            ProvisionSupervise.provisionSupervise(Plans.planOf({ url }), "bottle-1").pipe(
              Effect.provide(fake.layer)
            )
        )
      expect(yield* run(URL_A)).toMatchObject({ _tag: "Registered" })
      expect(yield* run(URL_A)).toMatchObject({ _tag: "Unchanged", execs: 1 })
      expect(yield* run(URL_B)).toMatchObject({ _tag: "Replaced", previousUrl: URL_A, changed: ["url"] })
      expect(state.files.get(path)!.mcpServers["supervise"]).toEqual({ type: "http", url: URL_B })
    }))
})
