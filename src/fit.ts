// The epoch loop of `NcfModel.fit`: the core's fit (`ncf_core::fit`: options and defaults,
// checks, holdout, training control, checkpoints and resume) runs in the binding one epoch per
// call, so the event loop stays free; the progress timer, the AbortSignal and the
// onProgress/onEpoch callbacks are here.
import { call, FitAbortedError, NcfError } from './errors.js'
import type { FitOptions } from './fit-options.js'
import type { Native } from './native.js'
import { fitOptions, warnFallback } from './options.js'
import type { EpochStats, History } from './results.js'
import { callbackFailed, watched } from './watch.js'
import type { Device } from './types.js'

/** Trains `handle` on `data`: the body of {@link NcfModel.fit} (see there). */
export async function fit(handle: Native.NativeModel, device: Device, data: Native.NativeDataset, options: FitOptions): Promise<History> {
  const { json, device: chosen, progress, progressEvery } = fitOptions(options, device)
  const { onProgress, signal } = options
  const trainer = await call(() => handle.createTrainer(data, json, chosen, progress))
  if (trainer.fallbackReason) warnFallback(trainer.fallbackReason)
  const epochs = trainer.epochs
  const history: EpochStats[] = trainer.takeResumed().map(epochStats)
  let aborted = false
  let bestEpoch: number | null = null
  let state = trainer.state()
  const onAbort = () => trainer.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    while (!state.done) {
      if (signal?.aborted) {
        aborted = true
        break
      }
      const r = await runEpoch(trainer, state.epoch, epochs, onProgress, progressEvery)
      if (r === undefined) {
        aborted = true
        break
      }
      const stats = epochStats(r)
      history.push(stats)
      const before = state.fallbackReason
      state = trainer.state()
      // 'auto' moved the fit off a GPU that failed mid-run.
      if (state.fallbackReason && state.fallbackReason !== before) warnFallback(state.fallbackReason)
      if (options.onEpoch) {
        let go: unknown
        try {
          go = await options.onEpoch(stats)
        } catch (error) {
          // The epochs so far are kept (finish below), as when the fit is stopped.
          throw callbackFailed('onEpoch', error)
        }
        if (go === false) break
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    // Keep the chosen weights and release the session's GPU buffers now.
    bestEpoch = trainer.finish()
  }
  const result: History = { backend: state.backend, epochs: history, stoppedEarly: state.stoppedEarly }
  if (bestEpoch != null) result.bestEpoch = bestEpoch
  if (aborted) throw new FitAbortedError(result, signal?.reason)
  return result
}

/**
 * One epoch, with `onProgress` called every `every` ms while it runs and once at its end.
 * Returns `undefined` when the trainer was cancelled (the signal aborted).
 */
async function runEpoch(
  trainer: Native.NativeTrainer,
  e: number,
  epochs: number,
  onProgress: FitOptions['onProgress'],
  every: number,
): Promise<Native.NativeEpoch | undefined> {
  const started = performance.now()
  const report = () => {
    const p = trainer.progress()
    if (!p || !onProgress || p.totalSteps === 0) return
    const elapsed = (performance.now() - started) / 1000
    const rate = elapsed > 0 ? p.samples / elapsed : 0
    const perStep = p.steps > 0 ? elapsed / p.steps : null
    return onProgress({
      epoch: e + 1,
      epochs,
      steps: p.steps,
      totalSteps: p.totalSteps,
      samples: p.samples,
      samplesPerSecond: rate,
      loss: p.loss ?? null,
      elapsedSeconds: elapsed,
      etaSeconds: perStep === null ? null : perStep * (p.totalSteps - p.steps),
    })
  }
  // A failing onProgress cancels training and rejects the fit with its error (watched).
  try {
    return await watched(() => call(() => trainer.runEpoch()), onProgress && report, { name: 'onProgress', every, cancel: () => trainer.cancel() })
  } catch (err) {
    // The signal cancelled the epoch: the fit ends with the epochs that completed.
    if (err instanceof NcfError && err.code === 'ERR_ABORTED') return undefined
    throw err
  }
}

/** The binding's flat epoch record as the public {@link EpochStats}. */
function epochStats(r: Native.NativeEpoch): EpochStats {
  const stats: EpochStats = { epoch: r.epoch, loss: r.loss, samples: r.samples, lr: r.lr, seconds: r.seconds }
  if (r.hr != null) stats.hr = r.hr
  if (r.ndcg != null) stats.ndcg = r.ndcg
  if (r.validHr != null && r.validNdcg != null) stats.validation = { hr: r.validHr, ndcg: r.validNdcg }
  if (r.rmse != null && r.mae != null && r.r2 != null) stats.rating = { rmse: r.rmse, mae: r.mae, r2: r.r2 }
  if (r.trainRmse != null && r.trainMae != null && r.trainR2 != null) {
    stats.trainRating = { rmse: r.trainRmse, mae: r.trainMae, r2: r.trainR2 }
  }
  if (r.validRmse != null && r.validMae != null && r.validR2 != null) {
    stats.validationRating = { rmse: r.validRmse, mae: r.validMae, r2: r.validR2 }
  }
  return stats
}
