// The epoch loop of `NcfModel.fit`: one trainer session in the binding, driven one epoch per
// call so the event loop stays free, with the progress timer, the AbortSignal and the
// onProgress/onEpoch callbacks here. The checkpoint schedule and the resume fingerprint are
// kept in their own functions at the end of this file: they are due to move into the core's fit.
import { call, FitAbortedError, invalid, NcfError } from './errors.js'
import type { FitOptions } from './fit-options.js'
import { native, type Native } from './native.js'
import { checkDevice, positiveInt, resolveFit, warnFallback, type ResolvedFit } from './options.js'
import type { EpochStats, History } from './results.js'
import type { Device, ModelKind, OptimizerName } from './types.js'

/** What the fit needs to know of the model it trains. */
export interface FitTarget {
  /** The model's shape, part of the resume fingerprint. */
  kind: ModelKind
  /** The MLP tower's widths (empty for GMF and MF). */
  layers: number[]
  /** Predictive factors. */
  factors: number
  /** `'rating'` models train on ratings without negatives. */
  task: 'implicit' | 'rating'
  /** The model's default device. */
  device: Device
  /** The model's default optimizer. */
  defaultOptimizer: OptimizerName
}

/** The dataset as the fit sees it: its native handle and what the defaults depend on. */
export interface FitData {
  /** The binding's dataset. */
  native: Native.NativeDataset
  /** Validation cases made by a split. */
  numValidationCases: number
  /** Held-out test cases. */
  numTestCases: number
  /** Sampled negatives per test case. */
  testNegatives: number
}

