/**
 * `npm run bench:e2e`: what a registration costs a launcher end to end, with
 * the real pinned `claude` (node_modules/.bin/claude, 2.1.330) doing the
 * writes, beside the seed's recipe run through the same exec.
 *
 * Backends (each gets its own table and targets):
 *
 *   stand-in  `Smolvm.layerWith` over test/fixtures/smolvm-standin.mjs, which
 *             takes `smolvm machine exec` command lines and runs the command
 *             on this host (a throwaway guest home per bottle). As root, exec
 *             lands as root and switches to `node` (a bare VM); otherwise it
 *             lands as the current user (an image with `USER`).
 *   docker    `Docker.layerWith` over the private engine
 *             (DOCKER_HOST, else /run/bottle-supervise-docker/docker.sock),
 *             image bottle-supervise-test:root, when that engine answers: a
 *             bottle is a fresh agent home in a running container (one
 *             container for the rounds, 16 for the fleets; removed at the end).
 *
 * Variants, per backend, interleaved round by round (the seed's recipe before
 * the library's sequence on even rounds, after it on odd ones):
 *
 *   seed        the seed's recipe (../shared/seed/provision_supervise.py): one
 *               `runuser -u node -- env HOME=… claude mcp add --scope user
 *               --transport http supervise URL --header …` through the same
 *               layer's `exec` (stand-in as root), or a direct
 *               `env HOME=… claude mcp add …` where exec lands as the agent
 *               (docker's `-u node`, the stand-in as an ordinary user), on a
 *               fresh bottle: the floor a registration cannot beat.
 *   floor       `true` as the agent through the same exec: the client's own
 *               round trip, which no exec (an Unchanged relaunch included) beats
 *   Registered  `provisionSupervise` on a fresh bottle (1 exec, 1 Claude Code start)
 *   Unchanged   the same plan again, a relaunch (1 exec, no Claude Code start)
 *   Replaced    a plan with another port (2 execs, 2 Claude Code starts)
 *   verify      `verifySupervise` against the reference sidecar
 *               (examples/supervise-sidecar.ts) on loopback: Connected
 *
 * and fleets of 16 bottles at concurrency 4: the seed's recipe on 16 fresh
 * bottles, against the library relaunching 16 registered bottles with a new
 * port (16 × Replaced), alternating which goes first.
 *
 * Every figure, with the machine, the load average (sampled through the run)
 * and the date, goes under `e2e` in bench/results.json (or BENCH_OUT), next to
 * what `npm run bench` wrote. Settings: BENCH_E2E_ROUNDS, BENCH_E2E_FLEET_ROUNDS,
 * BENCH_E2E_DOCKER (`0` skips docker).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import * as Sidecar from "../examples/supervise-sidecar.js"
import * as Docker from "../src/Docker.js"
import * as ProvisionSupervise from "../src/ProvisionSupervise.js"
import * as Sandbox from "../src/Sandbox.js"
import * as Smolvm from "../src/Smolvm.js"
import * as SupervisePlan from "../src/SupervisePlan.js"
import { currentUser, type HostUser, isRoot, lookupUser, STANDIN } from "../test/support/standin.js"
import * as Results from "./results.js"
import { fmt, quantile, round, type Summary, summary } from "./stats.js"

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback)
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback
}

/**
 * Rounds per backend. On this 2-core machine, quiet, a round is about 2 s (the
 * seed's recipe 0.3 s, the floor 0.1, Registered 0.3, Unchanged 0.1, Replaced
 * 0.6, verify 0.4) and a fleet round about 9 s (48 Claude Code starts on two
 * cores); the 16 bottles' first registration adds 3 s and the containers a few
 * more. 21 rounds give p10 and p90 from the 3rd and 19th of 21 samples; 5 fleet
 * rounds a median of 5 with each side first in turn: about 100 s a backend,
 * 3.5 minutes for both, under the 5 minutes the run may take with some load.
 */
