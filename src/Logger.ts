/**
 * Logging for launchers and tests. The library itself only calls
 * `Effect.logInfo`/`Effect.logWarning` with the annotations below and never
 * installs a logger: the application decides where logs go. This module offers
 * what an application or a test needs on top.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Inspectable from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import * as EffectLogger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Shown from "./internal/shown.js"

/**
 * The log annotation keys the library sets on everything it logs.
 *
 * @since 0.1.0
 * @category annotations
 * @example
 * import { Logger } from "bottle-supervise"
 *
 * Logger.LogKeys.target // "bottle.target"
 */
export const LogKeys = {
  target: "bottle.target",
  server: "supervise.server",
  url: "supervise.url",
  outcome: "supervise.outcome"
} as const

/**
 * One captured log entry, with the annotations as plain strings so tests can
 * compare them directly.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Logger } from "bottle-supervise"
 *
 * const outcomeOf = (log: Logger.CapturedLog) => log.annotations[Logger.LogKeys.outcome]
 */
export interface CapturedLog {
  readonly level: LogLevel.LogLevel["label"]
  readonly message: string
  readonly annotations: Readonly<Record<string, string>>
  /** The whole entry as one line: what a log sink would receive. */
  readonly line: string
}

const render = (message: unknown): string =>
  Array.isArray(message)
    ? message.map(render).join(" ")
    : typeof message === "string"
    ? message
    : message instanceof Error
    ? String(message)
    : Inspectable.toStringUnknown(message, 0)

const toCaptured = (options: EffectLogger.Logger.Options<unknown>): CapturedLog => {
  const annotations: Record<string, string> = {}
  for (const [key, value] of HashMap.toEntries(options.annotations)) annotations[key] = render(value)
  const message = render(options.message)
  const cause = Cause.isEmpty(options.cause) ? "" : ` cause=${Cause.pretty(options.cause)}`
  const pairs = Object.entries(annotations).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join("")
  return {
    level: options.logLevel.label,
    message,
    annotations,
    line: `level=${options.logLevel.label} message=${JSON.stringify(message)}${pairs}${cause}`
  }
}

/**
 * Runs `self` with every log it emits captured instead of printed (no other
 * logger sees them), and returns them beside its result, at every level. Works
 * inside `it.effect`, which otherwise drops logs.
 *
 * @since 0.1.0
 * @category testing
 * @example
 * import { Logger } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const [, logs] = yield* Logger.capture(Effect.logWarning("careful"))
 *   return logs.map((log) => log.level) // ["WARN"]
 * })
 */
export const capture = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<[A, ReadonlyArray<CapturedLog>], E, R> =>
  Effect.gen(function*() {
    const logs: Array<CapturedLog> = []
    const logger = EffectLogger.make((options) => {
      logs.push(toCaptured(options))
    })
    // Every other logger is set aside for the duration, not only the default one.
    const result = yield* self.pipe(
      Effect.locally(FiberRef.currentLoggers, HashSet.make(logger)),
      EffectLogger.withMinimumLogLevel(LogLevel.All)
    )
    const captured: [A, ReadonlyArray<CapturedLog>] = [result, logs]
    return captured
  })

const operatorLine = (options: EffectLogger.Logger.Options<unknown>): string => {
  const entry = toCaptured(options)
  const where = entry.annotations[LogKeys.target]
  const prefix = options.logLevel._tag === "Warning" ? "warning" : options.logLevel.label.toLowerCase()
  // An error logged with its cause (runMain's report of a failed program) says what failed.
  const cause = Cause.isEmpty(options.cause) ? "" : `${entry.message === "" ? "" : "\n"}${Cause.pretty(options.cause)}`
  // One entry, one line: control characters in the message or the target (a guest's words, a
  // launcher's string) are escaped, so nothing can start a line of its own or drive the terminal.
  return `bottle-supervise${where === undefined ? "" : `[${Shown.escape(where)}]`} ${prefix}: ${
    Shown.escape(entry.message)
  }${cause}`
}

/**
 * A human logger for operators: one plain line per entry on stderr,
 * `bottle-supervise[bottle-1] warning: ...`. Exported beside `layerOperator`
 * for applications that add it to their own loggers instead of replacing the
 * default one.
 *
 * @since 0.1.0
 * @category loggers
 * @example
 * import { Logger } from "bottle-supervise"
 * import { Logger as EffectLogger } from "effect"
 *
 * const AlsoOperator = EffectLogger.add(Logger.operatorLogger)
 */
export const operatorLogger: EffectLogger.Logger<unknown, void> = EffectLogger.make((options) => {
  process.stderr.write(`${operatorLine(options)}\n`)
})

/**
 * Replaces the default logger with `operatorLogger`. For applications, never
 * used by the library itself.
 *
 * @since 0.1.0
 * @category layers
 * @example
 * import { Logger, ProvisionSupervise } from "bottle-supervise"
 * import { Effect } from "effect"
 *
 * declare const provision: Effect.Effect<ProvisionSupervise.ProvisionOutcome>
 * provision.pipe(Effect.provide(Logger.layerOperator))
 */
export const layerOperator: Layer.Layer<never> = EffectLogger.replace(EffectLogger.defaultLogger, operatorLogger)
