/**
 * The part of a smolmachines bottle plan this library reads, as a Schema:
 * decode what the launcher computed at the boundary, and every later step can
 * trust it.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

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
  Schema.filter((s) => urlProblem(s) ?? true, { identifier: "AgentUrl" }),
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
  Schema.filter((s) => pathProblem(s) ?? true, { identifier: "AbsolutePath" }),
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
  Schema.filter((s) => /^[\x21-\x7e]{1,4096}$/.test(s), { message: () => TOKEN_MESSAGE })
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
 * Who the agent is inside the guest, as decoded: `user`, its `home`, and
 * `configDir` when the agent runs with `CLAUDE_CONFIG_DIR`. Build one with
 * `makeAgentPlan`, which fills the defaults.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { SupervisePlan } from "bottle-supervise"
 *
 * SupervisePlan.makeAgentPlan({ user: SupervisePlan.UserName.make("dev") }).configFile // "/home/dev/.claude.json"
 */
export class AgentPlan extends Schema.Class<AgentPlan>("AgentPlan")({
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
    return `${this.configDir ?? this.home}/.claude.json`
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
  readonly user?: UserName | undefined
  readonly home?: AbsolutePath | undefined
  readonly configDir?: AbsolutePath | undefined
}): AgentPlan => {
  const user = input.user ?? UserName.make("node")
  return AgentPlan.make({
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
    user: Schema.optionalWith(UserName, { exact: true }),
    home: Schema.optionalWith(AbsolutePath, { exact: true }),
    configDir: Schema.optionalWith(AbsolutePath, { exact: true })
  }),
  Schema.typeSchema(AgentPlan),
  {
    strict: true,
    decode: (input) => makeAgentPlan(input),
    encode: (plan) => ({
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
