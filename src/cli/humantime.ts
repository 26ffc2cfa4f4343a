/**
 * `--timeout` values: operators type humantime (`30s`, `1m30s`) as smolvm's
 * own `--timeout` takes it; Effect's `"30 seconds"` is accepted too.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

const PART = /^(\d+(?:\.\d+)?)(ms|s|m|h)/

/**
 * A finite duration of at least 1 ms, from `30s`, `2m`, `500ms`, `1m30s`,
 * `1.5s` or `30 seconds`; `undefined` for anything else, zero included, since
 * the library would refuse it anyway.
 *
 * @internal
 */
export const parse = (input: string): Duration.Duration | undefined => {
  const text = input.trim()
  let total = 0
  let rest = text
  while (rest.length > 0) {
    const match = PART.exec(rest)
    if (match === null) break
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN)
    rest = rest.slice(match[0].length)
  }
  const fromHumantime = text.length > 0 && rest.length === 0 ? Option.some(Duration.millis(total)) : Option.none()
  const decoded = Option.orElse(fromHumantime, () => Duration.decodeUnknown(text))
  return Option.getOrUndefined(
    Option.filter(decoded, (d) => Duration.isFinite(d) && Duration.toMillis(d) >= 1)
  )
}
