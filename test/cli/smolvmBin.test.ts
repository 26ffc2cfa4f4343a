/**
 * `SMOLVM_BIN=` (set but empty, as env files often leave it) through the built
 * CLI: it means `smolvm` on PATH, not a spawn of "" that dies as an internal
 * error.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { cleanupAfterEach, makeGuest, runBin, STUB, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

describe("SMOLVM_BIN=", () => {
  it("provision runs `smolvm` from PATH: exit 0, Registered", async () => {
    const g = makeGuest()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smolvm-on-path-"))
    defer(g.cleanup, () => fs.rmSync(dir, { recursive: true, force: true }))
    fs.symlinkSync(STUB, path.join(dir, "smolvm"))
    const run = await runBin(built.path, ["provision", "--machine", "bottle-1", "--url", "http://127.0.0.1:4318/"], {
      ...g.env,
      SMOLVM_BIN: "",
      PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`
    })
    expect(run.stderr).not.toContain("internal error")
    expect(run).toMatchObject({ code: 0 })
    expect(run.stdout).toBe("Registered: supervise → http://127.0.0.1:4318/ in bottle-1 (1 exec)\n")
    expect(g.calls()).toHaveLength(1)
  })
})
