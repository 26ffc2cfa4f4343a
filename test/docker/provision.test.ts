/**
 * Provisioning and verification through the library's own `Docker.layer`, end
 * to end, against real containers of the private test engine with the pinned
 * `claude` inside and the reference sidecar on the host (the containers share
 * the host's network, so `http://127.0.0.1:<port>/` reaches it):
 *
 * - the end-to-end scenario (`test/e2e/scenario.ts`) on both test images: the
 *   root image, where the library passes `-u node`, and the node image, where
 *   exec lands as the agent;
 * - a hung guest command killed inside the container at the deadline, on both
 *   images;
 * - a stopped and a missing container;
 * - 8 provisionings of one container at once, through 8 separately built
 *   layers in this process, and from 8 processes.
 *
 * Skipped without the engine (`.ci/docker-engine.sh start`), failing on CI.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as esbuild from "esbuild"
import { spawn } from "node:child_process"
import { randomBytes, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as BottleLogger from "../../src/Logger.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import type * as Sandbox from "../../src/Sandbox.js"
import type { ClientNotFound } from "../../src/SandboxError.js"
import type * as SupervisePlan from "../../src/SupervisePlan.js"
import { scenarioOn } from "../e2e/scenario.js"
import * as AgentView from "../support/agentView.js"
import {
  describeDocker,
  DOCKER_ENV,
  DOCKER_HOST,
  dockerExecSync,
  guestStat,
  readGuestFile,
  removeContainer,
  startContainer,
  stopContainer,
  type TestImage
} from "../support/docker.js"
import { dockerLive } from "../support/dockerLayer.js"
import { dockerContainer, IMAGE_AGENT, IMAGE_AGENT_HOME, imagePlan } from "../support/scenarioGuest.js"

const CONFIG = `${IMAGE_AGENT_HOME}/.claude.json`

/** The Docker layer's kill grace (its default). */
const KILL_GRACE_MS = 500

const CHILD: string = fileURLToPath(new URL("./provisionChild.ts", import.meta.url))
const REPO: string = fileURLToPath(new URL("../..", import.meta.url))

const ChildOutput = Schema.Struct({
  outcome: ProvisionSupervise.ProvisionOutcome,
  logs: Schema.Array(Schema.String)
})

/** A provisioning and a verification of `target`. */
const bothCalls = (
  plan: SupervisePlan.SmolmachinesBottlePlan,
  target: string
): ReadonlyArray<
  Effect.Effect<ProvisionSupervise.ProvisionOutcome | ProvisionSupervise.VerifyOutcome, ClientNotFound, Sandbox.Sandbox>
> => [ProvisionSupervise.provisionSupervise(plan, target), ProvisionSupervise.verifySupervise(plan, target)]

/** Runs `self` on a fresh `Docker.layer` of its own, its logs captured; checks the token is in none of them nor in the result. */
const provisioned = <A, E>(self: Effect.Effect<A, E, Sandbox.Sandbox>, token: string) =>
  Effect.gen(function*() {
    const [result, logs] = yield* BottleLogger.capture(self.pipe(Effect.provide(dockerLive(DOCKER_HOST))))
    for (const log of logs) expect(log.line).not.toContain(token)
    expect(JSON.stringify(result)).not.toContain(token)
    return [result, logs] as const
  })

/** Live processes of a container, as `STAT ARGS` lines (zombies left out). */
const processes = (container: string): ReadonlyArray<string> => {
  const ps = dockerExecSync(container, ["ps", "-eo", "stat=,args="], { user: "0" })
  expect(ps, `ps in ${container}: ${ps.stderr}`).toMatchObject({ status: 0 })
  return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("Z"))
}

/** The agent's config in the container: valid JSON with the planned entry, the agent's own, mode 0600. */
const expectConfig = (container: string, url: string, token: string) =>
  Effect.gen(function*() {
    const text = readGuestFile(container, CONFIG)
    expect(yield* AgentView.entryIn(text, "supervise", CONFIG)).toEqual({
      type: "http",
      url,
      headers: { Authorization: `Bearer ${token}` }
    })
    const stat = guestStat(container, CONFIG)
    expect(stat === undefined ? undefined : { uid: stat.uid, mode: stat.mode.toString(8) }).toEqual({
      uid: IMAGE_AGENT.uid,
      mode: "600"
    })
  })

