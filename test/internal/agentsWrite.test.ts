import { describe, expect, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import { spawnSync } from "node:child_process"
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { agentOf } from "../../src/internal/agents/registry.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { onCI } from "../e2e/prerequisites.js"

// The other agents' ensure and replace scripts, run for real with the pinned CLIs from node_modules/.bin
// in a home of their own (as the user running the tests): what the library writes where a user keeps
// their config behind a symlink (a dotfiles repository), and the token's file mode.
const bin = join(process.cwd(), "node_modules", ".bin")
const PATH = `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`

const run = (argv: ReadonlyArray<string>, plan: SupervisePlan.SupervisePlan, kind: SupervisePlan.AgentKind) => {
  const env: Record<string, string> = { PATH }
  for (const [key, value] of Object.entries(agentOf(kind).tokenEnv(plan) ?? {})) env[key] = Redacted.value(value)
  const [command = "env", ...args] = argv
  const ran = spawnSync(command, args, { env, encoding: "utf8", timeout: 120_000 })
  if (ran.status !== 0) throw new Error(`exit ${ran.status} signal ${ran.signal} stderr ${ran.stderr}`)
  return ran
}

const planOf = (url: string) =>
  SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make(url), token: Redacted.make("tok-write-1") })

describe("a config file behind a symlink", () => {
  for (const kind of ["codex", "gemini", "copilot"] as const) {
    it(`${kind}: registered and replaced through the link, which stays a link; the target ends 0600`, () => {
      const home = mkdtempSync(join(tmpdir(), `agents-write-${kind}-`))
      const agent = SupervisePlan.makeAgentPlan({ kind, home: SupervisePlan.AbsolutePath.make(home) })
      const file = agent.configFile
      mkdirSync(join(file, ".."), { recursive: true })
      mkdirSync(join(home, "dotfiles"))
      const target = join(home, "dotfiles", "agent-config")
      writeFileSync(target, kind === "codex" ? "model = \"o3\"\n" : "{\"mcpServers\": {}}\n", { mode: 0o644 })
      symlinkSync(target, file)
      const impl = agentOf(kind)
      const first = planOf("http://127.0.0.1:4318/")
      expect(run(impl.ensureArgv(agent, first), first, kind).stderr).toContain("bottle-supervise: step add")
      const moved = planOf("http://127.0.0.1:4319/")
      expect(run(impl.replaceArgv(agent, moved), moved, kind).stderr).toContain("bottle-supervise: step replace")
      expect(lstatSync(file).isSymbolicLink()).toBe(true)
      expect(realpathSync(file)).toBe(target)
      expect(readFileSync(target, "utf8")).toContain("http://127.0.0.1:4319/")
      expect(statSync(target).mode & 0o777).toBe(0o600)
      // Nothing left beside the target.
      expect(spawnSync("ls", ["-A", join(home, "dotfiles")], { encoding: "utf8" }).stdout.trim()).toBe("agent-config")
      // The next ensure reads it back through the link: the same plan is Unchanged, no CLI start.
      const again = run(impl.ensureArgv(agent, moved), moved, kind)
      expect(again.stderr).toContain("bottle-supervise: step read")
      expect(impl.compare(again.stdout, moved)).toMatchObject({ _tag: "Present", changes: [] })
    })
  }
})

describe("files as users leave them", () => {
  it("copilot: a config with comments and trailing commas is read and written; other servers kept", () => {
    const home = mkdtempSync(join(tmpdir(), "agents-write-jsonc-"))
    const agent = SupervisePlan.makeAgentPlan({ kind: "copilot", home: SupervisePlan.AbsolutePath.make(home) })
    mkdirSync(join(agent.configFile, ".."), { recursive: true })
    writeFileSync(
      agent.configFile,
      `// mine\n{\n  "mcpServers": {\n    "files": { "command": "npx", "args": ["x",], "weird": ",}" }, /* no */\n  },\n}\n`
    )
    const plan = planOf("http://127.0.0.1:4318/")
    expect(run(agentOf("copilot").ensureArgv(agent, plan), plan, "copilot").stderr).toContain("step add")
    const written: unknown = JSON.parse(readFileSync(agent.configFile, "utf8"))
    expect(written).toEqual({
      mcpServers: {
        files: { command: "npx", args: ["x"], weird: ",}" },
        supervise: {
          tools: ["*"],
          type: "http",
          url: "http://127.0.0.1:4318/",
          headers: { Authorization: "Bearer tok-write-1" }
        }
      }
    })
  })

  const root = process.getuid?.() === 0
  const title = "a config directory the agent cannot write fails at once, naming it (not at the deadline)"
  if (!root) {
    const why = "needs root, to run the script as the node user in a root-owned directory"
    if (onCI) it(title, () => expect.fail(why))
    else it.skip(`${title}: skipped, ${why}`, () => {})
  } else {
    it(title, () => {
      const home = mkdtempSync(join(tmpdir(), "agents-write-lock-"))
      chmodSync(home, 0o755)
      mkdirSync(join(home, ".codex"), { mode: 0o755 }) // root's, as an image's COPY leaves it
      const agent = SupervisePlan.makeAgentPlan({ kind: "codex", home: SupervisePlan.AbsolutePath.make(home) })
      const plan = planOf("http://127.0.0.1:4318/")
      const started = Date.now()
      const ran = spawnSync("runuser", ["-u", "node", "--", ...agentOf("codex").ensureArgv(agent, plan)], {
        env: { PATH },
        encoding: "utf8",
        timeout: 30_000
      })
      expect(ran.status, `signal ${ran.signal} stderr ${ran.stderr}`).toBe(73)
      expect(ran.stderr).toContain(`lock: the agent cannot write ${home}/.codex`)
      expect(Date.now() - started).toBeLessThan(10_000)
    })
  }
})
