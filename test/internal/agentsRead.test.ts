import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Redacted from "effect/Redacted"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Codex from "../../src/internal/agents/codex.js"
import * as JsonEntry from "../../src/internal/agents/jsonEntry.js"
import * as Movable from "../../src/internal/agents/movableConfig.js"
import { agentOf } from "../../src/internal/agents/registry.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { onCI } from "../e2e/prerequisites.js"

// The other agents' reads (src/internal/agents): the guest prints only the plan's entry, every
// header value scrubbed; the host's comparison of that print says Unchanged exactly when the stored
// entry is the plan's. Run for real under the shells and awks a guest may have, on adversarial files.
const dir = mkdtempSync(join(tmpdir(), "agents-read-"))
const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim()
const busyboxBin = (() => {
  if (!busybox.startsWith("/")) return undefined
  const bin = join(dir, "busybox-bin")
  mkdirSync(bin)
  for (const applet of ["sh", "awk", "cat"]) symlinkSync(busybox, join(bin, applet))
  return bin
})()
const shells: ReadonlyArray<readonly [string, string | undefined]> = [
  ["dash and the host's awk", process.env["PATH"] ?? "/usr/bin:/bin"],
  ["busybox sh and awk", busyboxBin === undefined ? undefined : `${busyboxBin}:${process.env["PATH"] ?? ""}`]
]

// Any visible ASCII, quotes and backslashes included, behind a prefix no other text here has:
// "not printed" is then a claim about the token and not about its characters.
const token = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 40
}).map((s) => `zQ9${s}`)
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,12}$/)

let fileNo = 0
/** Runs `read_entry NAME FILE` from `lines` under the shell on `path`, with the plan's secret environment. */
const readEntry = (
  lines: ReadonlyArray<string>,
  path: string,
  plan: SupervisePlan.SupervisePlan,
  text: string,
  kind: SupervisePlan.AgentKind
) => {
  const file = join(dir, `config-${fileNo++}`)
  writeFileSync(file, text)
  const secrets = agentOf(kind).tokenEnv(plan) ?? {}
  const env: Record<string, string> = { PATH: path }
  for (const [key, value] of Object.entries(secrets)) env[key] = Redacted.value(value)
  const ran = spawnSync("sh", ["-c", `${lines.join("\n")}\nread_entry "$1" "$2"`, "read", plan.serverName, file], {
    env,
    encoding: "utf8",
    timeout: 30_000
  })
  if (ran.status !== 0) {
    throw new Error(`read_entry: exit ${ran.status} signal ${ran.signal} stderr ${ran.stderr}`)
  }
  return ran
}

const planOf = (serverName: string, agentUrl: string, tok: string | undefined) =>
  SupervisePlan.SupervisePlan.make({
    agentUrl: SupervisePlan.AgentUrl.make(agentUrl),
    serverName: SupervisePlan.ServerName.make(serverName),
    ...(tok === undefined ? {} : { token: Redacted.make(tok) })
  })

