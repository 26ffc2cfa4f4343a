/**
 * Verification as one guest step: the agent's own health check
 * (`claude mcp get`), read into an outcome.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { ExecFailed } from "../SandboxError.js"
import * as ClaudeConfig from "./claudeConfig.js"
import * as Guest from "./guest.js"
import * as McpGet from "./mcpGet.js"
import { Connected, NotRegistered, Unreachable } from "./outcomes.js"
import { scrub } from "./redact.js"
import * as Shown from "./shown.js"
import { secretsOf, type Session } from "./supervised.js"

/** `claude mcp get` as the agent, read into an outcome. */
/** @internal */
export const check = ({ agent, base, runner, supervise, target }: Session) =>
  Effect.gen(function*() {
    const argv = Guest.getArgv(agent, supervise)
    const secrets = secretsOf(supervise)
    // The script exits 0 whatever the CLI said and marks the CLI's status, so the raw words are
    // read here (a token like `http` must not blank a URL before parsing); only what is shown is scrubbed.
    // A guest whose exec itself exits 1 (an older script, a fake) is read the same way.
    const ran = yield* runner.exec(argv).pipe(
      Effect.catchIf(
        (error): error is ExecFailed => error._tag === "ExecFailed" && error.reason === "NonZeroExit",
        (error) => Effect.succeed({ exitCode: error.exitCode ?? 1, stdout: error.stdout, stderr: error.stderr })
      )
    )
    const marked = ran.stderr.split("\n").find((line) => line.startsWith(Guest.CLI_EXIT_MARK))
    const exitCode = marked === undefined ? ran.exitCode : Number(marked.slice(Guest.CLI_EXIT_MARK.length))
    const stdout = ran.stdout
    const stderr = ran.stderr.split("\n").filter((line) => !line.startsWith(Guest.CLI_EXIT_MARK)).join("\n")
    const execs = yield* runner.execs
    const shownStdout = scrub(stdout, secrets)
    const shownStderr = scrub(stderr, secrets)
    const health = Number.isInteger(exitCode) ? McpGet.parse(exitCode, stdout, stderr) : { _tag: "Unknown" as const }
    const unexpected = (detail: string) =>
      new ExecFailed({
        target,
        argv: [...argv],
        reason: "UnexpectedOutput",
        // The CLI's own status, as the script marked it.
        exitCode: Number.isInteger(exitCode) ? exitCode : undefined,
        stdout: shownStdout,
        stderr: shownStderr,
        detail
      })
    switch (health._tag) {
      case "Connected": {
        // Another server under the plan's name, or a stale entry whose old URL happens to
        // answer, is not the planned sidecar: only the planned URL over http is Connected.
        const http = health.type === undefined || health.type === "http"
        if (http && health.url === supervise.agentUrl) {
          return new Connected({ ...base, execs, registeredUrl: health.url })
        }
        if (http && health.url === undefined) {
          return yield* unexpected("`claude mcp get` reported an http server with no URL")
        }
        // As stored, not re-serialised: `http://h:1` and `http://h:1/` differ here as they do for
        // provisioning, which rewrites the entry to the plan's text.
        const registeredUrl = ClaudeConfig.displayUrl(health.url)
        return new Unreachable({
          ...base,
          execs,
          registeredUrl,
          reason: http
            ? `the agent's config points at ${
              registeredUrl ?? "a URL that cannot be shown"
            }, not ${supervise.agentUrl}: ` +
              `provision again`
            : `the agent's ${supervise.serverName} is a ${health.type} server, not the sidecar at ${supervise.agentUrl}: ` +
              `provision again`
        })
      }
      case "Unreachable":
        return new Unreachable({
          ...base,
          execs,
          registeredUrl: ClaudeConfig.displayUrl(health.url),
          // The CLI's words, as shown: credentials scrubbed, control characters escaped.
          reason: Shown.escape(scrub(health.reason, secrets))
        })
      case "NotRegistered":
        return new NotRegistered({ ...base, execs })
      case "Unknown":
        return yield* unexpected("`claude mcp get` printed nothing this library understands")
    }
  })
