/**
 * Register a bottle's supervise sidecar in the agent's user-level Claude Code
 * config, through `smolvm machine exec`, and check that the agent can reach it.
 *
 * Registration reconciles: the first run costs one exec (`claude mcp add` as
 * the agent user); a re-run that finds the entry ("already exists") reads the
 * config file and is `Unchanged` when URL and headers match, or replaces the
 * entry (`remove` + `add`) when they do not. State is never read through
 * `claude mcp get/list`, which health-check every server and can hang.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as ClaudeConfig from "./internal/claudeConfig.js"
import * as Guest from "./internal/guest.js"
import * as MachineLocks from "./internal/machineLocks.js"
import * as McpGet from "./internal/mcpGet.js"
import { scrub } from "./internal/redact.js"
import * as Shown from "./internal/shown.js"
import { timeoutProblem } from "./internal/request.js"
import * as Runner from "./internal/runner.js"
import { LogKeys } from "./Logger.js"
import { problem } from "./MachineName.js"
import type { ExecResult, Sandbox } from "./Sandbox.js"
import { type ClientNotFound, ExecFailed } from "./SandboxError.js"
import type { AgentPlan, SmolmachinesBottlePlan, SupervisePlan } from "./SupervisePlan.js"

const common = {
  target: Schema.String,
  serverName: Schema.String,
  url: Schema.String,
  /** How many execs it attempted, retries included (not those refused before any process). */
  execs: Schema.Number
}

/** How many times Claude Code was started in the guest: what a launcher waits for. */
const cliStarts = { cliStarts: Schema.optionalWith(Schema.Number, { default: () => 0 }) }

/**
 * The plan has no `supervisePlan`: supervise is off for this bottle and
 * nothing ran. An outcome rather than an error, so a launcher can provision
 * every bottle the same way.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * new ProvisionSupervise.Skipped({ target: "bottle-1" })._tag // "Skipped"
 */
export class Skipped extends Schema.TaggedClass<Skipped>()("Skipped", { target: Schema.String }) {}

/**
 * The entry was added (first registration).
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const firstTime = (outcome: ProvisionSupervise.ProvisionOutcome): outcome is ProvisionSupervise.Registered =>
 *   outcome._tag === "Registered"
 */
export class Registered extends Schema.TaggedClass<Registered>()("Registered", { ...common, ...cliStarts }) {}

/**
 * An entry with the same transport, URL and headers was already there, so a
 * relaunch writes nothing.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const outcome = new ProvisionSupervise.Unchanged({
 *   target: "bottle-1",
 *   serverName: "supervise",
 *   url: "http://127.0.0.1:4318/",
 *   execs: 2
 * })
 */
export class Unchanged extends Schema.TaggedClass<Unchanged>()("Unchanged", { ...common, ...cliStarts }) {}

/**
 * An entry under the same name differed (another URL, another token, another
 * transport) and was replaced; every other server and key was kept.
 *
 * `changed` is empty when the entry was rewritten without comparing: the
 * agent's config was over the capture bound even in part, or too large to read
 * whole (over 4 MiB) and not laid out as Claude Code writes it, so its
 * `mcpServers` could not be cut out.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const tokenRotated = (outcome: ProvisionSupervise.Replaced) => outcome.changed.includes("headers")
 */
export class Replaced extends Schema.TaggedClass<Replaced>()("Replaced", {
  ...common,
  ...cliStarts,
  /** The entry's URL before, shown as `Unreachable.registeredUrl` is. */
  previousUrl: Schema.optional(Schema.String),
  changed: Schema.Array(Schema.Literal("transport", "url", "headers"))
}) {}

/**
 * Registration did not happen. Logged as a warning; the bottle still works,
 * without the supervise tools, until someone runs `hint` inside it as the agent
 * user.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const tellOperator = (outcome: ProvisionSupervise.Failed) =>
 *   `${outcome.error.message}${outcome.error.transient ? " (may pass on a retry)" : ""}; by hand: ${outcome.hint}`
 */
export class Failed extends Schema.TaggedClass<Failed>()("Failed", {
  ...common,
  error: ExecFailed,
  hint: Schema.String
}) {}

/**
 * What `provisionSupervise` reports, as a Schema so a launcher can encode it
 * (for JSON logs, say) and decode it back.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * const toJson = Schema.encodeSync(ProvisionSupervise.ProvisionOutcome)
 */
