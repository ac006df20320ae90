// Rating regression on MovieLens-100K's official folds (u1–u5: train on uN.base, test on
// uN.test): the baselines and every model with task 'rating', mean ± spread of RMSE, MAE and R²
// over the folds, and seconds per epoch. Epochs are chosen on a validation rating per user held
// out of uN.base (never on uN.test).
//
//   npx tsx examples/ml100k-ratings.ts [../shared/data/ml-100k] [--folds 1,2,3,4,5]
//       [--models mean,bias,mf,mf+f,gmf,gmf+b,mlp,mlp+f,neumf,neumf+f,neumf+b,neumf+b+f] [--epochs 40] [--refit]
//       [--device auto|gpu|cpu] [--json out.json]
// ("+f": with genres and year of films, age, gender and occupation of users, in the tower input
// of MLP and NeuMF and added to the embeddings of GMF and MF (`featuresIn: 'gmf'`);
// "+b": with a learned bias per user and per item, `biases: true`)
import { parseArgs } from 'node:util'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Baseline, Dataset, Features, GMF, MF, MLP, NeuMF, type Device, type FitOptions, type NcfModel } from '../index.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    folds: { type: 'string', default: '1,2,3,4,5' },
    models: { type: 'string', default: 'mean,bias,mf,mf+f,gmf,gmf+b,mlp,mlp+f,neumf,neumf+f,neumf+b,neumf+b+f' },
    epochs: { type: 'string', default: '40' },
    device: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    // Tuning: JSON merged over the recipes, e.g. '{"mf":{"fit":{"l2":0.1},"factors":64}}'.
    override: { type: 'string' },
    // Refit: after choosing the epoch count on validation, train a fresh model on all of uN.base
    // (validation ratings included) for that many epochs and test that one.
    refit: { type: 'boolean', default: false },
  },
})
const override: Record<string, Omit<Shape, 'features'> & { fit?: FitOptions }> = JSON.parse(values.override ?? '{}')
const dir = positionals[0] ?? '../shared/data/ml-100k'
const device = values.device as Device
const epochs = Number(values.epochs)

/** Model builders and their fit options, chosen on the mean validation RMSE over the folds (BENCHMARKS.md). */
interface Shape {
  factors?: number
  layers?: number[]
  features?: Dataset
  featuresIn?: 'mlp' | 'gmf' | 'both'
  biases?: boolean
}
type Build = (nu: number, ni: number, shape: Shape) => NcfModel
const recipes: Record<string, { build: Build; fit: FitOptions }> = {
  mf: {
    build: (nu, ni, { factors = 32, biases, features, featuresIn }) =>
      new MF({ numUsers: nu, numItems: ni, factors, biases, task: 'rating', device, features, featuresIn }),
    fit: { optimizer: 'adam', lr: 0.002, batchSize: 256, l2: 0.05, weightDecay: 1e-4 },
  },
  gmf: {
    build: (nu, ni, { factors = 32, biases, features, featuresIn }) =>
      new GMF({ numUsers: nu, numItems: ni, factors, biases, task: 'rating', device, features, featuresIn }),
    fit: { optimizer: 'adam', lr: 0.002, batchSize: 256, l2: 0.05 },
  },
  mlp: {
    build: (nu, ni, { factors = 16, layers, features, featuresIn, biases }) =>
      new MLP({ numUsers: nu, numItems: ni, factors, layers, task: 'rating', device, features, featuresIn, biases }),
    fit: { optimizer: 'adam', lr: 0.001, batchSize: 256, dropout: 0.3, l2: 0.01 },
  },
  neumf: {
    build: (nu, ni, { factors = 16, layers, features, featuresIn, biases }) =>
      new NeuMF({ numUsers: nu, numItems: ni, factors, layers, task: 'rating', device, features, featuresIn, biases }),
    fit: { optimizer: 'adam', lr: 0.001, batchSize: 256, dropout: 0.3, l2: 0.03 },
  },
}

interface Row {
  model: string
  fold: number
  rmse: number
  mae: number
  r2: number
  bestEpoch?: number
  /** Validation RMSE at the chosen epoch (what recipes are tuned on). */
  validRmse?: number
  secondsPerEpoch?: number
  backend: string
}

