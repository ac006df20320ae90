// Side-feature tables read from files (generic CSV with a column spec, MovieLens), with
// the missing-value policy and errors naming file:line and the column.
import test from 'ava'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Dataset, Features, GMF, MF, MLP, NcfModel, NeuMF } from '../index.js'
import { dataDir, rejectsWith } from './helpers.js'

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
  // dataDir honours NCF_DATA_DIR, which .ci/run sets for a clone outside /work.
  const real = join(dataDir, 'ml-100k')
  if (!existsSync(join(real, 'u.item'))) t.log(`SKIPPED the real files: none under ${real}`)
  else {
    t.is((await Features.fromFile(join(real, 'u.item'), { format: 'movielens-items' })).size, 1682)
    t.is((await Features.fromFile(join(real, 'u.user'), { format: 'movielens-users' })).size, 943)
  }
})

/**
 * Ratings driven by genre: users 0–29 like "action", 30–59 like "drama"; items' genre by id.
 * `tag` names the files: the cpu and gpu tests run concurrently, and one rewriting a shared
 * films.csv while the other read it made the reader see an empty header (stop 11's CI failure).
 */
async function featuredRatings(tag: string): Promise<{ data: Dataset; items: Features; users: Features }> {
  const users: string[] = []
  const items: string[] = []
  const ratings: number[] = []
  for (let u = 0; u < 60; u++) {
    for (let j = 0; j < 20; j++) {
      const i = (u * 3 + j * 7) % 40
      const action = i % 2 === 0
      users.push(`u${u}`)
      items.push(`m${i}`)
      ratings.push(action === u < 30 ? 5 : 1)
    }
  }
  const itemFile = write(
    `films-${tag}.csv`,
    'id,genres,kind\n' + Array.from({ length: 40 }, (_, i) => `m${i},${i % 2 === 0 ? 'action' : 'drama'},${i % 3 === 0 ? 'short' : 'feature'}`).join('\n') + '\n',
  )
  const userFile = write(`people-${tag}.csv`, 'id,age\n' + Array.from({ length: 60 }, (_, u) => `u${u},${20 + (u % 40)}`).join('\n') + '\n')
  const itemsF = await Features.fromFile(itemFile, { format: 'csv', multi: [{ column: 'genres', separator: '|' }], categorical: ['kind'] })
  const usersF = await Features.fromFile(userFile, { format: 'csv', numeric: ['age'] })
  const data = (await Dataset.fromArrays({ users, items, ratings }).split({ method: 'random', testRatio: 0.2, validationRatio: 0.1, negatives: 5, seed: 2 }))
    .withFeatures({ users: usersF, items: itemsF, dim: 4 })
  return { data, items: itemsF, users: usersF }
}

