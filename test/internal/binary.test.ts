/**
 * A smolvm binary path Node cannot spawn at all: `SMOLVM_BIN=` (empty) means
 * the default, and an empty or NUL-containing `binary` given to the live layer
 * fails each exec with `SmolvmNotFound` instead of a defect from spawn's
 * `TypeError`.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Binary from "../../src/internal/binary.js"
import { provisionSupervise } from "../../src/ProvisionSupervise.js"
import * as Smolvm from "../../src/Smolvm.js"
import { SmolvmNotFound } from "../../src/SmolvmError.js"
import { planOf } from "../support/plans.js"

const withEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))

const exec = Effect.flatMap(Smolvm.Smolvm, (smolvm) => smolvm.machineExec("bottle-1", ["true"]))
const liveWith = (binary: string) => Smolvm.layerWith({ binary }).pipe(Layer.provide(NodeContext.layer))

describe("SMOLVM_BIN", () => {
  it.effect("unset or empty is `smolvm`; anything else is taken as given", () =>
    Effect.gen(function*() {
      expect(yield* Binary.config.pipe(withEnv([]))).toBe("smolvm")
      expect(yield* Binary.config.pipe(withEnv([["SMOLVM_BIN", ""]]))).toBe("smolvm")
      expect(yield* Binary.config.pipe(withEnv([["SMOLVM_BIN", "/opt/smolvm/bin/smolvm"]]))).toBe(
        "/opt/smolvm/bin/smolvm"
      )
    }))

  it.live("Smolvm.layer with SMOLVM_BIN= runs the `smolvm` found on PATH", () =>
    Effect.gen(function*() {
      // A `smolvm` of our own first on PATH, so the test does not depend on what this host has.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-path-"))
      const stub = path.join(dir, "smolvm")
      fs.writeFileSync(stub, "#!/bin/sh\necho \"stub smolvm: $1 $2\"\n")
      fs.chmodSync(stub, 0o755)
      const savedPath = process.env["PATH"]
      process.env["PATH"] = `${dir}${path.delimiter}${savedPath ?? ""}`
      const layer = Smolvm.layer.pipe(
        Layer.provide(NodeContext.layer),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SMOLVM_BIN", ""]]))))
      )
      const result = yield* exec.pipe(
        Effect.provide(layer),
        Effect.ensuring(Effect.sync(() => {
          process.env["PATH"] = savedPath
          fs.rmSync(dir, { recursive: true, force: true })
        }))
      )
      expect(result).toMatchObject({ exitCode: 0, stdout: "stub smolvm: machine exec\n" })
    }))

  it.live("Smolvm.layer with SMOLVM_BIN= and no `smolvm` on PATH fails with SmolvmNotFound naming `smolvm`", () =>
    Effect.gen(function*() {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bottle-supervise-path-"))
      const savedPath = process.env["PATH"]
      process.env["PATH"] = empty
      const layer = Smolvm.layer.pipe(
        Layer.provide(NodeContext.layer),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SMOLVM_BIN", ""]]))))
      )
      const exit = yield* Effect.exit(exec.pipe(Effect.provide(layer))).pipe(
        Effect.ensuring(Effect.sync(() => {
          process.env["PATH"] = savedPath
          fs.rmSync(empty, { recursive: true, force: true })
        }))
      )
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)).toStrictEqual(
        Option.some(expect.objectContaining({ _tag: "ClientNotFound", binary: "smolvm", reason: "NotFound" }))
      )
    }))
})

describe("a binary path spawn cannot take", () => {
  for (
    const [what, binary, words] of [
      ["empty", "", "the path is empty"],
      ["containing NUL", "/opt/smol\u0000vm", "the path contains a NUL character"]
    ] as const
  ) {
    it.live(`${what}: machineExec and provisionSupervise fail with ClientNotFound, not a defect`, () =>
      Effect.gen(function*() {
        const fromExec = yield* Effect.exit(exec.pipe(Effect.provide(liveWith(binary))))
        expect(fromExec).toStrictEqual(
          Exit.fail(new SmolvmNotFound({ binary, reason: "NotFound", detail: words, backend: "smolvm" }))
        )
        if (Exit.isFailure(fromExec)) {
          expect(Cause.pretty(fromExec.cause)).toContain(
            `the smolvm binary ${JSON.stringify(binary)} was not found (set SMOLVM_BIN to its path): ${words}`
          )
        }
        const fromProvision = yield* Effect.exit(
          provisionSupervise(planOf({ url: "http://127.0.0.1:4318/" }), "bottle-1", { timeout: "5 seconds" }).pipe(
            Effect.provide(liveWith(binary))
          )
        )
        expect(Exit.isFailure(fromProvision) && Cause.isDie(fromProvision.cause)).toBe(false)
        expect(fromProvision).toMatchObject({
          _tag: "Failure",
          cause: { _tag: "Fail", error: { _tag: "ClientNotFound" } }
        })
      }))
  }
})
