#!/usr/bin/env node
// The `ncf-native` command line: train, evaluate, recommend, similar, compare, info, bench.
// Built on Node's own util.parseArgs (no dependency: strict typed options, positionals and
// clear errors are all this needs). Exit codes: 0 success, 1 failure, 2 bad usage, 130 Ctrl-C.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'

import {
  Dataset,
  FitAbortedError,
  GMF,
  MF,
  MLP,
  NcfError,
  NcfModel,
  NeuMF,
  gpuInfo,
  writeReport,
  type Device,
  type EpochStats,
  type FitOptions,
  type FitProgress,
  type History,
  type ReportRun,
} from './index.js'

/** Bad usage: exit code 2. */
class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>

const MODEL_KINDS = ['gmf', 'mf', 'mlp', 'neumf'] as const
type Kind = (typeof MODEL_KINDS)[number]

const dataOptions = {
  format: { type: 'string', default: 'auto' },
  columns: { type: 'string' },
  test: { type: 'string' },
  task: { type: 'string', default: 'implicit' },
  seed: { type: 'string', default: '0' },
  device: { type: 'string', default: 'auto' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options']

const trainOptions = {
  ...dataOptions,
  model: { type: 'string', default: 'neumf' },
  factors: { type: 'string' },
  layers: { type: 'string' },
  epochs: { type: 'string', default: '20' },
  batch: { type: 'string', default: '256' },
  negatives: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string', default: '0.001' },
  l2: { type: 'string' },
  dropout: { type: 'string' },
  biases: { type: 'boolean' },
  validation: { type: 'string', default: 'leave-one-out' },
  patience: { type: 'string' },
  out: { type: 'string' },
  report: { type: 'string' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string', default: '1' },
  resume: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const satisfies ParseArgsConfig['options']

const HELP: Record<string, string> = {
  main: `ncf-native: train and serve Neural Collaborative Filtering recommenders (GMF, MF, MLP, NeuMF).

Usage: ncf-native <command> [options]

Commands:
  train      train a model on a data file or folder, save it, write a report
  evaluate   HR/NDCG@K of a saved model (sampled and full ranking), or RMSE/MAE/R²
  recommend  top-K items for a user, in the data's own ids
  similar    items (or users) nearest to one, by embedding cosine
  compare    train several models on one dataset: one table, one report
  info       the GPU adapter, backend and limits
  bench      training samples per second on this machine

Run 'ncf-native <command> --help' for its options and examples.
Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C).`,
  data: `Data (positional DATA):
  a MovieLens folder or file (u.data, ratings.dat), an NCF split (*.train.rating with
  *.test.rating and *.test.negative beside it, or their folder), a CSV/TSV with a header (see
  --columns), or 'synthetic' (a seeded demo set shipped with the package).
  Raw interactions are split leave-latest-out with 99 sampled negatives per test case
  (ratings: a random 20% per user).
  --format auto|movielens|csv|ncf|netflix|synthetic  (default auto)
  --test FILE     a separate test file in the same format (e.g. u1.test beside u1.base)
  --columns user=A,item=B[,rating=C][,timestamp=D]   CSV columns by header name or 0-based
                  position (default user=0,item=1: ratings and timestamps need naming)
  --task implicit|rating                             (default implicit)
  --seed N        seeds the split, the negatives and training (default 0)
  --device auto|gpu|cpu                              (default auto)
  --json          machine-readable results on stdout`,
  train: `Usage: ncf-native train DATA [options]

Model and training:
  --model gmf|mf|mlp|neumf   (default neumf)
  --factors N                predictive factors (default 8)
  --layers 64,32,16,8        MLP tower widths (MLP, NeuMF)
  --epochs N                 (default 20)
  --batch N                  (default 256)
  --negatives N              sampled negatives per positive (default 4; ratings 0)
  --optimizer adam|sgd       (default adam)
  --lr X                     (default 0.001)
  --l2 X  --dropout X  --biases
  --validation leave-one-out|none   chooses the epoch kept (default leave-one-out)
  --patience N               early stopping after N epochs without a better validation value
  --out FILE                 save the model (ids and seen items included)
  --report FILE              write an HTML report with charts
  --checkpoint FILE          save model and optimizer state every --checkpoint-every epochs (1)
  --resume FILE              continue from such a checkpoint (same options; --epochs counts
                             from the start) to the result of an uninterrupted run
  --quiet, -q                no progress output

DATA_HELP

Examples:
  ncf-native train ../shared/data/ml-100k/u.data --epochs 10 --out model.ncf --report report.html
  ncf-native train synthetic --model gmf --factors 16 --device cpu
  ncf-native train u1.base --test u1.test --task rating --model mf --factors 32 --json
  ncf-native train u.data --epochs 50 --checkpoint run.ckpt      (later: the same with --resume run.ckpt)

Ctrl-C stops at the next submit: the model keeps its last complete epoch, is saved with
--out, and the command exits 130.`,
  evaluate: `Usage: ncf-native evaluate DATA --model FILE [options]

Evaluates a saved model on DATA, loaded and split as 'train' did (same --seed, --format).
  --model FILE       the saved model
  --k N              cut-off (default 10)
  --protocol sampled|full|both   (default both; rating models report RMSE, MAE, R²)

DATA_HELP

Examples:
  ncf-native evaluate ../shared/data/ml-100k/u.data --model model.ncf
  ncf-native evaluate u1.base --test u1.test --task rating --model mf.ncf --json`,
  recommend: `Usage: ncf-native recommend --model FILE --user ID [options]

  --model FILE    a saved model
  --user ID       the user, in the data's own ids
  --k N           how many (default 10)
  --include-seen  keep items the user already interacted with
  --device auto|gpu|cpu   --json

Examples:
  ncf-native recommend --model model.ncf --user 42 --k 10
  ncf-native recommend --model model.ncf --user 42 --json`,
  similar: `Usage: ncf-native similar --model FILE (--item ID | --user ID) [options]

  --model FILE   a saved model
  --item ID      an item, in the data's own ids (or --user ID for similar users)
  --k N          how many (default 10)
  --device auto|gpu|cpu   --json

Examples:
  ncf-native similar --model model.ncf --item 1 --k 10`,
  compare: `Usage: ncf-native compare DATA [options]

Trains each model with the same data, seed and training options, then prints one table and
(with --report) writes one HTML report.
  --models gmf,mlp,neumf     which models (default gmf,mlp,neumf)
  --report FILE              plus every training option of 'train' except --model and --out

DATA_HELP

Examples:
  ncf-native compare ../shared/data/ml-100k/u.data --epochs 10 --report compare.html
  ncf-native compare synthetic --models gmf,mf --device cpu --json`,
  info: `Usage: ncf-native info [--json]

The GPU adapter ncf-native would train on, its backend and limits.

Examples:
  ncf-native info
  ncf-native info --json`,
  bench: `Usage: ncf-native bench [options]

Training samples per second on this machine, on a synthetic dataset of MovieLens-1M's size
(or DATA), per device.
  --model gmf|mf|mlp|neumf   (default neumf)
  --factors N  --batch N     (defaults 8, 256)
  --epochs N                 measured epochs after one warm-up (default 2)
  --device auto|gpu|cpu|both (default both)
  --users N  --items N  --per-user N   synthetic size (default 6040, 3706, 160)
  --json

Examples:
  ncf-native bench
  ncf-native bench --model gmf --batch 1024 --device gpu --json`,
}

function help(command: string): string {
  return (HELP[command] ?? HELP.main).replace('DATA_HELP', HELP.data)
}

/** Parses a command's arguments; bad usage is a UsageError naming the option. */
function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true })
    return { values: r.values as Values, positionals: r.positionals }
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

function int(values: Values, name: string, min = 1): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got '${String(v)}'`)
  return n
}

function num(values: Values, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${String(v)}'`)
  return n
}

