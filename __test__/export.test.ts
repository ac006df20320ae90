// Serving elsewhere. The ONNX export runs in ONNX Runtime (onnxruntime-node) and
// scores every pair as predict does, for every model kind; the MIPS vectors go into a real
// vector database (LanceDB, embedded) whose dot-product top-K is recommend's top-K.
import test from 'ava'
import * as lancedb from '@lancedb/lancedb'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'

import { ALS, Dataset, GMF, MF, MLP, NeuMF, type NcfModel } from '../index.ts'
import { rejectsWith } from './helpers.ts'

// Three tastes over 45 items: user u likes items of group u % 3.
const [users, items, ratings]: [string[], string[], number[]] = [[], [], []]
for (let u = 0; u < 90; u++) {
  for (let k = 0; k < 8; k++) {
    users.push(`u${u}`)
    items.push(`i${(u % 3) + 3 * ((u * 5 + k * 7) % 15)}`)
    ratings.push(1 + ((u + k) % 5))
  }
}
const data = Dataset.fromArrays({ users, items })
const rated = Dataset.fromArrays({ users, items, ratings })
const shape = { numUsers: data.numUsers, numItems: data.numItems, seed: 3, device: 'cpu' as const }
const dir = mkdtempSync(join(tmpdir(), 'ncf-export-'))

const kinds: [string, () => NcfModel, Dataset][] = [
  ['GMF', () => new GMF({ ...shape, factors: 6 }), data],
  ['GMF with biases, rating', () => new GMF({ ...shape, factors: 6, task: 'rating', biases: true }), rated],
  ['MF', () => new MF({ ...shape, factors: 6 }), data],
  ['MLP', () => new MLP({ ...shape, layers: [16, 8, 4] }), data],
  ['NeuMF', () => new NeuMF({ ...shape, factors: 4, layers: [16, 8] }), data],
  ['ALS', () => new ALS({ ...shape, factors: 6 }), data],
]

for (const [name, make, d] of kinds) {
  test(`${name} exported to ONNX scores as predict does in onnxruntime-node`, async (t) => {
    const m = make()
    await m.fit(d, { epochs: 4, evaluate: false, device: 'cpu', ...(name === 'ALS' ? {} : { lr: 0.01 }) })
    const path = join(dir, `${name.replace(/[^A-Za-z]/g, '')}.onnx`)
    const bytes = await m.exportOnnx(path)
    t.true(bytes > 4 * 6 * (m.numUsers + m.numItems) * 0.9, `${bytes} bytes`)
    const session = await ort.InferenceSession.create(path)
    t.deepEqual(session.inputNames, ['user', 'item'])
    t.deepEqual(session.outputNames, ['logit', 'score'])
    // Every user against a spread of items, both in the model's ids and as rows.
    const us: string[] = []
    const is: string[] = []
    for (let u = 0; u < 90; u++) for (let k = 0; k < 5; k++) us.push(`u${u}`), is.push(items[(u * 7 + k * 11) % items.length])
    const want = await m.predict(us, is)
    const rows = (x: Uint32Array) => new ort.Tensor('int64', BigInt64Array.from(x, BigInt), [x.length])
    const out = await session.run({ user: rows(m.encodeUsers(us)), item: rows(m.encodeItems(is)) })
    const score = out.score.data as Float32Array
    const logit = out.logit.data as Float32Array
    t.is(score.length, want.length)
    let worst = 0
    want.forEach((p, k) => (worst = Math.max(worst, Math.abs(score[k] - p))))
    t.true(worst <= 1e-5, `${name}: largest |onnx − predict| ${worst}`)
    t.true(want.some((p) => Math.abs(p - want[0]) > 1e-3), 'the pairs score differently')
    // score is each recommendation's `predicted`; logit is what an implicit model's recommend
    // ranks by (a rating model ranks by r̂ itself).
    const top = await m.recommend('u0', { k: 3, excludeSeen: false })
    const o = await session.run({ user: rows(m.encodeUsers(top.map(() => 'u0'))), item: rows(m.encodeItems(top.map((s) => s.id))) })
    top.forEach((s, k) => {
      t.true(Math.abs((o.score.data as Float32Array)[k] - s.predicted!) <= 1e-5, `${name}: ${s.predicted}`)
      if (m.task === 'implicit') t.true(Math.abs((o.logit.data as Float32Array)[k] - s.score) <= 1e-4, `${s.score}`)
    })
    t.true(logit.every(Number.isFinite))
    m.dispose()
  })
}

test('MF vectors in LanceDB give recommend’s top-10 by dot product; NeuMF is refused', async (t) => {
  const mf = new MF({ ...shape, factors: 8 })
  await mf.fit(data, { epochs: 6, lr: 0.02, evaluate: false, device: 'cpu' })
  const e = mf.exportEmbeddings()
  t.is(e.dim, 10)
  t.is(e.items.length, e.dim * mf.numItems)
  t.is(e.itemIds.length, mf.numItems)
  const db = await lancedb.connect(join(dir, 'lance'))
  const rows = e.itemIds.map((id, k) => ({ id: String(id), vector: Array.from(e.items.subarray(k * e.dim, (k + 1) * e.dim)) }))
  const table = await db.createTable('items', rows, { mode: 'overwrite' })
  for (const u of [0, 1, 2, 17, 89]) {
    const q = Array.from(e.users.subarray(u * e.dim, (u + 1) * e.dim))
    const hits = await table.search(q).distanceType('dot').limit(10).toArray()
    const rec = await mf.recommend(e.userIds[u], { k: 10, excludeSeen: false })
    t.deepEqual(hits.map((h) => h.id), rec.map((s) => String(s.id)), `user ${e.userIds[u]}`)
    // LanceDB's dot distance is 1 − u·v, and u·v is the logit.
    hits.forEach((h, k) => t.true(Math.abs(1 - h._distance - rec[k].score) <= 1e-4, `${h._distance} vs ${rec[k].score}`))
  }
  const neumf = new NeuMF({ ...shape, factors: 4, layers: [16, 8] })
  t.throws(() => neumf.exportEmbeddings(), { message: /^exportEmbeddings: NeuMF scores through its MLP tower/ })
  await rejectsWith(t, neumf.exportOnnx(''), 'ERR_INVALID_ARG', /^path: must be a non-empty path string/)
  neumf.dispose()
  await rejectsWith(t, neumf.exportOnnx(join(dir, 'x.onnx')), 'ERR_DISPOSED', /Model is disposed/)
  mf.dispose()
})
