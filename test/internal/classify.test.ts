/**
 * smolvm's "is not running" and "vm not found" against a guest's look-alikes:
 * only smolvm's exact sentences naming the exec's target are a machine error,
 * and only they (or its connection errors) are retried. A guest that exits 1
 * printing `Error: docker daemon is not running`, or smolvm's very sentence
 * about another machine, must not be retried until the deadline and reported
 * as a stopped or unknown machine.
 */
import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { classify, isTransientSmolvmError } from "../../src/internal/classify.js"
import * as MachineName from "../../src/MachineName.js"
import { ExecFailed, type ExecFailureReason } from "../../src/SmolvmError.js"

const fc = FastCheck

/** smolvm 1.9's words for a stopped machine (`src/cli/vm_common.rs`). */
const notRunning = (name: string) =>
  `Error: agent operation failed: connect: machine '${name}' is not running. Use 'smolvm machine start --name ${name}' first.\n`

/** The short form, without the start hint. */
const notRunningShort = (name: string) => `Error: agent operation failed: connect: machine '${name}' is not running.\n`

/** anyhow's Caused-by layout of the same error. */
const notRunningChained = (name: string) =>
  `Error: agent operation failed\n\nCaused by:\n    connect: machine '${name}' is not running\n`

const notFound = (name: string) => `Error: vm not found: ${name}\n`

const reasonOf = (exitCode: number, stderr: string, target = "b"): ExecFailureReason | "Success" => {
  const verdict = classify(target, exitCode, stderr, false)
  return verdict._tag === "Success" ? "Success" : verdict.reason
}

const failed = (reason: ExecFailureReason, stderr: string, target = "b") =>
  new ExecFailed({ target, argv: ["x"], reason, exitCode: 1, stdout: "", stderr })

/** Any name smolvm accepts for `--name`. */
const machineName: FastCheck.Arbitrary<string> = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join("-").slice(0, 128))
  .filter((name) => MachineName.problem(name) === undefined)

/**
 * Two different valid names: the exec's target and the machine a guest's line
 * names. Near misses (a suffix, a prefix, another case) as well as unrelated
 * names, since only the exact name is smolvm's echo of `--name`.
 */
const distinctNames: FastCheck.Arbitrary<{ readonly target: string; readonly other: string }> = fc
  .oneof(
    fc.tuple(machineName, machineName),
    machineName.chain((target) =>
      fc.tuple(
        fc.constant(target),
        fc.constantFrom(`${target}-2`, `${target}x`, target.slice(0, -1), target.toUpperCase(), target.toLowerCase())
      )
    ),
    machineName.chain((other) =>
      fc.tuple(fc.constantFrom(`${other}-2`, `${other}x`, other.toUpperCase()), fc.constant(other))
    )
  )
  .filter(([target, other]) =>
    target !== other && MachineName.problem(target) === undefined && MachineName.problem(other) === undefined
  )
  .map(([target, other]) => ({ target, other }))

/** A line without newlines, as a guest might print. */
const words = fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, " "))

describe("smolvm's own machine errors", () => {
  it.prop(
    "'is not running' naming the target, whatever valid name it has, is MachineNotRunning and transient",
    { name: machineName },
    ({ name }) => {
      for (const stderr of [notRunning(name), notRunningShort(name), notRunningChained(name)]) {
        expect(reasonOf(1, stderr, name)).toBe("MachineNotRunning")
        expect(failed("MachineNotRunning", stderr, name).transient).toBe(true)
      }
    }
  )

  it.prop(
    "'vm not found' naming the target, whatever valid name it has, is MachineNotFound and not transient",
    { name: machineName },
    ({ name }) => {
      expect(reasonOf(1, notFound(name), name)).toBe("MachineNotFound")
      expect(failed("MachineNotFound", notFound(name), name).transient).toBe(false)
    }
  )

  it("the short form (no start hint) and anyhow's Caused-by layout are smolvm's too", () => {
    const short = notRunningShort("bottle-1")
    expect(reasonOf(1, short, "bottle-1")).toBe("MachineNotRunning")
    expect(failed("MachineNotRunning", short, "bottle-1").transient).toBe(true)
    const chained = notRunningChained("b")
    expect(reasonOf(1, chained)).toBe("MachineNotRunning")
    expect(failed("MachineNotRunning", chained).transient).toBe(true)
  })
})

describe("smolvm's exact sentences naming another machine are the guest's", () => {
  it("the reviewer's case: target b, a guest printing `Error: vm not found: mybox`", () => {
    expect(reasonOf(1, notFound("mybox"), "b")).toBe("NonZeroExit")
    expect(reasonOf(1, notRunning("mybox"), "b")).toBe("NonZeroExit")
    expect(failed("MachineNotRunning", notRunning("mybox"), "b").transient).toBe(false)
  })

  it.prop(
    "for any two distinct valid names, a sentence naming the other is NonZeroExit and never transient",
    { names: distinctNames },
    ({ names: { other, target } }) => {
      const lookalikes = [
        notFound(other),
        notRunning(other),
        notRunningShort(other),
        notRunningChained(other),
        // The frame and the target, but a start hint for another machine, or the reverse.
        `Error: agent operation failed: connect: machine '${target}' is not running. Use 'smolvm machine start --name ${other}' first.\n`,
        `Error: agent operation failed: connect: machine '${other}' is not running. Use 'smolvm machine start --name ${target}' first.\n`
      ]
      for (const stderr of lookalikes) {
        expect({ stderr, reason: reasonOf(1, stderr, target) }).toEqual({ stderr, reason: "NonZeroExit" })
        expect(isTransientSmolvmError(target, stderr)).toBe(false)
        // However a caller labels it, the other machine's name never makes it transient.
        for (const reason of ["MachineNotRunning", "MachineNotFound", "SmolvmError", "NonZeroExit"] as const) {
          expect({ stderr, reason, transient: failed(reason, stderr, target).transient }).toEqual({
            stderr,
            reason,
            transient: false
          })
        }
      }
      // The same words for the target itself stay smolvm's.
      expect(reasonOf(1, notFound(target), target)).toBe("MachineNotFound")
      expect(reasonOf(1, notRunning(target), target)).toBe("MachineNotRunning")
      expect(isTransientSmolvmError(target, notRunning(target))).toBe(true)
    },
    { fastCheck: { numRuns: 500 } }
  )
})

