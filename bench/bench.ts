/**
 * `npm run bench`: what the library's own work costs per `smolvm machine exec`
 * over plain `@effect/platform` Command and over ten lines of
 * `child_process`, how a fleet behaves, and how many execs and Claude Code
 * starts each provisioning scenario takes. (`npm run bench:e2e`,
 * bench/e2e.ts, measures whole registrations with the real Claude Code.)
 *
 * Everything runs against the same stub smolvm (bench/smolvm-stub.sh, a
 * `/bin/sh` script that forks nothing and behaves like a guest with Claude
 * Code), so the numbers are the host-side overhead: process spawn, pipes and
 * whatever the library adds. Variants are interleaved (a, b, c, a, b, c, …) so
 * that drift in machine load hits all of them alike.
 *
 *   (a) raw:       `child_process.spawn` of the exact smolvm argv the library
 *                  renders (stdin closed, stdout/stderr collected)
 *   (b) exec:      `Smolvm.machineExec` through `Smolvm.layerWith({ binary })`
 *                  + `NodeContext.layer`, the layer built once
 *   (c) provision: a full `provisionSupervise` (first registration: 1 exec)
 *
 * and, to tell the library's own cost from the platform's:
 *
 *   (p) plain:     plain `@effect/platform` Command, nothing else around it:
 *                  `executor.start` in a scope, stdout and stderr drained (the
 *                  library's pull loop, two forks), exit code awaited; stdin
 *                  left as the executor's default pipe. The target's floor.
 *   (s) stdin:     (p) with `Command.stdin(Stream.empty)`: what closing stdin
 *                  through the executor's own stdin stream costs
 *   (d) direct:    the raw spawn wrapped in one `Effect.async`, no
 *                  CommandExecutor: what the Effect runtime itself costs
 *   CPU, faults:   for every variant above, this process's CPU time and
 *                  minor page faults per exec, so that work on the main
 *                  thread can be told from waiting for the child
 *   fleet:         64 bottles at concurrency 8, each variant's wall time
 *                  (no target since issue 20: the e2e bench's fleet is the
 *                  launcher's figure), and the same with a 20 ms guest
 *                  round trip
 *   in memory:     the CPU time per call of (p), (b) and (c) against a
 *                  CommandExecutor whose processes are in memory and exit at
 *                  once: the fixed cost of the `Process` interface and of the
 *                  library, with no process spawned
 *
 * Writes its figures under `hostOverhead` in bench/results.json (or the path
 * in BENCH_OUT), with the machine, the load average sampled through the run,
 * and the date.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { drainInto, makeCollector } from "../src/internal/boundedOutput.js"
import * as Guest from "../src/internal/guest.js"
import { prepare } from "../src/internal/request.js"
import * as ProvisionSupervise from "../src/ProvisionSupervise.js"
import type * as Sandbox from "../src/Sandbox.js"
import * as Smolvm from "../src/Smolvm.js"
import * as SupervisePlan from "../src/SupervisePlan.js"
import * as Results from "./results.js"
import { fmt, median, round, summary } from "./stats.js"

const ITERATIONS = Number(process.env["BENCH_ITERATIONS"] ?? 300)
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 30)
const FLEET_SIZE = 64
const FLEET_CONCURRENCY = 8
const FLEET_ROUNDS = Number(process.env["BENCH_FLEET_ROUNDS"] ?? 5)
const IN_MEMORY_CALLS = Number(process.env["BENCH_IN_MEMORY_CALLS"] ?? 1000)
const OUTPUT_LIMIT = 1 << 20
const TARGETS = {
  /** Issue 20: the library's own work per exec over plain Command, at the median. */
  libraryOverPlainMs: 0.5,
  /** Issue 5: machineExec over a raw spawn, at the median. */
  overRawMs: 2,
  /** Issue 20's guest steps: execs and Claude Code starts per scenario. */
  scenarios: {
    first: { outcome: "Registered", execs: 1, cliStarts: 1 },
    sameUrl: { outcome: "Unchanged", execs: 1, cliStarts: 0 },
    changedUrl: { outcome: "Replaced", execs: 2, cliStarts: 2 }
  }
} as const

