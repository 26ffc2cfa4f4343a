/**
 * Docker.layer against a stand-in docker client (test/fixtures/fake-docker):
 * the command line, secrets, validation before any process, every row of the
 * classification with its look-alikes, the client binary, and what happens in
 * the container at a deadline or an interruption (the kill exec).
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, FastCheck as fc, Fiber, Layer, Redacted, Tracer } from "effect"
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as Docker from "../src/Docker.js"
import { classify, isTransientDockerError } from "../src/internal/docker/classify.js"
import { KILL_SCRIPT } from "../src/internal/docker/killScript.js"
import { KILL_EXEC_TIMEOUT } from "../src/internal/docker/live.js"
import { EXEC_ID_PLACEHOLDER, MARKER, prepare } from "../src/internal/docker/request.js"
import * as Logger from "../src/Logger.js"
import * as Sandbox from "../src/Sandbox.js"
import { ExecFailed, type ExecFailureReason } from "../src/SandboxError.js"

const STUB = resolve(__dirname, "fixtures/fake-docker")

interface Answer {
  readonly scenario?: string
  readonly exit?: number
  readonly stdout?: string
  readonly stderr?: string
  readonly kill?: "ok" | "fail" | "hang"
  readonly bytes?: number
  readonly seconds?: number
}

/** A per-test copy of the stand-in: a wrapper that points it at its own record directory. */
const makeStub = (answer: Answer = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "fake-docker-"))
  const binary = join(dir, "docker")
  writeFileSync(binary, `#!/bin/sh\nRECORD_DIR='${dir}' exec '${STUB}' "$@"\n`)
  chmodSync(binary, 0o755)
  const put = (file: string, value: string | number | undefined) => {
    if (value !== undefined) writeFileSync(join(dir, file), String(value))
  }
  put("scenario", answer.scenario)
  put("exit", answer.exit)
  put("stdout", answer.stdout)
  put("stderr", answer.stderr)
  put("kill.scenario", answer.kill)
  put("bytes", answer.bytes)
  put("seconds", answer.seconds)
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : "")
  return {
    binary,
    dir,
    argv: () => read("argv").split("\0").slice(0, -1),
    killArgv: () => read("kill.argv").split("\0").slice(0, -1),
    env: () => read("env"),
    calls: () => read("calls").split("\n").filter((l) => l.length > 0),
    maxRunning: (container: string) => Number(read(`maxrun.${container}`) || "0"),
    pids: () => read("pids").split("\n").filter((l) => l.length > 0).map((l) => Number(l.split(" ")[1]))
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const live = (stub: { binary: string }, options: Omit<Docker.MakeOptions, "binary"> = {}) =>
  Docker.layerWith({ binary: stub.binary, ...options }).pipe(Layer.provide(NodeContext.layer))

const exec = (stub: { binary: string }, target: string, argv: ReadonlyArray<string>, options?: Sandbox.ExecOptions) =>
  Effect.flatMap(Docker.Docker, (docker) => docker.containerExec(target, argv, options)).pipe(
    Effect.provide(live(stub))
  )

const failure = (
  stub: { binary: string },
  target: string,
  argv: ReadonlyArray<string>,
  options?: Sandbox.ExecOptions
) =>
  Effect.flatMap(
    Effect.flip(exec(stub, target, argv, options)),
    (error) =>
      error instanceof ExecFailed ? Effect.succeed(error) : Effect.die(new Error(`not an ExecFailed: ${error.message}`))
  )

const MARKER_ARG = new RegExp(`^${MARKER}=[0-9a-f]{32}$`)

describe("Docker.layer: the command line", () => {
  it.live("renders `docker exec` flags, the marker, the container and the argv untouched, as a vector", () =>
    Effect.gen(function*() {
      const stub = makeStub({ stdout: "hello\n" })
      const argv = ["printf", "%s", "a b", "--", "$HOME;rm -rf /", "-u", "evil"]
      const result = yield* exec(stub, "bottle-1", argv, {
        user: "node",
        workdir: "/home/node/work dir",
        env: { LANG: "C.UTF-8", EMPTY: "" },
        secretEnv: { API_TOKEN: Redacted.make("s3cret-value") },
        timeout: "5 seconds"
      })
      expect(result).toEqual({ exitCode: 0, stdout: "hello\n", stderr: "", truncated: false })
      const recorded = stub.argv()
      expect(recorded.slice(0, 13)).toEqual([
        "exec",
        "-u",
        "node",
        "-w",
        "/home/node/work dir",
        "-e",
        "LANG=C.UTF-8",
        "-e",
        "EMPTY=",
        "-e",
        "API_TOKEN",
        "-e",
        recorded[12]
      ])
      expect(recorded[12]).toMatch(MARKER_ARG)
      expect(recorded.slice(13)).toEqual(["bottle-1", ...argv])
      expect(stub.calls()).toEqual(["main"])
    }))

  it.live("without options: no -u, no -w, only the marker", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "c", ["true"])
      const recorded = stub.argv()
      expect(recorded).toHaveLength(5)
      expect(recorded.slice(0, 2)).toEqual(["exec", "-e"])
      expect(recorded[2]).toMatch(MARKER_ARG)
      expect(recorded.slice(3)).toEqual(["c", "true"])
    }))

  it.live("every exec gets its own marker", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      const markers = new Set<string>()
      for (let i = 0; i < 5; i++) {
        yield* exec(stub, "c", ["true"])
        markers.add(stub.argv()[2] ?? "")
      }
      expect(markers.size).toBe(5)
    }))

  it.live("secrets travel in the client's environment under their names, never on its command line", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "c", ["true"], {
        secretEnv: { A_TOKEN: Redacted.make("first-secret"), B: Redacted.make("second secret\nline") }
      })
      for (const arg of stub.argv()) {
        expect(arg).not.toContain("first-secret")
        expect(arg).not.toContain("second secret")
      }
      expect(stub.argv()).toContain("A_TOKEN")
      expect(stub.argv()).toContain("B")
      expect(stub.env()).toMatch(/^A_TOKEN=first-secret$/m)
      expect(stub.env()).toContain("B=second secret\nline")
    }))

  it.live("the client inherits the launcher's environment (DOCKER_HOST and the like apply)", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "c", ["true"])
      expect(stub.env()).toContain(`PATH=${process.env["PATH"]}`)
    }))

  it("prepare renders the same line for the CLI's --dry-run, secret values only in env", () => {
    const prepared = prepare("bottle-1", ["claude", "mcp", "list"], {
      user: "node",
      secretEnv: { T: Redacted.make("v") }
    })
    expect(Either.isRight(prepared)).toBe(true)
    if (Either.isLeft(prepared)) return
    expect(prepared.right.args).toEqual([
      "exec",
      "-u",
      "node",
      "-e",
      "T",
      "-e",
      `${MARKER}=${EXEC_ID_PLACEHOLDER}`,
      "bottle-1",
      "claude",
      "mcp",
      "list"
    ])
    expect(prepared.right.env).toEqual({ T: "v" })
    expect(prepared.right.timeout).toEqual(Duration.seconds(60))
  })

  it.live("a result is the command's raw output (read, not shown), as on smolvm; an echoed secret is scrubbed from errors", () =>
    Effect.gen(function*() {
      const ok = makeStub({ stdout: "token is s3cret-value\n" })
      const result = yield* exec(ok, "c", ["env"], { secretEnv: { T: Redacted.make("s3cret-value") } })
      expect(result.stdout).toBe("token is s3cret-value\n")
      const bad = makeStub({ exit: 3, stderr: "s3cret-value\nAuthorization: Bearer other-token\n" })
      const error = yield* failure(bad, "c", ["env"], { secretEnv: { T: Redacted.make("s3cret-value") } })
      expect(error.stderr).not.toContain("s3cret-value")
      expect(error.stderr).not.toContain("other-token")
      expect(error.message).not.toContain("other-token")
    }))

  it.live("output is bounded: head and tail kept, the cut marked", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "flood", bytes: 1_000_000 })
      const result = yield* exec(stub, "c", ["yes"], { maxOutputBytes: 1000 })
      expect(result.truncated).toBe(true)
      expect(result.stdout.startsWith("x".repeat(500))).toBe(true)
      expect(result.stdout.endsWith("END\n")).toBe(true)
      expect(result.stdout.length).toBeLessThan(1200)
    }))
})

