/**
 * The steps of an agent whose CLI keeps its MCP servers in one file under a
 * directory a variable moves (Codex, Gemini CLI, Copilot CLI), as the
 * library's scripts (`../../agents/movableConfig.ts`) run them with the real
 * CLI: ensure (the entry is written when the file does not name the server,
 * else it is read), replace (a work copy rewritten and renamed over the file:
 * the agent then owns it) and the entry-and-probe check. Each agent supplies
 * what differs: its script's `cli_add` (its CLI's own `mcp add`, or the
 * library's write read back by the CLI's `mcp get`), its file's text and its
 * read.
 *
 * @internal
 */
import type { FakeReply } from "../../../Smolvm.js"
import * as SupervisePlan from "../../../SupervisePlan.js"
import type { Agent } from "../../agents/agent.js"
import { PROBE_MARK, STORED_HEADER_VAR } from "../../agents/movableConfig.js"
import { FAILED_MARK, READ_FILE_MARK, STEP_MARK, TOKEN_VAR } from "../../guest.js"
import type * as Model from "../model.js"
import { reaches, type State, type StepEnv, type StepInput, type StepRun } from "../state.js"
import { type FakeAgent, notFound, scriptOf, stepsOf } from "./agent.js"

/** What one of the CLI's commands printed (both streams) and its status. @internal */
export interface CliAnswer {
  readonly exitCode: number
  readonly out: string
}

/** The plan's token and the header as the agent's file spells it, from the exec's secrets. @internal */
export interface Secrets {
  readonly token: string | undefined
  readonly storedHeader: string | undefined
}

/** What differs between the agents built on `movableConfig.ts`. @internal */
export interface MovableSpec {
  /** The library's agent: its step scripts are taken from its own argvs. */
  readonly agent: Agent
  /** The variable that moves the config directory. */
  readonly dirVar: string
  readonly serversKey: string
  /** The file's text, as the CLI leaves it: what the ensure script's `grep -F` sees. */
  readonly render: (file: Model.ConfigFile) => string
  /** What the script's `read_entry NAME FILE` prints for the file. */
  readonly readEntry: (file: Model.ConfigFile, name: string, storedHeader: string | undefined) => string
  /** The script's `cli_add` (and `cli_replace`, the same): changes `file`, a work copy, as the script does. */
  readonly add: (file: Model.ConfigFile, name: string, url: string, secrets: Secrets) => CliAnswer
  /** The CLI command `cli_add` runs: dash names its line when the CLI is missing. */
  readonly runs: "add" | "get"
  /** The verification step, when it is not the entry-and-probe check. */
  readonly check?: (state: State, file: Model.ConfigFile | undefined, input: StepInput, script: string) => FakeReply
}

/**
 * Where the agent's file is, relative to its directory (`file`) and to
 * `$HOME` without the variable (`fromHome`), as the library's agent spells it.
 */
const layoutOf = (agent: Agent) => {
  const file = agent.configFile(SupervisePlan.makeAgentPlan({ configDir: SupervisePlan.AbsolutePath.make("/D") }))
    .slice("/D/".length)
  const fromHome = agent.configFile(SupervisePlan.makeAgentPlan({ home: SupervisePlan.AbsolutePath.make("/H") }))
    .slice("/H/".length)
  return { file, fromHome }
}

/** The config file the CLI uses: under the variable's directory (an empty one reads as unset), else under `$HOME`. */
const configPath = (
  spec: MovableSpec,
  { file, fromHome }: ReturnType<typeof layoutOf>,
  env: StepEnv
): string => {
  const moved = env[spec.dirVar]
  return moved !== undefined && moved !== "" ? `${moved}/${file}` : `${env["HOME"] ?? ""}/${fromHome}`
}

const dummy = {
  supervise: SupervisePlan.SupervisePlan.make({ agentUrl: SupervisePlan.AgentUrl.make("http://127.0.0.1:1/") })
}