const ROUNDS = env("BENCH_E2E_ROUNDS", 21)
const WARMUP_ROUNDS = 1
const FLEET_ROUNDS = env("BENCH_E2E_FLEET_ROUNDS", 5)
const FLEET_SIZE = 16
const FLEET_CONCURRENCY = 4
const TARGETS = { registered: 1.1, unchanged: 0.2, replaced: 2.2, fleet: 2.2 } as const
/** What each outcome must cost, by the design. */
const EXPECTED = {
  Registered: { execs: 1, cliStarts: 1 },
  Unchanged: { execs: 1, cliStarts: 0 },
  Replaced: { execs: 2, cliStarts: 2 }
} as const

const here = path.dirname(new URL(import.meta.url).pathname)
const OUT = process.env["BENCH_OUT"] ?? path.join(here, "results.json")
const TOKEN = `bench-e2e-${randomBytes(12).toString("hex")}`
const SERVER = "supervise"

// -----------------------------------------------------------------------------
// The load average, sampled through the run: other work on a 2-core machine
// moves every figure.
// -----------------------------------------------------------------------------

const loadSamples: Array<number> = []
const sampleLoad = () => loadSamples.push(os.loadavg()[0] ?? Number.NaN)
const loadTimer = setInterval(sampleLoad, 5000)
loadTimer.unref()

// -----------------------------------------------------------------------------
// Backends
// -----------------------------------------------------------------------------

/** A bottle: where the agent's home is, and the name the backend knows it by. */
interface Bottle {
  readonly target: string
  readonly home: string
}

interface Backend {
  readonly name: "stand-in" | "docker"
  readonly describe: string
  readonly runtime: ManagedRuntime.ManagedRuntime<Sandbox.Sandbox, never>
  readonly agent: string
  /** Fresh bottles (empty agent homes), made outside any timing. */
  readonly bottles: (label: string, count: number) => ReadonlyArray<Bottle>
  /** The seed's recipe for `bottle`: its argv, and the exec's options. */
  readonly seed: (
    bottle: Bottle,
    url: string
  ) => { readonly argv: ReadonlyArray<string>; readonly options: Sandbox.ExecOptions }
  readonly seedDescription: string
  readonly cleanup: () => void
}

const quietLogger = Logger.replace(Logger.defaultLogger, Logger.none)

const addArgv = (home: string, url: string): ReadonlyArray<string> => [
  "env",
  `HOME=${home}`,
  "claude",
  "mcp",
  "add",
  "--scope",
  "user",
  "--transport",
  "http",
  SERVER,
  url,
  "--header",
  `Authorization: Bearer ${TOKEN}`
]

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Stand-in bottles share one state directory and one `smolvm` wrapper, as a
 * launcher's bottles share one smolvm binary and one layer.
 */
const standinBackend = (): Backend => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-e2e-"))
  fs.chmodSync(root, 0o755)
  const state = path.join(root, "state")
  const homes = path.join(root, "homes")
  fs.mkdirSync(state, { mode: 0o700 })
  fs.mkdirSync(homes, { mode: 0o755 })
  const binary = path.join(root, "smolvm")
  fs.writeFileSync(
    binary,
    [
      "#!/bin/sh",
      `SMOLVM_STANDIN_STATE=${shellQuote(state)}`,
      "export SMOLVM_STANDIN_STATE",
      `exec ${shellQuote(process.execPath)} ${shellQuote(STANDIN)} "$@"`,
      ""
    ].join("\n"),
    { mode: 0o755 }
  )
  const node = lookupUser("node")
  const landsAsRoot = isRoot() && node !== undefined
  const agent: HostUser = landsAsRoot ? node : currentUser()
  let serial = 0
  const bottles = (label: string, count: number): ReadonlyArray<Bottle> =>
    Array.from({ length: count }, () => {
      const target = `${label}-${++serial}`
      const home = path.join(homes, target)
      fs.mkdirSync(home, { mode: 0o700 })
      if (agent.uid !== process.getuid?.()) fs.chownSync(home, agent.uid, agent.gid)
      fs.writeFileSync(
        path.join(state, `${target}.json`),
        JSON.stringify({ running: true, execAs: landsAsRoot ? "root" : null })
      )
      return { target, home }
    })
  return {
    name: "stand-in",
    describe: `smolvm stand-in (test/fixtures/smolvm-standin.mjs) through Smolvm.layerWith; exec lands as ${
      landsAsRoot ? "root and switches to node" : `${agent.name} (the agent)`
    }`,
    runtime: ManagedRuntime.make(
      Layer.mergeAll(Smolvm.layerWith({ binary }).pipe(Layer.provide(NodeContext.layer)), quietLogger)
    ),
    agent: agent.name,
    bottles,
    seed: (bottle, url) =>
      landsAsRoot
        ? { argv: ["runuser", "-u", agent.name, "--", ...addArgv(bottle.home, url)], options: {} }
        : { argv: addArgv(bottle.home, url), options: {} },
    seedDescription: landsAsRoot ? "runuser -u node -- env HOME=… claude mcp add …" : "env HOME=… claude mcp add …",
    cleanup: () => fs.rmSync(root, { recursive: true, force: true })
  }
}

