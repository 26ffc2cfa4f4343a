import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, FastCheck as fc, Fiber, Schema, TestClock } from "effect"
import * as fs from "node:fs"
import * as Logger from "../src/Logger.js"
import * as ProvisionSupervise from "../src/ProvisionSupervise.js"
import * as Smolvm from "../src/Smolvm.js"
import type { SmolmachinesBottlePlan } from "../src/SupervisePlan.js"
import * as Model from "./support/claudeModel.js"
import * as Plans from "./support/plans.js"

const TOKEN = "tok_verifyverifyverify"

const verify = (
  plan: SmolmachinesBottlePlan,
  handler: Smolvm.FakeHandler,
  options?: ProvisionSupervise.VerifyOptions
) =>
  Effect.gen(function*() {
    const fake = yield* Smolvm.makeTest(handler)
    const [outcome, logs] = yield* Logger.capture(
      ProvisionSupervise.verifySupervise(plan, "bottle-1", options).pipe(
        Effect.provide(fake.layer)
      )
    )
    return { outcome, logs, calls: yield* fake.calls }
  })

const registered = (reachable: boolean) =>
  Effect.gen(function*() {
    const state = Model.makeState()
    state.reachable = reachable
    const plan = Plans.planOf({ url: "http://127.0.0.1:4318/", token: TOKEN })
    const fake = yield* Smolvm.makeTest(Model.handler(state))
    yield* ProvisionSupervise.provisionSupervise(plan, "bottle-1").pipe(Effect.provide(fake.layer))
    return { state, plan }
  })

describe("verifySupervise", () => {
  it.effect("Skipped without a supervisePlan, and no exec", () =>
    Effect.gen(function*() {
      const { calls, outcome } = yield* verify(Plans.noSupervise(), () => Effect.die("no exec"))
      expect(outcome._tag).toBe("Skipped")
      expect(calls).toHaveLength(0)
    }))

  it.effect("Connected when the agent's health check connects, in one exec", () =>
    Effect.gen(function*() {
      const { plan, state } = yield* registered(true)
      const { calls, outcome } = yield* verify(plan, Model.handler(state))
      expect(outcome).toMatchObject({ _tag: "Connected", registeredUrl: "http://127.0.0.1:4318/", execs: 1 })
      expect(calls).toHaveLength(1)
    }))

  it.effect("Unreachable carries the CLI's reason and never the stored token", () =>
    Effect.gen(function*() {
      const { plan, state } = yield* registered(false)
      const { logs, outcome } = yield* verify(plan, Model.handler(state))
      expect(outcome).toMatchObject({
        _tag: "Unreachable",
        reason: "ECONNREFUSED: Unable to connect. Is the computer able to access the url?"
      })
      const shown = JSON.stringify(Schema.encodeSync(ProvisionSupervise.VerifyOutcome)(outcome)) +
        logs.map((l) => l.line).join("\n")
      expect(shown).not.toContain(TOKEN)
    }))

  it.effect("a stale entry whose old URL still answers is Unreachable, not Connected", () =>
    Effect.gen(function*() {
      const { state } = yield* registered(true)
      const moved = Plans.planOf({ url: "http://127.0.0.1:5000/", token: TOKEN })
      const { outcome } = yield* verify(moved, Model.handler(state))
      expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: "http://127.0.0.1:4318/" })
      if (outcome._tag === "Unreachable") expect(outcome.reason).toContain("provision again")
    }))

  it.effect("another server under the plan's name that connects (stdio) is Unreachable, not Connected", () =>
    Effect.gen(function*() {
      const stdio = fs.readFileSync(new URL("./fixtures/claude-mcp-get/connected-stdio.txt", import.meta.url), "utf8")
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/", token: TOKEN }),
        () => Effect.succeed({ exitCode: 0, stdout: stdio })
      )
      expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: undefined })
      if (outcome._tag === "Unreachable") {
        expect(outcome.reason).toBe(
          "the agent's supervise is a stdio server, not the sidecar at http://127.0.0.1:4318/: provision again"
        )
      }
    }))

  it.effect("an http entry shown with no URL is Failed (UnexpectedOutput), never Connected", () =>
    Effect.gen(function*() {
      const connected = fs.readFileSync(new URL("./fixtures/claude-mcp-get/connected.txt", import.meta.url), "utf8")
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:44671/" }),
        () => Effect.succeed({ exitCode: 0, stdout: connected.replace(/^\s*URL:.*$/m, "") })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput" } })
    }))

  it.effect("NotRegistered on a fresh guest", () =>
    Effect.gen(function*() {
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        Model.handler(Model.makeState())
      )
      expect(outcome._tag).toBe("NotRegistered")
    }))

  it.effect("Failed when the machine is unknown, with the hint", () =>
    Effect.gen(function*() {
      const { logs, outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        () => Effect.succeed({ exitCode: 1, stderr: "Error: vm not found: bottle-1\n" })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "MachineNotFound" } })
      expect(logs.map((l) => l.level)).toContain("WARN")
    }))

  it.effect("Failed when the CLI prints something unknown, rather than guessing", () =>
    Effect.gen(function*() {
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        () => Effect.succeed({ exitCode: 0, stdout: "something new\n" })
      )
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "UnexpectedOutput", exitCode: 0 } })
      if (outcome._tag === "Failed") expect(outcome.error.message).toContain("does not understand")
    }))

  it.effect("the timeout bounds a health check that never ends", () =>
    Effect.gen(function*() {
      const fiber = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        () => Effect.never,
        { timeout: Duration.seconds(10) }
      ).pipe(Effect.fork)
      yield* TestClock.adjust(Duration.seconds(10))
      const { outcome } = yield* Fiber.join(fiber)
      expect(outcome).toMatchObject({ _tag: "Failed", error: { reason: "Timeout" } })
    }))
})

