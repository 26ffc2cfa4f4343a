/**
 * The pure part of the in-memory Claude Code guest: config files as the CLI
 * keeps them, the CLI's rule for which file it uses, the guest's token scrub,
 * and how the library's argv reads. No Effect, no test framework: the testing
 * kit, the repository's unit tests and the contract suite all build on it.
 *
 * @internal
 */
import * as Path from "node:path"
import * as Guest from "../guest.js"

/** A JSON object, as parsed. @internal */
export type JsonObject = { readonly [key: string]: unknown }

/**
 * A user config file: its `mcpServers` and every other key, kept apart so
 * that a write changes the servers only. Entries are kept as the file holds
 * them (any JSON object), as the CLI keeps the ones it did not write.
 *
 * @internal
 */
export interface ConfigFile {
  readonly other: Record<string, unknown>
  readonly mcpServers: Record<string, JsonObject>
}

/** The file's text as the CLI writes it: two-space indentation, `mcpServers` after the other keys. @internal */
export const render = (file: ConfigFile): string =>
  JSON.stringify({ ...file.other, mcpServers: file.mcpServers }, null, 2)

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A parsed config as the model keeps it (the servers under `serversKey`,
 * Codex's `mcp_servers`, else `mcpServers`): a top-level `mcpServers` that is not
 * an object holds no server (the CLI replaces it on the next write), and any
 * entry that is not an object is dropped with it.
 *
 * @internal
 */
export const fromJson = (json: JsonObject, serversKey = "mcpServers"): ConfigFile => {
  const { [serversKey]: mcpServers, ...other } = json
  const servers: Record<string, JsonObject> = {}
  if (isObject(mcpServers)) {
    for (const [name, entry] of Object.entries(mcpServers)) if (isObject(entry)) servers[name] = entry
  }
  return { other: structuredClone(other), mcpServers: structuredClone(servers) }
}

/**
 * Claude Code 2.1.330's default user config (`Xe()` in its bundle): when the
 * CLI writes the file, a top-level key whose value equals its default is left
 * out. So `"theme": "dark"` or `"numStartups": 0` disappear on the first
 * `claude mcp add`, and every other key stays as it was.
 *
 * @internal
 */
export const CLI_DEFAULTS: JsonObject = {
  numStartups: 0,
  theme: "dark",
  preferredNotifChannel: "auto",
  verbose: false,
  editorMode: "normal",
  autoCompactEnabled: true,
  autoScrollEnabled: true,
  showTurnDuration: true,
  externalEditorContext: false,
  showMessageTimestamps: false,
  hasSeenTasksHint: false,
  hasUsedStash: false,
  hasUsedBackgroundTask: false,
  queuedCommandUpHintCount: 0,
  diffTool: "auto",
  customApiKeyResponses: { approved: [], rejected: [] },
  env: {},
  tipsHistory: {},
  memoryUsageCount: 0,
  promptQueueUseCount: 0,
  btwUseCount: 0,
  todoFeatureEnabled: true,
  showExpandedTodos: false,
  briefTranscript: false,
  messageIdleNotifThresholdMs: 60000,
  autoConnectIde: false,
  autoInstallIdeExtension: true,
  fileCheckpointingEnabled: true,
  terminalProgressBarEnabled: true,
  cachedDynamicConfigs: {},
  cachedFeatureFlags: {},
  respectGitignore: true,
  copyFullResponse: false
}

/** Whether two JSON values are equal (objects by their keys, in any order). @internal */
export const jsonEquals = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEquals(x, b[i]))
  }
  if (!isObject(a) || !isObject(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && jsonEquals(a[key], b[key]))
}

/** What a CLI write leaves of the other keys: all but those equal to their default. @internal */
export const dropDefaults = (other: Record<string, unknown>): void => {
  for (const key of Object.keys(other)) {
    if (Object.hasOwn(CLI_DEFAULTS, key) && jsonEquals(other[key], CLI_DEFAULTS[key])) delete other[key]
  }
}

/** The file as JSON, a copy, its servers under `serversKey`. @internal */
export const toJson = (file: ConfigFile, serversKey = "mcpServers"): JsonObject =>
  structuredClone({ ...file.other, [serversKey]: file.mcpServers })

/** The environment variables the CLI's choice of config file depends on. @internal */
export interface ConfigEnv {
  readonly HOME: string
  readonly CLAUDE_CONFIG_DIR?: string | undefined
  readonly CLAUDE_CODE_CUSTOM_OAUTH_URL?: string | undefined
}

