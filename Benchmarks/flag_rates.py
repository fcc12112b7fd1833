#!/usr/bin/env python3
"""Flag rates of every detector for the attacker (client-3) and the benign clients, per attack, from the
summary.json files Benchmarks/positive_controls.sh leaves (OUT/<attack>-seed<N>/summary.json)."""
import json, os, re, statistics, sys

root = sys.argv[1] if len(sys.argv) > 1 else "controls"
runs = {}
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "summary.json")
    m = re.match(r"(.*)-seed(\d+)$", name)
    if not m or not os.path.exists(path):
        continue
    runs.setdefault(m.group(1), []).append(json.load(open(path)))

def fmt(values):
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} [{min(values):.2f}–{max(values):.2f}]"

for attack, summaries in runs.items():
    detectors = summaries[0]["detectors"]
    acc = [s["final_test_accuracy"] for s in summaries]
    print(f"\n{attack}: {len(summaries)} seed(s), {summaries[0]['rounds']} rounds, final test accuracy {fmt(acc)}")
    print("| detector | attacker client-3 | benign mean | benign max |")
    print("|---|---|---|---|")
    for d in detectors:
        att, mean, worst = [], [], []
        for s in summaries:
            rates = s["flag_rates"].get(d, {})
            att.append(rates.get("client-3", 0.0))
            benign = [v for c, v in rates.items() if c != "client-3"]
            mean.append(statistics.mean(benign) if benign else 0.0)
            worst.append(max(benign) if benign else 0.0)
        print(f"| `{d}` | {fmt(att)} | {fmt(mean)} | {fmt(worst)} |")