/** What dash says when the CLI's `command` is missing (with a token: on the `--header` branch's line). */
const missingLine = (cli: string, command: "add" | "get", token: boolean) => (script: string): string => {
  const lines = script.split("\n").filter((line) => line.includes(`${cli} mcp ${command}`))
  const branch = lines.find((line) => line.includes("--header") === token) ?? lines[0] ?? `${cli} mcp ${command}`
  return notFound(script, cli, (line) => line === branch)
}

/** A fake agent from its spec. @internal */
export const make = (spec: MovableSpec): FakeAgent => {
  const agentPlan = SupervisePlan.makeAgentPlan({ kind: spec.agent.kind })
  const scripts = {
    ensure: scriptOf(spec.agent.ensureArgv(agentPlan, dummy.supervise)),
    replace: scriptOf(spec.agent.replaceArgv(agentPlan, dummy.supervise)),
    get: scriptOf(spec.agent.verifyArgv(agentPlan, dummy.supervise))
  }
  const cli = spec.agent.cli
  const layout = layoutOf(spec.agent)
  const run = (state: State, step: Model.StepName, input: StepInput): StepRun => {
    const path = configPath(spec, layout, input.env)
    const existing = state.files.get(path)
    const [name = "", url = ""] = input.args
    const token = input.secrets[TOKEN_VAR]
    const secrets: Secrets = {
      token: token === "" ? undefined : token,
      storedHeader: input.secrets[STORED_HEADER_VAR]
    }
    /** `write add|replace`: the CLI on a copy of the file, renamed over it (the agent then owns it). */
    const write = (how: "add" | "replace", script: string): FakeReply => {
      const copy: Model.ConfigFile = existing === undefined
        ? { other: {}, mcpServers: {} }
        : structuredClone(existing)
      const answer: CliAnswer = input.installed
        ? spec.add(copy, name, url, secrets)
        : { exitCode: 127, out: missingLine(cli, spec.runs, secrets.token !== undefined)(script) }
      if (answer.exitCode !== 0) {
        return {
          exitCode: answer.exitCode,
          stderr: `${answer.out}${FAILED_MARK}${cli} mcp ${how} (exit ${answer.exitCode}); ` +
            `the entry was left as it was\n`
        }
      }
      state.files.set(path, copy)
      state.owners.set(path, input.ranAs)
      return { exitCode: 0, stderr: answer.out }
    }
    const prefixed = (mark: string, reply: FakeReply): FakeReply => ({
      ...reply,
      stderr: `${mark}${reply.stderr ?? ""}`
    })
    switch (step) {
      case "ensure": {
        if (existing === undefined || !spec.render(existing).includes(name)) {
          return { path, reply: prefixed(`${STEP_MARK}add\n`, write("add", scripts.ensure)) }
        }
        return {
          path,
          reply: {
            exitCode: 0,
            stdout: spec.readEntry(existing, name, secrets.storedHeader),
            stderr: `${STEP_MARK}read\n${READ_FILE_MARK}${path}\n`
          }
        }
      }
      case "replace":
        return { path, reply: prefixed(`${STEP_MARK}replace\n`, write("replace", scripts.replace)) }
      case "get": {
        if (spec.check !== undefined) return { path, reply: spec.check(state, existing, input, scripts.get) }
        // No file is read as an empty one.
        const read = existing ?? { other: {}, mcpServers: {} }
        const answer = reaches(state, url) ? { status: 200, mcp: true } : { error: "ECONNREFUSED" }
        return {
          path,
          reply: {
            exitCode: 0,
            stdout: spec.readEntry(read, name, secrets.storedHeader),
            stderr: `${READ_FILE_MARK}${path}\n${PROBE_MARK}${JSON.stringify(answer)}\n`
          }
        }
      }
      case "read":
        // These agents have no separate read step: ensure reads.
        return { path, reply: { exitCode: 2, stderr: "bottle-supervise: no such step\n" } }
    }
  }
  return {
    kind: spec.agent.kind,
    cli,
    dirVar: spec.dirVar,
    serversKey: spec.serversKey,
    stepOf: stepsOf(scripts),
    configPath: (_state, env) => configPath(spec, layout, env),
    run
  }
}