function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T {
  const v = String(values[name])
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name}: expected ${allowed.join('|')}, got '${v}'`)
  return v as T
}

/** Output: human lines go to stdout, or to stderr when --json keeps stdout for the result. */
class Out {
  constructor(readonly json: boolean) {}
  line(s: string): void {
    ;(this.json ? process.stderr : process.stdout).write(`${s}\n`)
  }
  result(x: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(x, null, 2)}\n`)
  }
}

interface Loaded {
  data: Dataset
  summary: Record<string, unknown>
}

/** Reads DATA as the help describes, splitting raw interactions the same way every time. */
async function loadData(path: string | undefined, values: Values): Promise<Loaded> {
  if (!path) throw new UsageError('DATA: give a data file or folder (or synthetic)')
  const seed = int(values, 'seed', 0) ?? 0
  const task = oneOf(values, 'task', ['implicit', 'rating'] as const)
  let format = oneOf(values, 'format', ['auto', 'movielens', 'csv', 'ncf', 'netflix', 'synthetic'] as const)
  let file = path
  if (format === 'auto') {
    if (path === 'synthetic') format = 'synthetic'
    else if (!existsSync(path)) throw new NcfError('ERR_IO', `${path}: no such file or folder`)
    else if (statSync(path).isDirectory()) {
      const names = readdirSync(path)
      const ncf = names.find((n) => n.endsWith('.train.rating'))
      const ml = ['u.data', 'ratings.dat'].find((n) => names.includes(n))
      if (ncf) [format, file] = ['ncf', join(path, ncf)]
      else if (ml) [format, file] = ['movielens', join(path, ml)]
      else throw new UsageError(`${path}: no u.data, ratings.dat or *.train.rating inside; pass a file and --format`)
    } else if (path.endsWith('.train.rating')) format = 'ncf'
    else if (/(^|[/\\])(u\.data|u\d\.base|ua\.base|ub\.base|ratings\.dat)(\.gz)?$/.test(path)) format = 'movielens'
    else if (/\.(csv|tsv)(\.gz)?$/.test(path)) format = 'csv'
    else throw new UsageError(`${path}: cannot tell its format; pass --format movielens|csv|ncf|netflix`)
  }
  let data: Dataset
  if (format === 'synthetic') {
    data = Dataset.synthetic({ seed })
  } else if (format === 'ncf') {
    const stem = file.replace(/\.train\.rating$/, '')
    const side = (ext: string) => (existsSync(`${stem}${ext}`) ? `${stem}${ext}` : undefined)
    data = await Dataset.fromNcfFiles({ train: file, testRating: side('.test.rating'), testNegative: side('.test.negative') })
  } else {
    const test = values.test as string | undefined
    const csv = format === 'csv' ? { delimiter: file.replace(/\.gz$/, '').endsWith('.tsv') ? '\t' : ',', columns: columns(values) } : {}
    const withTest = test === undefined ? {} : { test, testNegatives: task === 'implicit' ? 99 : 0, seed }
    const raw = await Dataset.fromFile(file, { format, ...csv, ...withTest })
    data =
      raw.numTestCases > 0
        ? raw
        : task === 'rating'
          ? await raw.split({ method: 'random', testRatio: 0.2, negatives: 0, seed })
          : await raw.split({ method: 'leave-one-out', negatives: 99, seed })
  }
  return {
    data,
    summary: {
      source: format === 'synthetic' ? 'synthetic' : basename(file),
      users: data.numUsers,
      items: data.numItems,
      interactions: data.numInteractions,
      testCases: data.numTestCases,
    },
  }
}