/** What the choice needs to know about a path, after symlinks. @internal */
export interface PathStat {
  readonly isFile: boolean
  readonly size: number
  readonly mode: number
  readonly nlink: number
}

/** The file system as the choice sees it: each answer is the result or the errno code. @internal */
export interface ConfigFs {
  readonly stat: (path: string) => PathStat | string
  readonly readdir: (dir: string) => ReadonlyArray<string> | string
}

/**
 * The user config file Claude Code 2.1.330 reads and writes, as its own
 * startup picks it (the function named `rE()` in the bundled CLI, on Linux,
 * de-minified; `CLAUDE_CODE_CUSTOM_OAUTH_URL` picks the suffix, the other OAuth
 * suffixes are for Anthropic's own builds). The legacy `.config.json` wins when
 * it is a non-empty regular file (even over an existing `.claude.json`, which
 * the CLI then leaves unused), or an empty one with a write bit while the other
 * file cannot be stat'ed or is itself empty, read-only and singly linked.
 *
 * @internal
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

/** Config files by path as the CLI's choice sees them: every one a non-empty regular file. @internal */
export const filesFs = (files: ReadonlyMap<string, unknown>): ConfigFs => ({
  stat: (file) => (files.has(file) ? { isFile: true, size: 1, mode: 0o600, nlink: 1 } : "ENOENT"),
  readdir: (dir) => [...files.keys()].filter((file) => Path.dirname(file) === dir).map((file) => Path.basename(file))
})

/**
 * Every `Authorization` value scrubbed as the guest's awk does: the plan's own
 * becomes the placeholder, any other `[REDACTED]`; any other string equal to
 * the plan's header value becomes the placeholder too. Takes JSON text, gives
 * it back with two-space indentation.
 *
 * @internal
 */
export const scrubbed = (text: string, token: string | undefined): string => {
  const ours = token === undefined ? undefined : `Bearer ${token}`
  const mark = (text: string): string => text === ours ? Guest.TOKEN_PLACEHOLDER_HEADER : text
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk)
    if (typeof value === "string") return mark(value)
    if (typeof value !== "object" || value === null) return value
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        mark(key),
        /^authorization$/i.test(key) && typeof inner === "string"
          ? inner === ours ? Guest.TOKEN_PLACEHOLDER_HEADER : "[REDACTED]"
          : walk(inner)
      ])
    )
  }
  const parsed: unknown = JSON.parse(text)
  return JSON.stringify(walk(parsed), null, 2)
}

/** The library's argv split into the agent's environment and the command. @internal */
export interface ParsedArgv {
  readonly user: string | undefined
  readonly env: Readonly<Record<string, string>>
  readonly unset: ReadonlyArray<string>
  readonly command: ReadonlyArray<string>
}

/**
 * Splits the library's argv (`env [-u NAME]... NAME=VALUE... CMD...`, run as
 * `user`) into the agent's environment and the command; `undefined` for an
 * argv of another shape.
 *
 * @internal
 */
export const parseArgv = (argv: ReadonlyArray<string>, user?: string | undefined): ParsedArgv | undefined => {
  if (argv[0] !== "env") return undefined
  const env: Record<string, string> = {}
  const unset: Array<string> = []
  let i = 1
  while (argv[i] === "-u" && argv[i + 1] !== undefined) {
    unset.push(argv[i + 1]!)
    i += 2
  }
  for (; i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!); i++) {
    const arg = argv[i]!
    const at = arg.indexOf("=")
    env[arg.slice(0, at)] = arg.slice(at + 1)
  }
  return { user, env, unset, command: argv.slice(i) }
}

/** Which of the library's guest steps a script is. @internal */
export type StepName = "ensure" | "read" | "replace" | "get"

/**
 * The step an argv runs, with its arguments, when it is `sh -c <one of the
 * library's scripts> bottle-supervise ARGS...`.
 *
 * @internal
 */
export const stepOf = (
  command: ReadonlyArray<string>
): { readonly step: StepName; readonly args: ReadonlyArray<string> } | undefined => {
  const [sh, dashC, script, , ...args] = command
  if (sh !== "sh" || dashC !== "-c") return undefined
  switch (script) {
    case Guest.ENSURE:
      return { step: "ensure", args }
    case Guest.READ:
      return { step: "read", args }
    case Guest.REPLACE:
      return { step: "replace", args }
    case Guest.GET:
      return { step: "get", args }
    default:
      return undefined
  }
}