const here = path.dirname(new URL(import.meta.url).pathname)
const STUB = path.join(here, "smolvm-stub.sh")
const OUT = process.env["BENCH_OUT"] ?? path.join(here, "results.json")

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-bench-"))
const stateDir = path.join(scratch, "state")
fs.mkdirSync(stateDir)
// The stub reads its state directory from its environment, which both the raw
// spawn and the library's executor inherit from this process.
process.env["STUB_SMOLVM_STATE"] = stateDir
delete process.env["STUB_SMOLVM_LOG"]
delete process.env["STUB_SMOLVM_EXIT"]

/**
 * The library passes its own stdin on to the client when that is /dev/null, and
 * otherwise ends a pipe through the executor (what (s) − (p) costs): which of
 * the two this run's (b) and (c) took.
 */
const launcherStdin = (() => {
  try {
    const stdin = fs.fstatSync(0)
    return stdin.isCharacterDevice() && stdin.rdev === fs.statSync("/dev/null").rdev
      ? "/dev/null, passed on to the client"
      : "not /dev/null: the client gets a pipe ended by an empty stream"
  } catch {
    return "closed: the client gets a pipe ended by an empty stream"
  }
})()

const loadSamples: Array<number> = []
const sampleLoad = () => loadSamples.push(os.loadavg()[0] ?? Number.NaN)
const loadTimer = setInterval(sampleLoad, 5000)
loadTimer.unref()

const token = "bench-token-0123456789abcdef"
const decodePlan = (url: string) => Effect.runSync(SupervisePlan.decode({ supervisePlan: { agentUrl: url, token } }))
const planA = decodePlan("http://127.0.0.1:4318/")
const planB = decodePlan("http://127.0.0.1:4319/")
const supervise = planA.supervisePlan
if (supervise === undefined) throw new Error("the bench plan has no supervisePlan")
// The first step of every provisioning, as the agent: what (c) runs on a fresh bottle.
const ensureArgv = Guest.ensureArgv(planA.agent, supervise)
const execOptions: Smolvm.ExecOptions = {
  user: planA.agent.user,
  secretEnv: Guest.tokenEnv(supervise),
  timeout: "60 seconds"
}

// -----------------------------------------------------------------------------
// (a) raw child_process
// -----------------------------------------------------------------------------

interface RawResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const rawSpawn = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>): Promise<RawResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(STUB, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", reject)
    child.on(
      "close",
      (code) =>
        resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    )
    child.stdin.end()
  })

const prepared = (target: string) => {
  const p = prepare(target, ensureArgv, execOptions)
  if (p._tag === "Left") throw p.left
  return p.right
}

