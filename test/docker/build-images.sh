#!/usr/bin/env bash
# Builds the Docker test images with no registry: host files + `docker import`.
#
#   bottle-supervise-test:root   exec lands as root (no USER), like a bare VM: the library switches to `node`
#   bottle-supervise-test:node   the same filesystem with `USER node` and HOME=/home/node: exec lands as the agent
#   bottle-supervise-test:agents-root, :agents-node   the same two, one layer more: node and the other agents' CLIs
#
# The agents' layer (a separate pair, so the Claude images stay small): the host's node (the one on PATH) as
# /usr/local/bin/node with the libraries `ldd` lists for it, the packages the pinned Codex, Gemini CLI and Copilot
# CLI need (test/fixtures/agent-clis.mjs lists them: the CLIs, their native platform packages and dependencies)
# under /usr/local/lib/bottle-supervise-agents/node_modules, wrappers /usr/local/bin/codex, gemini and copilot, and
# the libraries of every native binary and addon among them and of the start-up addons Copilot CLI unpacks. Added with `docker cp` of a tar stream into a container
# of the base image and `docker commit`, so the base layer is shared.
#
# The filesystem: dash as /bin/sh, the coreutils a guest script uses, mawk (also as awk), grep, sed, procps
# (ps, kill, pgrep, pkill), runuser and su with PAM (pam_rootok + pam_permit), /etc/passwd and /etc/group with
# root and node (uid/gid 1001, home /home/node), /tmp 1777, and the pinned real Claude Code CLI at
# /usr/local/bin/claude, each binary with the libraries `ldd` lists for it. No bash, no node.
#
# Rebuilds only when the inputs changed: a hash of this script, the claude binary and every copied host file is
# the image label `bottle-supervise-test.inputs` of the base pair; the agents' pair carries a hash of that hash,
# agent-clis.mjs, the packages' names and versions (not their 700 MB of files), node and the libraries added. When
# every image carries its current hash, nothing is done; a new base rebuilds the agents' pair too.
#
# Talks to $DOCKER_HOST, else to the private engine of .ci/docker-engine.sh. Needs root (to own files as node).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCRIPT="test/docker/build-images.sh"
CLAUDE="node_modules/@anthropic-ai/claude-code/bin/claude.exe"
STATE_DIR=/var/tmp/bottle-supervise-docker
BUILD_DIR="$STATE_DIR/build"
LOCK="$STATE_DIR/build.lock"
REPO=bottle-supervise-test
LABEL_KEY=bottle-supervise-test.inputs
GUEST_PATH=/usr/local/bin:/usr/bin:/bin
: "${DOCKER_HOST:=unix:///run/bottle-supervise-docker/docker.sock}"
export DOCKER_HOST

say() { echo "build-images: $*" >&2; }
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ "$(id -u)" != 0 ]; then say "needs root (files owned by node in the image)"; exit 1; fi
if [ ! -x "$CLAUDE" ]; then say "$CLAUDE missing: run npm ci (and node node_modules/@anthropic-ai/claude-code/install.cjs)"; exit 1; fi
if ! timeout 10 docker info >/dev/null 2>&1; then say "no Docker engine answers at $DOCKER_HOST (bash .ci/docker-engine.sh start)"; exit 1; fi

