// Live progress during an epoch and cancellation with an AbortSignal, on both backends.
import test from 'ava'

import { Dataset, FitAbortedError, GMF, NcfError, type FitProgress } from '../index.ts'
import { failingCallbackStops, rejectsWith } from './helpers.ts'

// ~48k samples at batch 16: ~3,000 steps, several GPU submits per epoch.
const data = Dataset.synthetic({ numUsers: 800, numItems: 400, perUser: 12, seed: 5 })
const sizes = { numUsers: data.numUsers, numItems: data.numItems, factors: 8 }
const fitOptions = { lr: 0.01, batchSize: 16, seed: 3, evaluate: false } as const

for (const device of ['cpu', 'gpu'] as const) {
  test(`${device}: onProgress reports batches, samples/s, ETA and the running loss`, async (t) => {
    const m = new GMF({ ...sizes, device })
    const seen: FitProgress[] = []
    const h = await m.fit(data, { ...fitOptions, epochs: 2, progressEvery: 10, onProgress: (p) => seen.push(p) })
    for (const epoch of [1, 2]) {
      const mine = seen.filter((p) => p.epoch === epoch)
      t.true(mine.length >= 1, `epoch ${epoch} reported`)
      const last = mine.at(-1)!
      t.is(last.steps, last.totalSteps, 'the last report of an epoch is complete')
      t.is(last.samples, h.epochs[epoch - 1].samples)
      t.true(Math.abs(last.loss! - h.epochs[epoch - 1].loss) <= 1e-5 * h.epochs[epoch - 1].loss, `running loss ${last.loss} vs ${h.epochs[epoch - 1].loss}`)
      t.is(last.etaSeconds, 0)
      for (let k = 1; k < mine.length; k++) t.true(mine[k].steps >= mine[k - 1].steps, 'steps only grow')
      t.true(mine.every((p) => p.epochs === 2 && p.samplesPerSecond >= 0 && p.totalSteps === Math.ceil(p.totalSteps)))
    }
    m.dispose()
  })

  test(`${device}: an AbortSignal stops mid-epoch and keeps the last complete epoch`, async (t) => {
    const ac = new AbortController()
    const m = new GMF({ ...sizes, device })
    let err: unknown
    try {
      await m.fit(data, {
        ...fitOptions,
        epochs: 5,
        progressEvery: 10,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.epoch === 2 && p.steps < p.totalSteps && !ac.signal.aborted) ac.abort(new Error('user pressed stop'))
        },
        // A fast machine can finish epoch 2 between two 10 ms reports, and a starved event loop
        // can miss it: then the abort comes as epoch 2 ends, so the run never trains on to 5.
        onEpoch: (s) => {
          if (s.epoch === 2 && !ac.signal.aborted) ac.abort(new Error('user pressed stop'))
        },
      })
    } catch (e) {
      err = e
    }
    t.true(err instanceof FitAbortedError, String(err))
    const e = err as FitAbortedError
    t.true(e instanceof NcfError)
    t.is(e.code, 'ERR_ABORTED')
    t.is((e.cause as Error).message, 'user pressed stop')
    // Aborted during epoch 2, or as it ended (the fallback above).
    t.true(e.history.epochs.length >= 1 && e.history.epochs.length <= 2, `${e.history.epochs.length} complete epochs`)
    const done = e.history.epochs.length
    // The weights are those of `done` uninterrupted epochs.
    const ref = new GMF({ ...sizes, device })
    await ref.fit(data, { ...fitOptions, epochs: done })
    const users = Int32Array.from({ length: 200 }, (_, k) => k % data.numUsers)
    const items = Int32Array.from({ length: 200 }, (_, k) => (k * 7) % data.numItems)
    const [a, b] = [await m.predict(users, items), await ref.predict(users, items)]
    // CPU: bit for bit; GPU: float atomics sum in varying order.
    const tol = device === 'cpu' ? 0 : 1e-4
    t.true(Array.from(a).every((x, k) => Math.abs(x - b[k]) <= tol * Math.max(1, Math.abs(b[k]))), 'weights of the last complete epoch')
    // The model is usable afterwards.
    const again = await m.fit(data, { ...fitOptions, epochs: 1 })
    t.is(again.epochs.length, 1)
    m.dispose()
    ref.dispose()
  })
}

test('an already-aborted signal trains nothing; bad progress options are errors', async (t) => {
  const m = new GMF({ ...sizes, device: 'cpu' })
  const before = await m.predict([0, 1], [0, 1])
  const ac = new AbortController()
  ac.abort()
  const e = await t.throwsAsync(m.fit(data, { ...fitOptions, epochs: 3, signal: ac.signal }))
  t.true(e instanceof FitAbortedError)
  t.is((e as FitAbortedError).history.epochs.length, 0)
  t.deepEqual(await m.predict([0, 1], [0, 1]), before)
  await rejectsWith(t, m.fit(data, { epochs: 1, onProgress: 3 as never }), 'ERR_INVALID_ARG', /^onProgress: must be a function/)
  await rejectsWith(t, m.fit(data, { epochs: 1, progressEvery: 0 }), 'ERR_INVALID_ARG', /^progressEvery: must be at least 10/)
  await rejectsWith(t, m.fit(data, { epochs: 1, signal: {} as never }), 'ERR_INVALID_ARG', /^signal: must be an AbortSignal/)
  m.dispose()
})

// A failing callback (a throw, or an async one's rejection) must neither crash the process from
// a timer nor leave an unhandled rejection: it stops the fit, which rejects with ERR_CALLBACK
// naming the callback, its error as cause.
for (const kind of ['throws', 'rejects'] as const) {
  test(`cpu: an onProgress that ${kind} stops the fit with its error and is not called again`, async (t) => {
    const m = new GMF({ ...sizes, device: 'cpu' })
    await failingCallbackStops(t, kind, (onProgress) => m.fit(data, { ...fitOptions, epochs: 3, progressEvery: 10, onProgress }))
    const h = await m.fit(data, { ...fitOptions, epochs: 1 })
    t.is(h.epochs.length, 1, 'the model trains again')
    m.dispose()
  })
}

for (const kind of ['throws', 'rejects'] as const) {
  test(`cpu: an onEpoch that ${kind} stops the fit after that epoch with ERR_CALLBACK, keeping its weights`, async (t) => {
    const m = new GMF({ ...sizes, device: 'cpu' })
    await failingCallbackStops(t, kind, (onEpoch) => m.fit(data, { ...fitOptions, epochs: 3, onEpoch }), 'onEpoch')
    // The model is free again and keeps the first epoch's weights (not the starting ones).
    const fresh = new GMF({ ...sizes, device: 'cpu' })
    t.notDeepEqual(m.weights(), fresh.weights())
    const h = await m.fit(data, { ...fitOptions, epochs: 1 })
    t.is(h.epochs.length, 1, 'the model trains again')
    fresh.dispose()
    m.dispose()
  })
}
