// Datasets: interactions per user, held-out test and validation cases, the caller's ids, and
// side features attached to them.
import type {
  FeatureTables,
  FileOptions,
  InteractionArrays,
  NcfFiles,
  ScaleOptions,
  SplitOptions,
  SyntheticOptions,
} from './dataset-options.js'
import { call, callSync, invalid } from './errors.js'
import { Features } from './features.js'
import { watchedLoad } from './load.js'
import { native, type Native } from './native.js'
import { coreJson, DEFAULTS, idStrings, numbers, objectOf, toIds } from './options.js'
import type { Id } from './types.js'

/**
 * Implicit-feedback interactions, kept per user as sorted, de-duplicated rows, plus optional
 * test and validation cases (each a held-out positive with sampled negatives), and the
 * caller's ids when it was built from them.
 */
export class Dataset {
  /** @internal */
  readonly native: Native.NativeDataset

  private constructor(n: Native.NativeDataset) {
    this.native = n
  }

  /**
   * Reads an NCF split. Malformed lines fail with `ERR_PARSE` naming `file:line`.
   *
   * @example
   * ```ts
   * const data = await Dataset.fromNcfFiles({
   *   train: '../shared/data/ml-1m/ncf/ml-1m.train.rating',
   *   testRating: '../shared/data/ml-1m/ncf/ml-1m.test.rating',
   *   testNegative: '../shared/data/ml-1m/ncf/ml-1m.test.negative',
   * })
   * ```
   */
  static async fromNcfFiles(files: NcfFiles): Promise<Dataset> {
    const json = coreJson(objectOf('files', files, '{ train, testRating?, testNegative? }'))
    return new Dataset(await call(() => native.NativeDataset.fromNcfFiles(json)))
  }

  /**
   * Builds a dataset from memory: typed arrays of dense indices, or plain arrays of the
   * caller's ids (then every model fitted on it speaks those ids). A bad entry fails with
   * `ERR_INVALID_ARG` naming it (`users[3]`, `timestamps[7]`).
   *
   * @example
   * ```ts
   * const dense = Dataset.fromArrays({ users: Int32Array.of(0, 0, 1), items: Int32Array.of(2, 5, 2) })
   * const mine = Dataset.fromArrays({
   *   users: ['ann', 'ann', 'bob'], items: ['sku-9', 'sku-2', 'sku-9'],
   *   timestamps: [1700000000, 1700000500, 1700000100],
   * })
   * ```
   */
  static fromArrays(arrays: InteractionArrays): Dataset {
    const { users, items, timestamps, ratings, ...rest } = objectOf('arrays', arrays, '{ users, items }')
    const ts = timestamps === undefined ? undefined : numbers('timestamps', timestamps, Float64Array)
    const rs = ratings === undefined ? undefined : numbers('ratings', ratings, Float32Array)
    const json = coreJson(rest)
    if (users instanceof Int32Array || items instanceof Int32Array) {
      if (!(users instanceof Int32Array)) throw invalid('users', 'must be an Int32Array like items (or both plain id arrays)')
      if (!(items instanceof Int32Array)) throw invalid('items', 'must be an Int32Array like users (or both plain id arrays)')
      return new Dataset(callSync(() => native.NativeDataset.fromArrays(users, items, ts, rs, json)))
    }
    const u = idStrings('users', users)
    const i = idStrings('items', items)
    return new Dataset(callSync(() => native.NativeDataset.fromIdArrays(u, i, ts, rs, json)))
  }