const tomlString = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`

/** A config.toml as `codex mcp add` and the library leave it, with other servers around. */
const codexFile = (entries: ReadonlyArray<{ name: string; url: string; token: string | undefined }>) =>
  entries.map((e) =>
    `[mcp_servers.${e.name}]\nurl = ${tomlString(e.url)}\n` +
    (e.token === undefined
      ? ""
      : `\n[mcp_servers.${e.name}.http_headers]\nAuthorization = ${tomlString(`Bearer ${e.token}`)}\n`)
  ).join("\n")

for (const [shell, path] of shells) {
  describe(`Codex's read (${shell})`, () => {
    if (path === undefined) {
      const why = "busybox is not installed on this host (.ci/run installs it)"
      if (onCI) it("missing prerequisite on CI", () => expect.fail(why))
      else it.skip(`skipped: ${why}`, () => {})
      return
    }
    it("the plan's own entry, among others with their own tokens: Unchanged, and no token is printed", () =>
      fc.assert(
        fc.property(name, token, token, fc.webUrl(), (server, tok, other, url) => {
          const plan = planOf(server, "http://127.0.0.1:4318/mcp", tok)
          const text = "# a comment the user wrote\nmodel = \"o3\"\n\n" + codexFile([
            { name: `${server}x`, url, token: other },
            { name: server, url: plan.agentUrl, token: tok },
            { name: "other", url, token: tok }
          ])
          const ran = readEntry(Codex.READ_TOML, path, plan, text, "codex")
          expect(ran.stdout).not.toContain(tok)
          expect(ran.stdout).not.toContain(other)
          expect(Codex.compare(ran.stdout, plan)).toEqual({
            _tag: "Present",
            changes: [],
            previousUrl: plan.agentUrl,
            shadowedIn: []
          })
        }),
        { numRuns: 25 }
      ))

    it("a stale token, a moved URL, a missing header, a token variable: each is a change", () => {
      const plan = planOf("supervise", "http://127.0.0.1:4318/", "tok-new")
      const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        [codexFile([{ name: "supervise", url: "http://127.0.0.1:4318/", token: "tok-old" }]), ["headers"]],
        [codexFile([{ name: "supervise", url: "http://127.0.0.1:9999/", token: "tok-new" }]), ["url"]],
        [codexFile([{ name: "supervise", url: "http://127.0.0.1:4318/", token: undefined }]), ["headers"]],
        [
          "[mcp_servers.supervise]\nurl = \"http://127.0.0.1:4318/\"\nbearer_token_env_var = \"T\"\n" +
          "\n[mcp_servers.supervise.http_headers]\nAuthorization = \"Bearer tok-new\"\n",
          ["headers"]
        ],
        ["[mcp_servers.supervise]\ncommand = \"npx\"\nargs = [\"x\"]\n", ["transport", "url", "headers"]]
      ]
      for (const [text, changes] of cases) {
        const ran = readEntry(Codex.READ_TOML, path, plan, text, "codex")
        expect(ran.stdout).not.toContain("tok-")
        const found = Codex.compare(ran.stdout, plan)
        expect(found._tag === "Present" ? found.changes : found._tag).toEqual(changes)
      }
    })

    it("no such table (only the name elsewhere, or a quoted table header of another server): Absent", () => {
      const plan = planOf("supervise", "http://127.0.0.1:4318/", undefined)
      for (
        const text of [
          "# supervise was here once\n[mcp_servers.other]\nurl = \"http://h:1/supervise\"\n",
          "[mcp_servers.\"supervise-2\"]\nurl = \"http://h:1/\"\n",
          ""
        ]
      ) {
        const ran = readEntry(Codex.READ_TOML, path, plan, text, "codex")
        expect(Codex.compare(ran.stdout, plan)).toEqual({ _tag: "Absent", shadowedIn: [] })
      }
    })

    it("values of other keys of the entry never leave the guest", () => {
      const plan = planOf("supervise", "http://127.0.0.1:4318/", "tok-a")
      const text = "[mcp_servers.supervise]\nurl = \"http://127.0.0.1:4318/\"\nenv = { API_KEY = \"sk-secret\" }\n" +
        "[mcp_servers.supervise.env_http_headers]\nX = \"sk-secret-2\"\n"
      const ran = readEntry(Codex.READ_TOML, path, plan, text, "codex")
      expect(ran.stdout).not.toContain("sk-secret")
    })
  })
}

