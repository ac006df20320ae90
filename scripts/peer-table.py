#!/usr/bin/env python3
"""Turns scripts/bench-peers.sh's raw JSON lines into the BENCHMARKS.md table: samples/s of each
of our variants and each PyTorch variant per (model, factors, batch), medians over rounds, and
the ratios that matter (ours ÷ PyTorch, measured in the same run)."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
machine = next((r for r in rows if r.get("event") == "machine"), {})
ours = defaultdict(list)
peers = defaultdict(list)
other = defaultdict(list)
secs = defaultdict(list)
keys = []
for r in rows:
    if r.get("event") == "ours" and not r.get("error"):
        k = (r["model"], r["factors"], r["batch"])
        ours[k + (r["variant"],)].append(r["samples_per_s"])
        secs[k + (r["variant"],)].append(r["seconds"])
    elif r.get("event") == "throughput" and not r.get("error"):
        model = {"GMF": "gmf", "NeuMF-end": "neumf", "MLP": "mlp"}[r["model"]]
        k = (model, r["factors"], r["batch"])
        peers[k + (f'{r["threads"]}t {r["opt"]}',)].append(r["samples_per_s"])
        other[k].append(r.get("other_cpu", 0))
    else:
        continue
    if k not in keys:
        keys.append(k)

variants = [v for v in ["cpu-dense", "cpu-sparse", "gpu-dense", "gpu-sparse"] if any(x[3] == v for x in ours)]
peer_vs = sorted({x[3] for x in peers}, key=lambda s: (int(s.split("t")[0]), s))
med = lambda xs: statistics.median(xs) if xs else None
fmt = lambda x: "—" if x is None else (f"{x / 1000:.0f}k" if x < 1e6 else f"{x / 1e6:.2f}M")
name = {"gmf": "GMF", "neumf": "NeuMF-end", "mlp": "MLP"}

print(f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; {machine.get('date', '?')}; "
      f"commit {machine.get('commit', '?')}. Samples/s (median of rounds); ours = one full epoch with "
      "sampling, evaluation off; PyTorch = torch_ncf.py --throughput.\n")
head = ["model", "factors", "batch"] + [f"ours {v}" for v in variants] + [f"torch {p}" for p in peer_vs]
head += ["best CPU ÷ torch 1t adam", "best CPU ÷ best torch", "our CPU s/epoch (dense / sparse)", "torch other_cpu"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for k in keys:
    o = {v: med(ours[k + (v,)]) for v in variants}
    p = {v: med(peers[k + (v,)]) for v in peer_vs}
    cpu = max([x for v, x in o.items() if v.startswith("cpu") and x] or [0]) or None
    p1 = p.get("1t adam")
    best = max([x for x in p.values() if x] or [0]) or None
    ratio = lambda a, b: "—" if not (a and b) else f"×{a / b:.1f}"
    s = lambda v: med(secs[k + (v,)])
    epoch = " / ".join("—" if s(v) is None else f"{s(v):.2f}" for v in ["cpu-dense", "cpu-sparse"])
    cells = [name.get(k[0], k[0]), str(k[1]), str(k[2])] + [fmt(o[v]) for v in variants] + [fmt(p[v]) for v in peer_vs]
    cells += [ratio(cpu, p1), ratio(cpu, best), epoch, f"{max(other[k] or [0]):.2f}"]
    print("| " + " | ".join(cells) + " |")
