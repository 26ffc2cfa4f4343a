/**
 * smolvm machine names, validated before any exec: smolvm 1.9 creates a data
 * folder for a mistyped name before it notices the machine is missing.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const ALNUM = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"]

const PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_]|-(?!-))*$/

/**
 * Why `name` is not a valid smolvm machine name, or `undefined` when it is.
 *
 * @since 0.1.0
 * @category validation
 * @example
 * import { MachineName } from "bottle-supervise"
 *
 * MachineName.problem("bottle-1") // undefined
 * MachineName.problem("bad--name") // "must not contain \"--\""
 */
export const problem = (name: string): string | undefined => {
  if (name.length === 0) return "must not be empty"
  if (name.length > 128) return "must be at most 128 characters"
  if (!/^[A-Za-z0-9_-]*$/.test(name)) return "may only contain ASCII letters, digits, '_' and '-'"
  if (!/^[A-Za-z0-9]/.test(name)) return "must start with a letter or a digit"
  if (name.includes("--")) return "must not contain \"--\""
  if (name.endsWith("-")) return "must not end with '-'"
  return PATTERN.test(name) ? undefined : "is not a valid machine name"
}

/**
 * A smolvm machine name: 1 to 128 characters from `[A-Za-z0-9_-]`, starting
 * with a letter or digit, no trailing `-`, no `--`.
 *
 * A filter, not a brand: a target reaches every exec as a plain `string`
 * (the `Sandbox` service is shared with Docker, whose names follow other
 * rules), and the smolvm backend checks it before any process starts, failing
 * with `InvalidTarget` and this module's `problem`. A brand would prove
 * nothing that the exec does not check again.
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { MachineName } from "bottle-supervise"
 * import { Schema } from "effect"
 *
 * Schema.decodeUnknownSync(MachineName.MachineName)("bottle-1")
 */
export const MachineName = Schema.String.pipe(
  Schema.filter((name) => problem(name) ?? true, {
    identifier: "MachineName",
    // Random strings are rarely machine names: build them (a `-` is always followed by another character).
    arbitrary: () => (fc) =>
      fc.tuple(
        fc.constantFrom(...ALNUM),
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...ALNUM, "_")), { maxLength: 40 })
      ).map(([first, rest]) => `${first}${rest.map(([dash, c]) => `${dash ? "-" : ""}${c}`).join("")}`)
  })
)

/**
 * The type of a `MachineName`: a plain `string` (the schema checks, it does not brand).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * import { MachineName } from "bottle-supervise"
 *
 * const name: MachineName.MachineName = MachineName.MachineName.make("bottle-1")
 */
export type MachineName = typeof MachineName.Type
