/**
 * The user-switch wrapper when exec lands as a uid with no passwd entry (an
 * image whose `USER` is a bare number). There `id -un` prints the number and
 * exits 1 (GNU and busybox alike), so it must not be chained with `|| id -u`,
 * which would print the number twice. Needs root, to drop to such a uid with
 * `setpriv`.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { USER_MISMATCH_EXIT, USER_MISMATCH_MARK } from "../../src/internal/classify.js"
import * as Guest from "../../src/internal/guest.js"
import * as SwitchUser from "../../src/internal/switchUser.js"
import { gatedOn } from "../e2e/prerequisites.js"
import { planOf } from "../support/plans.js"
import { isRoot } from "../support/standin.js"

const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0
/** A uid no passwd entry names, from 4242 up. */
const unnamedUid = (() => {
  for (let uid = 4242; uid < 4342; uid++) if (spawnSync("getent", ["passwd", String(uid)]).status === 2) return uid
  return undefined
})()
const missing = !isRoot()
  ? "needs root, to run the wrapper as a uid with no passwd entry"
  : !hasSetpriv
  ? "needs setpriv (util-linux)"
  : unnamedUid === undefined
  ? "needs a uid from 4242 to 4341 that no passwd entry names"
  : undefined

gatedOn(
  "the guest's user switch, exec landing as a uid with no passwd entry",
  missing,
  (title) =>
    describe(title, () => {
      it("refuses with the uid, said once", () => {
        const uid = String(unnamedUid)
        const argv = SwitchUser.wrap(
          planOf({ url: "http://127.0.0.1:4318/" }).agent.user,
          Guest.asAgent(planOf({ url: "http://127.0.0.1:4318/" }).agent, ["true"])
        )
        const run = spawnSync(
          "setpriv",
          ["--reuid", uid, "--regid", uid, "--clear-groups", "--", ...argv],
          { cwd: "/", encoding: "utf8", env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } }
        )
        expect(run.status).toBe(USER_MISMATCH_EXIT)
        expect(run.stderr).toBe(`${USER_MISMATCH_MARK} node: exec runs as ${uid}, and only root can switch users\n`)
      })
    })
)
