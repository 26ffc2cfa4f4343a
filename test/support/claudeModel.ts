/**
 * An in-memory model of a guest with the `claude mcp` CLI, for unit tests of the
 * provisioning logic: it interprets the argv the library sends (the user-switch
 * wrapper, then `claude mcp add/remove/get` or the config read) the way the real CLI was
 * observed to behave (see ../../../shared/notes/claude-mcp-cli.md), and answers
 * as a `Smolvm.makeTest` handler. The real CLI is exercised by the e2e suite.
 */
import { Effect, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as Path from "node:path"
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
  /**
   * Config files by path. Each is a non-empty regular file to the CLI's choice
   * of file (`pickConfigFile`): one at the legacy path wins.
   */
  readonly files: Map<string, ConfigFile>
  /** Whether `claude mcp get` reports a live connection. */
  reachable: boolean
  /** Whether `claude mcp remove` fails (a locked or unwritable config), leaving the entry. */
  removeFails: boolean
}

export const makeState = (): ModelState => ({ files: new Map(), reachable: true, removeFails: false })

const ok = (stdout = ""): FakeReply => ({ exitCode: 0, stdout })
const exit1 = (stderr: string): FakeReply => ({ exitCode: 1, stderr })

/** Splits the library's argv (`env ... sh -c SCRIPT ...`, run as `user`) into the agent's env and the command. */
export const parseArgv = (argv: ReadonlyArray<string>, user = "node") => {
  if (argv[0] !== "env") {
    throw new Error(`unexpected argv shape: ${JSON.stringify(argv)}`)
  }
  const env: Record<string, string> = {}
  let i = 1
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

/** The environment variables the CLI's choice of config file depends on. */
export interface ConfigEnv {
  readonly HOME: string
  readonly CLAUDE_CONFIG_DIR?: string | undefined
  readonly CLAUDE_CODE_CUSTOM_OAUTH_URL?: string | undefined
}

/** What the choice needs to know about a path, after symlinks. */
export interface PathStat {
  readonly isFile: boolean
  readonly size: number
  readonly mode: number
  readonly nlink: number
}

/** The file system as the choice sees it: each answer is the result or the errno code. */
export interface ConfigFs {
  readonly stat: (path: string) => PathStat | string
  readonly readdir: (dir: string) => ReadonlyArray<string> | string
}

/** The host's file system, for checking the guest's script against `pickConfigFile`. */
export const nodeFs: ConfigFs = {
  stat: (file) => {
    try {
      const stat = NodeFs.statSync(file)
      return { isFile: stat.isFile(), size: stat.size, mode: stat.mode, nlink: stat.nlink }
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? "EUNKNOWN"
    }
  },
  readdir: (dir) => {
    try {
      return NodeFs.readdirSync(dir)
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? "EUNKNOWN"
    }
  }
}

/**
 * Every place `pickConfigFile` may look, relative to a test scenario's directory
 * holding `home`, `cfg` (a `CLAUDE_CONFIG_DIR`) and `cwd` (where an empty one points).
 */
export const CONFIG_PLACES = [
  "home/.claude.json",
  "home/.claude-custom-oauth.json",
  "home/.claude/.config.json",
  "cfg/.claude.json",
  "cfg/.claude-custom-oauth.json",
  "cfg/.config.json",
  "cwd/.config.json"
] as const

/**
 * The user config file Claude Code 2.1.330 reads and writes, as its own
 * startup picks it (the function named `rE()` in the bundled CLI, on Linux,
 * de-minified; `CLAUDE_CODE_CUSTOM_OAUTH_URL` picks the suffix, the other OAuth
 * suffixes are for Anthropic's own builds). The legacy `.config.json` wins when
 * it is a non-empty regular file (even over an existing `.claude.json`, which
 * the CLI then leaves unused), or an empty one with a write bit while the other
 * file cannot be stat'ed or is itself empty, read-only and singly linked.
 */
export const pickConfigFile = (env: ConfigEnv, fs: ConfigFs): string => {
  const legacy = Path.join((env.CLAUDE_CONFIG_DIR ?? Path.join(env.HOME, ".claude")).normalize("NFC"), ".config.json")
  const file = Path.join(
    env.CLAUDE_CONFIG_DIR || env.HOME,
    `.claude${env.CLAUDE_CODE_CUSTOM_OAUTH_URL ? "-custom-oauth" : ""}.json`
  )
  const old = fs.stat(legacy)
  if (typeof old === "string" || !old.isFile || !(old.size > 0 || (old.mode & 0o222) !== 0)) return file
  const found = fs.stat(file)
  if (typeof found === "string" && (found === "ENOENT" || old.size === 0)) return legacy
  const other = typeof found === "string" ? undefined : found
  if (old.size === 0) {
    const emptyReadOnly = other !== undefined && other.isFile && other.size === 0 && (other.mode & 0o222) === 0 &&
      other.nlink === 1
    return emptyReadOnly ? legacy : file
  }
  if (other !== undefined && (!other.isFile || other.size === 0)) return legacy
  // On a case-insensitive file system the stat may have found another name.
  const listing = fs.readdir(Path.dirname(legacy))
  if (listing === "ENOENT") return file
  if (typeof listing !== "string" && !listing.includes(Path.basename(legacy))) return file
  return legacy
}

/** The model's files as the CLI's choice sees them: every one a non-empty regular file. */
const modelFs = (state: ModelState): ConfigFs => ({
  stat: (file) => state.files.has(file) ? { isFile: true, size: 1, mode: 0o600, nlink: 1 } : "ENOENT",
  readdir: (dir) => [...state.files.keys()].filter((file) => Path.dirname(file) === dir).map((file) => Path.basename(file))
})

const configPath = (state: ModelState, env: Record<string, string>) =>
  pickConfigFile({
    HOME: env["HOME"]!,
    CLAUDE_CONFIG_DIR: env["CLAUDE_CONFIG_DIR"],
    CLAUDE_CODE_CUSTOM_OAUTH_URL: env["CLAUDE_CODE_CUSTOM_OAUTH_URL"]
  }, modelFs(state))

/**
 * Every `Authorization` value scrubbed as the guest's awk does: the plan's own becomes the placeholder,
 * any other `[REDACTED]`. Takes and gives JSON laid out with two-space indentation.
 */
export const scrubbed = (text: string, token: string | undefined): string => {
  const ours = token === undefined ? undefined : `Bearer ${token}`
  const mark = (text: string): string => text === ours ? Guest.TOKEN_PLACEHOLDER_HEADER : text
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk)
    if (typeof value === "string") return mark(value)
    if (typeof value !== "object" || value === null) return value
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [
      mark(key),
      /^authorization$/i.test(key) && typeof inner === "string"
        ? inner === ours ? Guest.TOKEN_PLACEHOLDER_HEADER : "[REDACTED]"
        : walk(inner)
    ]))
  }
  return JSON.stringify(walk(JSON.parse(text)), null, 2)
}

