// Training reports: one self-contained HTML file with SVG charts drawn here (no network, no
// script, no dependency), so a report opens anywhere and can be archived with the model.
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

import { callSync, NcfError } from './errors.js'
import { native } from './native.js'
import type { EpochStats, History } from './results.js'

const invalid = (field: string, message: string) => new NcfError('ERR_INVALID_ARG', `${field}: ${message}`)

/** One trained model in a report. */
export interface ReportRun {
  /** Legend label, e.g. `'NeuMF'`. */
  name: string
  /** What `fit` returned for it. */
  history: History
  /** Hyperparameters shown in the report's table (model shape and fit options). */
  hyperparameters?: Record<string, unknown>
  /** Dataset summary shown in the report, e.g. `{ users: 943, items: 1682, interactions: 99057 }`. */
  dataset?: Record<string, unknown>
}

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** Page title. Default `'ncf-native training report'`. */
  title?: string
}

type Series = { name: string; color: string; points: Array<[number, number]>; dashed?: boolean; mark?: number }

// Okabe–Ito: distinguishable under the common colour-vision deficiencies.
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442']

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : Number(x.toPrecision(4)).toString()
}

/** "Nice" axis ticks over [lo, hi] (Heckbert, Graphics Gems 1990). */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / n
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const out: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)))
  return out
}

const W = 640
const H = 300
const M = { left: 64, right: 16, top: 28, bottom: 44 }

/** A line chart: one polyline per series, circles on points, the selected epoch ringed. */
function lineChart(id: string, title: string, yLabel: string, series: Series[]): string {
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  if (pts.length === 0) return ''
  const xs = pts.map((p) => p[0])
  const ys = pts.map((p) => p[1])
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)]
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)]
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1]
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1]
  const pad = (y1 - y0) * 0.06
  ;[y0, y1] = [y0 - pad, y1 + pad]
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right)
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom)
  const parts: string[] = []
  for (const t of ticks(y0, y1)) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}"/>`)
    parts.push(`<text class="tick" x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
  }
  for (const t of ticks(x0, x1, Math.min(10, Math.round(x1 - x0)) || 1).filter((t) => Number.isInteger(t))) {
    parts.push(`<text class="tick" x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${t}</text>`)
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`)
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>`)
  parts.push(`<text class="label" x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">epoch</text>`)
  parts.push(`<text class="label" transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`)
  for (const s of series) {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    if (p.length === 0) continue
    const d = p.map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
    parts.push(`<path class="mark line" d="${d}" stroke="${s.color}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const [x, y] of p) {
      parts.push(`<circle class="mark point" cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${s.color}"><title>${escape(s.name)}, epoch ${x}: ${fmt(y)}</title></circle>`)
    }
    const sel = s.mark === undefined ? undefined : p.find(([x]) => x === s.mark)
    if (sel) {
      parts.push(`<circle class="mark selected" cx="${px(sel[0]).toFixed(1)}" cy="${py(sel[1]).toFixed(1)}" r="7" stroke="${s.color}"><title>${escape(s.name)}: selected epoch ${sel[0]}</title></circle>`)
    }
  }
  return figure(id, title, parts.join(''), series.map((s) => [s.name, s.color, !!s.dashed]))
}

/** Grouped bars: one group per model, one bar per metric. */
function barChart(id: string, title: string, groups: string[], metrics: Array<{ name: string; values: number[] }>): string {
  const all = metrics.flatMap((m) => m.values).filter(Number.isFinite)
  if (all.length === 0) return ''
  const y1 = Math.max(...all, 0) * 1.1 || 1
  const py = (y: number) => H - M.bottom - (y / y1) * (H - M.top - M.bottom)
  const band = (W - M.left - M.right) / groups.length
  const bw = (band * 0.8) / metrics.length
  const parts: string[] = []
  for (const t of ticks(0, y1)) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}"/>`)
    parts.push(`<text class="tick" x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>`)
  groups.forEach((g, gi) => {
    const gx = M.left + gi * band + band * 0.1
    parts.push(`<text class="tick" x="${M.left + gi * band + band / 2}" y="${H - M.bottom + 16}" text-anchor="middle">${escape(g)}</text>`)
    metrics.forEach((m, mi) => {
      const v = m.values[gi]
      if (!Number.isFinite(v)) return
      const x = gx + mi * bw
      parts.push(`<rect class="mark bar" x="${x.toFixed(1)}" y="${py(v).toFixed(1)}" width="${(bw * 0.92).toFixed(1)}" height="${(H - M.bottom - py(v)).toFixed(1)}" fill="${PALETTE[mi % PALETTE.length]}"><title>${escape(g)} ${escape(m.name)}: ${fmt(v)}</title></rect>`)
      parts.push(`<text class="value" x="${(x + bw * 0.46).toFixed(1)}" y="${(py(v) - 4).toFixed(1)}" text-anchor="middle">${fmt(v)}</text>`)
    })
  })
  return figure(id, title, parts.join(''), metrics.map((m, mi) => [m.name, PALETTE[mi % PALETTE.length], false]))
}