/** `--columns user=customer,item=sku,rating=stars,timestamp=ts` (names or 0-based positions). */
function columns(values: Values): { user?: string | number; item?: string | number; rating?: string | number; timestamp?: string | number } {
  const spec = values.columns
  if (spec === undefined) return { user: 0, item: 1 }
  const out: Record<string, string | number> = {}
  for (const part of String(spec).split(',')) {
    const [key, col] = part.split('=')
    if (!['user', 'item', 'rating', 'timestamp'].includes(key) || !col) {
      throw new UsageError(`--columns: '${part}' is not user=…, item=…, rating=… or timestamp=…`)
    }
    out[key] = /^\d+$/.test(col) ? Number(col) : col
  }
  return out
}

function buildModel(kind: Kind, data: Dataset, values: Values): NcfModel {
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
  if ((kind === 'gmf' || kind === 'mf') && layers) throw new UsageError(`--layers: applies to mlp and neumf, not ${kind}`)
  switch (kind) {
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
    optimizer: values.optimizer === undefined ? undefined : oneOf(values, 'optimizer', ['adam', 'sgd'] as const),
    lr: num(values, 'lr'),
    l2: num(values, 'l2'),
    dropout: num(values, 'dropout'),
    seed: int(values, 'seed', 0),
    validation: validation === 'leave-one-out' && data.numValidationCases > 0 ? 'dataset' : validation,
    earlyStopping: patience === undefined ? undefined : { patience },
    checkpoint: values.checkpoint === undefined ? undefined : { path: String(values.checkpoint), every: int(values, 'checkpoint-every') },
    resumeFrom: values.resume === undefined ? undefined : String(values.resume),
  }
}

