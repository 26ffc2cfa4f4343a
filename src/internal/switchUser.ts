/**
 * How smolvm's exec runs a command as a given user: smolvm has no user flag,
 * and exec lands as whoever the machine's image says (root on a bare VM, the
 * agent on an image with `USER node`).
 *
 * @internal
 */
import { USER_MISMATCH_EXIT, USER_MISMATCH_MARK } from "./classify.js"

/**
 * Runs the rest of its argv as the agent user: directly when exec already
 * landed as the agent (image with `USER node`), through `runuser` (or `su`
 * where util-linux is missing) when it landed as root (bare VM), and refuses
 * clearly otherwise. One exec either way.
 *
 * @internal
 */
export const SWITCH_USER = [
  `u="$1"; shift`,
  // Without a passwd entry `id -un` prints the number and fails: keep its output only when it succeeds.
  `me="$(id -un 2>/dev/null)" || me="$(id -u)"`,
  `if [ "$me" = "$u" ]; then exec "$@"; fi`,
  `if [ "$(id -u)" = 0 ]; then`,
  `  if command -v runuser >/dev/null 2>&1; then exec runuser -u "$u" -- "$@"; fi`,
  // "--" before the user: su permutes its arguments and would read a later -c as its own.
  `  exec su -s /bin/sh -c 'exec "$0" "$@"' -- "$u" "$@"`,
  `fi`,
  `echo "${USER_MISMATCH_MARK} $u: exec runs as $me, and only root can switch users" >&2`,
  `exit ${USER_MISMATCH_EXIT}`
].join("\n")

/** `argv` run as `user` through `SWITCH_USER`. @internal */
export const wrap = (user: string, argv: ReadonlyArray<string>): ReadonlyArray<string> => [
  "sh",
  "-c",
  SWITCH_USER,
  "bottle-supervise",
  user,
  ...argv
]
