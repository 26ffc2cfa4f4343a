/**
 * The in-memory guest: a machine (running, stopped, booting, missing), its
 * users and where exec lands, one coding agent's CLI (or its absence), its
 * config files and the sidecars it can reach. It answers smolvm's own
 * refusals with smolvm's words, switches user as the library's argv asks,
 * and hands each of the library's step scripts to the agent whose script it
 * is (`agents/`), as a `Smolvm.makeTest` handler: the test layer then
 * validates and classifies the answers exactly as the live layer would.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { ClientNotFound } from "../../SandboxError.js"
import type { FakeHandler, FakeReply, RecordedExec } from "../../Smolvm.js"
import { USER_MISMATCH_EXIT, USER_MISMATCH_MARK } from "../classify.js"
import { fakeAgentOf, stepOf } from "./agents/registry.js"
import * as Model from "./model.js"
import type { State } from "./state.js"

export { type GuestExec, type Machine, makeState, reaches, type State } from "./state.js"

/** smolvm's own answers, as smolvm 1.9 prints them. */
const smolvm = {
  notFound: (name: string): FakeReply => ({ exitCode: 1, stderr: `Error: vm not found: ${name}\n` }),
  notRunning: (name: string): FakeReply => ({
    exitCode: 1,
    stderr: `Error: agent operation failed: connect: machine '${name}' is not running. ` +
      `Use 'smolvm machine start --name ${name}' first.\n`
  }),
  noCommand: (): FakeReply => ({
    exitCode: 1,
    stderr: "Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n"
  })
}

/** The config file the guest's agent uses for an environment. @internal */
export const configPathFor = (state: State, env: Readonly<Record<string, string | undefined>>): string =>
  fakeAgentOf(state.kind).configPath(state, env)

/** The user an exec runs as, or smolvm's/the switch script's refusal. */
const switchUser = (state: State, user: string | undefined): { readonly ranAs: string } | FakeReply => {
  if (user === undefined || user === state.landsAs) return { ranAs: state.landsAs }
  if (state.landsAs !== "root") {
    return {
      exitCode: USER_MISMATCH_EXIT,
      stderr: `${USER_MISMATCH_MARK} ${user}: exec runs as ${state.landsAs}, and only root can switch users\n`
    }
  }
  if (state.users !== undefined && !state.users.has(user)) {
    return {
      exitCode: 1,
      stderr: `runuser: user ${user} does not exist or the user entry does not contain all the required fields\n`
    }
  }
  return { ranAs: user }
}

/**
 * The guest as a `Smolvm.makeTest` handler: smolvm's refusals for another
 * target or a machine that is not running, the user switch, then the step.
 *
 * @internal
 */
export const handler = (state: State): FakeHandler => (call: RecordedExec) =>
  Effect.suspend((): Effect.Effect<FakeReply, ClientNotFound> => {
    if (state.name !== undefined && call.target !== state.name) return Effect.succeed(smolvm.notFound(call.target))
    switch (state.machine._tag) {
      case "Missing":
        return Effect.succeed(smolvm.notFound(call.target))
      case "Stopped":
        return Effect.succeed(smolvm.notRunning(call.target))
      case "Booting": {
        const left = state.machine.execs - 1
        state.machine = left > 0 ? { _tag: "Booting", execs: left } : { _tag: "Running" }
        return Effect.succeed(smolvm.notRunning(call.target))
      }
      case "Running":
        break
    }
    const switched = switchUser(state, call.options.user)
    if (!("ranAs" in switched)) return Effect.succeed(switched)
    const ranAs = switched.ranAs
    const parsed = Model.parseArgv(call.argv, ranAs)
    const stepped = parsed === undefined ? undefined : stepOf(parsed.command)
    if (parsed === undefined || stepped === undefined) {
      const other = state.other
      const answer = other === undefined ? Effect.succeed(smolvm.noCommand()) : other(call)
      return Effect.tap(
        answer,
        (reply) =>
          Effect.sync(() => state.execs.push({ step: "other", ranAs, configFile: undefined, exitCode: reply.exitCode }))
      )
    }
    // The agent's environment: the guest's own, less what `env -u` unsets, plus what `env` sets.
    const env: Record<string, string | undefined> = { ...state.env }
    for (const name of parsed.unset) delete env[name]
    Object.assign(env, parsed.env)
    const secrets: Record<string, string> = {}
    for (const [name, value] of Object.entries(call.options.secretEnv ?? {})) secrets[name] = Redacted.value(value)
    const { path, reply } = stepped.agent.run(state, stepped.step, {
      args: stepped.args,
      env,
      ranAs,
      secrets,
      // Only the guest's own agent has its CLI installed.
      installed: state.cli && stepped.agent.kind === state.kind
    })
    state.execs.push({ step: stepped.step, ranAs, configFile: path, exitCode: reply.exitCode })
    return Effect.succeed(reply)
  })
