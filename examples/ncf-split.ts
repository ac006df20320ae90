// Train any NCF model on a split in the NCF text format, e.g. MovieLens-1M from ../shared/data:
//
//   npx tsx examples/ncf-split.ts ../shared/data/ml-1m/ncf ml-1m --model neumf-pre --factors 8
//
// Options: --model gmf|mf|mlp|neumf|neumf-pre (default gmf), --factors 8, --epochs 20,
// --batch 256, --negatives 4, --lr 0.001, --optimizer adam|sgd, --dropout 0, --seed 0,
// --device auto|gpu|cpu, --validation (choose the epoch on a leave-one-out validation case per
// user instead of reporting the last one). neumf-pre first trains GMF and MLP with these options,
// then fine-tunes NeuMF-pre with SGD (--fine-lr 0.01, momentum 0.9).
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { Dataset, GMF, MF, MLP, NeuMF, type Device, type FitOptions, type NcfModel, type OptimizerName } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: 'gmf' },
    factors: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '20' },
    batch: { type: 'string', default: '256' },
    negatives: { type: 'string', default: '4' },
    lr: { type: 'string', default: '0.001' },
    'fine-lr': { type: 'string', default: '0.01' },
    optimizer: { type: 'string', default: 'adam' },
    dropout: { type: 'string', default: '0' },
    seed: { type: 'string', default: '0' },
    device: { type: 'string', default: 'auto' },
    validation: { type: 'boolean', default: false },
  },
})
const [dir = '../shared/data/ml-1m/ncf', name = 'ml-1m'] = positionals
const data = await Dataset.fromNcfFiles({
  train: join(dir, `${name}.train.rating`),
  testRating: join(dir, `${name}.test.rating`),
  testNegative: join(dir, `${name}.test.negative`),
})
console.log(`${name}: ${data.numUsers} users, ${data.numItems} items, ${data.numInteractions} interactions, ${data.numTestCases} test cases`)
const sizes = { numUsers: data.numUsers, numItems: data.numItems, factors: Number(values.factors), seed: Number(values.seed) }
const fit: FitOptions = {
  epochs: Number(values.epochs),
  batchSize: Number(values.batch),
  negatives: Number(values.negatives),
  lr: Number(values.lr),
  optimizer: values.optimizer as OptimizerName,
  seed: Number(values.seed),
  device: values.device as Device,
  validation: values.validation ? 'leave-one-out' : 'none',
  onEpoch: (e) =>
    console.log(
      `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  HR@10 ${e.hr?.toFixed(4)}  NDCG@10 ${e.ndcg?.toFixed(4)}` +
        (e.validation ? `  (validation HR@10 ${e.validation.hr.toFixed(4)})` : '') +
        `  ${e.seconds.toFixed(2)} s`,
    ),
}
const dropout = Number(values.dropout)

async function train(model: NcfModel, options: FitOptions): Promise<void> {
  console.log(`— ${model.kind}${model.layers.length ? ` [${model.layers.join(', ')}]` : ''}`)
  const h = await model.fit(data, options)
  if (h.bestEpoch === 0) {
    const m = await model.evaluate(data)
    console.log(`backend ${h.backend}; no epoch beat the starting weights on validation; kept them: test HR@10 ${m.hr.toFixed(4)} NDCG@10 ${m.ndcg.toFixed(4)}`)
    return
  }
  const chosen = h.bestEpoch ?? h.epochs.length
  const e = h.epochs[chosen - 1]
  const how = h.bestEpoch ? 'validation-selected' : 'last'
  console.log(`backend ${h.backend}; ${how} epoch ${chosen}: test HR@10 ${e.hr!.toFixed(4)} NDCG@10 ${e.ndcg!.toFixed(4)}`)
}

let model: NcfModel
switch (values.model) {
  case 'gmf':
    model = new GMF(sizes)
    break
  case 'mf':
    model = new MF(sizes)
    break
  case 'mlp':
    model = new MLP(sizes)
    fit.dropout = dropout
    break
  case 'neumf':
    model = new NeuMF(sizes)
    fit.dropout = dropout
    break
  case 'neumf-pre': {
    const gmf = new GMF(sizes)
    const mlp = new MLP(sizes)
    await train(gmf, fit)
    await train(mlp, { ...fit, dropout })
    model = NeuMF.fromPretrained(gmf, mlp, { alpha: 0.5 })
    gmf.dispose()
    mlp.dispose()
    Object.assign(fit, { optimizer: 'sgd', lr: Number(values['fine-lr']), momentum: 0.9, dropout })
    break
  }
  default:
    throw new Error(`--model must be gmf, mf, mlp, neumf or neumf-pre, got ${values.model}`)
}
await train(model, fit)
model.dispose()
