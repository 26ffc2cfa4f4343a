#!/usr/bin/env bash
# A private Docker engine for the test suite: `start`, `stop` or `status`.
#
#   bash .ci/docker-engine.sh start    # starts (or reuses) it; prints `export DOCKER_HOST=...` on stdout
#   bash .ci/docker-engine.sh status   # exit 0 when it answers, 1 otherwise
#   bash .ci/docker-engine.sh stop     # removes test containers, stops it; never fails when nothing runs
#
# Fixed places (tests find the socket without any environment):
#   socket     /run/bottle-supervise-docker/docker.sock    (DOCKER_HOST=unix:///run/bottle-supervise-docker/docker.sock)
#   pidfile    /run/bottle-supervise-docker/dockerd.pid
#   exec-root  /run/bottle-supervise-docker/exec
#   data-root  /var/tmp/bottle-supervise-docker/data       (kept across runs: built images stay cached)
#   log        /var/tmp/bottle-supervise-docker/dockerd.log
#
# Storage: overlay2 when overlayfs mounts on the data-root's filesystem, else vfs (slower: a full copy per container).
# BOTTLE_SUPERVISE_DOCKER_STORAGE_DRIVER=vfs forces vfs (to test the fallback).
#
# The engine has no registry, no iptables and no default bridge: test containers run with `--network host`.
# Needs root. Everything is printed on stderr except the export line of `start`.
set -euo pipefail

RUN_DIR=/run/bottle-supervise-docker
STATE_DIR=/var/tmp/bottle-supervise-docker
SOCK="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/dockerd.pid"
EXEC_ROOT="$RUN_DIR/exec"
DATA_ROOT="$STATE_DIR/data"
LOG="$STATE_DIR/dockerd.log"
LOCK="$STATE_DIR/engine.lock"
DAEMON_JSON="$STATE_DIR/daemon.json"
START_TIMEOUT=30
STOP_TIMEOUT=20
TEST_LABEL=bottle-supervise-test=1

export DOCKER_HOST="unix://$SOCK"

say() { echo "docker-engine: $*" >&2; }

# The pid in the pidfile when it is a live dockerd, else nothing.
engine_pid() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    echo "$pid"
  fi
}

answers() {
  [ -S "$SOCK" ] && timeout 5 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

# Whether overlayfs can be mounted with its upper layer on the data-root's filesystem.
overlay_works() {
  local t="$STATE_DIR/overlay-probe"
  rm -rf "$t"
  mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
  echo probe >"$t/lower/f"
  local ok=1
  if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
    if [ "$(cat "$t/merged/f" 2>/dev/null)" = probe ] && echo x >"$t/merged/g" 2>/dev/null; then ok=0; fi
    umount "$t/merged" 2>/dev/null || umount -l "$t/merged" 2>/dev/null || true
  fi
  rm -rf "$t"
  return $ok
}

ensure_installed() {
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
  say "dockerd or docker missing: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting the system engine (with iptables, on /var/run/docker.sock): only ours runs.
  local policy=/usr/sbin/policy-rc.d added=false rc=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && added=true; fi
  apt-get install -y -qq --no-install-recommends docker.io >&2 ||
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends docker.io >&2; } || rc=$?
  if $added; then rm -f "$policy"; fi
  return $rc
}

# Stops a containerd that a killed dockerd left behind (dockerd stops its own on TERM).
stop_orphan_containerd() {
  local f="$EXEC_ROOT/containerd/containerd.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = containerd ]; then
    say "stopping containerd $pid left by a killed dockerd"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_start() {
  if [ "$(id -u)" != 0 ]; then say "needs root"; exit 1; fi
  mkdir -p "$RUN_DIR" "$STATE_DIR"
  exec 9>"$LOCK"
  flock -w 120 9 || { say "another start/stop holds $LOCK"; exit 1; }

  local pid
  pid=$(engine_pid)
  if [ -n "$pid" ]; then
    # Started by this script earlier: reuse it once it answers (it may be starting right now).
    for _ in $(seq 1 $((START_TIMEOUT * 10))); do
      if answers; then
        say "reusing engine pid $pid at $SOCK"
        echo "export DOCKER_HOST=$DOCKER_HOST"
        return 0
      fi
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    say "engine pid $pid does not answer: restarting it"
    stop_engine_locked
  fi

  ensure_installed
  stop_orphan_containerd
  rm -f "$SOCK" "$PIDFILE"
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  # Our own (empty) config, so a host /etc/docker/daemon.json cannot conflict with these flags.
  [ -f "$DAEMON_JSON" ] || echo '{}' >"$DAEMON_JSON"

  local driver="${BOTTLE_SUPERVISE_DOCKER_STORAGE_DRIVER:-overlay2}"
  if [ "$driver" = overlay2 ] && ! overlay_works; then
    driver=vfs
    say "overlayfs does not mount on $(df -P "$STATE_DIR" | awk 'NR==2{print $1}'): using the vfs storage driver (slower, more disk)"
  fi

  say "starting dockerd ($driver) at $SOCK, log $LOG"
  if [ -f "$LOG" ] && [ "$(stat -c %s "$LOG")" -gt 10000000 ]; then mv -f "$LOG" "$LOG.1"; fi
  echo "----- $(date -u +%FT%TZ) start ($driver)" >>"$LOG"
  setsid dockerd \
    --config-file "$DAEMON_JSON" \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver="$driver" \
    --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
    -H "unix://$SOCK" --pidfile "$PIDFILE" \
    --shutdown-timeout 5 \
    </dev/null >>"$LOG" 2>&1 9>&- &
  local child=$!
  disown "$child" 2>/dev/null || true

  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    if answers; then
      say "engine pid $child answers: $(docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null)"
      echo "export DOCKER_HOST=$DOCKER_HOST"
      return 0
    fi
    if ! [ -d "/proc/$child" ]; then
      say "dockerd exited during start; last lines of $LOG:"
      tail -n 20 "$LOG" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  say "dockerd did not answer within ${START_TIMEOUT}s; last lines of $LOG:"
  tail -n 20 "$LOG" >&2 || true
  kill -KILL "$child" 2>/dev/null || true
  stop_orphan_containerd
  exit 1
}

# Stops the engine; the caller holds the lock.
stop_engine_locked() {
  local pid
  pid=$(engine_pid)
  if [ -z "$pid" ]; then
    stop_orphan_containerd
    rm -f "$PIDFILE"
    return 0
  fi
  if answers; then
    local ids
    ids=$(timeout 10 docker ps -aq --filter "label=$TEST_LABEL" 2>/dev/null || true)
    if [ -n "$ids" ]; then
      say "removing $(echo "$ids" | wc -l) test container(s)"
      # shellcheck disable=SC2086
      timeout 30 docker rm -f $ids >/dev/null 2>&1 || say "could not remove every test container"
    fi
  fi
  say "stopping engine pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "engine pid $pid still running after ${STOP_TIMEOUT}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  stop_orphan_containerd
  rm -f "$PIDFILE" "$SOCK"
}

cmd_stop() {
  [ -d "$STATE_DIR" ] || return 0
  exec 9>"$LOCK"
  flock -w 120 9 || { say "another start/stop holds $LOCK"; exit 1; }
  stop_engine_locked
}

cmd_status() {
  local pid
  pid=$(engine_pid)
  if [ -n "$pid" ] && answers; then
    say "engine pid $pid answers at $SOCK"
    echo "export DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  say "no engine answers at $SOCK"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