/** (d): the same spawn inside one `Effect.async`, interrupted by SIGKILL. */
const directSpawn = (target: string): Effect.Effect<void, Error> =>
  Effect.async<void, Error>((resume) => {
    const p = prepared(target)
    const child = spawn(STUB, p.args, {
      env: { ...process.env, ...p.env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true
    })
    const err: Array<Buffer> = []
    child.stdout.on("data", () => undefined)
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", (error) => resume(Effect.fail(error)))
    child.on("close", (code) =>
      resume(
        code === 0
          ? Effect.void
          : Effect.fail(new Error(`direct exec on ${target} exited ${code}: ${Buffer.concat(err)}`))
      ))
    child.stdin.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** The exact command line `machineExec` would run for `target`. */
const rawExec = async (target: string): Promise<void> => {
  const p = prepared(target)
  const result = await rawSpawn(p.args, p.env)
  if (result.code !== 0) throw new Error(`raw exec on ${target} exited ${result.code}: ${result.stderr}`)
}

// -----------------------------------------------------------------------------
// (b), (c) the library, (p), (s), (d) the platform, on one runtime built once
// -----------------------------------------------------------------------------

// Launchers bring their own logger; the library's log calls still run, their
// output goes nowhere, so the terminal's speed is not measured.
const runtime = ManagedRuntime.make(
  Layer.mergeAll(
    Smolvm.layerWith({ binary: STUB }).pipe(Layer.provideMerge(NodeContext.layer)),
    Logger.replace(Logger.defaultLogger, Logger.none)
  )
)

/**
 * (p) and (s): `@effect/platform` Command with nothing of the library around
 * it: started in a scope, both streams drained in two forks, exit awaited.
 */
const commandExec = (stdin: "plain" | "emptyStream") => (target: string) =>
  Effect.gen(function*() {
    const executor = yield* CommandExecutor.CommandExecutor
    const p = prepared(target)
    const plain = Command.make(STUB, ...p.args).pipe(Command.env(p.env))
    const command = stdin === "plain" ? plain : Command.stdin(plain, Stream.empty)
    const code = yield* Effect.scoped(Effect.gen(function*() {
      const proc = yield* executor.start(command)
      const readers = Fiber.zip(
        yield* Effect.fork(drainInto(proc.stdout, makeCollector(OUTPUT_LIMIT))),
        yield* Effect.fork(drainInto(proc.stderr, makeCollector(OUTPUT_LIMIT)))
      )
      const exitCode = yield* proc.exitCode
      yield* Fiber.join(readers)
      return exitCode
    }))
    if (code !== 0) return yield* Effect.die(new Error(`${stdin} Command exec on ${target} exited ${code}`))
  }).pipe(Effect.orDie)

const plainExec = commandExec("plain")
const stdinExec = commandExec("emptyStream")

const machineExec = (target: string) =>
  Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, ensureArgv, execOptions))

const registered = (target: string) =>
  Effect.flatMap(
    ProvisionSupervise.provisionSupervise(planA, target),
    (outcome) =>
      outcome._tag === "Registered" ? Effect.void : Effect.die(new Error(`provision on ${target}: ${outcome._tag}`))
  )

const run = <A, E>(effect: Effect.Effect<A, E, Smolvm.Smolvm | Sandbox.Sandbox | CommandExecutor.CommandExecutor>) =>
  runtime.runPromise(Effect.asVoid(effect))

// -----------------------------------------------------------------------------
// In memory: no process at all
// -----------------------------------------------------------------------------

/**
 * Process ids above Linux's PID_MAX_LIMIT (2^22) never exist, so the library's
 * reap of the process group finds nothing and signals nothing.
 */
let nextPid = 2 ** 22 + 1
const addOutput = new TextEncoder().encode(
  "Added HTTP MCP server supervise with URL: http://127.0.0.1:4318/ to user config\n"
)
const stepAdd = new TextEncoder().encode(`${Guest.STEP_MARK}add\n`)
const inMemoryProcess = (): CommandExecutor.Process => ({
  [CommandExecutor.ProcessTypeId]: CommandExecutor.ProcessTypeId,
  pid: CommandExecutor.ProcessId(nextPid++),
  exitCode: Effect.succeed(CommandExecutor.ExitCode(0)),
  isRunning: Effect.succeed(false),
  kill: () => Effect.void,
  stdin: Sink.drain,
  stdout: Stream.make(addOutput),
  stderr: Stream.make(stepAdd),
  toString: () => "InMemoryProcess",
  toJSON: () => ({ _id: "InMemoryProcess" }),
  [NodeInspectSymbol]: () => ({ _id: "InMemoryProcess" })
})
const inMemoryRuntime = ManagedRuntime.make(
  Layer.mergeAll(
    Smolvm.layerWith({ binary: STUB }).pipe(
      Layer.provideMerge(
        Layer.succeed(
          CommandExecutor.CommandExecutor,
          CommandExecutor.makeExecutor(() => Effect.sync(inMemoryProcess))
        )
      )
    ),
    Logger.replace(Logger.defaultLogger, Logger.none)
  )
)

/** CPU time per call, in µs, of `f` over IN_MEMORY_CALLS targets at the fleet's concurrency. */
const inMemoryCpu = async (
  kind: string,
  f: (
    target: string
  ) => Effect.Effect<unknown, unknown, Smolvm.Smolvm | Sandbox.Sandbox | CommandExecutor.CommandExecutor>
): Promise<number> => {
  const targets = Array.from({ length: IN_MEMORY_CALLS }, (_, i) => `memory-${kind}-${i}`)
  const before = process.cpuUsage()
  await inMemoryRuntime.runPromise(Effect.forEach(targets, f, { concurrency: FLEET_CONCURRENCY, discard: true }))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / IN_MEMORY_CALLS
}

const inMemory = async () => {
  const variants = [
    ["plain", plainExec],
    ["exec", machineExec],
    ["provision", registered]
  ] as const
  const samples = { plain: new Array<number>(), exec: new Array<number>(), provision: new Array<number>() }
  for (let r = -1; r < 5; r++) {
    // The order turns each round, so the garbage one variant leaves is not always collected during the same next one.
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + r + 1) % variants.length]
      if (variant === undefined) continue
      const [name, f] = variant
      const us = await inMemoryCpu(`${name}-r${r + 1}`, f)
      if (r >= 0) samples[name].push(us)
    }
  }
  return samples
}

