/**
 * The per-bottle writer lock: Claude Code's writes to `.claude.json` race, so
 * provisionings of one bottle run one after another. It is process-wide (one
 * registry for every Smolvm service in this process), so call sites that build
 * their own layers still serialise; separate processes do not.
 *
 * @internal
 */
import * as KeyedSemaphore from "./keyedSemaphore.js"

const writers = KeyedSemaphore.unsafeMake(1)

/** @internal */
export const exclusive = (target: string) => writers.withPermits(target)
