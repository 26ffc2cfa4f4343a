import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger as EffectLogger } from "effect"
import { spawnSync } from "node:child_process"
import { resolve } from "node:path"
import * as Logger from "../src/Logger.js"

describe("Logger", () => {
  it.effect("capture collects level, message and annotations, even where it.effect drops logs", () =>
    Effect.gen(function*() {
      const [value, logs] = yield* Logger.capture(
        Effect.logWarning("disk is full").pipe(
          Effect.annotateLogs(Logger.LogKeys.target, "bottle-1"),
          Effect.zipRight(Effect.logDebug("details")),
          Effect.as(42)
        )
      )
      expect(value).toBe(42)
      expect(logs.map((l) => [l.level, l.message])).toEqual([["WARN", "disk is full"], ["DEBUG", "details"]])
      expect(logs[0]!.annotations).toEqual({ "bottle.target": "bottle-1" })
      expect(logs[0]!.line).toBe(`level=WARN message="disk is full" bottle.target="bottle-1"`)
    }))

  it.effect("capture renders structured messages as JSON, not [object Object]", () =>
    Effect.gen(function*() {
      const [, logs] = yield* Logger.capture(Effect.logInfo({ bottle: "b-1", execs: 2 }))
      expect(logs[0]!.message).toBe(`{"bottle":"b-1","execs":2}`)
    }))

  it.effect("capture does not leak into the surrounding logger", () =>
    Effect.gen(function*() {
      const outer: Array<string> = []
      yield* Logger.capture(Effect.logInfo("inner")).pipe(
        Effect.zipRight(Effect.logInfo("outer")),
        Effect.provide(EffectLogger.replace(
          EffectLogger.defaultLogger,
          EffectLogger.make(({ message }) => {
            outer.push(String(message))
          })
        ))
      )
      expect(outer).toEqual(["outer"])
    }))

  it("layerOperator prints one plain line per entry on stderr, naming the bottle", () => {
    // A real process: the operator logger writes to the process's stderr.
    const script = `
      import { Effect } from "effect"
      import * as Logger from ${JSON.stringify(resolve(__dirname, "../src/Logger.ts"))}
      Effect.runSync(Effect.logWarning("could not register").pipe(
        Effect.annotateLogs(Logger.LogKeys.target, "bottle-9"),
        Effect.provide(Logger.layerOperator)
      ))
    `
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: resolve(__dirname, ".."),
      encoding: "utf8"
    })
    expect(run.stderr).toBe("bottle-supervise[bottle-9] warning: could not register\n")
    expect(run.stdout).toBe("")
  })

  it("layerOperator prints an error's cause, as runMain logs a failed program (a bad plan, say)", () => {
    const script = `
      import { Effect } from "effect"
      import * as Logger from ${JSON.stringify(resolve(__dirname, "../src/Logger.ts"))}
      import * as Cause from "effect/Cause"
      const log = (...what) => Effect.runSync(Effect.logError(...what).pipe(Effect.provide(Logger.layerOperator)))
      log(Cause.fail(new Error("agentUrl must use http or https")))
      log(new Error("timeout must be at most 24 days"))
    `
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: resolve(__dirname, ".."),
      encoding: "utf8"
    })
    expect(run.stderr).toMatch(/^bottle-supervise error: Error: agentUrl must use http or https\n/)
    expect(run.stderr).toContain("bottle-supervise error: Error: timeout must be at most 24 days\n")
    expect(run.stdout).toBe("")
  })
})
