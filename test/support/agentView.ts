/**
 * What the agent inside a guest sees, read from the host: its `.claude.json`
 * entry for a server, and the tools that server offers when called with the
 * same URL and headers (what Claude Code would do at start-up; `claude mcp get`
 * does not list tools).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"

/** A user-scope MCP server entry as Claude Code stores it. */
export const McpEntry = Schema.Struct({
  type: Schema.String,
  url: Schema.String,
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

/** @see McpEntry */
export type McpEntry = typeof McpEntry.Type

const ClaudeJson = Schema.parseJson(Schema.Struct({
  mcpServers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}))

/** Reading the config or talking to the server went wrong. */
export class AgentViewError extends Data.TaggedError("AgentViewError")<{ readonly message: string }> {}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Every user-scope server in a config's text; `source` names it in errors. */
export const serversIn = (
  text: string,
  source: string
): Effect.Effect<Readonly<Record<string, unknown>>, AgentViewError> =>
  Schema.decodeUnknown(ClaudeJson)(text).pipe(
    Effect.map((config) => config.mcpServers ?? {}),
    Effect.mapError((error) => new AgentViewError({ message: `${source}: ${error.message}` }))
  )

/** The user-scope entry `name` in a config's text; `source` names it in errors. */
export const entryIn = (text: string, name: string, source: string): Effect.Effect<McpEntry, AgentViewError> =>
  Effect.flatMap(serversIn(text, source), (servers) =>
    Object.hasOwn(servers, name)
      ? Schema.decodeUnknown(McpEntry)(servers[name]).pipe(
        Effect.mapError((error) => new AgentViewError({ message: `entry ${name}: ${error.message}` }))
      )
      : Effect.fail(new AgentViewError({ message: `no user-scope MCP server ${name} in ${source}` })))

const readText = (configFile: string): Effect.Effect<string, AgentViewError> =>
  Effect.try({
    try: () => fs.readFileSync(configFile, "utf8"),
    catch: (error) => new AgentViewError({ message: `cannot read ${configFile}: ${describeError(error)}` })
  })

/** Every user-scope server in the config file. */
export const readServers = (configFile: string): Effect.Effect<Readonly<Record<string, unknown>>, AgentViewError> =>
  Effect.flatMap(readText(configFile), (text) => serversIn(text, configFile))

/** The user-scope entry `name` in the config file. */
export const readEntry = (configFile: string, name: string): Effect.Effect<McpEntry, AgentViewError> =>
  Effect.flatMap(readText(configFile), (text) => entryIn(text, name, configFile))

/** An MCP client connected as the agent would be: the entry's URL and headers. */
const connected = (entry: McpEntry) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const client = new Client({ name: "bottle-supervise-agent-view", version: "0.1.0" })
        const transport = new StreamableHTTPClientTransport(new URL(entry.url), {
          requestInit: { headers: { ...(entry.headers ?? {}) } }
        })
        await client.connect(transport)
        return client
      },
      catch: (error) => new AgentViewError({ message: `cannot connect to ${entry.url}: ${describeError(error)}` })
    }),
    (client) => Effect.promise(() => client.close())
  )

/** A tool as the agent is offered it. */
export interface AgentTool {
  readonly name: string
  readonly description: string | undefined
}

/** `tools/list` against the entry, with its headers. */
export const listTools = (entry: McpEntry): Effect.Effect<ReadonlyArray<AgentTool>, AgentViewError> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* connected(entry)
    const result = yield* Effect.tryPromise({
      try: () => client.listTools(),
      catch: (error) => new AgentViewError({ message: `tools/list failed: ${describeError(error)}` })
    })
    return result.tools.map((tool) => ({ name: tool.name, description: tool.description }))
  }))

/** `tools/call` against the entry; the text parts of the answer, joined. */
export const callTool = (
  entry: McpEntry,
  name: string,
  args: Readonly<Record<string, string>>
): Effect.Effect<string, AgentViewError> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* connected(entry)
    const result = yield* Effect.tryPromise({
      try: () => client.callTool({ name, arguments: { ...args } }),
      catch: (error) => new AgentViewError({ message: `tools/call ${name} failed: ${describeError(error)}` })
    })
    const content: ReadonlyArray<unknown> = Array.isArray(result.content) ? result.content : []
    return content
      .flatMap((part) =>
        typeof part === "object" && part !== null && "text" in part && typeof part.text === "string" ? [part.text] : []
      )
      .join("\n")
  }))