export const ProvisionOutcome = Schema.Union(Skipped, Registered, Unchanged, Replaced, Failed)

/**
 * One of `Skipped`, `Registered`, `Unchanged`, `Replaced`, `Failed`: switch
 * on `_tag`.
 *
 * @since 0.1.0
 * @category outcomes
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const describe = (outcome: ProvisionSupervise.ProvisionOutcome) => {
 *   switch (outcome._tag) {
 *     case "Failed":
 *       return `failed: ${outcome.error.message}`
 *     default:
 *       return outcome._tag
 *   }
 * }
 */
export type ProvisionOutcome = typeof ProvisionOutcome.Type

/**
 * - `timeout`: bounds the whole call, retries and the wait behind another
 *   provisioning of the same bottle included (default 60 seconds, at most 24
 *   days). At the
 *   deadline the smolvm client is killed (SIGTERM, then SIGKILL after the
 *   layer's kill grace) and the outcome is `Failed` with reason `Timeout`,
 *   carrying smolvm's last words. The call returns once the client is gone:
 *   at most about twice the kill grace past the deadline (1 s by default).
 * - `retry`: schedule for transient smolvm errors (the agent answers "is not
 *   running" for a moment after boot). Default: exponential from 100 ms,
 *   capped at 2 s per wait, within the timeout.
 *
 * @since 0.1.0
 * @category models
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schedule } from "effect"
 *
 * const options: ProvisionSupervise.ProvisionOptions = {
 *   timeout: "2 minutes",
 *   retry: Schedule.spaced("500 millis")
 * }
 */
export interface ProvisionOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, ExecFailed | ClientNotFound> | undefined
}

/**
 * The default retry schedule for transient smolvm errors.
 *
 * @since 0.1.0
 * @category retry
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schedule } from "effect"
 *
 * const patient = ProvisionSupervise.defaultRetry.pipe(Schedule.intersect(Schedule.recurs(20)))
 */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(2)))
)

const DEFAULT_TIMEOUT = Duration.seconds(60)

/**
 * The command an operator pastes into a shell inside the bottle, as the agent
 * user, to register the sidecar by hand. Shell-quoted; a token is referenced as
 * `"$SUPERVISE_TOKEN"`, never written out.
 *
 * @since 0.1.0
 * @category hints
 * @example
 * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
 *
 * const plan = SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make("http://127.0.0.1:4318/") })
 * ProvisionSupervise.manualHint(SupervisePlan.makeAgentPlan({}), plan)
 * // "claude mcp remove --scope user supervise 2>/dev/null; claude mcp add --scope user --transport http supervise http://127.0.0.1:4318/"
 */
export const manualHint: (agent: AgentPlan, plan: SupervisePlan) => string = Guest.manualHint

const trimmed = (text: string, max = 1000): string => {
  const t = text.trim()
  return t.length <= max ? t : `…${t.slice(t.length - max)}`
}

/** The warning's words: exit code and guest output where there was an exit. */
const failureWords = (error: ExecFailed): string =>
  error.exitCode !== undefined && (error.reason === "NonZeroExit" || error.reason === "GuestSignal")
    ? `exit ${error.exitCode}: ${Shown.escape(trimmed(error.stderr) || trimmed(error.stdout) || "(no output)")}`
    : error.message

const secretsOf = (plan: SupervisePlan): ReadonlyArray<Redacted.Redacted<string>> =>
  plan.token === undefined ? [] : [plan.token]

const logAnnotations = (plan: SmolmachinesBottlePlan, target: string): Record<string, string> =>
  plan.supervisePlan === undefined
    ? { [LogKeys.target]: target }
    : {
      [LogKeys.target]: target,
      [LogKeys.server]: plan.supervisePlan.serverName,
      [LogKeys.url]: plan.supervisePlan.agentUrl
    }

/** Why the call cannot start, before any exec: a bad machine name or timeout. */
const invalidCall = (
  target: string,
  argv: ReadonlyArray<string>,
  timeout: Duration.DurationInput | undefined
): ExecFailed | undefined => {
  const invalid = (reason: "InvalidTarget" | "InvalidRequest", detail: string) =>
    new ExecFailed({ target, argv: [...argv], reason, stdout: "", stderr: "", detail })
  const badName = problem(target)
  if (badName !== undefined) return invalid("InvalidTarget", badName)
  const badTimeout = timeoutProblem(timeout)
  return badTimeout === undefined ? undefined : invalid("InvalidRequest", badTimeout)
}

