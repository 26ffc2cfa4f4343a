/**
 * A guest whose own stderr reads like smolvm's machine errors, through the live
 * layer and `provisionSupervise` against `test/fixtures/fault-smolvm`: it is the
 * guest's exit 1, answered at once, never retried until the deadline and never
 * reported as a stopped or unknown machine.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { provisionSupervise } from "../../src/ProvisionSupervise.js"
import { planOf } from "../support/plans.js"
import { makeRig, survivors, timed } from "./rig.js"

const plan = planOf({ url: "http://127.0.0.1:4318/" })

describe("a guest's look-alikes of smolvm's machine errors", () => {
  for (
    const [name, stderr] of [
      ["guest-docker", "Error: docker daemon is not running\n"],
      ["guest-config", "Error: vm not found: config.json\n"],
      // smolvm's exact sentences, but naming a machine other than the exec's target: smolvm echoes `--name`.
      ["guest-other", "Error: vm not found: mybox\n"],
      [
        "guest-other-2",
        "Error: agent operation failed: connect: machine 'mybox' is not running. Use 'smolvm machine start --name mybox' first.\n"
      ]
    ] as const
  ) {
    it.live(`exit 1 with ${JSON.stringify(stderr.trim())} → Failed NonZeroExit, 1 exec, not transient`, () =>
      Effect.scoped(Effect.gen(function*() {
        const rig = yield* makeRig
        const m = rig.machine(name, { code: 1, stderr })
        const [outcome, ms] = yield* timed(provisionSupervise(plan, m.name, { timeout: "5 seconds" })).pipe(
          Effect.provide(rig.layer())
        )
        expect(outcome).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "NonZeroExit", exitCode: 1 } })
        if (outcome._tag === "Failed") {
          expect(outcome.error.transient).toBe(false)
          expect(outcome.error.message).toBe(`guest command exited 1 on machine "${name}": ${stderr.trim()}`)
        }
        expect(m.calls()).toHaveLength(1)
        // Answered at once, not held until the 5 s deadline by retries.
        expect(ms).toBeLessThan(2_500)
        expect(survivors(m.pids())).toEqual([])
      })))
  }

  it.live("smolvm's own sentences for the same machine still are MachineNotRunning (retried) and MachineNotFound", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const booting = rig.machine("booting-1", { mode: "notrunning", times: 1 })
      const registered = yield* provisionSupervise(plan, booting.name, { timeout: "10 seconds" }).pipe(
        Effect.provide(rig.layer())
      )
      expect(registered).toMatchObject({ _tag: "Registered", execs: 2 })
      const unknown = yield* provisionSupervise(plan, "nobody-1", { timeout: "10 seconds" }).pipe(
        Effect.provide(rig.layer())
      )
      expect(unknown).toMatchObject({ _tag: "Failed", execs: 1, error: { reason: "MachineNotFound" } })
    })))
})
