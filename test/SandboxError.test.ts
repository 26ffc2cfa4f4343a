import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import { type Classified, classify } from "../src/internal/classify.js"
import { classify as classifyDocker, type DockerVerdict } from "../src/internal/docker/classify.js"
import { type Backend, ClientNotFound, ExecFailed, ExecFailureReason } from "../src/SandboxError.js"

const failed = (reason: ExecFailureReason, backend?: "smolvm" | "docker") =>
  new ExecFailed({ target: "b-1", argv: ["true"], reason, stdout: "", stderr: "", backend })

describe("ExecFailed says which layer failed", () => {
  it("every reason belongs to exactly one layer", () => {
    const layers = Object.fromEntries(ExecFailureReason.literals.map((reason) => [reason, failed(reason).layer]))
    expect(layers).toEqual({
      InvalidTarget: "request",
      InvalidRequest: "request",
      NonZeroExit: "guest",
      GuestSignal: "guest",
      RunuserRefused: "guest",
      UserMismatch: "guest",
      MachineNotFound: "client",
      MachineNotRunning: "client",
      GuestCommandNotFound: "guest",
      SmolvmError: "client",
      SmolvmUsage: "client",
      Timeout: "client",
      ClientSignal: "client",
      SpawnFailed: "client",
      UnexpectedOutput: "library"
    })
  })

  it("names the backend's client and its kind of sandbox in words", () => {
    expect(failed("MachineNotFound", "docker").message).toBe(`docker has no container named "b-1"`)
    expect(failed("MachineNotFound", "smolvm").message).toBe(`smolvm has no machine named "b-1"`)
    // 0.1 errors had no backend: they were smolvm's.
    expect(failed("MachineNotFound").message).toBe(`smolvm has no machine named "b-1"`)
    expect(new ClientNotFound({ binary: "d", reason: "NotFound", detail: "x", backend: "docker" }).message)
      .toContain("set DOCKER_BIN")
  })

  it("shows a guest's last words on the error's own line, control characters escaped", () => {
    const error = new ExecFailed({
      target: "b-1",
      argv: ["true"],
      reason: "NonZeroExit",
      exitCode: 1,
      stdout: "",
      stderr: "\u001b[2J\rbottle-supervise[other] info: forged\u0007",
      backend: "smolvm"
    })
    expect(error.message).not.toMatch(/[\u0000-\u001f]/)
    expect(error.message).toContain("\\u001b[2J\\rbottle-supervise[other] info: forged\\u0007")
  })
})

describe("ExecFailed.transient is decided once, when the error is built", () => {
  const notRunning = (name: string) => `Error: agent operation failed: connect: machine '${name}' is not running.\n`
  const built = (
    fields: Pick<ExecFailed, "reason" | "exitCode" | "stderr" | "backend"> & { readonly transient?: boolean }
  ) => new ExecFailed({ target: "b-1", argv: ["x"], stdout: "", ...fields })
  const stderrs = fc.oneof(
    fc.constantFrom(
      notRunning("b-1"),
      notRunning("b-2"),
      "Error: agent operation failed: connection reset by peer\n",
      "Error: docker daemon is not running\n",
      "Error: vm not found: b-1\n",
      "Error response from daemon: Container b-1 is restarting, wait until the container is running\n",
      "Error response from daemon: No such container: b-1\n",
      ""
    ),
    fc.string({ maxLength: 40 })
  )
  const exitCodes = fc.constantFrom(1, 2, 124, 125, 126, 127, 137)

  it.prop(
    "built without it, it is what the backend's classification said of the same words",
    [exitCodes, stderrs],
    ([exitCode, stderr]) => {
      const agrees = (backend: Backend, verdict: Classified | DockerVerdict) => {
        if (verdict._tag === "Failure") {
          expect(built({ reason: verdict.reason, exitCode, stderr, backend }).transient).toBe(verdict.transient)
        }
      }
      agrees("smolvm", classify("b-1", exitCode, stderr, false))
      agrees("docker", classifyDocker({ target: "b-1", user: undefined, argv: ["x"] }, exitCode, "", stderr))
    },
    { fastCheck: { numRuns: 300 } }
  )

  const stopped = built({ reason: "MachineNotRunning", exitCode: 1, stderr: notRunning("b-1"), backend: "smolvm" })

  it("is a field carried through a rebuild: scrubbing the words does not change the verdict", () => {
    expect(stopped.transient).toBe(true)
    // A plain data property, not a getter that reads stderr again.
    expect(Object.getOwnPropertyDescriptor(stopped, "transient")).toMatchObject({ value: true, enumerable: true })
    // As the runner rebuilds a failure with the plan's token scrubbed out of its output.
    expect(new ExecFailed({ ...stopped, stderr: notRunning("***") }).transient).toBe(true)
    // The classification's verdict wins over what the shown words would say.
    expect(new ExecFailed({ ...stopped, transient: false }).transient).toBe(false)
  })

  it("is encoded, and an encoded error without it (0.2's JSON) reads its stderr when decoded", () => {
    const encoded = Schema.encodeSync(ExecFailed)(new ExecFailed({ ...stopped, transient: false }))
    expect(encoded.transient).toBe(false)
    expect(Schema.decodeUnknownSync(ExecFailed)(encoded).transient).toBe(false)
    const { transient: _, ...withoutVerdict } = encoded
    expect(Schema.decodeUnknownSync(ExecFailed)(withoutVerdict).transient).toBe(true)
  })
})
