#!/usr/bin/env bash
# Installs every system package fedattr needs to build, test and run (Debian 12).
# Idempotent: does nothing when all packages are already present.
set -euo pipefail
packages=(libnng-dev nng-utils libopenblas-dev libssl-dev openssl zlib1g-dev dataset-fashion-mnist python3 python3-pip python3-numpy pkg-config chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Python client of tools/wire_reference.py (and its test) needs numpy, pynng and cryptography from PyPI,
# installed for whichever python3 is first on PATH.
requirements="$(dirname "$0")/../tools/requirements.txt"
if ! python3 -c "import numpy, pynng, cryptography" >/dev/null 2>&1; then
  echo "install-deps: pip installing $(tr '\n' ' ' < "$requirements")" >&2
  python3 -m pip install -q -r "$requirements" 2>/dev/null \
    || python3 -m pip install -q --break-system-packages -r "$requirements"
fi
