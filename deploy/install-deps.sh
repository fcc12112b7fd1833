#!/usr/bin/env bash
# Installs every system package fedattr needs to build, test and run (Debian 12).
# Idempotent: does nothing when all packages are already present.
set -euo pipefail
packages=(libnng-dev nng-utils libopenblas-dev libssl-dev openssl zlib1g-dev dataset-fashion-mnist python3 python3-numpy pkg-config chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
