// Using a trained model: predict, recommend (seen items excluded, allow-lists, k beyond the
// catalogue), similar items and users, embeddings, on both backends.
import test from 'ava'
import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Dataset, GMF, MF, NeuMF, NcfModel, type Device } from '../index.ts'
import { rejectsWith } from './helpers.ts'

// 40 users × 30 items; user u has seen items u % 30, (u + 7) % 30, (u + 13) % 30 and (u * 3) % 30.
const users: number[] = []
const items: number[] = []
for (let u = 0; u < 40; u++) for (const i of [u % 30, (u + 7) % 30, (u + 13) % 30, (u * 3) % 30]) users.push(u), items.push(i)
const data = Dataset.fromArrays({ users: Int32Array.from(users), items: Int32Array.from(items) })
const seen = (u: number) => new Set(items.filter((_, j) => users[j] === u))

async function trained(device: Device) {
  const m = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, layers: [16, 8] })
  await m.fit(data, { epochs: 3, lr: 0.01, device, evaluate: false })
  return m
}

for (const device of ['cpu', 'gpu'] as Device[]) {
  test(`${device}: recommend never returns a seen item, honours filterItems and k beyond the catalogue`, async (t) => {
    const m = await trained(device)
    const all = await m.recommend([0, 5, 39], { k: 1000, device })
    for (const [r, u] of [0, 5, 39].entries()) {
      t.is(all[r].length, data.numItems - seen(u).size, 'every unseen item, once')
      t.is(new Set(all[r].map((x) => x.id)).size, all[r].length)
      t.true(all[r].every((x) => !seen(u).has(x.id)))
      t.true(all[r].every((x, j) => j === 0 || all[r][j - 1].score >= x.score), 'best first')
    }
    const one = await m.recommend(5, { k: 3, device })
    t.deepEqual(one, all[1].slice(0, 3))
    const allowed = [1, 2, 3, 5, 8]
    const filtered = await m.recommend(1, { k: 10, filterItems: allowed, device })
    t.true(filtered.every((x) => allowed.includes(x.id) && !seen(1).has(x.id)))
    const withSeen = await m.recommend(1, { k: data.numItems, excludeSeen: false, device })
    t.is(withSeen.length, data.numItems)
    // A block-list, alone and after an allow-list.
    const blocked = [withSeen[0].id, withSeen[2].id] as number[]
    const without = await m.recommend(1, { k: data.numItems, excludeSeen: false, excludeItems: blocked, device })
    t.deepEqual(without, withSeen.filter((x) => !blocked.includes(x.id as number)))
    const both = await m.recommend(1, { k: 10, filterItems: allowed, excludeItems: [allowed[0], allowed[1]], device })
    t.true(both.length > 0 && both.every((x) => allowed.slice(2).includes(x.id as number)), `${both.map((x) => x.id)}`)
    await rejectsWith(t, m.recommend(1, { excludeItems: [30], device }), 'ERR_INVALID_ARG', /^excludeItems\[0\]: id 30 is not below numItems = 30$/)
    m.dispose()
  })
}

test('GPU and CPU agree on predict, recommend and evaluation-free scoring', async (t) => {
  const m = await trained('cpu')
  const [u, i] = [[0, 1, 2, 39, 39], [0, 29, 5, 4, 4]]
  const [g, c] = [await m.predict(u, i, { device: 'gpu' }), await m.predict(u, i, { device: 'cpu' })]
  t.is(g.length, 5)
  g.forEach((p, k) => t.true(p > 0 && p < 1 && Math.abs(p - c[k]) <= 1e-5, `${p} vs ${c[k]}`))
  t.is(g[3], g[4])
  const [rg, rc] = [await m.recommend(7, { k: 10, device: 'gpu' }), await m.recommend(7, { k: 10, device: 'cpu' })]
  rg.forEach((x, k) => t.true(Math.abs(x.score - rc[k].score) <= 1e-4, `rank ${k}: ${x.score} vs ${rc[k].score}`))
  // A score is a logit: σ(score) is the predicted probability, and each recommendation's
  // `predicted` is exactly predict's number (one meaning, named).
  const p = await m.predict([7], [rc[0].id], { device: 'cpu' })
  t.true(Math.abs(p[0] - 1 / (1 + Math.exp(-rc[0].score))) < 1e-6)
  const ps = await m.predict(rc.map(() => 7), rc.map((x) => x.id), { device: 'cpu' })
  rc.forEach((x, k) => t.true(Math.abs(x.predicted! - ps[k]) <= 1e-7, `rank ${k}: predicted ${x.predicted} vs predict ${ps[k]}`))
})

