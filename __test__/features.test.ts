// Issue 6: side-feature tables read from files (generic CSV with a column spec, MovieLens), with
// the missing-value policy and errors naming file:line and the column.
import test from 'ava'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Features } from '../index.js'
import { rejectsWith } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'ncf-features-'))
const write = (name: string, text: string): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

test('a CSV feature table: quoted lists, categories, numbers and missing values', async (t) => {
  const p = write(
    'anime.csv',
    'anime_id,name,genre,type,episodes\n1,"Kimi no Na wa.","Drama, Romance, School",Movie,1\n2,"Gintama, Season 2","Action, Comedy",TV,Unknown\n3,Nameless,,,12\n',
  )
  const f = await Features.fromFile(p, {
    format: 'csv',
    id: 'anime_id',
    multi: [{ column: 'genre', separator: ',' }],
    categorical: ['type'],
    numeric: ['episodes'],
  })
  t.deepEqual(f.columns, [
    { name: 'genre', kind: 'multi' },
    { name: 'type', kind: 'categorical' },
    { name: 'episodes', kind: 'numeric' },
  ])
  t.deepEqual(f.ids, ['1', '2', '3'])
  t.deepEqual(f.row(1), { genre: ['Drama', 'Romance', 'School'], type: 'Movie', episodes: 1 })
  t.deepEqual(f.row('2'), { genre: ['Action', 'Comedy'], type: 'TV', episodes: null })
  t.deepEqual(f.row(3), { genre: [], type: null, episodes: 12 })
  t.is(f.row(4), undefined)
  const bad = write('bad.csv', 'anime_id,genre,episodes\n1,Drama,12\n2,Comedy,twelve\n')
  await rejectsWith(t, Features.fromFile(bad, { format: 'csv', numeric: ['episodes'] }), 'ERR_PARSE', /bad\.csv:3: episodes 'twelve' is not a number$/)
  await rejectsWith(t, Features.fromFile(bad, { format: 'csv', numeric: ['score'] }), 'ERR_INVALID_ARG', /^numeric\[0\]: no column named 'score'/)
  const twice = write('twice.csv', 'id,type\n1,TV\n1,Movie\n')
  await rejectsWith(t, Features.fromFile(twice, { format: 'csv', categorical: ['type'] }), 'ERR_PARSE', /twice\.csv:3: id '1' appears twice$/)
  await rejectsWith(t, Features.fromFile(p, { format: 'csv' }), 'ERR_INVALID_ARG', /^columns: declare at least one/)
  await rejectsWith(t, Features.fromFile(p, { format: 'movielens-items', numeric: ['x'] }), 'ERR_INVALID_ARG', /^numeric: applies to format 'csv'/)
  await rejectsWith(t, Features.fromFile(p, { format: 'csv', multi: [{ column: 'genre', separator: ', ' }] }), 'ERR_INVALID_ARG', /^multi\[0\]\.separator: must be one character/)
})

test('MovieLens item and user files, hand-written and (when present) the real ones', async (t) => {
  const item = write('u.item', '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n')
  const items = await Features.fromFile(item, { format: 'movielens-items' })
  t.deepEqual(items.row(1), { genre: ['Animation', "Children's", 'Comedy'], year: 1995 })
  const users = await Features.fromFile(write('u.user', '1|24|M|technician|85711\n2||F|other|94043\n'), { format: 'movielens-users' })
  t.deepEqual(users.row(2), { age: null, gender: 'F', occupation: 'other' })
  const bad = write('bad.user', '1|24|M|technician\n')
  await rejectsWith(t, Features.fromFile(bad, { format: 'movielens-users' }), 'ERR_PARSE', /bad\.user:1: has 4 fields; u\.user has 5/)
  const real = '../shared/data/ml-100k'
  if (existsSync(join(real, 'u.item'))) {
    t.is((await Features.fromFile(join(real, 'u.item'), { format: 'movielens-items' })).size, 1682)
    t.is((await Features.fromFile(join(real, 'u.user'), { format: 'movielens-users' })).size, 943)
  }
})