// Side features for the "+f" models: genres and release year of films; age, gender and
// occupation of users.
const itemFeatures = await Features.fromFile(join(dir, 'u.item'), { format: 'movielens-items' })
const userFeatures = await Features.fromFile(join(dir, 'u.user'), { format: 'movielens-users' })

const rows: Row[] = []
for (const fold of values.folds.split(',').map(Number)) {
  const plain = await Dataset.fromFile(join(dir, `u${fold}.base`), { format: 'movielens', test: join(dir, `u${fold}.test`) })
  const featured = plain.withFeatures({ users: userFeatures, items: itemFeatures })
  for (const name of values.models.split(',')) {
    if (name === 'mean' || name === 'bias') {
      const b = new Baseline({ kind: name })
      const t0 = performance.now()
      await b.fit(plain)
      const m = await b.evaluate(plain)
      rows.push({ model: name, fold, rmse: m.rmse!, mae: m.mae!, r2: m.r2!, secondsPerEpoch: (performance.now() - t0) / 1000, backend: 'cpu' })
    } else {
      const [base, ...flags] = name.split('+')
      const recipe = recipes[base]
      if (!recipe || flags.some((f) => f !== 'f' && f !== 'b')) throw new Error(`unknown model '${name}'`)
      const withFeatures = flags.includes('f')
      const data = withFeatures ? featured : plain
      const o = override[name] ?? {}
      const build = () =>
        recipe.build(data.numUsers, data.numItems, {
          factors: o.factors,
          layers: o.layers,
          features: withFeatures ? data : undefined,
          featuresIn: withFeatures ? o.featuresIn : undefined,
          biases: flags.includes('b') ? true : o.biases,
        })
      let model = build()
      const fit = { ...recipe.fit, ...o.fit, seed: fold }
      const h = await model.fit(data, { ...fit, epochs, validation: 'leave-one-out', earlyStopping: { patience: 5 } })
      if (values.refit) {
        model.dispose()
        model = build()
        await model.fit(data, { ...fit, epochs: Math.max(1, h.bestEpoch), validation: 'none' })
      }
      const m = await model.evaluate(data, { metrics: ['rmse', 'mae', 'r2'] })
      const secs = h.epochs.reduce((s, e) => s + e.seconds, 0) / h.epochs.length
      const best = h.epochs.find((e) => e.epoch === h.bestEpoch)
      rows.push({
        model: name,
        fold,
        rmse: m.rmse!,
        mae: m.mae!,
        r2: m.r2!,
        bestEpoch: h.bestEpoch,
        validRmse: best?.validationRating?.rmse,
        secondsPerEpoch: secs,
        backend: h.backend,
      })
      model.dispose()
    }
    const r = rows.at(-1)!
    console.log(`u${fold} ${name.padEnd(9)} RMSE ${r.rmse.toFixed(4)}  MAE ${r.mae.toFixed(4)}  R² ${r.r2.toFixed(4)}` +
      (r.bestEpoch !== undefined ? `  best epoch ${r.bestEpoch} (validation RMSE ${r.validRmse?.toFixed(4)})` : '') + `  ${r.secondsPerEpoch!.toFixed(2)} s/epoch (${r.backend})`)
  }
}

const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1))
  return `${mean.toFixed(4)} ± ${sd.toFixed(4)}`
}
console.log('\n| model | RMSE | MAE | R² | validation RMSE | s/epoch |\n|---|---|---|---|---|---|')
for (const name of values.models.split(',')) {
  const rs = rows.filter((r) => r.model === name)
  const valid = rs.every((r) => r.validRmse !== undefined) ? stat(rs.map((r) => r.validRmse!)) : '–'
  console.log(
    `| ${name} | ${stat(rs.map((r) => r.rmse))} | ${stat(rs.map((r) => r.mae))} | ${stat(rs.map((r) => r.r2))} | ${valid} | ${stat(rs.map((r) => r.secondsPerEpoch!))} |`,
  )
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2))
