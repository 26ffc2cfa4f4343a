/**
 * A config held as JSON, written as TOML the way Codex's writer lays it out:
 * the root's keys first, then one `[table]` per object, sub-tables after
 * their parent's keys; strings as basic strings, arrays inline, `null`
 * (which TOML has not) left out. Enough for the configs the guest holds; no
 * dates, no arrays of tables.
 *
 * @internal
 */
import type * as Model from "../model.js"

const isObject = (value: unknown): value is Model.JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A key, bare when TOML allows it, else quoted. @internal */
export const key = (name: string): string => (/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name))

/** A value inline: a basic string (JSON's escapes are TOML's), a number, a boolean, an array, an inline table. @internal */
export const value = (json: unknown): string | undefined => {
  if (typeof json === "string") return JSON.stringify(json)
  if (typeof json === "number" || typeof json === "boolean") return String(json)
  if (Array.isArray(json)) {
    return `[${json.map(value).filter((v): v is string => v !== undefined).join(", ")}]`
  }
  if (isObject(json)) {
    const pairs = Object.entries(json).flatMap(([k, v]) => {
      const inline = value(v)
      return inline === undefined ? [] : [`${key(k)} = ${inline}`]
    })
    return pairs.length === 0 ? "{}" : `{ ${pairs.join(", ")} }`
  }
  return undefined
}

/** The lines of `table` under the header path `path` (the root when empty). */
const tableLines = (path: ReadonlyArray<string>, table: Model.JsonObject): Array<string> => {
  const lines: Array<string> = path.length === 0 ? [] : ["", `[${path.map(key).join(".")}]`]
  const subtables: Array<[string, Model.JsonObject]> = []
  for (const [k, v] of Object.entries(table)) {
    if (isObject(v)) subtables.push([k, v])
    else {
      const inline = value(v)
      if (inline !== undefined) lines.push(`${key(k)} = ${inline}`)
    }
  }
  for (const [k, v] of subtables) lines.push(...tableLines([...path, k], v))
  return lines
}

/** The document's text. @internal */
export const render = (document: Model.JsonObject): string => {
  const lines = tableLines([], document)
  return `${(lines[0] === "" ? lines.slice(1) : lines).join("\n")}\n`
}
