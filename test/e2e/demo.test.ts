/**
 * `npm run demo`, as the README tells people to run it: a subprocess that must
 * exit 0, print every step, and never print the token.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { claudeProblem, gatedOn } from "./prerequisites.js"

const REPO = fileURLToPath(new URL("../..", import.meta.url))

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const runDemo = (token: string): Effect.Effect<Ran> =>
  Effect.async<Ran>((resume, signal) => {
    // Under `npm test`, npm tells us which npm runs us; otherwise the one on PATH.
    const npmCli = process.env["npm_execpath"]
    const [command, args] = npmCli !== undefined && npmCli.endsWith(".js")
      ? [process.execPath, [npmCli, "run", "--silent", "demo"]]
      : ["npm", ["run", "--silent", "demo"]]
    execFile(
      command,
      args,
      { cwd: REPO, env: { ...process.env, BOTTLE_SUPERVISE_DEMO_TOKEN: token }, signal, timeout: 55_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
        resume(Effect.succeed({ code, stdout, stderr }))
      }
    )
  })

gatedOn("npm run demo", claudeProblem(), (title) =>
  describe(title, () => {
    it.live("exits 0, prints every step, and never prints the token", () =>
      Effect.gen(function*() {
        const token = `demo-test-token-${Date.now()}`
        const ran = yield* runDemo(token)
        const all = `${ran.stdout}\n${ran.stderr}`
        expect(ran.code, all).toBe(0)
        for (
          const step of [
            /1\. Reference supervise sidecar listening at http:\/\/127\.0\.0\.1:\d+\//,
            /2\. Stand-in guest "demo-bottle": exec lands as/,
            /→ Registered \(1 exec, 1 Claude Code start\)/,
            /"Authorization": "Bearer \[REDACTED\]"/,
            /5\. verifySupervise[\s\S]*→ Connected/,
            /- pipelock-block: /,
            /- capability-block: /,
            /agent ← sidecar: Recorded as request #1/,
            /→ Unchanged \(1 exec, 0 Claude Code starts/,
            /→ Replaced \(2 execs, 2 Claude Code starts; changed: url; was http:\/\/127\.0\.0\.1:\d+\/\)/,
            /verifySupervise → Connected/
          ]
        ) expect(ran.stdout).toMatch(step)
        expect(ran.stderr).toContain(
          "bottle-supervise[demo-bottle] info: supervise MCP server registered on demo-bottle"
        )
        expect(all).not.toContain(token)
      }), 60_000)
  }))
