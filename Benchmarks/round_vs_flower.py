#!/usr/bin/env python3
"""fedattr vs Flower, same workload, one invocation, printed side by side.

Runs `fedattr bench round` (a coordinator and --clients client processes over mutual TLS on 127.0.0.1, once per TLS
engine: OpenSSL and nng's mbedTLS) and Benchmarks/flower_round.py (Flower's legacy start_server/start_client API,
the same number of client processes, the same MLP 784-128-10 of 101,770 parameters, the same rounds; without TLS and
with server TLS), each first with clients that return the model unchanged (framework overhead) and then with honest
clients training 1 local epoch on 600 IID Fashion-MNIST images each.

Per round both sides count broadcast + client work + collect + aggregate (fedattr: rounds.jsonl durations_ms
broadcast + collect + aggregate; Flower: configure_fit → aggregate_fit). fedattr's attribution and test evaluation
run after that span and are not counted; Flower runs none. "rounds s" is the sum of that span over all rounds.
"span s" is the wall time from the first round's start to the last round's end, gaps between rounds included
(fedattr: summary.json rounds_seconds, its attribution, evaluation and fsynced ledger included, which overlap the next
round's collection; Flower: the first configure_fit to the last aggregate_fit).

    python3 Benchmarks/round_vs_flower.py [--fedattr .build/release/fedattr] [--rounds 20] [--clients 10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fedattr_runs(args):
    out = os.path.abspath(args.out)
    cmd = [args.fedattr, "bench", "round", "--clients", str(args.clients), "--rounds", str(args.rounds),
           "--repeats", "1", "--strategies", "unchanged,honest", "--tls-engines", "openssl,mbedtls",
           "--partition", "iid", "--train-limit", str(args.clients * 600 + 1000), "--test-size", "1000",
           "--evaluators", "cosine", "--no-cost-model", "--out", out]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    rows = []
    for strategy in ("unchanged", "honest"):
        for engine in ("openssl", "mbedtls"):
            path = os.path.join(out, f"{strategy}-{engine}-1", "rounds.jsonl")
            with open(path) as f:
                records = [json.loads(line) for line in f if line.strip()]
            span = [r["durations_ms"]["broadcast"] + r["durations_ms"]["collect"] + r["durations_ms"]["aggregate"]
                    for r in records]
            with open(os.path.join(out, f"{strategy}-{engine}-1", "summary.json")) as f:
                wall = json.load(f).get("rounds_seconds", float("nan"))
            rows.append((f"fedattr {strategy}, mTLS {engine}", span, wall))
    return rows


def flower_runs(args):
    rows = []
    for strategy, tls in (("unchanged", False), ("unchanged", True), ("honest", True)):
        cmd = [sys.executable, os.path.join(HERE, "flower_round.py"), "--clients", str(args.clients),
               "--rounds", str(args.rounds), "--strategy", strategy, "--train-limit", str(args.clients * 600)]
        if tls:
            cmd.append("--tls")
        print("$ " + " ".join(cmd), flush=True)
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        label = f"Flower {result['flwr']} {strategy}, {'server TLS' if tls else 'no TLS'}"
        rows.append((label, result))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fedattr", default=".build/release/fedattr")
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--out", default="bench-vs-flower")
    args = p.parse_args()

    print(f"machine: {os.cpu_count()} CPUs; load {os.getloadavg()}")
    ours = fedattr_runs(args)
    theirs = flower_runs(args)
    print()
    print(f"{args.clients} client processes, MLP 784-128-10 (101,770 parameters), {args.rounds} rounds; "
          "ms per round = broadcast + client work + collect + aggregate")
    print(f"{'run':44} {'median ms':>10} {'p10':>8} {'p90':>8} {'rounds s':>9} {'span s':>8}")
    for label, span, wall in ours:
        q = statistics.quantiles(span, n=10)
        print(f"{label:44} {statistics.median(span):10.1f} {q[0]:8.1f} {q[-1]:8.1f} {sum(span) / 1000:9.2f} {wall:8.2f}")
    for label, r in theirs:
        print(f"{label:44} {r['round_ms_median']:10.1f} {r['round_ms_p10']:8.1f} {r['round_ms_p90']:8.1f} "
              f"{r['rounds_seconds']:9.2f} {r.get('rounds_span_seconds', float('nan')):8.2f}")
    base = {label: statistics.median(span) for label, span, _ in ours}
    flower = {label: r["round_ms_median"] for label, r in theirs}
    f_unchanged = next(v for k, v in flower.items() if "unchanged, server TLS" in k)
    f_honest = next(v for k, v in flower.items() if "honest" in k)
    print()
    print("ratios (Flower with server TLS ÷ fedattr with mutual TLS, median ms per round; > 1 means fedattr is faster)")
    for engine in ("openssl", "mbedtls"):
        print(f"  unchanged, {engine}: {f_unchanged / base[f'fedattr unchanged, mTLS {engine}']:.2f}x   "
              f"honest, {engine}: {f_honest / base[f'fedattr honest, mTLS {engine}']:.2f}x")
    walls = {label: wall for label, _, wall in ours}
    f_span = next(r.get("rounds_span_seconds", float("nan")) for k, r in theirs if "honest" in k)
    print("span of the honest runs (Flower with server TLS ÷ fedattr with mutual TLS, first round start to last round end)")
    for engine in ("openssl", "mbedtls"):
        print(f"  honest, {engine}: {f_span / walls[f'fedattr honest, mTLS {engine}']:.2f}x")


if __name__ == "__main__":
    main()
