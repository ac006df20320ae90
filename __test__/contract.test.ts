// One contract suite per model (GMF, MF, MLP, NeuMF) × backend (cpu, gpu): every model and
// backend must train, evaluate and behave the same through the public API.
import test from 'ava'
import { Dataset, GMF, MF, MLP, NeuMF, gpuInfo, type Device, type FitOptions } from '../index.ts'
import { randomHr, rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 400, numItems: 300, perUser: 20, seed: 3 })
const rows = data.numUsers + data.numItems

/** Weights of the paper's 3-layer tower [8f, 4f, 2f, f]: Σ (out·in + out). */
const towerLen = (f: number) => [8, 4, 2].reduce((n, w) => n + (w / 2) * f * (w * f) + (w / 2) * f, 0)

const MODELS = [
  ['GMF', GMF, (f: number) => rows * f + f + 1],
  ['MF', MF, (f: number) => rows * f + rows + 1],
  ['MLP', MLP, (f: number) => rows * 4 * f + towerLen(f) + f + 1],
  ['NeuMF', NeuMF, (f: number) => rows * f + rows * 4 * f + towerLen(f) + 2 * f + 1],
] as const

for (const [name, Model, weightCount] of MODELS) {
for (const device of ['cpu', 'gpu'] as Device[]) {
  test(`${name} × ${device}: trains, beats a random ranker, and evaluate agrees with the history`, async (t) => {
    const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 12, seed: 5 })
    const before = m.weights()
    const seen: number[] = []
    const h = await m.fit(data, { epochs: 4, lr: 0.005, seed: 9, device, onEpoch: (e) => void seen.push(e.epoch) })
    t.is(h.backend, device)
    t.deepEqual(seen, [1, 2, 3, 4])
    t.is(h.epochs.length, 4)
    for (const e of h.epochs) {
      t.true(Number.isFinite(e.loss) && e.loss > 0)
      t.is(e.samples, data.numInteractions * 5)
      t.true(e.seconds > 0)
      t.true(e.hr! >= 0 && e.hr! <= 1 && e.ndcg! >= 0 && e.ndcg! <= e.hr!)
    }
    t.true(h.epochs[3].loss < h.epochs[0].loss, 'loss decreases')
    const last = h.epochs[3]
    t.true(last.hr! > 3 * randomHr(10, data.testNegatives), `HR@10 ${last.hr} vs random ${randomHr(10, 99)}`)
    const ev = await m.evaluate(data, { k: 10, device })
    t.is(ev.backend, device)
    t.is(ev.cases, data.numTestCases)
    t.true(Math.abs(ev.hr - last.hr!) < 1e-9)
    t.true(Math.abs(ev.ndcg - last.ndcg!) < 1e-6)
    t.is(m.kind, name)
    const w = m.weights()
    t.is(w.length, weightCount(12))
    t.true(w.every(Number.isFinite))
    t.notDeepEqual(w, before)
    const ev1 = await m.evaluate(data, { k: 1, device })
    t.true(ev1.hr <= ev.hr)
    m.dispose()
  })

  test(`${name} × ${device}: a seed repeats the run; onEpoch can stop early`, async (t) => {
    const run = async (stopAt?: number) => {
      const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2 })
      const h = await m.fit(data, { epochs: 3, lr: 0.01, seed: 4, device, onEpoch: (e) => (stopAt && e.epoch >= stopAt ? false : undefined) })
      return { h, w: m.weights() }
    }
    const a = await run()
    const b = await run()
    // The CPU backend is bit-deterministic. GPU atomics sum in varying order; in the towers a
    // ReLU unit near 0 amplifies that over the epochs (lr 0.01 here), so later epochs of MLP and
    // NeuMF get a looser bound than the first.
    const neural = name === 'MLP' || name === 'NeuMF'
    a.h.epochs.forEach((e, i) => {
      const tol = device === 'cpu' ? 0 : !neural ? 1e-4 : i === 0 ? 1e-3 : 2e-2
      t.true(Math.abs(e.loss - b.h.epochs[i].loss) <= tol * e.loss, `epoch ${i + 1}: loss ${e.loss} vs ${b.h.epochs[i].loss}`)
    })
    const c = await run(2)
    t.is(c.h.epochs.length, 2)
  })

  test(`${name} × ${device}: validation chooses the epoch and its weights are kept`, async (t) => {
    const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, seed: 5 })
    const snapshots: Float32Array[] = []
    // lr 0.02 overfits this data after a few epochs, so the best epoch is not the last.
    const h = await m.fit(data, {
      epochs: 6,
      lr: 0.02,
      seed: 9,
      device,
      validation: 'leave-one-out',
      validationNegatives: 50,
      onEpoch: () => void snapshots.push(m.weights()),
    })
    t.false(h.stoppedEarly)
    const vals = h.epochs.map((e) => e.validation!.hr)
    t.true(vals.every((v) => v >= 0 && v <= 1))
    // The first epoch reaching the maximum wins (a tie is no improvement).
    const best = vals.indexOf(Math.max(...vals)) + 1
    t.is(h.bestEpoch, best, `validation HR by epoch: ${vals.join(', ')}`)
    t.deepEqual(m.weights(), snapshots[best - 1])
    // Test metrics are still reported every epoch, and evaluate sees the restored weights.
    const ev = await m.evaluate(data, { device })
    t.true(Math.abs(ev.hr - h.epochs[best - 1].hr!) < 1e-9)
    // The held-out interactions are not trained on: one fewer positive per user.
    t.is(h.epochs[0].samples, (data.numInteractions - data.numUsers) * 5)
  })

  test(`${name} × ${device}: early stopping and ReduceLROnPlateau follow the validation metric`, async (t) => {
    const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, seed: 5 })
    const h = await m.fit(data, {
      epochs: 30,
      lr: 0.02,
      seed: 9,
      device,
      validation: 'leave-one-out',
      validationNegatives: 50,
      earlyStopping: { patience: 3 },
      reduceLrOnPlateau: { factor: 0.5, patience: 0 },
    })
    t.true(h.stoppedEarly, `ran ${h.epochs.length} epochs`)
    const vals = h.epochs.map((e) => e.validation!.hr)
    const best = vals.indexOf(Math.max(...vals)) + 1
    t.is(h.bestEpoch, best)
    t.is(h.epochs.length, best + 3, 'stops after 3 epochs without a new best')
    // lr crosses as f32, hence 1e-6. patience 0: every epoch that fails to beat the running best by 1e-4 halves the rate.
    let top = -Infinity
    let lr = 0.02
    for (const e of h.epochs) {
      t.true(Math.abs(e.lr - lr) <= 1e-6 * lr, `epoch ${e.epoch}: lr ${e.lr} vs ${lr}`)
      if (e.validation!.hr > top * (1 + 1e-4) || top === -Infinity) top = e.validation!.hr
      else lr *= 0.5
    }
    t.true(h.epochs.at(-1)!.lr < 0.02)
  })

  test(`${name} × ${device}: a diverging run is ERR_DIVERGED and keeps the last good weights`, async (t) => {
    const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 3 })
    const before = m.weights()
    await rejectsWith(t, m.fit(data, { epochs: 2, lr: 1e30, device }), 'ERR_DIVERGED', /mean loss of epoch 1 is NaN/)
    t.deepEqual(m.weights(), before)
    const ev = await m.evaluate(data, { device })
    t.true(Number.isFinite(ev.hr))
  })
}
}

