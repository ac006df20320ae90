// New users without retraining, measured against a full retrain. Every tenth ML-1M user
// is held out of training; a GMF trained on the others folds them in from their training
// interactions, and their test cases (1 positive + 99 negatives each) must reach at least 90%
// of the HR@10 that a GMF retrained on every user gives them. (ncf-bench --fold-in-holdout 10
// measures every model kind: BENCHMARKS.md, "fold-in of held-out users".)
import test from 'ava'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, GMF, type NcfModel } from '../index.ts'
import { dataDir } from './helpers.ts'

const dir = join(dataDir, 'ml-1m/ncf')
const maybe = existsSync(join(dir, 'ml-1m.train.rating')) ? test : test.skip
if (maybe === test.skip) console.log(`SKIPPED: ML-1M not found under ${dataDir} (set NCF_DATA_DIR)`)

const held = (u: number) => u % 10 === 9

/** HR@10 of test cases: rank = negatives scoring ≥ the positive (the first item). */
async function hr(m: NcfModel, cases: { user: number; items: number[] }[]): Promise<number> {
  const users = cases.flatMap((c) => c.items.map(() => c.user))
  const s = await m.predict(users, cases.flatMap((c) => c.items), { device: 'cpu' })
  let hits = 0
  cases.forEach((c, k) => {
    const row = s.subarray(k * 100, (k + 1) * 100)
    if (row.subarray(1).filter((x) => x >= row[0]).length < 10) hits++
  })
  return hits / cases.length
}

maybe('users held out of training and folded in reach 90% of a full retrain (ML-1M, GMF)', async (t) => {
  const train = readFileSync(join(dir, 'ml-1m.train.rating'), 'utf8').split('\n').filter((l) => l.trim())
  const pairs = train.map((l) => l.split('\t').slice(0, 2).map(Number) as [number, number])
  const numUsers = pairs.reduce((n, [u]) => Math.max(n, u + 1), 0)
  const numItems = 3706
  // Kept users are renumbered 0.. in order; the held-out ones become the next rows, in order,
  // as fold-in appends them.
  const row = new Int32Array(numUsers)
  let kept = 0
  for (let u = 0; u < numUsers; u++) if (!held(u)) row[u] = kept++
  let next = kept
  for (let u = 0; u < numUsers; u++) if (held(u)) row[u] = next++
  const keep = pairs.filter(([u]) => !held(u))
  const given: Record<string, number[]> = {}
  for (const [u, i] of pairs) if (held(u)) (given[String(row[u])] ??= []).push(i)
  const full: { user: number; items: number[] }[] = []
  const folded: { user: number; items: number[] }[] = []
  for (const l of readFileSync(join(dir, 'ml-1m.test.negative'), 'utf8').split('\n')) {
    if (!l.trim()) continue
    const [head, ...negs] = l.split('\t')
    const [u, pos] = head.slice(1, -1).split(',').map(Number)
    if (!held(u)) continue
    const items = [pos, ...negs.map(Number)]
    full.push({ user: u, items })
    folded.push({ user: row[u], items })
  }

  t.is(full.length, 604, "every tenth of the 6,040 test users")
  const opts = { epochs: 6, lr: 0.002, seed: 1, evaluate: false, device: 'cpu' } as const
  const all = Dataset.fromArrays({ users: Int32Array.from(pairs, ([u]) => u), items: Int32Array.from(pairs, ([, i]) => i), numItems })
  const retrained = new GMF({ numUsers: all.numUsers, numItems, factors: 16, seed: 1, device: 'cpu' })
  await retrained.fit(all, opts)
  const partial = Dataset.fromArrays({ users: Int32Array.from(keep, ([u]) => row[u]), items: Int32Array.from(keep, ([, i]) => i), numItems })
  t.is(partial.numUsers, kept)
  const m = new GMF({ numUsers: kept, numItems, factors: 16, seed: 1, device: 'cpu' })
  await m.fit(partial, opts)
  const r = await m.foldIn({ users: given })
  t.is(r.addedUsers, numUsers - kept)
  t.is(m.numUsers, numUsers)
  const [hFull, hFolded] = [await hr(retrained, full), await hr(m, folded)]
  t.log(`held-out users' HR@10: folded in ${hFolded.toFixed(4)}, full retrain ${hFull.toFixed(4)}, ratio ${(hFolded / hFull).toFixed(3)} (${full.length} cases)`)
  t.true(hFull > 0.6, `the retrained GMF ranks them (${hFull})`)
  t.true(hFolded >= 0.9 * hFull, `folded-in ${hFolded} vs retrained ${hFull}`)
  retrained.dispose()
  m.dispose()
})
