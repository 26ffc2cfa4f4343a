/**
 * Semaphores by key, created on first use and dropped when the last holder
 * leaves, so a launcher that provisions thousands of bottles over its life does
 * not keep one semaphore per bottle forever.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

interface Entry {
  readonly semaphore: Effect.Semaphore
  users: number
}

/** @internal */
export interface KeyedSemaphore {
  readonly withPermits: (
    key: string,
    permits?: number
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const unsafeMake = (permits: number): KeyedSemaphore => {
  const entries = new Map<string, Entry>()
  const enter = (key: string) =>
    Effect.sync(() => {
      let entry = entries.get(key)
      if (entry === undefined) {
        entry = { semaphore: Effect.unsafeMakeSemaphore(permits), users: 0 }
        entries.set(key, entry)
      }
      entry.users++
      return entry
    })
  const leave = (key: string, entry: Entry) =>
    Effect.sync(() => {
      entry.users--
      if (entry.users === 0 && entries.get(key) === entry) entries.delete(key)
    })
  return {
    withPermits: (key, n = 1) => (self) =>
      Effect.acquireUseRelease(
        enter(key),
        (entry) => entry.semaphore.withPermits(n)(self),
        (entry) => leave(key, entry)
      )
  }
}
