/**
 * A failed exec as the CLI shows it: the step that failed and the agent's
 * CLI command it stands for. The library's `ExecFailed.argv` is the exact
 * argv, for programs: the agent's environment and a whole guest script,
 * kilobytes of shell that bury the one line an operator reads. The exact
 * command lines are what `--dry-run` prints.
 *
 * @internal
 */
import type { Step as AgentStep } from "../internal/agents/agent.js"
import * as Shell from "../internal/shellQuote.js"
import type { ExecFailed } from "../SandboxError.js"

/**
 * The short form: the step's name when the argv is one of the plan's steps,
 * and the words of the command(s) it runs (joined by `&&` when there are two).
 *
 * @internal
 */
export interface Short {
  readonly step: AgentStep["name"] | undefined
  readonly argv: ReadonlyArray<string>
  /** `step: command`, shell-quoted, for a sentence. */
  readonly text: string
}

/** Past this a word is a script or a blob, not something to read in a sentence. */
const LONG_WORD = 80

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/**
 * An argv that is none of the steps, shortened without knowing it: `env`'s
 * options and assignments (the agent's environment) dropped, and every long
 * or multi-line word (a script) elided.
 */
const elided = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  let start = 0
  if (argv[0] === "env") {
    start = 1
    while (start < argv.length) {
      const word = argv[start] ?? ""
      if (word === "-u") start += 2
      else if (ENV_ASSIGNMENT.test(word)) start += 1
      else break
    }
  }
  return argv.slice(start).map((word) => word.length > LONG_WORD || word.includes("\n") ? "…" : word)
}

const sameArgv = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((word, i) => word === b[i])

/**
 * The short form of `error`'s argv, matched against the `steps` the command
 * runs (the agent's own list, so a step added there is named here).
 *
 * @internal
 */
export const shorten = (error: ExecFailed, steps: ReadonlyArray<AgentStep>): Short => {
  const step = steps.find((candidate) => sameArgv(candidate.argv, error.argv))
  if (step === undefined) {
    const argv = elided(error.argv)
    return { step: undefined, argv, text: argv.join(" ") }
  }
  const commands = step.commands
  return {
    step: step.name,
    argv: commands.flatMap((command, i) => i === 0 ? command : ["&&", ...command]),
    text: `${step.name}: ${commands.map(Shell.join).join(" && ")}`
  }
}
