/**
 * Helpers for the CLI tests: build the bin once per source version into a
 * private directory, run it as a subprocess against the stub smolvm, and read
 * what the stub recorded.
 */
import { spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, beforeAll } from "vitest"

export const ROOT = path.resolve(import.meta.dirname, "..", "..")
export const STUB = path.join(ROOT, "bench", "smolvm-stub.sh")

const sourceHash = (): string => {
  const hash = createHash("sha256")
  const walk = (dir: string): Array<string> =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name)
      return entry.isDirectory() ? walk(full) : entry.name.endsWith(".ts") ? [full] : []
    })
  const files = [
    ...walk(path.join(ROOT, "src")),
    path.join(ROOT, "tsconfig.json"),
    path.join(ROOT, "tsconfig.build.json")
  ]
  for (const file of files.sort()) {
    hash.update(path.relative(ROOT, file)).update("\0").update(fs.readFileSync(file)).update("\0")
  }
  return hash.digest("hex").slice(0, 16)
}

/**
 * Compiles `src` with tsconfig.build.json into `.tmp/cli-build/<hash>` (inside
 * the repository, so the build resolves this project's node_modules) and
 * returns the path of `bin.js`. Other test files and other people may build at
 * the same time: each build goes to its own directory and is renamed into
 * place; a build that loses the race is thrown away.
 */
export const buildBin = (): string => {
  const base = path.join(ROOT, ".tmp", "cli-build")
  const final = path.join(base, sourceHash())
  const bin = path.join(final, "bin.js")
  if (fs.existsSync(bin)) return bin
  fs.mkdirSync(base, { recursive: true })
  const scratch = fs.mkdtempSync(path.join(base, "tmp-"))
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc")
  const built = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", scratch], {
    cwd: ROOT,
    encoding: "utf8"
  })
  if (built.status !== 0) {
    fs.rmSync(scratch, { recursive: true, force: true })
    throw new Error(`tsc failed (${built.status}):\n${built.stdout}\n${built.stderr}`)
  }
  try {
    fs.renameSync(scratch, final)
  } catch {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  if (!fs.existsSync(bin)) throw new Error(`no ${bin} after the build`)
  // Builds of earlier sources, left more than ten minutes ago, are not in use any more.
  for (const entry of fs.readdirSync(base)) {
    const dir = path.join(base, entry)
    if (dir !== final && Date.now() - fs.statSync(dir).mtimeMs > 10 * 60_000) {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  return bin
}

/**
 * The built bin for the calling test file: built once, before its tests; read
 * `path` inside a test. `BOTTLE_SUPERVISE_TEST_BIN` names another bin.js to
 * test instead.
 */
export const useBuiltBin = (): { readonly path: string } => {
  const built = { path: "" }
  beforeAll(() => {
    // Another build's bin (an earlier commit's, say, to see a new test fail there).
    built.path = process.env["BOTTLE_SUPERVISE_TEST_BIN"] ?? buildBin()
  })
  return built
}

/** Returns `defer`: what it is given runs after each of the calling test file's tests. */
export const cleanupAfterEach = (): (...cleanups: Array<() => void>) => void => {
  const pending: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of pending.splice(0)) cleanup()
  })
  return (...cleanups) => void pending.push(...cleanups)
}

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * How a child ended, for an assertion's message: a failing expectation on a
 * spawned CLI shows the exit code, the signal and what it said on stderr.
 */
export const show = (run: Run): string =>
  `exit ${run.code}, signal ${run.signal}, stderr:\n${
    run.stderr.length > 4000 ? `${run.stderr.slice(0, 4000)}…` : run.stderr
  }`

/** Runs `node <bin> ...args` with `env` on top of a minimal environment. */
export const runBin = (
  bin: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: os.tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "")

/** A fresh stub guest: its state directory, its call log and the env that points the CLI at it. */
export const makeGuest = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-cli-"))
  const state = path.join(dir, "state")
  const log = path.join(dir, "log")
  fs.mkdirSync(state)
  fs.mkdirSync(log)
  const env: Record<string, string> = { SMOLVM_BIN: STUB, STUB_SMOLVM_STATE: state, STUB_SMOLVM_LOG: log }
  const calls = (): Array<{ readonly argv: ReadonlyArray<string>; readonly env: string }> =>
    fs.readdirSync(log)
      .filter((name) => name.endsWith(".argv"))
      .map((name) => {
        const argv = fs.readFileSync(path.join(log, name), "utf8").split("\0")
        argv.pop()
        const envFile = path.join(log, name.replace(/\.argv$/, ".env"))
        return { argv, env: fs.existsSync(envFile) ? fs.readFileSync(envFile, "utf8") : "" }
      })
  const config = (machine: string): string | undefined => {
    const file = path.join(state, `${machine}.json`)
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined
  }
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true })
  return { env, calls, config, cleanup }
}

/** Whether util-linux `script` is here to give a child a terminal. */
export const hasScript = (): boolean => spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0

const shellWord = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * Runs `node <bin> ...args` with a pseudo-terminal as its stdin, stdout and
 * stderr (util-linux `script`), as an operator's shell would. Both streams
 * come back together, with the terminal's `\r\n` line ends.
 */
export const runOnTerminal = (
  bin: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Run => {
  const command = [process.execPath, bin, ...args].map(shellWord).join(" ")
  const ran = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: os.tmpdir(), TERM: "xterm", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  return { code: ran.status, signal: ran.signal, stdout: ran.stdout, stderr: ran.stderr }
}
