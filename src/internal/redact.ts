/**
 * Scrubbing of guest output before it can reach a log line, an error or an
 * outcome. `claude mcp get` prints stored headers in clear, and a guest may echo
 * anything it was given, so every known secret is removed and so is anything
 * shaped like an `Authorization` header value.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import { SPECIAL_SCHEMES } from "./url.js"

/** @internal */
export const REDACTED = "[REDACTED]"

// A token may hold any visible character, quotes and commas included, so a
// credential runs to the end of its line: shown text loses a little, never leaks.
const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?)[^\r\n]+/gi
const BEARER = /(bearer\s+)[^\r\n]+/gi
/**
 * Where a URL's authority surely ends: `/`, `?`, `#` or the end of the line. A
 * backslash ends it too in a special scheme, but may sit in a userinfo
 * otherwise, so it does not split: that only ever redacts more.
 */
const AUTHORITY_END = /([\r\n/?#]+)/
/** A special scheme written without slashes (`http:u:p@h`), which WHATWG still reads as having an authority. */
const SLASHLESS_SPECIAL = /(?:https?|wss?|ftp):/i

const isSchemeChar = (code: number): boolean =>
  (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) ||
  code === 0x2b || code === 0x2d || code === 0x2e

/** The scheme that `piece` ends with (`…http:`), lower-cased, or `undefined`. */
const trailingScheme = (piece: string): string | undefined => {
  if (!piece.endsWith(":")) return undefined
  let start = piece.length - 1
  while (start > 0 && isSchemeChar(piece.charCodeAt(start - 1))) start--
  return start === piece.length - 1 ? undefined : piece.slice(start, piece.length - 1).toLowerCase()
}

/**
 * Replaces the userinfo (`user:password@`, up to the last `@` of the
 * authority) of every URL in `text`. A stored URL may carry one and `claude
 * mcp get` prints it as stored; WHATWG lets it hold spaces and reads `http:` and
 * `http:\\` like `http://`, so the authority runs to the next `/`, `?`, `#` or
 * line end. One pass over the pieces between those: linear in the text, whatever a
 * guest prints.
 */
const scrubUserinfo = (text: string): string => {
  if (!text.includes("@")) return text
  // [piece, separator, piece, separator, …]
  const parts = text.split(AUTHORITY_END)
  for (let i = 0; i < parts.length; i += 2) {
    const piece = parts[i]!
    const at = piece.lastIndexOf("@")
    if (at < 0) continue
    if (afterSchemeAndSlashes(parts, i)) {
      parts[i] = `${REDACTED}${piece.slice(at)}`
      continue
    }
    const slashless = SLASHLESS_SPECIAL.exec(piece)
    if (slashless !== null && slashless.index + slashless[0].length <= at) {
      const from = slashless.index + slashless[0].length
      parts[i] = `${piece.slice(0, from)}${REDACTED}${piece.slice(at)}`
    }
  }
  return parts.join("")
}

const isBackslashes = (piece: string): boolean => {
  for (let k = 0; k < piece.length; k++) if (piece.charCodeAt(k) !== 0x5c) return false
  return true
}

/**
 * Whether `parts[i]` follows `scheme:` and slashes: `//` for any scheme, any
 * run of `/` and `\` for a special one (a scheme glued to the word before it,
 * `xhttp:`, counts as special: that only ever redacts more). Walks back over
 * backslash-only pieces once, so the scan stays linear.
 */
const afterSchemeAndSlashes = (parts: ReadonlyArray<string>, i: number): boolean => {
  let j = i - 2
  while (j > 0 && parts[j] !== "" && isBackslashes(parts[j]!)) j -= 2
  if (j < 0) return false
  for (let k = j + 1; k < i; k += 2) if (/[\r\n?#]/.test(parts[k]!)) return false
  let end = parts[j]!.length
  while (end > 0 && parts[j]!.charCodeAt(end - 1) === 0x5c) end--
  const scheme = trailingScheme(parts[j]!.slice(0, end))
  if (scheme === undefined) return false
  if ([...SPECIAL_SCHEMES].some((name) => scheme.endsWith(name.slice(0, -1)))) return true
  return j === i - 2 && end === parts[j]!.length && parts[i - 1]!.startsWith("//")
}

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
  scrubUserinfo(scrubSecrets(text, secrets).replace(AUTH_HEADER, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`))
