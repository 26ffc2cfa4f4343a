/**
 * POSIX shell quoting for text meant to be pasted into a shell by a person.
 *
 * Library code never builds shell strings from data; this exists only for what
 * operators read: the manual hint and the CLI's `--dry-run` command lines.
 *
 * @internal
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

/** @internal */
export const quote = (word: string): string =>
  word.length > 0 && SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`

/** @internal */
export const join = (argv: ReadonlyArray<string>): string => argv.map(quote).join(" ")