const f4 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(4))

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

async function cmdTrain(args: string[]): Promise<number> {
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

async function cmdCompare(args: string[]): Promise<number> {
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

async function loadModel(values: Values): Promise<NcfModel> {
  if (!values.model) throw new UsageError('--model: give the saved model file')
  return NcfModel.load(String(values.model), { device: oneOf(values, 'device', ['auto', 'gpu', 'cpu'] as const) as Device })
}

async function cmdEvaluate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...dataOptions,
    model: { type: 'string' },
    k: { type: 'string', default: '10' },
    protocol: { type: 'string', default: 'both' },
  })
  if (values.help) return usage('evaluate')
  const out = new Out(values.json === true)
  const protocol = oneOf(values, 'protocol', ['sampled', 'full', 'both'] as const)
  const k = int(values, 'k')!
  const model = await loadModel(values)
  try {
    const { data } = await loadData(positionals[0], { ...values, task: model.task })
    if (model.task === 'rating') {
      const m = await model.evaluate(data, { metrics: ['rmse', 'mae', 'r2'] })
      out.line(`RMSE ${f4(m.rmse)}  MAE ${f4(m.mae)}  R² ${f4(m.r2)}  (${m.count} ratings, ${m.backend})`)
      out.result(m)
      return 0
    }
    const results = []
    for (const p of protocol === 'both' ? (['sampled', 'full'] as const) : [protocol]) {
      if (p === 'sampled' && data.testNegatives === 0) continue
      const m = await model.evaluate(data, { k, protocol: p })
      out.line(`${p.padEnd(8)} HR@${k} ${f4(m.hr)}  NDCG@${k} ${f4(m.ndcg)}${m.recall !== undefined ? `  Recall@${k} ${f4(m.recall)}` : ''}  (${m.cases} ${p === 'full' ? 'users' : 'cases'}, ${m.backend})`)
      results.push(m)
    }
    out.result(results)
    return 0
  } finally {
    model.dispose()
  }
}

/** Ids on the command line are strings; a model whose ids are numbers takes numbers. */
function asId(model: NcfModel, side: 'users' | 'items', raw: string): string | number {
  const ids = side === 'users' ? model.userIds : model.itemIds
  const numeric = ids !== undefined && ids.length > 0 && typeof ids[0] === 'number'
  return numeric || ids === undefined ? Number(raw) : raw
}

async function cmdRecommend(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    user: { type: 'string' },
    k: { type: 'string', default: '10' },
    'include-seen': { type: 'boolean', default: false },
    device: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('recommend')
  if (values.user === undefined) throw new UsageError('--user: give the user id')
  const out = new Out(values.json === true)
  const model = await loadModel(values)
  try {
    const user = asId(model, 'users', String(values.user))
    const recs = await model.recommend(user, { k: int(values, 'k'), excludeSeen: !values['include-seen'] })
    recs.forEach((r, n) => out.line(`${String(n + 1).padStart(3)}. ${String(r.id).padEnd(12)} ${r.score.toFixed(4)}`))
    out.result({ user, items: recs })
    return 0
  } finally {
    model.dispose()
  }
}

async function cmdSimilar(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    item: { type: 'string' },
    user: { type: 'string' },
    k: { type: 'string', default: '10' },
    device: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('similar')
  if ((values.item === undefined) === (values.user === undefined)) throw new UsageError('give one of --item ID or --user ID')
  const out = new Out(values.json === true)
  const model = await loadModel(values)
  try {
    const k = int(values, 'k')
    const side = values.item !== undefined ? 'items' : 'users'
    const id = asId(model, side, String(values.item ?? values.user))
    const near = side === 'items' ? await model.similarItems(id, { k }) : await model.similarUsers(id, { k })
    near.forEach((r, n) => out.line(`${String(n + 1).padStart(3)}. ${String(r.id).padEnd(12)} ${r.score.toFixed(4)}`))
    out.result({ [side === 'items' ? 'item' : 'user']: id, similar: near })
    return 0
  } finally {
    model.dispose()
  }
}