mkdir -p "$STATE_DIR"
exec 9>"$LOCK"
flock -w 300 9 || { say "another build holds $LOCK"; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# Host files.
host_path() { PATH=/usr/bin:/bin:/usr/sbin:/sbin type -P "$1" || { say "host has no $1"; exit 1; }; }

COMMANDS=(
  dash
  # coreutils
  cat wc ls id env mkdir rmdir mv cp rm ln chmod chown chgrp stat sleep touch dirname basename head tail tr date
  printf echo pwd mktemp timeout readlink realpath true false test '[' sort cut tee uname whoami seq nohup
  # text tools, procps, user switching
  mawk grep sed ps kill pgrep pkill runuser su
)
BINARIES=()
for c in "${COMMANDS[@]}"; do
  p=$(host_path "$c")
  case "$p" in /*) BINARIES+=("$p") ;; *) say "$c is not a file on this host ($p)"; exit 1 ;; esac
done
PAM_DIR=/usr/lib/x86_64-linux-gnu/security
[ -d "$PAM_DIR" ] || PAM_DIR=$(dirname "$(find /usr/lib /lib -name pam_permit.so -print -quit 2>/dev/null)")
PAM_MODULES=("$PAM_DIR/pam_rootok.so" "$PAM_DIR/pam_permit.so")

# The libraries (and the dynamic loader) of every ELF file given.
libraries_of() {
  local f
  for f in "$@"; do
    # A static binary makes ldd fail: that must not end the loop (errexit and pipefail hold in this subshell).
    ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' || true
  done | sort -u
}
mapfile -t LIBS < <(libraries_of "${BINARIES[@]}" "${PAM_MODULES[@]}" "$CLAUDE")
OPTIONAL_FILES=()
[ -f /etc/ssl/certs/ca-certificates.crt ] && OPTIONAL_FILES+=(/etc/ssl/certs/ca-certificates.crt)
HOST_FILES=("${BINARIES[@]}" "${PAM_MODULES[@]}" "${LIBS[@]}" "${OPTIONAL_FILES[@]}")

# ---------------------------------------------------------------------------------------------------------------
# Up to date?
HASH=$( { sha256sum "$SCRIPT" "$CLAUDE"; sha256sum "${HOST_FILES[@]}"; } | sha256sum | cut -c1-32)

# The agents' layer: node, the packages, and the libraries of every ELF file among them (those the packages ship
# themselves, such as Codex's voice libraries, are already there).
AGENTS_JS=test/fixtures/agent-clis.mjs
AGENTS_DIR=/usr/local/lib/bottle-supervise-agents
NODE_BIN=$(readlink -f "$(PATH=/usr/local/bin:/usr/bin:/bin type -P node || true)")
[ -x "$NODE_BIN" ] || { say "host has no node"; exit 1; }
mapfile -t AGENT_PLAN < <(node "$AGENTS_JS" plan)
[ "${#AGENT_PLAN[@]}" -gt 1 ] || { say "node $AGENTS_JS plan printed no packages"; exit 1; }
AGENT_PACKAGES=("${AGENT_PLAN[@]:1}")
elf_files() {
  local d
  for d in "${AGENT_PACKAGES[@]}"; do find "node_modules/$d/" -type f \( -name '*.node' -o -perm -u+x \); done |
    while IFS= read -r f; do [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"; done
}
mapfile -t AGENT_ELF < <(elf_files)
# Copilot CLI unpacks its own native addons into ~/.cache on its first run (in a guest: the agent's home), and
# its start-up ones (prebuilds/: runtime.node wants libutil) must find their libraries: unpacked here once per
# version of the packages to list them. Addons it loads only for other features (webview, local models) are not.
mkdir -p "$STATE_DIR"
COPILOT_UNPACKED="$STATE_DIR/copilot-unpacked-${AGENT_PLAN[0]}"
if [ ! -d "$COPILOT_UNPACKED/.cache/copilot/pkg" ]; then
  rm -rf "$COPILOT_UNPACKED.tmp" "$STATE_DIR"/copilot-unpacked-*
  mkdir -p "$COPILOT_UNPACKED.tmp"
  HOME="$COPILOT_UNPACKED.tmp" timeout 120 node_modules/.bin/copilot --version >/dev/null ||
    { say "copilot --version failed: cannot list the addons it unpacks"; exit 1; }
  mv "$COPILOT_UNPACKED.tmp" "$COPILOT_UNPACKED"
fi
mapfile -t COPILOT_ADDONS < <(find "$COPILOT_UNPACKED/.cache/copilot/pkg" -path '*/prebuilds/*' -name '*.node' | sort)
[ "${#COPILOT_ADDONS[@]}" -gt 0 ] || { say "no addons in $COPILOT_UNPACKED: copilot unpacks elsewhere now?"; exit 1; }
mapfile -t AGENT_LIBS < <(libraries_of "$NODE_BIN" "${AGENT_ELF[@]}" "${COPILOT_ADDONS[@]}" |
  grep -v -e "^$PWD/" -e "^$COPILOT_UNPACKED/" | sort -u)
AGENTS_HASH=$( { echo "$HASH"; printf '%s\n' "${AGENT_PLAN[@]}"; sha256sum "$AGENTS_JS" "$NODE_BIN" "${AGENT_LIBS[@]}"; } |
  sha256sum | cut -c1-32)

label_of() { docker image inspect -f "{{index .Config.Labels \"$LABEL_KEY\"}}" "$1" 2>/dev/null || true; }
base_ok=false
agents_ok=false
[ "$(label_of "$REPO:root")" = "$HASH" ] && [ "$(label_of "$REPO:node")" = "$HASH" ] && base_ok=true
[ "$(label_of "$REPO:agents-root")" = "$AGENTS_HASH" ] && [ "$(label_of "$REPO:agents-node")" = "$AGENTS_HASH" ] &&
  agents_ok=true
if $base_ok && $agents_ok; then
  say "$REPO:root, :node, :agents-root and :agents-node are up to date (inputs $HASH, $AGENTS_HASH), checked in $(elapsed) s"
  exit 0
fi

# The images just built, removed when a check fails (they carry the inputs' hash: they would pass as up to date);
# the child (USER node) first, so its parent goes too.
CHECKING=()
unbuild() {
  docker image rm -f "${CHECKING[@]}" >/dev/null 2>&1 || true
  exit 1
}
check() {
  local want="$1"; shift
  local got
  if ! got=$(timeout 60 docker run --rm --network host "$@" 2>&1); then
    say "FAILED: docker run $*: $got"
    unbuild
  fi
  case "$got" in
    *"$want"*) ;;
    *) say "FAILED: docker run $*: expected '$want', got: $got"; unbuild ;;
  esac
}

build_base() {
say "building $REPO:root and $REPO:node (inputs $HASH)"
OLD_IDS=$(docker image inspect -f '{{.Id}}' "$REPO:root" "$REPO:node" 2>/dev/null | sort -u || true)
BASE_OLD_IDS=$OLD_IDS

# ---------------------------------------------------------------------------------------------------------------
# The root filesystem, merged-/usr like Debian's.
ROOT="$BUILD_DIR/rootfs"
rm -rf "$BUILD_DIR"
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc/pam.d,root,home/node,tmp,var/tmp,run,proc,sys,dev}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"

# Copies host file $1 to the same path in the image (through the merged-/usr links), dereferencing links.
put() {
  local dest="$ROOT$1"
  mkdir -p "$(dirname "$dest")"
  cp -L --preserve=mode "$1" "$dest"
}
for f in "${BINARIES[@]}" "${PAM_MODULES[@]}" "${LIBS[@]}" "${OPTIONAL_FILES[@]}"; do put "$f"; done
ln -sf dash "$ROOT/usr/bin/sh"
ln -sf mawk "$ROOT/usr/bin/awk"
# runuser lives in /usr/sbin; the guest PATH has no sbin, so it is reachable by name through /usr/bin too.
[ -e "$ROOT/usr/bin/runuser" ] || ln -s ../sbin/runuser "$ROOT/usr/bin/runuser"

# The claude binary: a hard link when it can be one without changing the host file, else a copy.
if [ "$(stat -c '%u:%g:%a' "$CLAUDE")" = "0:0:755" ] && ln "$CLAUDE" "$ROOT/usr/local/bin/claude" 2>/dev/null; then
  :
else
  cp "$CLAUDE" "$ROOT/usr/local/bin/claude"
  chown 0:0 "$ROOT/usr/local/bin/claude"
  chmod 0755 "$ROOT/usr/local/bin/claude"
fi

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
node:x:1001:1001::/home/node:/bin/sh
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
node:x:1001:
EOF
cat >"$ROOT/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
node:*:19000:0:99999:7:::
EOF
chmod 0640 "$ROOT/etc/shadow"
printf '/bin/sh\n/usr/bin/sh\n/bin/dash\n/usr/bin/dash\n' >"$ROOT/etc/shells"
cat >"$ROOT/etc/nsswitch.conf" <<'EOF'
passwd:   files
group:    files
shadow:   files
hosts:    files dns
networks: files
EOF
# PAM just enough for root to switch user (runuser, su); anyone else is refused.
for svc in runuser runuser-l su su-l other; do
  cat >"$ROOT/etc/pam.d/$svc" <<'EOF'
auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_permit.so
EOF
done
# su and runuser give the target user this PATH.
printf 'ENV_PATH PATH=%s\nENV_SUPATH PATH=%s\n' "$GUEST_PATH" "$GUEST_PATH" >"$ROOT/etc/login.defs"

chmod 0755 "$ROOT"
chmod 0700 "$ROOT/root"
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
chown 1001:1001 "$ROOT/home/node"
chmod 0755 "$ROOT/home/node"

# ---------------------------------------------------------------------------------------------------------------
# Import, then the agent image on top of it.
t_import=$(date +%s.%N)
ROOT_ID=$(tar -C "$ROOT" --numeric-owner --sort=name -cf - . |
  docker import \
    -c "ENV PATH=$GUEST_PATH" \
    -c 'CMD ["sleep", "infinity"]' \
    -c "LABEL $LABEL_KEY=$HASH" \
    -m "bottle-supervise test image (exec lands as root)" \
    - "$REPO:root")
say "imported $REPO:root ($ROOT_ID) in $(awk -v a="$t_import" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
rm -rf "$BUILD_DIR"

tmp="bs-build-$$"
docker create --name "$tmp" "$REPO:root" >/dev/null
trap 'docker rm -f "$tmp" >/dev/null 2>&1 || true' EXIT
docker commit \
  -c 'USER node' \
  -c 'ENV HOME=/home/node' \
  -c "LABEL $LABEL_KEY=$HASH" \
  -m "bottle-supervise test image (exec lands as node)" \
  "$tmp" "$REPO:node" >/dev/null
docker rm -f "$tmp" >/dev/null
trap - EXIT

# ---------------------------------------------------------------------------------------------------------------
# Check what the tests rely on.
CHECKING=("$REPO:node" "$REPO:root")
check "2.1." "$REPO:root" claude --version
check "2.1." "$REPO:node" claude --version
check "node" "$REPO:root" runuser -u node -- id -un
check "2.1." "$REPO:root" runuser -u node -- claude --version
check "node" "$REPO:root" su -s /bin/sh -c 'id -un' node
check "node 1001 /home/node" "$REPO:node" sh -c 'echo "$(id -un) $(id -u) $HOME"'

# Drop the images these replaced (kept when a container still uses them).
for id in $OLD_IDS $OLD_IDS; do
  case "$id" in "$ROOT_ID" | "$(docker image inspect -f '{{.Id}}' "$REPO:node")") continue ;; esac
  docker image rm "$id" >/dev/null 2>&1 || true
done

say "built $REPO:root and $REPO:node in $(elapsed) s ($(docker image inspect -f '{{.Size}}' "$REPO:root" | awk '{ printf "%d MB", $1 / 1e6 }'))"
}

build_agents() {
  local t_agents stage tmp id
  t_agents=$(date +%s.%N)
  say "building $REPO:agents-root and $REPO:agents-node (inputs $AGENTS_HASH)"
  OLD_IDS=$(docker image inspect -f '{{.Id}}' "$REPO:agents-root" "$REPO:agents-node" 2>/dev/null | sort -u || true)
  stage="$BUILD_DIR/agents"
  rm -rf "$BUILD_DIR"
  mkdir -p "$stage/usr/local/bin" "$stage$AGENTS_DIR/node_modules"
  # Hard links into node_modules where they can be (same file system; tar reads through them), else copies.
  local d
  for d in "${AGENT_PACKAGES[@]}"; do
    mkdir -p "$(dirname "$stage$AGENTS_DIR/node_modules/$d")"
    cp -al "node_modules/$d" "$stage$AGENTS_DIR/node_modules/$d" 2>/dev/null ||
      cp -a "node_modules/$d" "$stage$AGENTS_DIR/node_modules/$d"
  done
  cp "$NODE_BIN" "$stage/usr/local/bin/node"
  chmod 0755 "$stage/usr/local/bin/node"
  node "$AGENTS_JS" wrappers "$stage/usr/local/bin" /usr/local/bin/node "$AGENTS_DIR/node_modules"
  # Libraries the base image lacks, under /usr (the image's /lib and /lib64 are links into it).
  local lib in_base
  for lib in "${AGENT_LIBS[@]}"; do
    in_base=false
    for f in "${LIBS[@]}"; do [ "$f" = "$lib" ] && in_base=true && break; done
    $in_base && continue
    case "$lib" in /usr/*) dest="$stage$lib" ;; *) dest="$stage/usr$lib" ;; esac
    mkdir -p "$(dirname "$dest")"
    cp -L --preserve=mode "$lib" "$dest"
  done

  tmp="bs-build-agents-$$"
  docker create --name "$tmp" "$REPO:root" >/dev/null
  trap 'docker rm -f "$tmp" >/dev/null 2>&1 || true' EXIT
  local t_copy
  t_copy=$(date +%s.%N)
  tar -C "$stage" --numeric-owner --owner=0 --group=0 --sort=name -cf - usr | docker cp - "$tmp:/"
  say "copied the agents' layer into $tmp in $(awk -v a="$t_copy" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  rm -rf "$BUILD_DIR"
  docker commit \
    -c "LABEL $LABEL_KEY=$AGENTS_HASH" \
    -m "bottle-supervise test image with node, codex, gemini and copilot (exec lands as root)" \
    "$tmp" "$REPO:agents-root" >/dev/null
  docker rm -f "$tmp" >/dev/null
  docker create --name "$tmp" "$REPO:agents-root" >/dev/null
  docker commit \
    -c 'USER node' \
    -c 'ENV HOME=/home/node' \
    -c "LABEL $LABEL_KEY=$AGENTS_HASH" \
    -m "bottle-supervise test image with node, codex, gemini and copilot (exec lands as node)" \
    "$tmp" "$REPO:agents-node" >/dev/null
  docker rm -f "$tmp" >/dev/null
  trap - EXIT

  CHECKING=("$REPO:agents-node" "$REPO:agents-root")
  check "v" "$REPO:agents-node" node --version
  check "codex-cli " "$REPO:agents-node" codex --version
  check "." "$REPO:agents-node" gemini --version
  check "GitHub Copilot CLI" "$REPO:agents-node" copilot --version
  check "codex-cli " "$REPO:agents-root" runuser -u node -- codex --version
  check "GitHub Copilot CLI" "$REPO:agents-root" runuser -u node -- copilot --version
  # Past the version: this loads the addons it unpacks on a first run.
  check "No MCP servers configured" "$REPO:agents-node" copilot mcp list

  # The base images a rebuild replaced could not go while the old agents' images stood on them: now they can.
  for id in $OLD_IDS ${BASE_OLD_IDS:-}; do
    case "$id" in "$(docker image inspect -f '{{.Id}}' "$REPO:root")" | "$(docker image inspect -f '{{.Id}}' "$REPO:node")") continue ;; esac
    case "$id" in "$(docker image inspect -f '{{.Id}}' "$REPO:agents-root")" | "$(docker image inspect -f '{{.Id}}' "$REPO:agents-node")") continue ;; esac
    docker image rm "$id" >/dev/null 2>&1 || true
  done
  say "built $REPO:agents-root and $REPO:agents-node in $(awk -v a="$t_agents" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s ($(docker image inspect -f '{{.Size}}' "$REPO:agents-root" | awk '{ printf "%d MB", $1 / 1e6 }'))"
}

$base_ok || build_base
build_agents
say "done in $(elapsed) s"