describe("Docker.layer: refused before any process", () => {
  const badTargets = ["", "-rm", "--help", "_x", ".x", "a b", "a/b", "a:b", "é", "x".repeat(129), "name\n"]
  for (const target of badTargets) {
    it.live(`target ${JSON.stringify(target.length > 20 ? `${target.slice(0, 10)}…(${target.length})` : target)} is InvalidTarget`, () =>
      Effect.gen(function*() {
        const stub = makeStub()
        const error = yield* failure(stub, target, ["true"])
        expect(error).toMatchObject({ reason: "InvalidTarget", backend: "docker", target })
        expect(error.message).toContain("invalid container name")
        expect(stub.calls()).toEqual([])
      }))
  }

  it.live("a name, a short id, a 64-hex id and docker's punctuation are accepted", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      for (
        const target of [
          "a",
          "4b8d3741e56a",
          "4b8d3741e56ad42547a2d3961ecb24ee81b582c3db9b11c37e51a28b43f5fa46",
          "my.bottle_1-2",
          "x".repeat(128)
        ]
      ) {
        yield* exec(stub, target, ["true"])
      }
      expect(stub.calls()).toHaveLength(5)
    }))

  const badOptions: ReadonlyArray<readonly [string, ReadonlyArray<string>, Sandbox.ExecOptions]> = [
    ["an empty argv", [], {}],
    ["a NUL in the argv", ["echo", "a\u0000b"], {}],
    ["a user starting with -", ["true"], { user: "-x" }],
    ["a user:group", ["true"], { user: "node:root" }],
    ["an env name with =", ["true"], { env: { "A=B": "x" } }],
    ["the marker as env", ["true"], { env: { [MARKER]: "x" } }],
    ["the marker as a secret", ["true"], { secretEnv: { [MARKER]: Redacted.make("x") } }],
    ["a secret named DOCKER_HOST", ["true"], { secretEnv: { DOCKER_HOST: Redacted.make("tcp://evil:2375") } }],
    ["a secret named LD_PRELOAD", ["true"], { secretEnv: { LD_PRELOAD: Redacted.make("/x.so") } }],
    ["a secret named https_proxy", ["true"], { secretEnv: { https_proxy: Redacted.make("http://p") } }],
    ["a name both in env and secretEnv", ["true"], { env: { T: "a" }, secretEnv: { T: Redacted.make("b") } }],
    ["a secret with a NUL", ["true"], { secretEnv: { T: Redacted.make("SUPERSECRET\u0000x") } }],
    ["a relative workdir", ["true"], { workdir: "work" }],
    ["a zero timeout", ["true"], { timeout: 0 }],
    ["maxOutputBytes 1", ["true"], { maxOutputBytes: 1 }]
  ]
  for (const [what, argv, options] of badOptions) {
    it.live(`${what} is InvalidRequest`, () =>
      Effect.gen(function*() {
        const stub = makeStub()
        const error = yield* failure(stub, "c", argv, options)
        expect(error).toMatchObject({ reason: "InvalidRequest", backend: "docker" })
        expect(error.message).not.toContain("SUPERSECRET")
        expect(error.message).not.toContain("evil")
        expect(stub.calls()).toEqual([])
      }))
  }

  it.live("a secret named like a Google key is not mistaken for a Go runtime variable", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      yield* exec(stub, "c", ["true"], { secretEnv: { GOOGLE_API_KEY: Redacted.make("k") } })
      expect(stub.env()).toMatch(/^GOOGLE_API_KEY=k$/m)
    }))

  it.live("an argv larger than the kernel accepts (E2BIG) is InvalidRequest, not a missing client", () =>
    Effect.gen(function*() {
      const stub = makeStub()
      const error = yield* Effect.flip(exec(stub, "c", ["echo", "x".repeat(200 * 1024)]))
      expect(error).toMatchObject({ _tag: "ExecFailed", reason: "InvalidRequest", backend: "docker" })
      expect(error.message).toContain("E2BIG")
      expect(stub.calls()).toEqual([])
    }))
})

