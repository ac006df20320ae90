// Ratings with side features on MovieLens-100K: u.data's ratings, u.item's genres and years,
// u.user's age, gender and occupation feed a rating NeuMF (features join the MLP tower's input,
// [p_u ; q_i ; f_u ; f_i]). Prints RMSE/MAE/R² on held-out ratings, one predicted rating, and
// the rating of a film the model has never seen, scored from its genres alone.
//
//   npx tsx examples/ml100k-features.ts [../shared/data/ml-100k] [--epochs 40] [--device auto|gpu|cpu]
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, Features, NeuMF, type Device } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { epochs: { type: 'string', default: '40' }, device: { type: 'string', default: 'auto' } },
})
const dir = positionals[0] ?? '../shared/data/ml-100k'
const device = values.device as Device

const titles = new Map<number, string>()
for (const line of readFileSync(join(dir, 'u.item'), 'latin1').split('\n')) {
  const [id, title] = line.split('|')
  if (id && title) titles.set(Number(id), title)
}

const items = await Features.fromFile(join(dir, 'u.item'), { format: 'movielens-items' })
const users = await Features.fromFile(join(dir, 'u.user'), { format: 'movielens-users' })
const all = await Dataset.fromFile(join(dir, 'u.data'), { format: 'movielens' })
const data = (await all.split({ method: 'random', testRatio: 0.2, validationRatio: 0.05, negatives: 10, seed: 1 }))
  .withFeatures({ users, items })
console.log(`${data.numUsers} users, ${data.numItems} films, ${data.numInteractions} training ratings; feature inputs per user/film: ${data.featureWidths}`)

const model = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, task: 'rating', features: data, device })
const h = await model.fit(data, {
  epochs: Number(values.epochs),
  lr: 0.001,
  dropout: 0.3,
  l2: 0.03,
  earlyStopping: { patience: 5 },
  onEpoch: (e) =>
    console.log(`epoch ${e.epoch}: train RMSE ${e.trainRating!.rmse.toFixed(4)}  validation RMSE ${e.validationRating!.rmse.toFixed(4)}`),
})
const m = await model.evaluate(data, { metrics: ['rmse', 'mae', 'r2'] })
console.log(`kept epoch ${h.bestEpoch} (on ${h.backend}); test RMSE ${m.rmse!.toFixed(4)}  MAE ${m.mae!.toFixed(4)}  R² ${m.r2!.toFixed(4)}`)

const [user, film] = [196, 242]
const [r] = await model.predict([user], [film])
console.log(`user ${user} would rate ${titles.get(film)}: ${r.toFixed(2)}`)

// A film the model has never seen, known only by its genres and year.
const describe = { items: { 'new-animated-comedy': { genre: ['Animation', "Children's", 'Comedy'], year: 1998 }, 'new-horror': { genre: ['Horror', 'Thriller'], year: 1998 } } }
const [comedy, horror] = await model.predict([user, user], ['new-animated-comedy', 'new-horror'], { describe })
console.log(`user ${user} on a new animated children's comedy: ${comedy.toFixed(2)}; on a new horror thriller: ${horror.toFixed(2)}`)
model.dispose()
