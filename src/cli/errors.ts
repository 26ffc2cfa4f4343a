/**
 * The CLI's own failures, beside the library's `ClientNotFound`: each maps to
 * one exit code. Public through `bottle-supervise/Cli`.
 *
 * @internal
 */
import * as Data from "effect/Data"

/**
 * The flags were well-formed but the plan they describe is not: a bad URL,
 * machine name, user, path, server name or timeout, or a `--token-env`
 * variable that is unset or empty. Exit code 2. The message names the flag and
 * never contains a token. Public as `Cli.PlanError`.
 *
 * @since 0.1.0
 * @category errors
 */
export class PlanError extends Data.TaggedError("PlanError")<{ readonly problems: ReadonlyArray<string> }> {
  /**
   * Every problem on its own line, so one run reports them all.
   *
   * @since 0.1.0
   */
  override get message(): string {
    return `invalid plan:\n${this.problems.map((p) => `  ${p}`).join("\n")}`
  }
}

/**
 * The command ran but its outcome is not a success (exit 1). A failure rather
 * than a value, so that `run` can map it to a code; the outcome itself was
 * already printed. Public as `Cli.OutcomeNotOk`.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutcomeNotOk extends Data.TaggedError("OutcomeNotOk")<{ readonly outcome: string }> {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `outcome: ${this.outcome}`
  }
}
