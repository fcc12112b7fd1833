#!/bin/sh
# Paired attack runs for docs/RESULTS.md: for each seed, an honest run and one run per condition with client-2
# attacking, all with `fedattr simulate` (same seed for model, shuffling and partition). Results: DIR/seed-S/COND/.
# Usage: tools/attack_runs.sh DIR "1 2 3 4 5" "honest af-public af-local random-latents duplicate label-noise scale free-rider"
set -eu
DIR=$1; SEEDS=$2; CONDITIONS=$3
BIN=${FEDATTR:-.build/release/fedattr}
COMMON="--dataset fashion-mnist --clients 10 --model mlp --partition dirichlet:0.3 --rounds 20 --aggregation fedavg
        --evaluators marginal,loo,shapley-exact --log-level warning ${EXTRA:-}"
mkdir -p "$DIR"
[ -f "$DIR/gen-public.safetensors" ] || $BIN generator train --source public --out "$DIR/gen-public.safetensors" $COMMON
for seed in $SEEDS; do
  for cond in $CONDITIONS; do
    out="$DIR/seed-$seed/$cond"; mkdir -p "$DIR/seed-$seed"
    [ -f "$out/summary.json" ] && continue
    case $cond in
      honest) attack="" ;;
      af-public) attack="attribution-first(generator=$DIR/gen-public.safetensors;seed=$seed${AF_OPTS:-})" ;;
      af-local)
        gen="$DIR/gen-local-$seed.safetensors"
        [ -f "$gen" ] || $BIN generator train --source local --id client-2 --partition-seed "$seed" --out "$gen" $COMMON
        attack="attribution-first(generator=$gen;seed=$seed${AF_OPTS:-})" ;;
      random-latents) attack="random-latents(generator=$DIR/gen-public.safetensors;seed=$seed)" ;;
      duplicate|label-noise) attack="$cond(seed=$seed)" ;;
      scale) attack="scale(k=3)" ;;
      free-rider) attack="free-rider(mode=stale)" ;;
      *) echo "unknown condition $cond" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    if [ -z "$attack" ]; then
      $BIN simulate $COMMON --seed "$seed" --partition-seed "$seed" --out "$out" > "$out.txt" 2>&1 || true
    else
      $BIN simulate $COMMON --seed "$seed" --partition-seed "$seed" --out "$out" --attacker client-2 --attack "$attack" > "$out.txt" 2>&1 || true
    fi
    echo "seed $seed $cond: $(( $(date +%s) - start )) s $(tail -1 "$out.txt")"
  done
done
