/**
 * Facts about URLs that plan validation, config comparison and redaction share.
 *
 * @internal
 */

/**
 * Whitespace and control characters (C0, DEL, C1): a URL, path or header
 * holding one is unsafe to hand to a CLI and breaks the line it is shown on.
 *
 * @internal
 */
export const UNSAFE_CHARS = /[\s\u0000-\u001f\u007f-\u009f]/

/**
 * WHATWG's special schemes, with their colon: their authority may follow any
 * run of `/` and `\` and ends at `/`, `\`, `?` or `#`; other schemes have one
 * only after `//`. (`file:` has no userinfo, so treating it as special only
 * ever redacts more.)
 *
 * @internal
 */
export const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(["http:", "https:", "ws:", "wss:", "ftp:", "file:"])
