// Seeded synthetic data at ML-20M and Netflix size (Dataset.syntheticAtScale): the
// named sizes, overrides, determinism, planted structure a model learns, and refusals.
import test from 'ava'

import { Dataset, GMF } from '../index.ts'
import { randomHr, rejectsWith } from './helpers.ts'

const small = { numUsers: 2000, numItems: 1000, interactions: 80_000, minPerUser: 5, testUsers: 400, seed: 3 }

test('a custom size has the counts asked for, its test users and sampled negatives', async (t) => {
  const d = await Dataset.syntheticAtScale(small)
  t.is(d.numUsers, 2000)
  t.is(d.numItems, 1000)
  t.is(d.numTestCases, 400)
  t.is(d.testNegatives, 99)
  const total = d.numInteractions + d.numTestCases
  t.true(Math.abs(total - 80_000) / 80_000 < 0.01, `${total} interactions`)
})

test('the same options give the same data; another seed other data', async (t) => {
  const losses = async (options: typeof small) => {
    const d = await Dataset.syntheticAtScale(options)
    const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 8, device: 'cpu' })
    const h = await m.fit(d, { epochs: 1, evaluate: false })
    return [d.numInteractions, h.epochs[0].loss]
  }
  const [a, b, c] = [await losses(small), await losses(small), await losses({ ...small, seed: 4 })]
  t.deepEqual(a, b)
  t.notDeepEqual(a, c)
})

test('a model learns on scale-shaped data (the clusters themselves: data::scale tests)', async (t) => {
  const d = await Dataset.syntheticAtScale(small)
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 16, device: 'cpu' })
  const before = (await m.evaluate(d)).hr
  const h = await m.fit(d, { epochs: 4, batchSize: 512, sparse: true, lr: 0.005 })
  const hr = h.epochs.at(-1)!.hr!
  t.true(before < 2 * randomHr(10, 99), `untrained HR@10 ${before}`)
  t.true(hr > before + 0.3, `HR@10 ${before} untrained, ${hr} after 4 epochs`)
  t.true(h.epochs.every((e) => Number.isFinite(e.loss)))
})

test("the 'ml-20m' size is MovieLens-20M's shape", async (t) => {
  const d = await Dataset.syntheticAtScale({ size: 'ml-20m' })
  t.is(d.numUsers, 138_493)
  t.is(d.numItems, 26_744)
  t.is(d.numTestCases, 6040)
  const total = d.numInteractions + d.numTestCases
  t.true(Math.abs(total - 20_000_263) / 20_000_263 < 0.01, `${total} interactions`)
})

test('bad sizes and fields are refused by name', async (t) => {
  // @ts-expect-error: not a size
  await rejectsWith(t, Dataset.syntheticAtScale({ size: 'ml-200m' }), 'ERR_INVALID_ARG', /^size: .*ml-200m/)
  await rejectsWith(t, Dataset.syntheticAtScale({ numUsers: 10, numItems: 100 }), 'ERR_INVALID_ARG', /^size: .*interactions/)
  await rejectsWith(t, Dataset.syntheticAtScale({ ...small, inCluster: 2 }), 'ERR_INVALID_ARG', /^inCluster: /)
  await rejectsWith(t, Dataset.syntheticAtScale({ ...small, interactions: -1 }), 'ERR_INVALID_ARG', /^interactions: /)
  await rejectsWith(t, Dataset.syntheticAtScale({ ...small, interactions: 1e12 }), 'ERR_INVALID_ARG', /^interactions: /)
  await rejectsWith(t, Dataset.syntheticAtScale({ ...small, testUsers: 2001 }), 'ERR_INVALID_ARG', /^testUsers: /)
  await rejectsWith(t, Dataset.syntheticAtScale({ ...small, numItems: 50 }), 'ERR_INVALID_ARG', /^numItems: /)
})
