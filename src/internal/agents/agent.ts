/**
 * The agent seam: everything that differs between coding agents (which CLI
 * writes the entry, where its config lives, how its stored entry reads, what
 * its health check prints, what an operator pastes by hand) behind one
 * interface. The shared frame, reconcile and verify never branch on the
 * agent; each agent is one module in this folder.
 *
 * @internal
 */
import type * as Redacted from "effect/Redacted"
import type { AgentKind, AgentPlan, SupervisePlan } from "../../SupervisePlan.js"

/** What differs between the stored entry and the plan. @internal */
export type Change = "transport" | "url" | "headers" | "enabled"

/**
 * The stored entry read against the plan. `shadowedIn` names places where an
 * entry of another scope hides the user-scope one (Claude Code's projects).
 *
 * @internal
 */
export type Comparison =
  | { readonly _tag: "Unparsable" }
  | { readonly _tag: "Absent"; readonly shadowedIn: ReadonlyArray<string> }
  | {
    readonly _tag: "Present"
    readonly changes: ReadonlyArray<Change>
    readonly previousUrl: string | undefined
    readonly shadowedIn: ReadonlyArray<string>
  }

/**
 * What a verification step found, before the host compares it with the
 * plan. `url` is the stored URL as stored (never re-serialised).
 *
 * @internal
 */
export type Health =
  | { readonly _tag: "Connected"; readonly type: string | undefined; readonly url: string | undefined }
  | {
    readonly _tag: "Unreachable"
    readonly type: string | undefined
    readonly url: string | undefined
    /** Raw words (the host scrubs and escapes them before showing). */
    readonly reason: string
  }
  | { readonly _tag: "NotRegistered" }
  | {
    readonly _tag: "Unknown"
    /** Why the output was not understood. */
    readonly detail: string
    /** The checking CLI's own status, when the script marked it. */
    readonly exitCode: number | undefined
    /** What the check printed, raw, without the script's own marks (the host scrubs it before showing). */
    readonly stdout: string
    readonly stderr: string
  }

/**
 * How a verification knows: `"connection"` when the agent's own CLI connected
 * to the server (Claude Code's `mcp get`, Gemini CLI's `mcp list`);
 * `"entry-and-probe"` when the CLI offers no such check (Codex, Copilot CLI)
 * and the library read the stored entry and sent an MCP `initialize` to its
 * URL from inside the guest, with the stored header.
 *
 * @internal
 */
export type CheckedBy = "connection" | "entry-and-probe"

/** One guest exec's result, as a step reads it. @internal */
export interface Ran {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * One guest step of provisioning or verification, as the CLI's `--dry-run`
 * lists it: when it runs, its argv (run as the agent user) and whether it
 * carries the token.
 *
 * @internal
 */
export interface Step {
  readonly name: "ensure" | "read" | "replace" | "get"
  readonly when: string
  readonly argv: ReadonlyArray<string>
  readonly carriesToken: boolean
  /** The agent CLI's command(s) the step stands for, with the plan's values: the short form errors show. */
  readonly commands: ReadonlyArray<ReadonlyArray<string>>
}

/** One coding agent, as the shared frame drives it. @internal */
export interface Agent {
  readonly kind: AgentKind
  /** The product's name, for messages: "Claude Code". */
  readonly title: string
  /** The CLI's command name, for messages: "claude". */
  readonly cli: string
  /** The config file's format, for messages: "JSON". */
  readonly configFormat: "JSON" | "TOML"
  /** How many CLI starts a replace takes (remove and add, or one overwriting add). */
  readonly replaceStarts: number
  /** The user config file the CLI writes on a fresh guest (it may pick another; the guest decides). */
  readonly configFile: (agent: AgentPlan) => string
  /** The exec's secret environment for the plan's token (never on a command line). */
  readonly tokenEnv: (plan: SupervisePlan) => Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  /** Under the bottle's lock: add when absent, else print the stored entry scrubbed. */
  readonly ensureArgv: (agent: AgentPlan, plan: SupervisePlan) => ReadonlyArray<string>
  /** Under the bottle's lock: rewrite the entry to the plan, never half done. */
  readonly replaceArgv: (agent: AgentPlan, plan: SupervisePlan) => ReadonlyArray<string>
  /** The file a read step named on its stderr, when it is one the script can pick. */
  readonly readFileOf: (agent: AgentPlan, stderr: string) => string | undefined
  /** The read step's stdout against the plan. */
  readonly compare: (stdout: string, plan: SupervisePlan) => Comparison
  /** The verification step. */
  readonly verifyArgv: (agent: AgentPlan, plan: SupervisePlan) => ReadonlyArray<string>
  /** The verification step's secret environment (a probe presents the token). */
  readonly verifyEnv: (plan: SupervisePlan) => Readonly<Record<string, Redacted.Redacted<string>>> | undefined
  /** The verification step's output, read. */
  readonly health: (ran: Ran, plan: SupervisePlan) => Health
  readonly checkedBy: CheckedBy
  /** What an operator pastes into a shell inside the bottle, as the agent user; the token as `$SUPERVISE_TOKEN`. */
  readonly manualHint: (agent: AgentPlan, plan: SupervisePlan) => string
  /** The guest steps, as `--dry-run` lists them, in reconcile's order. */
  readonly provisionSteps: (agent: AgentPlan, plan: SupervisePlan) => ReadonlyArray<Step>
  readonly verifySteps: (agent: AgentPlan, plan: SupervisePlan) => ReadonlyArray<Step>
}