const DOCKER_SOCKET = "/run/bottle-supervise-docker/docker.sock"
const DOCKER_IMAGE = "bottle-supervise-test:root"
const DOCKER_LABEL = "bottle-supervise-bench=1"

const docker = (args: ReadonlyArray<string>, timeoutMs = 60_000) => {
  const ran = spawnSync("docker", args, {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"]
  })
  return {
    ok: ran.error === undefined && ran.status === 0,
    stdout: ran.stdout ?? "",
    stderr: `${ran.stderr ?? ""}${ran.error?.message ?? ""}`
  }
}

/** Why docker cannot be benched here, or undefined when it can. */
const dockerUnavailable = (): string | undefined => {
  if (process.env["BENCH_E2E_DOCKER"] === "0") return "BENCH_E2E_DOCKER=0"
  if ((process.env["DOCKER_HOST"] ?? "") === "") {
    if (!fs.existsSync(DOCKER_SOCKET)) return `DOCKER_HOST is unset and ${DOCKER_SOCKET} does not exist`
    process.env["DOCKER_HOST"] = `unix://${DOCKER_SOCKET}`
  }
  const info = docker(["info", "--format", "{{.ServerVersion}}"], 5000)
  if (!info.ok) return `the engine at ${process.env["DOCKER_HOST"]} does not answer: ${info.stderr.trim()}`
  if (!docker(["image", "inspect", DOCKER_IMAGE], 10_000).ok) {
    return `image ${DOCKER_IMAGE} is missing (test/docker/build-images.sh)`
  }
  return undefined
}

/**
 * Docker bottles: one container for the per-outcome rounds, each round's
 * bottles a fresh agent home in it; fleets run on a pool of 16 containers of
 * their own (provisionings of one container run one at a time), each fleet a
 * fresh home in every container.
 */
const dockerBackend = (): Backend => {
  const containers: Array<string> = []
  const start = (): string => {
    const name = `bs-bench-${randomBytes(5).toString("hex")}`
    const ran = docker([
      "run",
      "--detach",
      "--init",
      "--network",
      "host",
      "--label",
      DOCKER_LABEL,
      "--label",
      "bottle-supervise-test=1",
      "--name",
      name,
      DOCKER_IMAGE,
      "sleep",
      "infinity"
    ])
    if (!ran.ok) throw new Error(`docker run: ${ran.stderr.trim()}`)
    containers.push(name)
    return name
  }
  const shared = start()
  const pool: Array<string> = []
  let serial = 0
  const homeIn = (container: string, label: string): Bottle => {
    const home = `/home/node/bench/${label}-${++serial}`
    const ran = docker([
      "exec",
      "-u",
      "0",
      container,
      "sh",
      "-c",
      "mkdir -p -- \"$1\" && chown node:node /home/node/bench \"$1\" && chmod 700 \"$1\"",
      "sh",
      home
    ])
    if (!ran.ok) throw new Error(`making ${home} in ${container}: ${ran.stderr.trim()}`)
    return { target: container, home }
  }
  const bottles = (label: string, count: number): ReadonlyArray<Bottle> => {
    if (count === 1) return [homeIn(shared, label)]
    while (pool.length < count) pool.push(start())
    return pool.slice(0, count).map((container) => homeIn(container, label))
  }
  return {
    name: "docker",
    describe: `docker ${
      docker(["version", "--format", "{{.Server.Version}}"]).stdout.trim()
    } through Docker.layerWith, image ${DOCKER_IMAGE} (exec as -u node)`,
    runtime: ManagedRuntime.make(
      Layer.mergeAll(Docker.layerWith({ binary: "docker" }).pipe(Layer.provide(NodeContext.layer)), quietLogger)
    ),
    agent: "node",
    bottles,
    seed: (bottle, url) => ({ argv: addArgv(bottle.home, url), options: { user: "node" } }),
    seedDescription: "docker exec -u node … env HOME=… claude mcp add …",
    cleanup: () => {
      if (containers.length > 0) docker(["rm", "--force", ...containers], 120_000)
    }
  }
}

