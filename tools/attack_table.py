#!/usr/bin/env python3
"""Paired attack tables for docs/RESULTS.md from `fedattr simulate` runs laid out as DIR/seed-S/CONDITION/summary.json.

For every condition other than `honest`, compares the attacker's outcome with the honest run of the same seed:
share of the total positive cumulative attribution (max(v,0) / sum max(v,0)), rank (1 = best), final test accuracy.
Usage: attack_table.py DIR [--attacker client-2] [--evaluators shapley-exact,loo,marginal]
"""
import argparse, json, os, statistics, sys

def share(values, client):
    pos = {c: max(v, 0.0) for c, v in values.items()}
    total = sum(pos.values())
    return pos[client] / total if total > 0 else 0.0

def rank(values, client):
    return 1 + sum(1 for c, v in values.items() if v > values[client])

def load(path):
    with open(path) as f:
        return json.load(f)

def mean_sd(xs):
    if not xs: return "-"
    m = statistics.mean(xs)
    return f"{m:+.3f} ± {statistics.stdev(xs):.3f}" if len(xs) > 1 else f"{m:+.3f}"

def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--attacker", default="client-2")
    p.add_argument("--evaluators", default="shapley-exact,loo,marginal")
    a = p.parse_args()
    seeds = sorted((d for d in os.listdir(a.dir) if d.startswith("seed-")), key=lambda d: int(d[5:]))
    conditions = sorted({c for s in seeds for c in os.listdir(os.path.join(a.dir, s))
                         if os.path.exists(os.path.join(a.dir, s, c, "summary.json"))} - {"honest"})
    evaluators = a.evaluators.split(",")
    summary = []
    for cond in conditions:
        rows, diffs = [], {e: [] for e in evaluators}
        ratios, rises, rank_gain, acc_diff = [], 0, [], []
        shares, rank_pairs, marginal_ranks = [], [], []
        for s in seeds:
            h = os.path.join(a.dir, s, "honest", "summary.json")
            x = os.path.join(a.dir, s, cond, "summary.json")
            if not (os.path.exists(h) and os.path.exists(x)): continue
            H, X = load(h), load(x)
            cells = [s[5:]]
            for e in evaluators:
                hv, xv = H["cumulative_attribution"][e], X["cumulative_attribution"][e]
                hs, xs = share(hv, a.attacker), share(xv, a.attacker)
                diffs[e].append(xs - hs)
                cells += [f"{hs:.3f} → {xs:.3f}", f"{rank(hv, a.attacker)} → {rank(xv, a.attacker)}"]
                if e == "marginal":
                    marginal_ranks.append((rank(hv, a.attacker), rank(xv, a.attacker)))
                if e == "shapley-exact":
                    ratios.append(xs / hs if hs > 0 else float("inf"))
                    rises += xs > hs
                    rank_gain.append(rank(hv, a.attacker) - rank(xv, a.attacker))
                    shares.append((hs, xs))
                    rank_pairs.append((rank(hv, a.attacker), rank(xv, a.attacker)))
            ha, xa = H["final_test_accuracy"], X["final_test_accuracy"]
            acc_diff.append(100 * (xa - ha))
            cells.append(f"{100*ha:.2f} → {100*xa:.2f}")
            rows.append(cells)
        if not rows: continue
        print(f"\n#### `{cond}` vs honest, attacker {a.attacker}, {len(rows)} paired seeds\n")
        header = ["seed"] + [f"{e} {k}" for e in evaluators for k in ("share", "rank")] + ["test acc %"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows: print("| " + " | ".join(r) + " |")
        summary.append(summarize(cond, rows, shares, rank_pairs, acc_diff, diffs, marginal_ranks))
        finite = [r for r in ratios if r != float("inf")]
        print(f"\nShapley share: mean paired difference {mean_sd(diffs.get('shapley-exact', []))}, "
              f"mean ratio {statistics.mean(finite):.2f} (of {len(finite)} finite), rises in {rises}/{len(rows)} seeds; "
              f"rank improves by {statistics.mean(rank_gain):+.1f} on average; "
              + "; ".join(f"{e} share difference {mean_sd(diffs[e])}" for e in evaluators if e != "shapley-exact")
              + f"; test accuracy change {statistics.mean(acc_diff):+.2f} pp (sd {statistics.stdev(acc_diff) if len(acc_diff) > 1 else 0:.2f}).")

    if summary:
        print("\n#### Summary against the bar (share ×2 on average, rises in ≥ 4 of 5 seeds (≥ 80 %), rank improves on average, |Δ accuracy| < 1 pp on average)\n")
        print("| condition | seeds | exact-Shapley share, mean honest → attacked (ratio of means) | rises | rank better / same / worse | mean rank gain | Δ test acc pp, mean ± sd | loo share Δ | marginal rank honest → attacked (mean) | bar |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in summary: print(row)

def summarize(cond, rows, shares, rank_pairs, acc_diff, diffs, marginal_ranks):
    """One row of the summary table, with a plain verdict against the issue's bar."""
    n = len(rows)
    h = statistics.mean(s for s, _ in shares); x = statistics.mean(s for _, s in shares)
    ratio = x / h if h > 0 else float("inf")
    rises = sum(xs > hs for hs, xs in shares)
    better = sum(b < a for a, b in rank_pairs); same = sum(b == a for a, b in rank_pairs); worse = n - better - same
    gain = statistics.mean(a - b for a, b in rank_pairs)
    acc = statistics.mean(acc_diff); acc_sd = statistics.stdev(acc_diff) if n > 1 else 0.0
    misses = []
    if not ratio >= 2: misses.append(f"×{ratio:.2f} < ×2")
    if n < 5 or rises < 0.8 * n: misses.append(f"rises {rises}/{n}")
    if not gain > 0: misses.append("rank not better")
    if not abs(acc) < 1: misses.append(f"accuracy {acc:+.2f} pp")
    verdict = "**met**" if not misses else "not met: " + ", ".join(misses)
    loo = mean_sd(diffs["loo"]) if "loo" in diffs else "-"
    marginal = (f"{statistics.mean(a for a, _ in marginal_ranks):.1f} → {statistics.mean(b for _, b in marginal_ranks):.1f}"
                if marginal_ranks else "-")
    return (f"| `{cond}` | {n} | {h:.3f} → {x:.3f} (×{ratio:.2f}) | {rises}/{n} | {better} / {same} / {worse} | {gain:+.1f} | "
            f"{acc:+.2f} ± {acc_sd:.2f} | {loo} | {marginal} | {verdict} |")

if __name__ == "__main__":
    sys.exit(main())
