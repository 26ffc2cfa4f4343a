/**
 * `--docker CONTAINER` through the built CLI: the command runs on
 * `Docker.layer` (the docker binary from `DOCKER_BIN`), never on smolvm, and
 * `--dry-run` renders `docker exec` with docker's own `prepare`.
 */
import * as Schema from "effect/Schema"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import * as Cli from "../../src/Cli.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import { cleanupAfterEach, runBin, show, useBuiltBin } from "./support.js"

const built = useBuiltBin()
const defer = cleanupAfterEach()

const URL_A = "http://127.0.0.1:4318/"
const TOKEN = "tok-Zq8!S3cr3t-value"
const PREFIX = "bottle-supervise: "

/**
 * A docker client that records each call (argv NUL-separated, and the two
 * secret variables `-e NAME` would copy from its environment) and answers
 * with STUB_DOCKER_EXIT / STUB_DOCKER_STDERR, 0 and nothing by default.
 */
const STUB_DOCKER = `#!/bin/sh
printf '%s\\0' "$@" >"$STUB_DOCKER_LOG/$$.argv"
printf 'BOTTLE_SUPERVISE_TOKEN=%s\\nBOTTLE_SUPERVISE_HEADER=%s\\n' "\${BOTTLE_SUPERVISE_TOKEN-}" "\${BOTTLE_SUPERVISE_HEADER-}" >"$STUB_DOCKER_LOG/$$.env"
[ -n "\${STUB_DOCKER_STDERR-}" ] && printf '%s\\n' "$STUB_DOCKER_STDERR" >&2
exit "\${STUB_DOCKER_EXIT:-0}"
`

const dockerStub = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-docker-"))
  defer(() => fs.rmSync(dir, { recursive: true, force: true }))
  const log = path.join(dir, "log")
  fs.mkdirSync(log)
  const binary = path.join(dir, "docker")
  fs.writeFileSync(binary, STUB_DOCKER, { mode: 0o755 })
  // No smolvm here: a run that reached for it would fail with exit 3.
  const env = { DOCKER_BIN: binary, STUB_DOCKER_LOG: log, SMOLVM_BIN: path.join(dir, "no-smolvm") }
  const calls = () =>
    fs.readdirSync(log).filter((name) => name.endsWith(".argv")).map((name) => {
      const argv = fs.readFileSync(path.join(log, name), "utf8").split("\0")
      argv.pop()
      return { argv, env: fs.readFileSync(path.join(log, name.replace(/\.argv$/, ".env")), "utf8") }
    })
  return { binary, env, calls }
}

