import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { cleanupAfterEach, hasScript, ROOT, runBin, runOnTerminal, show, stripAnsi, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

const FLAGS = [
  "--machine",
  "--docker",
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

const ESC = "\u001b"

const packageVersion = (): string => {
  const pkg: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
  if (typeof pkg !== "object" || pkg === null || !("version" in pkg) || typeof pkg.version !== "string") {
    throw new Error("package.json has no version")
  }
  return pkg.version
}

describe("bottle-supervise --help", () => {
  it("describes the tool, both commands, the exit codes and the environment", async () => {
    const run = await runBin(built.path, ["--help"])
    expect(run.code, show(run)).toBe(0)
    const help = stripAnsi(run.stdout)
    expect(help).toContain(`bottle-supervise ${packageVersion()}`)
    expect(help).toMatch(/Register a bottle's supervise MCP sidecar/)
    expect(help).toMatch(/- provision --machine NAME\|--docker CONTAINER --url URL/)
    expect(help).toMatch(/- verify --machine NAME\|--docker CONTAINER --url URL/)
    expect(help).toContain("EXIT CODES")
    for (const code of ["0", "1", "2", "3", "130"]) expect(help).toMatch(new RegExp(`^${code}$`, "m"))
    expect(help).toMatch(/Registered, Unchanged, Replaced \(provision\); Connected \(verify\)/)
    expect(help).toMatch(/Failed \(provision or verify\); Unreachable, NotRegistered \(verify\)/)
    expect(help).toContain("SMOLVM_BIN")
    // Wherever the help names the smolvm binary's variable, it names docker's too.
    expect(help.match(/SMOLVM_BIN/g)?.length).toBe(help.match(/DOCKER_BIN/g)?.length)
    expect(run.stderr).toBe("")
  })

  for (const sub of ["provision", "verify"]) {
    it(`${sub} --help describes every flag, without @effect/cli's type placeholder before it`, async () => {
      const run = await runBin(built.path, [sub, "--help"])
      expect(run.code, show(run)).toBe(0)
      const help = run.stdout
      const sections = help.split(/\n(?=--|\(-h)/)
      for (const flag of FLAGS) {
        const section = sections.find((s) => s.startsWith(`${flag} `) || s.startsWith(`${flag}\n`))
        expect(section, flag).toBeDefined()
        // The flag's own description comes first, where "A user-defined piece of text." was.
        const [first = "", ...more] = (section ?? "").split("\n").slice(1).map((l) => l.trim()).filter((l) => l !== "")
        expect(first.length, `${flag}: ${first}`).toBeGreaterThan(30)
        expect(more.join(" ")).not.toMatch(/A user-defined piece of text|A true or false value/)
      }
      expect(help).not.toContain("A user-defined piece of text.")
      expect(help).toContain("EXIT CODES")
    })

    it(`${sub} --help: the usage line starts with the program's name`, async () => {
      const run = await runBin(built.path, [sub, "--help"])
      expect(run.code, show(run)).toBe(0)
      const usage = run.stdout.split("\n").filter((l) => l.startsWith("$ "))
      expect(usage).toEqual([
        expect.stringMatching(new RegExp(`^\\$ bottle-supervise ${sub} --machine NAME\\|--docker CONTAINER --url URL `))
      ])
    })

    it(`${sub} --help after other flags shows ${sub}'s help`, async () => {
      const run = await runBin(built.path, [sub, "--machine", "m", "--help"])
      expect(run.code, show(run)).toBe(0)
      expect(run.stdout).toContain(`$ bottle-supervise ${sub} --machine NAME|--docker CONTAINER`)
      expect(run.stdout).toContain("--token-env VAR")
      expect(run.stderr).toBe("")
    })
  }

  it("has no colour on a pipe", async () => {
    const run = await runBin(built.path, ["--help"])
    expect(run.code, show(run)).toBe(0)
    expect(run.stdout).toContain("EXIT CODES")
    expect(run.stdout).not.toContain(ESC)
  })

  it.skipIf(!hasScript())("is coloured on a terminal, and not with NO_COLOR set", () => {
    const coloured = runOnTerminal(built.path, ["provision", "--help"])
    expect(coloured.code, show(coloured)).toBe(0)
    expect(coloured.stdout).toContain(`${ESC}[`)
    const plain = runOnTerminal(built.path, ["provision", "--help"], { NO_COLOR: "1" })
    expect(plain.code, show(plain)).toBe(0)
    expect(plain.stdout).toContain("EXIT CODES")
    expect(plain.stdout).not.toContain(ESC)
  })

  it("--version prints the version in the package.json beside the code", async () => {
    const run = await runBin(built.path, ["--version"])
    expect(run.code, show(run)).toBe(0)
    expect(run.stdout).toBe(`${packageVersion()}\n`)
    expect(Cli.VERSION).toBe(packageVersion())

    // A copy of the build under another package.json reports that one's version: nothing is hand-kept.
    const dir = fs.mkdtempSync(path.join(ROOT, ".tmp", "version-"))
    defer(() => fs.rmSync(dir, { recursive: true, force: true }))
    fs.cpSync(path.dirname(built.path), path.join(dir, "dist"), { recursive: true })
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({
        name: "bottle-supervise",
        version: "9.8.7-copy",
        type: "module",
        exports: { "./package.json": "./package.json" }
      })
    )
    const copy = await runBin(path.join(dir, "dist", "bin.js"), ["--version"])
    expect(copy.code, show(copy)).toBe(0)
    expect(copy.stdout).toBe("9.8.7-copy\n")
  })

  it("--version works from the sources under tsx", () => {
    const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs")
    const run = spawnSync(process.execPath, [tsx, path.join(ROOT, "src", "bin.ts"), "--version"], {
      cwd: ROOT,
      encoding: "utf8"
    })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toBe(`${packageVersion()}\n`)
  })

  it("--version after a command's flags", async () => {
    const run = await runBin(built.path, ["verify", "--machine", "m", "--version"])
    expect(run.code, show(run)).toBe(0)
    expect(run.stdout).toBe(`${packageVersion()}\n`)
  })

  it("is the package's bin, with a shebang", () => {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))
    expect(pkg).toMatchObject({ bin: { "bottle-supervise": "dist/bin.js" } })
    expect(fs.readFileSync(built.path, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node")
  })

  it("without a command: usage error, exit 2", async () => {
    const run = await runBin(built.path, [])
    expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
    expect(run.stderr).toBe("bottle-supervise: missing command: provision or verify (see --help)\n")
  })
})