function figure(id: string, title: string, body: string, legend: Array<[string, string, boolean]>): string {
  const items = legend
    .map(([n, c, dashed]) => `<span class="key"><svg width="22" height="10" aria-hidden="true"><line x1="0" x2="22" y1="5" y2="5" stroke="${c}" stroke-width="3"${dashed ? ' stroke-dasharray="5 3"' : ''}/></svg>${escape(n)}</span>`)
    .join('')
  return `<figure id="${id}" class="chart"><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escape(title)}">${body}</svg><div class="legend">${items}</div></figure>`
}

function table(rows: Array<Record<string, unknown>>, names: string[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  if (keys.length === 0) return ''
  const cell = (v: unknown) => escape(v === undefined ? '–' : typeof v === 'number' ? fmt(v) : typeof v === 'object' ? JSON.stringify(v) : String(v))
  return `<table><thead><tr><th></th>${names.map((n) => `<th>${escape(n)}</th>`).join('')}</tr></thead><tbody>${keys
    .map((k) => `<tr><th>${escape(k)}</th>${rows.map((r) => `<td>${cell(r[k])}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`
}

const isHistory = (x: unknown): x is History =>
  typeof x === 'object' && x !== null && Array.isArray((x as History).epochs) && typeof (x as History).backend === 'string'

function normalise(runs: ReadonlyArray<ReportRun | History>): ReportRun[] {
  if (!Array.isArray(runs) || runs.length === 0) throw invalid('runs', 'expected a non-empty array of histories or { name, history } runs')
  return runs.map((r, k) => {
    const run = isHistory(r) ? { name: `model ${k + 1}`, history: r } : r
    if (!run || typeof run.name !== 'string' || !isHistory(run.history)) {
      throw invalid(`runs[${k}]`, 'is neither a History nor { name, history }')
    }
    return run
  })
}

/** The report's HTML (what {@link writeReport} writes). */
export function renderReport(runs: ReadonlyArray<ReportRun | History>, options: ReportOptions = {}): string {
  const list = normalise(runs)
  const title = options.title ?? 'ncf-native training report'
  const color = (k: number) => PALETTE[k % PALETTE.length]
  const pts = (h: History, f: (e: EpochStats) => number | undefined): Array<[number, number]> =>
    h.epochs.flatMap((e) => {
      const v = f(e)
      return v === undefined ? [] : [[e.epoch, v] as [number, number]]
    })
  const rating = list.some((r) => r.history.epochs.some((e) => e.rating || e.validationRating || e.trainRating))
  const charts: string[] = []
  // Loss: the training objective; rating models also show validation MSE (RMSE²), the same
  // quantity on held-out ratings.
  charts.push(
    lineChart(
      'loss',
      rating ? 'Loss per epoch (training loss; validation MSE dashed)' : 'Training loss per epoch',
      'loss',
      list.flatMap((r, k) => [
        { name: `${r.name} train`, color: color(k), points: pts(r.history, (e) => e.loss) },
        ...(rating
          ? [{ name: `${r.name} validation`, color: color(k), dashed: true, points: pts(r.history, (e) => (e.validationRating ? e.validationRating.rmse ** 2 : undefined)) }]
          : []),
      ]),
    ),
  )
  const metricSeries = (label: string, f: (e: EpochStats) => number | undefined, vf: (e: EpochStats) => number | undefined) =>
    list.flatMap((r, k) => [
      { name: `${r.name} test`, color: color(k), points: pts(r.history, f), mark: r.history.bestEpoch },
      { name: `${r.name} validation`, color: color(k), dashed: true, points: pts(r.history, vf), mark: r.history.bestEpoch },
    ]).filter((s) => s.points.length > 0).map((s) => ({ ...s, name: `${s.name} ${label}` }))
  if (rating) {
    charts.push(lineChart('rmse', 'RMSE per epoch (selected epoch ringed)', 'RMSE', metricSeries('RMSE', (e) => e.rating?.rmse, (e) => e.validationRating?.rmse)))
    charts.push(lineChart('mae', 'MAE per epoch (selected epoch ringed)', 'MAE', metricSeries('MAE', (e) => e.rating?.mae, (e) => e.validationRating?.mae)))
  } else {
    charts.push(lineChart('hr', 'HR@K per epoch (selected epoch ringed)', 'HR@K', metricSeries('HR', (e) => e.hr, (e) => e.validation?.hr)))
    charts.push(lineChart('ndcg', 'NDCG@K per epoch (selected epoch ringed)', 'NDCG@K', metricSeries('NDCG', (e) => e.ndcg, (e) => e.validation?.ndcg)))
  }
  // The comparison uses each model's selected epoch (its last without validation). A
  // bestEpoch of 0 means the starting weights won: no epoch's metrics describe them.
  const chosen = list.map((r) =>
    r.history.bestEpoch === 0 ? undefined : (r.history.epochs.find((e) => e.epoch === r.history.bestEpoch) ?? r.history.epochs.at(-1)),
  )
  const bars = rating
    ? [
        { name: 'RMSE', values: chosen.map((e) => e?.rating?.rmse ?? NaN) },
        { name: 'MAE', values: chosen.map((e) => e?.rating?.mae ?? NaN) },
      ]
    : [
        { name: 'HR@K', values: chosen.map((e) => e?.hr ?? NaN) },
        { name: 'NDCG@K', values: chosen.map((e) => e?.ndcg ?? NaN) },
      ]
  charts.push(barChart('compare', 'Models at their selected epoch (test set)', list.map((r) => r.name), bars))
  charts.push(lineChart('seconds', 'Seconds per epoch (training and evaluation)', 'seconds', list.map((r, k) => ({ name: r.name, color: color(k), points: pts(r.history, (e) => e.seconds) }))))
  const names = list.map((r) => r.name)
  const summary = list.map((r, k) => ({
    backend: r.history.backend,
    epochs: r.history.epochs.length,
    'selected epoch': r.history.bestEpoch === 0 ? '0 (the starting weights)' : (r.history.bestEpoch ?? '–'),
    'stopped early': r.history.stoppedEarly,
    ...(chosen[k] ?? {}),
  }))
  const strip = (e: Record<string, unknown>) => {
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(e)) {
      if (key === 'epoch') continue
      if (v && typeof v === 'object') for (const [k2, v2] of Object.entries(v)) out[`${key} ${k2}`] = v2
      else out[key] = v
    }
    return out
  }
  const css = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0;border:1px solid #ddd;border-radius:6px;padding:8px;background:#fff}
figcaption{font-weight:600;margin-bottom:4px}.grid{stroke:#eee}.axis{stroke:#888}.tick,.value{font-size:11px;fill:#555}.label{font-size:12px;fill:#333}
.line{fill:none;stroke-width:2}.selected{fill:none;stroke-width:2}.legend{font-size:12px;display:flex;flex-wrap:wrap;gap:10px;margin-top:4px}
.key svg{vertical-align:middle;margin-right:4px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${css}</style></head>
<body><h1>${escape(title)}</h1>
<p>Generated ${escape(new Date().toISOString())} by ncf-native.</p>
<h2>Charts</h2><div class="charts">${charts.join('')}</div>
<h2>Summary (selected epoch)</h2>${table(summary.map(strip), names)}
<h2>Hyperparameters</h2>${table(list.map((r) => r.hyperparameters ?? {}), names) || '<p>None recorded.</p>'}
<h2>Dataset</h2>${table(list.map((r) => r.dataset ?? {}), names) || '<p>None recorded.</p>'}
</body></html>
`
}

/**
 * Writes one self-contained HTML report (no network, no script; SVG charts drawn by this
 * package) comparing training runs: loss per epoch, HR@K/NDCG@K (or RMSE/MAE) per epoch with
 * the selected epoch ringed, a bar chart of the models at their selected epochs, seconds per
 * epoch, and tables of hyperparameters and datasets. The file is written atomically.
 *
 * @example
 * ```ts
 * const h1 = await gmf.fit(data, { epochs: 10 })
 * const h2 = await neumf.fit(data, { epochs: 10 })
 * writeReport([{ name: 'GMF', history: h1 }, { name: 'NeuMF', history: h2 }], 'report.html')
 * ```
 */
export function writeReport(runs: ReadonlyArray<ReportRun | History>, path: string, options: ReportOptions = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
  const html = renderReport(runs, options)
  const target = resolve(path)
  try {
    mkdirSync(dirname(target), { recursive: true })
  } catch (e) {
    throw new NcfError('ERR_IO', `${path}: cannot write the report: ${(e as Error).message}`, { cause: e })
  }
  // Written as the model files are: atomically, replacing only a regular file (a link is
  // written through to its target), never a folder, device, FIFO or socket.
  callSync(() => native.writeFileAtomic(target, new TextEncoder().encode(html)))
}
