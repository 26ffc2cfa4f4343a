#!/bin/sh
# A fast stand-in for `smolvm machine exec`, used by `npm run bench` and the CLI
# tests. It parses smolvm's command line as smolvm 1.9 does (flags before `--`,
# usage error exit 2 otherwise) and answers like a guest with Claude Code:
#
#   claude mcp add     exit 0 and stores the entry the first time; exit 1
#                      "MCP server NAME already exists in user config" after
#   ensure             (the library's first step) adds the entry when the
#                      config has none (stderr "bottle-supervise: step add"),
#                      else prints the config with the plan's Authorization
#                      value as the guest's placeholder and any other one as
#                      [REDACTED] (stderr "bottle-supervise: step read")
#   the config read    prints the stored config (exit 1 when there is none)
#   remove + add       (the library's replace script) stores the new entry
#                      (stderr "bottle-supervise: step replace")
#   claude mcp get     "Status: ✔ Connected" (or refused, see below) with the
#                      stored headers in clear, as the real CLI prints them;
#                      exit 1 "No MCP server named ..." when there is none
#
# The bearer token reaches it the way it reaches smolvm: `--secret-env
# GUEST=HOSTVAR` names a variable of this process's environment; the token is
# the one for BOTTLE_SUPERVISE_TOKEN (or the first secret when none is).
#
# Environment:
#   STUB_SMOLVM_STATE   directory with one config file per machine (required)
#   STUB_SMOLVM_LOG     if set, a directory: each call writes <pid>.argv (its
#                       argv, NUL-separated) and <pid>.env (HOSTVAR=value for
#                       every --secret-env)
#   STUB_SMOLVM_EXIT    if set, answer every exec with this exit code and
#                       STUB_SMOLVM_STDOUT / STUB_SMOLVM_STDERR, emulating nothing
#   STUB_SMOLVM_GET     "refused" makes `claude mcp get` report a failed connection
#   STUB_SMOLVM_SLEEP   if set, seconds to sleep before answering (a guest's round trip)
#
# One server name per machine; everything else about the guest is ignored.
# Only shell builtins on the hot path: no process is forked per call.

if [ -n "${STUB_SMOLVM_LOG-}" ]; then
  printf '%s\0' "$@" >"$STUB_SMOLVM_LOG/$$.argv"
  : >"$STUB_SMOLVM_LOG/$$.env"
fi

usage() {
  printf 'error: %s\n\nUsage: smolvm machine exec [OPTIONS] -- <COMMAND>...\n' "$1" >&2
  exit 2
}

[ "${1-}" = machine ] && [ "${2-}" = exec ] || usage "unrecognized subcommand '${1-} ${2-}'"
shift 2

name=default
secret=
while [ $# -gt 0 ]; do
  case "$1" in
    --name) [ $# -ge 2 ] || usage "a value is required for '--name <NAME>'"; name=$2; shift 2 ;;
    -e | -w | --timeout) [ $# -ge 2 ] || usage "a value is required for '$1'"; shift 2 ;;
    --secret-env)
      [ $# -ge 2 ] || usage "a value is required for '--secret-env'"
      host=${2#*=}
      case "$host" in "" | *[!A-Za-z0-9_]*) usage "invalid --secret-env '$2'" ;; esac
      eval "value=\${$host-}"
      case "$2" in BOTTLE_SUPERVISE_TOKEN=*) secret=$value; token_named=1 ;; *) [ -n "${token_named-}" ] || [ -n "$secret" ] || secret=$value ;; esac
      [ -n "${STUB_SMOLVM_LOG-}" ] && printf '%s=%s\n' "$host" "$value" >>"$STUB_SMOLVM_LOG/$$.env"
      shift 2
      ;;
    --) shift; break ;;
    *) usage "unexpected argument '$1' found" ;;
  esac
done
[ $# -gt 0 ] || usage "the following required arguments were not provided: <COMMAND>..."
# A guest's round trip, for the bench's realistic-latency fleet (forks `sleep`).
[ -n "${STUB_SMOLVM_SLEEP-}" ] && sleep "$STUB_SMOLVM_SLEEP"

if [ -n "${STUB_SMOLVM_EXIT-}" ]; then
  [ -n "${STUB_SMOLVM_STDOUT-}" ] && printf '%s\n' "$STUB_SMOLVM_STDOUT"
  [ -n "${STUB_SMOLVM_STDERR-}" ] && printf '%s\n' "$STUB_SMOLVM_STDERR" >&2
  exit "$STUB_SMOLVM_EXIT"
fi

state=${STUB_SMOLVM_STATE:?STUB_SMOLVM_STATE must name a directory}/$name.json

mode=other
for a in "$@"; do
  if [ "$mode" = ensure ]; then
    # The script's own arguments: $0, then name, URL and read limit.
    case "${seen-}" in
      "") seen=0 ;;
      0) sname=$a; seen=1 ;;
      1) surl=$a; seen=2 ;;
    esac
    continue
  fi
  case "$a" in
    *"claude mcp remove"*) mode=replace; break ;;
    *"bottle-supervise: step read"*"claude mcp add"* | *"claude mcp add"*"bottle-supervise: step read"*) mode=ensure ;;
    *"claude mcp add"*) mode=add; break ;;
    *"claude mcp get"*) mode=get; break ;;
    *'exec cat -- "$3"'*) mode=cat; break ;;
  esac
