/**
 * The Docker test infrastructure itself: the private engine answers, both test
 * images run the pinned Claude Code CLI, exec lands as root or as the agent,
 * root switches to the agent with runuser, and what runs in a container is
 * visible there. Needs the engine of `.ci/docker-engine.sh` (skipped without
 * it, failing on CI).
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import {
  describeDocker,
  DOCKER_ENV,
  dockerExecSync,
  dockerSync,
  guestStat,
  pauseContainer,
  readGuestFile,
  removeContainer,
  startContainer,
  stopContainer,
  unpauseContainer,
  writeGuestFile
} from "../support/docker.js"

/** The pinned CLI's version, as its package says. */
const pinnedVersion = (): string => {
  const text = readFileSync(
    new URL("../../node_modules/@anthropic-ai/claude-code/package.json", import.meta.url),
    "utf8"
  )
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string") {
    return parsed.version
  }
  throw new Error("node_modules/@anthropic-ai/claude-code/package.json has no version")
}

describeDocker("docker: test engine and images", (host) => {
  const containers: Array<string> = []
  let asRoot = ""
  let asNode = ""

  beforeAll(() => {
    asRoot = startContainer({ image: "root" })
    containers.push(asRoot)
    asNode = startContainer({ image: "node" })
    containers.push(asNode)
  })

  afterAll(() => {
    for (const name of containers) removeContainer(name)
  })

  it("the engine is the one DOCKER_ENV points at, and both containers run", () => {
    expect(DOCKER_ENV.DOCKER_HOST).toBe(host)
    for (const name of [asRoot, asNode]) {
      const inspect = dockerSync([
        "inspect",
        "--format",
        "{{.State.Running}} {{index .Config.Labels \"bottle-supervise-test\"}}",
        name
      ])
      expect(inspect.status).toBe(0)
      expect(inspect.stdout.trim()).toBe("true 1")
    }
  })

  it("exec lands as root in the root image and as node in the node image", () => {
    expect(dockerExecSync(asRoot, ["id", "-un"]).stdout.trim()).toBe("root")
    const node = dockerExecSync(asNode, ["sh", "-c", "echo \"$(id -un) $(id -u) $HOME\""])
    expect(node).toMatchObject({ status: 0 })
    expect(node.stdout.trim()).toBe("node 1001 /home/node")
  })

  it("claude --version answers the pinned version as root and as node", () => {
    const version = pinnedVersion()
    for (const [name, user] of [[asRoot, undefined], [asNode, undefined], [asRoot, "node"]] as const) {
      const result = dockerExecSync(name, ["claude", "--version"], user === undefined ? {} : { user })
      expect(result.stderr).toBe("")
      expect(result.status).toBe(0)
      expect(result.stdout.trim()).toBe(`${version} (Claude Code)`)
    }
  })

  it("root switches to node with runuser (and su), the way the library does on a bare VM", () => {
    const runuser = dockerExecSync(asRoot, ["runuser", "-u", "node", "--", "sh", "-c", "echo \"$(id -un) $HOME\""])
    expect(runuser).toMatchObject({ status: 0, stderr: "" })
    expect(runuser.stdout.trim()).toBe("node /home/node")
    const claude = dockerExecSync(asRoot, ["runuser", "-u", "node", "--", "claude", "--version"])
    expect(claude.status).toBe(0)
    expect(claude.stdout).toContain(pinnedVersion())
    const su = dockerExecSync(asRoot, ["su", "-s", "/bin/sh", "-c", "id -un", "node"])
    expect(su.stdout.trim()).toBe("node")
    // Where exec lands as the agent, runuser refuses.
    const refused = dockerExecSync(asNode, ["runuser", "-u", "node", "--", "id"])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain("may not be used by non-root users")
  })

  it("a process started in a container is visible with ps there, and gone once killed", () => {
    const marker = `sleep 4242${Math.floor(Math.random() * 10)}`
    const start = dockerExecSync(asRoot, ["sh", "-c", `${marker} >/dev/null 2>&1 &`])
    expect(start.status).toBe(0)
    const ps = dockerExecSync(asRoot, ["ps", "-eo", "pid,args"])
    expect(ps.status).toBe(0)
    expect(ps.stdout).toContain(marker)
    expect(dockerExecSync(asRoot, ["pkill", "-f", marker]).status).toBe(0)
    // docker-init reaps it: no zombie left.
    let after = ""
    for (let i = 0; i < 50; i++) {
      after = dockerExecSync(asRoot, ["ps", "-eo", "pid,stat,args"]).stdout
      if (!after.includes(marker)) break
    }
    expect(after).not.toContain(marker)
  })

  it("files: written as node, owned by node, read back; a missing path has no stat", () => {
    const path = "/home/node/infra-check.json"
    writeGuestFile(asRoot, path, "{\"a\": 1}\n", { user: "node", mode: 0o600 })
    expect(guestStat(asRoot, path)).toEqual({ uid: 1001, gid: 1001, mode: 0o600, size: 9 })
    expect(readGuestFile(asRoot, path)).toBe("{\"a\": 1}\n")
    expect(guestStat(asRoot, "/home/node/nope")).toBeUndefined()
    expect(guestStat(asNode, "/tmp")).toMatchObject({ uid: 0, mode: 0o1777 })
  })

  it("paused and stopped containers refuse exec with the daemon's messages", () => {
    const name = startContainer({ image: "root" })
    containers.push(name)
    pauseContainer(name)
    const paused = dockerExecSync(name, ["true"])
    expect(paused.status).toBe(1)
    expect(paused.stderr).toContain(`Container ${name} is paused`)
    unpauseContainer(name)
    expect(dockerExecSync(name, ["true"]).status).toBe(0)
    stopContainer(name)
    const stopped = dockerExecSync(name, ["true"])
    expect(stopped.status).toBe(1)
    expect(stopped.stderr).toMatch(/Container [0-9a-f]{64} is not running/)
    removeContainer(name)
    removeContainer(name)
    const gone = dockerExecSync(name, ["true"])
    expect(gone.stderr).toContain(`No such container: ${name}`)
  })
})
