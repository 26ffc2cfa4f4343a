import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Redacted } from "effect"
import { scrub, scrubSecrets } from "../../src/internal/redact.js"

// Any token the plan schema accepts: visible ASCII, quotes and commas included.
const token = fc.stringMatching(/^[\x21-\x7e]{8,40}$/)

describe("redaction", () => {
  it.prop(
    "an unknown token in a credential header never survives, whatever it holds",
    [token, fc.constantFrom(
      (t: string) => `    Authorization: Bearer ${t}`,
      (t: string) => `{"headers":{"Authorization":"Bearer ${t}"}}`,
      (t: string) => `authorization=${t}`,
      (t: string) => `curl -H 'Authorization: ${t}' http://x`
    )],
    ([secret, shape]) => {
      const text = `before\n${shape(secret)}\nafter`
      const shown = scrub(text)
      expect(shown).not.toContain(secret)
      expect(shown.startsWith("before\n")).toBe(true)
      expect(shown.endsWith("\nafter")).toBe(true)
    }
  )

  it.prop("known secrets are removed anywhere, and only they by scrubSecrets", [token], ([secret]) => {
    const text = `x${secret}y Authorization: Bearer other`
    expect(scrubSecrets(text, [Redacted.make(secret)])).toBe("x[REDACTED]y Authorization: Bearer other")
  })
})
