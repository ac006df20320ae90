// Argument checks shared by the API's classes, and the one place where the TypeScript side
// resolves defaults (`DEFAULTS`, `resolveFit`): the binding and the core receive every option
// filled in, and a checkpoint's fingerprint compares the same resolved values the trainer got.
import { invalid, NcfError } from './errors.js'
import type { FitOptions, PlateauOptions } from './fit-options.js'
import type { Device, OptimizerName } from './types.js'

/**
 * Every default the TypeScript API fills in, named by the option it fills. The option docs
 * (`FitOptions`, `ModelOptions`, …) state the same values.
 */
export const DEFAULTS = {
  device: 'auto',
  k: 10,
  // Model construction.
  seed: 0,
  task: 'implicit',
  clip: true,
  // Fit.
  epochs: 20,
  batchSize: 256,
  negatives: 4,
  ratingNegatives: 0,
  optimizer: 'adam',
  lr: 0.001,
  weightDecay: 0,
  l2: 0,
  dropout: 0,
  validationNegatives: 99,
  monitor: 'hr',
  ratingMonitor: 'rmse',
  plateau: { factor: 0.1, patience: 10, minLr: 0 },
  restoreBest: true,
  progressEvery: 250,
  checkpointEvery: 1,
  // Datasets, features, baselines, NeuMF-pre.
  splitMethod: 'leave-one-out',
  splitNegatives: 99,
  synthetic: { numUsers: 1000, numItems: 800, perUser: 30, clusters: 8, testNegatives: 99 },
  featureDim: 8,
  protocol: 'sampled',
  excludeSeen: true,
  seen: true,
  alpha: 0.5,
  baseline: { kind: 'bias', regUser: 15, regItem: 10, iterations: 10 },
} as const

/** A positive integer, or `ERR_INVALID_ARG` naming the field. */
export function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw invalid(field, `must be a positive integer, got ${String(v)}`)
  }
  return v
}

/** Ids (dense indices) from a typed array or an array of numbers, naming the first bad entry. */
export function toIds(field: string, v: unknown): Uint32Array {
  if (v instanceof Uint32Array) return v
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) {
    throw invalid(field, 'must be an array or typed array of non-negative integer ids')
  }
  const a = v as ArrayLike<unknown>
  const out = new Uint32Array(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff) {
      throw invalid(`${field}[${k}]`, `must be a non-negative integer id, got ${String(x)}`)
    }
    out[k] = x
  }
  return out
}

/** Ids as strings for the binding (numbers by their decimal text), naming a bad entry. */
export function idStrings(field: string, v: unknown): string[] {
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) {
    throw invalid(field, 'must be an array of ids (strings or numbers)')
  }
  const a = v as ArrayLike<unknown>
  const out = new Array<string>(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x === 'string') out[k] = x
    else if (typeof x === 'number' && Number.isFinite(x)) out[k] = String(x)
    else throw invalid(`${field}[${k}]`, `must be a string or finite number id, got ${String(x)}`)
  }
  return out
}

/** A typed copy of numbers, naming the first one that is not finite. */
export function numbers<T extends Float32Array | Float64Array>(
  field: string,
  v: unknown,
  Kind: { new (n: number): T },
): T {
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) throw invalid(field, 'must be an array of numbers')
  const a = v as ArrayLike<unknown>
  const out = new Kind(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x !== 'number' && typeof x !== 'bigint') throw invalid(`${field}[${k}]`, `must be a number, got ${String(x)}`)
    const n = Number(x)
    if (!Number.isFinite(n)) throw invalid(`${field}[${k}]`, `must be a finite number, got ${String(x)}`)
    out[k] = n
  }
  return out
}

/** An optional positive integer (a count the binding defaults when absent). */
export function optionalCount(field: string, v: unknown): number | undefined {
  return v === undefined ? undefined : positiveInt(field, v)
}

/** One of the {@link Device} names. */
export function checkDevice(device: unknown): Device {
  if (device !== 'auto' && device !== 'gpu' && device !== 'cpu') {
    throw invalid('device', `must be 'auto', 'gpu' or 'cpu', got ${String(device)}`)
  }
  return device
}

let warnedFallback = false
/** Warns once per process that `'auto'` found no usable GPU and trains on the CPU backend. */
export function warnFallback(reason: string): void {
  if (warnedFallback) return
  warnedFallback = true
  const first = reason.split(/\.\s/)[0]
  console.warn(`ncf-native: no usable GPU (${first}); falling back to the CPU backend. Pass device: 'cpu' to silence this.`)
}