describe("a guest's look-alikes stay the guest's", () => {
  it("the reviewer's cases: exit 1 is NonZeroExit, not transient", () => {
    for (
      const stderr of [
        "Error: docker daemon is not running\n",
        "Error: vm not found: config.json\n",
        "Error: the database is not running. Start it first.\n",
        // smolvm's sentence without its `agent operation failed: connect:` frame.
        "Error: machine 'b' is not running. Use 'smolvm machine start --name b' first.\n",
        // The frame, but a name smolvm would never print, or two names that disagree.
        "Error: agent operation failed: connect: machine 'web server' is not running.\n",
        "Error: agent operation failed: connect: machine 'b' is not running. Use 'smolvm machine start --name c' first.\n",
        "Error: agent operation failed: connect: machine 'b' is not running (compose)\n",
        "Error: vm not found: b (in /etc/vms.conf)\n"
      ]
    ) {
      expect({ stderr, reason: reasonOf(1, stderr) }).toEqual({ stderr, reason: "NonZeroExit" })
      expect({ stderr, transient: failed("NonZeroExit", stderr).transient }).toEqual({ stderr, transient: false })
      // However a caller labels it, the guest's words never make it transient.
      expect({ stderr, transient: failed("MachineNotRunning", stderr).transient }).toEqual({ stderr, transient: false })
    }
  })

  it.prop(
    "any `Error: …is not running…` first line that is not smolvm's sentence is NonZeroExit and never retried",
    { before: words, after: words },
    ({ after, before }) => {
      const stderr = `Error: ${before}is not running${after}\n`
      FastCheck.pre(!/^Error: agent operation failed(?::|$)/.test(stderr))
      expect(reasonOf(1, stderr)).toBe("NonZeroExit")
      expect(failed("MachineNotRunning", stderr).transient).toBe(false)
      expect(failed("SmolvmError", stderr).transient).toBe(false)
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop(
    "`Error: vm not found: X` where X is no machine name smolvm accepts is NonZeroExit",
    { name: words },
    ({ name }) => {
      FastCheck.pre(MachineName.problem(name.trimEnd()) !== undefined)
      expect(reasonOf(1, `Error: vm not found: ${name}\n`)).toBe("NonZeroExit")
      // Not even as the target: a name smolvm refuses never reached it.
      expect(reasonOf(1, `Error: vm not found: ${name}\n`, name.trimEnd())).toBe("NonZeroExit")
    },
    { fastCheck: { numRuns: 1000 } }
  )
})

describe("transient follows classify", () => {
  it.prop(
    "an ExecFailed is transient only when classify reads its stderr as smolvm's not-running or connection error",
    {
      code: fc.integer({ min: 0, max: 255 }),
      // The target, and stderr that may name it, another machine, or none.
      answer: machineName.chain((target) =>
        fc.record({
          target: fc.constant(target),
          stderr: fc.oneof(
            words.map((w) => `Error: ${w}\n`),
            words.map((w) => `Error: agent operation failed: ${w}\n`),
            fc.constantFrom(notRunning(target), notRunningShort(target), notFound(target)),
            machineName.map(notRunning),
            machineName.map(notFound),
            fc.constantFrom(
              "Error: agent operation failed: vm exec: Connection reset by peer (os error 104)\n",
              "Error: docker daemon is not running\n",
              `Error: agent operation failed: connect: machine '${target}' is not running; Connection refused\n`
            )
          )
        })
      ),
      reason: fc.constantFrom<ExecFailureReason>("MachineNotRunning", "SmolvmError", "NonZeroExit")
    },
    ({ answer: { stderr, target }, code, reason }) => {
      const verdict = reasonOf(1, stderr, target)
      const fromClassify = reasonOf(code, stderr, target)
      // What the live layer builds: the reason classify gave.
      if (fromClassify !== "Success" && failed(fromClassify, stderr, target).transient) {
        expect(code).toBe(1)
        expect(["MachineNotRunning", "SmolvmError"]).toContain(fromClassify)
      }
      // Whatever reason a caller puts on it, transience is read from smolvm's words by the same rule.
      if (failed(reason, stderr, target).transient) {
        expect(["MachineNotRunning", "SmolvmError"]).toContain(reason)
        expect(["MachineNotRunning", "SmolvmError"]).toContain(verdict)
      }
      if (verdict === "MachineNotRunning") expect(failed("MachineNotRunning", stderr, target).transient).toBe(true)
      expect(isTransientSmolvmError(target, stderr)).toBe(failed("MachineNotRunning", stderr, target).transient)
    },
    { fastCheck: { numRuns: 1000 } }
  )
})
