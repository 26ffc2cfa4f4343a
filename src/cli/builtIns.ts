/**
 * The options every command takes besides its own: `--help` (`-h`),
 * `--version` and `--log-level LEVEL`. They are read here, anywhere before a
 * `--`, before `@effect/cli` parses the command's own flags: its built-ins
 * are recognised only right after the command's name
 * (`provision --machine m --help` was a missing `--url`), and a bad
 * `--log-level` value was reported as a missing `--machine`.
 *
 * @internal
 */
import * as LogLevel from "effect/LogLevel"

/**
 * What the command line asks for: a help page (the program's, or a
 * command's), the version, a run of the command (the built-ins taken out), or
 * nothing usable.
 *
 * @internal
 */
export type Request =
  | { readonly _tag: "Help"; readonly command: string | undefined }
  | { readonly _tag: "Version" }
  | {
    readonly _tag: "Run"
    readonly args: ReadonlyArray<string>
    readonly logLevel: LogLevel.LogLevel | undefined
  }
  | { readonly _tag: "Invalid"; readonly problem: string }

/**
 * The values `--log-level` takes, as `@effect/cli` spells them in `--help`.
 *
 * @internal
 */
export const LOG_LEVELS: ReadonlyMap<string, LogLevel.LogLevel> = new Map([
  ["all", LogLevel.All],
  ["trace", LogLevel.Trace],
  ["debug", LogLevel.Debug],
  ["info", LogLevel.Info],
  ["warning", LogLevel.Warning],
  ["error", LogLevel.Error],
  ["fatal", LogLevel.Fatal],
  ["none", LogLevel.None]
])

const LOG_LEVEL = "--log-level"

const levelProblem = (value: string | undefined): string => {
  const allowed = [...LOG_LEVELS.keys()].join(", ")
  return value === undefined
    ? `${LOG_LEVEL}: a value is required: one of ${allowed}`
    : `${LOG_LEVEL}: ${JSON.stringify(value)} is not a log level: use one of ${allowed}`
}

/**
 * Reads the built-ins out of `args` (the command line after the runtime and
 * the script). `commands` are the subcommands' names: a help page is about
 * the one that comes first, if any. A value of another flag that reads
 * `--help` is taken as the request for help: no flag of `provision` or
 * `verify` accepts such a value anyway.
 *
 * @internal
 */
export const read = (args: ReadonlyArray<string>, commands: ReadonlySet<string>): Request => {
  const end = args.indexOf("--")
  const flags = end === -1 ? args : args.slice(0, end)
  const rest: Array<string> = []
  let help = false
  let version = false
  let level: LogLevel.LogLevel | undefined
  let problem: string | undefined
  for (let i = 0; i < flags.length; i++) {
    const arg = flags[i] ?? ""
    if (arg === "--help" || arg === "-h") {
      help = true
    } else if (arg === "--version") {
      version = true
    } else if (arg === LOG_LEVEL || arg.startsWith(`${LOG_LEVEL}=`)) {
      const value = arg === LOG_LEVEL ? flags[++i] : arg.slice(LOG_LEVEL.length + 1)
      const parsed = value === undefined ? undefined : LOG_LEVELS.get(value)
      if (parsed === undefined) problem ??= levelProblem(value)
      else level = parsed
    } else {
      rest.push(arg)
    }
  }
  if (help) return { _tag: "Help", command: rest[0] !== undefined && commands.has(rest[0]) ? rest[0] : undefined }
  if (version) return { _tag: "Version" }
  if (problem !== undefined) return { _tag: "Invalid", problem }
  return { _tag: "Run", args: end === -1 ? rest : [...rest, ...args.slice(end)], logLevel: level }
}
