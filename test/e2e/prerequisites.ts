/**
 * What the end-to-end suite needs from the host, and how it reacts when
 * something is missing: skip with the reason in the test name, except on CI
 * (`CI=true`), where a missing prerequisite is a failure.
 */
import { describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { currentUser, type HostUser, isRoot, lookupUser } from "../support/standin.js"

/** The repository's `claude` CLI. */
export const CLAUDE_BIN: string = fileURLToPath(new URL("../../node_modules/.bin/claude", import.meta.url))

/** Why the repository's claude CLI cannot run here, or undefined when it can. */
export const claudeProblem = (): string | undefined => {
  try {
    execFileSync(CLAUDE_BIN, ["--version"], { stdio: "ignore", timeout: 20_000 })
    return undefined
  } catch {
    return "the claude CLI (node_modules/.bin/claude) does not run: npm ci, then node node_modules/@anthropic-ai/claude-code/install.cjs"
  }
}

/**
 * A `claude` that `user` can run: the repository's own when `user` reaches it,
 * else a hard link (or, across file systems, a copy) in `dir`, a directory
 * `user` can reach. A clone in a private directory (mode 0700, as `mktemp -d`
 * makes) is out of every other user's reach, so the repository's CLI cannot be
 * run as the agent there; the smolvm stand-in does the same for its guests.
 */
export const claudeBinFor = (user: HostUser, dir: string): string => {
  if (user.uid === currentUser().uid) return CLAUDE_BIN
  try {
    execFileSync("runuser", ["-u", user.name, "--", "test", "-x", CLAUDE_BIN], { stdio: "ignore", timeout: 20_000 })
    return CLAUDE_BIN
  } catch {
    const target = path.join(dir, "claude")
    const source = fs.realpathSync(CLAUDE_BIN)
    try {
      fs.linkSync(source, target)
    } catch {
      fs.copyFileSync(source, target)
      fs.chmodSync(target, 0o755)
    }
    return target
  }
}

/** How exec lands in the guest. */
export type Landing = "root" | "agent"

/** A runnable setup: who the agent is and where exec lands. */
export interface Setup {
  readonly agent: HostUser
  readonly execLandsAs: Landing
}

/**
 * The setup for a landing mode on this host, or why there is none.
 *
 * - `root`: a bare VM; exec runs as root and the library switches to `node`.
 *   Needs this process to be root and a `node` user.
 * - `agent`: an image ending in `USER <agent>`. As root the agent is `node`
 *   (the stand-in drops to it); otherwise the agent is the current user.
 */
export const setupFor = (landing: Landing): { readonly setup: Setup } | { readonly missing: string } => {
  const claude = claudeProblem()
  if (claude !== undefined) return { missing: claude }
  const node = lookupUser("node")
  if (landing === "root") {
    if (!isRoot()) return { missing: `needs root to emulate exec landing as root (running as ${currentUser().name})` }
    if (node === undefined) return { missing: "needs a `node` user to switch to (useradd --create-home node)" }
    return { setup: { agent: node, execLandsAs: "root" } }
  }
  if (isRoot()) {
    if (node === undefined) return { missing: "as root, needs a `node` user for exec to land as" }
    return { setup: { agent: node, execLandsAs: "agent" } }
  }
  return { setup: { agent: currentUser(), execLandsAs: "agent" } }
}

/** Whether missing prerequisites must fail rather than skip. */
export const onCI: boolean = process.env["CI"] === "true"

/**
 * Registers `body` under `title` when the setup exists; otherwise a skipped
 * block whose name says why, or, on CI, a failing test that says what is
 * missing.
 */
export const gated = (
  title: string,
  landing: Landing,
  body: (title: string, setup: Setup) => void
): void => {
  const found = setupFor(landing)
  if ("setup" in found) body(title, found.setup)
  else missingPrerequisite(title, found.missing)
}

/** `gated` for a block whose only prerequisite is `missing` being undefined. */
export const gatedOn = (title: string, missing: string | undefined, body: (title: string) => void): void => {
  if (missing === undefined) body(title)
  else missingPrerequisite(title, missing)
}

const missingPrerequisite = (title: string, missing: string): void => {
  if (onCI) {
    describe(title, () => {
      it(`prerequisites (CI=true, so not skipped): ${missing}`, () => {
        throw new Error(`missing prerequisite on CI: ${missing}`)
      })
    })
    return
  }
  describe.skip(`${title} (skipped: ${missing})`, () => {
    it("needs the prerequisites above", () => {})
  })
}
