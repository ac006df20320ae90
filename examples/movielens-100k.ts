// From raw MovieLens-100K to recommendations that survive a restart:
// read u.data with its own ids, split leave-latest-out, train NeuMF, save, load the file back,
// then print the top 10 films for a user and the 10 films most similar to "Toy Story".
//
//   npx tsx examples/movielens-100k.ts [../shared/data/ml-100k] [--user 42] [--epochs 10] [--device auto|gpu|cpu]
import { parseArgs } from 'node:util'
import { readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dataset, NcfModel, NeuMF, type Device } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: '42' },
    epochs: { type: 'string', default: '10' },
    device: { type: 'string', default: 'auto' },
  },
})
const dir = positionals[0] ?? '../shared/data/ml-100k'
const device = values.device as Device

// u.item: `id|title|release date|…`, Latin-1.
const titles = new Map<string, string>()
for (const line of readFileSync(join(dir, 'u.item'), 'latin1').split('\n')) {
  const [id, title] = line.split('|')
  if (id && title) titles.set(id, title)
}

const all = await Dataset.fromFile(join(dir, 'u.data'), { format: 'movielens' })
const data = await all.split({ negatives: 99, seed: 2017 })
console.log(`${data.numUsers} users, ${data.numItems} films, ${data.numInteractions} train ratings, ${data.numTestCases} test cases`)

const model = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, device })
const h = await model.fit(data, {
  epochs: Number(values.epochs),
  lr: 0.002,
  validation: 'leave-one-out',
  onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  test HR@10 ${e.hr!.toFixed(4)}  validation HR@10 ${e.validation!.hr.toFixed(4)}`),
})
console.log(`trained on ${h.backend}; kept epoch ${h.bestEpoch} (chosen on validation)`)
const full = await model.evaluate(data, { protocol: 'full' })
console.log(`full-ranking HR@10 ${full.hr.toFixed(4)} (over all ${data.numItems} films, not 100 sampled)`)

// Save, then continue as a restarted process would: from the file alone.
const path = join(mkdtempSync(join(tmpdir(), 'ncf-example-')), 'neumf-ml100k.ncf')
await model.save(path, { info: { dataset: 'ml-100k', epochs: h.epochs.length } })
model.dispose()
const loaded = await NcfModel.load(path, { device })
console.log(`loaded ${loaded.kind} from ${path} (${JSON.stringify(loaded.info)})`)

// The file carries the ID encoders: the loaded model speaks u.data's own ids.
const user = values.user!
const [u] = loaded.encodeUsers([user])
const top = await loaded.recommend(u, { k: 10, data })
console.log(`\nTop 10 for user ${user} (films they rated are left out):`)
const topIds = loaded.decodeItems(top.map((r) => r.id))
top.forEach((r, k) => console.log(`${String(k + 1).padStart(2)}. ${titles.get(topIds[k])}  (score ${r.score.toFixed(2)})`))

const [toyStory] = loaded.encodeItems(['1'])
const alike = await loaded.similarItems(toyStory, { k: 10 })
console.log(`\nMost similar to ${titles.get('1')}:`)
const alikeIds = loaded.decodeItems(alike.map((r) => r.id))
alike.forEach((r, k) => console.log(`${String(k + 1).padStart(2)}. ${titles.get(alikeIds[k])}  (cosine ${r.score.toFixed(3)})`))
loaded.dispose()
