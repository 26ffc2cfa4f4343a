/**
 * Which user config file Claude Code uses, against the real `claude` CLI.
 *
 * The CLI picks its file at startup: `.claude.json` (`.claude-custom-oauth.json`
 * under `CLAUDE_CODE_CUSTOM_OAUTH_URL`), or the legacy `.config.json` when that
 * is there (see `pickConfigFile` in ../support/claudeModel.ts). Reconcile reads
 * the file to compare the entry the CLI said exists, so the guest's read must
 * take the file the CLI writes: first on every mix of files the CLI
 * distinguishes, then through `provisionSupervise` on stand-in guests whose
 * CLI keeps a legacy or custom-OAuth file, where every relaunch used to fail.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Guest from "../../src/internal/guest.js"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as SupervisePlan from "../../src/SupervisePlan.js"
import * as AgentView from "../support/agentView.js"
import * as Model from "../support/claudeModel.js"
import { makeGuest, type StandinGuest } from "../support/standin.js"
import { CLAUDE_BIN, claudeBinFor, claudeProblem, gated, gatedOn, type Landing, type Setup } from "./prerequisites.js"

interface Ran {
  readonly command: string
  readonly code: number | null
  readonly signal: string | null
  /** Why the process did not start (ENOENT, EACCES), if it did not. */
  readonly spawnError: string | undefined
  readonly stdout: string
  readonly stderr: string
}

