#!/usr/bin/env bash
# Turns a `fedattr pki init` directory into the Kubernetes Secrets deploy/k8s/*.yaml mount, written to stdout:
#   fedattr-coordinator  ca.crt + coordinator.{crt,key,pem}
#   fedattr-clients      ca.crt + client-i.{crt,key,pem} for every honest client
#   fedattr-attacker     ca.crt + the attacker's client-N.{crt,key,pem} only
# The CA's private key is never put in a Secret.
#
#   fedattr pki init --dir pki --clients 5 --host coordinator --host coordinator.NAMESPACE.svc.cluster.local
#   deploy/k8s/make-secrets.sh pki client-4 | kubectl apply -f -
set -euo pipefail
usage() { echo "usage: $0 PKI_DIR [ATTACKER_ID]   (ATTACKER_ID: the client the attacker StatefulSet runs as, default client-4)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
dir=$1
attacker=${2:-client-4}
[ -f "$dir/ca.crt" ] && [ -f "$dir/coordinator.pem" ] || { echo "$dir is not a fedattr PKI directory (no ca.crt / coordinator.pem)" >&2; exit 1; }
[ -f "$dir/$attacker.pem" ] || { echo "$dir has no certificate for the attacker $attacker" >&2; exit 1; }

secret() {  # secret NAME FILE...
  local name=$1; shift
  printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  labels: {app.kubernetes.io/name: fedattr}\ntype: Opaque\ndata:\n' "$name"
  for f in "$@"; do
    printf '  %s: %s\n' "$(basename "$f")" "$(base64 -w0 <"$f")"
  done
}

secret fedattr-coordinator "$dir/ca.crt" "$dir"/coordinator.crt "$dir"/coordinator.key "$dir"/coordinator.pem
clients=()
for crt in "$dir"/client-*.crt; do
  name=$(basename "$crt" .crt)
  [ "$name" = "$attacker" ] && continue
  clients+=("$dir/$name.crt" "$dir/$name.key" "$dir/$name.pem")
done
[ ${#clients[@]} -gt 0 ] || { echo "$dir has no honest client certificates" >&2; exit 1; }
secret fedattr-clients "$dir/ca.crt" "${clients[@]}"
secret fedattr-attacker "$dir/ca.crt" "$dir/$attacker.crt" "$dir/$attacker.key" "$dir/$attacker.pem"
