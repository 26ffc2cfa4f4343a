import { Effect, FastCheck as fc } from "effect"
import * as SupervisePlan from "../../src/SupervisePlan.js"

export interface PlanInput {
  readonly url: string
  readonly token?: string | undefined
  readonly serverName?: string | undefined
  readonly user?: string | undefined
  readonly home?: string | undefined
  readonly configDir?: string | undefined
}

/** Decodes a plan the way a launcher would, from plain JSON. */
export const planOf = (input: PlanInput): SupervisePlan.SmolmachinesBottlePlan =>
  Effect.runSync(SupervisePlan.decode({
    supervisePlan: {
      agentUrl: input.url,
      ...(input.token === undefined ? {} : { token: input.token }),
      ...(input.serverName === undefined ? {} : { serverName: input.serverName })
    },
    agent: {
      ...(input.user === undefined ? {} : { user: input.user }),
      ...(input.home === undefined ? {} : { home: input.home }),
      ...(input.configDir === undefined ? {} : { configDir: input.configDir })
    }
  }))

export const noSupervise = (): SupervisePlan.SmolmachinesBottlePlan => Effect.runSync(SupervisePlan.decode({}))

const host = fc.oneof(
  fc.ipV4(),
  fc.constantFrom("127.0.0.1", "100.96.0.1", "host.smolvm.internal", "localhost"),
  fc.domain()
)

/** Agent URLs a launcher may compute: any host, any valid port, a path. */
export const agentUrl = fc.record({
  scheme: fc.constantFrom("http", "https"),
  host,
  port: fc.integer({ min: 1, max: 65535 }),
  path: fc.constantFrom("/", "/mcp", "/supervise/v1/", "")
}).map(({ host, path, port, scheme }) => `${scheme}://${host}:${port}${path}`)

/** Tokens long and distinctive enough that finding one in a log is never a coincidence. */
export const token = fc.stringMatching(/^tok_[A-Za-z0-9._~+/=-]{16,48}$/)

export const serverName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$/)

export const userName = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,15}$/)

/** Any path the plan schema accepts: shell metacharacters included, no whitespace, no . or .. segments. */
export const absolutePath = fc.array(fc.stringMatching(/^[\x21-\x2e\x30-\x7e]{1,12}$/), { minLength: 1, maxLength: 4 })
  .filter((parts) => parts.every((part) => part !== "." && part !== ".."))
  .map((parts) => `/${parts.join("/")}`)

export const machineName = fc.stringMatching(/^[a-z0-9][a-z0-9_]{0,30}$/)
