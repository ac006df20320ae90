// Datasets from the caller's ids, the three splits with validation cases, multi-positive
// full-ranking evaluation, models that take and return the caller's ids, seen items kept in the
// model file, and similarity on the GPU.
import test from 'ava'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Dataset, GMF, MF, NcfModel, NeuMF } from '../index.js'
import { rejectsWith } from './helpers.js'

/** 60 users with string ids, 40 items with numeric ids; user u likes items of its own taste group. */
function interactions(): { users: string[]; items: number[]; timestamps: number[] } {
  const users: string[] = []
  const items: number[] = []
  const timestamps: number[] = []
  for (let u = 0; u < 60; u++) {
    for (let j = 0; j < 12; j++) {
      users.push(`user-${u}`)
      items.push(1000 + ((u % 4) * 10 + ((j * 7 + u) % 10)))
      timestamps.push(1_700_000_000 + u * 100 + j)
    }
  }
  return { users, items, timestamps }
}

test('fromArrays with the caller ids: encoders, timestamps, threshold and bad entries', async (t) => {
  const raw = interactions()
  const d = Dataset.fromArrays(raw)
  t.is(d.numUsers, 60)
  t.is(d.numItems, 40)
  t.is(d.userIds?.[0], 'user-0')
  t.is(d.itemIds?.[0], 1000)
  t.is(d.numInteractions + d.duplicatesRemoved, raw.users.length)
  const ratings = raw.users.map((_, k) => 1 + (k % 5))
  const rated = Dataset.fromArrays({ ...raw, ratings, threshold: 4 })
  t.is(rated.numInteractions + rated.duplicatesRemoved, ratings.filter((r) => r >= 4).length)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a', null as never], items: [1, 2] }), 'ERR_INVALID_ARG', /^users\[1\]: must be a string or finite number id/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a', ''], items: [1, 2] }), 'ERR_INVALID_ARG', /^users\[1\]: is an empty id/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a', 'b'], items: [1] }), 'ERR_INVALID_ARG', /items: has 1 entries but users has 2/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a'], items: [1], timestamps: [NaN] }), 'ERR_INVALID_ARG', /^timestamps\[0\]: must be a finite number/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a'], items: [1], timestamps: [1.5] }), 'ERR_INVALID_ARG', /^timestamps\[0\]: must be an integer/)
  t.true(Dataset.fromArrays({ users: ['a'], items: [1], ratings: [3] }).hasRatings, 'ratings alone are kept for rating models')
  t.false(d.hasRatings)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a'], items: [1], threshold: 3 }), 'ERR_INVALID_ARG', /^threshold: needs ratings/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: Int32Array.of(0), items: [1] }), 'ERR_INVALID_ARG', /^items: must be an Int32Array like users/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: ['a'], items: [1], numUsers: 3 }), 'ERR_INVALID_ARG', /^numUsers: applies to typed arrays/)
  const typed = Dataset.fromArrays({ users: Int32Array.of(0, 0, 2), items: Int32Array.of(1, 3, 1), timestamps: [5, 6, 7] })
  t.is(typed.userIds, undefined)
  t.is((await typed.split({ negatives: 1 })).numTestCases, 1, 'only user 0 has two interactions')
})

