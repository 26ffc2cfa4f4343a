import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Guest from "../../src/internal/guest.js"
import { onCI } from "../e2e/prerequisites.js"
import * as Model from "../support/claudeModel.js"

// The token never leaves the guest: the config read scrubs every Authorization value before
// printing, the plan's own to a placeholder the host compares with. Checked against the model
// (which the host-side tests use) on adversarial values, under every awk a guest may have.
const dir = mkdtempSync(join(tmpdir(), "guest-scrub-"))
const busybox = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim()
const busyboxBin = (() => {
  if (!busybox.startsWith("/")) return undefined
  const bin = join(dir, "busybox-bin")
  mkdirSync(bin)
  for (const applet of ["sh", "ls", "wc", "awk", "cat"]) symlinkSync(busybox, join(bin, applet))
  return bin
})()
const awks: ReadonlyArray<readonly [string, string | undefined]> = [
  ["the host's awk", process.env["PATH"] ?? "/usr/bin:/bin"],
  ["busybox awk", busyboxBin]
]

/** Token characters a bearer token may hold: any visible ASCII, quotes and backslashes included. */
const token = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 40
})
const authKey = fc.constantFrom("Authorization", "authorization", "AUTHORIZATION", "AuThOrIzAtIoN")
const value = (tok: string) =>
  fc.oneof(
    fc.constant(`Bearer ${tok}`),
    fc.string().map((s) => `Bearer ${s}`),
    fc.string({ unit: "binary" }),
    fc.constant(`Bearer ${tok}x`),
    fc.constant(`x Bearer ${tok}`)
  )
const server = (tok: string) =>
  fc.record({
    type: fc.constant("http"),
    url: fc.webUrl(),
    headers: fc.dictionary(fc.oneof(authKey, fc.string()), value(tok), { maxKeys: 3 })
  })
const config = (tok: string) =>
  fc.record({
    mcpServers: fc.dictionary(fc.string({ unit: "binary" }), server(tok), { maxKeys: 4 }),
    other: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    nested: fc.record({ [fc.sample(authKey, 1)[0]!]: value(tok) })
  })

describe("the guest's scrub of every Authorization value", () => {
  for (const [name, path] of awks) {
    if (path === undefined) {
      const why = `${name} is not installed on this host (.ci/run installs busybox)`
      if (onCI) it(`matches the model (${name}): missing prerequisite on CI`, () => expect.fail(why))
      else it.skip(`matches the model (${name}): ${why}`, () => undefined)
      continue
    }
    it.prop(
      `prints the config with the plan's token as the placeholder and every other value redacted (${name})`,
      [token.chain((tok) => fc.tuple(fc.constant(tok), config(tok))), fc.boolean()],
      ([[tok, value], withToken]) => {
        const home = mkdtempSync(join(dir, "home-"))
        const text = JSON.stringify(value, null, 2)
        writeFileSync(join(home, ".claude.json"), text)
        const run = spawnSync("sh", ["-c", Guest.READ, "bottle-supervise", "99999999", "supervise"], {
          encoding: "utf8",
          env: {
            PATH: path,
            HOME: home,
            ...(withToken ? { [Guest.HEADER_VAR]: JSON.stringify(`Bearer ${tok}`) } : {})
          }
        })
        expect(run.status, run.stderr).toBe(0)
        expect(run.stdout).toBe(`${Model.scrubbed(text, withToken ? tok : undefined)}\n`)
        // The plan's header value, under whatever key, never reaches the host.
        if (withToken) expect(run.stdout).not.toContain(JSON.stringify(`Bearer ${tok}`))
      },
      { fastCheck: { numRuns: 150 } }
    )
  }
})