test('similar items and users, embeddings', async (t) => {
  const m = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 5 })
  await m.fit(data, { epochs: 2, lr: 0.01, device: 'cpu', evaluate: false })
  const sim = await m.similarItems(3, { k: 5 })
  t.is(sim.length, 5)
  t.false(sim.some((x) => x.id === 3), 'an item is not its own neighbour')
  t.true(sim.every((x, j) => x.score <= 1 + 1e-6 && x.score >= -1 - 1e-6 && (j === 0 || sim[j - 1].score >= x.score)))
  const e = m.embeddings()
  t.is(e.dim, 5)
  t.is(e.items.length, data.numItems * 5)
  t.is(e.users.length, data.numUsers * 5)
  const cos = (a: number, b: number) => {
    let [d, na, nb] = [0, 0, 0]
    for (let k = 0; k < 5; k++) {
      const [x, y] = [e.items[a * 5 + k], e.items[b * 5 + k]]
      d += x * y
      na += x * x
      nb += y * y
    }
    return d / Math.sqrt(na * nb)
  }
  t.true(Math.abs(sim[0].score - cos(3, sim[0].id)) < 1e-5)
  t.is((await m.similarUsers(0, { k: 100 })).length, data.numUsers - 1)
  const n = new NeuMF({ numUsers: 4, numItems: 6, factors: 3, layers: [8, 4] })
  t.is(n.embeddings().dim, 3 + 4)
})

test('inference errors name the field; a model saved without seen items needs data to exclude them', async (t) => {
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  await rejectsWith(t, m.predict([0, 1, 99], [0, 1, 2]), 'ERR_INVALID_ARG', /users\[2\]: id 99 is not below numUsers = 40/)
  await rejectsWith(t, m.predict([0, -1], [0, 1]), 'ERR_INVALID_ARG', /users\[1\]: must be a non-negative integer id/)
  await rejectsWith(t, m.predict([0], [0, 1]), 'ERR_INVALID_ARG', /items: has 2 entries but users has 1/)
  await rejectsWith(t, m.recommend(40), 'ERR_INVALID_ARG', /^user: id 40 is not below numUsers = 40$/)
  await rejectsWith(t, m.recommend(1, { k: 0 }), 'ERR_INVALID_ARG', /k: must be a positive integer/)
  await rejectsWith(t, m.recommend(1, { filterItems: [31] }), 'ERR_INVALID_ARG', /^filterItems\[0\]: id 31 is not below numItems = 30$/)
  await rejectsWith(t, m.similarItems(30), 'ERR_INVALID_ARG', /^item: id 30 is not below numItems = 30$/)
  await rejectsWith(t, m.recommend(1), 'ERR_INVALID_ARG', /excludeSeen: needs the users' interactions/)
  t.is((await m.recommend(1, { excludeSeen: false })).length, 10)
  const path = join(mkdtempSync(join(tmpdir(), 'ncf-infer-')), 'm.ncf')
  await m.fit(data, { epochs: 1, device: 'cpu', evaluate: false })
  // Saved without its seen items, a loaded model needs the data to exclude them.
  await m.save(path, { seen: false })
  const loaded = await NcfModel.load(path, { device: 'cpu' })
  await rejectsWith(t, loaded.recommend(1), 'ERR_INVALID_ARG', /excludeSeen/)
  t.deepEqual(await loaded.recommend(1, { data }), await m.recommend(1, { device: 'cpu' }))
  loaded.dispose()
})

test('full-ranking evaluation: harder than sampled, complete at k = numItems, same on both backends', async (t) => {
  const syn = Dataset.synthetic({ numUsers: 200, numItems: 300, perUser: 12, seed: 5 })
  const m = new GMF({ numUsers: syn.numUsers, numItems: syn.numItems, factors: 8 })
  await m.fit(syn, { epochs: 3, lr: 0.01, device: 'cpu', evaluate: false })
  const sampled = await m.evaluate(syn, { device: 'cpu' })
  const [fc, fg] = [
    await m.evaluate(syn, { device: 'cpu', protocol: 'full' }),
    await m.evaluate(syn, { device: 'gpu', protocol: 'full' }),
  ]
  t.is(sampled.protocol, 'sampled')
  t.is(fc.protocol, 'full')
  t.is(fc.recall, fc.hr)
  t.true(fc.hr < sampled.hr, `full ${fc.hr} vs sampled ${sampled.hr}: 300 candidates are harder than 100`)
  t.true(fc.hr > 10 / 300, 'better than a random ranker over all items')
  t.true(Math.abs(fc.hr - fg.hr) <= 2 / fc.cases && Math.abs(fc.ndcg - fg.ndcg) <= 2 / fc.cases)
  const all = await m.evaluate(syn, { device: 'cpu', protocol: 'full', k: syn.numItems })
  t.is(all.hr, 1)
  await rejectsWith(t, m.evaluate(syn, { protocol: 'exhaustive' as never }), 'ERR_INVALID_ARG', /protocol: must be 'sampled' or 'full'/)
})