describe("Docker.layer: the client binary", () => {
  it.live("a missing binary is ClientNotFound (NotFound) naming DOCKER_BIN", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(exec({ binary: "/nonexistent/docker" }, "c", ["true"]))
      expect(error).toMatchObject({
        _tag: "ClientNotFound",
        reason: "NotFound",
        binary: "/nonexistent/docker",
        backend: "docker"
      })
      expect(error.message).toContain("the docker binary \"/nonexistent/docker\" was not found")
      expect(error.message).toContain("DOCKER_BIN")
    }))

  it.live("a binary without the x bit is ClientNotFound (PermissionDenied)", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "noexec-docker-"))
      writeFileSync(join(dir, "docker"), "#!/bin/sh\n")
      chmodSync(join(dir, "docker"), 0o644)
      const error = yield* Effect.flip(exec({ binary: join(dir, "docker") }, "c", ["true"]))
      expect(error).toMatchObject({ _tag: "ClientNotFound", reason: "PermissionDenied", backend: "docker" })
      expect(error.message).toContain("is not executable")
      expect(error.message).toContain("DOCKER_BIN")
    }))

  it.live("an executable text file (no docker at all: the host's sh runs it and answers 127) is ClientNotFound, not a guest's", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "text-docker-"))
      writeFileSync(join(dir, "docker"), "hello\n")
      chmodSync(join(dir, "docker"), 0o755)
      const error = yield* Effect.flip(exec({ binary: join(dir, "docker") }, "c", ["true"]))
      expect(error).toMatchObject({ _tag: "ClientNotFound", reason: "Unknown", backend: "docker" })
      expect(error.message).toContain("it is not docker")
      expect(error.message).toContain("DOCKER_BIN")
    }))

  it.live("an empty or NUL-containing path is ClientNotFound before any spawn", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(exec({ binary: "" }, "c", ["true"]))).toMatchObject({
        _tag: "ClientNotFound",
        reason: "NotFound"
      })
      expect(yield* Effect.flip(exec({ binary: "/bin/do\u0000cker" }, "c", ["true"]))).toMatchObject({
        _tag: "ClientNotFound"
      })
    }))

  it.live("Docker.layer takes the binary from DOCKER_BIN and provides Sandbox with backend docker", () =>
    Effect.gen(function*() {
      const stub = makeStub({ stdout: "via config\n" })
      const layer = Docker.layer.pipe(
        Layer.provide(NodeContext.layer),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["DOCKER_BIN", stub.binary]]))))
      )
      const [viaDocker, sandbox] = yield* Effect.all([
        Effect.flatMap(Docker.Docker, (docker) => docker.containerExec("c", ["true"])),
        Sandbox.Sandbox
      ]).pipe(Effect.provide(layer))
      expect(viaDocker.stdout).toBe("via config\n")
      expect(sandbox.backend).toBe("docker")
      expect((yield* Effect.provide(sandbox.exec("c", ["true"]), NodeContext.layer)).stdout).toBe("via config\n")
      expect(stub.calls()).toEqual(["main", "main"])
    }))
})

