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
// A URL's userinfo (`user:password@`), up to the last `@` of its authority. A stored
// URL may carry one, and `claude mcp get` prints it (and its reasons may repeat it).
// The special schemes need no `//` (WHATWG reads `http:u:p@h` as a userinfo too).
const URL_USERINFO = /\b((?:https?|wss?|ftp):[/\\]*|[a-z][a-z0-9+.-]*:\/\/)[^\s/\\?#]*@/gi

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
 * Removes the given secrets, anything shaped like a credential header and the
 * userinfo of any URL: for text that may be shown to a person.
 *
 * @internal
 */
export const scrub = (text: string, secrets: Iterable<Redacted.Redacted<string>> = []): string =>
  scrubSecrets(text, secrets)
    .replace(AUTH_HEADER, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