  /**
   * Reads interactions with the application's own ids (any strings), streamed. Ids are mapped
   * to dense indices in sorted order (numeric when every id is an integer); {@link Dataset.userIds}
   * and the encode/decode methods translate. Duplicates are removed. Malformed records fail
   * with `ERR_PARSE` naming `file:line` and the field.
   *
   * @example
   * ```ts
   * const all = await Dataset.fromFile('ml-100k/u.data', { format: 'movielens' })
   * const data = await all.split({ negatives: 99 }) // leave-latest-out test cases
   * const events = await Dataset.fromFile('events.csv.gz', {
   *   format: 'csv', columns: { user: 'customer', item: 'sku', timestamp: 'ts' },
   * })
   * // The Netflix Prize files are ≈500 MB each: report how far the read got.
   * const netflix = await Dataset.fromFile('netflix/combined_data_1.txt', {
   *   format: 'netflix',
   *   onProgress: (p) => console.log(p.phase, `${(100 * (p.fraction ?? 0)).toFixed(1)}%`, p.lines, 'lines'),
   *   progressEvery: 1000,
   * })
   * ```
   */
  static async fromFile(path: string, options: FileOptions): Promise<Dataset> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    const shape = "{ format: 'csv' | 'movielens' | 'netflix', … }"
    const { onProgress, signal, progressEvery, ...core } = objectOf('options', options, shape)
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress', `must be a function, got ${typeof onProgress}`)
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal')
    const every = progressEvery ?? DEFAULTS.loadProgressEvery
    if (typeof every !== 'number' || !(every > 0 && every <= 2 ** 31 - 1)) {
      throw invalid('progressEvery', `must be a positive number of milliseconds, at most 2^31 − 1, got ${String(every)}`)
    }
    const opts = coreJson(core)
    if (!onProgress && !signal) return new Dataset(await call(() => native.NativeDataset.fromFile(path, opts)))
    return new Dataset(await watchedLoad(path, (progress) => native.NativeDataset.fromFile(path, opts, progress), { onProgress, every, signal }))
  }

  /**
   * Holds interactions out of this dataset as test cases (and, when asked, validation cases),
   * each ranked among `negatives` distinct items its user never interacted with. Returns a new
   * dataset: the rest as training data plus the held-out cases; ids carry over. Seeded and
   * deterministic. {@link NcfModel.fit} chooses epochs on the validation cases
   * (`validation: 'dataset'`, its default when they exist), never on the test set.
   *
   * @example
   * ```ts
   * const all = await Dataset.fromFile('ml-100k/u.data', { format: 'movielens' })
   * const loo = await all.split() // the NCF protocol: latest interaction per user, 99 negatives
   * const byTime = await all.split({ method: 'time', testRatio: 0.2, validationRatio: 0.1 })
   * ```
   */
  async split(options: SplitOptions = {}): Promise<Dataset> {
    const json = coreJson(objectOf('options', options, '{ method?, testRatio?, … }'))
    return new Dataset(await call(() => this.native.split(json)))
  }

  /**
   * The caller's user ids in index order, for datasets built from them ({@link Dataset.fromFile},
   * {@link Dataset.fromArrays} with id arrays): numbers when every id is an integer.
   */
  get userIds(): Id[] | undefined {
    const ids = this.native.userIds
    return ids == null ? undefined : this.native.userIdKind === 'number' ? ids.map(Number) : ids
  }
  /** The caller's item ids in index order (see {@link Dataset.userIds}). */
  get itemIds(): Id[] | undefined {
    const ids = this.native.itemIds
    return ids == null ? undefined : this.native.itemIdKind === 'number' ? ids.map(Number) : ids
  }
  /** Dense indices of user ids (numbers are ids too); an unknown id fails naming its position. */
  encodeUsers(ids: ArrayLike<Id>): Uint32Array {
    return callSync(() => this.native.encode('users', idStrings('ids', ids), 'users[]'))
  }
  /** Dense indices of item ids. */
  encodeItems(ids: ArrayLike<Id>): Uint32Array {
    return callSync(() => this.native.encode('items', idStrings('ids', ids), 'items[]'))
  }
  /** User ids of dense indices (numbers when every id is an integer). */
  decodeUsers(indices: ArrayLike<number>): Id[] {
    const ids = callSync(() => this.native.decode('users', toIds('indices', indices)))
    return this.native.userIdKind === 'number' ? ids.map(Number) : ids
  }
  /** Item ids of dense indices. */
  decodeItems(indices: ArrayLike<number>): Id[] {
    const ids = callSync(() => this.native.decode('items', toIds('indices', indices)))
    return this.native.itemIdKind === 'number' ? ids.map(Number) : ids
  }

  /**
   * A seeded synthetic dataset with planted structure (users and items around shared taste
   * clusters, plus a popularity tilt), split leave-one-out with sampled test negatives.
   * Useful for demos and tests; it ships with the package.
   */
  static synthetic(options: SyntheticOptions = {}): Dataset {
    const json = coreJson(objectOf('options', options, '{ numUsers?, numItems?, … }'))
    return new Dataset(callSync(() => native.NativeDataset.synthetic(json)))
  }

  /**
   * Seeded synthetic data at the size of real catalogues, for trying training, evaluation and
   * serving at scale without the data: `'ml-20m'` (138,493 users × 26,744 items × 20.0M
   * interactions) or `'netflix'` (480,189 × 17,770 × 100.5M). Users' activity is heavy-tailed
   * (log-normal), items' popularity follows a Zipf law (the most popular item holds about 0.3% of
   * the interactions), and a share `inCluster` of each user's items comes from its taste
   * cluster, so a model that learns beats popularity. `testUsers` users (6,040 by default, spread
   * over the ids) each hold one interaction out as a test case with `testNegatives` sampled
   * items. Generated in parallel on the thread pool (Netflix size: about 10 s and 800 MB here);
   * the same options give the same data on any machine.
   *
   * @example
   * ```ts
   * const data = await Dataset.syntheticAtScale({ size: 'netflix' })
   * const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 64, device: 'cpu' })
   * await model.fit(data, { epochs: 1, batchSize: 1024, sparse: true })
   * ```
   */
  static async syntheticAtScale(options: ScaleOptions): Promise<Dataset> {
    const json = coreJson(objectOf('options', options, "{ size: 'ml-20m' | 'netflix', … }"))
    return new Dataset(await call(() => native.NativeDataset.syntheticAtScale(json)))
  }

  /** Number of users (dense indices 0…numUsers−1). */
  get numUsers(): number {
    return this.native.numUsers
  }
  /** Number of items (dense indices 0…numItems−1). */
  get numItems(): number {
    return this.native.numItems
  }
  /** Training interactions after duplicate removal. */
  get numInteractions(): number {
    return this.native.numInteractions
  }
  /** Held-out test cases: one per held-out interaction (0 without a test set). */
  get numTestCases(): number {
    return this.native.numTestCases
  }
  /**
   * A copy of this dataset with side features of its users and/or items, encoded against its
   * ids: each categorical column gets an embedding table (plus a row for missing or unseen
   * values), a multi-valued column the mean of its values' embeddings (none: the zero vector),
   * and the numeric columns, standardised with statistics over this dataset's users or items
   * (a missing number counts as the mean), one shared projection. Every slot is `dim` wide
   * (default 8; the tower's slot width). Splits keep the features. Build a model with
   * `features: data` to feed them into the tower's input, `[p_u ; q_i ; f_u ; f_i]` (MLP and
   * NeuMF), or add them to the GMF/MF embeddings (`featuresIn: 'gmf'`, the only choice for GMF
   * and MF, whose slot tables are then `factors` wide).
   *
   * @example
   * ```ts
   * const items = await Features.fromFile('ml-100k/u.item', { format: 'movielens-items' })
   * const users = await Features.fromFile('ml-100k/u.user', { format: 'movielens-users' })
   * const data = (await Dataset.fromFile('ml-100k/u1.base', { format: 'movielens', test: 'ml-100k/u1.test' }))
   *   .withFeatures({ users, items })
   * const model = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, task: 'rating', features: data })
   * ```
   */
  withFeatures(features: FeatureTables): Dataset {
    const { users, items, ...core } = objectOf('features', features, '{ users?, items?, dim? }')
    for (const [side, table] of [['users', users], ['items', items]] as const) {
      if (table !== undefined && !(table instanceof Features)) throw invalid(`features.${side}`, 'must be a Features table')
    }
    const json = coreJson(core)
    return new Dataset(callSync(() => this.native.withFeatures(users?.native, items?.native, json)))
  }

  /** Side-feature inputs per user and per item (`[0, 0]` without features). */
  get featureWidths(): [number, number] {
    const [u, i] = this.native.featureWidths
    return [u, i]
  }

  /** Held-out validation cases (0 unless {@link Dataset.split} made them). */
  get numValidationCases(): number {
    return this.native.numValidationCases
  }
  /** Sampled negatives per test case. */
  get testNegatives(): number {
    return this.native.testNegatives
  }
  /** Whether the training interactions carry ratings (what `task: 'rating'` trains on). */
  get hasRatings(): boolean {
    return this.native.hasRatings
  }
  /** Duplicate `(user, item)` training pairs dropped while loading. */
  get duplicatesRemoved(): number {
    return this.native.duplicatesRemoved
  }
}
