// Argument checks shared by the API's classes, and the one place where the TypeScript side
// resolves defaults (`DEFAULTS`). A fit's options are the core's: `fitOptions` checks only the
// TypeScript layer's own (device, callbacks, signal, progress period) and passes the others
// through as JSON, where the core checks their names, types, ranges and defaults.
import { invalid } from './errors.js'
import type { FitOptions } from './fit-options.js'
import type { Device } from './types.js'

/**
 * Every default the TypeScript API fills in, named by the option it fills. The option docs
 * (`FitOptions`, `ModelOptions`, …) state the same values.
 */
export const DEFAULTS = {
  device: 'auto',
  k: 10,
  // Datasets' seeds and rating baselines' clipping (a model constructor's defaults are the core's).
  seed: 0,
  clip: true,
  // Fit: every other fit default is the core's (ncf_core::fit::options).
  progressEvery: 250,
  // Dataset.fromFile's onProgress.
  loadProgressEvery: 200,
  // Features, baselines, NeuMF-pre (datasets' defaults are the core's).
  featureDim: 8,
  protocol: 'sampled',
  excludeSeen: true,
  seen: true,
  alpha: 0.5,
  baseline: { kind: 'bias', regUser: 15, regItem: 10, iterations: 10 },
} as const

/**
 * `v` when it is an options object (not null, an array or another value), else
 * `ERR_INVALID_ARG` naming `field` and the expected `shape`.
 */
export function objectOf<T>(field: string, v: T, shape: string): T & object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, `expected ${shape}`)
  return v
}

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
 * `fit`'s options as the binding takes them: the options of the TypeScript layer (the device,
 * the callbacks, the AbortSignal, the progress period) checked here, and every other option
 * passed on as one JSON object, whose names, types, ranges and defaults only the core checks
 * (`ncf_core::fit`), refusing a key that names no option. JSON has no NaN or ±Infinity: such a
 * number crosses as its name, and the core reads it back as the number.
 */
export function fitOptions(
  options: FitOptions,
  device: Device,
): { json: string; device: Device; progress: boolean; progressEvery: number } {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object')
  const { onProgress, onEpoch, signal, progressEvery, device: chosen, ...core } = options
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress', 'must be a function')
  if (onEpoch !== undefined && typeof onEpoch !== 'function') throw invalid('onEpoch', 'must be a function')
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal')
  const every = progressEvery ?? DEFAULTS.progressEvery
  if (typeof every !== 'number' || !(every >= 10 && every <= 2 ** 31 - 1)) {
    throw invalid('progressEvery', `must be at least 10 (milliseconds) and at most 2^31 − 1, got ${String(every)}`)
  }
  const progress = onProgress !== undefined || signal !== undefined
  return { json: coreJson(core), device: checkDevice(chosen ?? device), progress, progressEvery: every }
}

/**
 * Options the core reads (a fit's, a constructor's), as the one JSON object it checks. What
 * JSON would drop or cannot hold crosses as text the core refuses by name (a function where a
 * number goes), or reads back (NaN, ±Infinity); an undefined option is not given.
 */
export function coreJson(options: object): string {
  return JSON.stringify(options, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
    if (typeof v === 'bigint') return Number(v)
    if (typeof v === 'function' || typeof v === 'symbol') return `[${typeof v}]`
    return v
  })
}