for (const device of ['cpu', 'gpu'] as const) {
  test(`${device}: every model with side features (tower, GMF branch, both) trains, scores a new film from its genre, and survives save/load`, async (t) => {
    const { data } = await featuredRatings(device)
    t.deepEqual(data.featureWidths, [4, 8], 'users: the numeric slot; items: genre and kind slots')
    const configs = [
      { Model: MLP, featuresIn: undefined, expect: 'mlp' },
      { Model: NeuMF, featuresIn: undefined, expect: 'mlp' },
      { Model: GMF, featuresIn: undefined, expect: 'gmf' },
      { Model: MF, featuresIn: 'gmf', expect: 'gmf' },
      { Model: NeuMF, featuresIn: 'both', expect: 'both', biases: true },
    ] as const
    for (const { Model, featuresIn, expect, ...rest } of configs) {
      const biases = 'biases' in rest ? rest.biases : undefined
      const m = new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, task: 'rating', features: data, featuresIn, biases, device })
      t.is(m.featuresIn, expect)
      const h = await m.fit(data, { epochs: 15, lr: 0.01, batchSize: 64 })
      t.true(h.epochs.at(-1)!.trainRating!.rmse < h.epochs[0].trainRating!.rmse)
      const describe = { items: { 'new-action': { genres: ['action'], kind: 'feature' }, 'new-drama': { genres: ['drama'] } } }
      const [fan, other] = ['u3', 'u45']
      const p = await m.predict([fan, fan, other, other], ['new-action', 'new-drama', 'new-action', 'new-drama'], { describe })
      t.true(Array.from(p).every(Number.isFinite))
      t.true(p[0] > p[1], `${Model.name}: an action fan rates the new action film higher (${p[0]} vs ${p[1]})`)
      t.true(p[3] > p[2], `${Model.name}: a drama fan the other way (${p[3]} vs ${p[2]})`)
      const path = join(dir, `${Model.name}-${device}.ncf`)
      await m.save(path)
      const back = await NcfModel.load(path, { device })
      t.is(back.featuresIn, expect)
      t.is(back.biases, m.biases)
      t.deepEqual(await back.predict([fan, other], ['m2', 'm5']), await m.predict([fan, other], ['m2', 'm5']))
      t.deepEqual(await back.predict([fan], ['new-action'], { describe }), await m.predict([fan], ['new-action'], { describe }))
      // A new user, known only by age, gets recommendations over every film (nothing seen).
      const recs = await m.recommend('newcomer', { k: 40, describe: { users: { newcomer: { age: 25 } } } })
      t.is(recs.length, 40)
      t.true(recs.every((r) => Number.isFinite(r.score) && typeof r.id === 'string'))
      const same = await m.predict(['newcomer'], [recs[0].id], { describe: { users: { newcomer: { age: 25 } } } })
      t.true(Math.abs(same[0] - recs[0].score) < 1e-5, 'recommend and predict agree on a cold user')
      await rejectsWith(t, m.recommend('x', { describe: { items: {} } as never }), 'ERR_INVALID_ARG', /^describe\.items: recommend ranks the model's own items/)
      await rejectsWith(t, m.predict([fan], ['x'], { describe: { items: { x: { studio: 'A' } } } }), 'ERR_INVALID_ARG', /^features\.studio: is not a feature of this model/)
      await rejectsWith(t, m.predict([fan], ['x'], { describe: { items: { x: { genres: 'action' } } } }), 'ERR_INVALID_ARG', /^features\.genres: must be a list of strings/)
      m.dispose()
      back.dispose()
    }
  })
}

test('side features: the model and the dataset must agree, and go where the model has room for them', async (t) => {
  const { data, users } = await featuredRatings('agree')
  const sizes = { numUsers: data.numUsers, numItems: data.numItems }
  t.throws(() => new GMF({ ...sizes, features: data, featuresIn: 'mlp' }), { message: /^featuresIn: 'mlp' joins the MLP tower; GMF has none \(use 'gmf'\)/ })
  t.throws(() => new MLP({ ...sizes, features: data, featuresIn: 'both' }), { message: /^featuresIn: 'both' adds to the GMF embeddings; MLP has none \(use 'mlp'\)/ })
  t.throws(() => new NeuMF({ ...sizes, featuresIn: 'gmf' }), { message: /^featuresIn: applies to a model built with features/ })
  t.throws(() => new NeuMF({ ...sizes, features: data, featuresIn: 'tower' as never }), { message: /^featuresIn: must be 'mlp', 'gmf' or 'both', got 'tower'/ })
  t.throws(() => new GMF({ ...sizes, biases: 1 as never }), { message: /^biases: must be true or false, got 1/ })
  const raw = Dataset.fromArrays({ users: ['a', 'b'], items: ['x', 'y'], ratings: [1, 5] })
  t.throws(() => new MLP({ numUsers: 2, numItems: 2, features: raw }), { message: /call withFeatures first/ })
  const m = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, task: 'rating', device: 'cpu' })
  await rejectsWith(t, m.fit(data, { epochs: 1 }), 'ERR_INVALID_ARG', /has side features but the model was built without them/)
  const implicit = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, device: 'cpu' })
  await rejectsWith(
    t,
    implicit.predict([1], ['new'], { describe: { items: { new: { genres: ['action'] } } } }),
    'ERR_INVALID_ARG',
    /^describe\.items: needs side features of items: the model was built without them/,
  )
  const withF = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 4, task: 'rating', features: data, device: 'cpu' })
  // The same interactions with other features (users only) would be read through the wrong bags.
  const other = data.withFeatures({ users })
  await rejectsWith(t, withF.fit(other, { epochs: 1 }), 'ERR_INVALID_ARG', /side features differ from the model's/)
  const rebuilt = (await featuredRatings('agree')).data
  await t.notThrowsAsync(withF.fit(rebuilt, { epochs: 1 }), 'equal features rebuilt from the same files are accepted')
  for (const x of [m, implicit, withF]) x.dispose()
})
