/**
 * `--dry-run`: the command lines a command would run, rendered by the same
 * `prepare` the backend's live service uses (`smolvm machine exec` or
 * `docker exec`), for the steps the library itself lists
 * (each agent's `provisionSteps` and `verifySteps`), so what is printed is what
 * would run.
 *
 * @internal
 */
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { Step as AgentStep } from "../internal/agents/agent.js"
import { agentOf } from "../internal/agents/registry.js"
import * as Binary from "../internal/binary.js"
import * as DockerRequest from "../internal/docker/request.js"
import * as SmolvmRequest from "../internal/request.js"
import * as Shell from "../internal/shellQuote.js"
import type { ExecOptions } from "../Sandbox.js"
import type { Backend, ExecFailed } from "../SandboxError.js"
import { PlanError } from "./errors.js"
import type { Resolved } from "./plan.js"

/** A backend's rendering of one exec: arguments after its binary, and what it adds to the client's environment. */
type Prepare = (
  target: string,
  argv: ReadonlyArray<string>,
  options: ExecOptions
) => Either.Either<{ readonly args: ReadonlyArray<string>; readonly env: Readonly<Record<string, string>> }, ExecFailed>

/** Each backend's own `prepare`, the one its live layer runs. */
const PREPARE: Readonly<Record<Backend, Prepare>> = {
  smolvm: SmolvmRequest.prepare,
  // Without an exec id: the dry run's exec has none yet, and shows docker's placeholder for it.
  docker: (target, argv, options) => DockerRequest.prepare(target, argv, options)
}

/**
 * One command line the command may run, and when.
 *
 * @internal
 */
export interface Step {
  readonly name: AgentStep["name"]
  readonly when: string
  readonly argv: ReadonlyArray<string>
  readonly hostEnv: Readonly<Record<string, string>>
  readonly commandLine: string
}

/** Inside double quotes, the shell still reads these. */
const inDoubleQuotes = (text: string): string => text.replace(/[\\"$`]/g, (c) => `\\${c}`)

/**
 * A client variable that carries the token, shown with the token replaced by
 * a reference to the `--token-env` variable: `"$SUP_TOKEN"`, or
 * `"\"Bearer $SUP_TOKEN\""` for one that holds it inside other text (the
 * header the guest compares against). One that holds the token only in
 * another spelling (escaped) is not shown at all.
 */
const secretShown = (
  value: string,
  token: string,
  reference: string
): { readonly text: string; readonly shell: string } => {
  const parts = value.split(token)
  if (parts.length < 2) return { text: "<derived from the token; not shown>", shell: "'<not shown>'" }
  return {
    text: parts.join(reference),
    shell: `"${parts.map(inDoubleQuotes).join(reference)}"`
  }
}

/**
 * Renders each step as the client would be called. The variables that carry
 * the token (those the exec's secrets add to the client's environment) show
 * a reference to the `--token-env` variable, never its value.
 *
 * @internal
 */
export const steps = (
  resolved: Resolved,
  guestSteps: ReadonlyArray<AgentStep>,
  tokenEnv: Option.Option<string>,
  defaultTimeout: Duration.Duration
): Effect.Effect<ReadonlyArray<Step>, PlanError> =>
  Effect.gen(function*() {
    const { plan, supervise, target } = resolved
    const backend = target.backend
    // Unlike the live layer, a dry run needs no binary to exist: an unreadable SMOLVM_BIN or DOCKER_BIN is
    // shown as the default.
    const binary = yield* Effect.orElseSucceed(Binary.configFor(backend), () => backend)
    const prepare = PREPARE[backend]
    const token = supervise.token === undefined ? undefined : Redacted.value(supervise.token)
    const reference = `$${Option.getOrElse(tokenEnv, () => "TOKEN")}`
    const out: Array<Step> = []
    for (const step of guestSteps) {
      // As the runner calls the service: as the agent user, with the plan's token when the step carries it.
      const options = { user: plan.agent.user, timeout: resolved.timeout ?? defaultTimeout }
      const prepared = prepare(target.name, step.argv, {
        ...options,
        secretEnv: step.carriesToken ? agentOf(plan.agent.kind).tokenEnv(supervise) : undefined
      })
      if (Either.isLeft(prepared)) return yield* new PlanError({ problems: [prepared.left.message] })
      // What the client's environment holds without the secrets, to tell the variables that carry them.
      const bare = prepare(target.name, step.argv, options)
      const plain = Either.isRight(bare) ? bare.right.env : {}
      const hostEnv: Record<string, string> = {}
      const assignments: Array<string> = []
      for (const [key, value] of Object.entries(prepared.right.env)) {
        if (token !== undefined && plain[key] !== value) {
          const shown = secretShown(value, token, reference)
          hostEnv[key] = shown.text
          assignments.push(`${key}=${shown.shell}`)
        } else {
          hostEnv[key] = value
          assignments.push(Shell.quote(`${key}=${value}`))
        }
      }
      const fullArgv = [binary, ...prepared.right.args]
      out.push({
        name: step.name,
        when: step.when,
        argv: fullArgv,
        hostEnv,
        commandLine: [...assignments, Shell.join(fullArgv)].join(" ")
      })
    }
    return out
  })

/**
 * Prints the steps as one JSON object or as a commented shell transcript.
 *
 * @internal
 */
export const print = (
  command: "provision" | "verify",
  backend: Backend,
  steps: ReadonlyArray<Step>,
  json: boolean
): Effect.Effect<void> =>
  json
    ? Console.log(JSON.stringify({ _tag: "DryRun", command, backend, steps }))
    : Console.log(
      [
        `# bottle-supervise ${command} --dry-run: nothing was run. It would run:`,
        ...(steps.length > 1 ? [conditionalNote] : []),
        // Pasted whole, the transcript runs step 1 only: a later step runs on a condition the library checks.
        ...steps.flatMap((step, i) => [
          "",
          `# ${i + 1}. ${step.name}: ${step.when}`,
          i === 0 ? step.commandLine : step.commandLine.split("\n").map((line) => `# ${line}`).join("\n")
        ])
      ].join("\n")
    )

const conditionalNote = "# Steps after the first are commented out: each runs only on the condition it names."