// -----------------------------------------------------------------------------
// One measurement each
// -----------------------------------------------------------------------------

const time = async <A>(f: () => Promise<A>): Promise<readonly [number, A]> => {
  const start = performance.now()
  const a = await f()
  return [performance.now() - start, a] as const
}

const planFor = (backend: Backend, bottle: Bottle, url: string) =>
  Effect.runSync(
    SupervisePlan.decode({
      supervisePlan: { agentUrl: url, token: TOKEN },
      agent: { user: backend.agent, home: bottle.home }
    })
  )

const seedOnce = (backend: Backend, bottle: Bottle, url: string) => {
  const { argv, options } = backend.seed(bottle, url)
  return backend.runtime.runPromise(
    Effect.flatMap(
      Sandbox.Sandbox,
      (sandbox) => sandbox.exec(bottle.target, argv, { timeout: "60 seconds", ...options })
    )
  )
}

/** The backend's exec floor: `true` as the agent through the same exec, the client's own round trip. */
const floorOnce = (backend: Backend, bottle: Bottle) =>
  backend.runtime.runPromise(
    Effect.flatMap(Sandbox.Sandbox, (sandbox) =>
      sandbox.exec(bottle.target, ["true"], { timeout: "60 seconds", user: backend.agent }))
  )

const provision = async (backend: Backend, bottle: Bottle, url: string, expect: keyof typeof EXPECTED) => {
  const outcome = await backend.runtime.runPromise(
    ProvisionSupervise.provisionSupervise(planFor(backend, bottle, url), bottle.target)
  )
  if (outcome._tag !== expect) {
    throw new Error(
      `${backend.name}: expected ${expect} on ${bottle.target}, got ${outcome._tag}: ${JSON.stringify(outcome)}`
    )
  }
  const wanted = EXPECTED[expect]
  if (outcome.execs !== wanted.execs || outcome.cliStarts !== wanted.cliStarts) {
    throw new Error(
      `${backend.name}: ${expect} took ${outcome.execs} execs and ${outcome.cliStarts} Claude Code starts, ` +
        `expected ${wanted.execs} and ${wanted.cliStarts}`
    )
  }
}

const verify = async (backend: Backend, bottle: Bottle, url: string) => {
  const outcome = await backend.runtime.runPromise(
    ProvisionSupervise.verifySupervise(planFor(backend, bottle, url), bottle.target)
  )
  if (outcome._tag !== "Connected") {
    throw new Error(`${backend.name}: verify gave ${outcome._tag}: ${JSON.stringify(outcome)}`)
  }
}

// -----------------------------------------------------------------------------
// Runs
// -----------------------------------------------------------------------------

const VARIANTS = ["seed", "floor", "registered", "unchanged", "replaced", "verify"] as const
type Variant = (typeof VARIANTS)[number]

