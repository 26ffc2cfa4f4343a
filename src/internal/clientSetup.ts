/**
 * What every live backend sets up once per layer, the same way: the host's
 * executor, its client binary (checked here, not left to spawn: Node throws
 * for some paths, which would be a defect), the kill grace, and the per-target
 * exec slots.
 *
 * @internal
 */
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Binary from "./binary.js"
import * as Defaults from "./defaults.js"
import * as KeyedSemaphore from "./keyedSemaphore.js"

/** @internal */
export const make = (options: {
  readonly binary: string
  readonly killGrace: Duration.DurationInput | undefined
  readonly maxConcurrentExecs: number | undefined
}) =>
  Effect.map(CommandExecutor.CommandExecutor, (executor) => ({
    executor,
    binary: options.binary,
    unusable: Binary.unusable(options.binary),
    grace: Duration.decode(options.killGrace ?? Defaults.KILL_GRACE),
    execSlots: KeyedSemaphore.unsafeMake(Defaults.execSlots(options.maxConcurrentExecs))
  }))
