/**
 * What the library's `read_entry` prints for a JSON config (Gemini CLI's and
 * Copilot CLI's, `READ_JSON` in `../../agents/movableConfig.ts`), computed
 * from the guest's model: `{"absent":true}`, or the entry's type, URL and
 * header names, each header value the placeholder when it is the plan's and
 * `[REDACTED]` otherwise, and the entry's keys.
 *
 * @internal
 */
import { TOKEN_PLACEHOLDER_HEADER } from "../../guest.js"
import type * as Model from "../model.js"

const isObject = (value: unknown): value is Model.JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** @internal */
export const readEntry = (file: Model.ConfigFile, name: string, storedHeader: string | undefined): string => {
  if (!Object.hasOwn(file.mcpServers, name)) return "{\"absent\":true}\n"
  const server = file.mcpServers[name] ?? {}
  const entry: Record<string, unknown> = {}
  for (const key of ["type", "url", "httpUrl"]) {
    const value = server[key]
    if (typeof value === "string") entry[key] = value
  }
  const headers = server["headers"]
  if (isObject(headers)) {
    entry["headers"] = Object.fromEntries(
      Object.entries(headers).map((
        [key, value]
      ) => [key, storedHeader !== undefined && value === storedHeader ? TOKEN_PLACEHOLDER_HEADER : "[REDACTED]"])
    )
  } else if (headers !== undefined) {
    entry["headers"] = "[REDACTED]"
  }
  entry["keys"] = Object.keys(server)
  return `${JSON.stringify({ entry })}\n`
}