const perOutcome = async (backend: Backend, urlA: string, urlB: string) => {
  const samples: Record<Variant, Array<number>> = {
    seed: [],
    floor: [],
    registered: [],
    unchanged: [],
    replaced: [],
    verify: []
  }
  for (let r = -WARMUP_ROUNDS; r < ROUNDS; r++) {
    const [seedBottle] = backend.bottles("seed", 1)
    const [bottle] = backend.bottles("lib", 1)
    if (seedBottle === undefined || bottle === undefined) throw new Error("no bottle")
    const took: Partial<Record<Variant, number>> = {}
    const seed = async () => {
      took.seed = (await time(() => seedOnce(backend, seedBottle, urlA)))[0]
    }
    if (r % 2 === 0) await seed()
    took.floor = (await time(() => floorOnce(backend, bottle)))[0]
    took.registered = (await time(() => provision(backend, bottle, urlA, "Registered")))[0]
    took.unchanged = (await time(() => provision(backend, bottle, urlA, "Unchanged")))[0]
    took.replaced = (await time(() => provision(backend, bottle, urlB, "Replaced")))[0]
    took.verify = (await time(() => verify(backend, bottle, urlB)))[0]
    if (r % 2 !== 0) await seed()
    if (r >= 0) { for (const k of VARIANTS) samples[k].push(took[k] ?? Number.NaN) }
    process.stderr.write(
      `${backend.name} round ${r + 1}/${ROUNDS}: ${
        Object.entries(took).map(([k, v]) => `${k} ${round(v ?? 0, 0)}`).join(", ")
      } ms\n`
    )
  }
  return samples
}

const fleet = async (backend: Backend) => {
  const bottles = backend.bottles("fleet", FLEET_SIZE)
  const all = <A>(items: ReadonlyArray<Bottle>, f: (bottle: Bottle) => Promise<A>) => {
    let next = 0
    const worker = async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) await f(item)
    }
    return Promise.all(Array.from({ length: FLEET_CONCURRENCY }, worker))
  }
  // Ports the sidecars would get on each relaunch; nothing needs to listen for a registration.
  const url = (round: number) => `http://127.0.0.1:${20000 + round}/`
  const [registerMs] = await time(() => all(bottles, (b) => provision(backend, b, url(0), "Registered")))
  process.stderr.write(`${backend.name} fleet: first registration of ${FLEET_SIZE} took ${round(registerMs, 0)} ms\n`)
  const runs = { seed: new Array<number>(), relaunch: new Array<number>() }
  for (let r = 0; r < FLEET_ROUNDS; r++) {
    const fresh = backend.bottles("fleetseed", FLEET_SIZE)
    const seed = async () => runs.seed.push((await time(() => all(fresh, (b) => seedOnce(backend, b, url(r + 1)))))[0])
    const relaunch = async () =>
      runs.relaunch.push((await time(() => all(bottles, (b) => provision(backend, b, url(r + 1), "Replaced"))))[0])
    if (r % 2 === 0) {
      await seed()
      await relaunch()
    } else {
      await relaunch()
      await seed()
    }
    process.stderr.write(
      `${backend.name} fleet round ${r + 1}/${FLEET_ROUNDS}: seed ${round(runs.seed.at(-1) ?? 0, 0)} ms, relaunch ${
        round(runs.relaunch.at(-1) ?? 0, 0)
      } ms\n`
    )
  }
  return { firstRegistrationMs: registerMs, ...runs }
}

// -----------------------------------------------------------------------------
// Report
// -----------------------------------------------------------------------------

interface BackendResult {
  readonly backend: string
  readonly describe: string
  readonly seedRecipe: string
  readonly perOutcome: Record<Variant, Summary & { readonly ratioToSeed: number; readonly pairedRatioMedian: number }>
  readonly fleet: {
    readonly size: number
    readonly concurrency: number
    readonly firstRegistrationMs: number
    readonly seed: Summary
    readonly relaunch: Summary & { readonly ratioToSeed: number; readonly pairedRatioMedian: number }
  }
  readonly met: Record<"registered" | "unchanged" | "replaced" | "fleet", boolean>
  readonly samplesMs: Record<Variant | "fleetSeed" | "fleetRelaunch", ReadonlyArray<number>>
}

