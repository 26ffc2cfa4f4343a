/**
 * The guest side of provisioning: fixed `sh` scripts that take every piece of
 * data as a positional parameter or an environment variable. Nothing is ever
 * interpolated into a script, so no URL, name or token can change what runs.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import type { AgentPlan, SupervisePlan } from "../SupervisePlan.js"
import type { Step } from "./agents/agent.js"
import * as Shell from "./shellQuote.js"

/** What every line the library's scripts add to a step's stderr starts with. @internal */
export const MARK_PREFIX = "bottle-supervise: "

/** Guest variable that carries the bearer token, set through `--secret-env`. @internal */
export const TOKEN_VAR = "BOTTLE_SUPERVISE_TOKEN"

/**
 * The exec's secret environment for `plan`'s token, if any: the token for the
 * CLI, and the JSON text of its header value (as the CLI stores it) for the
 * in-guest scrub.
 *
 * @internal
 */
export const tokenEnv = (plan: SupervisePlan): Readonly<Record<string, Redacted.Redacted<string>>> | undefined =>
  tokenEnvWith(HEADER_VAR, JSON.stringify)(plan)

/**
 * An exec's secret environment for a plan's token: the token in
 * `BOTTLE_SUPERVISE_TOKEN`, and in `variable` the `Authorization` value
 * (`Bearer <token>`) as the agent's file spells it (`spell`), for the
 * in-guest comparison. Every agent's steps build theirs here.
 *
 * @internal
 */
export const tokenEnvWith = (variable: string, spell: (header: string) => string) =>
(
  plan: SupervisePlan
): Readonly<Record<string, Redacted.Redacted<string>>> | undefined =>
  plan.token === undefined ? undefined : {
    [TOKEN_VAR]: plan.token,
    [variable]: Redacted.make(spell(`Bearer ${Redacted.value(plan.token)}`))
  }

/** Above this size the config is read in part: see `READ`. @internal */
export const READ_WHOLE_LIMIT = 4 * 1024 * 1024

/**
 * What `READ` prints in place of the plan's own `Authorization` value: the
 * token itself never leaves the guest. It holds a space, which no token can.
 *
 * @internal
 */
export const TOKEN_PLACEHOLDER_HEADER = "Bearer <the planned token>"

/** Guest variable with the JSON text of the plan's `Authorization` value, for the in-guest scrub. @internal */
export const HEADER_VAR = "BOTTLE_SUPERVISE_HEADER"

/** What `READ` says on stderr when no awk could scrub the config, so nothing was printed. @internal */
export const READ_UNSCRUBBED_MARK = "bottle-supervise: no awk to scrub tokens with; the config was not printed"

/** What another agent's read says on stderr when the guest had nothing to read the entry with (no node, no awk). @internal */
export const NO_READER_MARK = "bottle-supervise: nothing to read the entry with; it was not printed"

/** What `READ` says on stderr when it printed the top-level `mcpServers` only. @internal */
export const READ_PART_MARK = "bottle-supervise: read the top-level mcpServers only"

/**
 * `READ` names the file it picked on stderr, after this, so an error can name
 * the file that was read rather than the one a fresh guest would use.
 *
 * @internal
 */
export const READ_FILE_MARK = "bottle-supervise: config file "

/**
 * Where Claude Code's own installers put `claude` in the agent's home (the
 * native installer's `~/.local/bin`, the older local install's
 * `~/.claude/local`), appended to `PATH`: after a switch from root, `PATH` is
 * root's, and an agent that installed the CLI for itself is found there only.
 */
const CLAUDE_ON_PATH =
  "PATH=\"${PATH:-/usr/local/bin:/usr/bin:/bin}:$HOME/.local/bin:$HOME/.claude/local\"; export PATH"

/**
 * The CLI's `add`, run (not `exec`ed: a lock may be held by this shell) with
 * `$1` server name, `$2` URL and the token, if any, in `BOTTLE_SUPERVISE_TOKEN`.
 */
