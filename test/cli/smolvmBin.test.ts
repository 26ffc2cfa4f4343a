/**
 * `SMOLVM_BIN` through the built CLI: set but empty (as env files often
 * leave it) means `smolvm` on PATH, and a binary that is not smolvm at all is
 * the client's failure, not the guest's.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import { cleanupAfterEach, makeGuest, runBin, show, STUB, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

const URL_A = "http://127.0.0.1:4318/"

const tempDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  defer(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** An executable text file: the host's sh runs it (execvp's ENOEXEC fallback), and 127s on `hello`. */
const textFile = (dir: string, name: string): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, "hello\n", { mode: 0o755 })
  return file
}

describe("SMOLVM_BIN=", () => {
  it("provision runs `smolvm` from PATH: exit 0, Registered", async () => {
    const g = makeGuest()
    const dir = tempDir("smolvm-on-path-")
    defer(g.cleanup)
    fs.symlinkSync(STUB, path.join(dir, "smolvm"))
    const run = await runBin(built.path, ["provision", "--machine", "bottle-1", "--url", URL_A], {
      ...g.env,
      SMOLVM_BIN: "",
      PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`
    })
    expect(run.stderr).not.toContain("internal error")
    expect(run.code, show(run)).toBe(0)
    expect(run.stdout).toMatch(/^Registered: supervise → http:\/\/127\.0\.0\.1:4318\/ in bottle-1 /)
    expect(g.calls()).toHaveLength(1)
  })
})

describe("a SMOLVM_BIN that is not smolvm (an executable text file)", () => {
  for (const command of ["provision", "verify"]) {
    it(`${command}: the smolvm binary's failure, exit 3, no guest mentioned`, async () => {
      const file = textFile(tempDir("not-smolvm-"), "fake-smolvm")
      for (const json of [[], ["--json"]]) {
        const run = await runBin(built.path, [command, "--machine", "m1", "--url", URL_A, ...json], {
          SMOLVM_BIN: file
        })
        expect(run.code, show(run)).toBe(Cli.ExitCode.ClientNotFound)
        const [line, ...more] = run.stderr.split("\n").filter((l) => l.startsWith("bottle-supervise: "))
        expect(more, show(run)).toEqual([])
        expect(line).toMatch(
          new RegExp(
            `^bottle-supervise: the smolvm binary "${file}" could not be started \\(it is not smolvm: the host's shell ` +
              `ran it as a script, which failed \\(exit 127\\): ${file}: (line )?1: hello: (command )?not found\\); ` +
              "set SMOLVM_BIN to the path of smolvm$"
          )
        )
        expect(run.stderr).not.toMatch(/guest/)
        expect(run.stdout).toBe("")
      }
    })
  }

  it("found on PATH under its own name, the same", async () => {
    const dir = tempDir("not-smolvm-on-path-")
    textFile(dir, "smolvm")
    const run = await runBin(built.path, ["provision", "--machine", "m1", "--url", URL_A], {
      PATH: `${dir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`
    })
    expect(run.code, show(run)).toBe(Cli.ExitCode.ClientNotFound)
    expect(run.stderr).toContain(`the smolvm binary "smolvm" could not be started (it is not smolvm:`)
    expect(run.stderr).toContain(`${path.join(dir, "smolvm")}: `)
  })

  it("a guest's own 127 stays the guest's: a command it ran is missing", async () => {
    const g = makeGuest()
    defer(g.cleanup)
    const run = await runBin(built.path, ["provision", "--machine", "m1", "--url", URL_A], {
      ...g.env,
      STUB_SMOLVM_EXIT: "127",
      STUB_SMOLVM_STDERR: "sh: 1: claude: not found"
    })
    expect(run.code, show(run)).toBe(Cli.ExitCode.NotOk)
    expect(run.stdout).toContain(`Failed: a command the guest tried to run does not exist on machine "m1" (exit 127)`)
  })
})
