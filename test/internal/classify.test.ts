/**
 * smolvm's "is not running" and "vm not found" against a guest's look-alikes:
 * only smolvm's exact sentences name a machine error, and only they (or its
 * connection errors) are retried. A guest that exits 1 printing
 * `Error: docker daemon is not running` must not be retried until the deadline
 * and reported as a stopped machine.
 */
import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { classify } from "../../src/internal/classify.js"
import * as MachineName from "../../src/MachineName.js"
import { ExecFailed, type ExecFailureReason } from "../../src/SmolvmError.js"

const fc = FastCheck

/** smolvm 1.9's words for a stopped machine (`src/cli/vm_common.rs`). */
const notRunning = (name: string) =>
  `Error: agent operation failed: connect: machine '${name}' is not running. Use 'smolvm machine start --name ${name}' first.\n`

const reasonOf = (exitCode: number, stderr: string): ExecFailureReason | "Success" => {
  const verdict = classify(exitCode, stderr, false)
  return verdict._tag === "Success" ? "Success" : verdict.reason
}

const failed = (reason: ExecFailureReason, stderr: string, target = "b") =>
  new ExecFailed({ target, argv: ["x"], reason, exitCode: 1, stdout: "", stderr })

/** Any name smolvm accepts for `--name`. */
const machineName: FastCheck.Arbitrary<string> = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join("-").slice(0, 128))
  .filter((name) => MachineName.problem(name) === undefined)

/** A line without newlines, as a guest might print. */
const words = fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, " "))

describe("smolvm's own machine errors", () => {
  it.prop("'is not running' naming any valid machine is MachineNotRunning and transient", { name: machineName }, ({ name }) => {
    expect(reasonOf(1, notRunning(name))).toBe("MachineNotRunning")
    expect(failed("MachineNotRunning", notRunning(name), name).transient).toBe(true)
  })

  it.prop("'vm not found' naming any valid machine is MachineNotFound and not transient", { name: machineName }, ({ name }) => {
    const stderr = `Error: vm not found: ${name}\n`
    expect(reasonOf(1, stderr)).toBe("MachineNotFound")
    expect(failed("MachineNotFound", stderr, name).transient).toBe(false)
  })

  it("the short form (no start hint) and anyhow's Caused-by layout are smolvm's too", () => {
    const short = "Error: agent operation failed: connect: machine 'bottle-1' is not running.\n"
    expect(reasonOf(1, short)).toBe("MachineNotRunning")
    expect(failed("MachineNotRunning", short, "bottle-1").transient).toBe(true)
    const chained = "Error: agent operation failed\n\nCaused by:\n    connect: machine 'b' is not running\n"
    expect(reasonOf(1, chained)).toBe("MachineNotRunning")
    expect(failed("MachineNotRunning", chained).transient).toBe(true)
  })
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
    },
    { fastCheck: { numRuns: 1000 } }
  )
})

describe("transient follows classify", () => {
  it.prop(
    "an ExecFailed is transient only when classify reads its stderr as smolvm's not-running or connection error",
    {
      code: fc.integer({ min: 0, max: 255 }),
      stderr: fc.oneof(
        words.map((w) => `Error: ${w}\n`),
        words.map((w) => `Error: agent operation failed: ${w}\n`),
        machineName.map(notRunning),
        fc.constantFrom(
          "Error: agent operation failed: vm exec: Connection reset by peer (os error 104)\n",
          "Error: docker daemon is not running\n",
          "Error: agent operation failed: connect: machine 'b' is not running; Connection refused\n"
        )
      ),
      reason: fc.constantFrom<ExecFailureReason>("MachineNotRunning", "SmolvmError", "NonZeroExit")
    },
    ({ code, reason, stderr }) => {
      const verdict = reasonOf(1, stderr)
      const fromClassify = reasonOf(code, stderr)
      // What the live layer builds: the reason classify gave.
      if (fromClassify !== "Success" && failed(fromClassify, stderr).transient) {
        expect(code).toBe(1)
        expect(["MachineNotRunning", "SmolvmError"]).toContain(fromClassify)
      }
      // Whatever reason a caller puts on it, transience is read from smolvm's words by the same rule.
      if (failed(reason, stderr).transient) {
        expect(["MachineNotRunning", "SmolvmError"]).toContain(reason)
        expect(["MachineNotRunning", "SmolvmError"]).toContain(verdict)
      }
      if (verdict === "MachineNotRunning") expect(failed("MachineNotRunning", stderr).transient).toBe(true)
    },
    { fastCheck: { numRuns: 1000 } }
  )
})
