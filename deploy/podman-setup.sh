#!/usr/bin/env bash
# Prepares this Debian 12 machine to run the compose file without Docker: rootful podman with runc,
# a bookworm base image made locally with debootstrap (no registry is reachable), and the podman API
# socket that docker-compose 1.29 talks to. Idempotent: each step checks what exists first.
# Prints the DOCKER_HOST to use on its last line.
set -euo pipefail
SOCK=${FEDATTR_PODMAN_SOCK:-/run/podman/podman.sock}
BASE=${FEDATTR_BASE_IMAGE:-localhost/bookworm-min}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log() { echo "podman-setup: $*" >&2; }

# dnsname: containers reach each other by service name on the CNI network (podman 4.3 on Debian 12 uses CNI).
packages=(podman runc docker-compose debootstrap golang-github-containernetworking-plugin-dnsname)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# crun (podman's default) fails on this machine kind's rlimits and hybrid cgroups; runc works.
conf=/etc/containers/containers.conf
if ! grep -q 'runtime = "runc"' "$conf" 2>/dev/null; then
  log "writing $conf"
  $SUDO mkdir -p /etc/containers
  $SUDO tee "$conf" >/dev/null <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
fi

if ! $SUDO podman image exists "$BASE"; then
  mirror=$(grep -h -o -E 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | head -n1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /tmp/fedattr-rootfs.XXXXXX)
  log "debootstrap bookworm from $mirror into $rootfs"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  log "importing $BASE"
  $SUDO tar -C "$rootfs" -c . | $SUDO podman import - "$BASE" >/dev/null
  $SUDO rm -rf "$rootfs"
fi

if ! curl -s --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK; then
  log "starting podman system service on $SOCK"
  $SUDO mkdir -p "$(dirname "$SOCK")"
  $SUDO rm -f "$SOCK"
  setsid $SUDO podman system service --time=0 "unix://$SOCK" >/tmp/fedattr-podman-service.log 2>&1 < /dev/null &
  echo $! > /tmp/fedattr-podman-service.pid
  for _ in $(seq 1 100); do
    curl -s --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK && break
    sleep 0.2
  done
  curl -s --unix-socket "$SOCK" http://d/_ping | grep -q OK || { log "podman service did not start"; exit 1; }
fi
echo "unix://$SOCK"