describe("Gemini CLI's and Copilot CLI's read (node in the guest)", () => {
  const json = Movable.READ_JSON
  const path = process.env["PATH"] ?? "/usr/bin:/bin"
  for (const kind of ["gemini", "copilot"] as const) {
    it(`${kind}: the plan's own entry among others: Unchanged; no token, no other server's values printed`, () =>
      fc.assert(
        fc.property(name, token, token, fc.webUrl(), (server, tok, other, url) => {
          const plan = planOf(server, "http://127.0.0.1:4318/", tok)
          const ours = kind === "copilot"
            ? { tools: ["*"], type: "http", url: plan.agentUrl, headers: { Authorization: `Bearer ${tok}` } }
            : { url: plan.agentUrl, type: "http", headers: { Authorization: `Bearer ${tok}` } }
          const text = JSON.stringify(
            {
              ui: { theme: "x" },
              mcpServers: {
                [`${server}x`]: { url, headers: { Authorization: `Bearer ${other}` } },
                stdio: { command: "npx", env: { API_KEY: other } },
                [server]: ours
              }
            },
            null,
            2
          )
          const ran = readEntry(json, path, plan, text, kind)
          expect(ran.stdout).not.toContain(tok)
          expect(ran.stdout).not.toContain(other)
          expect(JsonEntry.compare(ran.stdout, plan)).toEqual({
            _tag: "Present",
            changes: [],
            previousUrl: plan.agentUrl,
            shadowedIn: []
          })
        }),
        { numRuns: 15 }
      ))
  }

  it("comments and trailing commas (Gemini CLI keeps them) are read; a broken file is Unparsable", () => {
    const plan = planOf("supervise", "http://127.0.0.1:4318/", "tok-a")
    const text = `// the user's note, "quoted"\n{\n  /* block */ "mcpServers": {\n    "supervise": {\n` +
      `      "url": "http://127.0.0.1:4318/", // inline\n      "type": "http",\n` +
      `      "headers": { "Authorization": "Bearer tok-a", },\n    },\n  },\n}\n`
    const ran = readEntry(json, path, plan, text, "gemini")
    expect(JsonEntry.compare(ran.stdout, plan)).toMatchObject({ _tag: "Present", changes: [] })
    const broken = readEntry(json, path, plan, "{ \"mcpServers\": ", "gemini")
    expect(JsonEntry.compare(broken.stdout, plan)).toEqual({ _tag: "Unparsable" })
  })

  it("Gemini CLI's older httpUrl, a stale token and another URL are changes; no entry is Absent", () => {
    const plan = planOf("supervise", "http://127.0.0.1:4318/", "tok-a")
    const cases: ReadonlyArray<readonly [unknown, ReadonlyArray<string> | "Absent"]> = [
      [{ httpUrl: "http://127.0.0.1:4318/", headers: { Authorization: "Bearer tok-a" } }, ["transport", "url"]],
      [{ url: "http://127.0.0.1:4318/", type: "http", headers: { Authorization: "Bearer tok-b" } }, ["headers"]],
      [{ url: "http://127.0.0.1:1/", type: "http", headers: { Authorization: "Bearer tok-a" } }, ["url"]],
      [undefined, "Absent"]
    ]
    for (const [entry, expected] of cases) {
      const text = JSON.stringify({ mcpServers: entry === undefined ? {} : { supervise: entry } })
      const ran = readEntry(json, path, plan, text, "gemini")
      const found = JsonEntry.compare(ran.stdout, plan)
      expect(found._tag === "Present" ? found.changes : found._tag).toEqual(expected)
    }
  })
})

