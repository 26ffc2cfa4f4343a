/**
 * A failed exec in the CLI's output, human and `--json`: the step that failed
 * and the Claude Code command it stands for, not the agent's environment and
 * the guest scripts (kilobytes of shell) the library's `ExecFailed.argv` holds.
 */
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import { cleanupAfterEach, makeGuest, runBin, show, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

const URL_A = "http://127.0.0.1:4318/"
const ADD = ["claude", "mcp", "add", "--scope", "user", "--transport", "http", "supervise", URL_A]

/** Words only the guest scripts hold: none of them belongs in what an operator reads. */
const SCRIPT_WORDS = ["read_config", "export PATH", "runuser", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "sh -c"]

const guest = (env: Record<string, string>) => {
  const g = makeGuest()
  defer(g.cleanup)
  return { ...g.env, ...env }
}

const decodeError = (stdout: string) => {
  const parsed: unknown = JSON.parse(stdout)
  const outcome = Schema.decodeUnknownSync(ProvisionSupervise.ProvisionOutcome)(parsed)
  const step =
    Schema.decodeUnknownSync(Schema.Struct({ error: Schema.Struct({ step: Schema.String }) }))(parsed).error.step
  return { outcome, step }
}

describe("a failed exec, as the CLI shows it", () => {
  it("provision: the step and its Claude Code command, in a few lines", async () => {
    const env = guest({ STUB_SMOLVM_EXIT: "1", STUB_SMOLVM_STDERR: "Error: vm not found: bottle-9" })
    const run = await runBin(built.path, ["provision", "--machine", "bottle-9", "--url", URL_A], env)
    expect(run.code, show(run)).toBe(Cli.ExitCode.NotOk)
    expect(run.stdout).toContain(`\nFailed step: ensure: ${ADD.join(" ")}\n`)
    for (const word of SCRIPT_WORDS) expect(run.stdout + run.stderr).not.toContain(word)
    expect(run.stdout.length).toBeLessThan(800)
  })

  it("provision --json: the outcome still decodes; its argv is the command's words, and the step is named", async () => {
    const env = guest({ STUB_SMOLVM_EXIT: "1", STUB_SMOLVM_STDERR: "Error: vm not found: bottle-9" })
    const run = await runBin(built.path, ["provision", "--machine", "bottle-9", "--url", URL_A, "--json"], env)
    expect(run.code, show(run)).toBe(Cli.ExitCode.NotOk)
    const { outcome, step } = decodeError(run.stdout)
    expect(outcome._tag).toBe("Failed")
    if (outcome._tag !== "Failed") return
    expect(outcome.error.reason).toBe("MachineNotFound")
    expect(outcome.error.argv).toEqual(ADD)
    expect(step).toBe("ensure")
    for (const word of SCRIPT_WORDS) expect(run.stdout).not.toContain(word)
    expect(run.stdout.length).toBeLessThan(1200)
  })

  it("verify: claude mcp get, human and --json", async () => {
    const env = guest({ STUB_SMOLVM_EXIT: "1", STUB_SMOLVM_STDERR: "Error: vm not found: bottle-9" })
    const text = await runBin(built.path, ["verify", "--machine", "bottle-9", "--url", URL_A], env)
    expect(text.code, show(text)).toBe(Cli.ExitCode.NotOk)
    expect(text.stdout).toContain("\nFailed step: get: claude mcp get supervise\n")
    const json = await runBin(built.path, ["verify", "--machine", "bottle-9", "--url", URL_A, "--json"], env)
    expect(json.code, show(json)).toBe(Cli.ExitCode.NotOk)
    const { outcome, step } = decodeError(json.stdout)
    if (outcome._tag !== "Failed") throw new Error(show(json))
    expect(outcome.error.argv).toEqual(["claude", "mcp", "get", "supervise"])
    expect(step).toBe("get")
    for (const word of SCRIPT_WORDS) expect(json.stdout).not.toContain(word)
  })

  it("a smolvm binary that cannot be started: one short line, no command line", async () => {
    const run = await runBin(built.path, ["provision", "--machine", "b1", "--url", URL_A, "--json"], {
      SMOLVM_BIN: "/nonexistent/smolvm"
    })
    expect(run.code, show(run)).toBe(Cli.ExitCode.ClientNotFound)
    expect(run.stdout).toBe("")
    expect(run.stderr.split("\n").filter((line) => line.startsWith("bottle-supervise: ")), show(run)).toEqual([
      `bottle-supervise: the smolvm binary "/nonexistent/smolvm" was not found; set SMOLVM_BIN to the path of smolvm`
    ])
    for (const word of [...SCRIPT_WORDS, "machine exec"]) expect(run.stderr).not.toContain(word)
  })
})
