/**
 * A rig around `test/fixtures/fault-smolvm` for the reliability tests: a temp
 * FAULT_DIR, a per-rig `smolvm` wrapper that points the fixture at it (so the
 * state travels in the binary, not in `process.env`), one scenario directory
 * per machine name, and checks that no process of an exec survived.
 */
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as Sandbox from "../../src/Sandbox.js"
import * as Smolvm from "../../src/Smolvm.js"

/** Absolute path of the fault-injecting smolvm. */
export const FAULT_SMOLVM: string = fileURLToPath(new URL("../fixtures/fault-smolvm", import.meta.url))

/** What a scenario directory may hold (see the fixture's header). */
export interface Scenario {
  readonly mode?: "exit" | "signal" | "hang" | "sleep" | "flood" | "notrunning" | "run"
  readonly code?: number
  readonly stdout?: string
  readonly stderr?: string
  readonly signal?: string
  readonly seconds?: number
  readonly bytes?: number
  readonly times?: number
  readonly then?: "exit" | "signal" | "hang" | "sleep" | "flood" | "run"
  readonly path?: string
  readonly leak?: boolean
}

/** One machine's scenario directory. */
export interface Machine {
  readonly name: string
  readonly dir: string
  /** One entry per exec the fixture saw: the timeout it was given and the argv. */
  readonly calls: () => ReadonlyArray<{ readonly timeout: string; readonly argv: ReadonlyArray<string> }>
  /** Every pid the fixture reported: the clients and their children. */
  readonly pids: () => ReadonlyArray<number>
}

export interface Rig {
  readonly root: string
  readonly faultDir: string
  /** The `smolvm` to give the live layer. */
  readonly binary: string
  readonly machine: (name: string, scenario: Scenario) => Machine
  /** The live layer on this rig's binary, with Node's executor. */
  readonly layer: (options?: Omit<Smolvm.MakeOptions, "binary">) => Layer.Layer<Smolvm.Smolvm | Sandbox.Sandbox>
  /**
   * Every live process started through this rig, found by the FAULT_DIR its
   * wrapper exports (children inherit it): catches what never wrote a pid.
   */
  readonly leftovers: () => ReadonlyArray<number>
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

const readLines = (file: string): Array<string> => {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter((line) => line.length > 0)
  } catch {
    return []
  }
}

/** A rig in a fresh temp directory, removed when the scope closes. */
export const makeRig: Effect.Effect<Rig, never, Scope.Scope> = Effect.gen(function*() {
  const root = yield* Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-fault-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )
  // A guest user (node) must reach the homes below.
  fs.chmodSync(root, 0o755)
  const faultDir = path.join(root, "machines")
  fs.mkdirSync(faultDir)
  const binary = path.join(root, "smolvm")
  fs.writeFileSync(
    binary,
    ["#!/bin/sh", `FAULT_DIR=${shellQuote(faultDir)}`, "export FAULT_DIR", `exec ${shellQuote(FAULT_SMOLVM)} "$@"`, ""]
      .join("\n"),
    { mode: 0o755 }
  )
  const machine = (name: string, scenario: Scenario): Machine => {
    const dir = path.join(faultDir, name)
    fs.mkdirSync(dir, { recursive: true })
    for (const [key, value] of Object.entries(scenario)) {
      if (value !== undefined) fs.writeFileSync(path.join(dir, key), String(value))
    }
    return {
      name,
      dir,
      calls: () =>
        readLines(path.join(dir, "calls")).map((line) => {
          const [timeout = "", ...argv] = line.split("\t")
          return { timeout, argv }
        }),
      pids: () => readLines(path.join(dir, "pids")).map((line) => Number(line.split(" ")[1]))
    }
  }
  const leftovers = (): ReadonlyArray<number> => {
    const mark = Buffer.from(`FAULT_DIR=${faultDir}\0`)
    const found: Array<number> = []
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (fs.readFileSync(`/proc/${entry}/environ`).includes(mark) && alive(Number(entry))) found.push(Number(entry))
      } catch {
        // Gone, or not ours to read.
      }
    }
    return found
  }
  return {
    root,
    faultDir,
    binary,
    machine,
    leftovers,
    layer: (options = {}) => Smolvm.layerWith({ ...options, binary }).pipe(Layer.provide(NodeContext.layer))
  }
})

/**
 * Whether `pid` is a live process. A zombie is not: it holds no memory, no
 * pipe and runs nothing, and an orphan stays one forever under an init that
 * does not reap (this container's PID 1 does not).
 */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
    return state !== "Z" && state !== "X"
  } catch {
    return process.platform !== "linux"
  }
}

/** The pids among `pids` that still run. */
export const survivors = (pids: ReadonlyArray<number>): ReadonlyArray<number> => pids.filter(alive)

/** Runs `self` and measures its wall-clock time in milliseconds. */
export const timed = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<readonly [A, number], E, R> =>
  Effect.suspend(() => {
    const started = performance.now()
    return Effect.map(self, (a) => [a, performance.now() - started] as const)
  })

/** Polls `check` every 20 ms until it holds or `ms` passed. */
export const waitFor = (check: () => boolean, ms = 5_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const until = Date.now() + ms
    while (!check()) {
      if (Date.now() > until) return false
      yield* Effect.sleep("20 millis")
    }
    return true
  })
