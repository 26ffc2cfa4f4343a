/**
 * Type-checks every `@example` in the JSDoc of `src/**\/*.ts`.
 *
 * Each example becomes a module of its own under `.tmp/check-examples/` (an
 * `export {}` is appended so names never clash between examples), compiled in one
 * program with the project's `tsconfig.json`: `bottle-supervise` and
 * `bottle-supervise/*` resolve to `src` through its `paths`, and the examples are
 * held to the same strict options, less `noUnusedLocals`/`noUnusedParameters`
 * (an example often only declares a value). Errors are reported at the example's
 * line in its source file.
 *
 * An example runs from the line after `@example` to the next tag or the end of
 * the comment; a fenced example (```ts ... ```) is read inside its fences.
 * Nothing is run.
 *
 * Usage: `npm run check:examples` (`tsx scripts/check-examples.ts`).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"

const root = Path.resolve(import.meta.dirname, "..")
const srcDir = Path.join(root, "src")
const outDir = Path.join(root, ".tmp", "check-examples")

interface Example {
  /** Source file, relative to the repository root. */
  readonly file: string
  /** 1-based line in the source file of each line of `code`. */
  readonly lines: ReadonlyArray<number>
  readonly code: string
}

const sourceFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : []
  }).sort()

/** Every `/** ... *\/` comment of the file, found as leading comments of its nodes (never inside strings). */
const jsDocComments = (sourceFile: ts.SourceFile): Array<ts.CommentRange> => {
  const text = sourceFile.text
  const seen = new Map<number, ts.CommentRange>()
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (range.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", range.pos)) {
        seen.set(range.pos, range)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  visit(sourceFile.endOfFileToken)
  return [...seen.values()].sort((a, b) => a.pos - b.pos)
}

const fence = /^(```|~~~)/

const examplesOf = (path: string): Array<Example> => {
  const text = Fs.readFileSync(path, "utf8")
  const sourceFile = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const file = Path.relative(root, path)
  const examples: Array<Example> = []
  for (const range of jsDocComments(sourceFile)) {
    const firstLine = sourceFile.getLineAndCharacterOfPosition(range.pos).line + 1
    // Comment lines without the leading "/**", " * " and the closing "*/".
    const body = text.slice(range.pos + 3, range.end - 2).split("\n").map((line) => line.replace(/^\s*\* ?/, ""))
    let current: { lines: Array<number>; code: Array<string> } | undefined
    let inFence = false
    const close = () => {
      if (current === undefined) return
      // Drop blank lines at both ends, and the fences of a fenced example.
      while (current.code.length > 0 && current.code[current.code.length - 1]!.trim() === "") {
        current.code.pop()
        current.lines.pop()
      }
      while (current.code.length > 0 && current.code[0]!.trim() === "") {
        current.code.shift()
        current.lines.shift()
      }
      if (current.code.length > 0 && fence.test(current.code[0]!.trim())) {
        current.code.shift()
        current.lines.shift()
        if (current.code.length > 0 && fence.test(current.code[current.code.length - 1]!.trim())) {
          current.code.pop()
          current.lines.pop()
        }
      }
      examples.push({ file, lines: current.lines, code: current.code.join("\n") })
      current = undefined
    }
    body.forEach((line, i) => {
      const lineNumber = firstLine + i
      if (fence.test(line.trim())) inFence = !inFence
      const tag = inFence ? undefined : /^\s*@(\w+)/.exec(line)?.[1]
      if (tag !== undefined) {
        close()
        if (tag === "example") {
          current = { lines: [], code: [] }
          const rest = line.replace(/^\s*@example\s?/, "")
          if (rest.trim() !== "") {
            current.lines.push(lineNumber)
            current.code.push(rest)
          }
        }
        return
      }
      if (current !== undefined) {
        current.lines.push(lineNumber)
        current.code.push(line)
      }
    })
    close()
  }
  return examples
}

const examples = sourceFiles(srcDir).flatMap(examplesOf)

Fs.rmSync(outDir, { recursive: true, force: true })
Fs.mkdirSync(outDir, { recursive: true })

/** Generated file name → its example. */
const byFile = new Map<string, Example>()
const counts = new Map<string, number>()
for (const example of examples) {
  const n = counts.get(example.file) ?? 0
  counts.set(example.file, n + 1)
  const name = Path.join(outDir, `${example.file.replace(/[/\\]/g, "__").replace(/\.ts$/, "")}__${n}.ts`)
  byFile.set(name, example)
  Fs.writeFileSync(name, `${example.code}\n\nexport {}\n`)
}

const configPath = Path.join(root, "tsconfig.json")
const config = ts.readConfigFile(configPath, ts.sys.readFile)
if (config.error !== undefined) {
  throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
}
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, {
  noUnusedLocals: false,
  noUnusedParameters: false,
  noEmit: true
}, configPath)
const program = ts.createProgram({ rootNames: [...byFile.keys()], options: parsed.options })
const diagnostics = ts.getPreEmitDiagnostics(program)

const describe = (diagnostic: ts.Diagnostic): string => {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ")
  const code = `error TS${diagnostic.code}`
  if (diagnostic.file === undefined || diagnostic.start === undefined) return `${code}: ${message}`
  const { character, line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
  const example = byFile.get(Path.resolve(diagnostic.file.fileName))
  if (example !== undefined) {
    // Columns are counted in the example's own text (after " * ").
    const sourceLine = example.lines[line] ?? example.lines[example.lines.length - 1] ?? 0
    return `${example.file}:${sourceLine}:${character + 1} (@example) ${code}: ${message}`
  }
  return `${Path.relative(root, diagnostic.file.fileName)}:${line + 1}:${character + 1} ${code}: ${message}`
}

for (const diagnostic of diagnostics) console.error(describe(diagnostic))
const files = new Set(examples.map((example) => example.file)).size
if (diagnostics.length > 0) {
  console.error(`check-examples: ${diagnostics.length} error(s) in ${examples.length} examples from ${files} files`)
  process.exitCode = 1
} else {
  console.log(`check-examples: ${examples.length} examples from ${files} files compile`)
}
