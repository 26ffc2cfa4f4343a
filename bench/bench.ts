/**
 * `npm run bench`: what the Effect layer costs per `smolvm machine exec`
 * compared with ten lines of `child_process`, how a fleet behaves, and how
 * many execs each provisioning scenario takes.
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
 * and, to tell the library's own cost from the platform's, diagnostics:
 *
 *   (f) floor:     `@effect/platform`'s CommandExecutor alone, used as the
 *                  library must use it (stdin an empty stream, stdout and
 *                  stderr drained the library's way, exit code awaited) with
 *                  nothing else around it
 *   (d) direct:    the raw spawn wrapped in one `Effect.async`, no
 *                  CommandExecutor: what the Effect runtime itself costs
 *   CPU, faults:   for every variant above, this process's CPU time and
 *                  minor page faults per exec, so that work on the main
 *                  thread can be told from waiting for the child
 *   in memory:     the CPU time per call of (f), (b) and (c) against a
 *                  CommandExecutor whose processes are in memory and exit at
 *                  once: the fixed cost of the `Process` interface and of the
 *                  library, with no process spawned
 *
 * Writes bench/results.json (or the path in BENCH_OUT).
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
import * as Redacted from "effect/Redacted"
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
import * as Sandbox from "../src/Sandbox.js"
import * as Smolvm from "../src/Smolvm.js"
import * as SupervisePlan from "../src/SupervisePlan.js"

const ITERATIONS = Number(process.env["BENCH_ITERATIONS"] ?? 200)
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 30)
const FLEET_SIZE = 64
const FLEET_CONCURRENCY = 8
const FLEET_ROUNDS = Number(process.env["BENCH_FLEET_ROUNDS"] ?? 11)
const IN_MEMORY_CALLS = Number(process.env["BENCH_IN_MEMORY_CALLS"] ?? 1000)
const OUTPUT_LIMIT = 1 << 20
const TARGETS = { overheadMs: 2, fleetRatio: 1.25, execs: { first: 1, sameUrl: 2, changedUrl: 3 } } as const

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

const token = "bench-token-0123456789abcdef"
const decodePlan = (url: string) =>
  Effect.runSync(SupervisePlan.decode({ supervisePlan: { agentUrl: url, token } }))
const planA = decodePlan("http://127.0.0.1:4318/")
const planB = decodePlan("http://127.0.0.1:4319/")
const supervise = planA.supervisePlan
if (supervise === undefined) throw new Error("the bench plan has no supervisePlan")
const addArgv = Guest.addArgv(planA.agent, supervise)
const execOptions: Smolvm.ExecOptions = {
  secretEnv: { [Guest.TOKEN_VAR]: Redacted.make(token) },
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
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }))
    child.stdin.end()
  })

/** (d): the same spawn inside one `Effect.async`, interrupted by SIGKILL. */
const directSpawn = (target: string): Effect.Effect<void, Error> =>
  Effect.async<void, Error>((resume) => {
    const prepared = prepare(target, addArgv, execOptions)
    if (prepared._tag === "Left") return resume(Effect.fail(prepared.left))
    const child = spawn(STUB, prepared.right.args, {
      env: { ...process.env, ...prepared.right.env },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true
    })
    const err: Array<Buffer> = []
    child.stdout.on("data", () => undefined)
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", (error) => resume(Effect.fail(error)))
    child.on("close", (code) =>
      resume(
        code === 0 ? Effect.void : Effect.fail(new Error(`direct exec on ${target} exited ${code}: ${Buffer.concat(err)}`))
      ))
    child.stdin.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** The exact command line `machineExec` would run for `target`. */
const rawAdd = async (target: string): Promise<void> => {
  const prepared = prepare(target, addArgv, execOptions)
  if (prepared._tag === "Left") throw prepared.left
  const result = await rawSpawn(prepared.right.args, prepared.right.env)
  if (result.code !== 0) throw new Error(`raw exec on ${target} exited ${result.code}: ${result.stderr}`)
}

// -----------------------------------------------------------------------------
// (b), (c) the library, on one runtime built once
// -----------------------------------------------------------------------------

// Launchers bring their own logger; the library's log calls still run, their
// output goes nowhere, so the terminal's speed is not measured.
const runtime = ManagedRuntime.make(
  Layer.mergeAll(
    Smolvm.layerWith({ binary: STUB }).pipe(Layer.provideMerge(NodeContext.layer)),
    Logger.replace(Logger.defaultLogger, Logger.none)
  )
)

const floorExec = (target: string) =>
  Effect.gen(function*() {
    const executor = yield* CommandExecutor.CommandExecutor
    const prepared = prepare(target, addArgv, execOptions)
    if (prepared._tag === "Left") return yield* Effect.die(prepared.left)
    const command = Command.make(STUB, ...prepared.right.args).pipe(
      Command.env(prepared.right.env),
      Command.stdin(Stream.empty)
    )
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
    if (code !== 0) return yield* Effect.die(new Error(`floor exec on ${target} exited ${code}`))
  }).pipe(Effect.orDie)

const libraryFloor = (target: string): Promise<void> => runtime.runPromise(floorExec(target))

const direct = (target: string): Promise<void> => runtime.runPromise(directSpawn(target))

// -----------------------------------------------------------------------------
// In memory: no process at all
// -----------------------------------------------------------------------------

/**
 * Process ids above Linux's PID_MAX_LIMIT (2^22) never exist, so the library's
 * reap of the process group finds nothing and signals nothing.
 */
let nextPid = 2 ** 22 + 1
const addOutput = new TextEncoder().encode("Added HTTP MCP server supervise with URL: http://127.0.0.1:4318/ to user config\n")
const inMemoryProcess = (): CommandExecutor.Process => ({
  [CommandExecutor.ProcessTypeId]: CommandExecutor.ProcessTypeId,
  pid: CommandExecutor.ProcessId(nextPid++),
  exitCode: Effect.succeed(CommandExecutor.ExitCode(0)),
  isRunning: Effect.succeed(false),
  kill: () => Effect.void,
  stdin: Sink.drain,
  stdout: Stream.make(addOutput),
  stderr: Stream.empty,
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
  f: (target: string) => Effect.Effect<unknown, unknown, Smolvm.Smolvm | Sandbox.Sandbox | CommandExecutor.CommandExecutor>
): Promise<number> => {
  const targets = Array.from({ length: IN_MEMORY_CALLS }, (_, i) => `memory-${kind}-${i}`)
  const before = process.cpuUsage()
  await inMemoryRuntime.runPromise(Effect.forEach(targets, f, { concurrency: FLEET_CONCURRENCY, discard: true }))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / IN_MEMORY_CALLS
}

const inMemory = async () => {
  const variants = [
    ["floor", floorExec],
    ["exec", (target: string) => Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, addArgv, execOptions))],
    ["provision", (target: string) => ProvisionSupervise.provisionSupervise(planA, target)]
  ] as const
  const samples = { floor: new Array<number>(), exec: new Array<number>(), provision: new Array<number>() }
  for (let round = -1; round < 5; round++) {
    // The order turns each round, so the garbage one variant leaves is not always collected during the same next one.
    for (let k = 0; k < variants.length; k++) {
      const [name, f] = variants[(k + round + 1) % variants.length]!
      const us = await inMemoryCpu(`${name}-r${round + 1}`, f)
      if (round >= 0) samples[name].push(us)
    }
  }
  return samples
}

const libraryExec = (target: string): Promise<void> =>
  runtime.runPromise(
    Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, addArgv, execOptions)).pipe(Effect.asVoid)
  )

