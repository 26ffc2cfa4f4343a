/**
 * The part of a smolmachines bottle plan this library reads, as a Schema:
 * decode what the launcher computed at the boundary, and every later step can
 * trust it.
 *
 * @since 0.1.0
 */
import type * as Arbitrary from "effect/Arbitrary"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { agentOf } from "./internal/agents/registry.js"

// Control characters and whitespace anywhere make a URL, path or header unsafe
// to hand to a CLI or to show to an operator.
const UNSAFE = /[\s\u0000-\u001f\u007f-\u009f]/

// `new URL` is lenient in ways that would let a string through whose meaning
// differs from how it reads, and the raw string is what the agent's config
// stores and what a relaunch compares. So the raw text is checked as well:
// a backslash is a path separator for http(s) (`http://h:0\x` is port 0 on
// host h), `http:h:1`, `http:/h:1` and `http:///h:1` all parse as `http://h:1/`,
// and `http://@h/` parses as having no credentials.
const SCHEME_AND_SLASHES = /^https?:\/\/(?!\/)/i

/**
 * The longest URL and path a plan may hold. Every plan string reaches a
 * command line (the guest's argv, inside the client's): past about 128 KiB one
 * argument is more than the kernel takes (E2BIG), and Claude Code refuses URLs
 * far shorter than that. Bounded at decode, so no plan can fail a spawn.
 */
const MAX_URL_LENGTH = 4096
const MAX_PATH_LENGTH = 4096

const urlProblem = (input: string): string | undefined => {
  if (input.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`
  if (UNSAFE.test(input)) return "must not contain whitespace or control characters"
  if (input.includes("\\")) return "must not contain a backslash (\\)"
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return "must be an absolute http(s) URL"
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must use http or https"
  if (!SCHEME_AND_SLASHES.test(input)) return `must start with "http://" or "https://" followed by the host`
  // With "//" present and no backslash, the authority ends where WHATWG ends it.
  const authority = input.slice(url.protocol.length + 2).split(/[/?#]/, 1)[0] ?? ""
  if (url.username !== "" || url.password !== "" || authority.includes("@")) {
    return "must not carry credentials (use the token)"
  }
  if (url.hostname === "") return "must name a host"
  // `new URL` drops an explicit default port and rejects ports above 65535, but
  // accepts ":0" and an empty ":" after the host; both readings are checked so
  // neither can slip past the other.
  const port = /:(\d*)$/.exec(authority.startsWith("[") ? authority.slice(authority.indexOf("]")) : authority)?.[1]
  const rawPortBad = port !== undefined && (port === "" || Number(port) < 1 || Number(port) > 65535)
  if (rawPortBad || url.port === "0") return "must have a port between 1 and 65535"
  return undefined
}

// Hosts a launcher computes: loopback and smolvm's addresses, any IPv4, IPv6 loopback, DNS names.
const hostArbitrary: Arbitrary.LazyArbitrary<string> = (fc) =>
  fc.oneof(
    fc.constantFrom("127.0.0.1", "localhost", "100.96.0.1", "host.smolvm.internal", "[::1]"),
    fc.ipV4(),
    fc.domain()
  )

/** Valid `AgentUrl`s: http(s), a host, an optional port from 1 to 65535, a path. */
const agentUrlArbitrary: Arbitrary.LazyArbitrary<string> = (fc) =>
  fc.tuple(
    fc.constantFrom("http", "https"),
    hostArbitrary(fc),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    fc.constantFrom("", "/", "/mcp", "/supervise/v1/", "/mcp?bottle=1")
  ).map(([scheme, host, port, path]) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}${path}`)

/** Visible ASCII but `/`: what a path segment (or a token, with `/`) may hold. */
const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
const SEGMENT_CHARS = VISIBLE.filter((c) => c !== "/")

/** Valid `AbsolutePath`s: up to four segments of visible ASCII, never `.` or `..`. */
const absolutePathArbitrary: Arbitrary.LazyArbitrary<string> = (fc) =>
  fc.array(fc.string({ unit: fc.constantFrom(...SEGMENT_CHARS), minLength: 1, maxLength: 12 }), { maxLength: 4 })
    .map((parts) => `/${parts.map((part) => (part === "." || part === ".." ? `${part}_` : part)).join("/")}`)

/**
 * The URL the agent inside the guest uses to reach the supervise sidecar: any
 * absolute `http://` or `https://` URL with a valid port (1-65535 when given),
 * no credentials, no whitespace, control characters or backslashes, on any host
 * (`127.0.0.1` under TSI networking, `100.96.0.1` or `host.smolvm.internal`
 * under virtio-net).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.decodeUnknownSync(SupervisePlan.AgentUrl)("http://127.0.0.1:4318/")
 */
export const AgentUrl = Schema.String.pipe(
  Schema.filter((s) => urlProblem(s) ?? true, {
    identifier: "AgentUrl",
    // Random strings are never such a URL: without this, `Arbitrary.make` retries forever.
    arbitrary: () => agentUrlArbitrary
  }),
  Schema.brand("AgentUrl")
)

/**
 * A URL that passed `AgentUrl`.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const url: SupervisePlan.AgentUrl = SupervisePlan.AgentUrl.make("http://100.96.0.1:4318/")
 */
export type AgentUrl = typeof AgentUrl.Type

/**
 * An MCP server name as Claude Code accepts it: letters, digits, `_` and `-`,
 * starting with a letter or digit.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.is(SupervisePlan.ServerName)("supervise") // true
 */
export const ServerName = Schema.String.pipe(
  // A leading "-" would reach `claude mcp add` as an option (`--help` even exits 0).
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
    identifier: "ServerName",
    message: () => "server name must be 1 to 64 characters from [A-Za-z0-9_-], starting with a letter or digit"
  }),
  Schema.brand("ServerName")
)