export const handler = (state: ModelState): FakeHandler => (call: RecordedExec) =>
  Effect.sync(() => {
    const { command, env } = parseArgv(call.argv, call.options.user)
    // The guest's scripts and the CLI run in the same environment, so they pick the same file.
    const path = configPath(state, env)
    const [, , script, , ...args] = command
    const secret = call.options.secretEnv?.[Guest.TOKEN_VAR]
    const token = secret === undefined ? undefined : Redacted.value(secret)
    const named = `${Guest.READ_FILE_MARK}${path}\n`
    const read = (limit: string, name: string, mark: string): FakeReply => {
      const file = state.files.get(path)
      // The script names the file it picked on stderr first, as the real one does.
      if (file === undefined) return { exitCode: 1, stderr: `${mark}${named}cat: ${path}: No such file or directory\n` }
      const whole = render(file)
      if (Buffer.byteLength(whole) <= Number(limit)) return { exitCode: 0, stdout: `${scrubbed(whole, token)}\n`, stderr: `${mark}${named}` }
      // Past the limit the guest cuts out what reconcile reads, as the real awk does.
      const projects: Record<string, { readonly mcpServers?: Record<string, unknown> }> = JSON.parse(
        JSON.stringify(file.other["projects"] ?? {})
      )
      const shadowing = Object.entries(projects).filter(([, p]) => p.mcpServers !== undefined && Object.hasOwn(p.mcpServers, name))
      const part = shadowing.length === 0
        ? { mcpServers: file.mcpServers }
        : { mcpServers: file.mcpServers, projects: Object.fromEntries(shadowing.map(([path]) => [path, { mcpServers: { [name]: {} } }])) }
      return { exitCode: 0, stdout: `${scrubbed(JSON.stringify(part), token)}\n`, stderr: `${mark}${named}${Guest.READ_PART_MARK}\n` }
    }
    if (script === Guest.READ) return read(args[0]!, args[1]!, "")
    const file = state.files.get(path) ?? { other: { numStartups: 1, theme: "dark" }, mcpServers: {} }
    const add = (name: string, url: string): FakeReply => {
      const all = file.mcpServers
      if (Object.hasOwn(all, name)) return exit1(`MCP server ${name} already exists in user config`)
      all[name] = token === undefined
        ? { type: "http", url }
        : { type: "http", url, headers: { Authorization: `Bearer ${token}` } }
      state.files.set(path, file)
      return ok(`Added HTTP MCP server ${name} with URL: ${url} to user config\nFile modified: ${path}\n`)
    }
    switch (script) {
      case Guest.ENSURE: {
        const [name, url, limit] = args as [string, string, string]
        const existing = state.files.get(path)
        if (existing === undefined || !render(existing).includes(`"${name}"`)) {
          const added = add(name, url)
          if (added.exitCode === 0) return { exitCode: 0, stderr: `${Guest.STEP_MARK}add\n${added.stdout ?? ""}` }
          return { exitCode: added.exitCode, stderr: `${Guest.STEP_MARK}add\n${added.stderr ?? ""}${Guest.FAILED_MARK}claude mcp add (exit 1)\n` }
        }
        return read(limit, name, `${Guest.STEP_MARK}read\n`)
      }
      case Guest.REPLACE: {
        const mark = `${Guest.STEP_MARK}replace\n`
        if (state.removeFails) {
          return {
            exitCode: 1,
            stderr: `${mark}Error: failed to write the config\n${Guest.FAILED_MARK}claude mcp remove (exit 1); the entry was left as it was\n`
          }
        }
        delete file.mcpServers[args[0]!]
        const added = add(args[0]!, args[1]!)
        return { ...added, stderr: `${mark}${added.stderr ?? ""}` }
      }
      case Guest.GET: {
        const server = file.mcpServers[args[0]!]
        // The script exits 0 and marks the CLI's own exit 1.
        if (server === undefined) {
          return { exitCode: 0, stderr: `No MCP server named "${args[0]}". Configured servers:\n${Guest.CLI_EXIT_MARK}1\n` }
        }
        const status = state.reachable
          ? "Status: ✔ Connected"
          : "Status: ✘ Failed to connect\n  Issue: ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
        // Header values are cut in the guest.
        const headers = Object.keys(server.headers ?? {}).map((k) => `    ${k}: [REDACTED]`).join("\n")
        return {
          exitCode: 0,
          stdout: `${args[0]}:\n  Scope: User config (available in all your projects)\n  ${status}\n  Type: http\n  URL: ${server.url}\n` +
            (headers === "" ? "" : `  Headers:\n${headers}\n`) +
            `\nTo remove this server, run: claude mcp remove ${args[0]} -s user\n`,
          stderr: `${Guest.CLI_EXIT_MARK}0\n`
        }
      }
      default:
        throw new Error(`unexpected guest script: ${script}`)
    }
  })