const ADD_FN = [
  `add() {`,
  `  if [ -n "\${${TOKEN_VAR}:-}" ]; then`,
  `    claude mcp add --scope user --transport http "$1" "$2" --header "Authorization: Bearer \${${TOKEN_VAR}}"`,
  `  else`,
  `    claude mcp add --scope user --transport http "$1" "$2"`,
  `  fi`,
  `}`
]

/** Where every step says which branch it took, so the host counts Claude Code starts exactly. @internal */
export const STEP_MARK = "bottle-supervise: step "

/** How a step that failed names itself, before exiting with the CLI's status. @internal */
export const FAILED_MARK = "bottle-supervise: failed at "

/**
 * The bottle's writer lock, taken inside the guest so that any number of
 * launcher processes, on one host or several, write one at a time: a directory
 * next to the config file (`mkdir` is atomic everywhere, no `flock` needed),
 * holding the pid of the shell that took it. A lock whose holder is gone (an
 * exec killed at its deadline, a host that died) is broken by renaming it away
 * first, so that two waiters cannot both break it; one without a pid yet is
 * given a moment. A holder that is a zombie is gone too: a shell killed with
 * its parent (`runuser`) is left to the guest's init, and `kill -0` succeeds
 * on it for as long as that init does not reap it. The wait is bounded by the
 * exec's own deadline. The lock dir also holds a replace's work copy, so
 * breaking a stale lock cleans that too. It needs `$f`, the config file, set.
 *
 * @internal
 */
export const LOCK = [
  "case \"$f\" in */*) dir=\"${f%/*}\";; *) dir=.;; esac",
  "dir=\"${dir:-/}\"",
  String.raw`L="$dir/.bottle-supervise.lock"`,
  String.raw`[ -d "$dir" ] || mkdir -p -- "$dir" 2>/dev/null || :`,
  String.raw`nopid=0`,
  "alive() { kill -0 \"$1\" 2>/dev/null || return 1; s=\"$(cat \"/proc/$1/stat\" 2>/dev/null)\" || return 0; s=\"${s##*) }\"; [ \"${s%% *}\" != Z ]; }",
  String.raw`while ! mkdir -- "$L" 2>/dev/null; do`,
  String
    .raw`  [ -d "$dir" ] || { echo "${FAILED_MARK}lock: $dir is not a directory the agent can write" >&2; exit 73; }`,
  // One the agent cannot write (a root-owned ~/.codex from an image's COPY) would fail every mkdir until the deadline.
  String
    .raw`  [ -w "$dir" ] || [ -d "$L" ] || { echo "${FAILED_MARK}lock: the agent cannot write $dir" >&2; exit 73; }`,
  String.raw`  p="$(cat -- "$L/pid" 2>/dev/null)" || p=""`,
  String.raw`  if [ -z "$p" ]; then nopid=$((nopid + 1)); else nopid=0; fi`,
  String.raw`  if { [ -n "$p" ] && ! alive "$p"; } || [ "$nopid" -gt 30 ]; then`,
  String.raw`    mv -- "$L" "$L.stale.$$" 2>/dev/null && rm -rf -- "$L.stale.$$"`,
  String.raw`    nopid=0`,
  String.raw`  fi`,
  String.raw`  sleep 0.1 2>/dev/null || sleep 1`,
  String.raw`done`,
  String.raw`echo "$$" >"$L/pid"`,
  String.raw`trap 'rm -rf -- "$L"' EXIT`,
  String.raw`trap 'exit 129' HUP`,
  String.raw`trap 'exit 130' INT`,
  String.raw`trap 'exit 143' TERM`
]

/**
 * Reads stdin to stdout with every `Authorization` header value replaced, so
 * that no token, the plan's or a stale one, leaves the guest: the plan's own
 * (its JSON text in `BOTTLE_SUPERVISE_HEADER`) becomes `TOKEN_PLACEHOLDER`,
 * any other `[REDACTED]`. The host compares against the placeholder. Without
 * awk nothing can be scrubbed, so nothing is printed and the host rewrites
 * the entry uncompared.
 */