done
eval "last=\${$#}"
[ $# -ge 2 ] && eval "prev=\${$(($# - 1))}"

# JSON string escaping of $1 into $out, with builtins only.
escape() {
  s=$1
  out=
  while :; do
    case "$s" in
      *[\"\\]*)
        pre=${s%%[\"\\]*}
        rest=${s#"$pre"}
        c=${rest%"${rest#?}"}
        out="$out$pre\\$c"
        s=${rest#?}
        ;;
      *) out="$out$s"; break ;;
    esac
  done
}

store() { # $1 server name, $2 url
  escape "$1"; n=$out
  escape "$2"; u=$out
  if [ -n "$secret" ]; then
    escape "$secret"
    printf '{"mcpServers":{"%s":{"type":"http","url":"%s","headers":{"Authorization":"Bearer %s"}}}}\n' "$n" "$u" "$out" >"$state"
  else
    printf '{"mcpServers":{"%s":{"type":"http","url":"%s"}}}\n' "$n" "$u" >"$state"
  fi
  printf 'Added HTTP MCP server %s with URL: %s to user config\n' "$1" "$2"
}

case "$mode" in
  add)
    if [ -f "$state" ]; then
      printf 'MCP server %s already exists in user config\n' "$prev" >&2
      exit 1
    fi
    store "$prev" "$last"
    ;;
  ensure)
    present=
    if [ -f "$state" ]; then
      IFS= read -r line <"$state"
      escape "$sname"
      case "$line" in *"\"$out\":"*) present=1 ;; esac
    fi
    if [ -z "$present" ]; then
      printf 'bottle-supervise: step add\n' >&2
      store "$sname" "$surl"
      exit 0
    fi
    printf 'bottle-supervise: step read\n' >&2
    escape "$secret"
    ours="\"Authorization\":\"Bearer $out\""
    case "$line" in
      *'"Authorization":"'*)
        if [ -n "$secret" ] && case "$line" in *"$ours"*) true ;; *) false ;; esac; then
          line="${line%%"$ours"*}\"Authorization\":\"Bearer <the planned token>\"${line#*"$ours"}"
        else
          rest=${line#*\"Authorization\":\"}
          line="${line%%\"Authorization\":\"*}\"Authorization\":\"[REDACTED]\"${rest#*\"}"
        fi
        ;;
    esac
    printf '%s\n' "$line"
    ;;
  replace)
    printf 'bottle-supervise: step replace\n' >&2
    store "$prev" "$last"
    ;;
  cat)
    if [ ! -f "$state" ]; then
      printf 'cat: %s: No such file or directory\n' "$last" >&2
      exit 1
    fi
    IFS= read -r line <"$state"
    printf '%s\n' "$line"
    ;;
  get)
    if [ ! -f "$state" ]; then
      printf 'No MCP server named "%s" found in any scope. Configured servers: none\n' "$last" >&2
      exit 1
    fi
    IFS= read -r line <"$state"
    url=${line#*\"url\":\"}
    url=${url%%\"*}
    printf '%s:\n  Scope: User config (available in all your projects)\n' "$last"
    if [ "${STUB_SMOLVM_GET-}" = refused ]; then
      printf '  Status: ✘ Failed to connect\n  Issue: ECONNREFUSED: Unable to connect. Is the computer able to access the url?\n'
    else
      printf '  Status: ✔ Connected\n'
    fi
    printf '  Type: http\n  URL: %s\n' "$url"
    case "$line" in
      *Authorization*)
        auth=${line#*\"Authorization\":\"}
        printf '  Headers:\n    Authorization: %s\n' "${auth%%\"*}"
        ;;
    esac
    printf '\nTo remove this server, run: claude mcp remove %s -s user\n' "$last"
    ;;
  *)
    printf 'Error: agent operation failed: vm exec: failed to spawn command: No such file or directory (os error 2)\n' >&2
    exit 1
    ;;
esac
