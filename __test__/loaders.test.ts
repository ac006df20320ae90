// Interaction files with the application's own ids: CSV/TSV, MovieLens, Netflix, gzip; the id
// encoders; leave-latest-out splits. Bad files name file:line and the field.
import test from 'ava'
import { gzipSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, GMF } from '../index.ts'
import { dataDir, hasMovieLens, rejectsWith, tempFiles } from './helpers.ts'

const dir = tempFiles({
  'events.csv': 'customer,sku,stars,ts\n"Smith, J",A-1,5,100\nbob,B-2,3,101\nbob,A-1,4,102\n"Smith, J",C-3,2,99\nbob,B-2,3,103\n',
  'events.tsv': 'bob\tB-2\nann\tA-1\n',
  'ratings.dat': '1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n2::661::4::978298414\n',
  'combined_data_1.txt': '1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n822109,4,2005-06-01\n',
  'bad.csv': 'customer,sku,stars\nann,A-1,5\nbob,B-2,lots\n',
  'bad.dat': '1::1193::5::978300760\n1::661\n2::7::x::1\n',
  'bad-nf.txt': '1:\n1488844,3,2005-09-06\n99,4,yesterday\n',
})
writeFileSync(join(dir, 'ratings.dat.gz'), gzipSync('1::1193::5::978300760\n2::661::3::978302109\n'))

test('CSV with a header, quoted fields, named columns, duplicates and a threshold', async (t) => {
  const opts = { format: 'csv', columns: { user: 'customer', item: 'sku', rating: 'stars', timestamp: 'ts' } } as const
  const d = await Dataset.fromFile(join(dir, 'events.csv'), opts)
  t.deepEqual(d.userIds, ['Smith, J', 'bob'])
  t.deepEqual(d.itemIds, ['A-1', 'B-2', 'C-3'])
  t.is(d.numInteractions, 4)
  t.is(d.duplicatesRemoved, 1)
  t.deepEqual(Array.from(d.encodeUsers(['bob', 'Smith, J'])), [1, 0])
  t.deepEqual(d.decodeItems([2, 0]), ['C-3', 'A-1'])
  const liked = await Dataset.fromFile(join(dir, 'events.csv'), { ...opts, threshold: 4 })
  t.is(liked.numInteractions, 2)
  const tsv = await Dataset.fromFile(join(dir, 'events.tsv'), { format: 'csv', delimiter: '\t', header: false })
  t.deepEqual(tsv.userIds, ['ann', 'bob'])
  await rejectsWith(t, () => d.encodeUsers(['carol']), 'ERR_INVALID_ARG', /users\[0\]: unknown id 'carol'/)
})

test('MovieLens ratings.dat (plain and .gz) and the Netflix format', async (t) => {
  const ml = await Dataset.fromFile(join(dir, 'ratings.dat'), { format: 'movielens' })
  t.deepEqual(ml.userIds, [1, 2], 'integer ids read as numbers')
  t.deepEqual(ml.itemIds, [661, 1193], 'numeric ids in numeric order')
  const gz = await Dataset.fromFile(join(dir, 'ratings.dat.gz'), { format: 'movielens' })
  t.is(gz.numInteractions, 2)
  const nf = await Dataset.fromFile(join(dir, 'combined_data_1.txt'), { format: 'netflix' })
  t.deepEqual(nf.itemIds, [1, 2])
  t.deepEqual(nf.userIds, [822109, 1488844])
  t.is(nf.numInteractions, 3)
})

test('bad files name file:line and the field', async (t) => {
  const csv = { format: 'csv', columns: { user: 'customer', item: 'sku', rating: 'stars' } } as const
  await rejectsWith(t, Dataset.fromFile(join(dir, 'bad.csv'), csv), 'ERR_PARSE', /bad\.csv:3: rating 'lots' is not a number/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'bad.dat'), { format: 'movielens' }), 'ERR_PARSE', /bad\.dat:2: has no rating where earlier lines had one/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'bad-nf.txt'), { format: 'netflix' }), 'ERR_PARSE', /bad-nf\.txt:3: date 'yesterday' is not YYYY-MM-DD/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'events.csv'), { format: 'csv', columns: { user: 'who' } }), 'ERR_INVALID_ARG', /columns\.user: no column named 'who'/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'nope.csv'), { format: 'csv' }), 'ERR_IO', /cannot read .*nope\.csv/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'events.csv'), { format: 'xml' as never }), 'ERR_INVALID_ARG', /format: must be 'csv', 'movielens' or 'netflix'/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'events.tsv'), { format: 'csv', delimiter: '\t', header: false, threshold: 3 }), 'ERR_INVALID_ARG', /threshold: needs a rating column/)
})

test('leave-latest-out split: deterministic, one test case per user, trains and evaluates', async (t) => {
  if (!hasMovieLens) {
    t.log(`NOTICE: ${dataDir}/ml-100k not found; skipping`)
    t.pass()
    return
  }
  const all = await Dataset.fromFile(join(dataDir, 'ml-100k/u.data'), { format: 'movielens' })
  t.is(all.numUsers, 943)
  t.is(all.numTestCases, 0)
  const [a, b] = [await all.split({ negatives: 99, seed: 7 }), await all.split({ negatives: 99, seed: 7 })]
  t.is(a.numTestCases, 943)
  t.is(a.testNegatives, 99)
  t.is(a.numInteractions, 100_000 - 943)
  t.deepEqual(a.userIds, all.userIds)
  const fit = async (d: Dataset) => {
    const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 8, device: 'cpu' })
    const h = await m.fit(d, { epochs: 2, seed: 1 })
    return h.epochs.at(-1)!
  }
  const [ea, eb] = [await fit(a), await fit(b)]
  t.is(ea.hr, eb.hr, 'the same seed gives the same split')
  t.true(ea.hr! > 0.3, `HR@10 ${ea.hr}`)
})

test('a model fitted on a file keeps its ids, saves them and speaks them after loading', async (t) => {
  const opts = { format: 'csv', columns: { user: 'customer', item: 'sku', rating: 'stars', timestamp: 'ts' } } as const
  const d = await Dataset.fromFile(join(dir, 'events.csv'), opts)
  const m = new GMF({ numUsers: d.numUsers, numItems: d.numItems, factors: 2, device: 'cpu' })
  t.is(m.userIds, undefined)
  await m.fit(d, { epochs: 1, evaluate: false })
  t.deepEqual(m.userIds, ['Smith, J', 'bob'])
  t.deepEqual(m.decodeItems(m.encodeItems(['C-3', 'A-1'])), ['C-3', 'A-1'])
  const path = join(dir, 'with-ids.ncf')
  await m.save(path)
  const back = await GMF.load(path)
  t.deepEqual(back.itemIds, ['A-1', 'B-2', 'C-3'])
  t.deepEqual(Array.from(back.encodeUsers(['bob'])), [1])
  await rejectsWith(t, () => back.encodeItems(['Z-9']), 'ERR_INVALID_ARG', /items\[0\]: unknown id 'Z-9'/)
  const plain = new GMF({ numUsers: 3, numItems: 4 })
  t.deepEqual(Array.from(plain.encodeUsers([2, '1'])), [2, 1], 'without ids, numbers are indices')
  await rejectsWith(t, () => plain.encodeUsers([3]), 'ERR_INVALID_ARG', /users\[0\]: id 3 is not below numUsers = 3/)
})
