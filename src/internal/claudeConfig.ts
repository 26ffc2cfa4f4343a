/**
 * Reading Claude Code's user config (`.claude.json`) on the host: only the
 * parts reconciliation needs, everything else is ignored and left alone (the
 * CLI does the writes).
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { SupervisePlan } from "../SupervisePlan.js"

const Entry = Schema.Struct({
  type: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

const Servers = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const Config = Schema.parseJson(Schema.Struct({
  mcpServers: Schema.optional(Servers),
  projects: Schema.optional(Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ mcpServers: Schema.optional(Servers) })
  }))
}))

/** What differs between the stored entry and the plan. @internal */
export type Change = "transport" | "url" | "headers"

/** @internal */
export type Comparison =
  | { readonly _tag: "Unparsable" }
  | { readonly _tag: "Absent"; readonly shadowedIn: ReadonlyArray<string> }
  | {
    readonly _tag: "Present"
    readonly changes: ReadonlyArray<Change>
    readonly previousUrl: string | undefined
    readonly shadowedIn: ReadonlyArray<string>
  }

const expectedHeaders = (plan: SupervisePlan): Record<string, string> =>
  plan.token === undefined ? {} : { Authorization: `Bearer ${Redacted.value(plan.token)}` }

const sameHeaders = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/** A URL as it may be shown: credentials removed, or nothing when unparsable. @internal */
export const displayUrl = (url: string | undefined): string | undefined => {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    return undefined
  }
}

/** @internal */
export const compare = (text: string, plan: SupervisePlan): Comparison => {
  const decoded = Schema.decodeUnknownEither(Config)(text)
  if (Either.isLeft(decoded)) return { _tag: "Unparsable" }
  const config = decoded.right
  const shadowedIn = Object.entries(config.projects ?? {})
    .filter(([, project]) => project.mcpServers !== undefined && Object.hasOwn(project.mcpServers, plan.serverName))
    .map(([path]) => path)
  const raw = config.mcpServers !== undefined && Object.hasOwn(config.mcpServers, plan.serverName)
    ? config.mcpServers[plan.serverName]
    : undefined
  if (raw === undefined) return { _tag: "Absent", shadowedIn }
  const entry = Schema.decodeUnknownEither(Entry)(raw)
  if (Either.isLeft(entry)) {
    return { _tag: "Present", changes: ["transport", "url", "headers"], previousUrl: undefined, shadowedIn }
  }
  const { headers = {}, type, url } = entry.right
  const changes: Array<Change> = []
  if (type !== "http") changes.push("transport")
  if (url !== plan.agentUrl) changes.push("url")
  if (!sameHeaders(headers, expectedHeaders(plan))) changes.push("headers")
  return { _tag: "Present", changes, previousUrl: displayUrl(url), shadowedIn }
}