/** What one provisioning or verification knows once the plan is checked. */
interface Session {
  readonly target: string
  readonly supervise: SupervisePlan
  readonly agent: AgentPlan
  readonly base: { readonly target: string; readonly serverName: string; readonly url: string }
  readonly runner: Runner.Runner
}

/**
 * The frame both operations share: `Skipped` without a supervise plan; checks
 * before any exec; one deadline over everything `body` does, retries and lock
 * waits included; every guest problem turned into a warned `Failed`.
 */
const supervised = <A>(
  plan: SmolmachinesBottlePlan,
  target: string,
  options: ProvisionOptions | undefined,
  spec: {
    readonly defaultTimeout: Duration.Duration
    readonly firstArgv: (agent: AgentPlan, supervise: SupervisePlan) => ReadonlyArray<string>
    readonly warning: (error: ExecFailed, session: { readonly agent: AgentPlan; readonly hint: string }) => string
    readonly body: (session: Session) => Effect.Effect<A, ExecFailed | ClientNotFound>
  }
): Effect.Effect<A | Skipped | Failed, ClientNotFound, Sandbox> =>
  Effect.gen(function*() {
    const supervise = plan.supervisePlan
    if (supervise === undefined) return new Skipped({ target })
    const agent = plan.agent
    const base = { target, serverName: supervise.serverName, url: supervise.agentUrl }
    const hint = Guest.manualHint(agent, supervise)
    const firstArgv = spec.firstArgv(agent, supervise)
    yield* Effect.annotateCurrentSpan({ [LogKeys.target]: target, [LogKeys.url]: supervise.agentUrl })

    const fail = (error: ExecFailed, execs: number) =>
      Effect.as(Effect.logWarning(spec.warning(error, { agent, hint })), new Failed({ ...base, execs, error, hint }))
    const invalid = invalidCall(target, firstArgv, options?.timeout)
    if (invalid !== undefined) return yield* fail(invalid, 0)

    const timeout = Duration.decode(options?.timeout ?? spec.defaultTimeout)
    const runner = yield* Runner.make({
      target,
      deadline: (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout),
      retry: options?.retry ?? defaultRetry,
      secrets: secretsOf(supervise),
      firstArgv,
      user: agent.user
    })
    const failWithExecs = (error: ExecFailed) => Effect.flatMap(runner.execs, (n) => fail(error, n))
    return yield* spec.body({ target, supervise, agent, base, runner }).pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new Runner.TimedOut() }),
      Effect.catchTags({
        TimedOut: () => Effect.flatMap(runner.timedOut(timeout), failWithExecs),
        ExecFailed: failWithExecs
      })
    )
  })

/**
 * Registers the plan's supervise sidecar in the agent's user-level Claude Code
 * config inside `target`, as the agent user, and reports what it did.
 *
 * Never fails on a guest problem: those are `Failed` outcomes, logged as
 * warnings with a manual hint. Only a missing or unexecutable smolvm binary
 * fails the effect, since no bottle can be provisioned then. Concurrent calls
 * for one target run one after another; the wait counts against `timeout`.
 *
 * @since 0.1.0
 * @category provisioning
 * @example
 * import { ProvisionSupervise, Smolvm, SupervisePlan } from "bottle-supervise"
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const plan = yield* SupervisePlan.decode({ supervisePlan: { agentUrl: "http://127.0.0.1:4318/" } })
 *   return yield* ProvisionSupervise.provisionSupervise(plan, "bottle-1", { timeout: "30 seconds" })
 * }).pipe(Effect.provide(Smolvm.layer.pipe(Layer.provide(NodeContext.layer))))
 */
export const provisionSupervise: (
  plan: SmolmachinesBottlePlan,
  target: string,
  options?: ProvisionOptions
) => Effect.Effect<ProvisionOutcome, ClientNotFound, Sandbox> = Effect.fn("ProvisionSupervise.provisionSupervise")(
  (plan: SmolmachinesBottlePlan, target: string, options?: ProvisionOptions) =>
    supervised(plan, target, options, {
      defaultTimeout: DEFAULT_TIMEOUT,
      firstArgv: Guest.ensureArgv,
      warning: (error, { agent, hint }) =>
        `registering the ${plan.supervisePlan?.serverName} MCP server failed (${failureWords(error)}). ` +
        `Inside the bottle, as ${agent.user}, register manually with: ${hint}`,
      body: (session) =>
        Effect.zipRight(
          Effect.logInfo(
            `registering supervise MCP server in agent claude config on ${target} → ${session.supervise.agentUrl}`
          ),
          // The deadline covers the wait for the bottle's writer lock too: a launcher gets an
          // outcome in bounded time even behind a stuck provisioning of the same bottle.
          MachineLocks.exclusive(target)(Effect.flatMap(reconcile(session), logOutcome))
        )
    }),
  (effect, plan, target) => Effect.annotateLogs(effect, logAnnotations(plan, target))
)