describe("Codex's read and write on every TOML form of an entry (dash and the host's awk; the real codex)", () => {
  const path = process.env["PATH"] ?? "/usr/bin:/bin"
  const plan = planOf("supervise", "http://127.0.0.1:4318/", "tok-new")
  const read = (text: string) => {
    const ran = readEntry(Codex.READ_TOML, path, plan, text, "codex")
    expect(ran.stdout).not.toContain("tok-")
    return Codex.compare(ran.stdout, plan)
  }
  const changes = (text: string) => {
    const found = read(text)
    return found._tag === "Present" ? found.changes : found._tag
  }

  it("a token in a multi-line string or array never leaves the guest", () => {
    expect(changes(
      `[mcp_servers.supervise]\nurl = "http://127.0.0.1:4318/"\nargs = [\n  "tok-a",\n]\n` +
        `[mcp_servers.supervise.http_headers]\nAuthorization = """\nBearer tok-secret"""\n`
    )).toEqual(["headers"])
  })
  it("CRLF line endings, an inline table, dotted keys, an empty table, a disabled entry", () => {
    const ours = `[mcp_servers.supervise]\nurl = "http://127.0.0.1:4318/"\n\n` +
      `[mcp_servers.supervise.http_headers]\nAuthorization = "Bearer tok-new"\n`
    expect(changes(ours.replace(/\n/g, "\r\n"))).toEqual([])
    expect(changes(`[mcp_servers]\nsupervise = { url = "http://127.0.0.1:4318/" }\n`)).toEqual([
      "transport",
      "url",
      "headers"
    ])
    expect(changes(`mcp_servers.supervise.url = "http://127.0.0.1:4318/"\n`)).toEqual(["headers"])
    expect(changes(`[mcp_servers.supervise]\n`)).toEqual(["transport", "url", "headers"])
    expect(changes(ours.replace("url =", "enabled = false\nurl ="))).toEqual(["enabled"])
  })

  const codexBin = join(process.cwd(), "node_modules", ".bin", "codex")
  const write = (text: string) => {
    const home = mkdtempSync(join(dir, "codex-home-"))
    const file = join(home, "config.toml")
    writeFileSync(file, text)
    const secrets = agentOf("codex").tokenEnv(plan) ?? {}
    const env: Record<string, string> = {
      PATH: `${join(process.cwd(), "node_modules", ".bin")}:${path}`,
      CODEX_HOME: home,
      HOME: home
    }
    for (const [key, value] of Object.entries(secrets)) env[key] = Redacted.value(value)
    const script = `${Codex.WRITE.join("\n")}\ncli_add "$1" "$2" "$3"`
    const ran = spawnSync("sh", ["-c", script, "write", plan.serverName, plan.agentUrl, file], {
      env,
      encoding: "utf8",
      timeout: 60_000
    })
    if (ran.status !== 0) throw new Error(`write: exit ${ran.status} signal ${ran.signal} stderr ${ran.stderr}`)
    return readFileSync(file, "utf8")
  }
  const theirs =
    `# the user's own\nmodel = "o3" # trailing\n\n[mcp_servers.files]\ncommand = "npx"\nstartup_timeout_sec = 20\n` +
    `args = []\n\n[profiles.fast]\nmodel = "o4"\n`
  const planned = `[mcp_servers.supervise]\nurl = "http://127.0.0.1:4318/"\n\n` +
    `[mcp_servers.supervise.http_headers]\nAuthorization = "Bearer tok-new"\n`

  for (
    const [form, entry] of [
      [
        "a table with sub-tables",
        `[mcp_servers.supervise]\nurl = "http://old/"\nenabled = false\n[mcp_servers.supervise.env]\nK = """\nv\n"""\n`
      ],
      ["an inline table", `[mcp_servers]\nsupervise = { url = "http://old/" }\n`],
      ["dotted keys", `mcp_servers.supervise.url = "http://old/"\n`]
    ] as const
  ) {
    it(`${form}: replaced by the plan's tables, every other line kept, and Codex reads it`, () => {
      if (!existsSync(codexBin)) throw new Error(`${codexBin} missing: run npm ci`)
      // Dotted keys belong before any table; the others after the user's lines.
      const before = form === "dotted keys" ? `${entry}${theirs}` : `${theirs}${entry}`
      const after = write(before)
      // The inline table's own `[mcp_servers]` header is the user's line, and stays.
      expect(after).toBe(`${theirs}${form === "an inline table" ? "[mcp_servers]\n" : ""}\n${planned}`)
      expect(changes(after)).toEqual([])
      expect(write(after)).toBe(after)
    })
  }
})
