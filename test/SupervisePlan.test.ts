import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, ParseResult, Redacted, Schema } from "effect"
import * as SupervisePlan from "../src/SupervisePlan.js"
import * as Plans from "./support/plans.js"

const decodeEither = Schema.decodeUnknownEither(SupervisePlan.SmolmachinesBottlePlan, { errors: "all" })
const errorText = (input: unknown): string => {
  const result = decodeEither(input)
  return Either.isLeft(result) ? ParseResult.TreeFormatter.formatErrorSync(result.left) : ""
}

// Every host form the spec allows, IPv6 in brackets included; the port and
// path are optional, as a launcher may leave them out.
const anyHost = fc.oneof(
  fc.ipV4(),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.domain(),
  fc.constantFrom("127.0.0.1", "100.96.0.1", "host.smolvm.internal", "localhost", "[::1]")
)
const validUrl = fc.record({
  scheme: fc.constantFrom("http", "https"),
  host: anyHost,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  path: fc.constantFrom("", "/", "/mcp", "/supervise/v1/", "/mcp?session=1", "/#top", "?x=1")
}).map(({ host, path, port, scheme }) => `${scheme}://${host}${port === undefined ? "" : `:${port}`}${path}`)

const urlError = (agentUrl: string): string => errorText({ supervisePlan: { agentUrl } })

describe("SmolmachinesBottlePlan", () => {
  it.effect("decodes the documented JSON shape", () =>
    Effect.gen(function*() {
      const plan = yield* Schema.decodeUnknown(SupervisePlan.SmolmachinesBottlePlan)({
        supervisePlan: { agentUrl: "http://127.0.0.1:4318/", serverName: "supervise", token: "s3cr3t-token" },
        agent: { user: "node", home: "/home/node", configDir: "/home/node/.claude" }
      })
      expect(plan.supervisePlan?.agentUrl).toBe("http://127.0.0.1:4318/")
      expect(plan.supervisePlan?.serverName).toBe("supervise")
      expect(Redacted.isRedacted(plan.supervisePlan?.token)).toBe(true)
      expect(Redacted.value(plan.supervisePlan!.token!)).toBe("s3cr3t-token")
      expect(String(plan.supervisePlan?.token)).not.toContain("s3cr3t")
      expect(JSON.stringify(plan)).not.toContain("s3cr3t")
      expect(plan.agent.configFile).toBe("/home/node/.claude/.claude.json")
    }))

  it.effect("defaults: no supervisePlan means off; serverName supervise; agent node in /home/node", () =>
    Effect.gen(function*() {
      const off = yield* SupervisePlan.decode({})
      expect(off.supervisePlan).toBeUndefined()
      expect(off.agent.user).toBe("node")
      expect(off.agent.home).toBe("/home/node")
      expect(off.agent.configFile).toBe("/home/node/.claude.json")
      const on = yield* SupervisePlan.decode({ supervisePlan: { agentUrl: "http://100.96.0.1:4318/" } })
      expect(on.supervisePlan?.serverName).toBe("supervise")
      expect(on.supervisePlan?.token).toBeUndefined()
      const alice = yield* SupervisePlan.decode({ agent: { user: "alice" } })
      expect(alice.agent.home).toBe("/home/alice")
      const root = yield* SupervisePlan.decode({ agent: { user: "root" } })
      expect(root.agent.home).toBe("/root")
    }))

  it.prop("accepts any http(s) URL with a valid port on any host", [Plans.agentUrl], ([url]) => {
    expect(Either.isRight(decodeEither({ supervisePlan: { agentUrl: url } }))).toBe(true)
  })

  it.prop(
    "rejects ports outside 1..65535",
    [
      fc.oneof(fc.constant(0), fc.integer({ min: 65536, max: 10_000_000 })),
      fc.constantFrom("127.0.0.1", "example.com")
    ],
    ([port, host]) => {
      expect(errorText({ supervisePlan: { agentUrl: `http://${host}:${port}/` } })).toMatch(
        /port between 1 and 65535|absolute http\(s\) URL/
      )
    }
  )

  it.prop(
    "rejects whitespace and control characters anywhere in the URL",
    [Plans.agentUrl, fc.constantFrom(" ", "\t", "\n", "\r", "\u0000", "\u001b", "\u007f", "\u0085"), fc.nat()],
    ([url, bad, at]) => {
      const i = at % (url.length + 1)
      const input = url.slice(0, i) + bad + url.slice(i)
      expect(errorText({ supervisePlan: { agentUrl: input } })).toContain("whitespace or control characters")
    }
  )

  it.prop("accepts IPv4, bracketed IPv6 and named hosts, with or without port and path", [validUrl], ([url]) => {
    expect(urlError(url)).toBe("")
  })

  it("accepts the documented hosts with and without port and path", () => {
    for (
      const url of [
        "http://127.0.0.1:4318/",
        "http://127.0.0.1",
        "https://[::1]:4318/mcp",
        "http://[::1]",
        "http://[fd00::1]/supervise/v1/",
        "http://100.96.0.1:4318",
        "http://host.smolvm.internal:4318/",
        "http://host.smolvm.internal/mcp"
      ]
    ) {
      expect(urlError(url)).toBe("")
    }
  })

  it("rejects a backslash after port 0 and an http(s) scheme without //", () => {
    // WHATWG parsing reads a backslash as "/" for http(s): the first two were accepted as port 0.
    expect(urlError("http://127.0.0.1:0\\x")).toContain("must not contain a backslash (\\)")
    expect(urlError("http://127.0.0.1:0\\")).toContain("must not contain a backslash (\\)")
    expect(urlError("http://127.0.0.1:4318\\mcp")).toContain("must not contain a backslash (\\)")
    for (
      const url of [
        "http:127.0.0.1:4318",
        "http:/127.0.0.1:4318/",
        "http:///127.0.0.1:4318/",
        "https:host.smolvm.internal"
      ]
    ) {
      expect(urlError(url)).toContain(`must start with "http://" or "https://" followed by the host`)
    }
  })

  it.prop(
    "rejects a backslash anywhere in an otherwise valid URL",
    [validUrl, fc.nat()],
    ([url, at]) => {
      const i = at % (url.length + 1)
      expect(urlError(url.slice(0, i) + "\\" + url.slice(i))).toContain("must not contain a backslash")
    }
  )

  it.prop(
    "rejects an http(s) URL that does not start with scheme:// and the host",
    [validUrl, fc.constantFrom("", "/", "///", "////")],
    ([url, slashes]) => {
      const bad = url.replace("://", `:${slashes}`)
      expect(urlError(bad)).toContain(`must start with "http://" or "https://" followed by the host`)
    }
  )

  it.prop(
    "rejects port 0 however it is written, on any host, whatever follows it",
    [anyHost, fc.constantFrom("0", "00", "00000"), fc.constantFrom("", "/", "/mcp", "?x", "#x", "\\", "\\x", "\\mcp")],
    ([host, zero, rest]) => {
      const text = urlError(`http://${host}:${zero}${rest}`)
      expect(text).toContain(
        rest.includes("\\") ? "must not contain a backslash" : "must have a port between 1 and 65535"
      )
    }
  )

  it("rejects an empty user part: the raw string would still carry an @", () => {
    for (const url of ["http://@127.0.0.1:4318/", "http://:@127.0.0.1:4318/", "https://@[::1]/"]) {
      expect(urlError(url)).toContain("must not carry credentials")
    }
  })

  it("rejects other schemes, credentials, empty ports and relative URLs with a named reason", () => {
    expect(errorText({ supervisePlan: { agentUrl: "ftp://127.0.0.1:21/" } })).toContain("must use http or https")
    expect(errorText({ supervisePlan: { agentUrl: "http://u:p@127.0.0.1:1/" } })).toContain(
      "must not carry credentials"
    )
    expect(errorText({ supervisePlan: { agentUrl: "http://127.0.0.1:/" } })).toContain("port between 1 and 65535")
    expect(errorText({ supervisePlan: { agentUrl: "/relative" } })).toContain("absolute http(s) URL")
    expect(errorText({ supervisePlan: {} })).toContain("agentUrl")
  })

  it("rejects bad users, relative or dotted paths and bad server names", () => {
    expect(errorText({ agent: { user: "Node" } })).toContain("POSIX user name")
    expect(errorText({ agent: { user: "no de" } })).toContain("POSIX user name")
    expect(errorText({ agent: { home: "home/node" } })).toContain("absolute path")
    expect(errorText({ agent: { configDir: "/home/node/../root" } })).toContain(". or .. segments")
    expect(errorText({ supervisePlan: { agentUrl: "http://a:1/", serverName: "a b" } })).toContain("server name")
    // A leading "-" would reach `claude mcp add` as an option (`--help` exits 0).
    for (const name of ["--help", "-x", "_x"]) {
      expect(errorText({ supervisePlan: { agentUrl: "http://a:1/", serverName: name } })).toContain(
        "starting with a letter or digit"
      )
    }
  })

  it.prop(
    "a ParseError never prints the token, whatever else is wrong",
    {
      token: Plans.token,
      badToken: fc.boolean(),
      badUrl: fc.boolean(),
      badUser: fc.boolean()
    },
    ({ badToken, badUrl, badUser, token }) => {
      const secret = badToken ? `${token} with space` : token
      const text = errorText({
        supervisePlan: { agentUrl: badUrl ? "nope" : "http://127.0.0.1:4318/", token: secret },
        agent: { user: badUser ? "BAD" : "node" }
      })
      expect(text).not.toContain(token)
      if (badToken) expect(text).toContain("token must be 1 to 4096 visible ASCII characters")
    }
  )
})

