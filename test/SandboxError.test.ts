import { describe, expect, it } from "@effect/vitest"
import { ClientNotFound, ExecFailed, ExecFailureReason } from "../src/SandboxError.js"

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
