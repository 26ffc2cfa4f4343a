/**
 * Where the CLI lives: an application on the library under `src/cli`, with
 * `Cli.ts` its thin public module and `bin.ts` the only code that drives
 * Node's process. The library never depends on it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { ROOT } from "./support.js"

const SRC = path.join(ROOT, "src")

const sources = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? sources(full) : entry.name.endsWith(".ts") ? [full] : []
  })

const imports = (file: string): Array<string> =>
  [...fs.readFileSync(file, "utf8").matchAll(/^(?:import|export)\b[^;]*?from "([^"]+)"/gm)].map((m) => m[1] ?? "")

/** What drives Node's process rather than the program: signals, exits, raw writes. */
const PROCESS_TEARDOWN = /process\.(on|once|exit|kill)\(|process\.(stdout|stderr)\.write\(|exitCode\s*=[^=]/

describe("the CLI's place", () => {
  it("is src/cli, not under internal/", () => {
    expect(fs.existsSync(path.join(SRC, "internal", "cli"))).toBe(false)
    expect(fs.existsSync(path.join(SRC, "cli", "app.ts"))).toBe(true)
  })

  it("no library module imports it", () => {
    const app = new Set([path.join(SRC, "Cli.ts"), path.join(SRC, "bin.ts")])
    for (const file of sources(SRC)) {
      if (app.has(file) || file.startsWith(path.join(SRC, "cli") + path.sep)) continue
      for (const spec of imports(file)) {
        const target = path.resolve(path.dirname(file), spec)
        expect(target.startsWith(path.join(SRC, "cli")) || target === path.join(SRC, "Cli.js"), `${file}: ${spec}`)
          .toBe(false)
      }
    }
  })

  it("only bin.ts drives Node's process: Cli.ts and src/cli neither exit, trap signals nor flush", () => {
    const app = [path.join(SRC, "Cli.ts"), ...sources(path.join(SRC, "cli"))]
    for (const file of app) expect(PROCESS_TEARDOWN.exec(fs.readFileSync(file, "utf8"))?.[0], file).toBeUndefined()
    expect(fs.readFileSync(path.join(SRC, "bin.ts"), "utf8")).toMatch(PROCESS_TEARDOWN)
    expect(Object.keys(Cli)).not.toContain("teardown")
  })
})
