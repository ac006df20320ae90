#!/usr/bin/env python3
"""Joins ncf-bench outputs of the two backends (same config) into one Markdown table:
per epoch, the metrics of each backend and their seconds per epoch.

    python3 scripts/bench-table.py bench-out/gpu-f8.md bench-out/cpu-f8.md
"""
import sys


def rows(path):
    """epoch -> [epoch, loss, HR, NDCG, seconds, samples/s]. ncf-bench prints 8 columns
    (with validation HR/NDCG in 5 and 6, '—' without validation); older outputs have 6."""
    out = {}
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if not cells[0].isdigit():
            continue
        if len(cells) == 8:
            cells = cells[:4] + cells[6:]
        if len(cells) == 6:
            out[int(cells[0])] = cells
    return out


gpu, cpu = rows(sys.argv[1]), rows(sys.argv[2])
print('| epoch | loss | HR@10 | NDCG@10 | GPU s/epoch | CPU s/epoch | same HR/NDCG on both |')
print('|---:|---:|---:|---:|---:|---:|:---:|')
for e in sorted(set(gpu) | set(cpu)):
    g, c = gpu.get(e), cpu.get(e)
    ref = g or c
    same = 'yes' if g and c and g[2:4] == c[2:4] else ('—' if not (g and c) else f'no (CPU {c[2]} / {c[3]})')
    print(f'| {e} | {ref[1]} | {ref[2]} | {ref[3]} | {g[4] if g else "—"} | {c[4] if c else "—"} | {same} |')
