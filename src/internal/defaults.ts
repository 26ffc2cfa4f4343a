/**
 * Every default and bound of the library, in one place: the backends, the
 * test layer, provisioning, verification and the CLI read them from here.
 *
 * @internal
 */
import * as Duration from "effect/Duration"

/** One exec's timeout when the caller gives none. @internal */
export const EXEC_TIMEOUT: Duration.Duration = Duration.seconds(60)

/** A whole provisioning's deadline when the caller gives none, retries and the lock wait included. @internal */
export const PROVISION_TIMEOUT: Duration.Duration = Duration.seconds(60)

/**
 * A verification's deadline when the caller gives none: the CLI's own health
 * check waits 30 s on a port that accepts and never answers, and can take a
 * minute in all.
 *
 * @internal
 */
export const VERIFY_TIMEOUT: Duration.Duration = Duration.seconds(90)

/** The longest timeout: Node's timers fire at once past 2^31 - 1 ms, and smolvm's parser refuses huge values. @internal */
export const MAX_TIMEOUT_MS = 24 * 24 * 60 * 60 * 1000

/** SIGTERM, then this grace, then SIGKILL, for a client that has to go. @internal */
export const KILL_GRACE: Duration.Duration = Duration.millis(500)

/** Per stream, head and tail kept. @internal */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024

/** Concurrent execs per sandbox: smolvm's guest agent serves 8 connections; Docker gets the same. @internal */
export const EXECS_PER_SANDBOX = 7

/** The permits for `maxConcurrentExecsPer…`: at least one, whatever was given (none would hold every exec). @internal */
export const execSlots = (given: number | undefined): number =>
  given === undefined || !Number.isFinite(given) ? EXECS_PER_SANDBOX : Math.max(1, Math.floor(given))
