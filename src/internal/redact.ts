/**
 * Scrubbing of guest output before it can reach a log line, an error or an
 * outcome. `claude mcp get` prints stored headers in clear, and a guest may echo
 * anything it was given, so every known secret is removed and so is anything
 * shaped like an `Authorization` header value.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"

/** @internal */
export const REDACTED = "[REDACTED]"

// A token may hold any visible character, quotes and commas included, so a
// credential runs to the end of its line: shown text loses a little, never leaks.
const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?)[^\r\n]+/gi
const BEARER = /(bearer\s+)[^\r\n]+/gi

/**
 * Removes the given secrets only: for output the caller still has to read,
 * such as a config file compared on the host.
 *
 * @internal
 */
export const scrubSecrets = (text: string, secrets: Iterable<Redacted.Redacted<string>>): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length > 0) out = out.split(value).join(REDACTED)
  }
  return out
}

/**
 * Removes the given secrets and anything shaped like a credential header: for
 * text that may be shown to a person.
 *
 * @internal
 */
export const scrub = (text: string, secrets: Iterable<Redacted.Redacted<string>> = []): string =>
  scrubSecrets(text, secrets).replace(AUTH_HEADER, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`)