const SCRUB_FN = [
  String.raw`scrub() {`,
  String
    .raw`  if ! command -v awk >/dev/null 2>&1; then cat >/dev/null; echo "${READ_UNSCRUBBED_MARK}" >&2; return 0; fi`,
  String.raw`  awk '`,
  String.raw`    BEGIN {`,
  String.raw`      ours = ENVIRON["BOTTLE_SUPERVISE_HEADER"]`,
  String.raw`      re = "\"[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]\"[ \t]*:[ \t]*\"([^\"\\\\]|\\\\.)*\""`,
  String.raw`      str = "\"([^\"\\\\]|\\\\.)*\""`,
  String.raw`    }`,
  String.raw`    {`,
  String.raw`      out = ""; rest = $0`,
  String.raw`      while (match(rest, re)) {`,
  String.raw`        m = substr(rest, RSTART, RLENGTH); v = m; sub(/^[^:]*:[ \t]*/, "", v)`,
  String.raw`        out = out substr(rest, 1, RSTART - 1) substr(m, 1, length(m) - length(v))`,
  String.raw`        out = out (ours != "" && v == ours ? "\"${TOKEN_PLACEHOLDER_HEADER}\"" : "\"[REDACTED]\"")`,
  String.raw`        rest = substr(rest, RSTART + RLENGTH)`,
  String.raw`      }`,
  // Any other string equal to the plan's header value (under another header name, say) too.
  String.raw`      line = out rest; out = ""`,
  String.raw`      while (ours != "" && match(line, str)) {`,
  String.raw`        m = substr(line, RSTART, RLENGTH)`,
  String.raw`        out = out substr(line, 1, RSTART - 1) (m == ours ? "\"${TOKEN_PLACEHOLDER_HEADER}\"" : m)`,
  String.raw`        line = substr(line, RSTART + RLENGTH)`,
  String.raw`      }`,
  String.raw`      print out line`,
  String.raw`    }'`,
  String.raw`}`
]

/**
 * `read_config LIMIT NAME FILE`: prints FILE when it is at most LIMIT bytes;
 * else only what reconcile reads (see `READ`).
 */
const READ_FN = [
  String.raw`read_config() {`,
  String.raw`  size=$(( $(wc -c 2>/dev/null <"$3") + 0 ))`,
  String.raw`  if [ "$size" -le "$1" ]; then cat -- "$3"; return; fi`,
  String.raw`  echo "${READ_PART_MARK} ($size bytes)" >&2`,
  // Without awk the part cannot be cut out: print nothing, and reconcile rewrites the entry uncompared.
  String.raw`  command -v awk >/dev/null 2>&1 || return 0`,
  // The name goes through the environment: awk -v would read backslashes in it as escapes.
  String.raw`  BOTTLE_SUPERVISE_NAME="$2" awk '`,
  String.raw`  BEGIN { key = "\"" ENVIRON["BOTTLE_SUPERVISE_NAME"] "\": " }`,
  String.raw`  NR == 1 && $0 == "{}" { empty = 1; exit }`,
  String.raw`  NR == 1 && $0 != "{" { bad = 1; exit }`,
  String.raw`  NR == 2 && !/^  "/ { bad = 1; exit }`,
  String.raw`  /^  "mcpServers": \{\},?$/ { servers = "{}"; next }`,
  String.raw`  /^  "mcpServers": \{$/ { inServers = 1; servers = "{"; next }`,
  String
    .raw`  inServers { if (/^  \},?$/) { servers = servers "\n  }"; inServers = 0 } else servers = servers "\n" $0; next }`,
  String.raw`  /^  "projects": \{$/ { inProjects = 1; next }`,
  String.raw`  inProjects && /^  \},?$/ { inProjects = 0; next }`,
  String
    .raw`  inProjects && /^    "/ { project = $0; sub(/^    /, "", project); sub(/: \{$/, "", project); inLocal = 0; next }`,
  String.raw`  inProjects && /^      "mcpServers": \{$/ { inLocal = 1; next }`,
  String.raw`  inLocal && /^      \},?$/ { inLocal = 0; next }`,
  String.raw`  inLocal && index($0, "        " key) == 1 { shadowed[++n] = project; next }`,
  String.raw`  END {`,
  String.raw`    if (empty) { print "{}"; exit }`,
  String.raw`    if (bad || NR < 2) exit`,
  String.raw`    print "{"`,
  // No top-level mcpServers is an answer too (the entry is not where the plan says), not a layout failure.
  String.raw`    if (servers != "") { printf "  \"mcpServers\": %s", servers; sep = "," }`,
  String.raw`    if (n == 0) { if (sep != "") print ""; print "}"; exit }`,
  String.raw`    print sep`,
  String.raw`    print "  \"projects\": {"`,
  String
    .raw`    for (i = 1; i <= n; i++) printf "    %s: {\"mcpServers\": {%s{}}}%s\n", shadowed[i], key, (i < n ? "," : "")`,
  String.raw`    print "  }"`,
  String.raw`    print "}"`,
  String.raw`  }`,
  String.raw`' "$3"`,
  String.raw`}`,
  // The read's own status survives the pipe into scrub: it comes back on fd 3.
  String.raw`read_scrubbed() {`,
  String.raw`  { st=$( { { read_config "$@"; echo "$?" >&3; } | scrub >&4; } 3>&1 ); } 4>&1`,
  String.raw`  return "$st"`,
  String.raw`}`
]