/** How many Claude Code starts each step's branch costs, read from the step's own mark. */
const startsOf = (stderr: string): number =>
  stderr.includes(`${Guest.STEP_MARK}add`) ? 1 : stderr.includes(`${Guest.STEP_MARK}replace`) ? 2 : 0

/**
 * ensure (add, or read when the entry may be there); compare on the host; replace when it differs.
 * The token is compared in the guest's words: the read prints `Guest.TOKEN_PLACEHOLDER_HEADER`
 * for the plan's own header and never the token.
 */
const reconcile = ({ agent, base, runner, supervise, target }: Session) =>
  Effect.gen(function*() {
    let starts = 0
    const count = <A extends { readonly stderr: string }>(ran: A): A => {
      starts += startsOf(ran.stderr)
      return ran
    }
    const withCounts = <A>(make: (fields: { readonly execs: number; readonly cliStarts: number }) => A) =>
      Effect.map(runner.execs, (execs) => make({ execs, cliStarts: starts }))
    const replace = runner.exec(Guest.replaceArgv(agent, supervise), Guest.tokenEnv(supervise)).pipe(
      Effect.map(count),
      Effect.tapError((error) => Effect.sync(() => error._tag === "ExecFailed" && count(error)))
    )

    const ensureArgv = Guest.ensureArgv(agent, supervise)
    const read: ExecResult = yield* runner.exec(ensureArgv, Guest.tokenEnv(supervise)).pipe(
      Effect.tapBoth({
        onFailure: (error) => Effect.sync(() => error._tag === "ExecFailed" && count(error)),
        onSuccess: (ran) => Effect.sync(() => count(ran))
      })
    )
    const tried = read.stderr.includes(`${Guest.STEP_MARK}add`)
    if (!read.stderr.includes(`${Guest.STEP_MARK}read`)) {
      return yield* withCounts((counts) => new Registered({ ...base, ...counts }))
    }
    // Writing the plan's entry is right whatever was there; only the outcome's detail is lost.
    const replaceUncompared = Effect.zipRight(replace, withCounts((counts) => new Replaced({ ...base, ...counts, changed: [] })))
    if (read.truncated || read.stderr.includes(Guest.READ_UNSCRUBBED_MARK)) return yield* replaceUncompared
    const partial = read.stderr.includes(Guest.READ_PART_MARK)
    // The file the CLI uses, as the guest worked it out (a legacy `.config.json`, say).
    const configFile = Guest.readFileOf(agent, read.stderr) ?? agent.configFile
    const found = ClaudeConfig.compare(read.stdout, supervise)
    if (found._tag !== "Unparsable" && found.shadowedIn.length > 0) {
      yield* Effect.logWarning(
        `a local-scope MCP server named ${supervise.serverName} in ${found.shadowedIn.map(Shown.escape).join(", ")} ` +
          `shadows the user-scope entry there`
      )
    }
    if (found._tag === "Absent" && !tried) {
      // The name occurs in the file, but not as a user-scope entry: register it.
      yield* replace
      return yield* withCounts((counts) => new Registered({ ...base, ...counts }))
    }
    if (found._tag !== "Present") {
      // A large file not in Claude Code's own layout: its part could not be cut out.
      if (partial && found._tag === "Unparsable") return yield* replaceUncompared
      // The CLI says the entry exists, the file says otherwise: the config is not where the plan
      // says it is (or not JSON). Replacing blindly would report Replaced on every relaunch.
      return yield* new ExecFailed({
        target,
        argv: [...ensureArgv],
        reason: "UnexpectedOutput",
        stdout: "",
        stderr: "",
        detail: found._tag === "Absent"
          ? `claude says ${supervise.serverName} exists, but ${configFile} has no such user-scope entry`
          : `${configFile} is not a JSON config`
      })
    }
    if (found.changes.length === 0) return yield* withCounts((counts) => new Unchanged({ ...base, ...counts }))
    yield* replace
    return yield* withCounts((counts) =>
      new Replaced({ ...base, ...counts, previousUrl: found.previousUrl, changed: found.changes })
    )
  })

