/**
 * The smolvm stand-in in container mode: each machine is a real container of
 * the Docker test engine, every `smolvm machine exec` a `docker exec` into it.
 * First the stand-in itself against smolvm's behaviour (users, flags, secrets,
 * exit codes, `Error:` texts, `--timeout` and what it leaves running), then the
 * end-to-end scenario through the library's live `Smolvm` layer for both ways
 * exec lands (bare VM: root; image with `USER node`: the agent).
 *
 * Needs the private engine (`.ci/docker-engine.sh start`): skipped with the
 * reason without it, failing under CI=true.
 */
import { NodeContext } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { execFile, spawn } from "node:child_process"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import type * as Sandbox from "../../src/Sandbox.js"
import { ExecFailed } from "../../src/SandboxError.js"
import * as Smolvm from "../../src/Smolvm.js"
import {
  describeDocker,
  DOCKER_HOST,
  dockerExecSync,
  removeContainer,
  startContainer,
  stopContainer
} from "../support/docker.js"
import { controlLine, hostControl, sampleHostArgv } from "../support/hostArgv.js"
import { containerStandin, containerStandinGuest, IMAGE_AGENT, IMAGE_AGENT_HOME } from "../support/scenarioGuest.js"
import { type ContainerStandinGuest, makeContainerGuest } from "../support/standin.js"
import { scenarioOn } from "./scenario.js"