const provision = (plan: SupervisePlan.SmolmachinesBottlePlan, target: string) =>
  runtime.runPromise(ProvisionSupervise.provisionSupervise(plan, target))

const libraryProvision = async (target: string): Promise<void> => {
  const outcome = await provision(planA, target)
  if (outcome._tag !== "Registered") throw new Error(`provision on ${target}: ${outcome._tag}`)
}

// -----------------------------------------------------------------------------
// Statistics
// -----------------------------------------------------------------------------

const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = sorted(xs)
  if (s.length === 0) return Number.NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo)
}
const median = (xs: ReadonlyArray<number>) => quantile(xs, 0.5)
const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
const round = (x: number, digits = 2) => Number(x.toFixed(digits))

const time = async (f: () => Promise<void>): Promise<number> => {
  const start = performance.now()
  await f()
  return performance.now() - start
}

const summary = (xs: ReadonlyArray<number>) => ({
  medianMs: round(median(xs)),
  p10Ms: round(quantile(xs, 0.1)),
  p90Ms: round(quantile(xs, 0.9)),
  meanMs: round(mean(xs)),
  samples: xs.length
})

// -----------------------------------------------------------------------------
// Runs
// -----------------------------------------------------------------------------

const perExec = async () => {
  const variants = [
    ["raw", rawAdd],
    ["exec", libraryExec],
    ["provision", libraryProvision],
    ["floor", libraryFloor],
    ["direct", direct]
  ] as const
  const empty = (): Record<(typeof variants)[number][0], Array<number>> => ({
    raw: [],
    exec: [],
    provision: [],
    floor: [],
    direct: []
  })
  const samples = empty()
  // What this process spent on each exec: wall time alone cannot tell work in
  // this process from waiting for the child.
  const cpuMs = empty()
  const pageFaults = empty()
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [name, run] of variants) {
      const before = process.resourceUsage()
      const ms = await time(() => run(`${name}-${i}`))
      const after = process.resourceUsage()
      if (i >= WARMUP) {
        samples[name].push(ms)
        cpuMs[name].push((after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000)
        pageFaults[name].push(after.minorPageFault - before.minorPageFault)
      }
    }
  }
  const paired = samples.exec.map((b, i) => b - (samples.raw[i] ?? Number.NaN))
  return { samples, cpuMs, pageFaults, pairedOverheadMedianMs: round(median(paired)) }
}