const ratioSummary = (xs: ReadonlyArray<number>, seed: ReadonlyArray<number>) => ({
  ...summary(xs),
  ratioToSeed: round(quantile(xs, 0.5) / quantile(seed, 0.5)),
  pairedRatioMedian: round(quantile(xs.map((x, i) => x / (seed[i] ?? Number.NaN)), 0.5))
})

const measure = async (backend: Backend, urlA: string, urlB: string): Promise<BackendResult> => {
  const s = await perOutcome(backend, urlA, urlB)
  const f = await fleet(backend)
  const per = {
    seed: ratioSummary(s.seed, s.seed),
    floor: ratioSummary(s.floor, s.seed),
    registered: ratioSummary(s.registered, s.seed),
    unchanged: ratioSummary(s.unchanged, s.seed),
    replaced: ratioSummary(s.replaced, s.seed),
    verify: ratioSummary(s.verify, s.seed)
  }
  const relaunch = ratioSummary(f.relaunch, f.seed)
  return {
    backend: backend.name,
    describe: backend.describe,
    seedRecipe: backend.seedDescription,
    perOutcome: per,
    fleet: {
      size: FLEET_SIZE,
      concurrency: FLEET_CONCURRENCY,
      firstRegistrationMs: round(f.firstRegistrationMs, 1),
      seed: summary(f.seed),
      relaunch
    },
    met: {
      registered: per.registered.ratioToSeed <= TARGETS.registered,
      unchanged: per.unchanged.ratioToSeed <= TARGETS.unchanged,
      replaced: per.replaced.ratioToSeed <= TARGETS.replaced,
      fleet: relaunch.ratioToSeed <= TARGETS.fleet
    },
    samplesMs: {
      seed: s.seed.map((x) => round(x, 1)),
      floor: s.floor.map((x) => round(x, 1)),
      registered: s.registered.map((x) => round(x, 1)),
      unchanged: s.unchanged.map((x) => round(x, 1)),
      replaced: s.replaced.map((x) => round(x, 1)),
      verify: s.verify.map((x) => round(x, 1)),
      fleetSeed: f.seed.map((x) => round(x, 1)),
      fleetRelaunch: f.relaunch.map((x) => round(x, 1))
    }
  }
}

const table = (r: BackendResult): ReadonlyArray<string> => {
  const p = r.perOutcome
  const row = (name: string, execs: string, starts: string, x: BackendResult["perOutcome"][Variant]) =>
    `| ${name} | ${execs} | ${starts} | ${fmt(x)} | ${x.ratioToSeed.toFixed(2)} | ${x.pairedRatioMedian.toFixed(2)} |`
  return [
    `${r.backend}: ${r.describe}`,
    "",
    "| variant | execs | Claude Code starts | wall, median (p10–p90) | ratio to the seed's recipe | paired ratio, median |",
    "|---|---|---|---|---|---|",
    row(`the seed's recipe (\`${r.seedRecipe}\`)`, "1", "1", p.seed),
    row(`exec floor: \`true\` as the agent through the same exec`, "1", "0", p.floor),
    row("`provisionSupervise` → Registered (fresh bottle)", "1", "1", p.registered),
    row("`provisionSupervise` → Unchanged (relaunch, same plan)", "1", "0", p.unchanged),
    row("`provisionSupervise` → Replaced (new port)", "2", "2", p.replaced),
    row("`verifySupervise` → Connected", "1", "1", p.verify),
    `| fleet of ${r.fleet.size} at concurrency ${r.fleet.concurrency}: the seed's recipe on fresh bottles | ${r.fleet.size} | ${r.fleet.size} | ${
      fmt(r.fleet.seed)
    } | 1.00 | 1.00 |`,
    `| fleet of ${r.fleet.size} at concurrency ${r.fleet.concurrency}: relaunched with a new port (${r.fleet.size} × Replaced) | ${
      2 * r.fleet.size
    } | ${2 * r.fleet.size} | ${fmt(r.fleet.relaunch)} | ${r.fleet.relaunch.ratioToSeed.toFixed(2)} | ${
      r.fleet.relaunch.pairedRatioMedian.toFixed(2)
    } |`
  ]
}

