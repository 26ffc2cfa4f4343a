/**
 * The in-memory Claude Code guest: a machine (running, stopped, booting,
 * missing), its users and where exec lands, its config files, the `claude`
 * CLI (or its absence) and the sidecars it can reach. It answers the
 * library's guest steps (ensure, read, replace, get) as the real scripts do
 * with the real CLI, and smolvm's own refusals with smolvm's words, as a
 * `Smolvm.makeTest` handler: the test layer then validates and classifies
 * them exactly as the live layer would.
 *
 * The state is a plain mutable object, owned by one guest; every access from
 * the public kit goes through `Effect.sync`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { ClientNotFound } from "../../SandboxError.js"
import type { FakeHandler, FakeReply, RecordedExec } from "../../Smolvm.js"
import { USER_MISMATCH_EXIT, USER_MISMATCH_MARK } from "../classify.js"
import * as Guest from "../guest.js"
import * as Model from "./model.js"

/** A machine's state as smolvm reports it. @internal */
export type Machine =
  | { readonly _tag: "Running" }
  | { readonly _tag: "Stopped" }
  | { readonly _tag: "Booting"; readonly execs: number }
  | { readonly _tag: "Missing" }

/** One exec that reached the guest, as the guest saw it. @internal */
export interface GuestExec {
  readonly step: Model.StepName | "other"
  /** The user the command ran as, after the switch. */
  readonly ranAs: string
  /** The config file the CLI would use for the exec's environment, for the library's steps. */
  readonly configFile: string | undefined
  readonly exitCode: number
}

/** @internal */
export interface State {
  /** The machine's name; `undefined` answers for any target (the repository's older unit tests). */
  name: string | undefined
  machine: Machine
  /** Who exec lands as: `root` on a bare VM, the image's user otherwise. */
  landsAs: string
  /** Users the guest has; `undefined`: any user exists. */
  users: ReadonlySet<string> | undefined
  /** Whether `claude` is on the guest's PATH. */
  claude: boolean
  /** Whether a sidecar answers at a URL no entry of `sidecars` names. */
  reachable: boolean
  /** Per URL, whether a sidecar answers there. */
  readonly sidecars: Map<string, boolean>
  /** Whether `claude mcp remove` fails (a locked or unwritable config), leaving the entry. */
  removeFails: boolean
  /** Config files by path. Each is a non-empty regular file to the CLI's choice of file. */
  readonly files: Map<string, Model.ConfigFile>
  /** Who owns each file (the user the CLI ran as when it created it). */
  readonly owners: Map<string, string>
  /** The guest's own environment, which every exec inherits (an inherited `CLAUDE_CONFIG_DIR`, say). */
  env: Readonly<Record<string, string>>
  /** What the guest did, exec by exec. */
  readonly execs: Array<GuestExec>
  /** Answers argvs that are none of the library's steps; `undefined`: the command does not exist. */
  other: FakeHandler | undefined
}

/** @internal */
export const makeState = (): State => ({
  name: undefined,
  machine: { _tag: "Running" },
  landsAs: "root",
  users: undefined,
  claude: true,
  reachable: true,
  sidecars: new Map(),
  removeFails: false,
  files: new Map(),
  owners: new Map(),
  env: {},
  execs: [],
  other: undefined
})

const ok = (stdout = "", stderr = ""): FakeReply => ({ exitCode: 0, stdout, stderr })

/** smolvm's own answers, as smolvm 1.9 prints them. */
const smolvm = {
  notFound: (name: string): FakeReply => ({ exitCode: 1, stderr: `Error: vm not found: ${name}\n` }),
  notRunning: (name: string): FakeReply => ({
    exitCode: 1,
    stderr: `Error: agent operation failed: connect: machine '${name}' is not running. ` +
      `Use 'smolvm machine start --name ${name}' first.\n`
  }),
  noCommand: (): FakeReply => ({
    exitCode: 1,
    stderr: "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n"
  })
}

/** How dash, running a step script (`$0` is `bottle-supervise`), says `claude` is missing. */
const CLAUDE_NOT_FOUND = "bottle-supervise: 1: claude: not found"

/** Whether a sidecar answers at `url`. @internal */
export const reaches = (state: State, url: string): boolean => state.sidecars.get(url) ?? state.reachable

