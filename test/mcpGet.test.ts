/**
 * `claude mcp get` parsing, pinned against outputs recorded from the real
 * Claude Code 2.1.330 CLI (test/fixtures/claude-mcp-get; tokens replaced by
 * fake ones). Where a case is synthetic (a variant of a recording), the test
 * says so.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as fs from "node:fs"
import { parse } from "../src/internal/mcpGet.js"

const fixture = (name: string): string =>
  fs.readFileSync(new URL(`./fixtures/claude-mcp-get/${name}`, import.meta.url), "utf8")

describe("claude mcp get, recorded outputs", () => {
  it("connected.txt (exit 0, ✔ Connected) is Connected with the registered URL", () => {
    expect(parse(0, fixture("connected.txt"), "")).toEqual({
      _tag: "Connected",
      type: "http",
      url: "http://127.0.0.1:44671/"
    })
  })

  it("refused.txt (nothing listens) is Unreachable with the CLI's ECONNREFUSED reason", () => {
    expect(parse(0, fixture("refused.txt"), "")).toEqual({
      _tag: "Unreachable",
      type: "http",
      url: "http://127.0.0.1:4318/",
      reason: "ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
    })
  })

  it("silent-timeout.txt (accepts, never answers) is Unreachable with the timeout reason", () => {
    expect(parse(0, fixture("silent-timeout.txt"), "")).toEqual({
      _tag: "Unreachable",
      type: "http",
      url: "http://127.0.0.1:4319/",
      reason: "MCP server \"silent\" connection timed out after 30000ms"
    })
  })

  it("unauthorized.txt (sidecar wants a token the entry lacks) is Unreachable, reason names the HTTP error", () => {
    const health = parse(0, fixture("unauthorized.txt"), "")
    expect(health._tag).toBe("Unreachable")
    if (health._tag === "Unreachable") {
      expect(health.url).toBe("http://127.0.0.1:42657/")
      expect(health.reason).toMatch(/^Dynamic Client Registration rejected \(HTTP 404\)/)
    }
  })

  it("connected-stdio.txt (a stdio server under the name, connected) is Connected with its type and no URL", () => {
    expect(parse(0, fixture("connected-stdio.txt"), "")).toEqual({ _tag: "Connected", type: "stdio", url: undefined })
  })

  it("not-registered.stderr.txt (exit 1, other servers configured) is NotRegistered", () => {
    expect(parse(1, "", fixture("not-registered.stderr.txt"))).toEqual({ _tag: "NotRegistered" })
  })

  it("not-registered-fresh.stderr.txt (exit 1, no config file at all) is NotRegistered", () => {
    expect(parse(1, "", fixture("not-registered-fresh.stderr.txt"))).toEqual({ _tag: "NotRegistered" })
  })

  it("the stored header printed in clear does not leak into the Unreachable reason", () => {
    const health = parse(0, fixture("refused.txt"), "")
    expect(JSON.stringify(health)).not.toContain("tok123")
  })
})

describe("claude mcp get, variants (synthetic, derived from the recordings)", () => {
  it("CRLF line endings parse the same", () => {
    const crlf = fixture("connected.txt").replace(/\n/g, "\r\n")
    expect(parse(0, crlf, "")).toEqual({ _tag: "Connected", type: "http", url: "http://127.0.0.1:44671/" })
  })

  it("a status without its glyph is read by its words", () => {
    const plain = fixture("connected.txt").replace("✔ Connected", "Connected")
    expect(parse(0, plain, "")._tag).toBe("Connected")
    const failed = fixture("refused.txt").replace("✘ Failed to connect", "Failed to connect")
    expect(parse(0, failed, "")._tag).toBe("Unreachable")
  })

  it("a status other than Connected without an Issue line gives the status words as the reason", () => {
    const needsAuth = fixture("connected.txt").replace("✔ Connected", "△ Needs authentication")
    expect(parse(0, needsAuth, "")).toEqual({
      _tag: "Unreachable",
      type: "http",
      url: "http://127.0.0.1:44671/",
      reason: "Needs authentication"
    })
  })

  it.each(["Type", "URL", "Status", "Issue", "url"])(
    "a server named %s reads the same as one named supervise",
    (name) => {
      for (const file of ["connected.txt", "refused.txt"]) {
        const renamed = fixture(file).replace(/^supervise:/m, `${name}:`).replace(
          /remove supervise -s/,
          `remove ${name} -s`
        )
        expect(parse(0, renamed, "")).toEqual(parse(0, fixture(file), ""))
      }
    }
  )

  it("a header line never stands in for a missing field", () => {
    const needsAuth = fixture("connected.txt")
      .replace("✔ Connected", "△ Needs authentication")
      .replace("Authorization: Bearer fake-token-0123", "Issue: Bearer fake-token-0123")
    const health = parse(0, needsAuth, "")
    expect(health).toMatchObject({ _tag: "Unreachable", reason: "Needs authentication" })
    expect(JSON.stringify(health)).not.toContain("fake-token")
  })

  it("fields are found by label, not position", () => {
    const lines = fixture("connected.txt").split("\n")
    const reordered = [lines[0], lines[4], lines[3], lines[2], lines[1], ...lines.slice(5)].join("\n")
    expect(parse(0, reordered, "")).toEqual({ _tag: "Connected", type: "http", url: "http://127.0.0.1:44671/" })
  })

  // Claude Code 2.1.330 prints the URL as stored: `http://127.0.0.1:4318` (no slash) and
  // `HTTP://LocalHost:80/` come back as they were added.
  it.prop(
    "the URL is read as printed, never normalised",
    [fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.boolean(), fc.boolean()],
    ([url, upper, dropSlash]) => {
      const cased = upper ? url.replace(/^[a-z]+:\/\/[^/?#]*/, (s) => s.toUpperCase()) : url
      const printed = dropSlash ? cased.replace(/\/$/, "") : cased
      for (const file of ["connected.txt", "refused.txt"]) {
        const health = parse(
          0,
          fixture(file).replace(/^( {2}URL: ).*$/m, (_, label: string) => `${label}${printed}`),
          ""
        )
        expect(health).toMatchObject({ url: printed })
      }
    }
  )

  it("exit 0 without a Status line is Unknown", () => {
    expect(parse(0, "something else entirely\n", "")).toEqual({ _tag: "Unknown" })
    expect(parse(0, "", "")).toEqual({ _tag: "Unknown" })
  })

  it("a non-zero exit with other words is Unknown, not NotRegistered", () => {
    expect(parse(1, "", "Error: config file is corrupt\n")).toEqual({ _tag: "Unknown" })
    expect(parse(137, fixture("connected.txt"), "")).toEqual({ _tag: "Unknown" })
  })
})
