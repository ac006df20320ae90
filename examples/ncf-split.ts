// Train GMF on a split in the NCF text format, e.g. MovieLens-1M from ../shared/data:
//
//   npx tsx examples/ncf-split.ts ../shared/data/ml-1m/ncf ml-1m --factors 32 --epochs 20
//
// Options: --factors 8, --epochs 20, --batch 256, --negatives 4, --lr 0.001,
// --optimizer adam|sgd, --seed 0, --device auto|gpu|cpu.
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { Dataset, GMF, type Device, type OptimizerName } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    factors: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '20' },
    batch: { type: 'string', default: '256' },
    negatives: { type: 'string', default: '4' },
    lr: { type: 'string', default: '0.001' },
    optimizer: { type: 'string', default: 'adam' },
    seed: { type: 'string', default: '0' },
    device: { type: 'string', default: 'auto' },
  },
})
const [dir = '../shared/data/ml-1m/ncf', name = 'ml-1m'] = positionals
const data = await Dataset.fromNcfFiles({
  train: join(dir, `${name}.train.rating`),
  testRating: join(dir, `${name}.test.rating`),
  testNegative: join(dir, `${name}.test.negative`),
})
console.log(`${name}: ${data.numUsers} users, ${data.numItems} items, ${data.numInteractions} interactions, ${data.numTestCases} test cases`)
const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: Number(values.factors), seed: Number(values.seed) })
const h = await model.fit(data, {
  epochs: Number(values.epochs),
  batchSize: Number(values.batch),
  negatives: Number(values.negatives),
  lr: Number(values.lr),
  optimizer: values.optimizer as OptimizerName,
  seed: Number(values.seed),
  device: values.device as Device,
  onEpoch: (e) =>
    console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  HR@10 ${e.hr?.toFixed(4)}  NDCG@10 ${e.ndcg?.toFixed(4)}  ${e.seconds.toFixed(2)} s`),
})
const best = h.epochs.reduce((a, b) => (b.hr! > a.hr! ? b : a))
console.log(`backend ${h.backend}; best HR@10 ${best.hr!.toFixed(4)} NDCG@10 ${best.ndcg!.toFixed(4)} at epoch ${best.epoch}`)
model.dispose()