const logOutcome = (outcome: Registered | Unchanged | Replaced) =>
  Effect.as(
    Effect.logInfo(
      outcome._tag === "Replaced"
        ? outcome.changed.length === 0
          ? `supervise MCP server rewritten on ${outcome.target} without comparing: the agent's config is too large ` +
            `or not in Claude Code's own layout`
          : `supervise MCP server replaced on ${outcome.target} (changed: ${outcome.changed.join(", ")})`
        : `supervise MCP server ${outcome._tag === "Registered" ? "registered" : "already registered"} on ${outcome.target}`
    ).pipe(Effect.annotateLogs(LogKeys.outcome, outcome._tag)),
    outcome
  )


/**
 * The agent's health check reports a live MCP connection to the planned
 * sidecar URL.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const reachedAt = (outcome: ProvisionSupervise.Connected) => outcome.registeredUrl ?? outcome.url
 */
export class Connected extends Schema.TaggedClass<Connected>()("Connected", {
  ...common,
  /** The URL the agent's config holds, as `claude mcp get` printed it. */
  registeredUrl: Schema.optional(Schema.String)
}) {}

/**
 * The agent cannot reach the planned sidecar: the server is registered but the
 * agent could not connect (`reason` is the CLI's own words, scrubbed of
 * credentials), or it is registered under another URL.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const stale = (outcome: ProvisionSupervise.Unreachable) =>
 *   outcome.registeredUrl !== undefined && outcome.registeredUrl !== outcome.url
 */
export class Unreachable extends Schema.TaggedClass<Unreachable>()("Unreachable", {
  ...common,
  /**
   * The URL the agent's config holds, exactly as stored (the CLI does not
   * normalise it: `http://h:1` is not `http://h:1/`), credentials replaced by
   * `[REDACTED]@`; absent for another transport or a URL that cannot be shown.
   */
  registeredUrl: Schema.optional(Schema.String),
  reason: Schema.String
}) {}

/**
 * The agent's config has no server under the plan's name, so the agent will
 * not see the supervise tools until the bottle is provisioned.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const needsProvisioning = (outcome: ProvisionSupervise.VerifyOutcome) => outcome._tag === "NotRegistered"
 */
export class NotRegistered extends Schema.TaggedClass<NotRegistered>()("NotRegistered", common) {}

/**
 * What `verifySupervise` reports, as a Schema so it can be encoded for output.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * const toJson = Schema.encodeSync(ProvisionSupervise.VerifyOutcome)
 */
export const VerifyOutcome = Schema.Union(Skipped, Connected, Unreachable, NotRegistered, Failed)

/**
 * One of `Skipped`, `Connected`, `Unreachable`, `NotRegistered`, `Failed`.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const ok = (outcome: ProvisionSupervise.VerifyOutcome) => outcome._tag === "Connected"
 */
export type VerifyOutcome = typeof VerifyOutcome.Type

/**
 * - `timeout`: bounds the whole check (default 90 seconds: the CLI's own
 *   check can take a minute against a port that accepts and never answers).
 * - `retry`: schedule for transient smolvm errors, as for provisioning.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise } from "bottle-supervise"
 *
 * const options: ProvisionSupervise.VerifyOptions = { timeout: "45 seconds" }
 */
export interface VerifyOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: Schedule.Schedule<unknown, ExecFailed | ClientNotFound> | undefined
}

const DEFAULT_VERIFY_TIMEOUT = Duration.seconds(90)

/**
 * Runs the agent's own health check (`claude mcp get`) inside the guest, as
 * the agent user with the agent's HOME and CLAUDE_CONFIG_DIR, and reports
 * whether the agent can reach the sidecar. Use it after provisioning or to
 * diagnose, never on a hot path: it opens a real MCP connection.
 *
 * @since 0.1.0
 * @category verification
 * @example
 * import { ProvisionSupervise, SupervisePlan } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const check = (plan: SupervisePlan.SmolmachinesBottlePlan) =>
 *   ProvisionSupervise.verifySupervise(plan, "bottle-1", { timeout: "45 seconds" }).pipe(
 *     Effect.map((outcome) => outcome._tag === "Connected")
 *   )
 */
