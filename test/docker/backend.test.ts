/**
 * Docker.layer against real containers of the private test engine
 * (`.ci/docker-engine.sh`, images from `test/docker/build-images.sh`): users,
 * docker's refusals as the engine words them, exit codes, secrets, output
 * bounds, and what a deadline or an interruption leaves running in the
 * container (nothing). Skipped without the engine, failing on CI.
 */
import { NodeContext } from "@effect/platform-node"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import * as Docker from "../../src/Docker.js"
import type * as Sandbox from "../../src/Sandbox.js"
import { ExecFailed } from "../../src/SandboxError.js"
import {
  describeDocker,
  DOCKER_ENV,
  DOCKER_HOST,
  dockerExecSync,
  dockerSync,
  pauseContainer,
  removeContainer,
  startContainer,
  stopContainer,
  TEST_IMAGES,
  TEST_LABEL,
  unpauseContainer
} from "../support/docker.js"

const layer = Docker.layerWith({}).pipe(Layer.provide(NodeContext.layer))

const exec = (target: string, argv: ReadonlyArray<string>, options?: Sandbox.ExecOptions) =>
  Effect.flatMap(Docker.Docker, (docker) => docker.containerExec(target, argv, options)).pipe(Effect.provide(layer))

const failure = (target: string, argv: ReadonlyArray<string>, options?: Sandbox.ExecOptions) =>
  Effect.flatMap(
    Effect.flip(exec(target, argv, options)),
    (error) =>
      error instanceof ExecFailed ? Effect.succeed(error) : Effect.die(new Error(`not an ExecFailed: ${error.message}`))
  )

/** Live processes of a container, as `STAT ARGS` lines (zombies left out: PID 1 may not reap). */
const processes = (name: string): ReadonlyArray<string> => {
  const ps = dockerExecSync(name, ["ps", "-eo", "stat=,args="], { user: "0" })
  expect(ps.status).toBe(0)
  return ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("Z"))
}

/** Every live process of the tests' commands (`sleep 30N`), shells that run them included. */
const sleepers = (name: string): ReadonlyArray<string> => processes(name).filter((l) => /sleep 30[0-9]/.test(l))

/** The `sleep 30N` processes themselves. */
const sleeps = (name: string): number => processes(name).filter((l) => /^\S+\s+sleep 30[0-9]$/.test(l)).length

/** A command that leaves a TERM-ignoring child and a child that cleared its environment. */
const STUBBORN = ["sh", "-c", "sh -c 'trap \"\" TERM; sleep 301' & env -i sleep 302 & sleep 300"]

/** Every host process's command line that contains `needle`. */
const hostCommandLinesWith = (needle: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1")
      if (cmdline.includes(needle)) found.push(`${entry}: ${cmdline.split("\0").join(" ")}`)
    } catch {
      // Gone meanwhile.
    }
  }
  return found
}

