/**
 * Concurrency: at most 7 execs at once per machine, machines in parallel,
 * writers to one bottle serialised (and the wait for them bounded by the
 * deadline), and the real `claude` CLI registering into 16 bottles plus 4
 * racers on one bottle through the live service, every config valid after.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Guest from "../../src/internal/guest.js"
import { type ProvisionOutcome, provisionSupervise } from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import { planOf } from "../support/plans.js"
import { makeRig, survivors, timed } from "./rig.js"

const exec = (target: string, argv: ReadonlyArray<string>, options?: Smolvm.ExecOptions) =>
  Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec(target, argv, options))

/** A fake whose handler takes `ms` and records the most execs it saw at once, per target and overall. */
const counting = (ms: number) =>
  Effect.gen(function*() {
    const inFlight = new Map<string, number>()
    const maxPerTarget = new Map<string, number>()
    let total = 0
    let maxTotal = 0
    const fake = yield* Smolvm.makeTest((call) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const n = (inFlight.get(call.target) ?? 0) + 1
          inFlight.set(call.target, n)
          maxPerTarget.set(call.target, Math.max(maxPerTarget.get(call.target) ?? 0, n))
          total++
          maxTotal = Math.max(maxTotal, total)
        }),
        () => Effect.as(Effect.sleep(Duration.millis(ms)), { exitCode: 0 }),
        () =>
          Effect.sync(() => {
            inFlight.set(call.target, (inFlight.get(call.target) ?? 1) - 1)
            total--
          })
      )
    )
    return { fake, maxPerTarget, maxTotal: () => maxTotal }
  })

describe("exec slots and writer locks (test layer)", () => {
  it.live("a handler never sees more than 7 execs at once on one target, while targets run in parallel", () =>
    Effect.gen(function*() {
      const { fake, maxPerTarget, maxTotal } = yield* counting(30)
      const targets = ["bottle-a", "bottle-b", "bottle-c"]
      yield* Effect.all(
        targets.flatMap((target) => Array.from({ length: 20 }, () => fake.service.machineExec(target, ["true"]))),
        { concurrency: "unbounded", discard: true }
      )
      for (const target of targets) expect(maxPerTarget.get(target)).toBe(7)
      expect(maxTotal()).toBe(21)
      expect(yield* fake.calls).toHaveLength(60)
    }))

  it.live("concurrent provisionSupervise calls on one target never overlap; on different targets they do", () =>
    Effect.gen(function*() {
      const { fake, maxPerTarget, maxTotal } = yield* counting(40)
      const plan = planOf({ url: "http://127.0.0.1:4318/" })
      const outcomes = yield* Effect.all(
        [
          ...Array.from({ length: 4 }, () => provisionSupervise(plan, "racer", { timeout: "10 seconds" })),
          ...Array.from({ length: 4 }, (_, i) => provisionSupervise(plan, `other-${i}`, { timeout: "10 seconds" }))
        ],
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(fake.layer))
      expect(outcomes.map((o) => o._tag)).toEqual(Array.from({ length: 8 }, () => "Registered"))
      expect(maxPerTarget.get("racer")).toBe(1)
      expect(maxTotal()).toBeGreaterThanOrEqual(4)
    }))

  it.live("waiting for another writer of the same bottle counts against the deadline", () =>
    Effect.gen(function*() {
      const started = yield* Ref.make(0)
      const fake = yield* Smolvm.makeTest(() => Effect.zipRight(Ref.update(started, (n) => n + 1), Effect.never))
      const plan = planOf({ url: "http://127.0.0.1:4318/" })
      const stuck = yield* Effect.fork(
        provisionSupervise(plan, "bottle-1", { timeout: "5 seconds" }).pipe(
          Effect.provide(fake.layer)
        )
      )
      while ((yield* Ref.get(started)) === 0) yield* Effect.sleep("5 millis")
      const [outcome, ms] = yield* timed(
        provisionSupervise(plan, "bottle-1", { timeout: "300 millis" }).pipe(
          Effect.provide(fake.layer)
        )
      )
      expect(ms).toBeLessThan(1_500)
      expect(outcome).toMatchObject({ _tag: "Failed", execs: 0, error: { reason: "Timeout" } })
      if (outcome._tag === "Failed") {
        expect(outcome.error.message).toContain("waiting for another provisioning of this bottle")
      }
      yield* Fiber.interrupt(stuck)
    }))
})

describe("exec slots (live)", () => {
  it.live("live: 14 + 14 execs of 1 s on two machines: never more than 7 at once on one, more than 7 at once in all", () =>
    Effect.scoped(Effect.gen(function*() {
      const rig = yield* makeRig
      const log = path.join(rig.root, "events")
      const machines = [rig.machine("slot-a", { mode: "run" }), rig.machine("slot-b", { mode: "run" })]
      // Each guest command appends "+ machine" when it starts and "- machine" when it ends.
      const script = `echo "+ $0" >> "$1"; sleep 1; echo "- $0" >> "$1"`
      yield* Effect.all(
        machines.flatMap((m) =>
          Array.from({ length: 14 }, () => exec(m.name, ["sh", "-c", script, m.name, log], { timeout: "60 seconds" }))
        ),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.provide(rig.layer()))
      const events = fs.readFileSync(log, "utf8").trim().split("\n")
      expect(events).toHaveLength(56)
      const running = new Map<string, number>()
      const most = new Map<string, number>()
      let all = 0
      let mostAll = 0
      for (const event of events) {
        const [sign, name = ""] = event.split(" ")
        const n = (running.get(name) ?? 0) + (sign === "+" ? 1 : -1)
        running.set(name, n)
        most.set(name, Math.max(most.get(name) ?? 0, n))
        all += sign === "+" ? 1 : -1
        mostAll = Math.max(mostAll, all)
      }
      for (const m of machines) expect(most.get(m.name)).toBeLessThanOrEqual(7)
      expect(mostAll).toBeGreaterThan(7)
      expect(rig.leftovers()).toEqual([])
    })))
})

