/**
 * From flags to a decoded plan: every problem is collected, so one run reports
 * them all, and named by the flag the operator typed rather than the plan's
 * field path.
 *
 * @internal
 */
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import { targetProblem as containerProblem } from "../internal/docker/request.js"
import { ENV_NAME, timeoutProblem } from "../internal/request.js"
import { problem as machineNameProblem } from "../MachineName.js"
import * as SupervisePlan from "../SupervisePlan.js"
import { PlanError } from "./errors.js"
import type { PlanFlags, PlanTarget } from "./flags.js"
import * as Humantime from "./humantime.js"

/**
 * What a command needs once the flags have become a plan.
 *
 * @internal
 */
export interface Resolved {
  readonly plan: SupervisePlan.SmolmachinesBottlePlan
  readonly supervise: SupervisePlan.SupervisePlan
  readonly target: PlanTarget
  readonly timeout: Duration.Duration | undefined
}

const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  "supervisePlan.agentUrl": "--url",
  "supervisePlan.serverName": "--server-name",
  "supervisePlan.token": "the token in --token-env",
  "agent.kind": "--agent",
  "agent.user": "--user",
  "agent.home": "--home",
  "agent.configDir": "--config-dir"
}

// The per-field formatter is the library's own (the token never printed); the CLI names fields by flag.
const formatParseError = (error: ParseResult.ParseError): ReadonlyArray<string> =>
  SupervisePlan.formatPlanError(error, { fieldName: (path) => FLAG_OF_PATH[path] })

/**
 * Checks the flags and decodes the plan they describe, reading the token from
 * the `--token-env` variable.
 *
 * @internal
 */
export const resolve = (flags: PlanFlags): Effect.Effect<Resolved, PlanError> =>
  Effect.gen(function*() {
    const problems: Array<string> = []
    // Each backend's own rule for a name, checked before anything runs.
    const badTarget = flags.target.backend === "docker"
      ? containerProblem(flags.target.name)
      : machineNameProblem(flags.target.name)
    if (badTarget !== undefined) {
      problems.push(`${flags.target.backend === "docker" ? "--docker" : "--machine"}: ${badTarget}`)
    }

    const timeout = Option.match(flags.timeout, {
      onNone: () => undefined,
      onSome: (text) => {
        const parsed = Humantime.parse(text)
        if (parsed === undefined) {
          problems.push(`--timeout: ${JSON.stringify(text)} is not a duration like 30s, 2m, 500ms or 1m30s`)
          return undefined
        }
        const unusable = timeoutProblem(parsed)
        if (unusable !== undefined) problems.push(`--timeout: ${unusable}`)
        return parsed
      }
    })

    let token: string | undefined
    if (Option.isSome(flags.tokenEnv)) {
      const name = flags.tokenEnv.value
      if (!ENV_NAME.test(name)) {
        problems.push(`--token-env: ${JSON.stringify(name)} is not an environment variable name`)
      } else {
        const value = yield* Config.option(Config.redacted(name)).pipe(
          Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
        )
        if (Option.isNone(value)) {
          problems.push(`--token-env: the environment variable ${name} is not set`)
        } else if (Redacted.value(value.value).length === 0) {
          problems.push(`--token-env: the environment variable ${name} is empty`)
        } else {
          token = Redacted.value(value.value)
        }
      }
    }

    const input = {
      supervisePlan: {
        agentUrl: flags.url,
        ...Option.match(flags.serverName, { onNone: () => ({}), onSome: (serverName) => ({ serverName }) }),
        ...(token === undefined ? {} : { token })
      },
      agent: {
        ...Option.match(flags.agent, { onNone: () => ({}), onSome: (kind) => ({ kind }) }),
        ...Option.match(flags.user, { onNone: () => ({}), onSome: (user) => ({ user }) }),
        ...Option.match(flags.home, { onNone: () => ({}), onSome: (home) => ({ home }) }),
        ...Option.match(flags.configDir, { onNone: () => ({}), onSome: (configDir) => ({ configDir }) })
      }
    }
    const decoded = yield* Effect.either(SupervisePlan.decode(input))
    if (Either.isLeft(decoded)) {
      problems.push(...formatParseError(decoded.left))
    }
    if (problems.length > 0 || Either.isLeft(decoded)) return yield* new PlanError({ problems })
    const plan = decoded.right
    const supervise = plan.supervisePlan
    if (supervise === undefined) return yield* new PlanError({ problems: ["--url: required"] })
    return { plan, supervise, target: flags.target, timeout }
  })