describe("Docker.layer: docker's answers", () => {
  const rows: ReadonlyArray<readonly [string, Answer, Sandbox.ExecOptions, ExecFailureReason, number, boolean]> = [
    ["no such container", { scenario: "no-such-container" }, {}, "MachineNotFound", 1, false],
    ["a stopped container", { scenario: "not-running" }, {}, "MachineNotRunning", 1, false],
    ["a paused container", { scenario: "paused" }, {}, "MachineNotRunning", 1, false],
    ["a restarting container", { scenario: "restarting" }, {}, "MachineNotRunning", 1, true],
    ["an unreachable engine", { scenario: "unreachable" }, {}, "SmolvmError", 1, false],
    ["a missing user", { scenario: "no-user" }, { user: "node" }, "UserMismatch", 126, false],
    ["the image's missing default user", { scenario: "no-user" }, {}, "UserMismatch", 126, false],
    ["a missing command", { scenario: "no-command" }, {}, "GuestCommandNotFound", 126, false],
    ["a command that is not executable", { scenario: "not-executable" }, {}, "SmolvmError", 126, false],
    [
      "a shell's command not found",
      { exit: 127, stderr: "sh: 1: claude: not found\n" },
      {},
      "GuestCommandNotFound",
      127,
      false
    ],
    ["a command killed by SIGKILL", { exit: 137 }, {}, "GuestSignal", 137, false],
    ["a command's exit 3", { exit: 3, stderr: "no\n" }, {}, "NonZeroExit", 3, false],
    ["a command's own exit 124", { exit: 124 }, {}, "NonZeroExit", 124, false],
    [
      "docker's usage error",
      {
        exit: 125,
        stderr:
          "unknown flag: --bogus\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun 'docker exec --help' for more information\n"
      },
      {},
      "SmolvmUsage",
      125,
      false
    ],
    // Look-alikes: the command's own words and exit codes.
    [
      "a command's exit 1 with `Error: something`",
      { exit: 1, stderr: "Error: something\n" },
      {},
      "NonZeroExit",
      1,
      false
    ],
    [
      "a command's exit 1 naming another container",
      { exit: 1, stderr: "Error response from daemon: No such container: other\n" },
      {},
      "NonZeroExit",
      1,
      false
    ],
    [
      "a command's exit 1 about another paused container",
      { exit: 1, stderr: "Error response from daemon: Container other is paused, unpause the container before exec\n" },
      {},
      "NonZeroExit",
      1,
      false
    ],
    [
      "the daemon's sentence after other output",
      { exit: 1, stdout: "working\n", stderr: "Error response from daemon: No such container: c\n" },
      {},
      "NonZeroExit",
      1,
      false
    ],
    [
      "the daemon's sentence not on the first line",
      {
        exit: 1,
        stderr:
          "retrying\nError response from daemon: Container 4b8d3741e56ad42547a2d3961ecb24ee81b582c3db9b11c37e51a28b43f5fa46 is restarting, wait until the container is running\n"
      },
      {},
      "NonZeroExit",
      1,
      false
    ],
    [
      "a command's exit 126 with other words",
      { exit: 126, stderr: "bash: ./x: Permission denied\n" },
      {},
      "NonZeroExit",
      126,
      false
    ],
    [
      "a command's exit 126 about another user",
      { exit: 126, stdout: "unable to find user bob: no matching entries in passwd file\n" },
      { user: "node" },
      "NonZeroExit",
      126,
      false
    ],
    [
      "a command's exit 126 about another command",
      {
        exit: 126,
        stdout:
          "OCI runtime exec failed: exec failed: unable to start container process: exec: \"other\": executable file not found in $PATH: unknown\n"
      },
      {},
      "NonZeroExit",
      126,
      false
    ]
  ]
  for (const [what, answer, options, reason, exitCode, transient] of rows) {
    it.live(`${what} is ${reason}${transient ? ", transient" : ""}`, () =>
      Effect.gen(function*() {
        const error = yield* failure(makeStub(answer), "c", ["claude", "--version"], options)
        const { argv, backend, target } = error
        expect({ reason: error.reason, exitCode: error.exitCode, backend, target, argv, transient: error.transient })
          .toEqual({
            reason,
            exitCode,
            backend: "docker",
            target: "c",
            argv: ["claude", "--version"],
            transient
          })
        expect(error.message.length).toBeGreaterThan(10)
      }))
  }

  it.live("messages say what happened, in docker's terms", () =>
    Effect.gen(function*() {
      const notFound = yield* failure(makeStub({ scenario: "no-such-container" }), "c", ["true"])
      expect(notFound.message).toBe(
        `docker has no container named "c": Error response from daemon: No such container: c`
      )
      const noUser = yield* failure(makeStub({ scenario: "no-user" }), "c", ["true"], { user: "node" })
      expect(noUser.message).toBe(
        `the agent user does not exist on container "c": unable to find user node: no matching entries in passwd file`
      )
      const unreachable = yield* failure(makeStub({ scenario: "unreachable" }), "c", ["true"])
      expect(unreachable.message).toContain(
        `docker could not run the command on container "c": Cannot connect to the Docker daemon`
      )
      const noCommand = yield* failure(makeStub({ scenario: "no-command" }), "c", ["claude"])
      expect(noCommand.message).toContain(`the command "claude" does not exist on container "c"`)
    }))
})

