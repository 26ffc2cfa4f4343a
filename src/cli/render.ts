/**
 * Rendering help and usage errors as text, in colour or without: what
 * `--help` prints and what an error from `@effect/cli`'s parser becomes.
 *
 * @internal
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Doc from "@effect/printer/Doc"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"

/**
 * Text without escape sequences: `@effect/printer`'s own renderer drops the
 * colour annotations the ANSI one turns into codes.
 *
 * @internal
 */
export const plainText = (doc: HelpDoc.HelpDoc): string => Doc.render(HelpDoc.toAnsiDoc(doc), { style: "pretty" })

/** `doc` as text, coloured or not. @internal */
export const render = (doc: HelpDoc.HelpDoc, colour: boolean): string =>
  colour ? HelpDoc.toAnsiText(doc) : plainText(doc)

/**
 * Whether to colour what goes to stdout: only for a terminal, and never when
 * `NO_COLOR` is set to anything but the empty string (https://no-color.org).
 *
 * @internal
 */
export const colourOnStdout: Effect.Effect<boolean> = Effect.map(
  Config.string("NO_COLOR").pipe(Config.withDefault(""), Effect.orElseSucceed(() => "")),
  (noColor) => noColor === "" && process.stdout.isTTY === true
)