/** How a script reports an agent CLI's own exit status on stderr. @internal */
export const cliExitMark = (cli: string): string => `bottle-supervise: ${cli} exited `

/** How `GET` reports the CLI's own exit status on stderr. @internal */
export const CLI_EXIT_MARK = cliExitMark("claude")

/**
 * A step's result as the agent CLI it ran left it: the CLI's own status, as
 * `mark` (a `cliExitMark`) reported it on stderr (the exec's own status when
 * there is no such line), and stderr without that line.
 *
 * @internal
 */
export const cliStatus = (
  ran: { readonly exitCode: number; readonly stderr: string },
  mark: string
): { readonly exitCode: number; readonly stderr: string } => {
  const lines = ran.stderr.split("\n")
  const marked = lines.find((line) => line.startsWith(mark))
  return {
    exitCode: marked === undefined ? ran.exitCode : Number(marked.slice(mark.length)),
    stderr: lines.filter((line) => !line.startsWith(mark)).join("\n")
  }
}

/** `$1` server name. @internal */
export const GET = [
  CLAUDE_ON_PATH,
  // The CLI prints stored headers in clear: their values are cut in the guest, and the CLI's
  // own status comes back on fd 3.
  String
    .raw`{ st=$( { { claude mcp get "$1"; echo "$?" >&3; } | awk '/^  [A-Za-z]/ { h = 0 } /^  Headers:/ { h = 1; print; next } h && /^    / { sub(/:.*/, ": [REDACTED]") } { print }' >&4; } 3>&1 ); } 4>&1`,
  // The exec succeeds whatever the CLI said, so the host reads its raw words; the CLI's status is marked.
  String.raw`echo "${CLI_EXIT_MARK}$st" >&2`
].join("\n")

/** The files `READ` may pick for `agent`, with `/` runs collapsed as a path lookup does. */
const configFiles = (agent: AgentPlan): ReadonlyArray<string> => {
  const dir = agent.configDir ?? agent.home
  return [
    `${dir}/.claude.json`,
    `${dir}/.claude-custom-oauth.json`,
    `${agent.configDir ?? `${agent.home}/.claude`}/.config.json`
  ]
    .map(collapseSlashes)
}

const collapseSlashes = (path: string): string => path.replace(/\/+/g, "/")

/**
 * The file a `READ` for `agent` named on its stderr, when it is one of those
 * the script can pick. The guest's stderr is the guest's: anything else there
 * (another program's line, a credential) is never taken as a file name.
 *
 * @internal
 */