// -----------------------------------------------------------------------------
// Runs
// -----------------------------------------------------------------------------

const time = async (f: () => Promise<void>): Promise<number> => {
  const start = performance.now()
  await f()
  return performance.now() - start
}

const VARIANTS = ["raw", "exec", "provision", "plain", "stdin", "direct"] as const
type Variant = (typeof VARIANTS)[number]
const perVariant = <A>(make: () => A): Record<Variant, A> => ({
  raw: make(),
  exec: make(),
  provision: make(),
  plain: make(),
  stdin: make(),
  direct: make()
})

const runners: Record<Variant, (target: string) => Promise<void>> = {
  raw: rawExec,
  exec: (target) => run(machineExec(target)),
  provision: (target) => run(registered(target)),
  plain: (target) => run(plainExec(target)),
  stdin: (target) => run(stdinExec(target)),
  direct: (target) => run(directSpawn(target))
}

const perExec = async () => {
  const samples = perVariant((): Array<number> => [])
  // What this process spent on each exec: wall time alone cannot tell work in
  // this process from waiting for the child.
  const cpuMs = perVariant((): Array<number> => [])
  const pageFaults = perVariant((): Array<number> => [])
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const name of VARIANTS) {
      const before = process.resourceUsage()
      const ms = await time(() => runners[name](`${name}-${i}`))
      const after = process.resourceUsage()
      if (i >= WARMUP) {
        samples[name].push(ms)
        cpuMs[name].push((after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000)
        pageFaults[name].push(after.minorPageFault - before.minorPageFault)
      }
    }
  }
  const paired = (x: Variant, y: Variant) => round(median(samples[x].map((v, i) => v - (samples[y][i] ?? Number.NaN))))
  return {
    samples,
    cpuMs,
    pageFaults,
    pairedMedianMs: {
      execMinusPlain: paired("exec", "plain"),
      execMinusRaw: paired("exec", "raw"),
      stdinMinusPlain: paired("stdin", "plain"),
      plainMinusRaw: paired("plain", "raw")
    }
  }
}