describeDocker("provisioning through Docker.layer on real containers", () => {
  scenarioOn(
    "e2e on Docker.layer, root image (exec lands as root; the library passes -u node)",
    dockerContainer("root")
  )
  scenarioOn("e2e on Docker.layer, node image (exec lands as the agent)", dockerContainer("node"))

  describe("failures", () => {
    const containers: Array<string> = []
    afterAll(() => {
      for (const name of containers) removeContainer(name)
    }, 60_000)

    const images: ReadonlyArray<TestImage> = ["root", "node"]
    for (const image of images) {
      it.live(
        `a hung claude is killed inside the container at the deadline: Failed Timeout, nothing left (${image} image)`,
        () =>
          Effect.gen(function*() {
            const container = startContainer({ image })
            containers.push(container)
            // The container's claude now hangs; the real one is kept aside.
            const swap = dockerExecSync(container, [
              "sh",
              "-c",
              "mv /usr/local/bin/claude /usr/local/bin/claude.real && printf '#!/bin/sh\\nsleep 319\\n' >/usr/local/bin/claude && chmod 755 /usr/local/bin/claude"
            ], { user: "0" })
            expect(swap, swap.stderr).toMatchObject({ status: 0 })
            const token = `hung-token-${randomUUID()}`
            const plan = yield* imagePlan({ agentUrl: "http://127.0.0.1:9/", token })

            const timeoutMs = 3_000
            const started = Date.now()
            const [outcome, logs] = yield* provisioned(
              ProvisionSupervise.provisionSupervise(plan, container, { timeout: `${timeoutMs} millis` }),
              token
            )
            const elapsed = Date.now() - started
            console.log(`docker provisioning with a hung claude (${image} image): ${outcome._tag} after ${elapsed} ms`)
            expect(outcome._tag).toBe("Failed")
            if (outcome._tag !== "Failed") return
            expect([outcome.error.reason, outcome.execs, outcome.error.backend]).toEqual(["Timeout", 1, "docker"])
            // Words about this backend: a container and docker, not a machine and smolvm.
            expect(outcome.error.message).toContain(`timed out on container "${container}"`)
            expect(outcome.error.message).not.toMatch(/smolvm|machine/)
            // The deadline, the client's kill grace, and the in-container kill (about 0.3 s; generous on a loaded host).
            expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50)
            expect(elapsed).toBeLessThan(timeoutMs + KILL_GRACE_MS + 2_500)
            expect(logs.some((log) => log.level === "WARN" && log.message.includes("claude mcp add --scope user")))
              .toBe(true)
            // Nothing of the exec is left in the container, right when the call returned.
            expect(processes(container).filter((l) => /sleep 319|claude|bottle-supervise/.test(l))).toEqual([])

            // With the real claude back, the next provisioning breaks the dead exec's lock and registers.
            const restore = dockerExecSync(container, ["mv", "/usr/local/bin/claude.real", "/usr/local/bin/claude"], {
              user: "0"
            })
            expect(restore, restore.stderr).toMatchObject({ status: 0 })
            const [again] = yield* provisioned(ProvisionSupervise.provisionSupervise(plan, container), token)
            expect(again).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1 })
            yield* expectConfig(container, "http://127.0.0.1:9/", token)
          }),
        90_000
      )
    }

    it.live("a stopped container: Failed MachineNotRunning after 1 exec, in words about a container", () =>
      Effect.gen(function*() {
        const container = startContainer({ image: "root" })
        containers.push(container)
        stopContainer(container)
        const token = `stopped-token-${randomUUID()}`
        const plan = yield* imagePlan({ agentUrl: "http://127.0.0.1:9/", token })
        for (const run of bothCalls(plan, container)) {
          const [outcome, logs] = yield* provisioned(run, token)
          expect(outcome._tag).toBe("Failed")
          if (outcome._tag !== "Failed") continue
          expect([outcome.error.reason, outcome.execs, outcome.error.transient]).toEqual([
            "MachineNotRunning",
            1,
            false
          ])
          expect(outcome.error.message).toContain(`container "${container}" is not running`)
          expect(outcome.error.message).not.toContain("machine")
          expect(logs.some((log) => log.level === "WARN" && log.message.includes(`container "${container}"`))).toBe(
            true
          )
        }
      }))

    it.live("a missing container: Failed MachineNotFound after 1 exec, in words about a container", () =>
      Effect.gen(function*() {
        const container = `bs-missing-${randomBytes(4).toString("hex")}`
        const token = `missing-token-${randomUUID()}`
        const plan = yield* imagePlan({ agentUrl: "http://127.0.0.1:9/", token })
        for (const run of bothCalls(plan, container)) {
          const [outcome, logs] = yield* provisioned(run, token)
          expect(outcome._tag).toBe("Failed")
          if (outcome._tag !== "Failed") continue
          expect([outcome.error.reason, outcome.execs, outcome.error.transient]).toEqual(["MachineNotFound", 1, false])
          expect(outcome.error.message).toContain(`no container named "${container}"`)
          expect(outcome.error.message).not.toContain("machine")
          expect(logs.some((log) => log.level === "WARN" && log.message.includes(`"${container}"`))).toBe(true)
        }
      }))
  })

  describe("8 provisionings of one container at once", () => {
    const containers: Array<string> = []
    afterAll(() => {
      for (const name of containers) removeContainer(name)
    }, 60_000)

    it.live(
      "through 8 separately built layers in this process: 1 Registered, 7 Unchanged, the config valid",
      () =>
        Effect.gen(function*() {
          const container = startContainer({ image: "root" })
          containers.push(container)
          const token = `racer-token-${randomUUID()}`
          const url = "http://127.0.0.1:9/racers"
          const plan = yield* imagePlan({ agentUrl: url, token })
          const outcomes = yield* Effect.all(
            Array.from({ length: 8 }, () =>
              Effect.map(
                provisioned(ProvisionSupervise.provisionSupervise(plan, container, { timeout: "120 seconds" }), token),
                ([o]) => o
              )),
            { concurrency: "unbounded" }
          )
          expect(
            outcomes.map((o) => o._tag).sort()
          ).toEqual([
            "Registered",
            ...Array.from({ length: 7 }, () => "Unchanged")
          ])
          yield* expectConfig(container, url, token)
        }),
      180_000
    )

    it.live(
      "from 8 processes, each with its own Docker.layer: 1 Registered, 7 Unchanged, the config valid",
      () =>
        Effect.gen(function*() {
          const container = startContainer({ image: "node" })
          containers.push(container)
          const token = `process-racer-token-${randomUUID()}`
          const url = "http://127.0.0.1:9/processes"
          const script = yield* bundledChild
          const children = yield* Effect.acquireRelease(
            Effect.sync(() => Array.from({ length: 8 }, () => startChild(script, container, url, token))),
            (all) => Effect.sync(() => all.forEach((child) => child.kill()))
          )
          // Every child has built its layer before any provisions, so they race.
          yield* Effect.promise(() => Promise.all(children.map((child) => child.ready)))
          for (const child of children) child.go()
          const runs = yield* Effect.promise(() => Promise.all(children.map((child) => child.done)))
          const outcomes: Array<ProvisionSupervise.ProvisionOutcome> = []
          for (const run of runs) {
            const shown = `exit code ${String(run.code)}, signal ${String(run.signal)}, stderr: ${run.stderr}`
            expect(run.code, shown).toBe(0)
            const parsed = Schema.decodeUnknownSync(ChildOutput)(JSON.parse(run.stdout))
            expect(run.stdout + run.stderr, shown).not.toContain(token)
            expect(parsed.logs.length).toBeGreaterThan(0)
            outcomes.push(parsed.outcome)
          }
          expect(outcomes.map((o) => o._tag).sort()).toEqual([
            "Registered",
            ...Array.from({ length: 7 }, () => "Unchanged")
          ])
          for (const outcome of outcomes) expect(outcome).toMatchObject({ execs: 1 })
          yield* expectConfig(container, url, token)
        }).pipe(Effect.scoped),
      240_000
    )
  })
})