export const readFileOf = (agent: AgentPlan, stderr: string): string | undefined => {
  const named = stderr.split("\n").find((line) => line.startsWith(READ_FILE_MARK))?.slice(READ_FILE_MARK.length)
  // The host's own spelling of the file, not the guest's (which could be megabytes of `/`).
  return named === undefined ? undefined : configFiles(agent).find((file) => file === collapseSlashes(named))
}

/**
 * Sets `$3` to the user config file Claude Code uses, decided as Claude Code
 * 2.1.330 decides it at startup (`rE()` in its bundle), from the environment
 * the CLI runs in (`HOME`, `CLAUDE_CONFIG_DIR`, `CLAUDE_CODE_CUSTOM_OAUTH_URL`).
 * Its file is `${CLAUDE_CONFIG_DIR:-$HOME}/.claude.json`, or
 * `.claude-custom-oauth.json` when `CLAUDE_CODE_CUSTOM_OAUTH_URL` is non-empty,
 * except that it keeps the legacy `${CLAUDE_CONFIG_DIR-$HOME/.claude}/.config.json`
 * when that is, after symlinks:
 * - a non-empty regular file, even next to a `.claude.json` (unless that is
 *   missing or a non-empty file and the directory's listing lacks the exact
 *   name: a case-insensitive file system matched another one); or
 * - an empty regular file with a write bit in its mode, while the other file
 *   cannot be stat'ed or is an empty regular file without write bits and with
 *   one link.
 * The CLI NFC-normalises the legacy directory first; this does not, which only
 * matters for a home or `configDir` not in NFC. `pickConfigFile` in
 * test/support/claudeModel.ts is the rule ported from the CLI; the tests hold
 * this script to it and to the real CLI.
 */
const PICK_FILE = [
  "f=\"${CLAUDE_CONFIG_DIR:-$HOME}/.claude${CLAUDE_CODE_CUSTOM_OAUTH_URL:+-custom-oauth}.json\"",
  // `-`, not `:-`: the CLI takes an empty CLAUDE_CONFIG_DIR as the directory here, and joins "" to a relative name.
  "d=\"${CLAUDE_CONFIG_DIR-$HOME/.claude}\"",
  "l=\"${d:+$d/}.config.json\"",
  // The mode string and link count of a file, after symlinks.
  String.raw`lsl() { set -f; set -- $(ls -ldL -- "$1" 2>/dev/null); set +f; mode="$1"; links="$2"; }`,
  String.raw`writable() { case "$mode" in ??w*|?????w*|????????w*) return 0;; esac; return 1; }`,
  String.raw`if [ -f "$l" ]; then`,
  String.raw`  if [ -s "$l" ]; then`,
  String.raw`    if [ -e "$f" ] && ! { [ -f "$f" ] && [ -s "$f" ]; }; then f="$l"`,
  String.raw`    else`,
  // The CLI looks for the exact name in the directory's listing; a glob lists it the same way.
  String.raw`      listed=0`,
  "      for e in \"${d:-.}\"/.config.jso[n]; do [ \"$e\" = \"${d:-.}/.config.json\" ] && listed=1; done",
  "      if [ \"$listed\" = 1 ] || ! [ -r \"${d:-.}\" ]; then f=\"$l\"; fi",
  String.raw`    fi`,
  String.raw`  else`,
  String.raw`    lsl "$l"`,
  String.raw`    if writable; then`,
  String.raw`      if ! [ -e "$f" ]; then f="$l"`,
  String
    .raw`      elif [ -f "$f" ] && ! [ -s "$f" ]; then lsl "$f"; if ! writable && [ "$links" = 1 ]; then f="$l"; fi`,
  String.raw`      fi`,
  String.raw`    fi`,
  String.raw`  fi`,
  String.raw`fi`
]

