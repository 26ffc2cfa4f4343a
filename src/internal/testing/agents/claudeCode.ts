/**
 * Claude Code as the in-memory guest imitates it: `claude mcp add`, `remove`
 * and `get` on the file the CLI picks for the exec's environment (the
 * `.claude.json`, a legacy `.config.json`, `CLAUDE_CONFIG_DIR`), driven by the
 * library's own scripts (ensure, read, replace, get in `../../guest.ts`).
 *
 * @internal
 */
import type { FakeReply } from "../../../Smolvm.js"
import * as Guest from "../../guest.js"
import * as Model from "../model.js"
import { ok, reaches, type State, type StepInput, type StepRun } from "../state.js"
import type { FakeAgent } from "./agent.js"

/** How dash, running a step script (`$0` is `bottle-supervise`), says `claude` is missing. */
const CLAUDE_NOT_FOUND = "bottle-supervise: 1: claude: not found"

/** The config file the CLI picks for an environment. @internal */
export const configPathFor = (state: State, env: Readonly<Record<string, string | undefined>>): string =>
  Model.pickConfigFile({
    HOME: env["HOME"] ?? "/",
    CLAUDE_CONFIG_DIR: env["CLAUDE_CONFIG_DIR"],
    CLAUDE_CODE_CUSTOM_OAUTH_URL: env["CLAUDE_CODE_CUSTOM_OAUTH_URL"]
  }, Model.filesFs(state.files))

/**
 * The CLI of one exec: `add`, `remove`, `get` on the file its environment
 * picks, written as `ranAs`.
 */
const cli = (state: State, path: string, ranAs: string, token: string | undefined) => {
  const existing = state.files.get(path)
  const file: Model.ConfigFile = existing ?? { other: {}, mcpServers: {} }
  const write = () => {
    if (!state.files.has(path)) state.owners.set(path, ranAs)
    Model.dropDefaults(file.other)
    state.files.set(path, file)
  }
  return {
    file: existing,
    add: (name: string, url: string): FakeReply => {
      if (Object.hasOwn(file.mcpServers, name)) {
        return { exitCode: 1, stderr: `MCP server ${name} already exists in user config\n` }
      }
      file.mcpServers[name] = token === undefined
        ? { type: "http", url }
        : { type: "http", url, headers: { Authorization: `Bearer ${token}` } }
      write()
      return ok(
        `Added HTTP MCP server ${name} with URL: ${url} to user config\n` +
          (token === undefined ? "" : `Headers: {\n  "Authorization": "[REDACTED]"\n}\n`) +
          `File modified: ${path}\n`
      )
    },
    remove: (name: string): FakeReply => {
      if (!Object.hasOwn(file.mcpServers, name)) {
        return { exitCode: 1, stderr: `No MCP server named "${name}" in user scope\n` }
      }
      if (state.removeFails) {
        return { exitCode: 1, stderr: "Error: failed to write the config: EACCES: permission denied\n" }
      }
      delete file.mcpServers[name]
      write()
      return ok(`Removed MCP server ${name} from user config\nFile modified: ${path}\n`)
    }
  }
}

/** `claude mcp get NAME` as the CLI prints it, then the guest's header cut; `[stdout, stderr, status]`. */
const get = (state: State, file: Model.ConfigFile | undefined, name: string): readonly [string, string, number] => {
  const servers = file?.mcpServers ?? {}
  const server = servers[name]
  if (server === undefined) {
    const names = Object.keys(servers)
    return [
      "",
      names.length === 0
        ? `No MCP server named "${name}". Run \`claude mcp add\` to add one.\n`
        : `No MCP server named "${name}". Configured servers: ${names.sort().join(", ")}\n`,
      1
    ]
  }
  const type = typeof server["type"] === "string" ? server["type"] : "stdio"
  const url = typeof server["url"] === "string" ? server["url"] : undefined
  const up = type !== "stdio" && url !== undefined && reaches(state, url)
  const refused = "ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
  // The guest runs no stdio server: its command is not there.
  const status = up
    ? "  Status: ✔ Connected\n"
    : type === "stdio"
    ? `  Status: ✘ Failed to connect\n  Issue: ENOENT: Executable not found in $PATH: ${
      JSON.stringify(String(server["command"] ?? ""))
    }\n`
    : `  Status: ✘ Failed to connect\n  Issue: ${type === "sse" ? `SSE error: ${refused}` : refused}\n`
  const headers = server["headers"]
  const headerNames = typeof headers === "object" && headers !== null ? Object.keys(headers) : []
  const body = type === "stdio"
    ? `  Type: stdio\n  Command: ${String(server["command"] ?? "")}\n  Args:\n  Environment:\n`
    : `  Type: ${type}\n  URL: ${url ?? ""}\n` +
      // Header values are cut in the guest, by the step's awk.
      (headerNames.length === 0 ? "" : `  Headers:\n${headerNames.map((h) => `    ${h}: [REDACTED]\n`).join("")}`)
  return [
    `${name}:\n  Scope: User config (available in all your projects)\n${status}${body}\n` +
    `To remove this server, run: claude mcp remove ${name} -s user\n`,
    "",
    0
  ]
}

/**
 * What `read_config` prints for FILE at `limit`: the file (tokens scrubbed),
 * or past the limit the part reconcile reads; `[stdout, stderr]`.
 */
