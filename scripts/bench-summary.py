#!/usr/bin/env python3
"""The ML-1M summary table from ncf-bench outputs (scripts/bench-ml1m.sh writes them):
per model and factors, test HR/NDCG@10 at the validation-selected epoch and at the best test
epoch, epochs run, mean seconds per epoch on each backend, and the NCF paper's figure.

    python3 scripts/bench-summary.py bench-out/

A `neumf-pre` output holds three sections (GMF and MLP pretraining, then NeuMF-pre, whose
epoch-0 row is the α-mix it starts from and competes in the selection). Metrics
come from the CPU run when there is one (both backends train on identical samples), seconds
from each backend's own run.
"""
import glob
import os
import re
import sys

# He et al., WWW'17: Table 2 (NeuMF with / without pre-training, HR@10 / NDCG@10) and
# Table 3 (MLP with 3 hidden layers, HR@10). GMF and MF per factor appear only as plots (Fig. 4).
PAPER = {
    ('NeuMF-pre', 8): '0.684 / 0.403', ('NeuMF-pre', 16): '0.707 / 0.426',
    ('NeuMF-pre', 32): '0.726 / 0.445', ('NeuMF-pre', 64): '0.730 / 0.447',
    ('NeuMF-end', 8): '0.688 / 0.410', ('NeuMF-end', 16): '0.696 / 0.420',
    ('NeuMF-end', 32): '0.701 / 0.425', ('NeuMF-end', 64): '0.705 / 0.426',
    ('MLP', 8): '0.671', ('MLP', 16): '0.684', ('MLP', 32): '0.692', ('MLP', 64): '0.702',
}
NAMES = {'GMF (pretraining)': 'GMF', 'MLP (pretraining)': 'MLP', 'NEUMF-PRE': 'NeuMF-pre',
         'NEUMF': 'NeuMF-end', 'MF': 'MF', 'GMF': 'GMF', 'MLP': 'MLP'}
ORDER = ['GMF', 'MLP', 'NeuMF-end', 'NeuMF-pre', 'MF']


def sections(path):
    """label -> {'rows': {epoch: cells}, 'selected': epoch or None}"""
    out, cur = {}, None
    for line in open(path):
        m = re.match(r'## (.+?): ', line)
        if m:
            cur = out.setdefault(NAMES.get(m.group(1), m.group(1)), {'rows': {}, 'selected': None})
            continue
        m = re.search(r'validation-selected epoch (\d+)', line)
        if m and cur is not None:
            cur['selected'] = int(m.group(1))
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if cur is not None and len(cells) == 8 and cells[0].isdigit():
            cur['rows'][int(cells[0])] = cells
    return out


runs = {}  # (model, factors) -> {device: section}
for path in glob.glob(os.path.join(sys.argv[1] if len(sys.argv) > 1 else 'bench-out', '*-f*-*.md')):
    m = re.search(r'-f(\d+)-(cpu|gpu)\.md$', path)
    if not m:
        continue
    for label, sec in sections(path).items():
        if sec['rows']:
            runs.setdefault((label, int(m.group(1))), {})[m.group(2)] = sec

print('| model | factors | valid-selected epoch | test HR@10 / NDCG@10 there | best test epoch | best test HR@10 / NDCG@10 '
      '| epochs | GPU s/epoch | CPU s/epoch | paper HR@10 / NDCG@10 |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for (label, f) in sorted(runs, key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else 9, k[1])):
    by = runs[(label, f)]
    sec = by.get('cpu') or by.get('gpu')
    rows = sec['rows']
    sel = sec['selected']
    # The epoch chosen on validation, recomputed from the table as the trainers choose it: the
    # first epoch with the highest validation HR@10. Epoch 0 (NeuMF-pre's starting α-mix) is a
    # candidate: when no fine-tuning epoch beats it, the pretrained mix is kept.
    rows_sel = dict(rows)
    start = rows.pop(0, None)
    valid = {e: float(r[4]) for e, r in rows_sel.items() if r[4] not in ('—', '')}
    if valid:
        sel = min(valid, key=lambda e: (-valid[e], e))
    best = max(rows_sel, key=lambda e: (float(rows_sel[e][2]), -e))
    fmt = lambda e: f'{rows_sel[e][2]} / {rows_sel[e][3]}'
    timed = lambda d: [float(r[6]) for e, r in by[d]['rows'].items() if e != 0]
    secs = lambda d: f"{sum(timed(d)) / len(timed(d)):.2f}" if d in by and timed(d) else '—'
    print(f"| {label} | {f} | {'—' if sel is None else sel} | {'—' if sel is None else fmt(sel)} | {best} | {fmt(best)} | {len(rows)} "
          f"| {secs('gpu')} | {secs('cpu')} | {PAPER.get((label, f), '—')} |")
