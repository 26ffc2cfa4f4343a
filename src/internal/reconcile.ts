/**
 * Registration as one or two guest steps: `ENSURE` (add, or print the
 * scrubbed config when the entry may be there), a comparison on the host, and
 * `REPLACE` when it differs. The order of the steps is written here only.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { LogKeys } from "../Logger.js"
import type { ExecResult } from "../Sandbox.js"
import { ExecFailed } from "../SandboxError.js"
import type { Agent } from "./agents/agent.js"
import { agentOf } from "./agents/registry.js"
import * as Guest from "./guest.js"
import { Registered, Replaced, Unchanged } from "./outcomes.js"
import * as Shown from "./shown.js"
import type { Session } from "./supervised.js"

/** How many CLI starts each step's branch costs, read from the step's own mark. */
const startsOf = (impl: Agent, stderr: string): number =>
  stderr.includes(`${Guest.STEP_MARK}add`) ? 1 : stderr.includes(`${Guest.STEP_MARK}replace`) ? impl.replaceStarts : 0

/**
 * ensure (add, or read when the entry may be there); compare on the host; replace when it differs.
 * The token is compared in the guest's words: the read prints `Guest.TOKEN_PLACEHOLDER_HEADER`
 * for the plan's own header and never the token.
 */
/** @internal */
export const reconcile = ({ agent, base, runner, supervise, target }: Session) =>
  Effect.gen(function*() {
    const impl = agentOf(agent.kind)
    let starts = 0
    const count = <A extends { readonly stderr: string }>(ran: A): A => {
      starts += startsOf(impl, ran.stderr)
      return ran
    }
    const withCounts = <A>(make: (fields: { readonly execs: number; readonly cliStarts: number }) => A) =>
      Effect.map(runner.execs, (execs) => make({ execs, cliStarts: starts }))
    const replace = runner.exec(impl.replaceArgv(agent, supervise), impl.tokenEnv(supervise)).pipe(
      Effect.map(count),
      Effect.tapError((error) => Effect.sync(() => error._tag === "ExecFailed" && count(error)))
    )

    const ensureArgv = impl.ensureArgv(agent, supervise)
    const read: ExecResult = yield* runner.exec(ensureArgv, impl.tokenEnv(supervise)).pipe(
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
    const replaceUncompared = Effect.zipRight(
      replace,
      withCounts((counts) => new Replaced({ ...base, ...counts, changed: [] }))
    )
    if (
      read.truncated || read.stderr.includes(Guest.READ_UNSCRUBBED_MARK) || read.stderr.includes(Guest.NO_READER_MARK)
    ) return yield* replaceUncompared
    const partial = read.stderr.includes(Guest.READ_PART_MARK)
    // The file the CLI uses, as the guest worked it out (a legacy `.config.json`, say).
    const configFile = impl.readFileOf(agent, read.stderr) ?? agent.configFile
    const found = impl.compare(read.stdout, supervise)
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
          ? `${impl.cli} says ${supervise.serverName} exists, but ${configFile} has no such user-scope entry`
          : `${configFile} is not a ${impl.configFormat} config`
      })
    }
    if (found.changes.length === 0) return yield* withCounts((counts) => new Unchanged({ ...base, ...counts }))
    yield* replace
    return yield* withCounts((counts) =>
      new Replaced({ ...base, ...counts, previousUrl: found.previousUrl, changed: found.changes })
    )
  })

/** @internal */
export const logOutcome = (impl: Agent) => (outcome: Registered | Unchanged | Replaced) =>
  Effect.as(
    Effect.logInfo(
      outcome._tag === "Replaced"
        ? outcome.changed.length === 0
          ? `supervise MCP server rewritten on ${outcome.target} without comparing: the agent's config is too large ` +
            `or not in ${impl.title}'s own layout`
          : `supervise MCP server replaced on ${outcome.target} (changed: ${outcome.changed.join(", ")})`
        : `supervise MCP server ${
          outcome._tag === "Registered" ? "registered" : "already registered"
        } on ${outcome.target}`
    ).pipe(Effect.annotateLogs(LogKeys.outcome, outcome._tag)),
    outcome
  )
