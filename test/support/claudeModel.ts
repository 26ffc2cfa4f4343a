/**
 * The in-memory model of a guest with the `claude mcp` CLI, for unit tests of
 * the provisioning logic: since 0.2 it lives in the testing kit
 * (`src/internal/testing/`, public as `bottle-supervise/Testing`), and this
 * module gives the repository's older tests their names for it: a bare state
 * (any target, any user, a running machine, exec landing as root) and its
 * `Smolvm.makeTest` handler. The kit is held to the real CLI by the contract
 * suite (test/contract/).
 */
import * as NodeFs from "node:fs"
import * as GuestModel from "../../src/internal/testing/guest.js"
import * as Model from "../../src/internal/testing/model.js"
import type { FakeHandler } from "../../src/Smolvm.js"

/** A user-scope server entry, as the file holds it. */
export type Server = Model.JsonObject

/** A user config file: the servers and every other key, kept apart. */
export type ConfigFile = Model.ConfigFile

export const render = Model.render

/**
 * The model's state: config files by path (each a non-empty regular file to
 * the CLI's choice of file, `pickConfigFile`: one at the legacy path wins),
 * `reachable` (whether `claude mcp get` reports a live connection) and
 * `removeFails` (a locked or unwritable config), among others.
 */
export type ModelState = GuestModel.State

export const makeState = (): ModelState => GuestModel.makeState()

/** Splits the library's argv (`env ... sh -c SCRIPT ...`, run as `user`) into the agent's env and the command. */
export const parseArgv = (argv: ReadonlyArray<string>, user = "node"): Model.ParsedArgv => {
  const parsed = Model.parseArgv(argv, user)
  if (parsed === undefined) throw new Error(`unexpected argv shape: ${JSON.stringify(argv)}`)
  return parsed
}

export type ConfigEnv = Model.ConfigEnv
export type PathStat = Model.PathStat
export type ConfigFs = Model.ConfigFs

/** The host's file system, for checking the guest's script against `pickConfigFile`. */
export const nodeFs: ConfigFs = {
  stat: (file) => {
    try {
      const stat = NodeFs.statSync(file)
      return { isFile: stat.isFile(), size: stat.size, mode: stat.mode, nlink: stat.nlink }
    } catch (error) {
      return errnoOf(error)
    }
  },
  readdir: (dir) => {
    try {
      return NodeFs.readdirSync(dir)
    } catch (error) {
      return errnoOf(error)
    }
  }
}

const errnoOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "EUNKNOWN"

/**
 * Every place `pickConfigFile` may look, relative to a test scenario's directory
 * holding `home`, `cfg` (a `CLAUDE_CONFIG_DIR`) and `cwd` (where an empty one points).
 */
export const CONFIG_PLACES = [
  "home/.claude.json",
  "home/.claude-custom-oauth.json",
  "home/.claude/.config.json",
  "cfg/.claude.json",
  "cfg/.claude-custom-oauth.json",
  "cfg/.config.json",
  "cwd/.config.json"
] as const

export const pickConfigFile = Model.pickConfigFile

export const scrubbed = Model.scrubbed

/** The model as a `Smolvm.makeTest` handler. */
export const handler = (state: ModelState): FakeHandler => GuestModel.handler(state)
