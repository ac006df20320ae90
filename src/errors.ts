// Every error ncf-native throws, and the one place where the binding's errors become them.
import type { History } from './results.js'

/**
 * Every error ncf-native throws. `code` is stable:
 * - `ERR_INVALID_ARG`: an argument or array element is out of its domain (the message names it);
 * - `ERR_PARSE`: a malformed input line (the message starts with `file:line:`);
 * - `ERR_IO`: a file cannot be read or written, or is not a regular file (a folder, a device);
 * - `ERR_LIMIT`: an input went past a stated limit (decompressed bytes, line length); the
 *   message starts with the path and names the option that raises the limit;
 * - `ERR_FORMAT`: a model file is truncated, corrupted (its checksum does not match), foreign,
 *   of another kind, or from a newer ncf-native (the message starts with the path);
 * - `ERR_DATA`: the data cannot be used as asked (empty input, ids outside the model, …);
 * - `ERR_NO_GPU`: `device: 'gpu'` and no adapter exists;
 * - `ERR_GPU`: the GPU device failed;
 * - `ERR_DIVERGED`: training produced a non-finite loss;
 * - `ERR_DISPOSED`: the model was disposed;
 * - `ERR_BUSY`: the model is already training (one `fit` at a time per model);
 * - `ERR_ABORTED`: an `AbortSignal` stopped a fit or a load (the signal's reason is `cause`);
 * - `ERR_CALLBACK`: a callback of yours (`onProgress`, `onEpoch`) threw or returned a promise
 *   that rejected; the operation stopped, and what it threw is `cause`;
 * - `ERR_NO_BINARY`: importing ncf-native found no native addon that loads on this machine (the
 *   message names the platform, its package, e.g. `ncf-native-linux-arm64-gnu`, and what to do).
 */
export class NcfError extends Error {
  /** Stable machine-readable code, e.g. `ERR_PARSE`. */
  readonly code: NcfErrorCode
  constructor(code: NcfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NcfError'
    this.code = code
  }
}

/** Every {@link NcfError.code}, as a value (the codes are listed in {@link NcfError}'s docs). */
export const ERROR_CODES = [
  'ERR_INVALID_ARG',
  'ERR_PARSE',
  'ERR_IO',
  'ERR_LIMIT',
  'ERR_FORMAT',
  'ERR_DATA',
  'ERR_NO_GPU',
  'ERR_GPU',
  'ERR_DIVERGED',
  'ERR_DISPOSED',
  'ERR_BUSY',
  'ERR_ABORTED',
  'ERR_CALLBACK',
  'ERR_NO_BINARY',
] as const

/** Every {@link NcfError.code}: a switch over it is exhaustive. */
export type NcfErrorCode = (typeof ERROR_CODES)[number]

/** The binding's errors carry their code as data (`err.code`, set by napi from the Rust
 * error); an error without one (napi's own argument conversion: a string where a number goes)
 * is bad input. */
function lift(err: unknown): unknown {
  if (err instanceof NcfError || !(err instanceof Error)) return err
  const code = (err as { code?: unknown }).code
  return new NcfError(typeof code === 'string' && code.startsWith('ERR_') ? (code as NcfErrorCode) : 'ERR_INVALID_ARG', err.message, {
    cause: err,
  })
}

/** Calls into the binding and turns its errors into {@link NcfError}s. */
export async function call<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    throw lift(err)
  }
}

export function callSync<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    throw lift(err)
  }
}

export function invalid(field: string, message: string): NcfError {
  return new NcfError('ERR_INVALID_ARG', `${field}: ${message}`)
}

/** `fit` was cancelled through its `signal`; `history` holds the epochs that completed. */
export class FitAbortedError extends NcfError {
  /** The complete epochs, and the epoch kept as in a finished fit. */
  readonly history: History
  constructor(history: History, cause: unknown) {
    super('ERR_ABORTED', `fit was aborted after ${history.epochs.length} complete epoch(s); the model keeps the weights chosen from them`, { cause })
    this.name = 'FitAbortedError'
    this.history = history
  }
}
