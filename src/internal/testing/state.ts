/**
 * The in-memory guest's state: the machine, its users and where exec lands,
 * the coding agent installed (its kind, and whether its CLI is on `PATH`), the
 * config files and their owners, the sidecars it can reach, and what it did.
 * A plain mutable object owned by one guest; every access from the public kit
 * goes through `Effect.sync`.
 *
 * @internal
 */
import type { FakeHandler, FakeReply } from "../../Smolvm.js"
import type { AgentKind } from "../../SupervisePlan.js"
import type * as Model from "./model.js"

/** A machine's state as smolvm reports it. @internal */
export type Machine =
  | { readonly _tag: "Running" }
  | { readonly _tag: "Stopped" }
  | { readonly _tag: "Booting"; readonly execs: number }
  | { readonly _tag: "Missing" }

/** One exec that reached the guest, as the guest saw it. @internal */
export interface GuestExec {
  readonly step: Model.StepName | "other"
  /** The user the command ran as, after the switch. */
  readonly ranAs: string
  /** The config file the CLI would use for the exec's environment, for the library's steps. */
  readonly configFile: string | undefined
  readonly exitCode: number
}

/** @internal */
export interface State {
  /** The machine's name; `undefined` answers for any target (the repository's older unit tests). */
  name: string | undefined
  machine: Machine
  /** Who exec lands as: `root` on a bare VM, the image's user otherwise. */
  landsAs: string
  /** Users the guest has; `undefined`: any user exists. */
  users: ReadonlySet<string> | undefined
  /** The coding agent the guest runs: its CLI is the only agent CLI installed. */
  kind: AgentKind
  /** Whether the agent's CLI is on the guest's PATH. */
  cli: boolean
  /** Whether a sidecar answers at a URL no entry of `sidecars` names. */
  reachable: boolean
  /** Per URL, whether a sidecar answers there. */
  readonly sidecars: Map<string, boolean>
  /** Whether `claude mcp remove` fails (a locked or unwritable config), leaving the entry. */
  removeFails: boolean
  /**
   * Config files by path, each as its agent keeps it (the servers apart from
   * the other keys). Each is a non-empty regular file to Claude Code's choice
   * of file.
   */
  readonly files: Map<string, Model.ConfigFile>
  /** Who owns each file (the user the CLI ran as when it created it). */
  readonly owners: Map<string, string>
  /** The guest's own environment, which every exec inherits (an inherited `CLAUDE_CONFIG_DIR`, say). */
  env: Readonly<Record<string, string>>
  /** What the guest did, exec by exec. */
  readonly execs: Array<GuestExec>
  /** Answers argvs that are none of the library's steps; `undefined`: the command does not exist. */
  other: FakeHandler | undefined
}

/** @internal */
export const makeState = (): State => ({
  name: undefined,
  machine: { _tag: "Running" },
  landsAs: "root",
  users: undefined,
  kind: "claude-code",
  cli: true,
  reachable: true,
  sidecars: new Map(),
  removeFails: false,
  files: new Map(),
  owners: new Map(),
  env: {},
  execs: [],
  other: undefined
})

/** Whether a sidecar answers at `url`. @internal */
export const reaches = (state: State, url: string): boolean => state.sidecars.get(url) ?? state.reachable

/** An exit-0 reply. @internal */
export const ok = (stdout = "", stderr = ""): FakeReply => ({ exitCode: 0, stdout, stderr })

/** The environment an exec runs with: the guest's own, less what `env -u` unsets, plus what `env` sets. @internal */
export type StepEnv = Readonly<Record<string, string | undefined>>

/**
 * One of the library's steps as an agent's fake receives it: the step's
 * positional arguments, the exec's environment, who it runs as, and the
 * exec's secrets (the token, and the header as the agent's file spells it).
 *
 * @internal
 */
export interface StepInput {
  readonly args: ReadonlyArray<string>
  readonly env: StepEnv
  readonly ranAs: string
  readonly secrets: Readonly<Record<string, string>>
  /** Whether this agent's CLI is on the guest's PATH (it is the guest's agent, and installed). */
  readonly installed: boolean
}

/** What a step did: its reply, and the config file its CLI used. @internal */
export interface StepRun {
  readonly reply: FakeReply
  readonly path: string
}
