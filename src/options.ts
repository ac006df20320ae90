// Argument checks shared by the API's classes, and the one place where the TypeScript side
// resolves defaults (`DEFAULTS`). A fit's defaults are the core's: `fitOptions` checks only the
// types of its options and passes unset ones through.
import { invalid } from './errors.js'
import type { FitOptions, PlateauOptions } from './fit-options.js'
import type { Native } from './native.js'
import type { Device } from './types.js'

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
  // Fit: every other fit default is the core's (ncf_core::fit::options).
  progressEvery: 250,
  // Dataset.fromFile's onProgress.
  loadProgressEvery: 200,
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

/** Checks that `v` is one of `names`, naming the field; the binding takes modes as string enums. */
export function oneOf<T extends string>(field: string, v: unknown, names: readonly T[]): T | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !(names as readonly string[]).includes(v)) {
    const list = names.map((n) => `'${n}'`)
    const text = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0]
    throw invalid(field, `must be ${text}, got '${String(v)}'`)
  }
  return v as T
}

/** An optional number (its range is the core's to check), naming the field. */
export function optionalNumber(field: string, v: unknown): number | undefined {
  if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw invalid(field, `must be a number, got ${String(v)}`)
  return v as number | undefined
}

/** An optional boolean, naming the field: `'no'` is not `false`. */
export function optionalBoolean(field: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw invalid(field, `must be true or false, got ${String(v)}`)
  return v as boolean | undefined
}

/**
 * `fit`'s options as the binding takes them. Only their types are checked here; their
 * meaning and their defaults are the core's (`ncf_core::fit`), so an unset option crosses as
 * `undefined`. The progress period is the one fit default that lives here, with the timers.
 */
export function fitOptions(options: FitOptions, device: Device): { native: Native.NativeFitOptions; progressEvery: number } {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object')
  const plateau: PlateauOptions | undefined = options.reduceLrOnPlateau
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
  // Its type only: the core refuses an empty path (fit/options.rs).
  if (ck !== undefined && (typeof ck !== 'object' || ck === null || typeof ck.path !== 'string')) {
    throw invalid('checkpoint', 'must be { path, every? } with a path string')
  }
  const resumeFrom = options.resumeFrom
  if (resumeFrom !== undefined && (typeof resumeFrom !== 'string' || resumeFrom.length === 0)) {
    throw invalid('resumeFrom', 'must be a checkpoint path')
  }
  const count = (field: string, v: unknown) => (v === undefined ? undefined : positiveInt(field, v))
  const native: Native.NativeFitOptions = {
    epochs: count('epochs', options.epochs),
    batchSize: optionalNumber('batchSize', options.batchSize),
    negatives: optionalNumber('negatives', options.negatives),
    optimizer: oneOf('optimizer', options.optimizer, ['adam', 'sgd', 'als'] as const),
    momentum: optionalNumber('momentum', options.momentum),
    weightDecay: optionalNumber('weightDecay', options.weightDecay),
    beta1: optionalNumber('beta1', options.beta1),
    beta2: optionalNumber('beta2', options.beta2),
    eps: optionalNumber('eps', options.eps),
    sparse: optionalBoolean('sparse', options.sparse),
    l2: optionalNumber('l2', options.l2),
    alpha: optionalNumber('alpha', options.alpha),
    cgSteps: optionalNumber('cgSteps', options.cgSteps),
    hogwild: optionalBoolean('hogwild', options.hogwild),
    uniformNegatives: optionalBoolean('uniformNegatives', options.uniformNegatives),
    dropout: optionalNumber('dropout', options.dropout),
    lr: optionalNumber('lr', options.lr),
    seed: optionalNumber('seed', options.seed),
    device: checkDevice(options.device ?? device),
    validation: oneOf('validation', options.validation, ['dataset', 'leave-one-out', 'none'] as const),
    validationNegatives: optionalNumber('validationNegatives', options.validationNegatives),
    monitor: oneOf('monitor', options.monitor, ['hr', 'ndcg', 'rmse'] as const),
    plateau: plateau !== undefined,
    plateauFactor: optionalNumber('reduceLrOnPlateau.factor', plateau?.factor),
    plateauPatience: optionalNumber('reduceLrOnPlateau.patience', plateau?.patience),
    plateauMinLr: optionalNumber('reduceLrOnPlateau.minLr', plateau?.minLr),
    earlyStoppingPatience: early ? positiveInt('earlyStopping.patience', early.patience) : undefined,
    restoreBest: optionalBoolean('restoreBest', options.restoreBest),
    k: count('k', options.k),
    evaluate: optionalBoolean('evaluate', options.evaluate),
    checkpointPath: ck?.path,
    checkpointEvery: ck ? count('checkpoint.every', ck.every) : undefined,
    resumeFrom,
    progress: onProgress !== undefined || signal !== undefined,
  }
  return { native, progressEvery: every }
}