test('the three splits: sizes, validation cases, determinism and errors', async (t) => {
  const d = Dataset.fromArrays(interactions())
  const total = d.numInteractions
  const loo = await d.split({ validation: true, negatives: 20 })
  t.is(loo.numTestCases, 60)
  t.is(loo.numValidationCases, 60)
  t.is(loo.numInteractions, total - 120)
  t.is(loo.testNegatives, 20)
  const time = await d.split({ method: 'time', testRatio: 0.25, validationRatio: 0.1, negatives: 10 })
  const random = await d.split({ method: 'random', testRatio: 0.25, validationRatio: 0.1, negatives: 10, seed: 3 })
  for (const s of [time, random]) {
    t.is(s.numTestCases + s.numValidationCases + s.numInteractions, total)
    t.true(s.numTestCases > s.numValidationCases && s.numValidationCases > 0)
  }
  const again = await d.split({ method: 'random', testRatio: 0.25, validationRatio: 0.1, negatives: 10, seed: 3 })
  t.is(again.numInteractions, random.numInteractions)
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 4, device: 'cpu' })
  t.deepEqual(await m.evaluate(again), await m.evaluate(random), 'a seed repeats the split')
  await rejectsWith(t, d.split({ testRatio: 0.3 }), 'ERR_INVALID_ARG', /^testRatio: applies to the 'random' and 'time' splits/)
  await rejectsWith(t, d.split({ method: 'time', validation: true }), 'ERR_INVALID_ARG', /^validation: applies to leave-one-out/)
  await rejectsWith(t, d.split({ method: 'random', testRatio: 0.7, validationRatio: 0.3, negatives: 10 }), 'ERR_INVALID_ARG', /must stay below 1/)
  await rejectsWith(t, d.split({ method: 'shuffle' as never }), 'ERR_INVALID_ARG', /^method: must be 'leave-one-out', 'random' or 'time'/)
  await rejectsWith(t, loo.split({ negatives: 10 }), 'ERR_DATA', /already has a test set/)
  const full = Dataset.fromArrays({ users: ['ann', 'ann', 'bob'], items: ['x', 'y', 'x'] })
  await rejectsWith(t, full.split({ negatives: 1 }), 'ERR_DATA', /^user 'ann' has only 0 items left to sample 1 test negatives/)
  await rejectsWith(t, d.split(), 'ERR_INVALID_ARG', /^negatives: must be a positive integer below the 40 items, got 99/)
  const undated = Dataset.fromArrays({ users: interactions().users, items: interactions().items })
  await rejectsWith(t, undated.split({ method: 'time', negatives: 10 }), 'ERR_INVALID_ARG', /'time' needs timestamps/)
  m.dispose()
})

test('fit chooses epochs on the dataset validation cases; full ranking reports recall over several held-out items', async (t) => {
  const d = await Dataset.fromArrays(interactions()).split({ method: 'time', testRatio: 0.25, validationRatio: 0.1, negatives: 20 })
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 8, device: 'cpu' })
  const h = await m.fit(d, { epochs: 3, lr: 0.02 })
  t.true(h.epochs.every((e) => e.validation !== undefined), 'validation: dataset is the default')
  t.is(typeof h.bestEpoch, 'number')
  const full = await m.evaluate(d, { protocol: 'full', k: 5 })
  t.is(full.cases, 60, 'one case per test user')
  t.true(full.recall !== undefined && full.recall < full.hr, `recall ${full.recall} < hr ${full.hr} with 3 held-out items per user`)
  const everything = await m.evaluate(d, { protocol: 'full', k: d.numItems })
  t.is(everything.recall, 1)
  t.is(everything.ndcg > 0.3, true)
  await rejectsWith(
    t,
    m.fit(await Dataset.fromArrays(interactions()).split({ negatives: 20 }), { validation: 'dataset' }),
    'ERR_INVALID_ARG',
    /'dataset' needs a dataset with validation cases/,
  )
  m.dispose()
})

