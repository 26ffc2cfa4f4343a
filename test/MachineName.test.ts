import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import * as MachineName from "../src/MachineName.js"

// smolvm's rule, written independently of the implementation.
const reference = (s: string) =>
  s.length >= 1 && s.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(s) && !s.includes("--") && !s.endsWith("-")

describe("MachineName", () => {
  it.prop(
    "agrees with smolvm's naming rule on names built from its alphabet and beyond",
    [fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,140}$/), fc.string({ maxLength: 20 }), fc.fullUnicodeString())],
    ([name]) => {
      expect(MachineName.problem(name) === undefined).toBe(reference(name))
      expect(Schema.is(MachineName.MachineName)(name)).toBe(reference(name))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it("names the problem", () => {
    expect(MachineName.problem("")).toBe("must not be empty")
    expect(MachineName.problem("a".repeat(129))).toBe("must be at most 128 characters")
    expect(MachineName.problem("-a")).toBe("must start with a letter or a digit")
    expect(MachineName.problem("a--b")).toBe("must not contain \"--\"")
    expect(MachineName.problem("a-")).toBe("must not end with '-'")
    expect(MachineName.problem("a b")).toContain("may only contain")
    expect(MachineName.problem("../etc")).toContain("may only contain")
    expect(MachineName.problem("bottle-1_x")).toBeUndefined()
  })

  it("is a plain string: a target needs no brand to be one, and make still checks", () => {
    const target: string = "bottle-1"
    // Compiles only while the schema is unbranded: `npm run check` holds the decision.
    const name: MachineName.MachineName = target
    expect(MachineName.MachineName.make(name)).toBe("bottle-1")
    expect(Schema.decodeUnknownSync(MachineName.MachineName)("bottle-1")).toBe("bottle-1")
    expect(() => MachineName.MachineName.make("bad--name")).toThrow(/must not contain "--"/)
  })
})
