/**
 * Verification for agents whose CLI offers no check that connects (Codex,
 * Copilot CLI): the stored entry, read as provisioning reads it, and then an
 * MCP `initialize` sent to the planned URL from inside the guest with the
 * plan's token (`probeScript`). Connected only when the entry is the plan's
 * and the sidecar answered as an MCP server.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { SupervisePlan } from "../../SupervisePlan.js"
import { NO_READER_MARK } from "../guest.js"
import type { Comparison, Health, Ran } from "./agent.js"
import { PROBE_MARK } from "./movableConfig.js"

const Probe = Schema.Union(
  Schema.Struct({ status: Schema.Number, mcp: Schema.Boolean }),
  Schema.Struct({ error: Schema.String })
)
const decodeProbe = Schema.decodeUnknownEither(Schema.parseJson(Probe))

const unknown = (ran: Ran, detail: string): Health => ({
  _tag: "Unknown",
  detail,
  exitCode: ran.exitCode,
  stdout: ran.stdout,
  stderr: ran.stderr
})

/** @internal */
export const health =
  (compare: (stdout: string, plan: SupervisePlan) => Comparison) => (ran: Ran, plan: SupervisePlan): Health => {
    if (ran.stderr.includes(NO_READER_MARK)) {
      return unknown(ran, "the guest has nothing to read the agent's config with")
    }
    if (ran.exitCode !== 0) return unknown(ran, "the agent's config could not be read")
    const found = compare(ran.stdout, plan)
    if (found._tag === "Unparsable") return unknown(ran, "the agent's config is not one this library can read")
    if (found._tag === "Absent") return { _tag: "NotRegistered" }
    const url = found.previousUrl
    if (found.changes.includes("transport")) return { _tag: "Connected", type: "non-http", url }
    if (found.changes.includes("url")) return { _tag: "Connected", type: "http", url }
    if (found.changes.includes("headers")) {
      return {
        _tag: "Unreachable",
        type: "http",
        url,
        reason: "the stored Authorization header is not the plan's token: provision again"
      }
    }
    const line = ran.stderr.split("\n").find((l) => l.startsWith(PROBE_MARK))
    const probe = line === undefined ? undefined : decodeProbe(line.slice(PROBE_MARK.length))
    if (probe === undefined || Either.isLeft(probe)) return unknown(ran, "the probe of the sidecar's URL said nothing")
    const answer = probe.right
    if ("error" in answer) {
      return { _tag: "Unreachable", type: "http", url, reason: `cannot connect to the sidecar (${answer.error})` }
    }
    if (answer.mcp) return { _tag: "Connected", type: "http", url }
    return {
      _tag: "Unreachable",
      type: "http",
      url,
      reason: answer.status === 401 || answer.status === 403
        ? `the sidecar refused the token (HTTP ${answer.status})`
        : answer.status >= 200 && answer.status < 300
        ? `the sidecar answered HTTP ${answer.status}, not as an MCP server`
        : `the sidecar answered HTTP ${answer.status}`
    }
  }
