/**
 * A reference supervise sidecar: the other end of what bottle-supervise
 * registers in the agent's Claude Code config.
 *
 * It is an MCP server over streamable HTTP (stateless: every POST gets a fresh
 * server and transport) with the two stuck-recovery tools a bottle's agent
 * calls when it is blocked:
 *
 * - `pipelock-block`: the egress firewall (Pipelock) refused a request; the
 *   agent reports the host and the reason Pipelock returned.
 * - `capability-block`: the agent lacks a capability (a tool, a permission, a
 *   secret) and asks the operator for it.
 *
 * Each call is recorded for the operator (kept in memory and printed) and the
 * agent gets a short acknowledgement. With a `token`, every request must carry
 * `Authorization: Bearer <token>` or gets 401.
 *
 * Run it directly: `npx tsx examples/supervise-sidecar.ts [--port N] [--host H]`
 * (token from `SUPERVISE_TOKEN`), or call `start` from a launcher or a test.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { timingSafeEqual } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { pathToFileURL } from "node:url"
import { z } from "zod"

/**
 * One request from the agent to the operator, as recorded by the sidecar.
 */
export type SuperviseRequest =
  | {
    readonly id: number
    readonly at: Date
    readonly tool: "pipelock-block"
    readonly host: string
    readonly reason: string
    readonly url?: string | undefined
    readonly detail?: string | undefined
  }
  | {
    readonly id: number
    readonly at: Date
    readonly tool: "capability-block"
    readonly capability: string
    readonly why: string
  }

/**
 * How to start the sidecar.
 *
 * - `port`: TCP port, default `0` (any free port).
 * - `host`: address to listen on, default `127.0.0.1`. Under smolvm's TSI
 *   networking the guest's `127.0.0.1` is the host's loopback; under virtio-net
 *   the guest reaches the host at `100.96.0.1`, so listen there instead.
 * - `token`: when set, requests without `Authorization: Bearer <token>` get 401.
 * - `log`: where each recorded request is printed for the operator, one line
 *   per request. Default: stderr. Pass `() => {}` to keep quiet.
 */
export interface StartOptions {
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly token?: string | undefined
  readonly log?: ((line: string) => void) | undefined
}

/**
 * A running sidecar.
 *
 * - `url`: what to put in the plan's `supervisePlan.agentUrl`.
 * - `requests`: every request recorded so far, oldest first (a live view).
 * - `close`: stops listening and drops open connections.
 */
export interface Sidecar {
  readonly url: string
  readonly port: number
  readonly requests: ReadonlyArray<SuperviseRequest>
  readonly close: () => Promise<void>
}

const describe = (request: SuperviseRequest): string =>
  request.tool === "pipelock-block"
    ? `pipelock-block #${request.id}: egress to ${request.host} was blocked (${request.reason})` +
      (request.url === undefined ? "" : ` url=${request.url}`) +
      (request.detail === undefined ? "" : ` detail=${request.detail}`)
    : `capability-block #${request.id}: the agent needs ${request.capability} (${request.why})`

/** Stamps a request with its id and time, stores and prints it. */
type RecordRequest = (make: (stamp: { readonly id: number; readonly at: Date }) => SuperviseRequest) => SuperviseRequest

const buildServer = (record: RecordRequest) => {
  const server = new McpServer({ name: "bottle-supervise-sidecar", version: "0.1.0" })
  server.registerTool(
    "pipelock-block",
    {
      title: "Report an egress block",
      description: "Call this when the egress firewall (Pipelock) blocked a network request you need. " +
        "The operator is told the host and the reason Pipelock returned, and may allow it. " +
        "Do not retry the request in a loop; wait for the operator.",
      inputSchema: {
        host: z.string().min(1).describe("The host that was blocked, e.g. registry.npmjs.org"),
        reason: z.string().min(1).describe("The block reason Pipelock returned, verbatim"),
        url: z.string().optional().describe("The full URL that was blocked, if known"),
        detail: z.string().optional().describe("What you were trying to do, in one sentence")
      }
    },
    ({ detail, host, reason, url }) => {
      const request = record((stamp) => ({ ...stamp, tool: "pipelock-block", host, reason, url, detail }))
      return {
        content: [{
          type: "text",
          text: `Recorded as request #${request.id}: the operator has been asked to allow egress to ${host}. ` +
            `Continue with other work; do not retry ${host} until told it is allowed.`
        }]
      }
    }
  )
  server.registerTool(
    "capability-block",
    {
      title: "Ask for a missing capability",
      description: "Call this when you are stuck because you lack a capability (a tool, a permission, a credential, " +
        "access to a resource). The operator is asked to provide it.",
      inputSchema: {
        capability: z.string().min(1).describe("What you need, e.g. 'write access to /data' or 'the psql client'"),
        why: z.string().min(1).describe("Why you need it and what it blocks")
      }
    },
    ({ capability, why }) => {
      const request = record((stamp) => ({ ...stamp, tool: "capability-block", capability, why }))
      return {
        content: [{
          type: "text",
          text: `Recorded as request #${request.id}: the operator has been asked for ${capability}. ` +
            `Continue with what you can do without it.`
        }]
      }
    }
  )
  return server
}

