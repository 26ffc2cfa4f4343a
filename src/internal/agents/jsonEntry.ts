/**
 * The host's reading of what `READ_JSON` printed in the guest (Gemini CLI's
 * and Copilot CLI's JSON configs): the entry's type, URL and header names,
 * each header value already the placeholder or `[REDACTED]`.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { SupervisePlan } from "../../SupervisePlan.js"
import { displayUrl } from "../claudeConfig.js"
import type { Change, Comparison } from "./agent.js"
import { PLACEHOLDER } from "./movableConfig.js"

const Read = Schema.Union(
  Schema.Struct({ absent: Schema.Literal(true) }),
  Schema.Struct({ unparsable: Schema.Literal(true) }),
  Schema.Struct({
    entry: Schema.Struct({
      type: Schema.optional(Schema.String),
      url: Schema.optional(Schema.String),
      httpUrl: Schema.optional(Schema.String),
      headers: Schema.optional(Schema.Union(Schema.Record({ key: Schema.String, value: Schema.String }), Schema.String))
    })
  })
)

const decode = Schema.decodeUnknownEither(Schema.parseJson(Read))

/**
 * The headers the plan's entry has, as the guest's read prints them.
 *
 * @internal
 */
export const sameHeaders = (
  headers: Readonly<Record<string, string>> | string | undefined,
  plan: SupervisePlan
): boolean => {
  if (typeof headers === "string") return false
  const keys = Object.keys(headers ?? {})
  return plan.token === undefined
    ? keys.length === 0
    : keys.length === 1 && keys[0] === "Authorization" && headers?.["Authorization"] === PLACEHOLDER
}

/** @internal */
export const compare = (stdout: string, plan: SupervisePlan): Comparison => {
  const read = decode(stdout.trim())
  if (Either.isLeft(read) || "unparsable" in read.right) return { _tag: "Unparsable" }
  if ("absent" in read.right) return { _tag: "Absent", shadowedIn: [] }
  const { headers, httpUrl, type, url } = read.right.entry
  const changes: Array<Change> = []
  // `httpUrl` is Gemini CLI's older spelling of a streamable HTTP server: rewritten to today's.
  if (type !== "http" || httpUrl !== undefined) changes.push("transport")
  if (url !== plan.agentUrl) changes.push("url")
  if (!sameHeaders(headers, plan)) changes.push("headers")
  return { _tag: "Present", changes, previousUrl: displayUrl(url ?? httpUrl), shadowedIn: [] }
}
