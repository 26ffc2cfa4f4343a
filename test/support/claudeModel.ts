/**
 * An in-memory model of a guest with the `claude mcp` CLI, for unit tests of the
 * provisioning logic: it interprets the argv the library sends (the user-switch
 * wrapper, then `claude mcp add/remove/get` or the config read) the way the real CLI was
 * observed to behave (see ../../../shared/notes/claude-mcp-cli.md), and answers
 * as a `Smolvm.makeTest` handler. The real CLI is exercised by the e2e suite.
 */
import { Effect, Redacted } from "effect"
import * as Guest from "../../src/internal/guest.js"
import type { FakeHandler, FakeReply, RecordedExec } from "../../src/Smolvm.js"

export interface Server {
  readonly type: string
  readonly url: string
  readonly headers?: Record<string, string>
}

/** A user config file: the servers and every other key, kept apart. */
export interface ConfigFile {
  readonly other: Record<string, unknown>
  readonly mcpServers: Record<string, Server>
}

export const render = (file: ConfigFile): string => JSON.stringify({ ...file.other, mcpServers: file.mcpServers }, null, 2)

export interface ModelState {
  /** Config files by path. */
  readonly files: Map<string, ConfigFile>
  /** Whether `claude mcp get` reports a live connection. */
  reachable: boolean
  /** Whether `claude mcp remove` fails (a locked or unwritable config), leaving the entry. */
  removeFails: boolean
}

export const makeState = (): ModelState => ({ files: new Map(), reachable: true, removeFails: false })

const ok = (stdout = ""): FakeReply => ({ exitCode: 0, stdout })
const exit1 = (stderr: string): FakeReply => ({ exitCode: 1, stderr })

/** Splits the library's argv into the agent's env and the command it runs. */
export const parseArgv = (argv: ReadonlyArray<string>) => {
  if (argv[0] !== "sh" || argv[1] !== "-c" || argv[2] !== Guest.SWITCH_USER || argv[5] !== "env") {
    throw new Error(`unexpected argv shape: ${JSON.stringify(argv)}`)
  }
  const user = argv[4]!
  const env: Record<string, string> = {}
  let i = 6
  const unset: Array<string> = []
  while (argv[i] === "-u") {
    unset.push(argv[i + 1]!)
    i += 2
  }
  for (; i < argv.length && /^[A-Z_]+=/.test(argv[i]!); i++) {
    const [key, ...rest] = argv[i]!.split("=")
    env[key!] = rest.join("=")
  }
  return { user, env, unset, command: argv.slice(i) }
}

const configPath = (env: Record<string, string>) => `${env["CLAUDE_CONFIG_DIR"] ?? env["HOME"]}/.claude.json`

export const handler = (state: ModelState): FakeHandler => (call: RecordedExec) =>
  Effect.sync(() => {
    const { command, env } = parseArgv(call.argv)
    const path = configPath(env)
    const [, , script, , ...args] = command
    if (script === Guest.READ) {
      const [limit, name, configFile] = args
      const file = state.files.get(configFile!)
      if (file === undefined) return exit1(`cat: ${configFile}: No such file or directory`)
      const whole = render(file)
      if (Buffer.byteLength(whole) <= Number(limit)) return ok(whole)
      // Past the limit the guest cuts out what reconcile reads, as the real awk does.
      const projects: Record<string, { readonly mcpServers?: Record<string, unknown> }> = JSON.parse(
        JSON.stringify(file.other["projects"] ?? {})
      )
      const shadowing = Object.entries(projects).filter(([, p]) => p.mcpServers !== undefined && Object.hasOwn(p.mcpServers, name!))
      const part = shadowing.length === 0
        ? { mcpServers: file.mcpServers }
        : { mcpServers: file.mcpServers, projects: Object.fromEntries(shadowing.map(([path]) => [path, { mcpServers: { [name!]: {} } }])) }
      return { exitCode: 0, stdout: `${JSON.stringify(part, null, 2)}\n`, stderr: `${Guest.READ_PART_MARK}\n` }
    }
    const file = state.files.get(path) ?? { other: { numStartups: 1, theme: "dark" }, mcpServers: {} }
    const token = call.options.secretEnv?.[Guest.TOKEN_VAR]
    const add = (name: string, url: string): FakeReply => {
      const all = file.mcpServers
      if (Object.hasOwn(all, name)) return exit1(`MCP server ${name} already exists in user config`)
      all[name] = token === undefined
        ? { type: "http", url }
        : { type: "http", url, headers: { Authorization: `Bearer ${Redacted.value(token)}` } }
      state.files.set(path, file)
      return ok(`Added HTTP MCP server ${name} with URL: ${url} to user config\nFile modified: ${path}\n`)
    }
    switch (script) {
      case Guest.ADD:
        return add(args[0]!, args[1]!)
      case Guest.REPLACE: {
        // The script ignores remove's failure; the add then reports what is left.
        if (!state.removeFails) delete file.mcpServers[args[0]!]
        return add(args[0]!, args[1]!)
      }
      case Guest.GET: {
        const server = file.mcpServers[args[0]!]
        if (server === undefined) return exit1(`No MCP server named "${args[0]}". Configured servers:`)
        const status = state.reachable
          ? "Status: ✔ Connected"
          : "Status: ✘ Failed to connect\n  Issue: ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
        const headers = Object.entries(server.headers ?? {}).map(([k, v]) => `    ${k}: ${v}`).join("\n")
        return ok(
          `${args[0]}:\n  Scope: User config (available in all your projects)\n  ${status}\n  Type: http\n  URL: ${server.url}\n` +
            (headers === "" ? "" : `  Headers:\n${headers}\n`) +
            `\nTo remove this server, run: claude mcp remove ${args[0]} -s user\n`
        )
      }
      default:
        throw new Error(`unexpected guest script: ${script}`)
    }
  })