/**
 * `$1` byte limit, `$2` server name. Reads the user config file the CLI uses
 * (`PICK_FILE` sets it as `$3`): prints it when it is at most the limit; else only what
 * reconcile reads: the top-level
 * `mcpServers` object and, under `projects`, each project whose own
 * `mcpServers` holds the name (a local-scope entry that shadows ours), as
 * `{"mcpServers": …, "projects": {"<path>": {"mcpServers": {"<name>": {}}}}}`.
 * Claude Code keeps state for every directory it ever ran in in the same file,
 * which grows to MBs, past what smolvm carries back from one exec (about 11
 * MiB) and past the host's capture bound. Claude Code writes it with two-space
 * indentation, so the nesting depth of a line is its indentation (JSON strings
 * hold no raw newline); a file laid out otherwise gives no output, and
 * reconcile stops comparing. A file without a top-level `mcpServers` gives an
 * object without it, as reading it whole would.
 *
 * @internal
 */
export const READ = [
  CLAUDE_ON_PATH,
  ...PICK_FILE,
  ...SCRUB_FN,
  ...READ_FN,
  String.raw`printf '%s\n' "${READ_FILE_MARK}$f" >&2`,
  // A missing or unreadable file is cat's own error and status.
  String.raw`[ -r "$f" ] || exec cat -- "$f"`,
  String.raw`read_scrubbed "$1" "$2" "$f"`
].join("\n")

/**
 * The first step of every provisioning, under the bottle's writer lock:
 * `$1` server name, `$2` URL, `$3` read limit. When the config file the CLI
 * uses cannot hold the entry (it does not exist, or the name does not occur
 * in it), it runs `claude mcp add` at once: a first registration is one exec
 * and one Claude Code start. Otherwise it prints the file as `READ` does,
 * tokens scrubbed, and starts no Claude Code: the host compares it with the
 * plan, and a relaunch with the same plan is one exec with no CLI start.
 *
 * @internal
 */
export const ENSURE = [
  CLAUDE_ON_PATH,
  ...PICK_FILE,
  ...SCRUB_FN,
  ...READ_FN,
  ...ADD_FN,
  ...LOCK,
  String.raw`if ! [ -e "$f" ] || ! grep -qF -- "\"$1\"" "$f" 2>/dev/null; then`,
  String.raw`  echo "${STEP_MARK}add" >&2`,
  String.raw`  out="$(add "$1" "$2" 2>&1)"; st=$?`,
  String.raw`  printf '%s\n' "$out" >&2`,
  String.raw`  [ "$st" = 0 ] && exit 0`,
  // The CLI's own sentence: the name is there after all (a file grep could not read); read it.
  String.raw`  case "$out" in`,
  String.raw`    *"MCP server $1 already exists in user config"*) ;;`,
  String.raw`    *) echo "${FAILED_MARK}claude mcp add (exit $st)" >&2; exit "$st";;`,
  String.raw`  esac`,
  String.raw`fi`,
  String.raw`echo "${STEP_MARK}read" >&2`,
  String.raw`printf '%s\n' "${READ_FILE_MARK}$f" >&2`,
  // Not `exec`: the lock is released on exit.
  String.raw`[ -r "$f" ] || { cat -- "$f"; exit; }`,
  String.raw`read_scrubbed "$3" "$1" "$f"`
].join("\n")

/**
 * Replaces the user-scope entry `$1` with one for URL `$2`, under the bottle's
 * writer lock, so that it is never half done: `remove` and `add` run on a copy
 * of the config file inside the lock directory (`CLAUDE_CONFIG_DIR` pointing
 * there, the copy named as the original, so the CLI picks it the same way),
 * and the result is renamed over the original, which is atomic on one file
 * system. An exec killed at any moment leaves the old entry or the new one.
 * A symlinked config file is replaced in place (remove, then add), as the CLI
 * itself would write through it. Claude Code's own lock (`<file>.lock`, a
 * directory its writers refresh) is respected: while another writer holds it
 * the replace waits; a lock nobody refreshed for 11 s is stale, as Claude Code
 * treats it. Each failure names its step and keeps the CLI's own words.
 *
 * @internal
 */