async function cmdInfo(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } })
  if (values.help) return usage('info')
  const out = new Out(values.json === true)
  try {
    const g = await gpuInfo()
    out.line(`adapter   ${g.name} (${g.deviceType})\nbackend   ${g.backend}, driver ${g.driver} ${g.driverInfo}`)
    out.line(`limits    max storage binding ${g.limits.maxStorageBufferBindingSize} B, workgroup ${g.workgroupSize}, subgroups ${g.subgroupMinSize}–${g.subgroupMaxSize}, f32 atomics ${g.float32Atomics ? 'yes' : 'no'}`)
    out.line(`'auto' trains on ${g.deviceType === 'Cpu' ? 'the CPU backend (the only adapter is a software rasterizer)' : 'this GPU'}`)
    out.result({ gpu: g })
  } catch (e) {
    if (!(e instanceof NcfError && e.code === 'ERR_NO_GPU')) throw e
    out.line(`no GPU adapter: ${e.message}\n'auto' trains on the CPU backend`)
    out.result({ gpu: null, reason: e.message })
  }
  return 0
}

async function cmdBench(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string', default: 'neumf' },
    factors: { type: 'string', default: '8' },
    batch: { type: 'string', default: '256' },
    epochs: { type: 'string', default: '2' },
    device: { type: 'string', default: 'both' },
    users: { type: 'string', default: '6040' },
    items: { type: 'string', default: '3706' },
    'per-user': { type: 'string', default: '160' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('bench')
  const out = new Out(values.json === true)
  const kind = oneOf(values, 'model', MODEL_KINDS)
  const which = oneOf(values, 'device', ['auto', 'gpu', 'cpu', 'both'] as const)
  const data = Dataset.synthetic({ numUsers: int(values, 'users'), numItems: int(values, 'items'), perUser: int(values, 'per-user'), seed: int(values, 'seed', 0) })
  out.line(`${kind} on synthetic ${data.numUsers} users × ${data.numItems} items, ${data.numInteractions} interactions`)
  const results = []
  for (const device of which === 'both' ? (['cpu', 'gpu'] as const) : [which]) {
    if (device === 'gpu') {
      try {
        await gpuInfo()
      } catch {
        out.line('gpu: no adapter, skipped')
        continue
      }
    }
    const model = buildModel(kind, data, { ...values, device, task: 'implicit', biases: undefined })
    const epochs = int(values, 'epochs')!
    const h = await model.fit(data, { epochs: epochs + 1, batchSize: int(values, 'batch'), evaluate: false, validation: 'none' })
    model.dispose()
    const measured = h.epochs.slice(1)
    const seconds = measured.reduce((s, e) => s + e.seconds, 0)
    const samples = measured.reduce((s, e) => s + e.samples, 0)
    const r = { device, backend: h.backend, samplesPerSecond: samples / seconds, secondsPerEpoch: seconds / measured.length }
    out.line(`${device.padEnd(4)} (${h.backend}): ${(r.samplesPerSecond / 1e6).toFixed(3)} M samples/s, ${r.secondsPerEpoch.toFixed(2)} s/epoch`)
    results.push(r)
  }
  out.result({ model: kind, users: data.numUsers, items: data.numItems, interactions: data.numInteractions, results })
  return 0
}

function usage(command: string): number {
  process.stdout.write(`${help(command)}\n`)
  return 0
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  train: cmdTrain,
  evaluate: cmdEvaluate,
  recommend: cmdRecommend,
  similar: cmdSimilar,
  compare: cmdCompare,
  info: cmdInfo,
  bench: cmdBench,
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${help(rest[0] ?? 'main')}\n`)
    return command === undefined ? 2 : 0
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }
    process.stdout.write(`ncf-native ${pkg.version}\n`)
    return 0
  }
  const run = COMMANDS[command]
  try {
    if (!run) throw new UsageError(`unknown command '${command}' (try ncf-native --help)`)
    return await run(rest)
  } catch (e) {
    const message = e instanceof NcfError ? `${e.code}: ${e.message}` : (e as Error).message
    process.stderr.write(`ncf-native: ${message.split('\n')[0]}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}

process.exitCode = await main(process.argv.slice(2))