/** The config file the CLI picks for an environment. @internal */
export const configPathFor = (state: State, env: Readonly<Record<string, string | undefined>>): string =>
  Model.pickConfigFile({
    HOME: env["HOME"] ?? "/",
    CLAUDE_CONFIG_DIR: env["CLAUDE_CONFIG_DIR"],
    CLAUDE_CODE_CUSTOM_OAUTH_URL: env["CLAUDE_CODE_CUSTOM_OAUTH_URL"]
  }, Model.filesFs(state.files))

/** The user an exec runs as, or smolvm's/the switch script's refusal. */
const switchUser = (state: State, user: string | undefined): { readonly ranAs: string } | FakeReply => {
  if (user === undefined || user === state.landsAs) return { ranAs: state.landsAs }
  if (state.landsAs !== "root") {
    return {
      exitCode: USER_MISMATCH_EXIT,
      stderr: `${USER_MISMATCH_MARK} ${user}: exec runs as ${state.landsAs}, and only root can switch users\n`
    }
  }
  if (state.users !== undefined && !state.users.has(user)) {
    return {
      exitCode: 1,
      stderr: `runuser: user ${user} does not exist or the user entry does not contain all the required fields\n`
    }
  }
  return { ranAs: user }
}

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

/** One of the library's steps, run as `ranAs` with `env`. */
const runStep = (
  state: State,
  step: Model.StepName,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  ranAs: string,
  token: string | undefined
): { readonly reply: FakeReply; readonly path: string } => {
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
    state.claude ? run.add(name, url) : { exitCode: 127, stderr: `${CLAUDE_NOT_FOUND}\n` }
  const remove = (name: string): FakeReply =>
    state.claude ? run.remove(name) : { exitCode: 127, stderr: `${CLAUDE_NOT_FOUND}\n` }
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
      if (!state.claude) {
        return { path, reply: { exitCode: 0, stderr: `${CLAUDE_NOT_FOUND}\n${Guest.CLI_EXIT_MARK}127\n` } }
      }
      const [stdout, stderr, status] = get(state, run.file, name)
      // The script exits 0 whatever the CLI said, and marks the CLI's own status.
      return { path, reply: { exitCode: 0, stdout, stderr: `${stderr}${Guest.CLI_EXIT_MARK}${status}\n` } }
    }
  }
}

/**
 * The guest as a `Smolvm.makeTest` handler: smolvm's refusals for another
 * target or a machine that is not running, the user switch, then the step.
 *
 * @internal
 */
export const handler = (state: State): FakeHandler => (call: RecordedExec) =>
  Effect.suspend((): Effect.Effect<FakeReply, ClientNotFound> => {
    if (state.name !== undefined && call.target !== state.name) return Effect.succeed(smolvm.notFound(call.target))
    switch (state.machine._tag) {
      case "Missing":
        return Effect.succeed(smolvm.notFound(call.target))
      case "Stopped":
        return Effect.succeed(smolvm.notRunning(call.target))
      case "Booting": {
        const left = state.machine.execs - 1
        state.machine = left > 0 ? { _tag: "Booting", execs: left } : { _tag: "Running" }
        return Effect.succeed(smolvm.notRunning(call.target))
      }
      case "Running":
        break
    }
    const switched = switchUser(state, call.options.user)
    if (!("ranAs" in switched)) return Effect.succeed(switched)
    const ranAs = switched.ranAs
    const parsed = Model.parseArgv(call.argv, ranAs)
    const stepped = parsed === undefined ? undefined : Model.stepOf(parsed.command)
    if (parsed === undefined || stepped === undefined) {
      const other = state.other
      const answer = other === undefined ? Effect.succeed(smolvm.noCommand()) : other(call)
      return Effect.tap(
        answer,
        (reply) =>
          Effect.sync(() => state.execs.push({ step: "other", ranAs, configFile: undefined, exitCode: reply.exitCode }))
      )
    }
    // The agent's environment: the guest's own, less what `env -u` unsets, plus what `env` sets.
    const env: Record<string, string | undefined> = { ...state.env }
    for (const name of parsed.unset) delete env[name]
    Object.assign(env, parsed.env)
    const secret = call.options.secretEnv?.[Guest.TOKEN_VAR]
    const token = secret === undefined ? undefined : Redacted.value(secret)
    const { path, reply } = runStep(state, stepped.step, stepped.args, env, ranAs, token)
    state.execs.push({ step: stepped.step, ranAs, configFile: path, exitCode: reply.exitCode })
    return Effect.succeed(reply)
  })