const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: { cwd: string; env: Record<string, string>; uid?: number; gid?: number }
) =>
  new Promise<Ran>((resolve) => {
    execFile(file, args, { ...options, encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({
        command: [file, ...args.map((arg) => arg.length > 60 ? `${arg.slice(0, 60)}…` : arg)].join(" "),
        code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
        signal: error?.signal ?? null,
        spawnError: error !== null && typeof error.code === "string" ? error.message : undefined,
        stdout,
        stderr
      }))
  })

/** What a failed assertion on a child process says: its command, exit, signal, spawn error and output. */
const shown = (ran: Ran): string =>
  `${ran.command}: exit ${ran.code}, signal ${ran.signal}` +
  `${ran.spawnError === undefined ? "" : `, not started: ${ran.spawnError}`}\n` +
  `stderr: ${ran.stderr.slice(-2000)}\nstdout: ${ran.stdout.slice(-2000)}`

/** What sits where the CLI looks. */
const KINDS = [
  "absent",
  "directory",
  "JSON file",
  "JSON file, read-only",
  "empty file",
  "empty file, read-only",
  "empty file, read-only, hard-linked",
  "symlink to a JSON file",
  "dangling symlink",
  "symlink to itself"
] as const
type Kind = typeof KINDS[number]

const put = (file: string, kind: Kind, text: string): void => {
  if (kind === "absent") return
  fs.mkdirSync(path.dirname(file), { recursive: true })
  switch (kind) {
    case "directory":
      return fs.mkdirSync(file)
    case "JSON file":
    case "JSON file, read-only":
      fs.writeFileSync(file, text)
      return fs.chmodSync(file, kind === "JSON file" ? 0o600 : 0o400)
    case "empty file":
    case "empty file, read-only":
    case "empty file, read-only, hard-linked":
      fs.writeFileSync(file, "")
      if (kind === "empty file, read-only, hard-linked") fs.linkSync(file, `${file}.link`)
      return fs.chmodSync(file, kind === "empty file" ? 0o600 : 0o400)
    case "symlink to a JSON file":
      fs.writeFileSync(`${file}.target`, text)
      return fs.symlinkSync(`${file}.target`, file)
    case "dangling symlink":
      return fs.symlinkSync(`${file}.nowhere`, file)
    case "symlink to itself":
      return fs.symlinkSync(file, file)
  }
}

/** Environments that move the two files around: each scenario leaves JSON decoys where the others look. */
const ENVS = [
  { name: "defaults", configDir: undefined, oauth: false },
  { name: "CLAUDE_CONFIG_DIR", configDir: "cfg", oauth: false },
  { name: "CLAUDE_CODE_CUSTOM_OAUTH_URL", configDir: undefined, oauth: true },
  { name: "both", configDir: "cfg", oauth: true },
  { name: "empty CLAUDE_CONFIG_DIR", configDir: "", oauth: false }
] as const

const PLACES = Model.CONFIG_PLACES

/** Every regular file under `root` that holds `needle`. */
const filesHolding = (root: string, needle: string): ReadonlyArray<string> =>
  (fs.readdirSync(root, { recursive: true, encoding: "utf8" }))
    .map((entry) => path.join(root, entry))
    .filter((file) => fs.lstatSync(file).isFile() && fs.readFileSync(file, "utf8").includes(needle))

gatedOn("the guest's config read and the real claude CLI", claudeProblem(), (title) =>
  describe(title, () => {
    it("take the same file, for every pair of legacy and current file the CLI tells apart", async () => {
      const top = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-pick-"))
      // A `cat` that names its file shows the read's choice without reading anything.
      const shim = path.join(top, "shim")
      fs.mkdirSync(shim)
      fs.writeFileSync(path.join(shim, "cat"), `#!/bin/sh\nprintf '%s' "$2"\n`, { mode: 0o755 })
      const systemPath = process.env["PATH"] ?? "/usr/bin:/bin"
      // A current file the CLI cannot use (a directory, a symlink loop) costs it seconds of retries: a few pairs only.
      const unusable: ReadonlyArray<Kind> = ["directory", "symlink to itself"]
      const cases = [
        ...KINDS.flatMap((legacy) =>
          KINDS.filter((k) => !unusable.includes(k)).map((current) => ({ legacy, current }))
        ),
        ...(["JSON file", "symlink to a JSON file", "empty file"] as const).flatMap((legacy) =>
          unusable.map((current) => ({ legacy, current }))
        )
      ].map((c, i) => ({ ...c, env: ENVS[i % ENVS.length]!, root: path.join(top, `case-${i}`) }))
      const check = async ({ current, env, legacy, root }: typeof cases[number]) => {
        const home = path.join(root, "home")
        const cwd = path.join(root, "cwd")
        const configDir = env.configDir === undefined ? undefined : env.configDir === "" ? "" : path.join(root, "cfg")
        const legacyFile = configDir === ""
          ? "cwd/.config.json"
          : `${env.configDir === "cfg" ? "cfg" : "home/.claude"}/.config.json`
        const currentFile = `${env.configDir === "cfg" ? "cfg" : "home"}/.claude${
          env.oauth ? "-custom-oauth" : ""
        }.json`
        for (const dir of ["home", "cwd", "cfg"]) fs.mkdirSync(path.join(root, dir), { recursive: true })
        put(path.join(root, legacyFile), legacy, `{"at": "legacy"}\n`)
        put(path.join(root, currentFile), current, `{"at": "current"}\n`)
        for (const place of PLACES) {
          if (place !== legacyFile && place !== currentFile) {
            put(path.join(root, place), "JSON file", `{"at": "decoy"}\n`)
          }
        }
        const cliEnv: Model.ConfigEnv = {
          HOME: home,
          CLAUDE_CONFIG_DIR: configDir,
          CLAUDE_CODE_CUSTOM_OAUTH_URL: env.oauth ? "https://login.example.test/" : undefined
        }
        const vars: Record<string, string> = {
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_TELEMETRY: "1"
        }
        for (const [key, value] of Object.entries(cliEnv)) if (value !== undefined) vars[key] = value
        const read = await run("sh", ["-c", Guest.READ, "bottle-supervise", "999999", "probe"], {
          cwd,
          env: { ...vars, PATH: `${shim}:${systemPath}` }
        })
        // The shim prints the name; the read passes it through its scrub, which ends the line.
        const picked = path.resolve(cwd, read.stdout.replace(/\n$/, ""))
        const label = `legacy ${legacy}, current ${current}, ${env.name}`
        // The port of the CLI's rule that the unit tests and the model use agrees too.
        const ported = Model.pickConfigFile(cliEnv, {
          stat: (file) => Model.nodeFs.stat(path.resolve(cwd, file)),
          readdir: (dir) => Model.nodeFs.readdir(path.resolve(cwd, dir))
        })
        expect({ label, ported: path.resolve(cwd, ported) }, shown(read)).toEqual({ label, ported: picked })
        const added = await run(CLAUDE_BIN, [
          "mcp",
          "add",
          "--scope",
          "user",
          "--transport",
          "http",
          "probe",
          "http://127.0.0.1:9/"
        ], {
          cwd,
          env: { ...vars, PATH: systemPath }
        })
        if (added.code === 0) {
          // Whatever the CLI wrote to, through a symlink or not, is what the read takes.
          expect({ label, written: filesHolding(root, `"probe"`) }, shown(added)).toEqual({
            label,
            written: [fs.realpathSync(picked)]
          })
        } else {
          // It picked a file it cannot use (a directory, a symlink loop), and names it.
          expect({ label, failure: `${added.stdout}${added.stderr}` }, shown(added)).toEqual({
            label,
            failure: expect.stringContaining(`${picked} could not be read`)
          })
        }
      }
      try {
        // Two at a time: the CLI is a 380 MB binary.
        for (let i = 0; i < cases.length; i += 2) await Promise.all(cases.slice(i, i + 2).map(check))
      } finally {
        fs.rmSync(top, { recursive: true, force: true })
      }
    }, 180_000)
  }))

// Root can list any directory; an agent often cannot list a CLAUDE_CONFIG_DIR it was only given search rights on.
gated(
  "the guest's config read and the real claude CLI, as an agent who cannot list the config directory",
  "root",
  (title, setup) =>
    describe(title, () => {
      it("take the same file: the legacy .config.json, next to a .claude.json", async () => {
        const top = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-unlisted-"))
        try {
          fs.chmodSync(top, 0o755)
          const shim = path.join(top, "shim")
          fs.mkdirSync(shim, { mode: 0o755 })
          fs.writeFileSync(path.join(shim, "cat"), `#!/bin/sh\nprintf '%s' "$2"\n`, { mode: 0o755 })
          const home = path.join(top, "home")
          fs.mkdirSync(home, { mode: 0o700 })
          fs.chownSync(home, setup.agent.uid, setup.agent.gid)
          const cfg = path.join(top, "cfg")
          fs.mkdirSync(cfg)
          for (const [name, at] of [[".config.json", "legacy"], [".claude.json", "current"]] as const) {
            const file = path.join(cfg, name)
            fs.writeFileSync(file, `{"at": "${at}"}\n`)
            fs.chownSync(file, setup.agent.uid, setup.agent.gid)
            fs.chmodSync(file, 0o600)
          }
          // Search but not read: the agent can open its files, not list the directory.
          fs.chmodSync(cfg, 0o711)
          const as = { cwd: home, uid: setup.agent.uid, gid: setup.agent.gid }
          // The case only exists if the agent really cannot list it (root always can).
          const listed = await run("ls", [cfg], { ...as, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } })
          expect(listed.code, shown(listed)).not.toBe(0)
          expect(listed.stderr, shown(listed)).toContain("Permission denied")
          // The repository may sit where the agent cannot reach it (a clone in a private directory).
          const claude = claudeBinFor(setup.agent, top)
          const env = {
            HOME: home,
            CLAUDE_CONFIG_DIR: cfg,
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
            DISABLE_TELEMETRY: "1"
          }
          const systemPath = process.env["PATH"] ?? "/usr/bin:/bin"
          const read = await run("sh", ["-c", Guest.READ, "bottle-supervise", "999999", "probe"], {
            ...as,
            env: { ...env, PATH: `${shim}:${systemPath}` }
          })
          expect(read.stdout, shown(read)).toBe(`${path.join(cfg, ".config.json")}\n`)
          const added = await run(claude, [
            "mcp",
            "add",
            "--scope",
            "user",
            "--transport",
            "http",
            "probe",
            "http://127.0.0.1:9/"
          ], {
            ...as,
            env: { ...env, PATH: systemPath }
          })
          expect(added.code, shown(added)).toBe(0)
          fs.chmodSync(cfg, 0o755)
          expect(filesHolding(cfg, `"probe"`)).toEqual([path.join(cfg, ".config.json")])
        } finally {
          fs.rmSync(top, { recursive: true, force: true })
        }
      }, 60_000)
    })
)

