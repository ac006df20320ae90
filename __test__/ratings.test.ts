// Rating regression on both backends, rating metrics, baselines, a
// separate test file, and the rating scale kept in the model file.
import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Baseline, Dataset, GMF, MF, NcfModel, NeuMF } from '../index.js'
import { rejectsWith } from './helpers.js'

/** Ratings with planted structure (main effects and a taste × quality interaction), 80 users × 60 items. */
function ratings(): { users: string[]; items: string[]; ratings: number[]; timestamps: number[] } {
  const out = { users: [] as string[], items: [] as string[], ratings: [] as number[], timestamps: [] as number[] }
  for (let u = 0; u < 80; u++) {
    for (let j = 0; j < 25; j++) {
      const i = (u * 7 + j * 11) % 60
      const taste = u % 2 === 0 ? 1 : -1
      const quality = (i % 5) - 2
      out.users.push(`u${u}`)
      out.items.push(`i${i}`)
      // User and item main effects (what the bias baseline captures) plus the taste × quality
      // interaction (what factors capture).
      const main = ((u % 3) - 1) * 0.8 + ((i % 4) - 1.5) * 0.6
      out.ratings.push(Math.min(5, Math.max(1, Math.round(3 + main + taste * quality * 0.7 + ((u + i) % 3) * 0.3))))
      out.timestamps.push(1000 * u + j)
    }
  }
  return out
}

async function ratedSplit(): Promise<Dataset> {
  return Dataset.fromArrays(ratings()).split({ method: 'random', testRatio: 0.2, validationRatio: 0.1, negatives: 5, seed: 1 })
}

for (const device of ['cpu', 'gpu'] as const) {
  test(`${device}: every model learns ratings, beats the baselines' mean, and predicts inside the range`, async (t) => {
    const data = await ratedSplit()
    t.true(data.hasRatings)
    const mean = new Baseline({ kind: 'mean' })
    await mean.fit(data)
    const base = await mean.evaluate(data)
    for (const Model of [GMF, MF, NeuMF]) {
      const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, task: 'rating', device })
      t.is(m.task, 'rating')
      const h = await m.fit(data, { epochs: 12, lr: 0.01, batchSize: 64 })
      const last = h.epochs.at(-1)!
      t.true(h.epochs[0].loss > last.loss, `${Model.name}: the MSE falls`)
      t.true(last.rating!.rmse > 0 && last.validationRating !== undefined)
      t.true(last.trainRating!.rmse < h.epochs[0].trainRating!.rmse, `${Model.name}: the training RMSE falls`)
      t.true(h.bestEpoch! >= 1, `epochs chosen on validation RMSE: an epoch beats the untrained weights (${h.bestEpoch})`)
      const r = await m.evaluate(data, { metrics: ['rmse', 'mae', 'r2'] })
      t.true(r.rmse! < base.rmse!, `${Model.name} RMSE ${r.rmse} vs global mean ${base.rmse}`)
      t.true(r.r2! > 0, `${Model.name} R² ${r.r2}`)
      t.is(r.backend, device)
      const p = await m.predict(['u1', 'u2', 'u3'], ['i0', 'i1', 'i2'])
      t.true(Array.from(p).every((x) => x >= 1 && x <= 5), `clipped to 1–5: ${p}`)
      const top = await m.recommend('u4', { k: 3 })
      t.true(top.every((x) => x.score >= 1 && x.score <= 5), 'recommend reports predicted ratings')
      m.dispose()
    }
  })
}

test('GPU and CPU agree on a rating epoch and on RMSE', async (t) => {
  const data = await ratedSplit()
  const [c, g] = [0, 1].map(() => new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 6, task: 'rating', seed: 4 }))
  const hc = await c.fit(data, { epochs: 2, lr: 0.01, device: 'cpu' })
  const hg = await g.fit(data, { epochs: 2, lr: 0.01, device: 'gpu' })
  for (let e = 0; e < 2; e++) {
    t.true(Math.abs(hc.epochs[e].loss - hg.epochs[e].loss) <= 1e-4 * hc.epochs[e].loss)
    t.true(Math.abs(hc.epochs[e].rating!.rmse - hg.epochs[e].rating!.rmse) <= 1e-3)
  }
})

