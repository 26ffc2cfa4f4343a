/**
 * Showing untrusted text (whatever a guest printed) to a person: every control
 * character is escaped, so guest output can neither move the cursor, recolour
 * the terminal nor start a line of its own in a log.
 *
 * @internal
 */

// C0 controls, DEL and C1 controls (ESC's 8-bit twin CSI among them), plus the
// Unicode line and paragraph separators some terminals and log viewers break on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

const escapeOne = (char: string): string => {
  switch (char) {
    case "\n":
      return "\\n"
    case "\r":
      return "\\r"
    case "\t":
      return "\\t"
    default:
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
  }
}

/**
 * `text` on one line with every control character written as an escape
 * (`\n`, `\u001b`, …). A backslash stays as it is: the escapes are for
 * reading, not for decoding back.
 *
 * @internal
 */
export const escape = (text: string): string => text.replace(CONTROL, escapeOne)
