/**
 * Verification as one guest step: the agent's own health check
 * (`claude mcp get`, `gemini mcp list`), or its stored entry and a probe of
 * the URL from inside the guest, read into an outcome.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { ExecFailed } from "../SandboxError.js"
import { agentOf } from "./agents/registry.js"
import * as ClaudeConfig from "./claudeConfig.js"
import { MARK_PREFIX } from "./guest.js"
import { Connected, NotRegistered, Unreachable } from "./outcomes.js"
import { scrub } from "./redact.js"
import * as Shown from "./shown.js"
import { secretsOf, type Session } from "./supervised.js"

/** The agent's verification step, read into an outcome. */
/** @internal */
export const check = ({ agent, base, runner, supervise, target }: Session) =>
  Effect.gen(function*() {
    const impl = agentOf(agent.kind)
    const argv = impl.verifyArgv(agent, supervise)
    const secrets = secretsOf(supervise)
    const checkedBy = impl.checkedBy
    // The scripts exit 0 whatever the CLI said and mark the CLI's status, so the raw words are
    // read here (a token like `http` must not blank a URL before parsing); only what is shown is scrubbed.
    // A guest whose exec itself exits 1 (an older script, a fake) is read the same way.
    const ran = yield* runner.exec(argv, impl.verifyEnv(supervise)).pipe(
      Effect.catchIf(
        (error): error is ExecFailed => error._tag === "ExecFailed" && error.reason === "NonZeroExit",
        (error) => Effect.succeed({ exitCode: error.exitCode ?? 1, stdout: error.stdout, stderr: error.stderr })
      )
    )
    const execs = yield* runner.execs
    const health = impl.health(ran, supervise)
    const unexpected = (detail: string, shown: { exitCode: number | undefined; stdout: string; stderr: string }) =>
      new ExecFailed({
        target,
        argv: [...argv],
        reason: "UnexpectedOutput",
        // The CLI's own status, as the script marked it.
        exitCode: shown.exitCode,
        stdout: scrub(shown.stdout, secrets),
        stderr: scrub(shown.stderr, secrets),
        detail
      })
    switch (health._tag) {
      case "Connected": {
        // Another server under the plan's name, or a stale entry whose old URL happens to
        // answer, is not the planned sidecar: only the planned URL over http is Connected.
        const http = health.type === undefined || health.type === "http"
        if (http && health.url === supervise.agentUrl) {
          return new Connected({ ...base, execs, registeredUrl: health.url, checkedBy })
        }
        if (http && health.url === undefined) {
          return yield* unexpected(`\`${impl.cli}\` reported an http server with no URL`, {
            exitCode: 0,
            stdout: ran.stdout,
            // Without the script's own marks, as the CLI printed it.
            stderr: ran.stderr.split("\n").filter((line) => !line.startsWith(MARK_PREFIX)).join("\n")
          })
        }
        // As stored, not re-serialised: `http://h:1` and `http://h:1/` differ here as they do for
        // provisioning, which rewrites the entry to the plan's text.
        const registeredUrl = ClaudeConfig.displayUrl(health.url)
        return new Unreachable({
          ...base,
          execs,
          checkedBy,
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
          checkedBy,
          registeredUrl: ClaudeConfig.displayUrl(health.url),
          // The CLI's words, as shown: credentials scrubbed, control characters escaped.
          reason: Shown.escape(scrub(health.reason, secrets))
        })
      case "NotRegistered":
        return new NotRegistered({ ...base, execs, checkedBy })
      case "Unknown":
        return yield* unexpected(health.detail, health)
    }
  })
