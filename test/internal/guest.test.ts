import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, symlinkSync } from "node:fs"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import { USER_MISMATCH_EXIT } from "../../src/internal/classify.js"
import * as SwitchUser from "../../src/internal/switchUser.js"

// The user-switch wrapper is plain sh run by the guest: test it with a real sh,
// real `id`, real `runuser`/`su`, on this host.
const isRoot = process.getuid?.() === 0
const hasNode = spawnSync("id", ["node"]).status === 0
const inCi = process.env["CI"] === "true"
const canSwitch = isRoot && hasNode
if (inCi && !canSwitch) throw new Error("CI must run as root with a `node` user (see .ci/run)")

const runSwitch = (user: string, command: ReadonlyArray<string>, options: { path?: string; asUser?: string } = {}) => {
  const argv = ["-c", SwitchUser.SWITCH_USER, "bottle-supervise", user, ...command]
  const [file, args] = options.asUser === undefined
    ? ["sh", argv]
    : ["runuser", ["-u", options.asUser, "--", "sh", ...argv]]
  return spawnSync(file, args, {
    encoding: "utf8",
    env: { PATH: options.path ?? process.env["PATH"] ?? "/usr/bin:/bin" }
  })
}

describe("the guest's user switch", () => {
  it("runs the command directly when exec already lands as the agent (image with USER node)", () => {
    const me = userInfo().username
    const run = runSwitch(me, ["sh", "-c", "id -un; printf '%s|' \"$@\"", "x", "a b", "$HOME"])
    expect(run.status).toBe(0)
    expect(run.stdout).toBe(`${me}\na b|$HOME|`)
  })

  it.runIf(canSwitch)(
    "switches to the agent with runuser when exec lands as root (bare VM) [needs root + node user]",
    () => {
      const run = runSwitch("node", ["sh", "-c", "id -un; printf '%s' \"$1\"", "x", "it's \"quoted\""])
      expect(run.stderr).toBe("")
      expect(run.stdout).toBe("node\nit's \"quoted\"")
    }
  )

  it.runIf(canSwitch)("falls back to su where util-linux runuser is missing [needs root + node user]", () => {
    const bin = mkdtempSync(join(tmpdir(), "no-runuser-"))
    chmodSync(bin, 0o755) // the agent must be able to use this PATH after the switch
    for (const tool of ["sh", "id", "su", "printf", "env"]) {
      const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim()
      if (found.startsWith("/")) symlinkSync(found, join(bin, tool))
    }
    const run = runSwitch("node", ["sh", "-c", "id -un; printf '%s' \"$1\"", "x", "a  b"], { path: bin })
    expect(run.stdout).toBe("node\na  b")
  })

  it.runIf(canSwitch)("refuses clearly when exec lands as neither root nor the agent [needs root + node user]", () => {
    const run = runSwitch("someone-else", ["true"], { asUser: "node" })
    expect(run.status).toBe(USER_MISMATCH_EXIT)
    expect(run.stderr).toContain("cannot run as someone-else: exec runs as node, and only root can switch users")
  })
})
