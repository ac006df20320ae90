// The training commands, train and compare: the model and fit options from the flags, the
// per-epoch lines and the TTY progress bar, Ctrl-C as an AbortSignal.
import { Dataset } from '../src/dataset.js'
import { FitAbortedError } from '../src/errors.js'
import type { FitOptions, FitProgress } from '../src/fit-options.js'
import type { NcfModel } from '../src/model.js'
import { ALS, GMF, MF, MLP, NeuMF } from '../src/models.js'
import { writeReport, type ReportRun } from '../src/report.js'
import type { EpochStats, History } from '../src/results.js'
import type { Device } from '../src/types.js'
import { f4, int, MODEL_KINDS, num, oneOf, Out, parse, trainOptions, UsageError, type Kind, type Values } from './args.js'
import { loadData, type Loaded } from './data.js'
import { usage } from './help.js'

export function buildModel(kind: Kind, data: Dataset, values: Values): NcfModel {
  const layers = values.layers === undefined ? undefined : String(values.layers).split(',').map((w, k) => {
    const n = Number(w)
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--layers: width ${k + 1} is '${w}', expected a positive integer`)
    return n
  })
  const common = {
    numUsers: data.numUsers,
    numItems: data.numItems,
    factors: int(values, 'factors'),
    seed: int(values, 'seed', 0) ?? 0,
    task: oneOf(values, 'task', ['implicit', 'rating'] as const),
    device: oneOf(values, 'device', ['auto', 'gpu', 'cpu'] as const) as Device,
    biases: values.biases as boolean | undefined,
  }
  if ((kind === 'gmf' || kind === 'mf' || kind === 'als') && layers) throw new UsageError(`--layers: applies to mlp and neumf, not ${kind}`)
  switch (kind) {
    case 'als': {
      // A dot product without biases for implicit feedback: --task and --biases do not apply.
      if (common.task === 'rating' || common.biases === true) throw new UsageError('--task rating and --biases: do not apply to als')
      const { task: _task, biases: _biases, ...als } = common
      return new ALS(als)
    }
    case 'gmf':
      return new GMF(common)
    case 'mf':
      return new MF(common)
    case 'mlp':
      return new MLP({ ...common, layers })
    case 'neumf':
      return new NeuMF({ ...common, layers })
  }
}

function fitOptions(values: Values, data: Dataset): FitOptions {
  const validation = oneOf(values, 'validation', ['leave-one-out', 'none', 'dataset'] as const)
  const patience = int(values, 'patience')
  return {
    epochs: int(values, 'epochs'),
    batchSize: int(values, 'batch'),
    negatives: int(values, 'negatives', 0),
    optimizer: values.optimizer === undefined ? undefined : oneOf(values, 'optimizer', ['adam', 'sgd', 'als'] as const),
    lr: num(values, 'lr'),
    l2: num(values, 'l2'),
    dropout: num(values, 'dropout'),
    sparse: values.sparse === undefined ? undefined : Boolean(values.sparse),
    seed: int(values, 'seed', 0),
    validation: validation === 'leave-one-out' && data.numValidationCases > 0 ? 'dataset' : validation,
    earlyStopping: patience === undefined ? undefined : { patience },
    checkpoint: values.checkpoint === undefined ? undefined : { path: String(values.checkpoint), every: int(values, 'checkpoint-every') },
    resumeFrom: values.resume === undefined ? undefined : String(values.resume),
  }
}

function epochLine(e: EpochStats, epochs: number): string {
  const parts = [`epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}`, `loss ${e.loss.toFixed(4)}`]
  if (e.hr !== undefined) parts.push(`HR ${f4(e.hr)}`, `NDCG ${f4(e.ndcg)}`)
  if (e.validation) parts.push(`valid HR ${f4(e.validation.hr)}`)
  if (e.rating) parts.push(`RMSE ${f4(e.rating.rmse)}`, `MAE ${f4(e.rating.mae)}`)
  if (e.validationRating) parts.push(`valid RMSE ${f4(e.validationRating.rmse)}`)
  parts.push(`${e.seconds.toFixed(2)} s`)
  return parts.join('  ')
}

/** A progress bar on a TTY (redrawn in place on stderr); nothing otherwise. */
function progressBar(enabled: boolean): { onProgress?: (p: FitProgress) => void; clear: () => void } {
  if (!enabled) return { clear: () => {} }
  let drawn = false
  const clear = () => {
    if (drawn) process.stderr.write('\r\x1b[2K')
    drawn = false
  }
  const onProgress = (p: FitProgress) => {
    const width = 28
    const done = p.totalSteps > 0 ? Math.min(width, Math.round((p.steps / p.totalSteps) * width)) : 0
    const eta = p.etaSeconds === null ? '?' : `${p.etaSeconds.toFixed(1)}s`
    const rate = p.samplesPerSecond >= 1e6 ? `${(p.samplesPerSecond / 1e6).toFixed(2)}M` : `${Math.round(p.samplesPerSecond / 1e3)}k`
    const loss = p.loss === null ? '' : `  loss ${p.loss.toFixed(4)}`
    process.stderr.write(
      `\r\x1b[2Kepoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.steps}/${p.totalSteps} batches  ${rate} samples/s  ETA ${eta}${loss}`,
    )
    drawn = true
  }
  return { onProgress, clear }
}

/** Ctrl-C aborts the fit in flight (a second one exits at once). */
function interruptible(): { signal: AbortSignal; interrupted: () => boolean; dispose: () => void } {
  const ac = new AbortController()
  let count = 0
  const handler = () => {
    count++
    if (count > 1) process.exit(130)
    process.stderr.write('\nstopping after the current submit (Ctrl-C again to quit now)…\n')
    ac.abort(new Error('interrupted by Ctrl-C'))
  }
  process.on('SIGINT', handler)
  return { signal: ac.signal, interrupted: () => count > 0, dispose: () => process.off('SIGINT', handler) }
}

async function trainOne(
  kind: Kind,
  loaded: Loaded,
  values: Values,
  out: Out,
  signal: AbortSignal,
): Promise<{ model: NcfModel; history: History; aborted: boolean; run: ReportRun }> {
  const model = buildModel(kind, loaded.data, values)
  const opts = fitOptions(values, loaded.data)
  const epochs = opts.epochs ?? 20
  const bar = progressBar(!values.quiet && process.stderr.isTTY === true)
  let history: History
  let aborted = false
  try {
    history = await model.fit(loaded.data, {
      ...opts,
      signal,
      onProgress: bar.onProgress,
      onEpoch: (e) => {
        bar.clear()
        if (!values.quiet) out.line(epochLine(e, epochs))
      },
    })
  } catch (e) {
    bar.clear()
    if (!(e instanceof FitAbortedError)) {
      model.dispose()
      throw e
    }
    history = e.history
    aborted = true
  }
  bar.clear()
  const hyperparameters = Object.fromEntries(
    Object.entries({ model: model.kind, factors: model.factors, layers: model.layers.join(',') || undefined, ...opts, device: values.device }).filter(
      ([, v]) => v !== undefined,
    ),
  )
  return { model, history, aborted, run: { name: model.kind, history, hyperparameters, dataset: loaded.summary } }
}

/** The epoch whose weights were kept; undefined when the starting weights won (bestEpoch 0). */
function chosen(h: History): EpochStats | undefined {
  if (h.bestEpoch === 0) return undefined
  return h.epochs.find((e) => e.epoch === h.bestEpoch) ?? h.epochs.at(-1)
}

export async function cmdTrain(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, trainOptions)
  if (values.help) return usage('train')
  const out = new Out(values.json === true)
  const kind = oneOf(values, 'model', MODEL_KINDS)
  const loaded = await loadData(positionals[0], values)
  const ctl = interruptible()
  try {
    const { model, history, aborted, run } = await trainOne(kind, loaded, values, out, ctl.signal)
    const best = chosen(history)
    if (history.epochs.length === 0) {
      out.line('no epoch completed: nothing saved')
      out.result({ model: model.kind, backend: history.backend, aborted, epochs: [] })
      model.dispose()
      process.stderr.write('ncf-native: interrupted before the first epoch ended\n')
      return 130
    }
    if (values.out) {
      await model.save(String(values.out), { info: { hyperparameters: run.hyperparameters, dataset: loaded.summary, bestEpoch: history.bestEpoch ?? null } })
      out.line(`saved ${values.out}${aborted ? ' (the last complete epoch)' : ''}`)
    }
    if (values.report) {
      writeReport([run], String(values.report))
      out.line(`wrote ${values.report}`)
    }
    out.line(
      best
        ? `kept epoch ${best.epoch} of ${history.epochs.length} (${history.backend})`
        : `kept the starting weights: no epoch beat them on validation (${history.backend})`,
    )
    out.result({ model: model.kind, backend: history.backend, aborted, bestEpoch: history.bestEpoch ?? null, epochs: history.epochs, out: values.out ?? null, report: values.report ?? null })
    model.dispose()
    if (aborted) {
      process.stderr.write('ncf-native: interrupted; the model keeps its last complete epoch\n')
      return 130
    }
    return 0
  } finally {
    ctl.dispose()
  }
}

export async function cmdCompare(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...trainOptions, models: { type: 'string', default: 'gmf,mlp,neumf' } })
  if (values.help) return usage('compare')
  for (const o of ['out', 'checkpoint', 'resume'] as const) {
    if (values[o] !== undefined) throw new UsageError(`--${o}: applies to 'train' (one model), not 'compare'`)
  }
  const out = new Out(values.json === true)
  const kinds = String(values.models).split(',').map((m) => {
    if (!(MODEL_KINDS as readonly string[]).includes(m)) throw new UsageError(`--models: '${m}' is not one of ${MODEL_KINDS.join(',')}`)
    return m as Kind
  })
  const loaded = await loadData(positionals[0], values)
  const ctl = interruptible()
  const runs: ReportRun[] = []
  try {
    for (const kind of kinds) {
      out.line(`== ${kind}`)
      const { model, aborted, run } = await trainOne(kind, loaded, values, out, ctl.signal)
      model.dispose()
      runs.push(run)
      if (aborted) break
    }
  } finally {
    ctl.dispose()
  }
  const rating = runs.some((r) => r.history.epochs.some((e) => e.rating))
  const rows = runs.map((r) => {
    const e = chosen(r.history)
    const secs = r.history.epochs.reduce((s, x) => s + x.seconds, 0) / Math.max(1, r.history.epochs.length)
    return rating
      ? { model: r.name, epoch: e?.epoch, rmse: e?.rating?.rmse, mae: e?.rating?.mae, r2: e?.rating?.r2, secondsPerEpoch: secs, backend: r.history.backend }
      : { model: r.name, epoch: e?.epoch, hr: e?.hr, ndcg: e?.ndcg, secondsPerEpoch: secs, backend: r.history.backend }
  })
  const cols = Object.keys(rows[0] ?? {})
  out.line(`\n${cols.map((c) => c.padEnd(14)).join('')}`)
  for (const r of rows) out.line(cols.map((c) => { const v = (r as Record<string, unknown>)[c]; return (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v ?? '–')).padEnd(14) }).join(''))
  if (values.report && runs.length > 0) {
    writeReport(runs, String(values.report), { title: `ncf-native: ${kinds.join(' vs ')} on ${String(loaded.summary.source)}` })
    out.line(`wrote ${values.report}`)
  }
  out.result({ models: rows })
  if (ctl.interrupted()) {
    process.stderr.write('ncf-native: interrupted\n')
    return 130
  }
  return 0
}