/** Trains `handle` on `data`: the body of {@link NcfModel.fit} (see there). */
export async function fit(handle: Native.NativeModel, model: FitTarget, data: FitData, options: FitOptions): Promise<History> {
  const rating = model.task === 'rating'
  const o = resolveFit(options, { rating, defaultOptimizer: model.defaultOptimizer, ...counts(data) })
  const { epochs, k } = o
  const { onProgress, signal } = options
  const watch = onProgress !== undefined || signal !== undefined
  const print = fingerprint(model, o)
  const resumed = options.resumeFrom === undefined ? undefined : await readResume(options.resumeFrom, print)
  const trainer = await call(() =>
    handle.createTrainer(data.native, {
      batchSize: o.batchSize,
      negatives: o.negatives,
      optimizer: o.optimizer,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      l2: o.l2,
      dropout: o.dropout,
      lr: o.lr,
      seed: o.seed,
      device: checkDevice(options.device ?? model.device),
      validation: o.validation,
      validationNegatives: o.validationNegatives,
      monitor: o.monitor,
      plateauFactor: o.plateau?.factor,
      plateauPatience: o.plateau?.patience,
      plateauMinLr: o.plateau?.minLr,
      earlyStoppingPatience: o.earlyStopping ? positiveInt('earlyStopping.patience', o.earlyStopping.patience) : undefined,
      restoreBest: o.restoreBest,
      // The starting weights compete as epoch 0 (a pretrained NeuMF, a second fit).
      initialK: o.validation !== 'none' && o.evaluate ? k : undefined,
      progress: watch,
    }),
  )
  if (trainer.fallbackReason) warnFallback(trainer.fallbackReason)
  const evalK = o.evaluate ? k : undefined
  const history: EpochStats[] = [...(resumed?.history ?? [])]
  let first = 0
  if (options.resumeFrom !== undefined) {
    const from = options.resumeFrom
    try {
      first = await call(() => trainer.resume(from))
    } catch (err) {
      trainer.finish()
      throw err
    }
  }
  let stoppedEarly = false
  // The checkpoint was written when early stopping ended its run: resuming trains no more.
  if (resumed?.stopped) {
    first = epochs
    stoppedEarly = true
  }
  let aborted = false
  let bestEpoch: number | null = null
  const onAbort = () => trainer.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for (let e = first; e < epochs; e++) {
      if (signal?.aborted) {
        aborted = true
        break
      }
      const r = await runEpoch(trainer, e, epochs, evalK, onProgress, o.progressEvery)
      if (r === undefined) {
        aborted = true
        break
      }
      const stats = epochStats(r)
      if (o.checkpoint && checkpointDue(e, o.checkpoint.every, epochs, r.stop)) {
        await saveCheckpoint(trainer, o.checkpoint.path, print, [...history, stats], r.stop && e + 1 < epochs)
      }
      history.push(stats)
      if (options.onEpoch && (await options.onEpoch(stats)) === false) break
      if (r.stop && e + 1 < epochs) {
        stoppedEarly = true
        break
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    // Keep the chosen weights and release the session's GPU buffers now.
    bestEpoch = trainer.finish()
  }
  const result: History = { backend: trainer.backend as 'gpu' | 'cpu', epochs: history, stoppedEarly }
  if (bestEpoch != null) result.bestEpoch = bestEpoch
  if (aborted) throw new FitAbortedError(result, signal?.reason)
  return result
}

function counts(data: FitData): { numValidationCases: number; numTestCases: number; testNegatives: number } {
  return { numValidationCases: data.numValidationCases, numTestCases: data.numTestCases, testNegatives: data.testNegatives }
}

/**
 * One epoch, with `onProgress` called every `every` ms while it runs and once at its end.
 * Returns `undefined` when the trainer was cancelled (the signal aborted).
 */
async function runEpoch(
  trainer: Native.NativeTrainer,
  e: number,
  epochs: number,
  evalK: number | undefined,
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
    onProgress({
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
  // A throwing onProgress cancels training and is rethrown, rather than crashing the process.
  let progressError: unknown
  const tick = () => {
    try {
      report()
    } catch (err) {
      progressError ??= err
      trainer.cancel()
    }
  }
  const timer = onProgress ? setInterval(tick, every) : undefined
  let r: Native.NativeEpoch
  try {
    r = await call(() => trainer.runEpoch(evalK))
  } catch (err) {
    if (progressError !== undefined) throw progressError
    if (err instanceof NcfError && err.code === 'ERR_ABORTED') return undefined
    throw err
  } finally {
    clearInterval(timer)
  }
  if (progressError !== undefined) throw progressError
  report()
  return r
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

// ---- Checkpoints and resume (to move into the core's fit) ----

/** Whether epoch `e` (0-based) ends with a checkpoint: every `every` epochs, the last, and an early stop. */
function checkpointDue(e: number, every: number, epochs: number, stop: boolean): boolean {
  return (e + 1) % every === 0 || e + 1 === epochs || stop
}

/** Writes the session's checkpoint with the note a resume reads back (fingerprint, history, early stop). */
async function saveCheckpoint(
  trainer: Native.NativeTrainer,
  path: string,
  print: Record<string, unknown>,
  history: EpochStats[],
  stopped: boolean,
): Promise<void> {
  await call(() => trainer.checkpoint(path, JSON.stringify({ options: print, history, stopped })))
}

/** What a resumed fit must share with the one that wrote the checkpoint. */
function fingerprint(model: FitTarget, o: ResolvedFit): Record<string, unknown> {
  return {
    kind: model.kind,
    layers: model.layers,
    factors: model.factors,
    task: model.task,
    batchSize: o.batchSize,
    negatives: o.negatives,
    optimizer: o.optimizer,
    lr: o.lr,
    momentum: o.momentum ?? null,
    weightDecay: o.weightDecay,
    l2: o.l2,
    dropout: o.dropout,
    seed: o.seed,
    validation: o.validation,
    validationNegatives: o.validationNegatives,
    monitor: o.monitor,
    // Written out with their defaults, in one key order, so equal settings compare equal.
    reduceLrOnPlateau: o.plateau ? { factor: o.plateau.factor, patience: o.plateau.patience, minLr: o.plateau.minLr } : null,
    earlyStopping: o.earlyStopping ? { patience: o.earlyStopping.patience } : null,
    restoreBest: o.restoreBest,
    k: o.k,
    evaluate: o.evaluate,
  }
}

/** Reads a checkpoint's note and refuses it when it was written with other options. */
async function readResume(resumeFrom: unknown, print: Record<string, unknown>): Promise<{ history: EpochStats[]; stopped: boolean }> {
  if (typeof resumeFrom !== 'string' || resumeFrom.length === 0) throw invalid('resumeFrom', 'must be a checkpoint path')
  const note = JSON.parse(await call(() => native.readCheckpointNote(resumeFrom))) as {
    options?: Record<string, unknown>
    history?: EpochStats[]
    stopped?: boolean
  }
  const stored = note.options ?? {}
  const differs = Object.keys(print).filter((key) => JSON.stringify(stored[key]) !== JSON.stringify(print[key]))
  if (differs.length > 0) {
    throw invalid(
      'resumeFrom',
      `the checkpoint was written with other options (${differs.map((key) => `${key}: ${JSON.stringify(stored[key])} there, ${JSON.stringify(print[key])} here`).join('; ')})`,
    )
  }
  return { history: note.history ?? [], stopped: note.stopped === true }
}