/** Writes `text` at `relative` under the agent's home, owned by the agent, as Claude Code would have. */
const writeAsAgent = (guest: StandinGuest, relative: string, text: string): string => {
  const file = path.join(guest.home, relative)
  let dir = guest.home
  for (const part of path.dirname(relative).split(path.sep).filter((p) => p !== ".")) {
    dir = path.join(dir, part)
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 })
    fs.chownSync(dir, guest.user.uid, guest.user.gid)
  }
  fs.writeFileSync(file, text, { mode: 0o600 })
  fs.chownSync(file, guest.user.uid, guest.user.gid)
  return file
}

interface Variant {
  readonly name: string
  /** Prepares the guest; returns the file the CLI keeps the config in and the plan's agent. */
  readonly prepare: (guest: StandinGuest, setup: Setup) => Effect.Effect<{
    readonly file: string
    readonly agent: { readonly user: string; readonly home: string; readonly configDir?: string }
  }>
}

const VARIANTS: ReadonlyArray<Variant> = [
  {
    name: "a legacy ~/.claude/.config.json and no ~/.claude.json",
    prepare: (guest) =>
      Effect.sync(() => ({
        file: writeAsAgent(guest, ".claude/.config.json", `{\n  "numStartups": 4\n}\n`),
        agent: { user: guest.user.name, home: guest.home }
      }))
  },
  {
    name: "a legacy <configDir>/.config.json next to a <configDir>/.claude.json",
    prepare: (guest) =>
      Effect.sync(() => {
        // The CLI keeps the legacy file even then, and leaves .claude.json unused.
        writeAsAgent(guest, "claude-config/.claude.json", `{\n  "numStartups": 1\n}\n`)
        return {
          file: writeAsAgent(guest, "claude-config/.config.json", `{\n  "numStartups": 4\n}\n`),
          agent: { user: guest.user.name, home: guest.home, configDir: path.join(guest.home, "claude-config") }
        }
      })
  },
  {
    name: "CLAUDE_CODE_CUSTOM_OAUTH_URL in the guest's environment (.claude-custom-oauth.json)",
    prepare: (guest, setup) =>
      Effect.as(
        guest.setMachine({
          running: true,
          execAs: setup.execLandsAs === "root" ? "root" : guest.user.name,
          env: { CLAUDE_CODE_CUSTOM_OAUTH_URL: "https://login.example.test/" }
        }),
        { file: path.join(guest.home, ".claude-custom-oauth.json"), agent: { user: guest.user.name, home: guest.home } }
      )
  }
]

