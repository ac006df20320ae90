// Recommend latency from Node, one user at a time over every item (seen items
// excluded), p50/p99 over many calls, and one batched call for many users.
//
//   npx tsx scripts/bench-recommend.ts [--data ../shared/data/ml-1m/ncf] [--model gmf|mf|als|neumf]
//                                      [--factors 64] [--epochs 1] [--calls 2000] [--device cpu]
//
// The model is trained for --epochs here (latency does not depend on how well it is trained),
// then warmed up by 100 calls before the timed ones.
import { join } from 'node:path'
import { Dataset } from '../src/dataset.ts'
import type { NcfModel } from '../src/model.ts'
import { ALS, GMF, MF, NeuMF } from '../src/models.ts'

const args = process.argv.slice(2)
const get = (flag: string, dflt: string) => {
  const i = args.indexOf(flag)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt
}
const dir = get('--data', '../shared/data/ml-1m/ncf')
const kind = get('--model', 'gmf')
const factors = Number(get('--factors', '64'))
const epochs = Number(get('--epochs', '1'))
const calls = Number(get('--calls', '2000'))
const device = get('--device', 'cpu') as 'cpu' | 'gpu'

const data = await Dataset.fromNcfFiles({
  train: join(dir, 'ml-1m.train.rating'),
  testRating: join(dir, 'ml-1m.test.rating'),
  testNegative: join(dir, 'ml-1m.test.negative'),
})
const shape = { numUsers: data.numUsers, numItems: data.numItems, factors, device }
const m: NcfModel =
  kind === 'mf' ? new MF(shape) : kind === 'als' ? new ALS(shape) : kind === 'neumf' ? new NeuMF({ ...shape, layers: [8 * factors, 4 * factors, 2 * factors, factors] }) : new GMF(shape)
await m.fit(data, { epochs, evaluate: false, device })

const users = Array.from({ length: calls }, (_, k) => (k * 2654435761) % data.numUsers)
for (let k = 0; k < 100; k++) await m.recommend(users[k], { k: 10, device })
const ms: number[] = []
for (const u of users) {
  const t = process.hrtime.bigint()
  await m.recommend(u, { k: 10, device })
  ms.push(Number(process.hrtime.bigint() - t) / 1e6)
}
ms.sort((a, b) => a - b)
const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]
const t0 = process.hrtime.bigint()
const many = users.slice(0, 1000)
const batch = await m.recommend(many, { k: 10, device })
const batchMs = Number(process.hrtime.bigint() - t0) / 1e6
console.log(
  `${kind.toUpperCase()} f${factors} on ${data.numUsers} users x ${data.numItems} items, ${device}: ` +
    `recommend(k 10) p50 ${q(0.5).toFixed(3)} ms, p90 ${q(0.9).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms over ${calls} calls; ` +
    `one call for ${many.length} users ${batchMs.toFixed(1)} ms (${(batchMs / many.length).toFixed(3)} ms a user, ${batch.length} lists)`,
)
m.dispose()
