/**
 * Usage errors through the built CLI: each names the flag that is wrong, and
 * every line of it starts `bottle-supervise: ` like the CLI's other errors,
 * whoever found the problem (`@effect/cli`'s parser, the built-ins, the plan).
 */
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { makeGuest, runBin, show, useBuiltBin } from "./support.js"

const built = useBuiltBin()

const URL_A = "http://127.0.0.1:4318/"
const PREFIX = "bottle-supervise: "

/** Lines on stderr, the indented continuation of an "invalid plan:" list aside. */
const errorLines = (stderr: string) => stderr.split("\n").filter((line) => line !== "" && !line.startsWith("  "))

describe.concurrent("usage errors", () => {
  it("a bad --log-level value is named with the values it takes, wherever it is", async () => {
    for (
      const args of [
        ["provision", "--log-level", "bogus", "--machine", "m1", "--url", URL_A],
        ["provision", "--machine", "m1", "--url", URL_A, "--log-level=bogus"],
        ["--log-level", "bogus", "verify", "--machine", "m1", "--url", URL_A]
      ]
    ) {
      const g = makeGuest()
      try {
        const run = await runBin(built.path, args, g.env)
        expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
        expect(run.stderr).toBe(
          `${PREFIX}--log-level: "bogus" is not a log level: use one of all, trace, debug, info, warning, error, fatal, none\n`
        )
        expect(run.stdout).toBe("")
        expect(g.calls()).toHaveLength(0)
      } finally {
        g.cleanup()
      }
    }
  })

  it("--log-level without a value", async () => {
    const run = await runBin(built.path, ["provision", "--machine", "m1", "--url", URL_A, "--log-level"])
    expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
    expect(run.stderr).toMatch(/^bottle-supervise: --log-level: a value is required: one of all, trace, /)
  })

  it("a good --log-level is taken anywhere, after the plan flags too", async () => {
    const g = makeGuest()
    try {
      const args = ["verify", "--machine", "m1", "--url", URL_A, "--dry-run"]
      const quiet = await runBin(built.path, [...args, "--log-level", "none"], g.env)
      expect(quiet.code, show(quiet)).toBe(0)
      expect(quiet.stdout).toContain("--dry-run: nothing was run")
      const before = await runBin(built.path, ["--log-level", "none", ...args], g.env)
      expect(before.code, show(before)).toBe(0)
    } finally {
      g.cleanup()
    }
  })

  it("provision with no flags: every line prefixed, naming what is missing", async () => {
    const run = await runBin(built.path, ["provision"])
    expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
    const lines = errorLines(run.stderr)
    expect(lines.length, show(run)).toBeGreaterThan(0)
    for (const line of lines) expect(line.startsWith(PREFIX), show(run)).toBe(true)
    expect(run.stderr).toContain("--machine")
    expect(run.stderr).toContain("--url")
    expect(run.stdout).toBe("")
  })

  for (
    const [name, args, flag] of [
      ["a missing value", ["provision", "--machine", "m1", "--url"], "--url"],
      ["an unknown flag", ["verify", "--machine", "m1", "--url", URL_A, "--force"], "--force"],
      ["a misspelt flag", ["verify", "--mahcine", "m1", "--url", URL_A], "--mahcine"],
      ["an unknown command", ["provison", "--machine", "m1"], "provision"],
      ["an invalid plan", ["provision", "--machine", "a--b", "--url", URL_A], "--machine"]
    ] as const
  ) {
    it(`${name}: prefixed, naming ${flag}`, async () => {
      const run = await runBin(built.path, args)
      expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
      const lines = errorLines(run.stderr)
      expect(lines.length, show(run)).toBeGreaterThan(0)
      for (const line of lines) expect(line.startsWith(PREFIX), show(run)).toBe(true)
      expect(run.stderr).toContain(flag)
    })
  }
})