const pool = async (items: ReadonlyArray<string>, concurrency: number, f: (item: string) => Promise<void>) => {
  let next = 0
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await f(item)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

const fleet = async () => {
  const runs = {
    raw: new Array<number>(),
    floor: new Array<number>(),
    exec: new Array<number>(),
    provision: new Array<number>(),
    direct: new Array<number>()
  }
  const names = (kind: string, round: number) => Array.from({ length: FLEET_SIZE }, (_, i) => `fleet-${kind}-r${round + 1}-${i}`)
  const concurrently = <A, E>(targets: ReadonlyArray<string>, f: (target: string) => Effect.Effect<A, E, Smolvm.Smolvm | Sandbox.Sandbox | CommandExecutor.CommandExecutor>) =>
    runtime.runPromise(Effect.forEach(targets, f, { concurrency: FLEET_CONCURRENCY }))
  const variants: ReadonlyArray<readonly [keyof typeof runs, (targets: ReadonlyArray<string>) => Promise<void>]> = [
    ["raw", (targets) => pool(targets, FLEET_CONCURRENCY, rawAdd)],
    ["provision", async (targets) => {
      const outcomes = await concurrently(targets, (target) => ProvisionSupervise.provisionSupervise(planA, target))
      const bad = outcomes.find((o) => o._tag !== "Registered")
      if (bad !== undefined) throw new Error(`fleet outcome ${bad._tag}`)
    }],
    ["exec", async (targets) => {
      await concurrently(targets, (target) => Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, addArgv, execOptions)))
    }],
    ["floor", async (targets) => {
      await concurrently(targets, floorExec)
    }],
    ["direct", async (targets) => {
      await concurrently(targets, directSpawn)
    }]
  ]
  // One unmeasured round to warm up.
  for (let r = -1; r < FLEET_ROUNDS; r++) {
    for (const [name, run] of variants) {
      const ms = await time(() => run(names(name, r)))
      if (r >= 0) runs[name].push(ms)
    }
  }
  return runs
}

