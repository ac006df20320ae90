// Issues 16 and 17: foldIn, new users (and items) without retraining, through the public API:
// a folded-in user is ranked by the taste their items show (ALS by its exact solve, GMF, MLP
// and NeuMF by steps of their loss), the model grows and keeps its ids through save and load,
// and bad requests are refused by name.
import test from 'ava'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { ALS, Dataset, GMF, MLP, NcfModel, NeuMF } from '../index.ts'
import { rejectsWith } from './helpers.ts'

// Four tastes: user u likes items of group u % 4 only (item i is in group i % 4).
const [users, items]: [string[], string[]] = [[], []]
for (let u = 0; u < 160; u++) {
  for (let k = 0; k < 12; k++) {
    users.push(`u${u}`)
    items.push(`i${(u % 4) + 4 * ((u * 7 + k * 3) % 25)}`)
  }
}
const data = Dataset.fromArrays({ users, items })
const group = (id: unknown) => Number(String(id).slice(1)) % 4

test('a folded-in user is ranked by the taste of their items', async (t) => {
  const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2, device: 'cpu' })
  await als.fit(data, { epochs: 6, evaluate: false, device: 'cpu' })
  const liked = ['i2', 'i6', 'i10', 'i14', 'i18']
  const r = await als.foldIn({ users: { newcomer: liked } })
  t.deepEqual(r, { addedUsers: 1, updatedUsers: 0, addedItems: 0, updatedItems: 0 })
  t.is(als.numUsers, data.numUsers + 1)
  t.is(als.userIds!.at(-1), 'newcomer')
  const top = await als.recommend('newcomer', { k: 10 })
  t.is(top.length, 10)
  // At random 2.5 of 10 would be group 2.
  const inGroup = (list: { id: unknown }[], g: number) => list.filter((s) => group(s.id) === g).length
  t.true(inGroup(top, 2) >= 8, `top-10 groups ${top.map((s) => group(s.id))}`)
  t.false(top.some((s) => liked.includes(String(s.id))), 'the items given are seen, so excluded')
  // A known user re-solved from other items moves to their taste.
  const u1 = await als.foldIn({ users: { u1: ['i3', 'i7', 'i11', 'i15'] } })
  t.is(u1.updatedUsers, 1)
  const moved = await als.recommend('u1', { k: 10 })
  t.true(inGroup(moved, 3) >= 8, `u1 now ${moved.map((s) => group(s.id))}`)
  // A new item liked by group-0 users is recommended to another group-0 user.
  await als.foldIn({ items: { fresh: ['u0', 'u4', 'u8', 'u12', 'u16', 'u20'] } })
  t.is(als.numItems, data.numItems + 1)
  const s = await als.predict(['u24', 'u25'], ['fresh', 'fresh'])
  t.true(s[0] > s[1] + 0.05, `group-0 user ${s[0]} vs group-1 user ${s[1]}`)
  // Saved and loaded, the grown model is the same model.
  const path = join(mkdtempSync(join(tmpdir(), 'ncf-fold-')), 'als.ncf')
  await als.save(path)
  const back = (await NcfModel.load(path)) as ALS
  t.is(back.kind, 'ALS')
  t.is(back.numUsers, data.numUsers + 1)
  t.deepEqual(await back.recommend('newcomer', { k: 10 }), top)
  back.dispose()
  als.dispose()
})

test('foldIn refuses bad requests by name, and a disposed model first', async (t) => {
  const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  await als.fit(data, { epochs: 1, evaluate: false, device: 'cpu' })
  await rejectsWith(t, als.foldIn({ users: { x: ['i1', 'nope'] } }), 'ERR_INVALID_ARG', /^foldIn\.users\['x'\]\[1\]: unknown id 'nope'/)
  await rejectsWith(t, als.foldIn({ users: { x: [] } }), 'ERR_INVALID_ARG', /^foldIn\.users\['x'\]: needs at least one interaction/)
  await rejectsWith(t, als.foldIn({ users: ['i1'] as never }), 'ERR_INVALID_ARG', /^foldIn\.users: must be an object/)
  await rejectsWith(t, als.foldIn({ people: {} } as never), 'ERR_INVALID_ARG', /^foldIn: unknown key 'people' \(expected users and\/or items\)$/)
  await rejectsWith(t, als.foldIn({}), 'ERR_INVALID_ARG', /^foldIn: expected \{ users\?, items\? \} with at least one entry/)
  await rejectsWith(t, als.foldIn({ users: { x: ['i1'] } }, { l2: -1 }), 'ERR_INVALID_ARG', /^l2: must be a positive number/)
  await rejectsWith(t, als.foldIn({ users: { x: [null] as never } }), 'ERR_INVALID_ARG', /^foldIn\.users\['x'\]\[0\]: must be a string or finite number id/)
  await rejectsWith(t, als.foldIn({ users: { x: ['i1'] } }, { epochs: 3 }), 'ERR_INVALID_ARG', /^epochs: applies to gradient fold-in; an ALS row is solved exactly/)
  await rejectsWith(t, als.foldIn({ users: { x: ['i1'] } }, { steps: 3 } as never), 'ERR_INVALID_ARG', /^foldIn: unknown option 'steps' \(the options: l2, alpha, epochs, lr, negatives, seed\)$/)
  t.is(als.numUsers, data.numUsers, 'refused requests change nothing')
  als.dispose()
  await rejectsWith(t, als.foldIn(null as never), 'ERR_DISPOSED', /Model is disposed/)
})

for (const [name, make] of [
  ['GMF', () => new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2, device: 'cpu' })],
  ['MLP', () => new MLP({ numUsers: data.numUsers, numItems: data.numItems, layers: [16, 8], seed: 2, device: 'cpu' })],
  ['NeuMF', () => new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, layers: [16, 8], seed: 2, device: 'cpu' })],
] as const) {
  test(`${name} folds a new user in by steps of its loss, and the rest stays`, async (t) => {
    const m = make()
    await m.fit(data, { epochs: 40, lr: 0.01, evaluate: false, device: 'cpu' })
    const itemsBefore = m.embeddings().items
    const u5 = await m.recommend('u5', { k: 10 })
    const liked = ['i2', 'i6', 'i10', 'i14', 'i18']
    const r = await m.foldIn({ users: { newcomer: liked } })
    t.deepEqual(r, { addedUsers: 1, updatedUsers: 0, addedItems: 0, updatedItems: 0 })
    t.is(m.numUsers, data.numUsers + 1)
    const top = await m.recommend('newcomer', { k: 10 })
    const inGroup = top.filter((s) => group(s.id) === 2).length
    t.true(inGroup >= 8, `${name} top-10 groups ${top.map((s) => group(s.id))}`)
    t.false(top.some((s) => liked.includes(String(s.id))), 'the items given are seen, so excluded')
    t.deepEqual(m.embeddings().items, itemsBefore, 'item rows are fixed while users fold in')
    t.deepEqual(await m.recommend('u5', { k: 10 }), u5, 'other users are untouched')
    await rejectsWith(t, m.foldIn({ users: { x: ['i1'] } }, { alpha: 0.3 }), 'ERR_INVALID_ARG', /^alpha: is the weight of unobserved pairs in ALS/)
    await rejectsWith(t, m.foldIn({ users: { x: ['i1'] } }, { epochs: 0 }), 'ERR_INVALID_ARG', /^epochs: must be in 1\.\.=1000, got 0/)
    await rejectsWith(t, m.foldIn({ users: { x: ['i1'] } }, { lr: -1 }), 'ERR_INVALID_ARG', /^lr: must be a positive number/)
    m.dispose()
  })
}