describe("token", () => {
  it.prop("an undefined token reads as absent; a bad one never shows in the error", [Plans.token], ([token]) => {
    const absent = decodeEither({ supervisePlan: { agentUrl: "http://127.0.0.1:1/", token: undefined } })
    expect(Either.isRight(absent) && absent.right.supervisePlan?.token === undefined).toBe(true)
    const bad = errorText({ supervisePlan: { agentUrl: "http://127.0.0.1:1/", token: `${token}\n` } })
    expect(bad).toContain("token must be")
    expect(bad).not.toContain(token)
  })
})

describe("encoding", () => {
  it.prop("a decoded plan encodes to input that decodes to the same plan, defaults made explicit", {
    url: Plans.agentUrl,
    token: fc.option(Plans.token, { nil: undefined }),
    user: fc.option(Plans.userName, { nil: undefined }),
    configDir: fc.option(Plans.absolutePath, { nil: undefined })
  }, ({ configDir, token, url, user }) => {
    const plan = Plans.planOf({ url, token, user, configDir })
    const encoded = Schema.encodeSync(SupervisePlan.SmolmachinesBottlePlan)(plan)
    expect(encoded.agent?.home).toBe(plan.agent.home)
    const again = Schema.decodeUnknownSync(SupervisePlan.SmolmachinesBottlePlan)(encoded)
    expect(again.agent).toEqual(plan.agent)
    expect(again.supervisePlan?.agentUrl).toBe(url)
    expect(again.supervisePlan?.token === undefined ? undefined : Redacted.value(again.supervisePlan.token)).toBe(token)
  })
})
