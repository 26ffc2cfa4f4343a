/**
 * A small TOML reader for the tests: what Codex's `config.toml` holds as the
 * tests write it and as the library leaves it. `[table]` headers (dotted,
 * keys bare or quoted), `key = value` lines, values: basic and literal
 * strings, integers, floats, booleans, arrays and inline tables (on one
 * line), `#` comments. No arrays of tables, no dates, no multi-line strings:
 * anything else throws, naming the line, so a file the reader does not know
 * fails the test rather than reading as something else.
 */

/** A TOML document or table, as JSON. */
export type TomlTable = { [key: string]: TomlValue }
export type TomlValue = string | number | boolean | ReadonlyArray<TomlValue> | TomlTable

const isTable = (value: TomlValue | undefined): value is TomlTable => typeof value === "object" && !Array.isArray(value)

class Cursor {
  at = 0
  constructor(readonly text: string, readonly line: number) {}
  fail(what: string): never {
    throw new Error(`TOML line ${this.line}: ${what} at column ${this.at + 1}: ${this.text}`)
  }
  skipSpace(): void {
    while (this.text[this.at] === " " || this.text[this.at] === "\t") this.at++
  }
  peek(): string | undefined {
    return this.text[this.at]
  }
  expect(char: string): void {
    this.skipSpace()
    if (this.text[this.at] !== char) this.fail(`expected ${JSON.stringify(char)}`)
    this.at++
  }
  /** Nothing but a comment left. */
  end(): void {
    this.skipSpace()
    if (this.at < this.text.length && this.text[this.at] !== "#") this.fail("unexpected text")
  }
}

const basicString = (c: Cursor): string => {
  const start = c.at
  c.at++
  while (c.at < c.text.length && c.text[c.at] !== "\"") c.at += c.text[c.at] === "\\" ? 2 : 1
  if (c.at >= c.text.length) c.fail("unterminated string")
  c.at++
  // TOML's escapes are JSON's, plus \UXXXXXXXX.
  const raw = c.text.slice(start, c.at).replace(
    /\\U([0-9a-fA-F]{8})/g,
    (_, hex: string) => JSON.stringify(String.fromCodePoint(parseInt(hex, 16))).slice(1, -1)
  )
  const parsed: unknown = JSON.parse(raw)
  return typeof parsed === "string" ? parsed : c.fail("not a string")
}

const literalString = (c: Cursor): string => {
  const end = c.text.indexOf("'", c.at + 1)
  if (end < 0) c.fail("unterminated literal string")
  const value = c.text.slice(c.at + 1, end)
  c.at = end + 1
  return value
}

const key = (c: Cursor): string => {
  c.skipSpace()
  const first = c.peek()
  if (first === "\"") return basicString(c)
  if (first === "'") return literalString(c)
  const bare = /^[A-Za-z0-9_-]+/.exec(c.text.slice(c.at))
  if (bare === null) return c.fail("expected a key")
  c.at += bare[0].length
  return bare[0]
}

const dottedKey = (c: Cursor): Array<string> => {
  const path = [key(c)]
  for (;;) {
    c.skipSpace()
    if (c.peek() !== ".") return path
    c.at++
    path.push(key(c))
  }
}

const value = (c: Cursor): TomlValue => {
  c.skipSpace()
  const first = c.peek()
  if (first === "\"") {
    if (c.text.startsWith("\"\"\"", c.at)) c.fail("multi-line strings are not read")
    return basicString(c)
  }
  if (first === "'") return literalString(c)
  if (first === "[") {
    c.at++
    const items: Array<TomlValue> = []
    for (;;) {
      c.skipSpace()
      if (c.peek() === "]") break
      items.push(value(c))
      c.skipSpace()
      if (c.peek() === ",") c.at++
      else if (c.peek() !== "]") c.fail("expected , or ]")
    }
    c.at++
    return items
  }
  if (first === "{") {
    c.at++
    const table: TomlTable = {}
    c.skipSpace()
    if (c.peek() === "}") {
      c.at++
      return table
    }
    for (;;) {
      assign(c, table, dottedKey(c))
      c.skipSpace()
      if (c.peek() === "}") break
      c.expect(",")
    }
    c.at++
    return table
  }
  const scalar = /^[^\s,\]}#]+/.exec(c.text.slice(c.at))?.[0] ?? ""
  c.at += scalar.length
  if (scalar === "true" || scalar === "false") return scalar === "true"
  if (/^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?$/.test(scalar)) return Number(scalar.replace(/_/g, ""))
  return c.fail(`unread value ${JSON.stringify(scalar)}`)
}

/** The table at `path` under `root`, made when missing. */
const tableAt = (c: Cursor, root: TomlTable, path: ReadonlyArray<string>): TomlTable => {
  let table = root
  for (const name of path) {
    const next = table[name] ?? (table[name] = {})
    if (!isTable(next)) c.fail(`${name} is not a table`)
    table = next
  }
  return table
}

const assign = (c: Cursor, table: TomlTable, path: ReadonlyArray<string>): void => {
  const last = path[path.length - 1] ?? ""
  const parent = tableAt(c, table, path.slice(0, -1))
  if (Object.hasOwn(parent, last)) c.fail(`${path.join(".")} is defined twice`)
  c.expect("=")
  parent[last] = value(c)
}

/** `text` as JSON: tables as objects. Throws on what it does not read (see the module's note). */
export const parseToml = (text: string): TomlTable => {
  const root: TomlTable = {}
  let current = root
  text.split("\n").forEach((raw, index) => {
    const c = new Cursor(raw.replace(/\r$/, ""), index + 1)
    c.skipSpace()
    if (c.at === c.text.length || c.peek() === "#") return
    if (c.peek() === "[") {
      if (c.text[c.at + 1] === "[") c.fail("arrays of tables are not read")
      c.at++
      const path = dottedKey(c)
      c.expect("]")
      c.end()
      current = tableAt(c, root, path)
      return
    }
    assign(c, current, dottedKey(c))
    c.end()
  })
  return root
}
