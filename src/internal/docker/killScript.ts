/**
 * The fixed `sh` script that kills, inside a container, every process one
 * `docker exec` started. docker has no exec timeout and no way to signal an
 * exec's process, and killing the docker client leaves the process running in
 * the container, so at a deadline or an interruption a second exec runs this.
 *
 * How it finds them: every exec carries `BOTTLE_SUPERVISE_EXEC=<id>` in its
 * environment and every descendant inherits it, and runc makes each exec's
 * first process a session leader, so the exec's processes are those whose
 * `/proc/PID/environ` holds the marker, plus every process in the session of
 * one of them (a child that cleared its environment, `env -i`, stays in the
 * session). Sessions 0 and 1 (outside the container's pid namespace, and the
 * container's init) are never taken.
 *
 * How it kills: SIGKILL, scanning again after every round until a scan finds
 * no live process (zombies are skipped: their parent, often a PID 1 that never
 * reaps, holds them). A scan that finds nothing at all is repeated for about
 * a second, in case the exec's process had not started yet when its client was
 * stopped. At most 30 rounds, 0.1 s apart.
 *
 * Only shell builtins read `/proc` (dash, bash and busybox `read` drop the NUL
 * separators of `environ`; the 32-hex id cannot straddle two variables by
 * accident), so the container needs `sh` and nothing else; `sleep` is used
 * when present. The id arrives as `$1`: nothing is interpolated.
 *
 * @internal
 */

/** @internal */
export const KILL_SCRIPT = `mark="BOTTLE_SUPERVISE_EXEC=$1"
me=$$
killed=0
seen=" "
round=0
empty=0
while [ "$round" -lt 30 ]; do
  round=$((round + 1))
  pids=" "
  sessions=" "
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$me" ] && continue
    env=
    { while IFS= read -r l || [ -n "$l" ]; do env="$env$l"; done; } 2>/dev/null <"$d/environ" || continue
    case "$env" in *"$mark"*) ;; *) continue ;; esac
    stat=
    { IFS= read -r stat; } 2>/dev/null <"$d/stat" || continue
    set -- \${stat##*) }
    [ "$1" = Z ] && continue
    pids="$pids$p "
    case "$4" in 0|1) ;; *) sessions="$sessions$4 " ;; esac
  done
  if [ "$sessions" != " " ]; then
    for d in /proc/[0-9]*; do
      p=\${d#/proc/}
      [ "$p" = "$me" ] && continue
      case "$pids" in *" $p "*) continue ;; esac
      stat=
      { IFS= read -r stat; } 2>/dev/null <"$d/stat" || continue
      set -- \${stat##*) }
      [ "$1" = Z ] && continue
      case "$sessions" in *" $4 "*) pids="$pids$p " ;; esac
    done
  fi
  if [ "$pids" = " " ]; then
    empty=$((empty + 1))
    [ "$killed" -gt 0 ] && break
    [ "$empty" -ge 10 ] && break
  else
    for p in $pids; do
      kill -KILL "$p" 2>/dev/null || continue
      case "$seen" in *" $p "*) ;; *) seen="$seen$p "; killed=$((killed + 1)) ;; esac
    done
  fi
  sleep 0.1 2>/dev/null || :
done
echo "killed $killed"
`

/**
 * How many processes the script reports it killed, or `undefined` when its
 * output is not the script's.
 *
 * @internal
 */
export const killedCount = (stdout: string): number | undefined => {
  const match = /^killed (\d+)$/m.exec(stdout)
  return match === null ? undefined : Number(match[1])
}