export const REPLACE = [
  CLAUDE_ON_PATH,
  ...PICK_FILE,
  ...ADD_FN,
  ...LOCK,
  String.raw`echo "${STEP_MARK}replace" >&2`,
  // Claude Code's lock: wait while it is refreshed; break it once it has not been for 11 s.
  String.raw`if [ -e "$f.lock" ]; then`,
  String.raw`  : >"$L/since"; n=0`,
  String.raw`  while [ -e "$f.lock" ]; do`,
  String.raw`    n=$((n + 1))`,
  String.raw`    if [ "$n" -ge 110 ]; then`,
  String.raw`      if [ "$f.lock" -ot "$L/since" ]; then rmdir -- "$f.lock" 2>/dev/null || :; else`,
  String
    .raw`        echo "${FAILED_MARK}Claude Code's lock $f.lock: another claude is writing this config; the entry was left as it was" >&2`,
  String.raw`        exit 75`,
  String.raw`      fi`,
  String.raw`    fi`,
  String.raw`    sleep 0.1 2>/dev/null || sleep 1`,
  String.raw`  done`,
  String.raw`fi`,
  String.raw`remove() {`,
  String.raw`  out="$(claude mcp remove --scope user "$1" 2>&1)" && return 0`,
  String.raw`  st=$?`,
  // Nothing to remove is what a replace wants; anything else is the remove's own failure.
  String.raw`  case "$out" in *"No MCP server named"*) return 0;; esac`,
  String.raw`  printf '%s\n' "$out" >&2`,
  String.raw`  echo "${FAILED_MARK}claude mcp remove (exit $st); the entry was left as it was" >&2`,
  String.raw`  return "$st"`,
  String.raw`}`,
  String.raw`if [ -L "$f" ] || ! [ -e "$f" ]; then`,
  String.raw`  remove "$1" || exit`,
  String.raw`  add "$1" "$2" || { st=$?; echo "${FAILED_MARK}claude mcp add (exit $st)" >&2; exit "$st"; }`,
  String.raw`  exit 0`,
  String.raw`fi`,
  "w=\"$L/work\"; b=\"${f##*/}\"",
  String
    .raw`mkdir -- "$w" && cp -p -- "$f" "$w/$b" || { echo "${FAILED_MARK}copying $f; the entry was left as it was" >&2; exit 74; }`,
  String.raw`export CLAUDE_CONFIG_DIR="$w"`,
  String.raw`remove "$1" || exit`,
  String
    .raw`add "$1" "$2" || { st=$?; echo "${FAILED_MARK}claude mcp add (exit $st); the entry was left as it was" >&2; exit "$st"; }`,
  String
    .raw`mv -f -- "$w/$b" "$f" || { echo "${FAILED_MARK}renaming the new config over $f; the entry was left as it was" >&2; exit 74; }`
].join("\n")

/** The agent's environment for the CLI, after the user switch reset it. @internal */
export const agentEnv = (agent: AgentPlan): ReadonlyArray<string> => [
  // Without a configDir, one inherited from the guest's environment would send the
  // CLI's writes to another file than the one reconcile reads.
  ...(agent.configDir === undefined ? ["-u", "CLAUDE_CONFIG_DIR"] : []),
  `HOME=${agent.home}`,
  ...(agent.configDir === undefined ? [] : [`CLAUDE_CONFIG_DIR=${agent.configDir}`]),
  "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
  "DISABLE_TELEMETRY=1"
]

/**
 * argv that runs `command` with the agent's environment; the exec runs it as
 * the agent user (`user: agent.user`).
 *
 * @internal
 */
export const asAgent = (agent: AgentPlan, command: ReadonlyArray<string>): ReadonlyArray<string> => [
  "env",
  ...agentEnv(agent),
  ...command
]

/** argv that runs one of the scripts above as the agent. @internal */
export const script = (agent: AgentPlan, body: string, args: ReadonlyArray<string>): ReadonlyArray<string> =>
  asAgent(agent, ["sh", "-c", body, "bottle-supervise", ...args])

