/**
 * A guest whose agent installed Claude Code for itself (the native installer
 * puts `claude` in `~/.local/bin`), so it is not on the `PATH` that exec, or a
 * switch from root, gives the CLI: provisioning and verification still find
 * it. Real `claude` through the smolvm stand-in.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as ProvisionSupervise from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import * as AgentView from "../support/agentView.js"
import { makeGuest } from "../support/standin.js"
import { gated, type Landing } from "./prerequisites.js"

/** The stand-in's guest PATH without the directory where it puts `claude`. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const scenario = (landing: Landing, title: string) =>
  gated(title, landing, (title, setup) =>
    describe(title, () => {
      it.live("claude only in the agent's ~/.local/bin: Registered, then Unchanged, and verify runs it", () =>
        Effect.scoped(Effect.gen(function*() {
          const guest = yield* makeGuest({ user: setup.agent, execLandsAs: setup.execLandsAs })
          const live = guest.layer.pipe(Layer.provide(NodeContext.layer))
          // The stand-in prepares its world-readable copy of the CLI on any exec: find it there.
          const which = yield* Effect.flatMap(
            Smolvm.Smolvm,
            (smolvm) => smolvm.machineExec(guest.name, ["sh", "-c", "command -v claude"])
          )
            .pipe(Effect.provide(live))
          const cli = which.stdout.trim()
          expect(path.isAbsolute(cli)).toBe(true)
          expect(SYSTEM_PATH.split(":")).not.toContain(path.dirname(cli))
          // Nor any other claude: else the test would pass without the agent's own.
          expect(spawnSync("sh", ["-c", "command -v claude"], { env: { PATH: SYSTEM_PATH } }).status).not.toBe(0)

          const bin = path.join(guest.home, ".local", "bin")
          fs.mkdirSync(bin, { recursive: true })
          fs.symlinkSync(cli, path.join(bin, "claude"))
          for (const dir of [path.join(guest.home, ".local"), bin]) {
            fs.chownSync(dir, setup.agent.uid, setup.agent.gid)
          }
          yield* guest.setMachine({
            running: true,
            execAs: setup.execLandsAs === "root" ? "root" : guest.user.name,
            env: { PATH: SYSTEM_PATH }
          })
          const plan = yield* guest.plan({ agentUrl: "http://127.0.0.1:4318/", token: "tok-local-bin-e2e" })

          const first = yield* ProvisionSupervise.provisionSupervise(plan, guest.name).pipe(Effect.provide(live))
          expect(first._tag).toBe("Registered")
          expect(yield* AgentView.readEntry(guest.configFile, "supervise")).toMatchObject({
            url: "http://127.0.0.1:4318/"
          })
          const again = yield* ProvisionSupervise.provisionSupervise(plan, guest.name).pipe(Effect.provide(live))
          expect(again).toMatchObject({ _tag: "Unchanged", execs: 1, cliStarts: 0 })
          // Nothing listens on the port: the agent's own check ran (it found the CLI) and says so.
          const health = yield* ProvisionSupervise.verifySupervise(plan, guest.name, { timeout: "60 seconds" }).pipe(
            Effect.provide(live)
          )
          expect(health._tag).toBe("Unreachable")
        })).pipe(Logger.withMinimumLogLevel(LogLevel.None)), 120_000)
    }))

scenario("agent", "claude installed in the agent's home, exec landing as the agent")
scenario("root", "claude installed in the agent's home, exec landing as root (the library switches user)")