export const verifySupervise: (
  plan: SmolmachinesBottlePlan,
  target: string,
  options?: VerifyOptions
) => Effect.Effect<VerifyOutcome, ClientNotFound, Sandbox> = Effect.fn("ProvisionSupervise.verifySupervise")(
  (plan: SmolmachinesBottlePlan, target: string, options?: VerifyOptions) =>
    supervised(plan, target, options, {
      defaultTimeout: DEFAULT_VERIFY_TIMEOUT,
      firstArgv: Guest.getArgv,
      warning: (error) => `could not check the supervise MCP server on ${target}: ${error.message}`,
      body: (session) =>
        Effect.tap(check(session), (outcome) =>
          Effect.logInfo(`supervise MCP server on ${target}: ${outcome._tag}`).pipe(
            Effect.annotateLogs(LogKeys.outcome, outcome._tag)
          ))
    }),
  (effect, plan, target) => Effect.annotateLogs(effect, logAnnotations(plan, target))
)

/** `claude mcp get` as the agent, read into an outcome. */
const check = ({ agent, base, runner, supervise, target }: Session) =>
  Effect.gen(function*() {
    const argv = Guest.getArgv(agent, supervise)
    const secrets = secretsOf(supervise)
    // The script exits 0 whatever the CLI said and marks the CLI's status, so the raw words are
    // read here (a token like `http` must not blank a URL before parsing); only what is shown is scrubbed.
    // A guest whose exec itself exits 1 (an older script, a fake) is read the same way.
    const ran = yield* runner.exec(argv).pipe(
      Effect.catchIf(
        (error): error is ExecFailed => error._tag === "ExecFailed" && error.reason === "NonZeroExit",
        (error) => Effect.succeed({ exitCode: error.exitCode ?? 1, stdout: error.stdout, stderr: error.stderr })
      )
    )
    const marked = ran.stderr.split("\n").find((line) => line.startsWith(Guest.CLI_EXIT_MARK))
    const exitCode = marked === undefined ? ran.exitCode : Number(marked.slice(Guest.CLI_EXIT_MARK.length))
    const stdout = ran.stdout
    const stderr = ran.stderr.split("\n").filter((line) => !line.startsWith(Guest.CLI_EXIT_MARK)).join("\n")
    const execs = yield* runner.execs
    const shownStdout = scrub(stdout, secrets)
    const shownStderr = scrub(stderr, secrets)
    const health = Number.isInteger(exitCode) ? McpGet.parse(exitCode, stdout, stderr) : { _tag: "Unknown" as const }
    const unexpected = (detail: string) =>
      new ExecFailed({
        target,
        argv: [...argv],
        reason: "UnexpectedOutput",
        // The CLI's own status, as the script marked it.
        exitCode: Number.isInteger(exitCode) ? exitCode : undefined,
        stdout: shownStdout,
        stderr: shownStderr,
        detail
      })
    switch (health._tag) {
      case "Connected": {
        // Another server under the plan's name, or a stale entry whose old URL happens to
        // answer, is not the planned sidecar: only the planned URL over http is Connected.
        const http = health.type === undefined || health.type === "http"
        if (http && health.url === supervise.agentUrl) return new Connected({ ...base, execs, registeredUrl: health.url })
        if (http && health.url === undefined) {
          return yield* unexpected("`claude mcp get` reported an http server with no URL")
        }
        // As stored, not re-serialised: `http://h:1` and `http://h:1/` differ here as they do for
        // provisioning, which rewrites the entry to the plan's text.
        const registeredUrl = ClaudeConfig.displayUrl(health.url)
        return new Unreachable({
          ...base,
          execs,
          registeredUrl,
          reason: http
            ? `the agent's config points at ${registeredUrl ?? "a URL that cannot be shown"}, not ${supervise.agentUrl}: ` +
              `provision again`
            : `the agent's ${supervise.serverName} is a ${health.type} server, not the sidecar at ${supervise.agentUrl}: ` +
              `provision again`
        })
      }
      case "Unreachable":
        return new Unreachable({
          ...base,
          execs,
          registeredUrl: ClaudeConfig.displayUrl(health.url),
          // The CLI's words, as shown: credentials scrubbed, control characters escaped.
          reason: Shown.escape(scrub(health.reason, secrets))
        })
      case "NotRegistered":
        return new NotRegistered({ ...base, execs })
      case "Unknown":
        return yield* unexpected("`claude mcp get` printed nothing this library understands")
    }
  })