/** What {@link resolveFit} needs to know of the model and the data. */
export interface FitContext {
  /** `'rating'` models train without negatives and monitor RMSE. */
  rating: boolean
  /** The model's own default (SGD for a pretrained NeuMF). */
  defaultOptimizer: OptimizerName
  /** Validation cases the dataset already holds (they make `validation: 'dataset'` the default). */
  numValidationCases: number
  /** The dataset's test cases and their sampled negatives. */
  numTestCases: number
  /** Sampled negatives per test case. */
  testNegatives: number
}

/** `FitOptions` with every default filled in, checked in the order `fit` always checked them. */
export interface ResolvedFit {
  epochs: number
  k: number
  optimizer: OptimizerName
  lr: number
  validation: NonNullable<FitOptions['validation']>
  batchSize: number
  negatives: number
  /** Left out unless given: Adam refuses any momentum. */
  momentum: number | undefined
  weightDecay: number
  l2: number
  dropout: number
  seed: number
  validationNegatives: number
  monitor: NonNullable<FitOptions['monitor']>
  plateau: Required<PlateauOptions> | undefined
  /** As given (checked to be an object); its patience is checked when the trainer is made. */
  earlyStopping: FitOptions['earlyStopping']
  restoreBest: boolean
  evaluate: boolean
  progressEvery: number
  checkpoint: { path: string; every: number } | undefined
}

/** Checks `fit`'s options and fills their defaults; the trainer and the checkpoint fingerprint both read the result. */
export function resolveFit(options: FitOptions, ctx: FitContext): ResolvedFit {
  const epochs = positiveInt('epochs', options.epochs ?? DEFAULTS.epochs)
  const k = positiveInt('k', options.k ?? DEFAULTS.k)
  const optimizer = options.optimizer ?? ctx.defaultOptimizer
  const lr = options.lr ?? DEFAULTS.lr
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw invalid('lr', `must be a positive number, got ${String(lr)}`)
  const validation = options.validation ?? (ctx.numValidationCases > 0 ? 'dataset' : 'none')
  if (!ctx.rating && options.evaluate !== false && ctx.numTestCases > 0 && ctx.testNegatives === 0) {
    throw new NcfError(
      'ERR_DATA',
      'the test cases have no sampled negatives to rank against: read the test file with testNegatives, or pass evaluate: false',
    )
  }
  const plateau = options.reduceLrOnPlateau
  if (plateau !== undefined && (typeof plateau !== 'object' || plateau === null)) {
    throw invalid('reduceLrOnPlateau', 'must be an object { factor?, patience?, minLr? }')
  }
  const early = options.earlyStopping
  if (early !== undefined && (typeof early !== 'object' || early === null)) {
    throw invalid('earlyStopping', 'must be an object { patience }')
  }
  const { onProgress, signal } = options
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress', 'must be a function')
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal')
  const every = options.progressEvery ?? DEFAULTS.progressEvery
  if (typeof every !== 'number' || !(every >= 10 && every <= 2 ** 31 - 1)) {
    throw invalid('progressEvery', `must be at least 10 (milliseconds) and at most 2^31 − 1, got ${String(every)}`)
  }
  const ck = options.checkpoint
  if (ck !== undefined && (typeof ck !== 'object' || ck === null || typeof ck.path !== 'string' || ck.path.length === 0)) {
    throw invalid('checkpoint', 'must be { path, every? } with a non-empty path')
  }
  const checkpoint = ck ? { path: ck.path, every: positiveInt('checkpoint.every', ck.every ?? DEFAULTS.checkpointEvery) } : undefined
  const d = DEFAULTS.plateau
  return {
    epochs,
    k,
    optimizer,
    lr,
    validation,
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    negatives: options.negatives ?? (ctx.rating ? DEFAULTS.ratingNegatives : DEFAULTS.negatives),
    momentum: options.momentum,
    weightDecay: options.weightDecay ?? DEFAULTS.weightDecay,
    l2: options.l2 ?? DEFAULTS.l2,
    dropout: options.dropout ?? DEFAULTS.dropout,
    seed: options.seed ?? DEFAULTS.seed,
    validationNegatives: options.validationNegatives ?? DEFAULTS.validationNegatives,
    monitor: options.monitor ?? (ctx.rating ? DEFAULTS.ratingMonitor : DEFAULTS.monitor),
    plateau: plateau ? { factor: plateau.factor ?? d.factor, patience: plateau.patience ?? d.patience, minLr: plateau.minLr ?? d.minLr } : undefined,
    earlyStopping: early,
    restoreBest: options.restoreBest ?? DEFAULTS.restoreBest,
    evaluate: options.evaluate !== false,
    progressEvery: every,
    checkpoint,
  }
}