describe("Docker.layer: deadlines and interruption kill inside the container", () => {
  it.live("at the deadline the client is reaped and the kill exec runs as the exec's user with the exec's marker", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "hang", stdout: "partial\n" })
      const started = Date.now()
      const error = yield* failure(stub, "c", ["sleep", "300"], { timeout: "1 second", user: "node" })
      const elapsed = Date.now() - started
      expect(error).toMatchObject({ reason: "Timeout", backend: "docker", stdout: "partial\n" })
      expect(error.detail).toBe(
        "docker exec has no timeout; at the host's deadline of 1s its client was stopped and 2 processes it started in the container were killed"
      )
      expect(error.transient).toBe(false)
      // 1 s, SIGTERM ignored for the 500 ms grace, SIGKILL, then the kill exec.
      expect(elapsed).toBeGreaterThanOrEqual(1000)
      expect(elapsed).toBeLessThan(3000)
      expect(stub.calls()).toEqual(["main", "kill"])
      const marker = stub.argv().find((arg) => MARKER_ARG.test(arg))
      expect(stub.killArgv()).toEqual([
        "exec",
        "-u",
        "node",
        "c",
        "sh",
        "-c",
        KILL_SCRIPT,
        "bottle-supervise-kill",
        marker?.slice(MARKER.length + 1)
      ])
      for (const pid of stub.pids()) expect(alive(pid)).toBe(false)
    }))

  it.live("an interrupted exec is killed inside the container too", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "hang" })
      const fiber = yield* Effect.fork(exec(stub, "c", ["sleep", "300"], { timeout: "60 seconds" }))
      while (!stub.calls().includes("main")) yield* Effect.sleep("20 millis")
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(stub.calls()).toEqual(["main", "kill"])
      expect(stub.killArgv().slice(0, 2)).toEqual(["exec", "c"])
      for (const pid of stub.pids()) expect(alive(pid)).toBe(false)
    }))

  it.live("a kill exec that fails is reported in the Timeout's detail", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "hang", kill: "fail" })
      const error = yield* failure(stub, "c", ["sleep", "300"], { timeout: "300 millis", user: "node" })
      expect(error.reason).toBe("Timeout")
      expect(error.detail).toContain(
        "its processes in the container could not be killed: the kill exec exited 126: OCI runtime exec failed"
      )
    }))

  it.live("a kill exec that hangs is bounded too", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "hang", kill: "hang" })
      const started = Date.now()
      const error = yield* failure(stub, "c", ["sleep", "300"], { timeout: "200 millis" })
      const elapsed = Date.now() - started
      expect(error.detail).toContain(`the kill exec did not finish within ${Duration.format(KILL_EXEC_TIMEOUT)}`)
      // Deadline, two client reaps (grace 500 ms + SIGKILL each) and the kill exec's bound.
      expect(elapsed).toBeLessThan(200 + Duration.toMillis(KILL_EXEC_TIMEOUT) + 2 * 1000 + 1000)
      for (const pid of stub.pids()) expect(alive(pid)).toBe(false)
    }), 20_000)

  it.live("a client killed by someone else is ClientSignal, and the command is killed in the container too", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "signal", stdout: "partial\n" })
      const error = yield* failure(stub, "c", ["sleep", "300"], { user: "node" })
      expect(error).toMatchObject({ reason: "ClientSignal", signal: "SIGKILL", backend: "docker", stdout: "partial\n" })
      expect(error.detail).toBe("the docker client died; 2 processes it started in the container were killed")
      expect(stub.calls()).toEqual(["main", "kill"])
      expect(stub.killArgv().slice(0, 4)).toEqual(["exec", "-u", "node", "c"])
    }))

  it.live("an interrupted exec whose kill fails says so in a warning, since no caller sees an error", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "hang", kill: "fail" })
      const [, logs] = yield* Logger.capture(Effect.gen(function*() {
        const fiber = yield* Effect.fork(exec(stub, "c", ["sleep", "300"], { timeout: "60 seconds" }))
        while (!stub.calls().includes("main")) yield* Effect.sleep("20 millis")
        yield* Fiber.interrupt(fiber)
      }))
      expect(logs.map((log) => [log.level, log.message, log.annotations[Logger.LogKeys.target]])).toEqual([[
        "WARN",
        "interrupted exec on container c: its processes in the container could not be killed: the kill exec exited 126: OCI runtime exec failed: exec failed: unable to start container process: exec: \"sh\": executable file not found in $PATH: unknown",
        "c"
      ]])
    }))

  it.live("an exec that finishes runs no kill exec", () =>
    Effect.gen(function*() {
      const stub = makeStub({ exit: 5 })
      yield* failure(stub, "c", ["false"], { timeout: "5 seconds" })
      expect(stub.calls()).toEqual(["main"])
    }))
})

