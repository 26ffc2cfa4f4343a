/**
 * Reading Claude Code's user config (`.claude.json`) on the host: only the
 * parts reconciliation needs, everything else is ignored and left alone (the
 * CLI does the writes).
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { SupervisePlan } from "../SupervisePlan.js"
import type { Change, Comparison } from "./agents/agent.js"
import { TOKEN_PLACEHOLDER_HEADER } from "./guest.js"
import { REDACTED } from "./redact.js"
import { SPECIAL_SCHEMES, UNSAFE_CHARS } from "./url.js"

const Entry = Schema.Struct({
  type: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

// Only the text being JSON with an object at the top is required: Claude Code
// itself accepts and rewrites a config whose other parts are odd (a project that
// is `null`, a project's `mcpServers` that is an array, a top-level `mcpServers`
// that is `null`), so one odd part must not make the whole file unreadable.
const Json = Schema.parseJson()

type JsonObject = Readonly<Record<string, unknown>>

/** A JSON object: not `null`, not an array. */
const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `value[key]` when `value` is a JSON object that has `key` as its own. */
const own = (value: unknown, key: string): unknown =>
  isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined

/** @internal */
export type { Change, Comparison } from "./agents/agent.js"

/**
 * The headers the plan's entry has, as the guest's scrubbed read prints them:
 * the plan's own `Authorization` value is replaced by a placeholder in the
 * guest, so the token is compared there and never travels to the host.
 */
const expectedHeaders = (plan: SupervisePlan): Record<string, string> =>
  plan.token === undefined ? {} : { Authorization: TOKEN_PLACEHOLDER_HEADER }

const sameHeaders = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

const SPECIAL_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:[/\\]*)([^/\\?#]*)/
const OTHER_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)/

/**
 * A stored URL as it may be shown: exactly as Claude Code stores and prints it
 * (never re-serialised, so `http://h:1` keeps its missing path and a host its
 * case), except that a userinfo (`user:password@`) is replaced by
 * `[REDACTED]@`: credentials are never shown, and a URL that had them still
 * reads as different from a plan's (which cannot have any). Nothing when it
 * does not parse as a URL, holds whitespace or control characters, or its
 * userinfo cannot be cut out of the text exactly.
 *
 * @internal
 */
export const displayUrl = (url: string | undefined): string | undefined => {
  if (url === undefined || UNSAFE_CHARS.test(url)) return undefined
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.username === "" && parsed.password === "") return url
  const match = (SPECIAL_SCHEMES.has(parsed.protocol) ? SPECIAL_AUTHORITY : OTHER_AUTHORITY).exec(url)
  if (match === null) return undefined
  const [whole = "", head = "", authority = ""] = match
  const host = authority.slice(authority.lastIndexOf("@") + 1)
  const rest = url.slice(whole.length)
  // The cut must be exactly what the URL parser calls the userinfo: checked on the text without it.
  parsed.username = ""
  parsed.password = ""
  try {
    const check = new URL(head + host + rest)
    if (check.username !== "" || check.password !== "" || check.href !== parsed.href) return undefined
  } catch {
    return undefined
  }
  return `${head}${REDACTED}@${host}${rest}`
}

/** @internal */
export const compare = (text: string, plan: SupervisePlan): Comparison => {
  const decoded = Schema.decodeUnknownEither(Json)(text)
  if (Either.isLeft(decoded) || !isObject(decoded.right)) return { _tag: "Unparsable" }
  const config = decoded.right
  // A project that is not an object, or whose `mcpServers` is not, has no local entry.
  const projects = own(config, "projects")
  const shadowedIn = isObject(projects)
    ? Object.keys(projects).filter((path) => {
      const local = own(projects[path], "mcpServers")
      return isObject(local) && Object.hasOwn(local, plan.serverName)
    })
    : []
  // A top-level `mcpServers` that is not an object holds no server: Claude Code reads it so
  // (it replaces it on the next `add`), and so does the guest's partial read.
  const raw = own(own(config, "mcpServers"), plan.serverName)
  if (raw === undefined) return { _tag: "Absent", shadowedIn }
  const entry = Schema.decodeUnknownEither(Entry)(raw)
  if (Either.isLeft(entry)) {
    return { _tag: "Present", changes: ["transport", "url", "headers"], previousUrl: undefined, shadowedIn }
  }
  const { headers = {}, type, url } = entry.right
  const changes: Array<Change> = []
  if (type !== "http") changes.push("transport")
  // The stored text against the plan's text, as the CLI stores it: `http://h:1` and
  // `http://h:1/` reach the same server, but the entry is rewritten once to the plan's form.
  if (url !== plan.agentUrl) changes.push("url")
  if (!sameHeaders(headers, expectedHeaders(plan))) changes.push("headers")
  return { _tag: "Present", changes, previousUrl: displayUrl(url), shadowedIn }
}
