// iALS (the ALS class, optimizer 'als') through the public API: it trains to a
// strong ranker in a few epochs, lowers its objective every epoch, refuses every option that
// would have no effect, and saves and loads as an ALS.
import test from 'ava'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { ALS, Dataset, GMF, MF, NcfModel } from '../index.ts'
import { randomHr, rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 400, numItems: 300, perUser: 20, seed: 3 })
const dir = mkdtempSync(join(tmpdir(), 'ncf-als-'))

test('ALS trains to a strong ranker, lowering its objective every epoch', async (t) => {
  const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, seed: 1 })
  t.is(als.kind, 'ALS')
  t.false(als.biases)
  const h = await als.fit(data, { epochs: 5, device: 'cpu' })
  t.is(h.backend, 'cpu')
  t.is(h.epochs.length, 5)
  for (let k = 1; k < 5; k++) {
    t.true(h.epochs[k].loss <= h.epochs[k - 1].loss + 1e-9, `epoch ${k + 1}: ${h.epochs[k].loss} after ${h.epochs[k - 1].loss}`)
  }
  t.is(h.epochs[0].samples, data.numInteractions, 'an epoch solves against every observed pair once')
  const last = h.epochs[4]
  t.true(last.hr! > 4 * randomHr(10, data.testNegatives), `HR@10 ${last.hr}`)
  // As good a ranker as GMF trained by Adam on the same data for as many epochs, within two
  // standard errors of HR over these 400 cases (√(0.7·0.3/400) ≈ 0.023).
  const gmf = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, seed: 1 })
  const g = await gmf.fit(data, { epochs: 5, device: 'cpu', lr: 0.005 })
  t.true(last.hr! >= g.epochs[4].hr! - 0.05, `ALS ${last.hr} vs GMF ${g.epochs[4].hr}`)
  const ev = await als.evaluate(data, { device: 'cpu' })
  t.true(Math.abs(ev.hr - last.hr!) < 1e-9)
  const recs = await als.recommend(0, { k: 5 })
  t.is(recs.length, 5)
  t.true(recs.every((r) => Number.isFinite(r.score)))
  const sim = await als.similarItems(3, { k: 4 })
  t.is(sim.length, 4)
  als.dispose()
  gmf.dispose()
})

test('ALS refuses the options of gradient training, and alpha outside ALS', async (t) => {
  const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 })
  for (const [field, value] of [['lr', 0.01], ['batchSize', 64], ['negatives', 2], ['dropout', 0.1], ['weightDecay', 0.1], ['sparse', true]] as const) {
    await rejectsWith(t, als.fit(data, { epochs: 1, device: 'cpu', [field]: value }), 'ERR_INVALID_ARG', new RegExp(`^${field}: does not apply to optimizer 'als'`))
  }
  await rejectsWith(t, als.fit(data, { epochs: 1, device: 'cpu', l2: 0 }), 'ERR_INVALID_ARG', /^l2: ALS needs a positive regularization/)
  await rejectsWith(t, als.fit(data, { epochs: 1, device: 'cpu', alpha: -1 }), 'ERR_INVALID_ARG', /^alpha: must be a finite number >= 0/)
  const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 })
  await rejectsWith(t, mf.fit(data, { epochs: 1, device: 'cpu', optimizer: 'als' }), 'ERR_INVALID_ARG', /^optimizer: 'als' trains a dot-product model without biases/)
  await rejectsWith(t, mf.fit(data, { epochs: 1, device: 'cpu', alpha: 0.5 }), 'ERR_INVALID_ARG', /^alpha: applies to optimizer 'als' only/)
  t.throws(() => new ALS({ numUsers: 3, numItems: 3, biases: true } as never), { message: /^biases: does not apply to ALS/ })
  als.dispose()
  mf.dispose()
})

test('an ALS saves and loads as an ALS, and its next fit is ALS again', async (t) => {
  const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2 })
  await als.fit(data, { epochs: 2, device: 'cpu', cgSteps: 3 })
  const path = join(dir, 'als.ncf')
  await als.save(path)
  const back = await NcfModel.load(path)
  t.true(back instanceof ALS)
  t.is(back.kind, 'ALS')
  t.deepEqual(back.weights(), als.weights())
  const again = await ALS.load(path)
  const h = await again.fit(data, { epochs: 1, device: 'cpu' })
  t.is(h.epochs[0].samples, data.numInteractions, 'the default optimizer of a loaded ALS is als')
  await rejectsWith(t, MF.load(path), 'ERR_FORMAT', /holds a ALS model, not a MF/)
  for (const m of [als, back, again]) m.dispose()
})

test('ALS trains the same on the GPU backend as on the CPU', async (t) => {
  const run = async (device: 'cpu' | 'gpu') => {
    const m = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 12, seed: 4 })
    const h = await m.fit(data, { epochs: 2, device })
    const w = m.weights()
    m.dispose()
    return { h, w }
  }
  const [cpu, gpu] = [await run('cpu'), await run('gpu')]
  t.is(gpu.h.backend, 'gpu')
  for (let e = 0; e < 2; e++) {
    t.true(Math.abs(gpu.h.epochs[e].loss - cpu.h.epochs[e].loss) <= 1e-4 * cpu.h.epochs[e].loss)
    t.true(Math.abs(gpu.h.epochs[e].hr! - cpu.h.epochs[e].hr!) <= 0.01)
  }
  // Within 1e-4 + 2e-3·|cpu| per factor, as tests/als_parity.rs asserts kernel by kernel.
  const off = gpu.w.filter((x, k) => Math.abs(x - cpu.w[k]) > 1e-4 + 2e-3 * Math.abs(cpu.w[k])).length
  t.is(off, 0, `${off} of ${cpu.w.length} factors differ`)
  const exact = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 4 })
  await rejectsWith(t, exact.fit(data, { epochs: 1, device: 'gpu', cgSteps: 0 }), 'ERR_INVALID_ARG', /^cgSteps: the GPU solves rows by conjugate gradient/)
  exact.dispose()
})