const bearerMatches = (header: string | undefined, token: string): boolean => {
  if (header === undefined) return false
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (match?.[1] === undefined) return false
  const given = Buffer.from(match[1])
  const wanted = Buffer.from(token)
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}

const jsonRpcError = (
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: http.OutgoingHttpHeaders = {}
) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }))
}

/**
 * Starts the sidecar and resolves once it listens.
 *
 * @example
 * import { start } from "./supervise-sidecar.js"
 *
 * const sidecar = await start({ token: "s3cret" })
 * // plan.supervisePlan = { agentUrl: sidecar.url, token: "s3cret" }
 * await sidecar.close()
 */
export const start = async (options: StartOptions = {}): Promise<Sidecar> => {
  const requests: Array<SuperviseRequest> = []
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const token = options.token
  const record: RecordRequest = (make) => {
    const full = make({ id: requests.length + 1, at: new Date() })
    requests.push(full)
    log(`supervise: ${describe(full)}`)
    return full
  }

  const httpServer = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://sidecar").pathname
    if (path !== "/" && path !== "/mcp") {
      // Only the MCP endpoint exists: no OAuth discovery, so a client without
      // the token is told "401" below and nothing else.
      jsonRpcError(res, 404, "Not found")
      return
    }
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      jsonRpcError(res, 401, "Unauthorized", { "www-authenticate": "Bearer" })
      return
    }
    if (req.method !== "POST") {
      // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
      jsonRpcError(res, 405, "Method not allowed", { allow: "POST" })
      return
    }
    const server = buildServer(record)
    const transport = new StreamableHTTPServerTransport({}) // no sessionIdGenerator: stateless
    res.on("close", () => {
      void transport.close()
      void server.close()
    })
    server.connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) jsonRpcError(res, 500, `Internal error: ${String(error)}`)
      })
  })

  const host = options.host ?? "127.0.0.1"
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject)
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off("error", reject)
      resolve()
    })
  })
  const address: string | AddressInfo | null = httpServer.address()
  if (address === null || typeof address === "string") throw new Error("the sidecar is not listening on TCP")
  const port = address.port
  const urlHost = host.includes(":") ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.close(() => resolve())
        httpServer.closeAllConnections()
      })
  }
}

/**
 * `start` as a scoped Effect: the sidecar is closed when the scope closes.
 *
 * @example
 * import { Effect } from "effect"
 * import { scoped } from "./supervise-sidecar.js"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const sidecar = yield* scoped({ token: "s3cret" })
 *   return sidecar.url
 * }))
 */
export const scoped = (options: StartOptions = {}): Effect.Effect<Sidecar, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(options)),
    (sidecar) => Effect.promise(() => sidecar.close())
  )

const argValue = (args: ReadonlyArray<string>, name: string): string | undefined => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const port = Number(argValue(args, "--port") ?? process.env["SUPERVISE_PORT"] ?? 0)
  const token = process.env["SUPERVISE_TOKEN"]
  const sidecar = await start({
    port,
    host: argValue(args, "--host"),
    token: token === undefined || token === "" ? undefined : token
  })
  process.stdout.write(
    `supervise sidecar listening on ${sidecar.url}${token ? " (bearer token required)" : ""}; Ctrl-C to stop\n`
  )
  const stop = () => {
    void sidecar.close().then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}
