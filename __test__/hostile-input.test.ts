// Hostile input, bounded. The JS-facing classes: reads that are not regular files or
// go past a limit, silent acceptance of non-booleans, disposed models answering, unclear errors.
// The Rust suites cover the rest (every bit flip of a model file, gz bombs, dates, huge ids).
import test from 'ava'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { Dataset, GMF, NcfModel } from '../index.ts'
import { rejectsWith } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-hostile-input-'))
const data = Dataset.synthetic({ numUsers: 40, numItems: 30, perUser: 6, testNegatives: 9, seed: 3 })

test('a folder or device given to fromFile is ERR_IO, before a byte is read', async (t) => {
  await rejectsWith(t, Dataset.fromFile(dir, { format: 'csv' }), 'ERR_IO', /^cannot read .*: it is a folder$/)
  await rejectsWith(t, Dataset.fromFile('/dev/zero', { format: 'movielens' }), 'ERR_IO', /^cannot read \/dev\/zero: it is not a regular file/)
})

test('reads stop at maxLineBytes and maxBytes with ERR_LIMIT naming the file and the option', async (t) => {
  const bomb = join(dir, 'bomb.csv.gz')
  writeFileSync(bomb, gzipSync(Buffer.alloc(16 << 20)))
  await rejectsWith(t, Dataset.fromFile(bomb, { format: 'csv', header: false }), 'ERR_LIMIT', /bomb\.csv\.gz: has a line longer than 1048576 bytes .*raise the limit with maxLineBytes$/)
  const rows = join(dir, 'rows.csv')
  writeFileSync(rows, Array.from({ length: 200 }, (_, k) => `u${k % 9},i${k % 13}`).join('\n'))
  await rejectsWith(t, Dataset.fromFile(rows, { format: 'csv', header: false, maxBytes: 100 }), 'ERR_LIMIT', /rows\.csv: holds more than 100 bytes \(decompressed\); raise the limit with maxBytes$/)
  await rejectsWith(t, Dataset.fromFile(rows, { format: 'csv', header: false, maxLineBytes: 0 }), 'ERR_INVALID_ARG', /^maxLineBytes: must be a positive integer of bytes, got 0$/)
  const ok = await Dataset.fromFile(rows, { format: 'csv', header: false, maxBytes: 10_000, maxLineBytes: 16 })
  t.is(ok.numUsers, 9)
})

test('an unterminated CSV quote is ERR_PARSE at its line', async (t) => {
  const p = join(dir, 'quote.csv')
  writeFileSync(p, 'user,item\nu1,i1\nu2,"i2\nu3,i3\n')
  await rejectsWith(t, Dataset.fromFile(p, { format: 'csv' }), 'ERR_PARSE', /quote\.csv:3: field 2 runs past the end of its line: a quote opened here is never closed$/)
})

test('boolean options take booleans only, naming the field', async (t) => {
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  await rejectsWith(t, m.recommend(0, { excludeSeen: 'no' as never }), 'ERR_INVALID_ARG', /^excludeSeen: must be true or false, got no$/)
  await rejectsWith(t, m.fit(data, { epochs: 1, evaluate: 'no' as never }), 'ERR_INVALID_ARG', /^evaluate: must be true or false, got no$/)
  await rejectsWith(t, Dataset.fromFile(join(dir, 'x.csv'), { format: 'csv', header: 'yes' as never }), 'ERR_INVALID_ARG', /^header: must be true or false, got yes$/)
  await rejectsWith(t, () => data.split({ validation: 1 as never }), 'ERR_INVALID_ARG', /^validation: must be (a boolean|true or false), got 1$/)
  m.dispose()
})

test('every method of a disposed model is ERR_DISPOSED, whatever its arguments', async (t) => {
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  m.dispose()
  const sync: Array<[string, () => unknown]> = [
    ['encodeUsers', () => m.encodeUsers([0])],
    ['encodeItems', () => m.encodeItems([0])],
    ['decodeUsers', () => m.decodeUsers([0])],
    ['decodeItems', () => m.decodeItems([0])],
    ['weights', () => m.weights()],
    ['embeddings', () => m.embeddings()],
    // Bad arguments too: the disposal is what the caller needs to hear.
    ['encodeUsers (bad ids)', () => m.encodeUsers(7 as never)],
  ]
  for (const [, f] of sync) await rejectsWith(t, f, 'ERR_DISPOSED', /^Model is disposed$/)
  const async: Array<[string, () => Promise<unknown>]> = [
    ['fit', () => m.fit(data, { epochs: 1 })],
    ['evaluate', () => m.evaluate(data)],
    ['predict', () => m.predict([0], [1])],
    ['recommend', () => m.recommend(0)],
    ['similarItems', () => m.similarItems(0)],
    ['similarUsers', () => m.similarUsers(0)],
    ['save', () => m.save(join(dir, 'never.ncf'))],
    ['save (bad path)', () => m.save('' as never)],
  ]
  for (const [, f] of async) await rejectsWith(t, f, 'ERR_DISPOSED', /^Model is disposed$/)
})

test('empty arrays, huge indices and huge synthetic sizes say what is wrong', async (t) => {
  await rejectsWith(t, () => Dataset.fromArrays({ users: new Int32Array(0), items: new Int32Array(0) }), 'ERR_DATA', /^the training data is empty: no interactions$/)
  await rejectsWith(t, () => Dataset.fromArrays({ users: Int32Array.of(0, 2 ** 31 - 1), items: Int32Array.of(0, 1) }), 'ERR_INVALID_ARG', /^users: index 2147483647 is more than 2 interactions can use .*pass numUsers/)
  await rejectsWith(t, () => Dataset.synthetic({ numUsers: 2e8 }), 'ERR_INVALID_ARG', /^numUsers: 200000000 users × \(perUser 30 \+ 1\)/)
})

test('a 240-character file name saves and loads, and leaves no temporary file', async (t) => {
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  const own = mkdtempSync(join(dir, 'long-'))
  const path = join(own, `${'m'.repeat(236)}.ncf`)
  await m.save(path)
  t.deepEqual((await NcfModel.load(path)).weights(), m.weights())
  t.deepEqual(readdirSync(own).filter((f) => f.endsWith('.tmp')), [])
  m.dispose()
})