/**
 * The same fleet when each exec takes a guest's round trip (the stub sleeps
 * GUEST_LATENCY before answering), as a real smolvm exec does: the host-side
 * cost above is then a small part of the wall time. Reported beside the
 * target, not instead of it.
 */
const GUEST_LATENCY_S = 0.02
const fleetWithLatency = async () => {
  process.env["STUB_SMOLVM_SLEEP"] = String(GUEST_LATENCY_S)
  try {
    const runs = { raw: new Array<number>(), provision: new Array<number>() }
    for (let r = 0; r < 3; r++) {
      const targets = (kind: string) => Array.from({ length: FLEET_SIZE }, (_, i) => `latency-${kind}-r${r}-${i}`)
      runs.raw.push(await time(() => pool(targets("raw"), FLEET_CONCURRENCY, rawAdd)))
      runs.provision.push(
        await time(() =>
          runtime.runPromise(
            Effect.forEach(targets("provision"), (t) => ProvisionSupervise.provisionSupervise(planA, t), {
              concurrency: FLEET_CONCURRENCY,
              discard: true
            })
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
 * the stub, which records every call it receives.
 */
const scenarios = async () => {
  const target = "scenario-1"
  const log = path.join(scratch, "log")
  fs.mkdirSync(log)
  process.env["STUB_SMOLVM_LOG"] = log
  const stubCalls = () => fs.readdirSync(log).filter((name) => name.endsWith(".argv")).length
  const step = async (plan: SupervisePlan.SmolmachinesBottlePlan) => {
    const before = stubCalls()
    const outcome = await provision(plan, target)
    return {
      outcome: outcome._tag,
      execs: outcome._tag === "Skipped" ? 0 : outcome.execs,
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
  const t0 = performance.now()
  await runtime.runPromise(Effect.void)

  const exec = await perExec()
  const fleetRuns = await fleet()
  const latencyRuns = await fleetWithLatency()
  const memory = await inMemory()
  const scenario = await scenarios()
  const totalSeconds = (performance.now() - t0) / 1000

  const a = median(exec.samples.raw)
  const b = median(exec.samples.exec)
  const c = median(exec.samples.provision)
  const f = median(exec.samples.floor)
  const fleetRaw = median(fleetRuns.raw)
  const fleetLib = median(fleetRuns.provision)
  const fleetExec = median(fleetRuns.exec)
  const fleetFloor = median(fleetRuns.floor)
  const fleetDirect = median(fleetRuns.direct)
  const d = median(exec.samples.direct)
  const overhead = b - a
  // The fleet is bound by the main thread, so a variant's wall time is raw's plus its extra
  // main-thread work per exec times the fleet size: this is what each exec may add at the target.
  const budgetUs = ((TARGETS.fleetRatio - 1) * fleetRaw * 1000) / FLEET_SIZE
  const fleetRatio = fleetLib / fleetRaw

  const met = {
    overhead: overhead <= TARGETS.overheadMs,
    fleet: fleetRatio <= TARGETS.fleetRatio,
    execs: Object.values(scenario).every((s) => s.execs === s.stubExecs) &&
      scenario.first.execs === TARGETS.execs.first &&
      scenario.sameUrl.execs <= TARGETS.execs.sameUrl &&
      scenario.changedUrl.execs <= TARGETS.execs.changedUrl
  }

  const cpus = os.cpus()
  const results = {
    date: startedAt.toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? "unknown",
      cores: cpus.length,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadAverageBefore: loadBefore.map((x) => round(x)),
      loadAverageAfter: os.loadavg().map((x) => round(x))
    },
    settings: {
      iterations: ITERATIONS,
      warmup: WARMUP,
      fleet: { size: FLEET_SIZE, concurrency: FLEET_CONCURRENCY, rounds: FLEET_ROUNDS },
      stub: "bench/smolvm-stub.sh (/bin/sh, no forks)"
    },
    perExec: {
      raw: summary(exec.samples.raw),
      exec: summary(exec.samples.exec),
      provision: summary(exec.samples.provision),
      executorFloor: summary(exec.samples.floor),
      direct: summary(exec.samples.direct),
      overheadMedianMs: round(overhead),
      pairedOverheadMedianMs: exec.pairedOverheadMedianMs,
      ratioExecToRaw: round(b / a),
      ratioProvisionToRaw: round(c / a),
      ratioFloorToRaw: round(f / a),
      ratioDirectToRaw: round(d / a),
      processCpuMedianMs: {
        raw: round(median(exec.cpuMs.raw)),
        exec: round(median(exec.cpuMs.exec)),
        provision: round(median(exec.cpuMs.provision)),
        executorFloor: round(median(exec.cpuMs.floor)),
        direct: round(median(exec.cpuMs.direct))
      },
      minorPageFaultsMedian: {
        raw: median(exec.pageFaults.raw),
        exec: median(exec.pageFaults.exec),
        provision: median(exec.pageFaults.provision),
        executorFloor: median(exec.pageFaults.floor),
        direct: median(exec.pageFaults.direct)
      }
    },
    fleet: {
      rawMs: { median: round(median(fleetRuns.raw)), runs: fleetRuns.raw.map((x) => round(x, 1)) },
      provisionMs: { median: round(fleetLib), runs: fleetRuns.provision.map((x) => round(x, 1)) },
      execMs: { median: round(fleetExec), runs: fleetRuns.exec.map((x) => round(x, 1)) },
      executorFloorMs: { median: round(fleetFloor), runs: fleetRuns.floor.map((x) => round(x, 1)) },
      ratio: round(fleetRatio),
      ratioExecToRaw: round(fleetExec / fleetRaw),
      directMs: { median: round(fleetDirect), runs: fleetRuns.direct.map((x) => round(x, 1)) },
      ratioFloorToRaw: round(fleetFloor / fleetRaw),
      ratioDirectToRaw: round(fleetDirect / fleetRaw)
    },
    inMemoryCpuPerCallUs: {
      calls: IN_MEMORY_CALLS,
      rounds: memory.floor.length,
      executorFloor: round(median(memory.floor), 0),
      exec: round(median(memory.exec), 0),
      provision: round(median(memory.provision), 0),
      fleetBudgetPerExecAtTarget: round(budgetUs, 0)
    },
    fleetWithGuestLatency: {
      guestLatencyMs: GUEST_LATENCY_S * 1000,
      rawMs: { median: round(median(latencyRuns.raw)), runs: latencyRuns.raw.map((x) => round(x, 1)) },
      provisionMs: { median: round(median(latencyRuns.provision)), runs: latencyRuns.provision.map((x) => round(x, 1)) },
      ratio: round(median(latencyRuns.provision) / median(latencyRuns.raw))
    },
    execsPerScenario: scenario,
    targets: TARGETS,
    met,
    totalSeconds: round(totalSeconds, 1)
  }
  fs.writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`)

  const ok = (b: boolean) => (b ? "yes" : "NO")
  const spread = (x: ReturnType<typeof summary>) => `${x.medianMs} ms (${x.p10Ms}–${x.p90Ms})`
  const cpuOf = results.perExec.processCpuMedianMs
  const faultsOf = results.perExec.minorPageFaultsMedian
  const rows = [
    "| measurement | raw spawn (a) | Smolvm.machineExec (b) | provisionSupervise (c) | CommandExecutor alone (floor) | spawn in Effect.async (direct) |",
    "|---|---|---|---|---|---|",
    `| per exec, median (p10–p90) | ${spread(results.perExec.raw)} | ${spread(results.perExec.exec)} | ${
      spread(results.perExec.provision)
    } | ${spread(results.perExec.executorFloor)} | ${spread(results.perExec.direct)} |`,
    `| per exec, ratio to raw | 1.00 | ${round(b / a)} | ${round(c / a)} | ${round(f / a)} | ${round(d / a)} |`,
    `| per exec, this process's CPU (user + system), median | ${
      [cpuOf.raw, cpuOf.exec, cpuOf.provision, cpuOf.executorFloor, cpuOf.direct].map((x) => `${x} ms`).join(" | ")
    } |`,
    `| per exec, minor page faults in this process, median | ${
      [faultsOf.raw, faultsOf.exec, faultsOf.provision, faultsOf.executorFloor, faultsOf.direct].join(" | ")
    } |`,
    `| fleet of ${FLEET_SIZE} at concurrency ${FLEET_CONCURRENCY}, median wall | ${round(fleetRaw, 1)} ms | ${
      round(fleetExec, 1)
    } ms | ${round(fleetLib, 1)} ms | ${round(fleetFloor, 1)} ms | ${round(fleetDirect, 1)} ms |`,
    `| fleet, ratio to raw | 1.00 | ${round(fleetExec / fleetRaw)} | ${round(fleetRatio)} | ${round(fleetFloor / fleetRaw)} | ${
      round(fleetDirect / fleetRaw)
    } |`,
    `| fleet with ${GUEST_LATENCY_S * 1000} ms guest latency, median wall (ratio) | ${
      results.fleetWithGuestLatency.rawMs.median
    } ms (1.00) | | ${results.fleetWithGuestLatency.provisionMs.median} ms (${results.fleetWithGuestLatency.ratio}) | | |`
  ]
  const m = results.inMemoryCpuPerCallUs
  const memoryRows = [
    "| no process: in-memory CommandExecutor, CPU per call (median) | Smolvm.machineExec (b) | provisionSupervise (c) | CommandExecutor alone (floor) |",
    "|---|---|---|---|",
    `| ${m.rounds} rounds of ${m.calls} calls at concurrency ${FLEET_CONCURRENCY} | ${m.exec} µs | ${m.provision} µs | ${m.executorFloor} µs |`,
    "",
    `fleet budget at ${TARGETS.fleetRatio}x raw: ${m.fleetBudgetPerExecAtTarget} µs of main-thread work per exec ` +
    `(${TARGETS.fleetRatio - 1} x ${round(fleetRaw, 1)} ms / ${FLEET_SIZE})`
  ]
  const targetsTable = [
    "| target | result | met |",
    "|---|---|---|",
    `| (b) − (a) per exec at the median ≤ ${TARGETS.overheadMs} ms | ${round(overhead)} ms (paired: ${exec.pairedOverheadMedianMs} ms) | ${ok(met.overhead)} |`,
    `| fleet wall time ≤ ${TARGETS.fleetRatio}x raw | ${round(fleetRatio)}x | ${ok(met.fleet)} |`,
    `| execs: first registration / same-URL re-run / changed URL = 1 / ≤2 / ≤3 (outcome's count = stub's count) | ${
      [scenario.first, scenario.sameUrl, scenario.changedUrl].map((s) => `${s.execs} (${s.outcome}, stub saw ${s.stubExecs})`).join(" / ")
    } | ${ok(met.execs)} |`
  ]
  const machine = `${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.os}, Node ${results.machine.node}, ` +
    `load average ${results.machine.loadAverageBefore.join(" ")} before / ${results.machine.loadAverageAfter.join(" ")} after, ${results.date}`
  console.log([
    `bottle-supervise benchmark: ${ITERATIONS} interleaved iterations after ${WARMUP} warm-up, stub smolvm`,
    `machine: ${machine}`,
    "",
    ...rows,
    "",
    ...memoryRows,
    "",
    ...targetsTable,
    "",
    `total ${round(totalSeconds, 1)} s; results in ${path.relative(process.cwd(), OUT) || OUT}`
  ].join("\n"))

  await runtime.dispose()
  await inMemoryRuntime.dispose()
  fs.rmSync(scratch, { recursive: true, force: true })
  if (!(met.overhead && met.fleet && met.execs)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