describe("--docker", () => {
  it("provision runs docker exec in the container, as the agent user: Registered", async () => {
    const docker = dockerStub()
    const run = await runBin(built.path, ["provision", "--docker", "agent-1", "--url", URL_A], docker.env)
    expect(run.code, show(run)).toBe(Cli.ExitCode.Ok)
    expect(run.stdout).toMatch(/^Registered: supervise → http:\/\/127\.0\.0\.1:4318\/ in agent-1 /)
    const [call, ...more] = docker.calls()
    expect(more).toEqual([])
    expect(call?.argv.slice(0, 3)).toEqual(["exec", "-u", "node"])
    expect(call?.argv).toContain("agent-1")
    expect(call?.argv.slice(-3)).toEqual(["supervise", URL_A, String(4 * 1024 * 1024)])
  })

  it("the token reaches the client's environment only, as docker exec -e NAME copies it", async () => {
    const docker = dockerStub()
    const run = await runBin(
      built.path,
      ["provision", "--docker", "agent-1", "--url", URL_A, "--token-env", "SUP_TOKEN", "--json"],
      { ...docker.env, SUP_TOKEN: TOKEN }
    )
    expect(run.code, show(run)).toBe(Cli.ExitCode.Ok)
    expect(run.stdout + run.stderr).not.toContain(TOKEN)
    const [call] = docker.calls()
    expect(call?.argv.join(" ")).not.toContain(TOKEN)
    expect(call?.argv).toEqual(expect.arrayContaining(["-e", "BOTTLE_SUPERVISE_TOKEN", "BOTTLE_SUPERVISE_HEADER"]))
    expect(call?.env).toBe(
      `BOTTLE_SUPERVISE_TOKEN=${TOKEN}\nBOTTLE_SUPERVISE_HEADER=${JSON.stringify(`Bearer ${TOKEN}`)}\n`
    )
  })

  it("docker's refusal is a Failed outcome about the container, with the step", async () => {
    const docker = dockerStub()
    const env = {
      ...docker.env,
      STUB_DOCKER_EXIT: "1",
      STUB_DOCKER_STDERR: "Error response from daemon: No such container: gone"
    }
    const run = await runBin(built.path, ["verify", "--docker", "gone", "--url", URL_A], env)
    expect(run.code, show(run)).toBe(Cli.ExitCode.NotOk)
    expect(run.stdout).toMatch(/^Failed: docker has no container named "gone"/)
    expect(run.stdout).toContain("\nFailed step: get: claude mcp get supervise\n")
    const json = await runBin(built.path, ["verify", "--docker", "gone", "--url", URL_A, "--json"], env)
    const outcome = Schema.decodeUnknownSync(ProvisionSupervise.VerifyOutcome)(JSON.parse(json.stdout))
    expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "MachineNotFound", backend: "docker" } })
  })

  it("a missing docker binary: exit 3, naming DOCKER_BIN", async () => {
    const run = await runBin(built.path, ["provision", "--docker", "agent-1", "--url", URL_A], {
      DOCKER_BIN: "/nonexistent/docker"
    })
    expect(run.code, show(run)).toBe(Cli.ExitCode.ClientNotFound)
    expect(run.stderr).toContain(
      `${PREFIX}the docker binary "/nonexistent/docker" was not found; set DOCKER_BIN to the path of docker\n`
    )
    expect(run.stdout).toBe("")
  })

  it("--dry-run prints docker exec lines from docker's prepare, the token as a variable, and runs nothing", async () => {
    const docker = dockerStub()
    const env = { ...docker.env, DOCKER_BIN: "/opt/docker/bin/docker", SUP_TOKEN: TOKEN }
    const args = ["provision", "--docker", "agent-1", "--url", URL_A, "--token-env", "SUP_TOKEN", "--dry-run"]
    const run = await runBin(built.path, args, env)
    expect(run.code, show(run)).toBe(0)
    expect(docker.calls()).toEqual([])
    expect(run.stdout).not.toContain(TOKEN)
    const commands = run.stdout.split("\n").filter((l) => /^(# )?BOTTLE_SUPERVISE_TOKEN=/.test(l))
    expect(commands).toHaveLength(3)
    expect(commands[0]).toMatch(
      new RegExp(
        `^BOTTLE_SUPERVISE_TOKEN="\\$SUP_TOKEN" BOTTLE_SUPERVISE_HEADER="\\\\"Bearer \\$SUP_TOKEN\\\\"" ` +
          `/opt/docker/bin/docker exec -u node -e BOTTLE_SUPERVISE_TOKEN -e BOTTLE_SUPERVISE_HEADER ` +
          `-e 'BOTTLE_SUPERVISE_EXEC=<exec-id>' agent-1 env `
      )
    )
    const json = await runBin(built.path, [...args, "--json"], env)
    expect(json.code, show(json)).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ _tag: "DryRun", command: "provision", backend: "docker" })
  })

  it("a dry run pasted into sh gives docker the token and header as the live layer does", async () => {
    const docker = dockerStub()
    const env = { ...docker.env, SUP_TOKEN: TOKEN }
    const dry = await runBin(built.path, [
      "provision",
      "--docker",
      "agent-1",
      "--url",
      URL_A,
      "--token-env",
      "SUP_TOKEN",
      "--dry-run"
    ], env)
    expect(dry.code, show(dry)).toBe(0)
    const pasted = spawnSync("sh", ["-s"], { input: dry.stdout, encoding: "utf8", env: { ...process.env, ...env } })
    const calls = docker.calls()
    expect(calls, pasted.stderr).toHaveLength(1)
    expect(calls[0]?.env).toBe(
      `BOTTLE_SUPERVISE_TOKEN=${TOKEN}\nBOTTLE_SUPERVISE_HEADER=${JSON.stringify(`Bearer ${TOKEN}`)}\n`
    )
  })

  it("verify --dry-run: one docker exec line", async () => {
    const run = await runBin(built.path, ["verify", "--docker", "agent-1", "--url", URL_A, "--dry-run"], {
      DOCKER_BIN: ""
    })
    expect(run.code, show(run)).toBe(0)
    const commands = run.stdout.split("\n").filter((l) => /^(# )?docker /.test(l))
    expect(commands).toEqual([
      expect.stringMatching(/^docker exec -u node -e 'BOTTLE_SUPERVISE_EXEC=<exec-id>' agent-1 env /)
    ])
  })
})

describe.concurrent("--machine or --docker: exactly one", () => {
  for (
    const [name, args] of [
      ["both", ["--machine", "m1", "--docker", "c1"]],
      ["neither", []]
    ] as const
  ) {
    for (const command of ["provision", "verify"]) {
      it(`${command} with ${name}: a usage error naming both flags`, async () => {
        const run = await runBin(built.path, [command, ...args, "--url", URL_A])
        expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
        expect(run.stderr).toContain("--machine")
        expect(run.stderr).toContain("--docker")
        for (const line of run.stderr.split("\n").filter((l) => l !== "")) {
          expect(line.startsWith(PREFIX), show(run)).toBe(true)
        }
        expect(run.stdout).toBe("")
      })
    }
  }

  it("a container name docker would not take: a plan error naming --docker", async () => {
    const run = await runBin(built.path, ["provision", "--docker", "-rm", "--url", URL_A])
    expect(run.code, show(run)).toBe(Cli.ExitCode.Usage)
    expect(run.stderr).toContain(PREFIX)
    const bad = await runBin(built.path, ["provision", "--docker", "a/b", "--url", URL_A])
    expect(bad.code, show(bad)).toBe(Cli.ExitCode.Usage)
    expect(bad.stderr).toBe(
      `${PREFIX}invalid plan:\n  --docker: may only contain ASCII letters, digits, '_', '.' and '-'\n`
    )
  })
})
