/**
 * `--dry-run`: the smolvm command lines a command would run, rendered by the
 * same `prepare` the live service uses, so what is printed is what would run.
 *
 * @internal
 */
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Binary from "../internal/binary.js"
import * as Guest from "../internal/guest.js"
import { PINNED_ENV, prepare } from "../internal/request.js"
import * as Shell from "../internal/shellQuote.js"
import { PlanError } from "./errors.js"
import type { Resolved } from "./plan.js"

/**
 * One command line the command may run, and when.
 *
 * @internal
 */
export interface Step {
  readonly when: string
  readonly argv: ReadonlyArray<string>
  readonly hostEnv: Readonly<Record<string, string>>
  readonly commandLine: string
}

/**
 * A step to render: when it runs, the guest argv, and whether it carries the
 * token.
 *
 * @internal
 */
export type Plan = readonly [when: string, argv: ReadonlyArray<string>, withToken: boolean]

/**
 * Renders each step as smolvm would be called. The token's host variable is
 * shown as a reference to the `--token-env` variable, never as its value.
 *
 * @internal
 */
export const steps = (
  resolved: Resolved,
  plans: ReadonlyArray<Plan>,
  tokenEnv: Option.Option<string>,
  defaultTimeout: Duration.Duration
): Effect.Effect<ReadonlyArray<Step>, PlanError> =>
  Effect.gen(function*() {
    // Unlike the live layer, a dry run needs no binary to exist: an unreadable SMOLVM_BIN is shown as the default.
    const binary = yield* Effect.orElseSucceed(Binary.config, () => "smolvm")
    const token = resolved.supervise.token
    const out: Array<Step> = []
    for (const [when, argv, withToken] of plans) {
      const prepared = prepare(resolved.target, argv, {
        timeout: resolved.timeout ?? defaultTimeout,
        secretEnv: withToken && token !== undefined ? { [Guest.TOKEN_VAR]: token } : undefined
      })
      if (Either.isLeft(prepared)) return yield* new PlanError({ problems: [prepared.left.message] })
      // The secret host variables carry the token's value: show where it comes from instead.
      const hostEnv: Record<string, string> = {}
      for (const key of Object.keys(prepared.right.env)) {
        hostEnv[key] = Object.hasOwn(PINNED_ENV, key)
          ? prepared.right.env[key] ?? ""
          : `$${Option.getOrElse(tokenEnv, () => "TOKEN")}`
      }
      const assignments = Object.entries(hostEnv).map(([key, value]) =>
        Object.hasOwn(PINNED_ENV, key) ? Shell.quote(`${key}=${value}`) : `${key}="${value}"`
      )
      const fullArgv = [binary, ...prepared.right.args]
      out.push({ when, argv: fullArgv, hostEnv, commandLine: [...assignments, Shell.join(fullArgv)].join(" ") })
    }
    return out
  })

/**
 * Prints the steps as one JSON object or as a commented shell transcript.
 *
 * @internal
 */
export const print = (command: "provision" | "verify", steps: ReadonlyArray<Step>, json: boolean): Effect.Effect<void> =>
  json
    ? Console.log(JSON.stringify({ _tag: "DryRun", command, steps }))
    : Console.log(
      [
        `# bottle-supervise ${command} --dry-run: nothing was run. It would run:`,
        ...(steps.length > 1 ? [conditionalNote] : []),
        // Pasted whole, the transcript runs step 1 only: a later step runs on a condition the
        // library checks, and the config read prints the stored token in clear.
        ...steps.flatMap((step, i) => [
          "",
          `# ${i + 1}. ${step.when}`,
          i === 0 ? step.commandLine : step.commandLine.split("\n").map((line) => `# ${line}`).join("\n")
        ])
      ].join("\n")
    )

const conditionalNote = "# Steps after the first are commented out: each runs only on the condition it names, and the " +
  "config read prints the stored token."