// --- the real claude CLI through a tiny guest stand-in --------------------------------------

const CLAUDE_DIR = fileURLToPath(new URL("../../node_modules/@anthropic-ai/claude-code/bin/", import.meta.url))

/**
 * A directory holding `claude` that `user` can run: the repository's own when
 * it can, else a hard link (or a copy) in `root`, since a clone in a private
 * directory is out of the agent user's reach.
 */
const claudeDirFor = (user: { name: string; uid: number }, root: string): string => {
  if (user.uid === os.userInfo().uid) return CLAUDE_DIR
  const source = path.join(CLAUDE_DIR, "claude.exe")
  try {
    execFileSync("runuser", ["-u", user.name, "--", "test", "-x", source], { stdio: "ignore" })
    return CLAUDE_DIR
  } catch {
    const dir = path.join(root, "claude-bin")
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 })
    const target = path.join(dir, "claude")
    try {
      fs.linkSync(source, target)
    } catch {
      fs.copyFileSync(source, target)
      fs.chmodSync(target, 0o755)
    }
    return dir
  }
}

/** The agent user: `node` when this runs as root and it exists (exec lands as root, the library switches), else me. */
const agentUser = (): { name: string; uid: number; gid: number } => {
  const me = os.userInfo()
  if (me.uid === 0) {
    try {
      const uid = Number(execFileSync("id", ["-u", "node"], { encoding: "utf8" }).trim())
      const gid = Number(execFileSync("id", ["-g", "node"], { encoding: "utf8" }).trim())
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { name: "node", uid, gid }
    } catch {
      // No node user: run as root.
    }
  }
  return { name: me.username, uid: me.uid, gid: me.gid }
}

describe("the real claude CLI, 16 bottles + 4 racers on one", () => {
  it.live(
    "every config is valid JSON afterwards, 16 Registered, exactly one racer Registered and three Unchanged, nothing left",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const rig = yield* makeRig
        const user = agentUser()
        const claudeDir = claudeDirFor(user, rig.root)
        const token = "tok_concurrency_0123456789abcdef"
        const url = "http://127.0.0.1:4318/"
        const bottle = (name: string) => {
          const home = path.join(rig.root, "homes", name)
          fs.mkdirSync(home, { recursive: true, mode: 0o700 })
          fs.chmodSync(path.dirname(home), 0o755)
          fs.chownSync(home, user.uid, user.gid)
          const machine = rig.machine(name, { mode: "run", path: claudeDir })
          const plan = Effect.runSync(SupervisePlan.decode({
            supervisePlan: { agentUrl: url, token },
            agent: { user: user.name, home }
          }))
          return { name, home, machine, plan }
        }
        const bottles = Array.from({ length: 16 }, (_, i) => bottle(`bottle-${i}`))
        const racer = bottle("racer")

        const [outcomes, ms] = yield* timed(
          Effect.all(
            [
              ...bottles.map((b) => provisionSupervise(b.plan, b.name, { timeout: "90 seconds" })),
              ...Array.from({ length: 4 }, () => provisionSupervise(racer.plan, racer.name, { timeout: "90 seconds" }))
            ],
            { concurrency: "unbounded" }
          )
        ).pipe(Effect.provide(rig.layer()))

        const tags = (list: ReadonlyArray<ProvisionOutcome>) => list.map((o) => o._tag)
        const failures = outcomes.flatMap((o) => o._tag === "Failed" ? [o.error.message] : [])
        expect(failures).toEqual([])
        expect(tags(outcomes.slice(0, 16))).toEqual(Array.from({ length: 16 }, () => "Registered"))
        const racers = tags(outcomes.slice(16)).sort()
        expect(racers).toEqual(["Registered", "Unchanged", "Unchanged", "Unchanged"])

        for (const b of [...bottles, racer]) {
          const file = path.join(b.home, ".claude.json")
          const config: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
          expect(config).toMatchObject({
            mcpServers: { supervise: { type: "http", url, headers: { Authorization: `Bearer ${token}` } } }
          })
          // Written by the agent, readable by the agent only.
          const stat = fs.statSync(file)
          expect(stat.uid).toBe(user.uid)
          expect(stat.mode & 0o077).toBe(0)
          // The token never reached a command line the fixture saw.
          expect(JSON.stringify(b.machine.calls())).not.toContain(token)
          expect(survivors(b.machine.pids())).toEqual([])
        }
        // Racers: four first steps, one of which added; the other three read the entry and started no Claude Code.
        expect(racer.machine.calls().filter((c) => c.argv.includes(Guest.ENSURE.replace(/\n/g, "\\n")))).toHaveLength(4)
        expect(outcomes.slice(16).map((o) => o._tag === "Skipped" || o._tag === "Failed" ? -1 : o.cliStarts).sort())
          .toEqual([0, 0, 0, 1])
        expect(ms).toBeLessThan(90_000)
      })),
    120_000
  )
})