const targetRows = (r: BackendResult): ReadonlyArray<string> => {
  const ok = (b: boolean) => (b ? "yes" : "**no**")
  const p = r.perOutcome
  return [
    `| ${r.backend}: Registered ≤ ${TARGETS.registered}x the seed's recipe | ${
      p.registered.ratioToSeed.toFixed(2)
    }x | ${ok(r.met.registered)} |`,
    `| ${r.backend}: Unchanged ≤ ${TARGETS.unchanged}x | ${p.unchanged.ratioToSeed.toFixed(2)}x | ${
      ok(r.met.unchanged)
    } |`,
    `| ${r.backend}: Replaced ≤ ${TARGETS.replaced}x | ${p.replaced.ratioToSeed.toFixed(2)}x | ${ok(r.met.replaced)} |`,
    `| ${r.backend}: fleet of ${r.fleet.size} relaunched with a new port ≤ ${TARGETS.fleet}x the seed's fleet | ${
      r.fleet.relaunch.ratioToSeed.toFixed(2)
    }x | ${ok(r.met.fleet)} |`
  ]
}

const main = async () => {
  const startedAt = new Date()
  const loadBefore = os.loadavg()
  sampleLoad()
  const t0 = performance.now()
  const [sidecarA, sidecarB] = await Promise.all([
    Sidecar.start({ token: TOKEN, log: () => undefined }),
    Sidecar.start({ token: TOKEN, log: () => undefined })
  ])
  const backends: Array<Backend> = [standinBackend()]
  const dockerSkipped = dockerUnavailable()
  const cleanups = () => {
    for (const b of backends) b.cleanup()
  }
  const onSignal = () => {
    cleanups()
    process.exit(130)
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  const results: Array<BackendResult> = []
  try {
    if (dockerSkipped === undefined) backends.push(dockerBackend())
    else process.stderr.write(`docker skipped: ${dockerSkipped}\n`)
    for (const backend of backends) {
      results.push(await measure(backend, sidecarA.url, sidecarB.url))
      await backend.runtime.dispose()
    }
  } finally {
    cleanups()
    await Promise.all([sidecarA.close(), sidecarB.close()])
  }
  sampleLoad()
  const totalSeconds = (performance.now() - t0) / 1000
  const record = {
    date: startedAt.toISOString(),
    machine: Results.machineDuringRun(loadBefore, loadSamples, 5),
    settings: {
      rounds: ROUNDS,
      warmupRounds: WARMUP_ROUNDS,
      fleet: { size: FLEET_SIZE, concurrency: FLEET_CONCURRENCY, rounds: FLEET_ROUNDS },
      claude: "node_modules/.bin/claude (@anthropic-ai/claude-code 2.1.330)",
      sidecar: "examples/supervise-sidecar.ts on 127.0.0.1, bearer token",
      dockerSkipped: dockerSkipped ?? null
    },
    backends: results,
    targets: TARGETS,
    totalSeconds: round(totalSeconds, 1)
  }
  Results.write(OUT, "e2e", record)

  const load = record.machine.loadAverage1mDuringRun
  console.log([
    `bottle-supervise end-to-end benchmark: ${ROUNDS} interleaved rounds per backend after ${WARMUP_ROUNDS} warm-up, ` +
    `${FLEET_ROUNDS} fleet rounds`,
    `machine: ${record.machine.cpu}, ${record.machine.cores} cores, ${record.machine.os}, Node ${record.machine.node}; ` +
    `load average (1 min) ${load.min}–${load.max} during the run (median ${load.median}), ${record.date}`,
    "",
    ...results.flatMap((r) => [...table(r), ""]),
    "| target (ratio of medians to the seed's recipe, same run) | result | met |",
    "|---|---|---|",
    ...results.flatMap(targetRows),
    ...(dockerSkipped === undefined ? [] : ["", `docker: skipped (${dockerSkipped})`]),
    "",
    `total ${round(totalSeconds, 1)} s; results under "e2e" in ${path.relative(process.cwd(), OUT) || OUT}`
  ].join("\n"))
  if (!results.every((r) => Object.values(r.met).every(Boolean))) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