/** What a stand-in run gave: everything a failing assertion needs to show. */
interface Ran {
  readonly code: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** Runs the guest's `smolvm` wrapper directly (no library), bounded at 60 s. */
const runStandin = (guest: ContainerStandinGuest, args: ReadonlyArray<string>) =>
  Effect.async<Ran>((resume) => {
    const started = Date.now()
    const child = execFile(guest.binary, [...args], {
      timeout: 60_000,
      killSignal: "SIGKILL",
      maxBuffer: 64 * 1024 * 1024
    }, (error, stdout, stderr) =>
      resume(Effect.succeed({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
        signal: error === null ? null : error.signal ?? null,
        stdout,
        stderr,
        ms: Date.now() - started
      })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Live processes of a container, as `STAT ARGS` lines (zombies left out: PID 1 may not reap). */
const processes = (container: string): ReadonlyArray<string> => {
  const ps = dockerExecSync(container, ["ps", "-eo", "stat=,args="], { user: "0" })
  expect(ps, "ps in the container").toMatchObject({ status: 0 })
  return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("Z"))
}

/** The tests' own commands (`sleep 31N`), and the shells that run them. */
const sleepers = (container: string): ReadonlyArray<string> =>
  processes(container).filter((l) => /sleep 31[0-9]/.test(l))

/** Polls until `sleepers` is empty or `ms` passed; returns what is left. */
const sleepersGone = (container: string, ms: number) =>
  Effect.gen(function*() {
    const until = Date.now() + ms
    let left = sleepers(container)
    while (left.length > 0 && Date.now() < until) {
      yield* Effect.sleep("100 millis")
      left = sleepers(container)
    }
    return left
  })

const withLayer = <A, E>(guest: ContainerStandinGuest, self: Effect.Effect<A, E, Smolvm.Smolvm | Sandbox.Sandbox>) =>
  self.pipe(
    Effect.provide(guest.layer.pipe(Layer.provide(NodeContext.layer))),
    Logger.withMinimumLogLevel(LogLevel.None)
  )

const failureOf = (
  guest: ContainerStandinGuest,
  argv: ReadonlyArray<string>,
  options?: Smolvm.ExecOptions,
  target?: string
) =>
  withLayer(
    guest,
    Effect.flatMap(Smolvm.Smolvm, (smolvm) => Effect.flip(smolvm.machineExec(target ?? guest.name, argv, options)))
      .pipe(
        Effect.flatMap((error) =>
          error instanceof ExecFailed
            ? Effect.succeed(error)
            : Effect.die(new Error(`not an ExecFailed: ${error.message}`))
        )
      )
  )

describeDocker("smolvm stand-in in container mode", () => {
  describe("the stand-in against smolvm's behaviour", () => {
    const containers: Array<string> = []
    const guests: Record<"root" | "node", ContainerStandinGuest | undefined> = { root: undefined, node: undefined }
    let close: (() => Promise<void>) | undefined

    const guestOf = (image: "root" | "node"): ContainerStandinGuest => {
      const guest = guests[image]
      if (guest === undefined) throw new Error(`no ${image} guest: beforeAll failed`)
      return guest
    }

    beforeAll(async () => {
      // Both guests live in one scope, closed after the block.
      const scope = Effect.runSync(Scope.make())
      close = () => Effect.runPromise(Scope.close(scope, Exit.void))
      for (const image of ["root", "node"] as const) {
        const container = startContainer({ image })
        containers.push(container)
        guests[image] = await Effect.runPromise(Scope.extend(
          makeContainerGuest({
            container,
            execLandsAs: image === "root" ? "root" : "image",
            agent: IMAGE_AGENT,
            agentHome: IMAGE_AGENT_HOME,
            dockerHost: DOCKER_HOST,
            name: `standin-${image}`
          }),
          scope
        ))
      }
    }, 120_000)

    afterAll(async () => {
      await close?.()
      for (const name of containers) removeContainer(name)
    }, 60_000)

    it.live("a bare-VM machine lands as root (-u 0), an image machine as the image's user", () =>
      Effect.gen(function*() {
        const root = yield* runStandin(guestOf("root"), [
          "machine",
          "exec",
          "--name",
          "standin-root",
          "--",
          "sh",
          "-c",
          "id -un; echo $HOME"
        ])
        expect(root).toMatchObject({ code: 0, stdout: "root\n/root\n", stderr: "" })
        const node = yield* runStandin(guestOf("node"), [
          "machine",
          "exec",
          "--name",
          "standin-node",
          "--",
          "sh",
          "-c",
          "id -un; echo $HOME"
        ])
        expect(node).toMatchObject({ code: 0, stdout: "node\n/home/node\n", stderr: "" })
      }))

    it.live("-e, -w and --secret-env reach the command; the secret is on no host command line", () =>
      Effect.gen(function*() {
        const guest = guestOf("root")
        const secret = `standin-secret-${process.pid}-${Date.now()}`
        const [result, sample] = yield* sampleHostArgv(
          { needle: secret, client: guest.container },
          Effect.zipLeft(
            withLayer(
              guest,
              Effect.flatMap(Smolvm.Smolvm, (smolvm) =>
                smolvm.machineExec(
                  guest.name,
                  [
                    "sh",
                    "-c",
                    `sleep 0.5; printf '%s|%s|%s|%s' "$1" "$PLAIN" "$SECRET" "$(pwd)"; echo oops >&2`,
                    "x",
                    "a b; $(no)"
                  ],
                  { env: { PLAIN: "plain" }, secretEnv: { SECRET: Redacted.make(secret) }, workdir: "/tmp" }
                ))
            ),
            hostControl(secret)
          )
        )
        // The Smolvm layer returns a success's output as the guest printed it (the Docker layer scrubs it).
        expect(result.stdout).toBe(`a b; $(no)|plain|${secret}|/tmp`)
        expect(result.stderr).toBe("oops\n")
        expect(sample.hostHits).toEqual([controlLine(secret)])
        const docker = sample.clientLines.filter((line) => line.startsWith("docker exec "))
        expect(
          docker.some((line) =>
            line.includes(" -u 0 -w /tmp ") && line.includes(" -e PLAIN=plain ") && line.includes(" -e SECRET ")
          )
        )
          .toBe(true)
        const lines = yield* guest.commandLines
        expect(lines.some((line) => line.includes("--secret-env"))).toBe(true)
      }))

    it.live("the command's exit code and output pass through; a signal is 128+n", () =>
      Effect.gen(function*() {
        const guest = guestOf("node")
        const exit3 = yield* runStandin(guest, [
          "machine",
          "exec",
          "--name",
          "standin-node",
          "--",
          "sh",
          "-c",
          "echo out; echo err >&2; exit 3"
        ])
        expect(exit3).toMatchObject({ code: 3, stdout: "out\n", stderr: "err\n" })
        const killed = yield* failureOf(guest, ["sh", "-c", "kill -KILL $$"])
        expect([killed.reason, killed.exitCode, killed.signal]).toEqual(["GuestSignal", 137, "SIGKILL"])
        // docker's own exit codes, from the command, are the command's.
        const own126 = yield* runStandin(guest, [
          "machine",
          "exec",
          "--name",
          "standin-node",
          "--",
          "sh",
          "-c",
          "echo mine >&2; exit 126"
        ])
        expect(own126).toMatchObject({ code: 126, stderr: "mine\n" })
      }))

    it.live("a missing command or workdir is smolvm's spawn error (os error 2) → GuestCommandNotFound", () =>
      Effect.gen(function*() {
        const guest = guestOf("root")
        const spawnError =
          "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n"
        const missing = yield* runStandin(guest, [
          "machine",
          "exec",
          "--name",
          "standin-root",
          "--",
          "no-such-command-here"
        ])
        expect(missing).toMatchObject({ code: 1, stdout: "", stderr: spawnError })
        const error = yield* failureOf(guest, ["no-such-command-here"])
        expect(error.reason).toBe("GuestCommandNotFound")
        const noDir = yield* runStandin(guest, [
          "machine",
          "exec",
          "--name",
          "standin-root",
          "-w",
          "/no/such/dir",
          "--",
          "true"
        ])
        expect(noDir).toMatchObject({ code: 1, stderr: spawnError })
        const notExecutable = yield* runStandin(guest, [
          "machine",
          "exec",
          "--name",
          "standin-root",
          "--",
          "/etc/passwd"
        ])
        expect(notExecutable).toMatchObject({
          code: 1,
          stderr: "Error: agent operation failed: vm exec: failed to spawn command: Permission denied (os error 13)\n"
        })
      }))

    it.live("unknown machine, vanished container, stopped machine and stopped container: smolvm's Error: texts", () =>
      Effect.gen(function*() {
        const guest = guestOf("node")
        const unknown = yield* runStandin(guest, ["machine", "exec", "--name", "no-such-machine", "--", "true"])
        expect(unknown).toMatchObject({ code: 1, stderr: "Error: vm not found: no-such-machine\n" })

        const notRunning = (name: string) =>
          `Error: agent operation failed: connect: machine '${name}' is not running. Use 'smolvm machine start --name ${name}' first.\n`
        // A stopped container behind a machine that says it runs: still smolvm's words.
        const stopped = startContainer({ image: "node" })
        containers.push(stopped)
        stopContainer(stopped)
        yield* guest.setMachine({ running: true, execAs: null, container: stopped })
        const onStopped = yield* runStandin(guest, ["machine", "exec", "--name", "standin-node", "--", "true"])
        expect(onStopped).toMatchObject({ code: 1, stdout: "", stderr: notRunning("standin-node") })
        const error = yield* failureOf(guest, ["true"])
        expect(error.reason).toBe("MachineNotRunning")

        // The machine file says it is stopped: no docker at all.
        yield* guest.setMachine({ running: false, execAs: null, container: guest.container })
        expect(yield* runStandin(guest, ["machine", "exec", "--name", "standin-node", "--", "true"])).toMatchObject({
          code: 1,
          stderr: notRunning("standin-node")
        })

        // The container is gone: the machine is not found.
        yield* guest.setMachine({ running: true, execAs: null, container: "bs-no-such-container" })
        const vanished = yield* runStandin(guest, ["machine", "exec", "--name", "standin-node", "--", "true"])
        expect(vanished).toMatchObject({ code: 1, stderr: "Error: vm not found: standin-node\n" })
        expect((yield* failureOf(guest, ["true"])).reason).toBe("MachineNotFound")
      }).pipe(
        Effect.ensuring(Effect.suspend(() => {
          const guest = guestOf("node")
          return guest.setMachine({ running: true, execAs: null, container: guest.container })
        }))
      ))

    it.live("--timeout: exit 124 with smolvm's words, once the command's processes in the container are killed", () =>
      Effect.gen(function*() {
        for (const image of ["root", "node"] as const) {
          const guest = guestOf(image)
          // A TERM-proof child, a child that cleared its environment, and a user switch (root only).
          const stubborn = image === "root"
            ? "runuser -u node -- sh -c 'sleep 313 & sleep 314' & sh -c 'trap \"\" TERM; sleep 311' & env -i sleep 312 & sleep 310"
            : "sh -c 'trap \"\" TERM; sleep 311' & env -i sleep 312 & sleep 310"
          const ran = yield* runStandin(guest, [
            "machine",
            "exec",
            "--name",
            `standin-${image}`,
            "--timeout",
            "700ms",
            "--",
            "sh",
            "-c",
            stubborn
          ])
          expect(ran, `standin-${image}`).toMatchObject({
            code: 124,
            stdout: "",
            stderr: "command timed out after 700ms\n"
          })
          expect(ran.ms).toBeLessThan(8_000)
          // Nothing is left, right when the stand-in returns.
          expect(sleepers(guest.container)).toEqual([])
        }
      }))

    it.live("through the live Smolvm layer a deadline is Timeout, and nothing is left in the container", () =>
      Effect.gen(function*() {
        const guest = guestOf("root")
        const started = Date.now()
        const error = yield* failureOf(guest, ["sh", "-c", "trap '' TERM; sleep 315 & sleep 316"], {
          timeout: "1 second",
          user: "node"
        })
        const elapsed = Date.now() - started
        expect(error.reason).toBe("Timeout")
        expect(elapsed).toBeLessThan(5_000)
        expect(yield* sleepersGone(guest.container, 5_000)).toEqual([])
      }))

    it.live("SIGKILL to the stand-in: its watchdog still kills the command in the container", () =>
      Effect.gen(function*() {
        const guest = guestOf("node")
        const standin = spawn(guest.binary, [
          "machine",
          "exec",
          "--name",
          "standin-node",
          "--",
          "sh",
          "-c",
          "sleep 317 & sleep 318"
        ], {
          stdio: "ignore"
        })
        const exited = new Promise<void>((resolve) => standin.once("close", () => resolve()))
        const until = Date.now() + 15_000
        while (sleepers(guest.container).length < 2 && Date.now() < until) yield* Effect.sleep("100 millis")
        expect(sleepers(guest.container).length).toBeGreaterThanOrEqual(2)
        standin.kill("SIGKILL")
        yield* Effect.promise(() => exited)
        expect(yield* sleepersGone(guest.container, 10_000)).toEqual([])
      }))

    it.live("a provisioning with the real claude through the stand-in: Registered, then Unchanged", () =>
      Effect.gen(function*() {
        const guest = guestOf("root")
        const plan = yield* guest.plan({ agentUrl: "http://127.0.0.1:9/" })
        const first = yield* withLayer(guest, ProvisionSupervise.provisionSupervise(plan, guest.name))
        expect(first).toMatchObject({ _tag: "Registered", execs: 1, cliStarts: 1 })
        const again = yield* withLayer(guest, ProvisionSupervise.provisionSupervise(plan, guest.name))
        expect(again).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
      }))
  })

  scenarioOn(
    "e2e on the stand-in in container mode: exec lands as root, the library switches to the agent user",
    Effect.map(containerStandinGuest("root"), containerStandin)
  )
  scenarioOn(
    "e2e on the stand-in in container mode: exec lands as the agent user (image with USER node)",
    Effect.map(containerStandinGuest("node"), containerStandin)
  )
})
