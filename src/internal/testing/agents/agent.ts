/**
 * One coding agent as the in-memory guest imitates it: which of the library's
 * scripts are its steps, where its CLI keeps its config, how that config is
 * keyed, and what the step prints and writes, as the real script does with
 * the real CLI. Each agent is one module in this folder; the guest dispatches
 * on the script and never branches on the agent.
 *
 * @internal
 */
import type { AgentKind } from "../../../SupervisePlan.js"
import type * as Model from "../model.js"
import type { State, StepEnv, StepInput, StepRun } from "../state.js"

/** @internal */
export interface FakeAgent {
  readonly kind: AgentKind
  /** The CLI's command name. */
  readonly cli: string
  /** The variable that moves the agent's config (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, ...). */
  readonly dirVar: string
  /** The top-level key holding the MCP servers in the agent's config (`mcpServers`, Codex's `mcp_servers`). */
  readonly serversKey: string
  /** The step a command (`sh -c SCRIPT bottle-supervise ARGS...`) runs, when it is one of this agent's scripts. */
  readonly stepOf: (
    command: ReadonlyArray<string>
  ) => { readonly step: Model.StepName; readonly args: ReadonlyArray<string> } | undefined
  /** The config file the agent's CLI uses for an environment. */
  readonly configPath: (state: State, env: StepEnv) => string
  /** Runs one step against the guest's state. */
  readonly run: (state: State, step: Model.StepName, input: StepInput) => StepRun
}

/** The script of `sh -c SCRIPT ...` in a library argv. @internal */
export const scriptOf = (argv: ReadonlyArray<string>): string => argv[argv.indexOf("-c") + 1] ?? ""

/**
 * `stepOf` for an agent whose steps are the given scripts: the command is
 * `sh -c SCRIPT bottle-supervise ARGS...`.
 *
 * @internal
 */
export const stepsOf = (scripts: Readonly<Partial<Record<Model.StepName, string>>>) =>
(
  command: ReadonlyArray<string>
): { readonly step: Model.StepName; readonly args: ReadonlyArray<string> } | undefined => {
  const [sh, dashC, script, , ...args] = command
  if (sh !== "sh" || dashC !== "-c") return undefined
  for (const [step, text] of Object.entries(scripts)) {
    if (text === script && isStep(step)) return { step, args }
  }
  return undefined
}

const isStep = (name: string): name is Model.StepName =>
  name === "ensure" || name === "read" || name === "replace" || name === "get"

/**
 * How dash, running a step script as `bottle-supervise`, says a command is
 * missing: it names the script's line the command is on (the first line of
 * `script` that `onLine` accepts).
 *
 * @internal
 */
export const notFound = (script: string, cli: string, onLine: (line: string) => boolean): string => {
  const line = script.split("\n").findIndex(onLine)
  return `bottle-supervise: ${line < 0 ? 1 : line + 1}: ${cli}: not found\n`
}
