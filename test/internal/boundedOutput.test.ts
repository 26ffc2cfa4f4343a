import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, FastCheck as fc, Redacted, Stream } from "effect"
import { cutMarker, drainInto, makeCollector } from "../../src/internal/boundedOutput.js"

const ascii = fc.stringMatching(/^[ -~\n]{0,300}$/)

describe("bounded output capture", () => {
  it.effect.prop(
    "draining a stream keeps every chunk in order, and what arrived before a read error",
    { chunks: fc.array(fc.array(ascii, { maxLength: 4 }), { maxLength: 8 }), fails: fc.boolean() },
    ({ chunks, fails }) =>
      Effect.gen(function*() {
        const encoded = chunks.map((group) => Chunk.fromIterable(group.map((text) => new TextEncoder().encode(text))))
        const emitted = Stream.fromChunks(...encoded)
        const stream = fails ? Stream.concat(emitted, Stream.fail("read error")) : emitted
        const collector = makeCollector(1 << 20)
        yield* drainInto(stream, collector)
        expect(collector.result().text).toBe(chunks.flat().join(""))
      })
  )

  it.prop(
    "keeps everything up to the bound, else the head and the tail around a marked cut",
    { chunks: fc.array(ascii, { maxLength: 30 }), limit: fc.integer({ min: 2, max: 2000 }) },
    ({ chunks, limit }) => {
      const collector = makeCollector(limit)
      for (const chunk of chunks) collector.push(new TextEncoder().encode(chunk))
      const whole = chunks.join("")
      const result = collector.result()
      expect(result.bytes).toBe(whole.length)
      if (whole.length <= limit) {
        expect(result).toMatchObject({ text: whole, truncated: false })
      } else {
        const head = Math.ceil(limit / 2)
        const tail = limit - head
        expect(result.truncated).toBe(true)
        expect(result.text).toBe(
          whole.slice(0, head) + cutMarker(whole.length - limit) + (tail === 0 ? "" : whole.slice(-tail))
        )
      }
    },
    { fastCheck: { numRuns: 300 } }
  )

  it("holds a fixed amount of memory however much arrives", () => {
    const collector = makeCollector(1024)
    const chunk = new Uint8Array(64 * 1024).fill(120)
    for (let i = 0; i < 1600; i++) collector.push(chunk) // 100 MiB
    const result = collector.result()
    expect(result.bytes).toBe(1600 * 64 * 1024)
    expect(result.text.length).toBeLessThan(1024 + 100)
  })

  it.prop(
    "a secret is gone from the kept text wherever the cut falls, even split across it",
    {
      secret: fc.stringMatching(/^[A-Za-wz0-9]{6,20}$/),
      before: fc.nat({ max: 60 }),
      limit: fc.integer({ min: 4, max: 40 })
    },
    ({ before, limit, secret }) => {
      const collector = makeCollector(limit)
      const text = "x".repeat(before) + secret + "y".repeat(60)
      collector.push(new TextEncoder().encode(text))
      const shown = collector.result([Redacted.make(secret)]).text
      const kept = shown.split(/…\[\d+ bytes cut by bottle-supervise\]…/)
      for (const part of kept) {
        // No piece of the secret of 3 characters or more survives on either side.
        for (let i = 0; i + 3 <= secret.length; i++) expect(part).not.toContain(secret.slice(i, i + 3))
      }
    },
    { fastCheck: { numRuns: 400 } }
  )
})
