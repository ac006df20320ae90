// The core owns every option's name, type, range and default (ncf_core::options and the
// readers over it); the TypeScript types describe the same objects for the compiler and the
// docs. This holds the two to one list: each options type declares exactly the names the core
// reads, plus the ones the TypeScript layer keeps (callbacks, a signal, a device, a dataset).
import test from 'ava'
import { join, resolve } from 'node:path'
import ts from 'typescript'

import { native } from '../src/native.js'

const root = resolve(import.meta.dirname, '..')

const program = ts.createProgram(
  ['src/fit-options.ts', 'src/model-options.ts', 'src/dataset-options.ts', 'src/results.ts', 'src/fold-in.ts', 'src/features.ts', 'src/baseline.ts'].map((f) => join(root, f)),
  { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true },
)
const checker = program.getTypeChecker()

/** The property names of the type `name` that `file` exports (inherited and mapped ones too). */
function declared(file: string, name: string): string[] {
  const source = program.getSourceFile(join(root, file))
  if (!source) throw new Error(`${file} is not in the program`)
  const module = checker.getSymbolAtLocation(source)
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === name)
  if (!symbol) throw new Error(`${file} exports no ${name}`)
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((p) => p.name).sort()
}

const cases = [
  { of: 'fit', file: 'src/fit-options.ts', type: 'FitOptions', own: ['device', 'onEpoch', 'onProgress', 'progressEvery', 'signal'] },
  { of: 'GMF', file: 'src/model-options.ts', type: 'GMFOptions', own: ['device', 'features'] },
  { of: 'MF', file: 'src/model-options.ts', type: 'MFOptions', own: ['device', 'features'] },
  { of: 'MLP', file: 'src/model-options.ts', type: 'MLPOptions', own: ['device', 'features'] },
  { of: 'NeuMF', file: 'src/model-options.ts', type: 'NeuMFOptions', own: ['device', 'features'] },
  { of: 'ALS', file: 'src/model-options.ts', type: 'ALSOptions', own: ['device'] },
  { of: 'Dataset.fromNcfFiles', file: 'src/dataset-options.ts', type: 'NcfFiles', own: [] },
  { of: 'Dataset.fromArrays', file: 'src/dataset-options.ts', type: 'InteractionArrays', own: ['users', 'items', 'timestamps', 'ratings'] },
  { of: 'Dataset.fromFile', file: 'src/dataset-options.ts', type: 'FileOptions', own: ['onProgress', 'progressEvery', 'signal'] },
  { of: 'Dataset.split', file: 'src/dataset-options.ts', type: 'SplitOptions', own: [] },
  { of: 'Dataset.synthetic', file: 'src/dataset-options.ts', type: 'SyntheticOptions', own: [] },
  { of: 'Dataset.syntheticAtScale', file: 'src/dataset-options.ts', type: 'ScaleOptions', own: [] },
  { of: 'Dataset.withFeatures', file: 'src/dataset-options.ts', type: 'FeatureTables', own: ['users', 'items'] },
  { of: 'Features.fromFile', file: 'src/features.ts', type: 'FeatureFileOptions', own: [] },
  { of: 'Baseline', file: 'src/baseline.ts', type: 'BaselineOptions', own: [] },
  { of: 'NeuMF.fromPretrained', file: 'src/model-options.ts', type: 'PretrainedOptions', own: [] },
  { of: 'recommend', file: 'src/model-options.ts', type: 'RecommendOptions', own: ['device', 'describe', 'data', 'filterItems', 'excludeItems'] },
  { of: 'similar', file: 'src/model-options.ts', type: 'SimilarOptions', own: ['device'] },
  { of: 'evaluate', file: 'src/results.ts', type: 'EvaluateOptions', own: ['device'] },
  { of: 'predict', file: 'src/model-options.ts', type: 'PredictOptions', own: ['device', 'describe'] },
  { of: 'foldIn', file: 'src/fold-in.ts', type: 'FoldInOptions', own: [] },
  { of: 'save', file: 'src/model-options.ts', type: 'SaveOptions', own: ['info'] },
  { of: 'load', file: 'src/model-options.ts', type: 'LoadOptions', own: ['device'] },
] as const

for (const { of, file, type, own } of cases) {
  test(`${type} declares the options the core reads for ${of}, and the TypeScript layer's own`, (t) => {
    const core = native.optionNames(of)
    // Every key of predict's and load's options is the TypeScript layer's; the core reads
    // (and refuses every key of) an empty object there, and at least one option elsewhere.
    if (of === 'predict' || of === 'load') t.deepEqual(core, [])
    else t.true(core.length >= 1, `the core lists ${of}'s options: ${core.join(', ')}`)
    t.false(core.some((n) => (own as readonly string[]).includes(n)), `the TypeScript layer's options are not the core's: ${core.join(', ')}`)
    t.deepEqual(declared(file, type), [...core, ...own].sort())
  })
}
