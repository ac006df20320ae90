// Argument checks shared by the API's classes, and the few defaults the TypeScript side fills
// (`DEFAULTS`). Every options object's options are the core's (ncf_core::options): each call
// checks only the TypeScript layer's own keys (a device, callbacks, a signal, a progress period,
// dataset and table handles, ids it encodes) and passes the rest through as one JSON object
// (`coreJson`), where the core checks their names, types, ranges and defaults and refuses a
// key that names no option.
import { invalid } from './errors.js'
import type { FitOptions } from './fit-options.js'
import type { Device } from './types.js'

/**
 * Every default the TypeScript API fills in, named by the option it fills. The option docs
 * (`FitOptions`, `ModelOptions`, …) state the same values.
 */
export const DEFAULTS = {
  device: 'auto',
  // The progress periods of a fit's and a load's callbacks. Every option the core reads has
  // its default there (ncf_core::options and the readers over it).
  progressEvery: 250,
  loadProgressEvery: 200,
} as const

/**
 * `v` when it is an options object (not null, an array or another value), else
 * `ERR_INVALID_ARG` naming `field` and the expected `shape`.
 */
export function objectOf<T>(field: string, v: T, shape: string): T & object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, `expected ${shape}`)
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
