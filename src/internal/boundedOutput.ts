/**
 * Bounded capture of a child's output stream: the head and the tail are kept,
 * the middle is dropped and counted, so a guest that prints gigabytes costs the
 * host a fixed amount of memory.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** @internal */
export interface Captured {
  readonly text: string
  readonly bytes: number
  readonly truncated: boolean
}

interface State {
  readonly head: Array<Uint8Array>
  headBytes: number
  readonly tail: Array<Uint8Array>
  tailBytes: number
  total: number
}

const decoder = () => new TextDecoder("utf-8", { fatal: false })

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** @internal */
export const cutMarker = (dropped: number): string => `\n…[${dropped} bytes cut by bottle-supervise]…\n`

/**
 * Feeds chunks into a head/tail buffer. Exposed for the property tests; the
 * stream collector below is what the library uses.
 *
 * @internal
 */
export const makeCollector = (limit: number) => {
  const headLimit = Math.ceil(limit / 2)
  const tailLimit = limit - headLimit
  const state: State = { head: [], headBytes: 0, tail: [], tailBytes: 0, total: 0 }
  const push = (chunk: Uint8Array): void => {
    state.total += chunk.length
    let rest = chunk
    if (state.headBytes < headLimit) {
      const take = Math.min(headLimit - state.headBytes, rest.length)
      state.head.push(rest.subarray(0, take))
      state.headBytes += take
      rest = rest.subarray(take)
    }
    if (rest.length === 0 || tailLimit === 0) return
    // Copy: the source buffer may be reused by the stream.
    state.tail.push(rest.length > tailLimit ? rest.slice(rest.length - tailLimit) : rest.slice())
    state.tailBytes += Math.min(rest.length, tailLimit)
    while (state.tailBytes > tailLimit && state.tail.length > 0) {
      const first = state.tail[0]!
      const excess = state.tailBytes - tailLimit
      if (first.length <= excess) {
        state.tail.shift()
        state.tailBytes -= first.length
      } else {
        state.tail[0] = first.subarray(excess)
        state.tailBytes -= excess
      }
    }
  }
  const result = (): Captured => {
    const kept = state.headBytes + state.tailBytes
    const truncated = state.total > kept
    const head = decoder().decode(concat(state.head, state.headBytes))
    const tail = decoder().decode(concat(state.tail, state.tailBytes))
    return {
      text: truncated ? head + cutMarker(state.total - kept) + tail : head + tail,
      bytes: state.total,
      truncated
    }
  }
  return { push, result }
}

/** @internal */
export type Collector = ReturnType<typeof makeCollector>

/**
 * Drains `stream` into `collector`. The collector can be read at any time, so a
 * caller that stops waiting for the stream still has what arrived.
 *
 * @internal
 */
export const drainInto = <E, R>(stream: Stream.Stream<Uint8Array, E, R>, collector: Collector): Effect.Effect<void, E, R> =>
  Stream.runForEachChunk(stream, (chunk) =>
    Effect.sync(() => {
      for (const bytes of chunk) collector.push(bytes)
    }))