test('rating models save their scale; baselines; a separate test file; errors', async (t) => {
  const data = await ratedSplit()
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, task: 'rating', clip: false, device: 'cpu' })
  await rejectsWith(t, m.predict([1], [1]), 'ERR_INVALID_ARG', /^predict: a rating model learns its rating scale/)
  await m.fit(data, { epochs: 2, lr: 0.01 })
  const scale = m.ratingScale!
  t.true(scale.mean > 1 && scale.mean < 5 && scale.min === 1 && scale.max === 5 && scale.clip === false)
  const path = join(mkdtempSync(join(tmpdir(), 'ncf-rating-')), 'gmf.ncf')
  await m.save(path)
  const back = await NcfModel.load(path, { device: 'cpu' })
  t.is(back.task, 'rating')
  t.deepEqual(back.ratingScale, scale)
  t.deepEqual(await back.predict(['u1', 'u9'], ['i3', 'i4']), await m.predict(['u1', 'u9'], ['i3', 'i4']))
  t.deepEqual(await back.evaluate(data, { metrics: ['rmse'] }), await m.evaluate(data, { metrics: ['rmse'] }))

  const bias = new Baseline()
  await bias.fit(data)
  const mean = new Baseline({ kind: 'mean' })
  await mean.fit(data)
  const [b, g] = [await bias.evaluate(data), await mean.evaluate(data)]
  t.true(b.rmse! < g.rmse!, `bias ${b.rmse} < mean ${g.rmse}`)
  t.is(mean.predict(['u1'], ['i2'])[0], scale.mean)

  const dir = mkdtempSync(join(tmpdir(), 'ncf-fold-'))
  writeFileSync(join(dir, 'u1.base'), '1\t10\t5\t1\n1\t11\t3\t2\n2\t10\t4\t3\n2\t12\t2\t4\n')
  writeFileSync(join(dir, 'u1.test'), '1\t12\t4\t5\n3\t10\t5\t6\n')
  const fold = await Dataset.fromFile(join(dir, 'u1.base'), { format: 'movielens', test: join(dir, 'u1.test') })
  t.is(fold.numUsers, 3, 'user 3 only rates in the test file')
  t.is(fold.numTestCases, 2)
  t.is(fold.testNegatives, 0)
  const f = new MF({ numUsers: 3, numItems: 3, factors: 2, task: 'rating', device: 'cpu' })
  await f.fit(fold, { epochs: 1 })
  t.is((await f.evaluate(fold, { metrics: ['mae'] })).count, 2)
  await rejectsWith(t, f.evaluate(fold), 'ERR_DATA', /no sampled negatives to rank against/)

  const implicit = new GMF({ numUsers: data.numUsers, numItems: data.numItems, device: 'cpu' })
  await rejectsWith(t, implicit.evaluate(data, { metrics: ['rmse'] }), 'ERR_INVALID_ARG', /apply to rating models/)
  await rejectsWith(t, m.evaluate(data, { metrics: ['auc' as never] }), 'ERR_INVALID_ARG', /^metrics\[0\]/)
  await rejectsWith(t, m.evaluate(data, { metrics: ['rmse'], k: 5 }), 'ERR_INVALID_ARG', /^k: applies to ranking/)
  await rejectsWith(t, m.fit(data, { negatives: 4 }), 'ERR_INVALID_ARG', /^negatives: rating regression trains on the observed ratings only/)
  await rejectsWith(t, m.fit(data, { monitor: 'hr' }), 'ERR_INVALID_ARG', /^monitor: a rating model is monitored by 'rmse'/)
  await rejectsWith(t, implicit.fit(data, { monitor: 'rmse' }), 'ERR_INVALID_ARG', /'rmse' applies to rating models/)
  t.throws(() => new GMF({ numUsers: 2, numItems: 2, clip: true }), { message: /clip: applies to task: 'rating'/ })
  t.throws(() => new GMF({ numUsers: 2, numItems: 2, task: 'ranking' as never }), { message: /task: must be 'implicit' or 'rating'/ })
  const unrated = Dataset.fromArrays({ users: ['a', 'b'], items: ['x', 'y'] })
  const r = new MF({ numUsers: 2, numItems: 2, task: 'rating', device: 'cpu' })
  await rejectsWith(t, r.fit(unrated), 'ERR_DATA', /task 'rating' needs ratings/)
  for (const x of [m, back, f, implicit, r]) x.dispose()
})

test('review regressions: baselines and models refuse other encodings, sizes and unusable options', async (t) => {
  const data = await ratedSplit()
  const bias = new Baseline()
  await bias.fit(data)
  // The same interactions with one more user: every index after it would shift.
  const raw = ratings()
  const other = await Dataset.fromArrays({ ...raw, users: [...raw.users, 'a-new-user'], items: [...raw.items, 'i1'], ratings: [...raw.ratings, 4], timestamps: [...raw.timestamps, 1] })
    .split({ method: 'random', testRatio: 0.2, negatives: 5, seed: 1 })
  await rejectsWith(t, bias.evaluate(other), 'ERR_INVALID_ARG', /user ids differ from the model's/)
  const dense = Dataset.fromArrays({ users: Int32Array.of(0, 1), items: Int32Array.of(0, 1), ratings: [4, 2] })
  const b2 = new Baseline()
  await b2.fit(dense)
  t.throws(() => b2.predict([5], [0]), { message: /users\[0\]: index 5 is not below the 2/ })
  // A model built for other sizes cannot adopt a dataset's ids.
  const big = new GMF({ numUsers: data.numUsers + 5, numItems: data.numItems, task: 'rating', device: 'cpu' })
  await rejectsWith(t, big.fit(data, { epochs: 1 }), 'ERR_INVALID_ARG', /build it with numUsers: data.numUsers/)
  // A fit that cannot start changes nothing: no scale is learned.
  t.is(big.ratingScale, undefined)
  const m = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 2, task: 'rating', device: 'cpu' })
  await m.fit(data, { epochs: 1 })
  await rejectsWith(t, m.recommend('u1', { excludeSeen: false, data }), 'ERR_INVALID_ARG', /^data: gives the seen items/)
  await rejectsWith(t, Dataset.fromFile('x.csv', { format: 'csv', seed: 3 }), 'ERR_INVALID_ARG', /^seed: seeds the negatives of a test file/)
  await rejectsWith(t, data.split({ negatives: 5 }), 'ERR_DATA', /already has a test set/)
  for (const x of [big, m]) x.dispose()
})
