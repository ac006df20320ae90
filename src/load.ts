// `Dataset.fromFile`'s watch over a load: the progress timer that polls the native
// read's counters, and cancellation by an AbortSignal or a throwing onProgress, both of which
// stop the reader at its next read of the file.
import type { LoadProgress } from './dataset-options.js'
import { call, NcfError } from './errors.js'
import { native, type Native } from './native.js'
import { watched } from './watch.js'

/**
 * Runs `start` (a native load reporting into the progress handle it is given) with `onProgress`
 * polled every `every` ms and `signal` cancelling it; resolves to what the load built.
 */
export async function watchedLoad<T>(
  path: string,
  start: (progress: Native.NativeReadProgress) => T | Promise<T>,
  { onProgress, every, signal }: { onProgress?: (p: LoadProgress) => unknown; every: number; signal?: AbortSignal },
): Promise<T> {
  if (signal?.aborted) throw aborted(signal, `${path}: the load was aborted before it started`)
  const progress = new native.NativeReadProgress()
  const onAbort = () => progress.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const report = onProgress && (() => onProgress(loadProgress(progress)))
    // The job marks the load done just before it resolves; that report is the final one, made
    // once after it, so a tick in between stays silent.
    const loaded = await watched(() => call(() => start(progress)), report, {
      name: 'onProgress',
      every,
      cancel: () => progress.cancel(),
      quiet: () => progress.phase === 'done',
    })
    // Aborted while the dataset was built (that step runs to its end): still an abort.
    if (signal?.aborted) throw aborted(signal, `${path}: the load was aborted while the dataset was built`)
    return loaded
  } catch (err) {
    // The native error names the file and line where the read stopped; the cause is the signal's.
    if (signal?.aborted && err instanceof NcfError && err.code === 'ERR_ABORTED') throw aborted(signal, err.message)
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** `fromFile`'s rejection when its signal aborted. */
function aborted(signal: AbortSignal, message: string): NcfError {
  return new NcfError('ERR_ABORTED', message, { cause: signal.reason })
}

/** The native read's counters as the public {@link LoadProgress}. */
function loadProgress(progress: Native.NativeReadProgress): LoadProgress {
  const totalBytes = progress.totalBytes
  const bytesRead = progress.bytesRead
  return {
    file: progress.file + 1,
    files: progress.files,
    bytesRead,
    totalBytes,
    fraction: totalBytes > 0 ? bytesRead / totalBytes : null,
    lines: progress.lines,
    interactions: progress.interactions,
    phase: progress.phase,
  }
}