describeDocker("Docker.layer on real containers", () => {
  const containers: Array<string> = []
  let root = ""
  let agent = ""
  let savedHost: string | undefined

  beforeAll(() => {
    // The client inherits the launcher's environment: that is how it finds the test engine.
    savedHost = process.env["DOCKER_HOST"]
    process.env["DOCKER_HOST"] = DOCKER_ENV.DOCKER_HOST
    root = startContainer({ image: "root" })
    agent = startContainer({ image: "node" })
    containers.push(root, agent)
  })

  afterAll(() => {
    for (const name of containers) removeContainer(name)
    if (savedHost === undefined) delete process.env["DOCKER_HOST"]
    else process.env["DOCKER_HOST"] = savedHost
  })

  it.live("runs as the image's user, as -u node, in -w, with -e, and returns stdout and stderr apart", () =>
    Effect.gen(function*() {
      expect((yield* exec(root, ["id", "-un"])).stdout).toBe("root\n")
      expect((yield* exec(root, ["id", "-un"], { user: "node" })).stdout).toBe("node\n")
      expect((yield* exec(agent, ["id", "-un"])).stdout).toBe("node\n")
      expect((yield* exec(agent, ["id", "-un"], { user: "0" })).stdout).toBe("root\n")
      const result = yield* exec(root, ["sh", "-c", "echo \"$(pwd) $LANG $HOME\"; echo err >&2"], {
        user: "node",
        workdir: "/tmp",
        env: { LANG: "C.UTF-8" }
      })
      expect(result).toEqual({ exitCode: 0, stdout: "/tmp C.UTF-8 /home/node\n", stderr: "err\n", truncated: false })
    }))

  it.live("the argv is a vector: no shell reads it", () =>
    Effect.gen(function*() {
      const argv = ["printf", "%s|", "a b", "$HOME", "; rm -rf /", "-u"]
      expect((yield* exec(root, argv)).stdout).toBe("a b|$HOME|; rm -rf /|-u|")
    }))

  it.live("exit codes pass through; a signal is GuestSignal", () =>
    Effect.gen(function*() {
      for (const code of [1, 2, 3, 42, 124, 125, 126, 127, 255]) {
        const error = yield* failure(root, ["sh", "-c", `echo "Error: own words" >&2; exit ${code}`])
        // docker's own codes, 125 to 127, with the command's own words: still the command's.
        expect({ code, reason: error.reason, exitCode: error.exitCode }).toEqual({
          code,
          reason: "NonZeroExit",
          exitCode: code
        })
        expect(error.backend).toBe("docker")
      }
      const killed = yield* failure(root, ["sh", "-c", "kill -9 $$"])
      expect(killed).toMatchObject({ reason: "GuestSignal", exitCode: 137, signal: "SIGKILL" })
      const shell127 = yield* failure(root, ["sh", "-c", "no-such-tool"])
      expect(shell127).toMatchObject({ reason: "GuestCommandNotFound", exitCode: 127 })
    }))

  it.live("a missing user, a missing command and a file that is not executable, as the engine words them", () =>
    Effect.gen(function*() {
      const noUser = yield* failure(root, ["true"], { user: "ghost" })
      expect(noUser).toMatchObject({ reason: "UserMismatch", exitCode: 126, backend: "docker" })
      expect(noUser.message).toContain("unable to find user ghost")
      const noCommand = yield* failure(root, ["no-such-command", "x"])
      expect(noCommand).toMatchObject({ reason: "GuestCommandNotFound", exitCode: 126 })
      expect(noCommand.message).toContain(`the command "no-such-command" does not exist on container "${root}"`)
      const noPath = yield* failure(root, ["/opt/nothing/here"])
      expect(noPath).toMatchObject({ reason: "GuestCommandNotFound", exitCode: 126 })
      const notExecutable = yield* failure(root, ["/etc/passwd"])
      expect(notExecutable).toMatchObject({ reason: "SmolvmError", exitCode: 126 })
      expect(notExecutable.message).toContain("docker could not run the command")
      expect(notExecutable.message).toContain("permission denied")
      const noWorkdir = yield* failure(root, ["true"], { workdir: "/no/such/dir" })
      expect(noWorkdir).toMatchObject({ reason: "SmolvmError", exitCode: 126 })
      for (const error of [noUser, noCommand, noPath, notExecutable, noWorkdir]) expect(error.transient).toBe(false)
    }))

  it.live("a missing container is MachineNotFound", () =>
    Effect.gen(function*() {
      const error = yield* failure("bs-no-such-container", ["true"])
      expect(error).toMatchObject({ reason: "MachineNotFound", exitCode: 1, backend: "docker" })
      expect(error.transient).toBe(false)
    }))

  it.live("a stopped container and a paused one are MachineNotRunning, not transient", () =>
    Effect.gen(function*() {
      const stopped = startContainer({ image: "root" })
      containers.push(stopped)
      stopContainer(stopped)
      const notRunning = yield* failure(stopped, ["true"])
      expect(notRunning).toMatchObject({ reason: "MachineNotRunning", exitCode: 1 })
      expect(notRunning.stderr).toMatch(/^Error response from daemon: Container [0-9a-f]{64} is not running/)
      expect(notRunning.transient).toBe(false)

      const paused = startContainer({ image: "root" })
      containers.push(paused)
      pauseContainer(paused)
      const frozen = yield* failure(paused, ["true"])
      unpauseContainer(paused)
      expect(frozen).toMatchObject({ reason: "MachineNotRunning", exitCode: 1 })
      expect(frozen.stderr).toContain(`Container ${paused} is paused`)
      expect(frozen.transient).toBe(false)
      expect((yield* exec(paused, ["true"])).exitCode).toBe(0)
    }))

  it.live("a restarting container is MachineNotRunning and transient", () =>
    Effect.gen(function*() {
      const name = `bs-restarting-${process.pid}`
      containers.push(name)
      const run = dockerSync([
        "run",
        "--detach",
        "--restart",
        "always",
        "--network",
        "host",
        "--label",
        TEST_LABEL,
        "--name",
        name,
        TEST_IMAGES.root,
        "sh",
        "-c",
        "sleep 0.2; exit 1"
      ])
      expect(run.status).toBe(0)
      // The engine restarts it with a growing back-off; ask until one exec lands in the gap.
      let seen: ExecFailed | undefined
      for (let i = 0; i < 60 && seen === undefined; i++) {
        const attempt = yield* Effect.either(exec(name, ["true"]))
        if (
          attempt._tag === "Left" && attempt.left instanceof ExecFailed && attempt.left.stderr.includes("is restarting")
        ) {
          seen = attempt.left
        }
        yield* Effect.sleep("100 millis")
      }
      expect(seen).toBeDefined()
      expect(seen).toMatchObject({ reason: "MachineNotRunning", exitCode: 1 })
      expect(seen?.transient).toBe(true)
    }), 30_000)

  it.live("an unreachable engine is SmolvmError, not transient", () =>
    Effect.gen(function*() {
      const saved = process.env["DOCKER_HOST"]
      process.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
      const error = yield* failure(root, ["true"]).pipe(
        Effect.ensuring(Effect.sync(() => {
          process.env["DOCKER_HOST"] = saved
        }))
      )
      expect(error).toMatchObject({ reason: "SmolvmError", exitCode: 1 })
      expect(error.message).toContain("docker could not run the command")
      expect(error.message).toContain("Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock")
      expect(error.transient).toBe(false)
    }))

  it.live("a secret reaches the command and is on no host command line while it runs", () =>
    Effect.gen(function*() {
      const value = `s3cret-${process.pid}-${Date.now()}`
      const secretEnv = { S: Redacted.make(value) }
      // The expected value goes in through stdin, so no command line of this test holds it either.
      for (const name of [root, agent]) {
        expect(dockerExecSync(name, ["sh", "-c", "cat > /tmp/expected"], { input: value, user: "0" }).status).toBe(0)
        const same = yield* exec(name, ["sh", "-c", "test \"$S\" = \"$(cat /tmp/expected)\" && echo same"], {
          secretEnv
        })
        expect(same.stdout).toBe("same\n")
      }

      const running = yield* Effect.fork(exec(root, ["sh", "-c", "sleep 2; test -n \"$S\""], { secretEnv }))
      yield* Effect.sleep("800 millis")
      expect(hostCommandLinesWith(value)).toEqual([])
      const inside = dockerExecSync(root, [
        "sh",
        "-c",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done"
      ], {
        user: "0"
      })
      expect(inside.status).toBe(0)
      expect(inside.stdout).toContain("sleep 2")
      expect(inside.stdout).not.toContain(value)
      expect((yield* Fiber.join(running)).exitCode).toBe(0)
      // The value reached the command; a result is its raw output (read, not shown), as on smolvm.
      expect((yield* exec(root, ["sh", "-c", "echo \"$S\""], { secretEnv })).stdout).toBe(`${value}\n`)
    }))

  const deadlineCases: ReadonlyArray<readonly [string, () => string, Sandbox.ExecOptions]> = [
    ["as root", () => root, {}],
    ["as -u node", () => root, { user: "node" }],
    ["as the node image's user", () => agent, {}]
  ]
  for (const [who, target, options] of deadlineCases) {
    it.live(`at a 1 s deadline the exec's processes are killed in the container (${who})`, () =>
      Effect.gen(function*() {
        const name = target()
        const started = Date.now()
        const error = yield* failure(name, STUBBORN, { ...options, timeout: "1 second" })
        const elapsed = Date.now() - started
        console.log(`docker deadline ${who}: Timeout after ${elapsed} ms (${error.detail})`)
        expect(error).toMatchObject({ reason: "Timeout", backend: "docker" })
        expect(error.detail).toMatch(
          /its client was stopped and [3-9] processes it started in the container were killed$/
        )
        expect(elapsed).toBeLessThan(3000)
        expect(sleepers(name)).toEqual([])
      }))
  }

  it.live("a deadline that fires before docker has started the command still leaves nothing behind", () =>
    Effect.gen(function*() {
      // The client may be stopped after it asked the engine to start the command and before the
      // command runs: the kill script looks again for about a second when it finds nothing.
      for (const ms of [1, 20, 100]) {
        const error = yield* failure(root, ["sleep", "306"], { timeout: `${ms} millis` })
        expect(error.reason).toBe("Timeout")
        expect(sleepers(root)).toEqual([])
      }
    }))

  it.live("an interrupted exec leaves nothing running in the container either", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(exec(root, STUBBORN, { user: "node", timeout: "60 seconds" }))
      for (let i = 0; i < 100 && sleeps(root) < 3; i++) yield* Effect.sleep("50 millis")
      expect(sleeps(root)).toBe(3)
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      const elapsed = Date.now() - started
      console.log(`docker interruption: returned after ${elapsed} ms`)
      expect(elapsed).toBeLessThan(2000)
      expect(sleepers(root)).toEqual([])
    }))

  it.live("processes that switched user with runuser are killed too (same session)", () =>
    Effect.gen(function*() {
      const error = yield* failure(root, ["runuser", "-u", "node", "--", "sh", "-c", "sleep 303 & sleep 304"], {
        timeout: "1 second"
      })
      expect(error.reason).toBe("Timeout")
      expect(sleepers(root)).toEqual([])
    }))

  it.live("without an init that reaps, the killed processes are zombies and nothing else", () =>
    Effect.gen(function*() {
      const bare = startContainer({ image: "root", init: false })
      containers.push(bare)
      const error = yield* failure(bare, STUBBORN, { timeout: "1 second" })
      expect(error.detail).toMatch(/were killed$/)
      expect(sleepers(bare)).toEqual([])
    }))

  it.live("an exec that finishes in time is not killed, nor what it left running on purpose", () =>
    Effect.gen(function*() {
      // A daemon the command starts on purpose (its output elsewhere) outlives the exec.
      const result = yield* exec(root, ["sh", "-c", "nohup sleep 305 >/dev/null 2>&1 & echo started"], {
        timeout: "5 seconds"
      })
      expect(result.stdout).toBe("started\n")
      expect(sleepers(root).some((l) => l.includes("sleep 305"))).toBe(true)
      dockerExecSync(root, ["pkill", "-f", "sleep 305"], { user: "0" })
    }))

  it.live("output is bounded per stream", () =>
    Effect.gen(function*() {
      const result = yield* exec(root, ["sh", "-c", "head -c 2000000 /dev/zero | tr '\\0' x; echo; echo END"], {
        maxOutputBytes: 4096
      })
      expect(result.truncated).toBe(true)
      expect(result.stdout.length).toBeLessThan(4096 + 100)
      expect(result.stdout.endsWith("END\n")).toBe(true)
    }))

  it("the engine the tests use is the private one", () => {
    expect(process.env["DOCKER_HOST"]).toBe(DOCKER_HOST)
  })
})
