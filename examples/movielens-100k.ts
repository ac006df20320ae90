// From raw MovieLens-100K to recommendations that survive a restart:
// read u.data with its own ids, split leave-latest-out (with a validation case per user),
// train NeuMF, save, then restart: a fresh Node process loads the file and prints the top 10
// films for a user and the 10 films most similar to "Toy Story", all in u.data's own ids.
//
//   npx tsx examples/movielens-100k.ts [../shared/data/ml-100k] [--user 42] [--epochs 10] [--device auto|gpu|cpu]
//   npx tsx examples/movielens-100k.ts [../shared/data/ml-100k] --model saved.ncf [--user 42]   (serve only)
import { parseArgs } from 'node:util'
import { execFileSync } from 'node:child_process'
import { readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Dataset, NcfModel, NeuMF, type Device } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: '42' },
    epochs: { type: 'string', default: '10' },
    device: { type: 'string', default: 'auto' },
    model: { type: 'string' },
  },
})
const dir = positionals[0] ?? '../shared/data/ml-100k'
const device = values.device as Device

if (values.model) {
  await serve(values.model)
} else {
  await train()
}

async function train(): Promise<void> {
  const all = await Dataset.fromFile(join(dir, 'u.data'), { format: 'movielens' })
  const data = await all.split({ negatives: 99, seed: 2017, validation: true })
  console.log(`${data.numUsers} users, ${data.numItems} films, ${data.numInteractions} train ratings, ${data.numTestCases} test cases`)

  const model = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, device })
  const h = await model.fit(data, {
    epochs: Number(values.epochs),
    lr: 0.002,
    onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  test HR@10 ${e.hr!.toFixed(4)}  validation HR@10 ${e.validation!.hr.toFixed(4)}`),
  })
  console.log(`trained on ${h.backend}; kept epoch ${h.bestEpoch} (chosen on validation)`)
  const full = await model.evaluate(data, { protocol: 'full' })
  console.log(`full-ranking HR@10 ${full.hr.toFixed(4)} (over all ${data.numItems} films, not 100 sampled)`)

  // Save, then restart: a new process serves from the file alone (no dataset, no training state).
  const path = join(mkdtempSync(join(tmpdir(), 'ncf-example-')), 'neumf-ml100k.ncf')
  await model.save(path, { info: { dataset: 'ml-100k', epochs: h.epochs.length, bestEpoch: h.bestEpoch } })
  model.dispose()
  console.log(`saved ${path}; restarting to serve from it\n`)
  const script = fileURLToPath(import.meta.url)
  execFileSync(process.execPath, [...process.execArgv, script, dir, '--model', path, '--user', values.user!, '--device', device], {
    stdio: 'inherit',
  })
}

async function serve(path: string): Promise<void> {
  // u.item: `id|title|release date|…`, Latin-1; u.data's ids are integers, so ids are numbers.
  const titles = new Map<number, string>()
  for (const line of readFileSync(join(dir, 'u.item'), 'latin1').split('\n')) {
    const [id, title] = line.split('|')
    if (id && title) titles.set(Number(id), title)
  }
  const loaded = await NcfModel.load(path, { device })
  console.log(`[pid ${process.pid}] loaded ${loaded.kind} from ${path} (${JSON.stringify(loaded.info)})`)

  // The file carries the ID encoders and the seen items: ask in u.data's ids.
  const user = Number(values.user)
  const top = await loaded.recommend(user, { k: 10 })
  console.log(`\nTop 10 for user ${user} (films they rated are left out):`)
  top.forEach((r, k) => console.log(`${String(k + 1).padStart(2)}. ${titles.get(r.id as number)}  (score ${r.score.toFixed(2)})`))

  const toyStory = 1
  const alike = await loaded.similarItems(toyStory, { k: 10 })
  console.log(`\nMost similar to ${titles.get(toyStory)}:`)
  alike.forEach((r, k) => console.log(`${String(k + 1).padStart(2)}. ${titles.get(r.id as number)}  (cosine ${r.score.toFixed(3)})`))
  loaded.dispose()
}