/**
 * A name that passed `ServerName`.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const name: SupervisePlan.ServerName = SupervisePlan.ServerName.make("supervise")
 */
export type ServerName = typeof ServerName.Type

/**
 * A POSIX user name (what `useradd` accepts by default).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.is(SupervisePlan.UserName)("node") // true
 */
export const UserName = Schema.String.pipe(
  Schema.pattern(/^[a-z_][a-z0-9_-]{0,31}$/, {
    identifier: "UserName",
    message: () => "user must be a POSIX user name ([a-z_][a-z0-9_-]{0,31})"
  }),
  Schema.brand("UserName")
)

/**
 * A user name that passed `UserName`.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const user: SupervisePlan.UserName = SupervisePlan.UserName.make("node")
 */
export type UserName = typeof UserName.Type

const pathProblem = (path: string): string | undefined => {
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters (PATH_MAX)`
  if (!path.startsWith("/")) return "must be an absolute path"
  if (UNSAFE.test(path)) return "must not contain whitespace or control characters"
  if (path.split("/").some((part) => part === "." || part === "..")) return "must not contain . or .. segments"
  return undefined
}

/**
 * An absolute guest path with no `.`/`..` segments, whitespace or control
 * characters.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.is(SupervisePlan.AbsolutePath)("/home/node") // true
 */
export const AbsolutePath = Schema.String.pipe(
  Schema.filter((s) => pathProblem(s) ?? true, {
    identifier: "AbsolutePath",
    // Random strings rarely start with "/": build paths, shell metacharacters included.
    arbitrary: () => absolutePathArbitrary
  }),
  Schema.brand("AbsolutePath")
)

/**
 * A path that passed `AbsolutePath`.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const home: SupervisePlan.AbsolutePath = SupervisePlan.AbsolutePath.make("/home/node")
 */
export type AbsolutePath = typeof AbsolutePath.Type

const TOKEN_MESSAGE = "token must be 1 to 4096 visible ASCII characters"

// The messages never include the value: a ParseError about a token must not
// print the token.
const Token = Schema.String.annotations({ message: () => TOKEN_MESSAGE }).pipe(
  Schema.filter((s) => /^[\x21-\x7e]{1,4096}$/.test(s), {
    message: () => TOKEN_MESSAGE,
    arbitrary: () => (fc) => fc.string({ unit: fc.constantFrom(...VISIBLE), minLength: 1, maxLength: 64 })
  })
)

/**
 * Where the supervise sidecar is and how to present ourselves to it.
 * `serverName` defaults to `supervise`; the bearer `token` is held as
 * `Redacted`.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const plan = SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make("http://127.0.0.1:4318/") })
 * plan.serverName // "supervise"
 */
export class SupervisePlan extends Schema.Class<SupervisePlan>("SupervisePlan")({
  agentUrl: AgentUrl,
  serverName: Schema.optionalWith(ServerName, { default: () => ServerName.make("supervise") }),
  // `undefined` reads as absent (launchers write `token: process.env.X`); its own message keeps
  // the union's "Expected undefined, actual <token>" out of errors.
  token: Schema.optionalWith(
    Schema.Union(Schema.Redacted(Token), Schema.Undefined.annotations({ message: () => "or absent" })),
    { exact: true }
  )
}) {}

/**
 * Which coding agent the bottle runs: `"claude-code"` (the default),
 * `"codex"` (OpenAI Codex CLI), `"gemini"` (Gemini CLI) or `"copilot"`
 * (GitHub Copilot CLI). Each registers the sidecar with its own CLI in its
 * own user config.
 *
 * @since 0.3.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.is(SupervisePlan.AgentKind)("codex") // true
 */
export const AgentKind = Schema.Literal("claude-code", "codex", "gemini", "copilot").annotations({
  identifier: "AgentKind",
  message: () => ({ message: "agent kind must be one of claude-code, codex, gemini, copilot", override: true })
})

/**
 * One of `AgentKind`'s values.
 *
 * @since 0.3.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const kind: SupervisePlan.AgentKind = "gemini"
 */
export type AgentKind = typeof AgentKind.Type

/**
 * Who the agent is inside the guest, as decoded: its `kind`, `user`, its
 * `home`, and `configDir` when the agent runs with its config directory moved
 * (`CLAUDE_CONFIG_DIR` for Claude Code, `CODEX_HOME` for Codex,
 * `GEMINI_CLI_HOME` for Gemini CLI, `COPILOT_HOME` for Copilot CLI). Build
 * one with `makeAgentPlan`, which fills the defaults.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * SupervisePlan.makeAgentPlan({ user: SupervisePlan.UserName.make("dev") }).configFile // "/home/dev/.claude.json"
 */
export class AgentPlan extends Schema.Class<AgentPlan>("AgentPlan")({
  kind: Schema.optionalWith(AgentKind, { default: () => "claude-code" as const }),
  user: UserName,
  home: AbsolutePath,
  configDir: Schema.optionalWith(AbsolutePath, { exact: true })
}) {
  /**
   * `<configDir or home>/.claude.json`: the user-level Claude Code config
   * file, where `claude mcp add --scope user` writes, on a guest without older
   * state. Claude Code picks its file at startup, though: it keeps reading and
   * writing a legacy `<configDir or home/.claude>/.config.json` that is not
   * empty, even next to a `.claude.json` (and an empty, writable one where
   * there is no `.claude.json`), and uses `.claude-custom-oauth.json` when the
   * guest's environment sets `CLAUDE_CODE_CUSTOM_OAUTH_URL`.
   * Provisioning reads whichever file the CLI picks, decided inside the guest
   * from the agent's environment, so it may not be this one.
   *
   * @since 0.1.0
   */
  get configFile(): string {
    return agentOf(this.kind).configFile(this)
  }
}

const homeOf = (user: UserName): AbsolutePath => AbsolutePath.make(user === "root" ? "/root" : `/home/${user}`)

/**
 * An `AgentPlan` with the defaults filled: `user` is `node`, `home` is
 * `/home/<user>` (`/root` for root).
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * SupervisePlan.makeAgentPlan({}).home // "/home/node"
 */
export const makeAgentPlan = (input: {
  readonly kind?: AgentKind | undefined
  readonly user?: UserName | undefined
  readonly home?: AbsolutePath | undefined
  readonly configDir?: AbsolutePath | undefined
}): AgentPlan => {
  const user = input.user ?? UserName.make("node")
  return AgentPlan.make({
    ...(input.kind === undefined ? {} : { kind: input.kind }),
    user,
    home: input.home ?? homeOf(user),
    ...(input.configDir === undefined ? {} : { configDir: input.configDir })
  })
}

/**
 * The `agent` part as launchers send it, every field optional, decoded into
 * an `AgentPlan` with the defaults filled.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.decodeUnknownSync(SupervisePlan.AgentPlanFromInput)({ user: "root" }).home // "/root"
 */
export const AgentPlanFromInput = Schema.transform(
  Schema.Struct({
    kind: Schema.optionalWith(AgentKind, { exact: true }),
    user: Schema.optionalWith(UserName, { exact: true }),
    home: Schema.optionalWith(AbsolutePath, { exact: true }),
    configDir: Schema.optionalWith(AbsolutePath, { exact: true })
  }),
  Schema.typeSchema(AgentPlan),
  {
    strict: true,
    decode: (input) => makeAgentPlan(input),
    // A Claude Code plan encodes as it did before agents had a kind.
    encode: (plan) => ({
      ...(plan.kind === "claude-code" ? {} : { kind: plan.kind }),
      user: plan.user,
      home: plan.home,
      ...(plan.configDir === undefined ? {} : { configDir: plan.configDir })
    })
  }
)

/**
 * The bottle plan as launchers send it. No `supervisePlan` means supervise is
 * off for this bottle.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * const decode = Schema.decodeUnknown(SupervisePlan.SmolmachinesBottlePlan)
 * decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } })
 */
export class SmolmachinesBottlePlan extends Schema.Class<SmolmachinesBottlePlan>("SmolmachinesBottlePlan")({
  supervisePlan: Schema.optionalWith(SupervisePlan, { exact: true }),
  agent: Schema.optionalWith(AgentPlanFromInput, { default: () => makeAgentPlan({}) })
}) {}

/**
 * Decodes a plan from unknown input (parsed JSON, a config object), failing
 * with a `ParseError` that names the offending field and never prints a token.
 *
 * @since 0.1.0
 * @category decoding
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const plan = SupervisePlan.decode(JSON.parse('{"supervisePlan":{"agentUrl":"http://127.0.0.1:4318/"}}'))
 */
export const decode = Schema.decodeUnknown(SmolmachinesBottlePlan, { errors: "all", onExcessProperty: "ignore" })

/**
 * How `formatPlanError` names a field: `fieldName` gets the field's path
 * (`supervisePlan.agentUrl`, `agent.home`, or `""` for the plan itself) and
 * returns the name to print, or `undefined` for the path itself (`plan` for
 * the whole). A CLI maps paths to its flags this way.
 *
 * @since 0.2.0
 * @category decoding
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * const options: SupervisePlan.FormatPlanErrorOptions = {
 *   fieldName: (path) => (path === "supervisePlan.agentUrl" ? "--url" : undefined)
 * }
 */
export interface FormatPlanErrorOptions {
  readonly fieldName?: ((path: string) => string | undefined) | undefined
}

// An optional field with a default decodes through `X | undefined`: when X
// fails, the `undefined` branch fails too, and says nothing useful. The
// token's own `undefined` branch carries the message "or absent".
const UNDEFINED_BRANCH = /^(Expected undefined, actual |or absent$)/

const ownField = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null && Object.hasOwn(value, key)
    ? (value as Readonly<Record<string, unknown>>)[key]
    : undefined

/**
 * A decode error of a plan (from `decode`, or any decoding of
 * `SmolmachinesBottlePlan`) as one line per problem, `<field>: <message>`,
 * every problem kept (decode with `errors: "all"`, as `decode` does). The
 * token is never printed: the token's own messages never hold its value, and
 * the input's token text is cut out of every line that might.
 *
 * @since 0.2.0
 * @category decoding
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 * import { Effect, Either } from "effect"
 *
 * const decoded = Effect.runSync(Effect.either(SupervisePlan.decode({ supervisePlan: { agentUrl: "ftp://x/" } })))
 * if (Either.isLeft(decoded)) {
 *   SupervisePlan.formatPlanError(decoded.left) // ["supervisePlan.agentUrl: must use http or https"]
 * }
 */
export const formatPlanError = (
  error: ParseResult.ParseError,
  options: FormatPlanErrorOptions = {}
): ReadonlyArray<string> => {
  const input = error.issue.actual
  const token = ownField(ownField(input, "supervisePlan"), "token")
  const secret = typeof token === "string" && token.length > 0 ? token : undefined
  const hide = (line: string): string => (secret === undefined ? line : line.split(secret).join("<redacted>"))
  const lines = ParseResult.ArrayFormatter.formatErrorSync(error)
    .filter((issue) => !UNDEFINED_BRANCH.test(issue.message))
    .map((issue) => {
      const path = issue.path.map(String).join(".")
      return hide(`${options.fieldName?.(path) ?? (path || "plan")}: ${issue.message}`)
    })
  return lines.length > 0 ? lines : [hide(ParseResult.TreeFormatter.formatErrorSync(error))]
}
