// Checkpoints and resumed fits. A fit interrupted after some epochs and resumed from
// its checkpoint ends where an uninterrupted fit with the same seed ends: the same history and
// weights (bit for bit on the CPU; on the GPU up to float-atomics summation order).
import test from 'ava'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Dataset, FitAbortedError, GMF, NeuMF, type FitOptions } from '../index.ts'
import { rejectsWith } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-ckpt-'))
const data = Dataset.synthetic({ numUsers: 300, numItems: 200, perUser: 12, seed: 9 })
const sizes = { numUsers: data.numUsers, numItems: data.numItems, factors: 8 }
const users = Int32Array.from({ length: 300 }, (_, k) => k % data.numUsers)
const items = Int32Array.from({ length: 300 }, (_, k) => (k * 13) % data.numItems)

for (const device of ['cpu', 'gpu'] as const) {
  test(`${device}: a fit resumed from its checkpoint matches the uninterrupted fit`, async (t) => {
    // The CPU is deterministic, so it runs the hardest case bit for bit: NeuMF with dropout and a
    // plateau schedule that one flipped validation case would change. On the GPU, float atomics
    // sum in another order each run, and the ReLU tower amplifies that (contract.test.ts needs
    // 2e-2 between two plain NeuMF runs), so it resumes GMF at a constant lr: no ReLU kinks
    // for the noise to flip. Restoring the GPU's Adam moments is checked at 1e-4 in
    // crates/ncf-gpu/tests/progress.rs.
    const make = () => (device === 'cpu' ? new NeuMF({ ...sizes, device, seed: 4 }) : new GMF({ ...sizes, device, seed: 4 }))
    const options: FitOptions =
      device === 'cpu'
        ? { epochs: 5, lr: 0.005, batchSize: 64, dropout: 0.1, seed: 2, validation: 'leave-one-out', reduceLrOnPlateau: { factor: 0.5, patience: 0 } }
        : { epochs: 5, lr: 0.005, batchSize: 64, seed: 2, validation: 'leave-one-out' }
    const whole = make()
    const full = await whole.fit(data, options)
    // Interrupted after epoch 3 (a checkpoint after each epoch).
    const path = join(dir, `${device}.ckpt`)
    const ac = new AbortController()
    const first = make()
    const e = await t.throwsAsync(
      first.fit(data, { ...options, checkpoint: { path }, signal: ac.signal, onEpoch: (s) => void (s.epoch === 3 && ac.abort()) }),
    )
    t.true(e instanceof FitAbortedError)
    t.is((e as FitAbortedError).history.epochs.length, 3)
    first.dispose()
    t.true(existsSync(path))
    // A fresh model continues from the file to epoch 5.
    const again = make()
    const rest = await again.fit(data, { ...options, resumeFrom: path })
    t.deepEqual(rest.epochs.map((x) => x.epoch), [1, 2, 3, 4, 5])
    if (device === 'cpu') t.is(rest.bestEpoch, full.bestEpoch)
    const close = (a: number, b: number) => (device === 'cpu' ? a === b : Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b)))
    for (let k = 0; k < 5; k++) {
      t.true(close(rest.epochs[k].loss, full.epochs[k].loss), `epoch ${k + 1} loss ${rest.epochs[k].loss} vs ${full.epochs[k].loss}`)
      t.is(rest.epochs[k].lr, full.epochs[k].lr, 'the plateau schedule continues')
    }
    const [a, b] = [await again.predict(users, items), await whole.predict(users, items)]
    t.true(Array.from(a).every((x, k) => close(x, b[k])), 'same weights')
    whole.dispose()
    again.dispose()
  })
}

test('resuming with other options or into another model is refused, naming what differs', async (t) => {
  const path = join(dir, 'gmf.ckpt')
  const m = new GMF({ ...sizes, device: 'cpu' })
  await m.fit(data, { epochs: 2, lr: 0.01, checkpoint: { path, every: 2 } })
  const before = await m.predict([0, 1, 2], [3, 4, 5])
  await rejectsWith(t, m.fit(data, { epochs: 3, lr: 0.02, resumeFrom: path }), 'ERR_INVALID_ARG', /^resumeFrom: the checkpoint was written with other options \(lr: 0\.01 there, 0\.02 here\)$/)
  t.deepEqual(await m.predict([0, 1, 2], [3, 4, 5]), before, 'a refused resume leaves the model alone')
  const bigger = new GMF({ ...sizes, factors: 16, device: 'cpu' })
  await rejectsWith(t, bigger.fit(data, { epochs: 3, lr: 0.01, resumeFrom: path }), 'ERR_INVALID_ARG', /^resumeFrom: the checkpoint was written with other options \(factors: 8 there, 16 here\)$/)
  await rejectsWith(t, m.fit(data, { epochs: 3, lr: 0.01, resumeFrom: join(dir, 'none.ckpt') }), 'ERR_IO', /none\.ckpt/)
  // Another dataset of the same shape resumed and trained on it.
  const twin = Dataset.synthetic({ numUsers: 300, numItems: 200, perUser: 12, seed: 10 })
  t.deepEqual([twin.numUsers, twin.numItems], [data.numUsers, data.numItems])
  await rejectsWith(t, m.fit(twin, { epochs: 3, lr: 0.01, resumeFrom: path }), 'ERR_INVALID_ARG', /^resumeFrom: the checkpoint was written with other options \(dataset: "[0-9a-f]{8}" there, "[0-9a-f]{8}" here\)$/)
  await m.save(join(dir, 'model.ncf'))
  await rejectsWith(t, m.fit(data, { epochs: 3, lr: 0.01, resumeFrom: join(dir, 'model.ncf') }), 'ERR_FORMAT', /not an ncf-native checkpoint/)
  await rejectsWith(t, m.fit(data, { epochs: 3, checkpoint: { path: '' } }), 'ERR_INVALID_ARG', /^checkpoint: must be \{ path, every\? \}/)
  // Resuming a finished run trains nothing more and returns its history.
  const done = await m.fit(data, { epochs: 2, lr: 0.01, resumeFrom: path })
  t.deepEqual(done.epochs.map((x) => x.epoch), [1, 2])
  m.dispose()
  bigger.dispose()
})

test('a checkpoint written when early stopping ended the run resumes to the same stopped run', async (t) => {
  const path = join(dir, 'stopped.ckpt')
  const options: FitOptions = { epochs: 30, lr: 0.05, seed: 1, validation: 'leave-one-out', earlyStopping: { patience: 1 } }
  const m = new GMF({ ...sizes, device: 'cpu' })
  const full = await m.fit(data, { ...options, checkpoint: { path, every: 5 } })
  t.true(full.stoppedEarly && full.epochs.length < 30, `stopped after ${full.epochs.length}`)
  const again = new GMF({ ...sizes, device: 'cpu' })
  const resumed = await again.fit(data, { ...options, checkpoint: { path, every: 5 }, resumeFrom: path })
  t.is(resumed.epochs.length, full.epochs.length, 'no epoch after the stop')
  t.true(resumed.stoppedEarly)
  t.is(resumed.bestEpoch, full.bestEpoch)
  t.deepEqual(await again.predict(users, items), await m.predict(users, items))
  m.dispose()
  again.dispose()
})