const readConfig = (
  file: Model.ConfigFile,
  limit: number,
  name: string,
  token: string | undefined
): readonly [string, string] => {
  const whole = Model.render(file)
  if (Buffer.byteLength(whole) <= limit) return [`${Model.scrubbed(whole, token)}\n`, ""]
  const projects = file.other["projects"]
  const shadowing = typeof projects === "object" && projects !== null
    ? Object.entries(projects).filter(([, project]) => {
      const local = typeof project === "object" && project !== null ? Reflect.get(project, "mcpServers") : undefined
      return typeof local === "object" && local !== null && !Array.isArray(local) && Object.hasOwn(local, name)
    })
    : []
  const part = shadowing.length === 0
    ? { mcpServers: file.mcpServers }
    : {
      mcpServers: file.mcpServers,
      projects: Object.fromEntries(shadowing.map(([path]) => [path, { mcpServers: { [name]: {} } }]))
    }
  return [`${Model.scrubbed(JSON.stringify(part), token)}\n`, `${Guest.READ_PART_MARK}\n`]
}

/** One of the library's steps, run as the input says. */
const runStep = (state: State, step: Model.StepName, input: StepInput): StepRun => {
  const { args, env, installed, ranAs } = input
  const token = input.secrets[Guest.TOKEN_VAR]
  const path = configPathFor(state, env)
  const named = `${Guest.READ_FILE_MARK}${path}\n`
  const run = cli(state, path, ranAs, token)
  const missing = `cat: ${path}: No such file or directory\n`
  const read = (limit: string, name: string, mark: string): FakeReply => {
    if (run.file === undefined) return { exitCode: 1, stderr: `${mark}${named}${missing}` }
    const [stdout, stderr] = readConfig(run.file, Number(limit), name, token)
    return { exitCode: 0, stdout, stderr: `${mark}${named}${stderr}` }
  }
  const add = (name: string, url: string): FakeReply =>
    installed ? run.add(name, url) : { exitCode: 127, stderr: `${CLAUDE_NOT_FOUND}\n` }
  const remove = (name: string): FakeReply =>
    installed ? run.remove(name) : { exitCode: 127, stderr: `${CLAUDE_NOT_FOUND}\n` }
  switch (step) {
    case "read":
      return { path, reply: read(args[0] ?? "0", args[1] ?? "", "") }
    case "ensure": {
      const [name = "", url = "", limit = "0"] = args
      const mark = `${Guest.STEP_MARK}add\n`
      if (run.file === undefined || !Model.render(run.file).includes(`"${name}"`)) {
        const added = add(name, url)
        // `out="$(add ...)"` then printed on stderr: the CLI's stdout and stderr, trailing newlines cut once.
        const out = `${added.stdout ?? ""}${added.stderr ?? ""}`.replace(/\n+$/, "")
        if (added.exitCode === 0) return { path, reply: { exitCode: 0, stderr: `${mark}${out}\n` } }
        if (!out.includes(`MCP server ${name} already exists in user config`)) {
          return {
            path,
            reply: {
              exitCode: added.exitCode,
              stderr: `${mark}${out}\n${Guest.FAILED_MARK}claude mcp add (exit ${added.exitCode})\n`
            }
          }
        }
        return { path, reply: read(limit, name, `${mark}${out}\n${Guest.STEP_MARK}read\n`) }
      }
      return { path, reply: read(limit, name, `${Guest.STEP_MARK}read\n`) }
    }
    case "replace": {
      const [name = "", url = ""] = args
      const mark = `${Guest.STEP_MARK}replace\n`
      const removed = remove(name)
      if (removed.exitCode !== 0 && !(removed.stderr ?? "").includes("No MCP server named")) {
        return {
          path,
          reply: {
            exitCode: removed.exitCode,
            stderr: `${mark}${(removed.stderr ?? "").replace(/\n+$/, "")}\n` +
              `${Guest.FAILED_MARK}claude mcp remove (exit ${removed.exitCode}); the entry was left as it was\n`
          }
        }
      }
      const added = add(name, url)
      if (added.exitCode !== 0) {
        return {
          path,
          reply: {
            exitCode: added.exitCode,
            stdout: added.stdout,
            stderr: `${mark}${added.stderr ?? ""}` +
              `${Guest.FAILED_MARK}claude mcp add (exit ${added.exitCode}); the entry was left as it was\n`
          }
        }
      }
      return { path, reply: { exitCode: 0, stdout: added.stdout, stderr: `${mark}${added.stderr ?? ""}` } }
    }
    case "get": {
      const [name = ""] = args
      if (!installed) {
        return { path, reply: { exitCode: 0, stderr: `${CLAUDE_NOT_FOUND}\n${Guest.CLI_EXIT_MARK}127\n` } }
      }
      const [stdout, stderr, status] = get(state, run.file, name)
      // The script exits 0 whatever the CLI said, and marks the CLI's own status.
      return { path, reply: { exitCode: 0, stdout, stderr: `${stderr}${Guest.CLI_EXIT_MARK}${status}\n` } }
    }
  }
}

/** @internal */
export const claudeCode: FakeAgent = {
  kind: "claude-code",
  cli: "claude",
  dirVar: "CLAUDE_CONFIG_DIR",
  serversKey: "mcpServers",
  stepOf: Model.stepOf,
  configPath: configPathFor,
  run: runStep
}