const pool = async (items: ReadonlyArray<string>, concurrency: number, f: (item: string) => Promise<void>) => {
  let next = 0
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await f(item)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const FLEET_VARIANTS = ["raw", "exec", "provision", "plain"] as const
type FleetVariant = (typeof FLEET_VARIANTS)[number]

const fleet = async () => {
  const runs: Record<FleetVariant, Array<number>> = { raw: [], exec: [], provision: [], plain: [] }
  const names = (kind: string, r: number) =>
    Array.from({ length: FLEET_SIZE }, (_, i) => `fleet-${kind}-r${r + 1}-${i}`)
  const concurrently = <A, E>(
    targets: ReadonlyArray<string>,
    f: (target: string) => Effect.Effect<A, E, Smolvm.Smolvm | Sandbox.Sandbox | CommandExecutor.CommandExecutor>
  ) => runtime.runPromise(Effect.forEach(targets, f, { concurrency: FLEET_CONCURRENCY, discard: true }))
  const variants: Record<FleetVariant, (targets: ReadonlyArray<string>) => Promise<void>> = {
    raw: (targets) => pool(targets, FLEET_CONCURRENCY, rawExec),
    exec: (targets) => concurrently(targets, machineExec),
    provision: (targets) => concurrently(targets, registered),
    plain: (targets) => concurrently(targets, plainExec)
  }
  // One unmeasured round to warm up.
  for (let r = -1; r < FLEET_ROUNDS; r++) {
    for (const name of FLEET_VARIANTS) {
      const ms = await time(() => variants[name](names(name, r)))
      if (r >= 0) runs[name].push(ms)
    }
  }
  return runs
}

/**
 * The same fleet when each exec takes a guest's round trip (the stub sleeps
 * GUEST_LATENCY before answering), as a real smolvm exec does: the host-side
 * cost above is then a small part of the wall time.
 */
const GUEST_LATENCY_S = 0.02
const fleetWithLatency = async () => {
  process.env["STUB_SMOLVM_SLEEP"] = String(GUEST_LATENCY_S)
  try {
    const runs = { raw: new Array<number>(), provision: new Array<number>() }
    for (let r = 0; r < 3; r++) {
      const targets = (kind: string) => Array.from({ length: FLEET_SIZE }, (_, i) => `latency-${kind}-r${r}-${i}`)
      runs.raw.push(await time(() => pool(targets("raw"), FLEET_CONCURRENCY, rawExec)))
      runs.provision.push(
        await time(() =>
          runtime.runPromise(
            Effect.forEach(targets("provision"), registered, { concurrency: FLEET_CONCURRENCY, discard: true })
          )
        )
      )
    }
    return runs
  } finally {
    delete process.env["STUB_SMOLVM_SLEEP"]
  }
}

/**
 * Execs per scenario, counted twice: by the outcome's `execs` field and by
 * the stub, which records every call it receives; and the Claude Code starts
 * the outcome reports (the stub marks its steps as the guest scripts do).
 */
const scenarios = async () => {
  const target = "scenario-1"
  const log = path.join(scratch, "log")
  fs.mkdirSync(log)
  process.env["STUB_SMOLVM_LOG"] = log
  const stubCalls = () => fs.readdirSync(log).filter((name) => name.endsWith(".argv")).length
  const step = async (plan: SupervisePlan.SmolmachinesBottlePlan) => {
    const before = stubCalls()
    const outcome = await runtime.runPromise(ProvisionSupervise.provisionSupervise(plan, target))
    return {
      outcome: outcome._tag,
      execs: outcome._tag === "Skipped" ? 0 : outcome.execs,
      cliStarts: outcome._tag === "Skipped" || outcome._tag === "Failed" ? 0 : outcome.cliStarts,
      stubExecs: stubCalls() - before
    }
  }
  try {
    const first = await step(planA)
    const sameUrl = await step(planA)
    const changedUrl = await step(planB)
    return { first, sameUrl, changedUrl }
  } finally {
    delete process.env["STUB_SMOLVM_LOG"]
  }
}

const main = async () => {
  const startedAt = new Date()
  const loadBefore = os.loadavg()
  sampleLoad()
  const t0 = performance.now()
  await runtime.runPromise(Effect.void)

  const exec = await perExec()
  const fleetRuns = await fleet()
  const latencyRuns = await fleetWithLatency()
  const memory = await inMemory()
  const scenario = await scenarios()
  sampleLoad()
  const totalSeconds = (performance.now() - t0) / 1000

  const m = (v: Variant) => median(exec.samples[v])
  const overPlain = m("exec") - m("plain")
  const overRaw = m("exec") - m("raw")
  const fleetMedian = (v: FleetVariant) => median(fleetRuns[v])

  const scenarioMet = (["first", "sameUrl", "changedUrl"] as const).every((k) => {
    const want = TARGETS.scenarios[k]
    const got = scenario[k]
    return got.outcome === want.outcome && got.execs === want.execs && got.stubExecs === want.execs &&
      got.cliStarts === want.cliStarts
  })
  const met = {
    libraryOverPlain: overPlain <= TARGETS.libraryOverPlainMs,
    overRaw: overRaw <= TARGETS.overRawMs,
    scenarios: scenarioMet
  }

  const variantRecord = <A>(f: (v: Variant) => A): Record<Variant, A> => ({
    raw: f("raw"),
    exec: f("exec"),
    provision: f("provision"),
    plain: f("plain"),
    stdin: f("stdin"),
    direct: f("direct")
  })
  const results = {
    date: startedAt.toISOString(),
    machine: Results.machineDuringRun(loadBefore, loadSamples, 5),
    settings: {
      iterations: ITERATIONS,
      warmup: WARMUP,
      fleet: { size: FLEET_SIZE, concurrency: FLEET_CONCURRENCY, rounds: FLEET_ROUNDS },
      stub: "bench/smolvm-stub.sh (/bin/sh, no forks)",
      argv:
        "the ensure step as the agent (Guest.ensureArgv, user node, token as --secret-env), a fresh machine each exec",
      launcherStdin
    },
    perExec: {
      wallMs: variantRecord((v) => summary(exec.samples[v])),
      processCpuMedianMs: variantRecord((v) => round(median(exec.cpuMs[v]))),
      minorPageFaultsMedian: variantRecord((v) => median(exec.pageFaults[v])),
      libraryOverPlainMedianMs: round(overPlain),
      overRawMedianMs: round(overRaw),
      stdinStreamOverPlainMedianMs: round(m("stdin") - m("plain")),
      pairedMedianMs: exec.pairedMedianMs,
      ratioToRaw: variantRecord((v) => round(m(v) / m("raw")))
    },
    fleet: {
      wallMs: {
        raw: { median: round(fleetMedian("raw")), runs: fleetRuns.raw.map((x) => round(x, 1)) },
        exec: { median: round(fleetMedian("exec")), runs: fleetRuns.exec.map((x) => round(x, 1)) },
        provision: { median: round(fleetMedian("provision")), runs: fleetRuns.provision.map((x) => round(x, 1)) },
        plain: { median: round(fleetMedian("plain")), runs: fleetRuns.plain.map((x) => round(x, 1)) }
      },
      ratioToRaw: {
        exec: round(fleetMedian("exec") / fleetMedian("raw")),
        provision: round(fleetMedian("provision") / fleetMedian("raw")),
        plain: round(fleetMedian("plain") / fleetMedian("raw"))
      }
    },
    fleetWithGuestLatency: {
      guestLatencyMs: GUEST_LATENCY_S * 1000,
      rawMs: { median: round(median(latencyRuns.raw)), runs: latencyRuns.raw.map((x) => round(x, 1)) },
      provisionMs: {
        median: round(median(latencyRuns.provision)),
        runs: latencyRuns.provision.map((x) => round(x, 1))
      },
      ratio: round(median(latencyRuns.provision) / median(latencyRuns.raw))
    },
    inMemoryCpuPerCallUs: {
      calls: IN_MEMORY_CALLS,
      rounds: memory.plain.length,
      plain: round(median(memory.plain), 0),
      exec: round(median(memory.exec), 0),
      provision: round(median(memory.provision), 0)
    },
    execsPerScenario: scenario,
    targets: TARGETS,
    met,
    totalSeconds: round(totalSeconds, 1)
  }
  Results.write(OUT, "hostOverhead", results)

  const ok = (b: boolean) => (b ? "yes" : "**no**")
  const w = results.perExec.wallMs
  const cpuOf = results.perExec.processCpuMedianMs
  const faultsOf = results.perExec.minorPageFaultsMedian
  const ratio = results.perExec.ratioToRaw
  const cols: ReadonlyArray<Variant> = ["raw", "plain", "stdin", "exec", "provision", "direct"]
  const f = results.fleet
  const rows = [
    "| measurement | raw spawn (a) | plain Command (p) | Command + empty stdin stream (s) | Smolvm.machineExec (b) | provisionSupervise (c) | spawn in Effect.async (d) |",
    "|---|---|---|---|---|---|---|",
    `| per exec, median (p10–p90) | ${cols.map((v) => fmt(w[v])).join(" | ")} |`,
    `| per exec, ratio to raw | ${cols.map((v) => ratio[v].toFixed(2)).join(" | ")} |`,
    `| per exec, this process's CPU (user + system), median | ${cols.map((v) => `${cpuOf[v]} ms`).join(" | ")} |`,
    `| per exec, minor page faults in this process, median | ${cols.map((v) => faultsOf[v]).join(" | ")} |`,
    `| fleet of ${FLEET_SIZE} at concurrency ${FLEET_CONCURRENCY}, median wall (ratio to raw) | ${
      round(f.wallMs.raw.median, 1)
    } ms (1.00) | ${round(f.wallMs.plain.median, 1)} ms (${f.ratioToRaw.plain.toFixed(2)}) | | ${
      round(f.wallMs.exec.median, 1)
    } ms (${f.ratioToRaw.exec.toFixed(2)}) | ${round(f.wallMs.provision.median, 1)} ms (${
      f.ratioToRaw.provision.toFixed(2)
    }) | |`,
    `| same fleet, each exec a ${
      GUEST_LATENCY_S * 1000
    } ms guest round trip (ratio to raw) | ${results.fleetWithGuestLatency.rawMs.median} ms (1.00) | | | | ${results.fleetWithGuestLatency.provisionMs.median} ms (${
      results.fleetWithGuestLatency.ratio.toFixed(2)
    }) | |`,
    `| no process (in-memory CommandExecutor), CPU per call, median of ${results.inMemoryCpuPerCallUs.rounds} × ${IN_MEMORY_CALLS} | | ${results.inMemoryCpuPerCallUs.plain} µs | | ${results.inMemoryCpuPerCallUs.exec} µs | ${results.inMemoryCpuPerCallUs.provision} µs | |`
  ]
  const p = exec.pairedMedianMs
  const sc = [scenario.first, scenario.sameUrl, scenario.changedUrl]
  const targetsTable = [
    "| target | result | met |",
    "|---|---|---|",
    `| the library's own work per exec, (b) − (p) at the median ≤ ${TARGETS.libraryOverPlainMs} ms | ${
      round(overPlain)
    } ms (paired: ${p.execMinusPlain} ms) | ${ok(met.libraryOverPlain)} |`,
    `| (b) − (a) per exec at the median ≤ ${TARGETS.overRawMs} ms | ${
      round(overRaw)
    } ms (paired: ${p.execMinusRaw} ms) | ${ok(met.overRaw)} |`,
    `| execs / Claude Code starts: Registered 1/1, Unchanged 1/0, Replaced 2/2 (the stub counts the execs too) | ${
      sc.map((s) => `${s.outcome} ${s.execs}/${s.cliStarts} (stub ${s.stubExecs})`).join(", ")
    } | ${ok(met.scenarios)} |`
  ]
  const load = results.machine.loadAverage1mDuringRun
  const machine =
    `${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.os}, Node ${results.machine.node}, ` +
    `load average (1 min) ${load.min}–${load.max} during the run (median ${load.median}), ${results.date}`
  console.log([
    `bottle-supervise host-overhead benchmark: ${ITERATIONS} interleaved iterations after ${WARMUP} warm-up, stub smolvm`,
    `machine: ${machine}`,
    `this process's stdin: ${launcherStdin}`,
    "",
    ...rows,
    "",
    `stdin: the empty stream over plain Command, paired median ${p.stdinMinusPlain} ms; plain Command over raw ${p.plainMinusRaw} ms`,
    "",
    ...targetsTable,
    "",
    `total ${round(totalSeconds, 1)} s; results under "hostOverhead" in ${path.relative(process.cwd(), OUT) || OUT}`
  ].join("\n"))

  await runtime.dispose()
  await inMemoryRuntime.dispose()
  fs.rmSync(scratch, { recursive: true, force: true })
  if (!(met.libraryOverPlain && met.overRaw && met.scenarios)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
