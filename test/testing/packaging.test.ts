/**
 * `bottle-supervise/Testing` ships in dist/ for launchers' own tests: it is a
 * package export, and nothing it imports, however deep, is a test framework
 * or a file of this repository's tests.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g

/** Every module specifier `file` imports or re-exports, type-only imports included (JSDoc examples are not imports). */
const specifiers = (file: string): ReadonlyArray<string> => {
  const code = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
  return [...code.matchAll(SPECIFIER)].map((match) => match[1] ?? match[2] ?? "")
}

/** The source files reachable from `entry` through relative imports, and every bare specifier met. */
const graph = (entry: string) => {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith(".")) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")))
      else packages.add(specifier)
    }
  }
  visit(entry)
  return { files: [...files].map((file) => path.relative(root, file)), packages: [...packages] }
}

describe("bottle-supervise/Testing as shipped", () => {
  it("is exported from package.json, built from src/Testing.ts", () => {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
    const exports = typeof pkg === "object" && pkg !== null ? Reflect.get(pkg, "exports") : undefined
    expect(exports).toMatchObject({ "./Testing": { types: "./dist/Testing.d.ts", default: "./dist/Testing.js" } })
  })

  it("pulls in no test framework and no test file", () => {
    const { files, packages } = graph(path.join(root, "src/Testing.ts"))
    expect(files).toContain("src/internal/testing/guest.ts")
    expect(files.filter((file) => !file.startsWith("src/"))).toEqual([])
    expect(packages.filter((name) => /vitest|fast-check|^node:test$|^@?jest/.test(name))).toEqual([])
    // Only what the package itself depends on (or Node).
    const allowed = /^(effect(\/|$)|@effect\/platform(-node)?(\/|$)|node:)/
    expect(packages.filter((name) => !allowed.test(name))).toEqual([])
  })
})
