// The README's main job: train GMF on the embedded synthetic dataset (seeded, with planted
// taste clusters) with the library's defaults (Adam, lr 0.001, batch 256, 4 negatives) and
// print loss, HR@10 and NDCG@10 per epoch. A random ranker scores HR@10 = 10 / (1 + negatives).
//
//   npm run demo                      # device 'auto'
//   npm run demo -- --device cpu      # or gpu
import { parseArgs } from 'node:util'
import { Dataset, GMF, gpuInfo, type Device } from '../index.ts'

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'auto' },
    epochs: { type: 'string', default: '10' },
    factors: { type: 'string', default: '16' },
  },
})

const data = Dataset.synthetic({ numUsers: 2000, numItems: 1000, perUser: 30, seed: 7 })
console.log(
  `synthetic data: ${data.numUsers} users, ${data.numItems} items, ${data.numInteractions} train interactions, ` +
    `${data.numTestCases} test cases × ${data.testNegatives} negatives`,
)
try {
  const info = await gpuInfo()
  console.log(`GPU adapter: ${info.name} (${info.deviceType}, ${info.backend})`)
} catch (e) {
  console.log(`GPU adapter: none (${(e as Error).message.split('.')[0]})`)
}
const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: Number(values.factors), seed: 1 })
const history = await model.fit(data, {
  epochs: Number(values.epochs),
  seed: 1,
  device: values.device as Device,
  onEpoch: (e) =>
    console.log(
      `epoch ${String(e.epoch).padStart(2)}  loss ${e.loss.toFixed(4)}  HR@10 ${e.hr?.toFixed(4)}  NDCG@10 ${e.ndcg?.toFixed(4)}  ${e.seconds.toFixed(2)} s`,
    ),
})
console.log(`trained on ${history.backend}; a random ranker scores HR@10 ${(10 / (1 + data.testNegatives)).toFixed(2)}`)
model.dispose()