const provisionScenario = (landing: Landing, title: string) =>
  gated(title, landing, (title, setup) =>
    describe(title, () => {
      for (const variant of VARIANTS) {
        it.live(`${variant.name}: Registered, then Unchanged, then Replaced with the new port in that file`, () =>
          Effect.scoped(Effect.gen(function*() {
            const guest = yield* makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs })
            const { agent, file } = yield* variant.prepare(guest, setup)
            const provision = (agentUrl: string) =>
              Effect.flatMap(
                SupervisePlan.decode({ supervisePlan: { agentUrl, token: "tok-legacy-e2e" }, agent }),
                (plan) => ProvisionSupervise.provisionSupervise(plan, guest.name)
              ).pipe(Effect.provide(guest.layer.pipe(Layer.provide(NodeContext.layer))))
            const currentFiles = () =>
              [".claude.json", ".claude-custom-oauth.json"].map((name) =>
                path.join(agent.configDir ?? guest.home, name)
              )
                .filter((f) => f !== file && fs.existsSync(f))
            const before = currentFiles().map((f) => [f, fs.readFileSync(f, "utf8")])

            const first = yield* provision("http://127.0.0.1:4001/")
            expect(first._tag).toBe("Registered")
            expect(yield* AgentView.readEntry(file, "supervise")).toMatchObject({ url: "http://127.0.0.1:4001/" })

            const again = yield* provision("http://127.0.0.1:4001/")
            expect(again).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })

            const moved = yield* provision("http://127.0.0.1:4002/")
            expect(moved).toMatchObject({
              _tag: "Replaced",
              execs: 2,
              changed: ["url"],
              previousUrl: "http://127.0.0.1:4001/"
            })
            expect(yield* AgentView.readEntry(file, "supervise")).toEqual({
              type: "http",
              url: "http://127.0.0.1:4002/",
              headers: { Authorization: "Bearer tok-legacy-e2e" }
            })
            expect(fs.statSync(file).uid).toBe(setup.agent.uid)
            // The file the CLI does not use is left as it was (or still absent).
            expect(currentFiles().map((f) => [f, fs.readFileSync(f, "utf8")])).toEqual(before)
          })).pipe(Logger.withMinimumLogLevel(LogLevel.None)))
      }
    }))

provisionScenario("agent", "config file the CLI picks, exec landing as the agent")
provisionScenario("root", "config file the CLI picks, exec landing as root (the library switches user)")
