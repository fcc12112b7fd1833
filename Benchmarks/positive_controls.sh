#!/bin/sh
# Positive controls for the detectors (docs/RESULTS.md, "Detectors: positive controls"): one 10-client
# Fashion-MNIST federation per (attack, seed) with client-3 attacking, detectors at their defaults, FedAvg,
# and only the cosine evaluator (attribution is not what is measured here). Then a table of flag rates.
#   Benchmarks/positive_controls.sh [OUT_DIR] [ROUNDS] [SEEDS] [TRAIN_LIMIT]
set -eu
out=${1:-controls}
rounds=${2:-10}
seeds=${3:-"1 2"}
limit=${4:-20000}
bin=${FEDATTR:-.build/release/fedattr}
for seed in $seeds; do
  for attack in none "scale(k=5)" "sign-flip" "noise-update(scale=1)" "free-rider(mode=zero)" "free-rider(mode=stale)"; do
    name=$(echo "$attack" | tr -c 'a-z0-9-\n' '_')
    dir="$out/$name-seed$seed"
    [ -f "$dir/summary.json" ] && continue
    set -- --clients 10 --rounds "$rounds" --train-limit "$limit" --seed "$seed" --partition-seed "$seed" \
      --evaluators cosine --out "$dir" --log-file "$dir.log"
    if [ "$attack" != none ]; then set -- "$@" --attacker client-3 --attack "$attack"; fi
    mkdir -p "$dir"
    "$bin" simulate "$@" > /dev/null
  done
done
python3 "$(dirname "$0")/flag_rates.py" "$out"