describe("Docker.containerExec's span", () => {
  it.live("is named Docker.containerExec and carries the target and argv[0] only: no env, no secret, no argument", () =>
    Effect.gen(function*() {
      const base = yield* Effect.tracer
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        context: base.context,
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        }
      })
      const stub = makeStub()
      yield* exec(stub, "bottle-1", ["claude", "mcp", "add", "--header", "Authorization: Bearer argv-secret"], {
        env: { VISIBLE: "env-value" },
        secretEnv: { T: Redacted.make("secret-value") }
      }).pipe(Effect.withTracer(recording))
      const span = spans.find((s) => s.name === "Docker.containerExec")
      expect(span).toBeDefined()
      expect(Object.fromEntries(span?.attributes ?? [])).toEqual({
        "docker.target": "bottle-1",
        "docker.command": "claude"
      })
    }))
})

describe("Docker.layer: per-container concurrency", () => {
  it.live("at most maxConcurrentExecsPerContainer execs of one container run at once; containers do not wait for each other", () =>
    Effect.gen(function*() {
      const stub = makeStub({ scenario: "slow", seconds: 0.3 })
      const layer = live(stub, { maxConcurrentExecsPerContainer: 2 })
      yield* Effect.forEach(
        ["a", "a", "a", "a", "a", "b", "b", "b"],
        (target) => Effect.flatMap(Docker.Docker, (docker) => docker.containerExec(target, ["true"])),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(layer))
      expect(stub.maxRunning("a")).toBe(2)
      expect(stub.maxRunning("b")).toBe(2)
    }))
})

