import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { ROOT, runBin, stripAnsi, useBuiltBin } from "./support.js"

const built = useBuiltBin()

const FLAGS = [
  "--machine",
  "--url",
  "--server-name",
  "--token-env",
  "--user",
  "--home",
  "--config-dir",
  "--timeout",
  "--dry-run",
  "--json"
]

describe("bottle-supervise --help", () => {
  it("describes the tool, both commands, the exit codes and the environment", async () => {
    const run = await runBin(built.path, ["--help"])
    expect(run.code).toBe(0)
    const help = stripAnsi(run.stdout)
    expect(help).toContain("bottle-supervise 0.1.0")
    expect(help).toMatch(/Register a bottle's supervise MCP sidecar/)
    expect(help).toMatch(/- provision --machine NAME --url URL/)
    expect(help).toMatch(/- verify --machine NAME --url URL/)
    expect(help).toContain("EXIT CODES")
    for (const code of ["0", "1", "2", "3", "130"]) expect(help).toMatch(new RegExp(`^${code}$`, "m"))
    expect(help).toMatch(/Registered, Unchanged, Replaced \(provision\); Connected \(verify\)/)
    expect(help).toMatch(/Failed \(provision or verify\); Unreachable, NotRegistered \(verify\)/)
    expect(help).toContain("SMOLVM_BIN")
    expect(run.stderr).toBe("")
  })

  for (const sub of ["provision", "verify"]) {
    it(`${sub} --help describes every flag`, async () => {
      const run = await runBin(built.path, [sub, "--help"])
      expect(run.code).toBe(0)
      const help = stripAnsi(run.stdout)
      const sections = help.split(/\n(?=--|\(-h)/)
      for (const flag of FLAGS) {
        const section = sections.find((s) => s.startsWith(`${flag} `) || s.startsWith(`${flag}\n`))
        expect(section, flag).toBeDefined()
        // Beyond @effect/cli's generic "A user-defined piece of text." line.
        const own = (section ?? "").split("\n").slice(1).map((l) => l.trim())
          .filter((l) => l !== "" && !/^(A user-defined piece of text\.|A true or false value\.|This setting is optional\.)$/.test(l))
        expect(own.join(" ").length, flag).toBeGreaterThan(30)
      }
      expect(help).toContain("EXIT CODES")
    })
  }

  it("--version prints the package version", async () => {
    const run = await runBin(built.path, ["--version"])
    expect(run.code).toBe(0)
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
    expect(pkg).toMatchObject({ version: Cli.VERSION })
    expect(stripAnsi(run.stdout).trim()).toBe(Cli.VERSION)
  })

  it("is the package's bin, with a shebang", () => {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
    expect(pkg).toMatchObject({ bin: { "bottle-supervise": "dist/bin.js" } })
    expect(fs.readFileSync(built.path, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node")
  })

  it("without a command: usage error, exit 2", async () => {
    const run = await runBin(built.path, [])
    expect(run.code).toBe(Cli.ExitCode.Usage)
    expect(run.stderr).toContain("missing command: provision or verify")
  })
})