for (const opt of [
  { optimizer: 'adam', lr: 0.002 },
  { optimizer: 'adam', lr: 0.002, weightDecay: 1e-4 },
  { optimizer: 'adam', lr: 0.002, l2: 1e-3 },
  { optimizer: 'sgd', lr: 0.5, momentum: 0.9, weightDecay: 1e-5 },
] as FitOptions[]) {
  test(`GPU and CPU backends agree epoch by epoch on identical samples: ${JSON.stringify(opt)}`, async (t) => {
    for (const [name, Model] of MODELS) {
    const fit = async (device: Device) => {
      const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 11 })
      return (await m.fit(data, { epochs: 2, seed: 12, device, ...opt })).epochs
    }
    const [g, c] = [await fit('gpu'), await fit('cpu')]
    for (let i = 0; i < 2; i++) {
      t.true(Math.abs(g[i].loss - c[i].loss) <= 1e-4 * c[i].loss, `${name} loss ${g[i].loss} vs ${c[i].loss}`)
      t.true(Math.abs(g[i].hr! - c[i].hr!) <= 2 / data.numTestCases, `${name} hr ${g[i].hr} vs ${c[i].hr}`)
    }
    t.true(g[1].loss < g[0].loss)
    }
  })
}

test('gpuInfo reports the adapter and its limits', async (t) => {
  const info = await gpuInfo()
  t.true(info.name.length > 0)
  t.regex(info.deviceType, /^(DiscreteGpu|IntegratedGpu|VirtualGpu|Cpu|Other)$/)
  t.regex(info.backend, /^(Vulkan|Metal|Dx12|Gl)$/)
  t.true(info.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024)
  t.true(info.workgroupSize > 0 && info.workgroupSize <= info.limits.maxComputeInvocationsPerWorkgroup)
})

test('training does not block the event loop', async (t) => {
  const big = Dataset.synthetic({ numUsers: 3000, numItems: 1500, perUser: 40, seed: 2 })
  const m = new GMF({ numUsers: big.numUsers, numItems: big.numItems, factors: 16 })
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  const start = performance.now()
  await m.fit(big, { epochs: 2, device: 'gpu', evaluate: false })
  const ms = performance.now() - start
  clearInterval(timer)
  // A blocked loop would tick at most once; a free one ticks about every 5 ms.
  t.true(ticks >= Math.min(20, ms / 20), `${ticks} ticks in ${ms.toFixed(0)} ms`)
})