const fixture = (name: string): string =>
  fs.readFileSync(new URL(`./fixtures/claude-mcp-get/${name}`, import.meta.url), "utf8")

/** A recorded `claude mcp get` answer with another stored URL, printed as the CLI prints it: as stored. */
const getPrinting = (name: "connected.txt" | "refused.txt", url: string): Smolvm.FakeHandler => () =>
  Effect.succeed({
    exitCode: 0,
    stdout: fixture(name).replace(/^( {2}URL: ).*$/m, (_, label: string) => `${label}${url}`)
  })

/** Planned URLs as a launcher may write them: with or without the slash of an empty path, any case of scheme and host. */
const plannedUrl = fc.tuple(Plans.agentUrl, fc.nat()).map(([url, bits]) => {
  const [, scheme = "", authority = "", rest = ""] = /^([a-z]+:\/\/)([^/?#]*)(.*)$/.exec(url) ?? []
  return `${(bits & 1) !== 0 ? scheme.toUpperCase() : scheme}${
    (bits & 2) !== 0 ? authority.toUpperCase() : authority
  }${rest}`
})

describe("verifySupervise, the registered URL as Claude Code stores it", () => {
  it.effect.prop(
    "registeredUrl is the planned URL exactly, so an entry at the plan's URL is never taken for a stale one",
    [plannedUrl, fc.boolean()],
    ([url, reachable]) =>
      Effect.gen(function*() {
        const state = Model.makeState()
        state.reachable = reachable
        const plan = Plans.planOf({ url, token: TOKEN })
        const fake = yield* Smolvm.makeTest(Model.handler(state))
        yield* ProvisionSupervise.provisionSupervise(plan, "bottle-1").pipe(Effect.provide(fake.layer))
        const { outcome } = yield* verify(plan, Model.handler(state))
        expect(outcome).toMatchObject({ _tag: reachable ? "Connected" : "Unreachable", url, registeredUrl: url })
        if (outcome._tag === "Unreachable") {
          expect(outcome.reason).toBe("ECONNREFUSED: Unable to connect. Is the computer able to access the url?")
        }
      }),
    { fastCheck: { numRuns: 60 } }
  )

  it.effect("a stored URL differing from the plan's only by its slash is shown as stored, and the reason tells them apart", () =>
    Effect.gen(function*() {
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        getPrinting("connected.txt", "http://127.0.0.1:4318")
      )
      expect(outcome).toMatchObject({
        _tag: "Unreachable",
        registeredUrl: "http://127.0.0.1:4318",
        reason: "the agent's config points at http://127.0.0.1:4318, not http://127.0.0.1:4318/: provision again"
      })
    }))

  it.effect.prop(
    "credentials in a stored URL reach neither the outcome nor the logs, connected or not",
    [fc.stringMatching(/^pw_[0-9a-f]{16}$/), fc.constantFrom("connected.txt" as const, "refused.txt" as const)],
    ([password, name]) =>
      Effect.gen(function*() {
        const { logs, outcome } = yield* verify(
          Plans.planOf({ url: "http://127.0.0.1:4318/" }),
          getPrinting(name, `http://agent:${password}@127.0.0.1:4318/`)
        )
        expect(outcome).toMatchObject({ _tag: "Unreachable", registeredUrl: "http://[REDACTED]@127.0.0.1:4318/" })
        const shown = JSON.stringify(Schema.encodeSync(ProvisionSupervise.VerifyOutcome)(outcome)) +
          logs.map((l) => l.line).join("\n")
        expect(shown).not.toContain(password)
      }),
    { fastCheck: { numRuns: 20 } }
  )

  it.effect("a stored URL that cannot be shown is left out, and the reason says so", () =>
    Effect.gen(function*() {
      const { outcome } = yield* verify(
        Plans.planOf({ url: "http://127.0.0.1:4318/" }),
        getPrinting("connected.txt", "http://u:secret@/x")
      )
      expect(outcome).toMatchObject({
        _tag: "Unreachable",
        registeredUrl: undefined,
        reason: "the agent's config points at a URL that cannot be shown, not http://127.0.0.1:4318/: provision again"
      })
      expect(JSON.stringify(outcome)).not.toContain("secret")
    }))
})
