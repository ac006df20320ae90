// The package's entry: it re-exports the public names of src/ and holds no code. Each src/
// module's header says what lives there; tsc writes its .js and .d.ts next to it (ignored by
// git, shipped by package.json `files`). A module imports Node built-ins and its siblings only,
// never this file and never in a cycle (scripts/check-rules.mjs); only src/native.ts loads the
// binding, and code that loads models (NcfModel.load) imports src/models.ts, as this file and
// cli/train.ts do, so that every kind is registered.
/**
 * ncf-native: Neural Collaborative Filtering (He et al., WWW'17) for Node.js, trained and
 * evaluated on the GPU through wgpu compute shaders, with a deterministic CPU backend.
 *
 * @example
 * ```ts
 * import { Dataset, GMF } from 'ncf-native'
 *
 * const data = await Dataset.fromNcfFiles({
 *   train: 'ml-1m/ncf/ml-1m.train.rating',
 *   testNegative: 'ml-1m/ncf/ml-1m.test.negative',
 * })
 * const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 32 })
 * const history = await model.fit(data, {
 *   epochs: 20,
 *   onEpoch: (e) => console.log(e.epoch, e.loss, e.hr, e.ndcg),
 * })
 * console.log(await model.evaluate(data, { k: 10 }))
 * model.dispose()
 * ```
 *
 * @packageDocumentation
 */
export { Baseline, type BaselineOptions } from './src/baseline.js'
export { Dataset } from './src/dataset.js'
export type {
  FeatureTables,
  FileOptions,
  InteractionArrays,
  LoadProgress,
  NcfFiles,
  ScaleOptions,
  SplitOptions,
  SyntheticOptions,
} from './src/dataset-options.js'
export { ERROR_CODES, FitAbortedError, NcfError, type NcfErrorCode } from './src/errors.js'
export { Features, type FeatureFileOptions, type FeatureValue } from './src/features.js'
export type { FitOptions, FitProgress, PlateauOptions } from './src/fit-options.js'
export { gpuInfo, type GpuInfo, type GpuLimits } from './src/gpu.js'
export { NcfModel } from './src/model.js'
export type {
  ALSOptions,
  GMFOptions,
  LoadOptions,
  MFOptions,
  MLPOptions,
  ModelOptions,
  NeuMFOptions,
  PredictOptions,
  PretrainedOptions,
  RecommendOptions,
  SaveOptions,
  Scored,
  SimilarOptions,
} from './src/model-options.js'
export { ALS, GMF, MF, MLP, NeuMF } from './src/models.js'
export type { FoldInOptions, FoldInResult, FoldInRows } from './src/fold-in.js'
export type { MipsEmbeddings } from './src/export.js'
export { renderReport, writeReport, type ReportOptions, type ReportRun } from './src/report.js'
export type { EpochStats, EvaluateOptions, History, Metrics, RatingMetricName, RatingMetrics, RatingMetricValues } from './src/results.js'
export type { Device, Id, ModelKind, OptimizerName } from './src/types.js'