describe("docker classification properties", () => {
  const daemonTexts = [
    "Error response from daemon: No such container: c",
    "Error response from daemon: Container 4b8d3741e56ad42547a2d3961ecb24ee81b582c3db9b11c37e51a28b43f5fa46 is not running",
    "Error response from daemon: Container c is paused, unpause the container before exec",
    "Error response from daemon: Container 4b8d3741e56ad42547a2d3961ecb24ee81b582c3db9b11c37e51a28b43f5fa46 is restarting, wait until the container is running",
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    "unable to find user node: no matching entries in passwd file",
    "OCI runtime exec failed: exec failed: unable to start container process: exec: \"x\": executable file not found in $PATH: unknown",
    "sh: 1: x: not found"
  ]

  it.prop(
    "every exit code and output gets one verdict; only 0 succeeds; transient only for restarting, on exit 1",
    {
      code: fc.integer({ min: 0, max: 255 }),
      stdout: fc.oneof(fc.constant(""), fc.string(), fc.constantFrom(...daemonTexts)),
      stderr: fc.oneof(fc.string(), fc.constantFrom(...daemonTexts))
    },
    ({ code, stdout, stderr }) => {
      const verdict = classify({ target: "c", user: "node", argv: ["x"] }, code, stdout, stderr)
      expect(verdict._tag === "Success").toBe(code === 0)
      if (verdict._tag === "Failure" && isTransientDockerError(verdict.reason, stderr)) {
        expect(code).toBe(1)
        expect(stdout.trim()).toBe("")
        expect(stderr).toContain("is restarting")
      }
    }
  )

  it("SpawnFailed is transient on docker as on smolvm; Timeout and the rest are not", () => {
    expect(isTransientDockerError("SpawnFailed", "")).toBe(true)
    expect(isTransientDockerError("Timeout", "")).toBe(false)
    expect(
      isTransientDockerError(
        "MachineNotRunning",
        "Error response from daemon: Container c is paused, unpause the container before exec"
      )
    ).toBe(false)
  })

  it("a stopped container named by its full id must be that id", () => {
    const id = "4b8d3741e56ad42547a2d3961ecb24ee81b582c3db9b11c37e51a28b43f5fa46"
    const other = "0".repeat(64)
    const said = (named: string) => `Error response from daemon: Container ${named} is not running\n`
    expect(classify({ target: id, user: undefined, argv: ["x"] }, 1, "", said(id))).toMatchObject({
      reason: "MachineNotRunning"
    })
    expect(classify({ target: id, user: undefined, argv: ["x"] }, 1, "", said(other))).toMatchObject({
      reason: "NonZeroExit"
    })
    expect(classify({ target: "bottle", user: undefined, argv: ["x"] }, 1, "", said(other))).toMatchObject({
      reason: "MachineNotRunning"
    })
  })
})
