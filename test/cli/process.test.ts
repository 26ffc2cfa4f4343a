/**
 * The built bin as a process: what reaches a pipe on a failing exit, what
 * signals do to a run whose smolvm client hangs, and what a pasted dry run
 * executes.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { spawn, spawnSync } from "node:child_process"
import * as os from "node:os"
import { describe, expect, it } from "vitest"
import { makeRig, type Rig, survivors } from "../reliability/rig.js"
import { cleanupAfterEach, makeGuest, ROOT, runBin, show, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()
const guest = () => {
  const g = makeGuest()
  defer(g.cleanup)
  return g
}
const rig = (): Rig => {
  const scope = Effect.runSync(Scope.make())
  defer(() => Effect.runSync(Scope.close(scope, Exit.void)))
  return Effect.runSync(Scope.extend(makeRig, scope))
}

const URL_A = "http://127.0.0.1:4318/"
const TOKEN = "tok-Zq8!S3cr3t-value"

const until = async (check: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

/** Starts `provision` against a smolvm client that hangs, and sends `signals` once it runs. */
const interrupted = async (signals: ReadonlyArray<NodeJS.Signals>) => {
  const r = rig()
  const machine = r.machine("hangs", { mode: "hang" })
  const child = spawn(process.execPath, [built.path, "provision", "--machine", "hangs", "--url", URL_A], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: os.tmpdir(), SMOLVM_BIN: r.binary },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
  expect(await until(() => machine.pids().length >= 2, 10_000)).toBe(true)
  for (const signal of signals) {
    child.kill(signal)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const code = await closed
  return { code, left: survivors(machine.pids()), leftovers: r.leftovers() }
}

describe("the bin as a process", () => {
  it("a Failed outcome larger than a pipe's buffer reaches a slow reader whole, as one JSON object", () => {
    const g = guest()
    // Under one environment string's limit (128 KiB), over a pipe's buffer (64 KiB).
    const big = "x".repeat(100_000)
    // The reader starts late, so the bin exits while most of its output is still queued.
    const run = spawnSync(
      "bash",
      [
        "-c",
        `"$0" "$@" | { sleep 0.5; cat; }; exit "\${PIPESTATUS[0]}"`,
        process.execPath,
        built.path,
        "verify",
        "--machine",
        "m1",
        "--url",
        URL_A,
        "--json"
      ],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: {
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          HOME: os.tmpdir(),
          ...g.env,
          STUB_SMOLVM_EXIT: "3",
          STUB_SMOLVM_STDOUT: big
        }
      }
    )
    expect(run.status).toBe(1)
    expect(run.stdout.length).toBeGreaterThan(100_000)
    const outcome: { _tag?: string; error?: { stdout?: string } } = JSON.parse(run.stdout)
    expect(outcome._tag).toBe("Failed")
    expect(outcome.error?.stdout).toContain(big)
  })

  it("Ctrl-C twice while the client is being killed: exit 130, and no process of the exec is left", async () => {
    const { code, left, leftovers } = await interrupted(["SIGINT", "SIGINT"])
    expect(code).toBe(130)
    expect(left).toEqual([])
    expect(leftovers).toEqual([])
  })

  it("SIGTERM then SIGINT: exit 130, nothing left", async () => {
    const { code, left, leftovers } = await interrupted(["SIGTERM", "SIGINT"])
    expect(code).toBe(130)
    expect(left).toEqual([])
    expect(leftovers).toEqual([])
  })

  it("a hang-up (the terminal closed) interrupts like Ctrl-C: exit 130, nothing left", async () => {
    const { code, left, leftovers } = await interrupted(["SIGHUP"])
    expect(code).toBe(130)
    expect(left).toEqual([])
    expect(leftovers).toEqual([])
  })

  it("a provision dry run pasted into sh runs only its first step, with the token and header from the variable", async () => {
    const g = guest()
    const env = { ...g.env, SUP_TOKEN: TOKEN }
    const dry = await runBin(built.path, [
      "provision",
      "--machine",
      "b1",
      "--url",
      URL_A,
      "--token-env",
      "SUP_TOKEN",
      "--dry-run"
    ], env)
    expect(dry.code, show(dry)).toBe(0)
    expect(dry.stdout).not.toContain(TOKEN)
    const pasted = spawnSync("sh", ["-s"], { input: dry.stdout, encoding: "utf8", env: { ...process.env, ...env } })
    const calls = g.calls()
    expect(calls, pasted.stderr).toHaveLength(1)
    // The client got what the live layer gives it: the token, and the header text the guest compares with.
    expect(calls[0]?.env).toBe(
      `BOTTLE_SUPERVISE_SECRET_0=${TOKEN}\nBOTTLE_SUPERVISE_SECRET_1=${JSON.stringify(`Bearer ${TOKEN}`)}\n`
    )
    expect(pasted.stdout + pasted.stderr).not.toContain(TOKEN)
  })

  it("--wizard without a terminal on stdin is a usage error at once, not a wait", async () => {
    const run = await runBin(built.path, ["verify", "--wizard"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--wizard needs a terminal")
  })

  it("a --timeout past what timers and smolvm take is a plan error", async () => {
    const run = await runBin(built.path, [
      "provision",
      "--machine",
      "m1",
      "--url",
      URL_A,
      "--timeout",
      "99999999999999999999s"
    ])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--timeout: timeout must be at most 24 days")
  })
})
