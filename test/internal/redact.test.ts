import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Redacted } from "effect"
import { scrub, scrubSecrets } from "../../src/internal/redact.js"

// Any token the plan schema accepts: visible ASCII, quotes and commas included.
const token = fc.stringMatching(/^[\x21-\x7e]{8,40}$/)

describe("redaction", () => {
  it.prop(
    "an unknown token in a credential header never survives, whatever it holds",
    [
      token,
      fc.constantFrom(
        (t: string) => `    Authorization: Bearer ${t}`,
        (t: string) => `{"headers":{"Authorization":"Bearer ${t}"}}`,
        (t: string) => `authorization=${t}`,
        (t: string) => `curl -H 'Authorization: ${t}' http://x`
      )
    ],
    ([secret, shape]) => {
      const text = `before\n${shape(secret)}\nafter`
      const shown = scrub(text)
      expect(shown).not.toContain(secret)
      expect(shown.startsWith("before\n")).toBe(true)
      expect(shown.endsWith("\nafter")).toBe(true)
    }
  )

  it.prop(
    "a URL's userinfo never survives, in any scheme that has one, whatever it holds (spaces and @ included)",
    [
      fc.constantFrom(
        "http://",
        "https://",
        "HTTP://",
        "ws://",
        "http:",
        "https:\\\\",
        "http:/\\",
        "ftp:/\\/",
        "http:\\\\/",
        "_http://",
        "xhttps:/",
        "git+ssh://",
        "postgres://"
      ),
      fc.stringMatching(/^[a-z0-9._~!$&'()*+,;=% -]{0,12}$/),
      fc.stringMatching(/^[A-Z0-9 ._~!$&'()*+,;=:%@\\\t-]{6,24}$/).map((p) => `PW${p}`),
      fc.constantFrom("", "/mcp", "?q=1", "#f", ":4318/")
    ],
    ([scheme, user, password, rest]) => {
      const url = `${scheme}${user}:${password}@sidecar.internal${rest}`
      const shown = scrub(`  Issue: could not reach ${url}\n  URL: ${url}\n`)
      expect(shown).not.toContain(password)
      expect(shown).toContain("[REDACTED]@sidecar.internal")
    }
  )

  it("URLs without a userinfo, and addresses that are not URLs, are left as they are", () => {
    const text = [
      "see http://127.0.0.1:4318/ and mailto:ops@example.test or git@github.com:o/r, http://h/p@x",
      "Error: agent operation failed: connect: machine 'b' is not running. Use 'smolvm machine start --name b' first.",
      "scp node@host:/home/node/.claude.json .",
      "  URL: http://127.0.0.1:4318/?a=b@c#d@e"
    ].join("\n")
    expect(scrub(text)).toBe(text)
  })

  it("takes time linear in what a guest prints: a megabyte of scheme-like text is scrubbed at once", () => {
    for (const unit of ["http:", "ws:", "a:", "http://", "x.y-", "http:@", "\\/", "http:\\/a@", "\\\\x"]) {
      const text = `${unit.repeat(Math.ceil(1_000_000 / unit.length))}@h`
      const started = performance.now()
      scrub(text)
      // The quadratic regex this replaced took minutes here; a linear scan takes milliseconds.
      expect(performance.now() - started).toBeLessThan(2_000)
    }
  })

  it.prop("known secrets are removed anywhere, and only they by scrubSecrets", [token], ([secret]) => {
    const text = `x${secret}y Authorization: Bearer other`
    expect(scrubSecrets(text, [Redacted.make(secret)])).toBe("x[REDACTED]y Authorization: Bearer other")
  })
})
