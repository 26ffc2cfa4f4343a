import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import * as Shell from "../../src/internal/shellQuote.js"

describe("shell quoting", () => {
  it.prop(
    "a real sh reads back exactly the words that were quoted",
    [fc.array(fc.string({ unit: "binary", maxLength: 20 }).map((s) => s.replace(/\u0000/g, "")), {
      minLength: 1,
      maxLength: 6
    })],
    ([words]) => {
      const run = spawnSync("sh", ["-c", `printf '%s\\0' ${Shell.join(words)}`], { encoding: "utf8" })
      expect(run.status).toBe(0)
      expect(run.stdout.split("\0").slice(0, -1)).toEqual(words)
    },
    { fastCheck: { numRuns: 150 } }
  )
})