test('models speak the caller ids, keep seen items across save and load, and rank similar items on the GPU', async (t) => {
  const data = Dataset.fromArrays(interactions())
  const m = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, layers: [16, 8, 4], device: 'cpu' })
  await m.fit(data, { epochs: 2, lr: 0.01, evaluate: false })
  t.is(m.userIds?.[5], 'user-13', 'string ids in sorted order')
  t.is(m.itemIds?.[0], 1000, 'integer ids come back as numbers')
  const top = await m.recommend('user-7', { k: 5 })
  t.is(top.length, 5)
  const seen = new Set(interactions().items.filter((_, k) => interactions().users[k] === 'user-7'))
  for (const r of top) {
    t.is(typeof r.id, 'number')
    t.false(seen.has(r.id as number), `recommended seen item ${r.id}`)
    t.is(m.decodeItems([r.index])[0], r.id)
  }
  const [p] = await m.predict(['user-7'], [top[0].id])
  t.true(Math.abs(p - 1 / (1 + Math.exp(-top[0].score))) < 1e-6)
  const only = await m.recommend('user-7', { k: 3, filterItems: [1001, 1002, 1003, 1004] })
  t.true(only.every((r) => [1001, 1002, 1003, 1004].includes(r.id as number)))
  await rejectsWith(t, m.recommend('nobody'), 'ERR_INVALID_ARG', /^user: unknown id 'nobody'$/)
  await rejectsWith(t, m.predict(['user-1', 'x'], [1000, 1000]), 'ERR_INVALID_ARG', /^users\[1\]: unknown id 'x'$/)
  await rejectsWith(t, m.similarItems(77), 'ERR_INVALID_ARG', /^item: unknown id '77'$/)

  // Saved with its seen items (the default), a restarted model excludes them by itself.
  const path = join(mkdtempSync(join(tmpdir(), 'ncf-ids-')), 'neumf.ncf')
  await m.save(path)
  const back = await NcfModel.load(path, { device: 'cpu' })
  t.deepEqual(await back.recommend(['user-7', 'user-30'], { k: 8 }), await m.recommend(['user-7', 'user-30'], { k: 8 }))
  t.deepEqual(back.userIds, m.userIds)

  // Similar items: the GPU kernel (lavapipe here) agrees with the CPU.
  const [cpu, gpu] = [await m.similarItems(1003, { k: 6 }), await m.similarItems(1003, { k: 6, device: 'gpu' })]
  t.false(cpu.some((r) => r.id === 1003), 'an item is not its own neighbour')
  t.deepEqual(gpu.map((r) => r.id).sort(), cpu.map((r) => r.id).sort())
  cpu.forEach((r, j) => t.true(Math.abs(r.score - gpu[j].score) < 1e-4))
  const many = await m.similarUsers(['user-1', 'user-2'], { k: 3, device: 'gpu' })
  t.is(many.length, 2)
  t.true(many[0].every((r) => typeof r.id === 'string' && r.id !== 'user-1'))
  m.dispose()
  back.dispose()
})

test('a model without ids treats ids as indices; MF on plain arrays round-trips', async (t) => {
  const d = Dataset.fromArrays({ users: Int32Array.of(0, 0, 1, 2), items: Int32Array.of(0, 1, 2, 3) })
  const m = new MF({ numUsers: 3, numItems: 4, factors: 2, device: 'cpu' })
  await m.fit(d, { epochs: 1, evaluate: false })
  const r = await m.recommend(0, { k: 4 })
  t.deepEqual(r.map((x) => x.id).sort(), [2, 3], 'items 0 and 1 are seen')
  t.true(r.every((x) => x.id === x.index))
  m.dispose()
})

test('after a fit on a split, recommend leaves out the held-out positives too (they are interactions)', async (t) => {
  const raw = interactions()
  const d = await Dataset.fromArrays(raw).split({ method: 'time', testRatio: 0.3, negatives: 10 })
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 4, device: 'cpu' })
  await m.fit(d, { epochs: 1, evaluate: false })
  for (const u of ['user-0', 'user-33']) {
    const rated = new Set(raw.items.filter((_, k) => raw.users[k] === u))
    const all = await m.recommend(u, { k: 1000 })
    t.is(all.length, d.numItems - rated.size, 'every item the user never had, and only those')
    t.false(all.some((r) => rated.has(r.id as number)))
  }
  m.dispose()
})

test('a dataset with other ids is refused rather than scored with the wrong indices', async (t) => {
  const raw = interactions()
  const d = await Dataset.fromArrays(raw).split({ negatives: 10 })
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 4, device: 'cpu' })
  await m.fit(d, { epochs: 1, evaluate: false })
  // Same sizes, other names: user-* renamed, so index 5 would be somebody else.
  const other = await Dataset.fromArrays({ ...raw, users: raw.users.map((u) => u.replace('user-', 'u')) }).split({ negatives: 10 })
  t.is(other.numUsers, d.numUsers)
  await rejectsWith(t, m.evaluate(other), 'ERR_INVALID_ARG', /^data: its user ids differ from the model's/)
  await rejectsWith(t, m.recommend('user-1', { data: other }), 'ERR_INVALID_ARG', /user ids differ/)
  await rejectsWith(t, m.fit(other, { epochs: 1 }), 'ERR_INVALID_ARG', /user ids differ/)
  t.is((await m.evaluate(d)).cases, 60, 'its own data still works')
  m.dispose()
})
