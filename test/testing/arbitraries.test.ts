/**
 * Arbitraries that terminate: `Arbitrary.make` of every schema the package
 * exports, and the testing kit's own arbitraries, give 1,000 valid samples
 * well under a second. A refinement that random strings never satisfy (a URL,
 * a path, a machine name) without an `arbitrary` annotation retries forever,
 * synchronously: no test timeout would stop it, so each schema is listed by
 * name before it is sampled.
 *
 * Time is this process's CPU time (user + system), not wall time: on a loaded
 * machine other processes' work does not count.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as Library from "../../src/index.js"
import * as Testing from "../../src/Testing.js"

const SAMPLES = 1000
const BUDGET_MS = 1000

/** Every export of every public module that is a Schema, by `Module.name`. */
const schemas: ReadonlyArray<readonly [string, Schema.Schema.Any]> = Object.entries(Library).flatMap(
  ([module, exports]) =>
    Object.entries(exports).flatMap(([name, value]): ReadonlyArray<readonly [string, Schema.Schema.Any]> =>
      Schema.isSchema(value) ? [[`${module}.${name}`, value]] : []
    )
)

const timings: Array<string> = []

const cpuMs = (name: string, run: () => void): number => {
  const start = process.cpuUsage()
  const wall = performance.now()
  run()
  const used = process.cpuUsage(start)
  const ms = (used.user + used.system) / 1000
  timings.push(`${name}: ${ms.toFixed(0)} ms CPU, ${(performance.now() - wall).toFixed(0)} ms wall`)
  return ms
}

afterAll(() => {
  console.log(`${SAMPLES} samples each:\n${timings.join("\n")}`)
})

describe("arbitraries terminate", () => {
  it("finds the package's schemas", () => {
    const names = schemas.map(([name]) => name)
    for (const name of ["SupervisePlan.AgentUrl", "SupervisePlan.SmolmachinesBottlePlan", "MachineName.MachineName"]) {
      expect(names).toContain(name)
    }
  })

  for (const [name, schema] of schemas) {
    it(`Arbitrary.make(${name}): ${SAMPLES} valid samples in under ${BUDGET_MS} ms of CPU`, () => {
      const arbitrary = Arbitrary.make(schema)
      FastCheck.sample(arbitrary, 10) // warm-up
      let samples: ReadonlyArray<unknown> = []
      const took = cpuMs(name, () => {
        samples = FastCheck.sample(arbitrary, SAMPLES)
      })
      expect(samples).toHaveLength(SAMPLES)
      const is = Schema.is(schema)
      expect(samples.filter((sample) => !is(sample))).toEqual([])
      expect(took).toBeLessThan(BUDGET_MS)
    })
  }

  const kit: ReadonlyArray<readonly [string, FastCheck.Arbitrary<unknown>, (value: unknown) => boolean]> = [
    ["arbitraryToken", Testing.arbitraryToken, (t) => typeof t === "string" && /^[\x21-\x7e]{8,64}$/.test(t)],
    ["arbitraryTarget", Testing.arbitraryTarget, Schema.is(Library.MachineName.MachineName)],
    ["arbitraryAgentUrl", Testing.arbitraryAgentUrl, Schema.is(Library.SupervisePlan.AgentUrl)],
    [
      "arbitraryPlan",
      Testing.arbitraryPlan,
      (plan) => Schema.is(Library.SupervisePlan.SmolmachinesBottlePlan)(plan) && plan.supervisePlan !== undefined
    ],
    [
      "arbitraryConfig",
      Testing.arbitraryConfig,
      (config) =>
        typeof config === "object" && config !== null && !Object.hasOwn(Reflect.get(config, "mcpServers"), "supervise")
    ],
    ["arbitraryGuest", Testing.arbitraryGuest, (options) => typeof options === "object" && options !== null]
  ]
  for (const [name, arbitrary, valid] of kit) {
    it(`Testing.${name}: ${SAMPLES} valid samples in under ${BUDGET_MS} ms of CPU`, () => {
      FastCheck.sample(arbitrary, 10)
      let samples: ReadonlyArray<unknown> = []
      const took = cpuMs(`Testing.${name}`, () => {
        samples = FastCheck.sample(arbitrary, SAMPLES)
      })
      expect(samples.filter((sample) => !valid(sample))).toEqual([])
      expect(took).toBeLessThan(BUDGET_MS)
    })
  }

  it("a plan's token never reaches its decode errors, whatever the token", () => {
    FastCheck.assert(
      FastCheck.property(Testing.arbitraryToken, (token) => {
        const decoded = Schema.decodeUnknownEither(Library.SupervisePlan.SmolmachinesBottlePlan, { errors: "all" })({
          supervisePlan: { agentUrl: "ftp://nope/", token: ` ${token}` },
          agent: { home: "relative" }
        })
        expect(decoded._tag).toBe("Left")
        if (decoded._tag === "Left") {
          const lines = Library.SupervisePlan.formatPlanError(decoded.left)
          expect(lines.join("\n")).not.toContain(token)
          expect(lines).toEqual([
            "supervisePlan.agentUrl: must use http or https",
            "supervisePlan.token: token must be 1 to 4096 visible ASCII characters",
            "agent.home: must be an absolute path"
          ])
        }
      }),
      { numRuns: 200 }
    )
  })
})