/** @internal */
export const ensureArgv = (agent: AgentPlan, plan: SupervisePlan) =>
  script(agent, ENSURE, [plan.serverName, plan.agentUrl, String(READ_WHOLE_LIMIT)])

/** @internal */
export const replaceArgv = (agent: AgentPlan, plan: SupervisePlan) =>
  script(agent, REPLACE, [plan.serverName, plan.agentUrl])

/** @internal */
export const readConfigArgv = (agent: AgentPlan, plan: SupervisePlan) =>
  script(agent, READ, [String(READ_WHOLE_LIMIT), plan.serverName])

/** @internal */
export const getArgv = (agent: AgentPlan, plan: SupervisePlan) => script(agent, GET, [plan.serverName])

/** Name of the variable the manual hint expects the operator to set. @internal */
export const HINT_TOKEN_VAR = "SUPERVISE_TOKEN"

/**
 * What an operator pastes into a shell inside the bottle, as the agent user.
 * Every word is quoted; the token is referenced as `$SUPERVISE_TOKEN`, never
 * written out.
 *
 * @internal
 */
export const manualHint = (agent: AgentPlan, plan: SupervisePlan): string => {
  // Quote the value, not the word: a quoted `'A=b'` is a command name, not an assignment.
  const prefix = agent.configDir === undefined ? "" : `CLAUDE_CONFIG_DIR=${Shell.quote(agent.configDir)} `
  const remove = `${prefix}${Shell.join(["claude", "mcp", "remove", "--scope", "user", plan.serverName])} 2>/dev/null`
  const add = `${prefix}${
    Shell.join(["claude", "mcp", "add", "--scope", "user", "--transport", "http", plan.serverName, plan.agentUrl])
  }`
  const header = plan.token === undefined ? "" : ` --header "Authorization: Bearer $${HINT_TOKEN_VAR}"`
  return `${remove}; ${add}${header}`
}

/** @internal */
export type { Step } from "./agents/agent.js"

/**
 * `<cli> mcp add --scope user --transport http NAME URL`: Claude Code's and
 * Gemini CLI's spelling of a user-scope HTTP server, without its header.
 *
 * @internal
 */
export const userScopeHttpAdd = (cli: string, plan: SupervisePlan): ReadonlyArray<string> => [
  cli,
  "mcp",
  "add",
  "--scope",
  "user",
  "--transport",
  "http",
  plan.serverName,
  plan.agentUrl
]

const addCommand = (plan: SupervisePlan) => userScopeHttpAdd("claude", plan)

/** @internal */
export const provisionSteps = (agent: AgentPlan, plan: SupervisePlan): ReadonlyArray<Step> => [
  {
    name: "ensure",
    when: "always runs: under the bottle's lock, claude mcp add when the config has no such entry, " +
      "else print the config with tokens scrubbed (no Claude Code start)",
    argv: ensureArgv(agent, plan),
    carriesToken: true,
    commands: [addCommand(plan)]
  },
  {
    name: "read",
    when: "only when claude mcp add said the entry already exists: read the agent's config, tokens scrubbed",
    argv: readConfigArgv(agent, plan),
    carriesToken: true,
    commands: [["cat", "--", agent.configFile]]
  },
  {
    name: "replace",
    when: "only when the stored entry differs: claude mcp remove + add on a copy, renamed into place",
    argv: replaceArgv(agent, plan),
    carriesToken: true,
    commands: [["claude", "mcp", "remove", "--scope", "user", plan.serverName], addCommand(plan)]
  }
]

/** @internal */
export const verifySteps = (agent: AgentPlan, plan: SupervisePlan): ReadonlyArray<Step> => [
  {
    name: "get",
    when: "the agent's own health check (claude mcp get, as the agent user; header values cut in the guest)",
    argv: getArgv(agent, plan),
    carriesToken: false,
    commands: [["claude", "mcp", "get", plan.serverName]]
  }
]

/** @deprecated the first step is `ensureArgv` now; kept while the CLI moves. @internal */
export const addArgv = ensureArgv