/** What a child process left. */
interface ChildRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * `provisionChild.ts` and everything it imports (the library's sources included) bundled into one ES module in
 * a temp dir, removed with the scope. Eight `node --import tsx` children would each spend about 2 s of CPU
 * compiling the same sources before provisioning anything; a bundle starts in about 0.2 s. esbuild is the one
 * tsx and vitest compile with.
 */
const bundledChild = Effect.gen(function*() {
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-child-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )
  const outfile = path.join(dir, "provisionChild.mjs")
  yield* Effect.promise(() =>
    esbuild.build({
      entryPoints: [CHILD],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "error",
      // Some dependencies require() Node's modules: give the bundle a require of its own.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
    })
  )
  return outfile
})

/** A launcher process (the bundled `provisionChild.ts`): ready once its layer is built, provisions on `go`, bounded at 200 s. */
const startChild = (script: string, container: string, url: string, token: string) => {
  const child = spawn(process.execPath, [script, container, url], {
    cwd: REPO,
    // The docker client inherits the launcher's environment: that is how it finds the engine.
    env: { ...process.env, ...DOCKER_ENV, CHILD_TOKEN: token },
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
  })
  const bound = setTimeout(() => child.kill("SIGKILL"), 200_000)
  const done = new Promise<ChildRun>((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(bound)
      resolve({ code, signal, stdout, stderr })
    })
  )
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      if (stderr.includes("ready\n")) resolve()
    })
    void done.then((run) =>
      reject(
        new Error(
          `child exited before it was ready: exit code ${String(run.code)}, signal ${
            String(run.signal)
          }, stderr: ${run.stderr}`
        )
      )
    )
  })
  return {
    ready,
    done,
    go: () => child.stdin.end("go\n"),
    kill: () => child.kill("SIGKILL")
  }
}
