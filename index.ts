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
import { createRequire } from 'node:module'
import type * as Native from './binding.cjs'

// Mesa's device-select Vulkan layer prints "error: XDG_RUNTIME_DIR is invalid" in headless
// processes. ncf-native ranks adapters itself, so the layer has nothing to add; the user's own
// setting wins.
process.env.NODEVICE_SELECT ??= '1'

const require = createRequire(import.meta.url)
const native: typeof Native = require('./binding.cjs')

/**
 * Where a call runs: the GPU, the CPU backend, or (`'auto'`) a hardware GPU when one exists,
 * else the CPU backend. A software Vulkan adapter such as lavapipe counts as no GPU for `'auto'`:
 * it emulates a GPU on the same cores, slower than the CPU backend. `'gpu'` still uses it.
 */
export type Device = 'auto' | 'gpu' | 'cpu'

/** Optimizers with PyTorch semantics (Adam is bias-corrected). */
export type OptimizerName = 'adam' | 'sgd'

/**
 * Every error ncf-native throws. `code` is stable:
 * - `ERR_INVALID_ARG`: an argument or array element is out of its domain (the message names it);
 * - `ERR_PARSE`: a malformed input line (the message starts with `file:line:`);
 * - `ERR_IO`: a file cannot be read or written;
 * - `ERR_FORMAT`: a model file is truncated, corrupted, foreign, of another kind, or from a
 *   newer ncf-native (the message starts with the path);
 * - `ERR_DATA`: the data cannot be used as asked (empty input, ids outside the model, …);
 * - `ERR_NO_GPU`: `device: 'gpu'` and no adapter exists;
 * - `ERR_GPU`: the GPU device failed;
 * - `ERR_DIVERGED`: training produced a non-finite loss;
 * - `ERR_DISPOSED`: the model was disposed;
 * - `ERR_BUSY`: the model is already training (one `fit` at a time per model).
 */
export class NcfError extends Error {
  /** Stable machine-readable code, e.g. `ERR_PARSE`. */
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NcfError'
    this.code = code
  }
}

const CODED = /^(ERR_[A-Z_]+): ([\s\S]*)$/

function lift(err: unknown): unknown {
  if (err instanceof NcfError || !(err instanceof Error)) return err
  const m = CODED.exec(err.message)
  if (m) return new NcfError(m[1], m[2], { cause: err })
  const code = (err as { code?: unknown }).code
  return new NcfError(typeof code === 'string' && code.startsWith('ERR_') ? code : 'ERR_INVALID_ARG', err.message, {
    cause: err,
  })
}

/** Calls into the binding and turns its errors into {@link NcfError}s. */
async function call<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    throw lift(err)
  }
}

function callSync<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    throw lift(err)
  }
}

function invalid(field: string, message: string): NcfError {
  return new NcfError('ERR_INVALID_ARG', `${field}: ${message}`)
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw invalid(field, `must be a positive integer, got ${String(v)}`)
  }
  return v
}

/** Ids (dense indices) from a typed array or an array of numbers, naming the first bad entry. */
function toIds(field: string, v: unknown): Uint32Array {
  if (v instanceof Uint32Array) return v
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) {
    throw invalid(field, 'must be an array or typed array of non-negative integer ids')
  }
  const a = v as ArrayLike<unknown>
  const out = new Uint32Array(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff) {
      throw invalid(`${field}[${k}]`, `must be a non-negative integer id, got ${String(x)}`)
    }
    out[k] = x
  }
  return out
}

/** Ids as strings for the binding (numbers by their decimal text), naming a bad entry. */
function idStrings(field: string, v: unknown): string[] {
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) {
    throw invalid(field, 'must be an array of ids (strings or numbers)')
  }
  const a = v as ArrayLike<unknown>
  const out = new Array<string>(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x === 'string') out[k] = x
    else if (typeof x === 'number' && Number.isFinite(x)) out[k] = String(x)
    else throw invalid(`${field}[${k}]`, `must be a string or finite number id, got ${String(x)}`)
  }
  return out
}

/** A typed copy of numbers, naming the first one that is not finite. */
function numbers<T extends Float32Array | Float64Array>(
  field: string,
  v: unknown,
  Kind: { new (n: number): T },
): T {
  if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || v instanceof DataView) throw invalid(field, 'must be an array of numbers')
  const a = v as ArrayLike<unknown>
  const out = new Kind(a.length)
  for (let k = 0; k < a.length; k++) {
    const x = a[k]
    if (typeof x !== 'number' && typeof x !== 'bigint') throw invalid(`${field}[${k}]`, `must be a number, got ${String(x)}`)
    const n = Number(x)
    if (!Number.isFinite(n)) throw invalid(`${field}[${k}]`, `must be a finite number, got ${String(x)}`)
    out[k] = n
  }
  return out
}

function optionalCount(field: string, v: unknown): number | undefined {
  return v === undefined ? undefined : positiveInt(field, v)
}

function checkDevice(device: unknown): Device {
  if (device !== 'auto' && device !== 'gpu' && device !== 'cpu') {
    throw invalid('device', `must be 'auto', 'gpu' or 'cpu', got ${String(device)}`)
  }
  return device
}

let warnedFallback = false
function warnFallback(reason: string): void {
  if (warnedFallback) return
  warnedFallback = true
  const first = reason.split(/\.\s/)[0]
  console.warn(`ncf-native: no usable GPU (${first}); falling back to the CPU backend. Pass device: 'cpu' to silence this.`)
}

/** The adapter's limits that bound what can be trained on it. */
export interface GpuLimits {
  /** Largest storage buffer one binding may see, in bytes (wgpu `max_storage_buffer_binding_size`). */
  maxStorageBufferBindingSize: number
  /** Largest buffer the device allocates, in bytes. */
  maxBufferSize: number
  /** Largest workgroup width in x. */
  maxComputeWorkgroupSizeX: number
  /** Most invocations in one workgroup. */
  maxComputeInvocationsPerWorkgroup: number
  /** Most workgroups per dispatch dimension. */
  maxComputeWorkgroupsPerDimension: number
  /** Alignment of dynamic uniform offsets, in bytes (the per-step record ring follows it). */
  minUniformBufferOffsetAlignment: number
}

/** What {@link gpuInfo} reports about the GPU adapter. */
export interface GpuInfo {
  /** Adapter name, e.g. `NVIDIA H100` or `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  name: string
  /** `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (software) or `Other`. */
  deviceType: string
  /** Graphics API: `Vulkan`, `Metal` or `Dx12`. */
  backend: string
  /** Driver name. */
  driver: string
  /** Driver version and details. */
  driverInfo: string
  /** The limits the kernels are sized by. */
  limits: GpuLimits
  /** Smallest subgroup (warp, wave) size the adapter reports. */
  subgroupMinSize: number
  /** Largest subgroup size the adapter reports. */
  subgroupMaxSize: number
  /** Whether gradients accumulate with native f32 atomics (else a compare-exchange loop). */
  float32Atomics: boolean
  /** Workgroup size the kernels were compiled with. */
  workgroupSize: number
}

/**
 * Describes the GPU adapter ncf-native trains on. The adapter is chosen once per process:
 * discrete over integrated over virtual over software.
 *
 * @throws {@link NcfError} `ERR_NO_GPU` when no adapter exists; the message says what to
 * install, and `device: 'cpu'` always works.
 * @example
 * ```ts
 * const info = await gpuInfo()
 * console.log(info.name, info.backend, info.limits.maxStorageBufferBindingSize)
 * ```
 */
export async function gpuInfo(): Promise<GpuInfo> {
  return call(() => native.gpuInfo())
}

/** Paths of a split in the NCF text format (the original NCF code's `Data/` folder). */
export interface NcfFiles {
  /** `*.train.rating`: `user\titem[\trating[\ttimestamp]]`, 0-based ids. */
  train: string
  /** `*.test.rating`; when given, each line must match the same line of `testNegative`. */
  testRating?: string
  /** `*.test.negative`: `(user,item)\tneg1\tneg2…`, one test case per line. */
  testNegative?: string
  /** Number of users; defaults to the largest user id + 1. */
  numUsers?: number
  /** Number of items; defaults to the largest item id + 1 (train and test). */
  numItems?: number
}

/**
 * A user or item id as the application has it. Models and datasets built from the caller's
 * ids ({@link Dataset.fromFile}, {@link Dataset.fromArrays} with plain arrays) take and return
 * these ids; numbers come back as numbers when every id of that side is an integer, strings
 * otherwise. Without such ids, an id is the dense index itself.
 */
export type Id = string | number

/**
 * In-memory interactions: `users[k]` interacted with `items[k]`.
 * - `Int32Array`s are dense indices `0 … n−1` (no id encoder; `numUsers`/`numItems` may
 *   reserve more).
 * - Plain arrays hold the caller's ids (strings or numbers, mixed allowed); they are encoded in
 *   sorted id order (numeric when every id is an integer), as {@link Dataset.fromFile} does.
 */
export interface InteractionArrays {
  /** Each interaction's user: dense indices (`Int32Array`) or the caller's ids. */
  users: Int32Array | readonly Id[]
  /** Each interaction's item, in the same form as `users`. */
  items: Int32Array | readonly Id[]
  /** Per interaction, any integer clock (seconds or milliseconds); used by the splits. */
  timestamps?: ArrayLike<number>
  /** Per interaction; with `threshold`, only interactions rated at least it are kept. */
  ratings?: ArrayLike<number>
  /** Implicit conversion: keep `rating >= threshold` (needs `ratings`). */
  threshold?: number
  /** Typed arrays only: the number of users (default: the largest index + 1). */
  numUsers?: number
  /** Typed arrays only: the number of items. */
  numItems?: number
}

/** Options of {@link Dataset.split}. */
export interface SplitOptions {
  /**
   * - `'leave-one-out'` (default): each user's latest interaction (by timestamp; ties go to the
   *   larger item id; without timestamps a seeded choice) is its test case, as in the NCF paper.
   * - `'random'`: a seeded random `testRatio` share of each user's interactions.
   * - `'time'`: the latest `testRatio` share of each user's interactions (needs timestamps).
   *
   * Every method works per user and keeps at least one training interaction per user; a share
   * is rounded per user (`round(ratio × n)`).
   */
  method?: 'leave-one-out' | 'random' | 'time'
  /** `'random'` and `'time'`: share of each user's interactions held out for test. Default 0.2. */
  testRatio?: number
  /**
   * `'random'` and `'time'`: share held out for validation (taken just before the test share
   * for `'time'`). Default 0.
   */
  validationRatio?: number
  /** `'leave-one-out'`: also hold out each user's next latest interaction as a validation case. */
  validation?: boolean
  /**
   * Sampled negatives per held-out interaction: distinct items the user never interacted with.
   * Default 99; 0 is allowed for rated data held out for rating metrics only.
   */
  negatives?: number
  /** Seeds the random split and the negatives. Default 0. */
  seed?: number
}

/** Options of {@link Dataset.synthetic}. */
export interface SyntheticOptions {
  /** Default 1000. */
  numUsers?: number
  /** Default 800. */
  numItems?: number
  /** Interactions per user before one is held out for test. Default 30. */
  perUser?: number
  /** Taste clusters users and items are drawn around. Default 8. */
  clusters?: number
  /** Sampled negatives per test case. Default 99. */
  testNegatives?: number
  /** Default 0. */
  seed?: number
}

/** How {@link Dataset.fromFile} reads an interaction file. */
export interface FileOptions {
  /**
   * `'csv'` (any delimiter, quoted fields, a header or column positions), `'movielens'`
   * (`ratings.dat` with `::` or `u.data` with tabs: user, item, rating, timestamp) or
   * `'netflix'` (Netflix Prize `combined_data_*.txt`). A `.gz` file is decompressed.
   */
  format: 'csv' | 'movielens' | 'netflix'
  /** CSV: the field delimiter (one character, `'\t'` for TSV). Default `','`. */
  delimiter?: string
  /** CSV: whether the first line names the columns. Default true. */
  header?: boolean
  /** CSV: which columns hold what, by header name or 0-based position. Default user 0, item 1. */
  columns?: {
    /** The user column (header name or 0-based position). */
    user?: string | number
    /** The item column. */
    item?: string | number
    /** The rating column, if any. */
    rating?: string | number
    /** The timestamp column, if any (used by leave-latest-out and time splits). */
    timestamp?: string | number
  }
  /** Keep only interactions rated at least this as positives (needs a rating). Default: keep all. */
  threshold?: number
  /**
   * A separate test file in the same format, such as MovieLens-100K's `u1.test` next to
   * `u1.base`: ids are encoded over both files, and every test interaction becomes a test case
   * with its rating.
   */
  test?: string
  /** With `test`: sampled negatives per test case for ranking metrics. Default 0 (rating metrics only). */
  testNegatives?: number
  /** Seeds the test negatives. Default 0. */
  seed?: number
}

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
    if (!files || typeof files.train !== 'string') throw invalid('train', 'a path to the *.train.rating file is required')
    for (const f of ['testRating', 'testNegative'] as const) {
      if (files[f] !== undefined && typeof files[f] !== 'string') throw invalid(f, 'must be a path string')
    }
    const opts = {
      train: files.train,
      testRating: files.testRating,
      testNegative: files.testNegative,
      numUsers: optionalCount('numUsers', files.numUsers),
      numItems: optionalCount('numItems', files.numItems),
    }
    return new Dataset(await call(() => native.NativeDataset.fromNcfFiles(opts)))
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
    if (!arrays || typeof arrays !== 'object') throw invalid('arrays', 'expected { users, items }')
    const extra = {
      timestamps: arrays.timestamps === undefined ? undefined : numbers('timestamps', arrays.timestamps, Float64Array),
      ratings: arrays.ratings === undefined ? undefined : numbers('ratings', arrays.ratings, Float32Array),
      threshold: arrays.threshold,
    }
    if (extra.threshold !== undefined && (typeof extra.threshold !== 'number' || !Number.isFinite(extra.threshold))) {
      throw invalid('threshold', `must be a finite number, got ${String(extra.threshold)}`)
    }
    const { users, items } = arrays
    if (users instanceof Int32Array || items instanceof Int32Array) {
      if (!(users instanceof Int32Array)) throw invalid('users', 'must be an Int32Array like items (or both plain id arrays)')
      if (!(items instanceof Int32Array)) throw invalid('items', 'must be an Int32Array like users (or both plain id arrays)')
      const nu = optionalCount('numUsers', arrays.numUsers)
      const ni = optionalCount('numItems', arrays.numItems)
      return new Dataset(callSync(() => native.NativeDataset.fromArrays(users, items, nu, ni, extra)))
    }
    for (const f of ['numUsers', 'numItems'] as const) {
      if (arrays[f] !== undefined) throw invalid(f, 'applies to typed arrays of indices; with ids the counts come from the ids')
    }
    const u = idStrings('users', users)
    const i = idStrings('items', items)
    return new Dataset(callSync(() => native.NativeDataset.fromIdArrays(u, i, extra)))
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
   * ```
   */
  static async fromFile(path: string, options: FileOptions): Promise<Dataset> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    if (!options || typeof options !== 'object') throw invalid('options', "expected { format: 'csv' | 'movielens' | 'netflix', … }")
    const c = options.columns ?? {}
    const opts = {
      format: options.format,
      delimiter: options.delimiter,
      header: options.header,
      user: c.user,
      item: c.item,
      rating: c.rating,
      timestamp: c.timestamp,
      threshold: options.threshold,
      test: options.test,
      testNegatives: options.testNegatives,
      seed: options.seed,
    }
    if (options.test === undefined && options.seed !== undefined) throw invalid('seed', 'seeds the negatives of a test file (test: path)')
    return new Dataset(await call(() => native.NativeDataset.fromFile(path, opts)))
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
    if (!options || typeof options !== 'object') throw invalid('options', 'expected { method?, testRatio?, … }')
    const method = options.method ?? 'leave-one-out'
    // Rated data may be split for rating metrics alone (negatives: 0).
    const n = options.negatives === 0 && this.hasRatings ? 0 : positiveInt('negatives', options.negatives ?? 99)
    const seed = options.seed ?? 0
    if (!Number.isInteger(seed) || seed < 0) throw invalid('seed', `must be a non-negative integer, got ${seed}`)
    for (const f of ['testRatio', 'validationRatio'] as const) {
      const v = options[f]
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw invalid(f, `must be a number in [0, 1), got ${String(v)}`)
    }
    if (options.validation !== undefined && typeof options.validation !== 'boolean') {
      throw invalid('validation', `must be a boolean, got ${String(options.validation)}`)
    }
    const o = {
      method,
      testRatio: options.testRatio,
      validationRatio: options.validationRatio,
      validation: options.validation,
      negatives: n,
      seed,
    }
    return new Dataset(await call(() => this.native.split(o)))
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
    return callSync(() => this.native.encodeUsers(idStrings('ids', ids), 'users[]'))
  }
  /** Dense indices of item ids. */
  encodeItems(ids: ArrayLike<Id>): Uint32Array {
    return callSync(() => this.native.encodeItems(idStrings('ids', ids), 'items[]'))
  }
  /** User ids of dense indices (numbers when every id is an integer). */
  decodeUsers(indices: ArrayLike<number>): Id[] {
    const ids = callSync(() => this.native.decodeUsers(toIds('indices', indices)))
    return this.native.userIdKind === 'number' ? ids.map(Number) : ids
  }
  /** Item ids of dense indices. */
  decodeItems(indices: ArrayLike<number>): Id[] {
    const ids = callSync(() => this.native.decodeItems(toIds('indices', indices)))
    return this.native.itemIdKind === 'number' ? ids.map(Number) : ids
  }

  /**
   * A seeded synthetic dataset with planted structure (users and items around shared taste
   * clusters, plus a popularity tilt), split leave-one-out with sampled test negatives.
   * Useful for demos and tests; it ships with the package.
   */
  static synthetic(options: SyntheticOptions = {}): Dataset {
    const o = {
      numUsers: options.numUsers ?? 1000,
      numItems: options.numItems ?? 800,
      perUser: options.perUser ?? 30,
      clusters: options.clusters ?? 8,
      testNegatives: options.testNegatives ?? 99,
      seed: options.seed ?? 0,
    }
    return new Dataset(callSync(() => native.NativeDataset.synthetic(o)))
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
  withFeatures(features: { users?: Features; items?: Features; dim?: number }): Dataset {
    if (!features || typeof features !== 'object') throw invalid('features', 'expected { users?, items?, dim? }')
    for (const side of ['users', 'items'] as const) {
      if (features[side] !== undefined && !(features[side] instanceof Features)) throw invalid(`features.${side}`, 'must be a Features table')
    }
    const dim = positiveInt('dim', features.dim ?? 8)
    return new Dataset(callSync(() => this.native.withFeatures(features.users?.native, features.items?.native, dim)))
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

/** Options of {@link GMF} and {@link MF}. */
export interface ModelOptions {
  /** Number of users the model embeds (dense indices below it). */
  numUsers: number
  /** Number of items the model embeds. */
  numItems: number
  /** Predictive factors (embedding size). Default 8, as in the paper's smallest setting. */
  factors?: number
  /** Seed of the weight initialisation. Default 0. */
  seed?: number
  /** Default device of this model's `fit` and `evaluate` calls. Default `'auto'`. */
  device?: Device
  /**
   * `'implicit'` (default): interactions with sampled negatives, BCE, ŷ = σ(z).
   * `'rating'`: explicit ratings, MSE on the observed ratings only (no negatives), predictions
   * r̂ = z + μ with μ the training mean learned in the first `fit` (MF: z includes user and item
   * biases). Epochs are chosen on validation RMSE.
   */
  task?: 'implicit' | 'rating'
  /** Rating models: clip predictions to the rating range seen in training. Default true. */
  clip?: boolean
  /**
   * Add a learned bias per user and per item to the score: z + b_u + b_i (Koren, Bell & Volinsky
   * 2009, eq. 4). Default `true` for {@link MF}, `false` for the paper's GMF, MLP and NeuMF.
   * Rating models gain most from them: a user's leniency and an item's appeal are then not
   * squeezed into the embeddings (NeuMF on MovieLens-100K, BENCHMARKS.md).
   */
  biases?: boolean
  /**
   * Feed the side features of this dataset ({@link Dataset.withFeatures}) into the model (see
   * `featuresIn`). The model is then fitted on that dataset (or its splits), whose features it
   * keeps and saves.
   */
  features?: Dataset
  /**
   * Where `features` enter:
   * - `'mlp'` (default for MLP and NeuMF): each slot's vector joins the tower's input
   *   `[p_u ; q_i ; f_u ; f_i]`, as in the anime NCF studies;
   * - `'gmf'` (default and only choice for GMF and MF; NeuMF too): each slot gets a second
   *   table as wide as `factors`, and the sum of the slot vectors is added to the user's and
   *   item's embedding, `p̃_u = p_u + Σ_s v_s(u)` (SVDFeature, Chen et al. 2012), so a cold
   *   item scores from its features in the dot product too;
   * - `'both'` (NeuMF): both of the above, with separate tables.
   *
   * `similarItems`/`similarUsers` compare the id embeddings only: the feature vectors a slot
   * shares between many items would otherwise make every item of a genre look alike.
   */
  featuresIn?: 'mlp' | 'gmf' | 'both'
}

/** Options of {@link NcfModel.save}. */
export interface SaveOptions {
  /** A JSON-serialisable object stored in the file and returned by {@link NcfModel.info} after loading. */
  info?: Record<string, unknown>
  /**
   * Store the interactions of the last `fit`'s dataset (training and held-out positives; or
   * those of the loaded file) with the model,
   * so `recommend` can exclude seen items after a restart. Default true; `false` keeps the file
   * to the weights (4 bytes per interaction less).
   */
  seen?: boolean
}

/** Options of {@link NcfModel.load}. */
export interface LoadOptions {
  /** Default device of the loaded model's calls. Default `'auto'`. */
  device?: Device
}

/** Options of {@link GMF}. */
export type GMFOptions = ModelOptions
/** Options of {@link MF}. */
export type MFOptions = ModelOptions

/** Options of {@link MLP}. */
export interface MLPOptions extends ModelOptions {
  /**
   * Predictive factors: the width of the tower's last layer. Default 8. Without `layers`, the
   * tower is the paper's three layers `[8f, 4f, 2f, f]` (f = 8: `[64, 32, 16, 8]`).
   */
  factors?: number
  /**
   * Widths of the tower: the input (twice the MLP embedding size, as user and item embeddings
   * are concatenated), then one entry per dense ReLU layer. At most 8 entries. When given
   * with `factors`, its last entry must equal `factors`.
   */
  layers?: number[]
}

/** Options of {@link NeuMF}. */
export interface NeuMFOptions extends ModelOptions {
  /**
   * Predictive factors: the GMF branch's embedding size, and (without `layers`) the last width
   * of the MLP tower `[8f, 4f, 2f, f]`. Default 8 (or the last entry of `layers`).
   */
  factors?: number
  /** The MLP branch's tower, as in {@link MLPOptions.layers}. */
  layers?: number[]
}

/** Options of {@link NeuMF.fromPretrained}. */
export interface PretrainedOptions {
  /** Weight of the GMF branch in the predict layer `[α·h_GMF, (1−α)·h_MLP]`. Default 0.5. */
  alpha?: number
}

/** One ranked item (or user, for {@link NcfModel.similarUsers}) with its score. */
export interface Scored {
  /** The item's (or user's) id, as the caller knows it (see {@link Id}). */
  id: Id
  /** Its dense index in the model (row of {@link NcfModel.embeddings}). */
  index: number
  /** Logit z for recommendations (higher is better; σ(z) is the predicted probability; rating
   * models report the predicted rating r̂ = clip(z + μ)), cosine similarity in [-1, 1] for
   * similar items and users. */
  score: number
}

/** Options of {@link NcfModel.predict}. */
export interface PredictOptions {
  /** Default: the model's device. */
  device?: Device
  /**
   * Cold start for models built with side features: users or items the model has never seen,
   * described by their features (`{ items: { 'new-film': { genre: ['Comedy'], year: 2024 } } }`).
   * Their ids may then appear in `users` / `items`; their id embeddings are zero, so their scores
   * come from the features. Lists for multi-valued columns, strings for categorical ones,
   * numbers for numeric ones; a missing column is a missing value.
   */
  describe?: {
    /** New users: id → their feature values. */
    users?: Record<string, Record<string, FeatureValue>>
    /** New items: id → their feature values. */
    items?: Record<string, Record<string, FeatureValue>>
  }
}

/** Options of {@link NcfModel.similarItems} and {@link NcfModel.similarUsers}. */
export interface SimilarOptions {
  /** How many neighbours. Default 10. */
  k?: number
  /** Default: the model's device. */
  device?: Device
}

/** Options of {@link NcfModel.recommend}. */
export interface RecommendOptions {
  /** How many items per user. Default 10; fewer come back when fewer items qualify. */
  k?: number
  /**
   * Leave out items the user interacted with: those of `data`, else those of the dataset of
   * this model's last `fit`, or of the file it was loaded from (saved by default). Held-out
   * test and validation positives count as interactions too. Default true.
   */
  excludeSeen?: boolean
  /** Only these items (ids) may be recommended. */
  filterItems?: ArrayLike<Id>
  /** The interactions `excludeSeen` removes (default: the model's own, see `excludeSeen`). */
  data?: Dataset
  /**
   * Cold start for models built with side features: users the model has never seen, described
   * by their features (`{ users: { 'new-user': { age: 31, gender: 'F' } } }`); their ids may then
   * be recommended for (they have seen nothing). See {@link PredictOptions.describe}.
   */
  describe?: {
    /** New users: id → their feature values. */
    users?: Record<string, Record<string, FeatureValue>>
  }
  /** Default: the model's device. */
  device?: Device
}

/** The models ncf-native trains. */
export type ModelKind = 'GMF' | 'MF' | 'MLP' | 'NeuMF'

/** One epoch of training. */
export interface EpochStats {
  /** 1-based epoch number. */
  epoch: number
  /**
   * Mean loss over the epoch's samples: binary cross-entropy (rating models: squared error),
   * plus the `l2` term when set.
   */
  loss: number
  /** Samples trained on (positives × (1 + negatives)). */
  samples: number
  /** HR@k on the test set, when the dataset has one (reported, never used to choose). */
  hr?: number
  /** NDCG@k on the test set, when the dataset has one. */
  ndcg?: number
  /** HR@k and NDCG@k on the validation cases, with validation. */
  validation?: {
    /** HR@k on the validation cases. */
    hr: number
    /** NDCG@k on the validation cases. */
    ndcg: number
  }
  /** Rating models: RMSE / MAE / R² on the test ratings (reported, never used to choose). */
  rating?: RatingMetricValues
  /** Rating models: RMSE / MAE / R² on the validation ratings (RMSE chooses epochs). */
  validationRating?: RatingMetricValues
  /** Rating models: RMSE / MAE / R² on the training ratings, with the epoch's final weights. */
  trainRating?: RatingMetricValues
  /** Learning rate this epoch trained with (lowered by `reduceLrOnPlateau`). */
  lr: number
  /** Wall-clock seconds of training plus evaluation. */
  seconds: number
}

/** Rating-regression metrics on held-out ratings. */
export interface RatingMetricValues {
  /** Root mean squared error of r̂ = clip(z + μ). */
  rmse: number
  /** Mean absolute error. */
  mae: number
  /** Coefficient of determination, 1 − SSE/SST around the held-out ratings' mean. */
  r2: number
}

/** What {@link NcfModel.evaluate} with `metrics` (and {@link Baseline.evaluate}) returns. */
export interface RatingMetrics extends Partial<RatingMetricValues> {
  /** Held-out ratings evaluated. */
  count: number
  /** The backend that computed the metrics. */
  backend: 'gpu' | 'cpu'
}

/** Rating metric names for {@link EvaluateOptions.metrics}. */
export type RatingMetricName = 'rmse' | 'mae' | 'r2'

/**
 * `ReduceLROnPlateau` on the validation metric, with PyTorch's semantics (mode "max" for HR and
 * NDCG, "min" for RMSE; relative threshold 1e-4).
 */
export interface PlateauOptions {
  /** Multiplies the learning rate. Default 0.1. */
  factor?: number
  /** Epochs without a relative improvement of 1e-4 tolerated before lowering. Default 10. */
  patience?: number
  /** Floor of the learning rate. Default 0. */
  minLr?: number
}

/** Options of {@link NcfModel.fit}. */
export interface FitOptions {
  /** Default 20. */
  epochs?: number
  /** Default 256. */
  batchSize?: number
  /** Negatives sampled per positive, anew every epoch. Default 4. */
  negatives?: number
  /** Default `'adam'` (`'sgd'` for a {@link NeuMF.fromPretrained} model, as in the paper). */
  optimizer?: OptimizerName
  /** Default 0.001. */
  lr?: number
  /** Heavy-ball momentum of `'sgd'` (PyTorch semantics, in [0, 1)). An error with `'adam'`. */
  momentum?: number
  /** L2 penalty λ added to every gradient as λ·w (PyTorch's `weight_decay`). Default 0. */
  weightDecay?: number
  /**
   * L2 penalty λ·Σ‖row‖² on the embedding rows each sample uses (user and item; for NeuMF
   * those of both branches), once per occurrence (Rendle et al.'s regularisation for MF).
   * Unlike `weightDecay`, rows a batch does not touch are left alone, and tower weights are not
   * affected (use `weightDecay` for them). Default 0.
   */
  l2?: number
  /**
   * Inverted dropout after each ReLU of the MLP tower (MLP and NeuMF only; an error for GMF
   * and MF), drawn from the seeded RNG so runs repeat. In [0, 0.95). Default 0, as in the paper.
   */
  dropout?: number
  /** Seeds negative sampling, shuffling and dropout; the same seed repeats a run. Default 0. */
  seed?: number
  /**
   * Default `'auto'`: a hardware GPU when there is one, else the CPU backend with a one-line
   * warning (also when the only adapter is a software rasterizer such as lavapipe).
   */
  device?: Device
  /** Cut-off of the per-epoch HR/NDCG. Default 10. */
  k?: number
  /** Evaluate after every epoch (test and validation sets). Default true. */
  evaluate?: boolean
  /**
   * What chooses epochs (never the test set):
   * - `'dataset'`: the validation cases of a {@link Dataset.split} (`validation: true` or a
   *   `validationRatio`); the default when the dataset has them;
   * - `'leave-one-out'`: holds one more interaction per user out of the training data (the
   *   latest by timestamp when the data has them, else a seeded choice) and ranks it among
   *   `validationNegatives` sampled negatives;
   * - `'none'`: the default otherwise.
   */
  validation?: 'dataset' | 'leave-one-out' | 'none'
  /** Sampled negatives per validation case. Default 99. */
  validationNegatives?: number
  /** Validation metric that chooses epochs. Default `'hr'`, `'rmse'` for rating models. */
  monitor?: 'hr' | 'ndcg' | 'rmse'
  /** Lower the learning rate when the validation metric stalls (needs `validation`). */
  reduceLrOnPlateau?: PlateauOptions
  /** Stop after `patience` epochs without a new best validation value (needs `validation`). */
  earlyStopping?: {
    /** Epochs without a better validation value before training stops. */
    patience: number
  }
  /**
   * Keep the best validation epoch's weights when training ends. Default true with
   * validation (it has no effect without it).
   */
  restoreBest?: boolean
  /** Called after every epoch; return `false` to stop training. */
  onEpoch?: (stats: EpochStats) => void | boolean | Promise<void | boolean>
  /**
   * Called while an epoch runs, every `progressEvery` milliseconds and once when it ends, with
   * the batches done, samples per second, ETA and running loss. The trainer publishes them
   * after every batch (CPU) or submit of 512 steps (GPU, which then keeps at most two submits in
   * flight); the cost is measured in BENCHMARKS.md.
   */
  onProgress?: (progress: FitProgress) => void
  /** Milliseconds between `onProgress` calls. Default 250. */
  progressEvery?: number
  /**
   * Save a checkpoint to `path` every `every` epochs (default 1) and after the last: the
   * weights, the optimizer's moments and counters, the best validation weights, the learning
   * rate, and these options and the history, written atomically. Resume it with `resumeFrom`.
   */
  checkpoint?: {
    /** The checkpoint file. */
    path: string
    /** Epochs between saves. Default 1. */
    every?: number
  }
  /**
   * Continue a fit from a checkpoint written by `checkpoint` (same model shape, dataset and
   * options; `epochs` counts from the start, so a 10-epoch fit stopped after 4 continues with
   * `epochs: 10`). The result equals the uninterrupted run with the same seed: bit for bit on the
   * CPU, up to float-atomics summation order on the GPU. The returned history includes the
   * checkpoint's epochs.
   */
  resumeFrom?: string
  /**
   * Cancels training: the epoch in flight stops at its next batch (CPU) or submit (GPU) and its
   * weights are undone (the optimizer's moments are not: the session ends), `fit` rejects with a {@link FitAbortedError} (code `ERR_ABORTED`) carrying the
   * history of the complete epochs, and the model keeps the weights `fit` would have kept after
   * them (the best validation epoch with `restoreBest`, else the last complete one).
   */
  signal?: AbortSignal
}

/** What {@link FitOptions.onProgress} receives. */
export interface FitProgress {
  /** 1-based epoch in flight, and the number asked for. */
  epoch: number
  /** Epochs `fit` was asked for. */
  epochs: number
  /** Optimizer steps (batches) done in this epoch, and its total. */
  steps: number
  /** Steps in this epoch. */
  totalSteps: number
  /** Samples trained on in this epoch. */
  samples: number
  /** Samples per second over this epoch so far. */
  samplesPerSecond: number
  /** Mean loss of this epoch's samples so far (`null` before the first report). */
  loss: number | null
  /** Seconds since the epoch started, and the estimated seconds until it ends. */
  elapsedSeconds: number
  /** Estimated seconds until the epoch ends (`null` before the first step). */
  etaSeconds: number | null
}

/** `fit` was cancelled through its `signal`; `history` holds the epochs that completed. */
export class FitAbortedError extends NcfError {
  /** The complete epochs, and the epoch kept as in a finished fit. */
  readonly history: History
  constructor(history: History, cause: unknown) {
    super('ERR_ABORTED', `fit was aborted after ${history.epochs.length} complete epoch(s); the model keeps the weights chosen from them`, { cause })
    this.name = 'FitAbortedError'
    this.history = history
  }
}

/** What {@link NcfModel.fit} returns. */
export interface History {
  /** The backend that trained: `'gpu'` or `'cpu'`. */
  backend: 'gpu' | 'cpu'
  /** One entry per completed epoch, in order. */
  epochs: EpochStats[]
  /**
   * The epoch chosen on validation (its weights are kept with `restoreBest`). 0 means no epoch
   * beat the weights `fit` started from (a pretrained NeuMF, or a model fitted before), so those
   * were kept.
   */
  bestEpoch?: number
  /** True when early stopping ended training before `epochs`. */
  stoppedEarly: boolean
}

/** Options of {@link NcfModel.evaluate}. */
export interface EvaluateOptions {
  /** Cut-off K of HR@K and NDCG@K. Default 10. */
  k?: number
  /**
   * `'sampled'` (default): each held-out positive is ranked among its sampled negatives, the NCF
   * protocol. `'full'`: among every item the user has not interacted with in training (nor in
   * the dataset's validation cases), which is
   * what a deployed recommender faces; sampled metrics can mislead (Krichene & Rendle, KDD'20),
   * so report both.
   */
  protocol?: 'sampled' | 'full'
  /** Default `'auto'`. */
  device?: Device
  /**
   * Rating models: compute these rating metrics (RMSE, MAE, R² on the test cases' ratings, on
   * the device) instead of ranking metrics.
   */
  metrics?: readonly RatingMetricName[]
}

/**
 * Ranking metrics. The sampled protocol averages over test cases (one per held-out
 * interaction); the full protocol over test users, ranking all of a user's held-out items at once.
 */
export interface Metrics {
  /** The cut-off K. */
  k: number
  /**
   * Hit ratio: sampled, the share of test cases whose positive ranks in the top k; full, the
   * share of users with at least one held-out item in the top k.
   */
  hr: number
  /**
   * Mean NDCG@k: 1/log2(rank + 2) on a hit; full, the DCG of the user's held-out items in the
   * top k over the ideal DCG.
   */
  ndcg: number
  /** Test cases (sampled) or test users (full) evaluated. */
  cases: number
  /** How candidates were chosen (see {@link EvaluateOptions.protocol}). */
  protocol: 'sampled' | 'full'
  /**
   * Recall@k: held-out items in the top k over the user's held-out items, averaged over users;
   * reported by the full protocol. With one held-out item per user it equals `hr`.
   */
  recall?: number
  /** The backend that computed the metrics. */
  backend: 'gpu' | 'cpu'
}

/** Lists of `{ id, index, score }` from the binding's flattened ranking. */
function unflatten(r: Native.NativeRanked, ids: (indices: Uint32Array) => Id[]): Scored[][] {
  const names = ids(r.items)
  const out: Scored[][] = []
  for (let u = 0; u + 1 < r.offsets.length; u++) {
    const list: Scored[] = []
    for (let j = r.offsets[u]; j < r.offsets[u + 1]; j++) list.push({ id: names[j], index: r.items[j], score: r.scores[j] })
    out.push(list)
  }
  return out
}

/** One id, or several: a string or number is one id; an array or typed array is several. */
function isOne(v: unknown): v is Id {
  return typeof v === 'string' || typeof v === 'number'
}

/** Native handles of models, for {@link NeuMF.fromPretrained} (module-private). */
const handles = new WeakMap<object, Native.NativeModel>()

/** Marks a constructor call that wraps an existing native model (NeuMF.fromPretrained). */
const WRAP = Symbol('wrap')
type Wrapped = { [WRAP]: Native.NativeModel; pretrained?: boolean; device?: Device }

function createNative(kind: 'gmf' | 'mf' | 'mlp' | 'neumf', options: MLPOptions | Wrapped): Native.NativeModel {
  if (options && typeof options === 'object' && WRAP in options) return options[WRAP]
  if (!options || typeof options !== 'object') throw invalid('options', 'expected { numUsers, numItems, factors? }')
  const nu = positiveInt('numUsers', options.numUsers)
  const ni = positiveInt('numItems', options.numItems)
  const f = options.factors === undefined ? undefined : positiveInt('factors', options.factors)
  let layers: number[] | undefined
  if (options.layers !== undefined) {
    if (!Array.isArray(options.layers)) throw invalid('layers', 'must be an array of positive integers')
    layers = options.layers.map((w, k) => positiveInt(`layers[${k}]`, w))
  }
  const seed = options.seed ?? 0
  if (!Number.isInteger(seed) || seed < 0) throw invalid('seed', `must be a non-negative integer, got ${seed}`)
  const task = options.task ?? 'implicit'
  if (task !== 'implicit' && task !== 'rating') throw invalid('task', `must be 'implicit' or 'rating', got ${String(task)}`)
  if (options.clip !== undefined && (typeof options.clip !== 'boolean' || task !== 'rating')) {
    throw invalid('clip', task === 'rating' ? 'must be a boolean' : "applies to task: 'rating'")
  }
  if (options.features !== undefined && !(options.features instanceof Dataset)) {
    throw invalid('features', 'must be the Dataset whose side features the model takes (see Dataset.withFeatures)')
  }
  const featuresIn = options.featuresIn
  if (featuresIn !== undefined) {
    if (featuresIn !== 'mlp' && featuresIn !== 'gmf' && featuresIn !== 'both') {
      throw invalid('featuresIn', `must be 'mlp', 'gmf' or 'both', got ${String(featuresIn)}`)
    }
    if (options.features === undefined) throw invalid('featuresIn', 'applies to a model built with features')
  }
  if (options.biases !== undefined && typeof options.biases !== 'boolean') {
    throw invalid('biases', `must be a boolean, got ${String(options.biases)}`)
  }
  return callSync(
    () =>
      new native.NativeModel(
        kind,
        nu,
        ni,
        f,
        layers,
        seed,
        task,
        options.clip ?? true,
        options.features?.native,
        options.biases,
        featuresIn,
      ),
  )
}

/**
 * What every model shares: training with sampled negatives, evaluation, weights and disposal.
 * Use {@link GMF}, {@link MF}, {@link MLP} or {@link NeuMF}.
 */
export abstract class NcfModel {
  readonly #native: Native.NativeModel

  /** @internal Subclasses pass the native model they wrap. */
  protected constructor(native: Native.NativeModel, options?: { device?: Device }) {
    this.#native = native
    this.#device = checkDevice(options?.device ?? 'auto')
    handles.set(this, native)
  }

  readonly #device: Device

  /** Default device of this model's `fit` and `evaluate` calls. */
  get device(): Device {
    return this.#device
  }

  /**
   * The `info` object stored by {@link NcfModel.save}, for a model read by
   * {@link NcfModel.load}; `undefined` for a model built in memory.
   */
  get info(): Record<string, unknown> | undefined {
    const json = this.#native.info
    return json == null ? undefined : (JSON.parse(json) as Record<string, unknown>)
  }

  /**
   * Writes the model to one file, atomically (a temporary file in the same folder, synced, then
   * renamed over `path`): a crash leaves the old file or the new one, never a torn one. The
   * file is safetensors, with tensors named like the reference PyTorch NCF `state_dict`
   * (`embed_user_GMF.weight`, `MLP_layers.0.weight`, `predict_layer.weight`, …) and the model
   * description as JSON metadata. Weights are written from CPU-side memory whichever backend
   * trained them.
   *
   * @example
   * ```ts
   * await model.save('model.ncf')
   * const again = await NcfModel.load('model.ncf') // a GMF, MF, MLP or NeuMF, as saved
   * ```
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    const info: Record<string, unknown> = { ...(options.info ?? {}) }
    if (this instanceof NeuMF && this.pretrained) info.pretrained = true
    const seen = options.seen ?? true
    if (typeof seen !== 'boolean') throw invalid('seen', `must be a boolean, got ${String(seen)}`)
    let json: string
    try {
      json = JSON.stringify(info)
    } catch (e) {
      throw invalid('info', `must be JSON-serialisable: ${(e as Error).message}`)
    }
    await call(() => this.#native.save(path, json, seen))
  }

  /**
   * Reads a file written by {@link NcfModel.save} and returns the model it holds, as its own
   * class. Called on a subclass (`GMF.load`), the file must hold that kind. A truncated,
   * corrupted or foreign file, or one from a newer ncf-native, is `ERR_FORMAT` naming the path.
   */
  static async load<T extends NcfModel>(
    // `{ prototype: T }` rather than a constructor type: NcfModel's constructor is protected,
    // and `NcfModel.load` (any model) must type-check as well as `NeuMF.load`.
    this: { prototype: T; name: string },
    path: string,
    options: LoadOptions = {},
  ): Promise<T> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    const device = checkDevice(options.device ?? 'auto')
    const handle = await call(() => native.NativeModel.load(path))
    const wrapped: Wrapped = { [WRAP]: handle, device }
    const info = handle.info == null ? {} : (JSON.parse(handle.info) as Record<string, unknown>)
    let model: NcfModel
    switch (handle.kind) {
      case 'GMF':
        model = new GMF(wrapped as unknown as GMFOptions)
        break
      case 'MF':
        model = new MF(wrapped as unknown as MFOptions)
        break
      case 'MLP':
        model = new MLP(wrapped as unknown as MLPOptions)
        break
      default:
        wrapped.pretrained = info.pretrained === true
        model = new NeuMF(wrapped as unknown as NeuMFOptions)
    }
    const wanted = this
    const ok = (wanted as unknown) === NcfModel || model instanceof (wanted as unknown as typeof NcfModel)
    if (!ok) {
      const kind = model.kind
      model.dispose()
      throw new NcfError('ERR_FORMAT', `${path}: holds a ${kind} model, not a ${wanted.name}`)
    }
    return model as T
  }

  /** Optimizer `fit` uses when none is given. */
  protected defaultOptimizer(): OptimizerName {
    return 'adam'
  }

  /** Which model this is. */
  get kind(): ModelKind {
    return this.#native.kind as ModelKind
  }
  /** The MLP tower's widths (empty for GMF and MF). */
  get layers(): number[] {
    return this.#native.layers
  }
  /** Number of users the model embeds. */
  get numUsers(): number {
    return this.#native.numUsers
  }
  /** Number of items the model embeds. */
  get numItems(): number {
    return this.#native.numItems
  }
  /** Predictive factors: the embedding width of GMF, MF and NeuMF's GMF branch; MLP's last layer. */
  get factors(): number {
    return this.#native.factors
  }
  /** Where side features enter ({@link ModelOptions.featuresIn}); `null` without features. */
  get featuresIn(): 'mlp' | 'gmf' | 'both' | null {
    return (this.#native.featuresIn ?? null) as 'mlp' | 'gmf' | 'both' | null
  }
  /** Whether scores have a learned bias per user and per item ({@link ModelOptions.biases}). */
  get biases(): boolean {
    return this.#native.biases
  }
  /** True after {@link NcfModel.dispose}. */
  get disposed(): boolean {
    return this.#native.disposed
  }

  /**
   * A copy of the weights in the flat layout: GMF `[P (numUsers×factors) | Q (numItems×factors) | h | b]`,
   * MF `[P | Q | b_user (numUsers) | b_item (numItems) | b]`, NeuMF
   * `[P | Q | P_mlp (numUsers×E) | Q_mlp (numItems×E) | W_1 | b_1 | … | W_L | b_L | h | b]` with
   * `W_l` in PyTorch's `out × in` order and E = layers[0]/2, MLP the same without P and Q.
   */
  weights(): Float32Array {
    return callSync(() => this.#native.weights())
  }

  /**
   * Trains the model. Each epoch draws `negatives` fresh negatives per positive and reshuffles,
   * then runs every step, all on the chosen backend; the event loop stays free. After each
   * epoch the model holds that epoch's weights, so stopping early (return `false` from
   * `onEpoch`) or an error in a later epoch keeps the last complete one. With `validation`
   * and `restoreBest` (the default), the best validation epoch's weights are kept at the end.
   * Optimizer state lives for one `fit`; a model runs one `fit` at a time (`ERR_BUSY`).
   */
  async fit(data: Dataset, options: FitOptions = {}): Promise<History> {
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    const epochs = positiveInt('epochs', options.epochs ?? 20)
    const k = positiveInt('k', options.k ?? 10)
    const optimizer = options.optimizer ?? this.defaultOptimizer()
    const lr = options.lr ?? 0.001
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw invalid('lr', `must be a positive number, got ${String(lr)}`)
    const validation = options.validation ?? (data.numValidationCases > 0 ? 'dataset' : 'none')
    const rating = this.task === 'rating'
    if (!rating && options.evaluate !== false && data.numTestCases > 0 && data.testNegatives === 0) {
      throw new NcfError(
        'ERR_DATA',
        'the test cases have no sampled negatives to rank against: read the test file with testNegatives, or pass evaluate: false',
      )
    }
    const plateau = options.reduceLrOnPlateau
    if (plateau !== undefined && (typeof plateau !== 'object' || plateau === null)) {
      throw invalid('reduceLrOnPlateau', 'must be an object { factor?, patience?, minLr? }')
    }
    const early = options.earlyStopping
    if (early !== undefined && (typeof early !== 'object' || early === null)) {
      throw invalid('earlyStopping', 'must be an object { patience }')
    }
    const { onProgress, signal } = options
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress', 'must be a function')
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal')
    const every = options.progressEvery ?? 250
    if (typeof every !== 'number' || !(every >= 10 && every <= 2 ** 31 - 1)) {
      throw invalid('progressEvery', `must be at least 10 (milliseconds) and at most 2^31 − 1, got ${String(every)}`)
    }
    const watch = onProgress !== undefined || signal !== undefined
    const ck = options.checkpoint
    if (ck !== undefined && (typeof ck !== 'object' || ck === null || typeof ck.path !== 'string' || ck.path.length === 0)) {
      throw invalid('checkpoint', 'must be { path, every? } with a non-empty path')
    }
    const ckEvery = ck ? positiveInt('checkpoint.every', ck.every ?? 1) : 0
    // What a resumed fit must share with the one that wrote the checkpoint.
    const fingerprint: Record<string, unknown> = {
      kind: this.kind,
      layers: this.layers,
      factors: this.factors,
      task: this.task,
      batchSize: options.batchSize ?? 256,
      negatives: options.negatives ?? (rating ? 0 : 4),
      optimizer,
      lr,
      momentum: options.momentum ?? null,
      weightDecay: options.weightDecay ?? 0,
      l2: options.l2 ?? 0,
      dropout: options.dropout ?? 0,
      seed: options.seed ?? 0,
      validation,
      validationNegatives: options.validationNegatives ?? 99,
      monitor: options.monitor ?? (rating ? 'rmse' : 'hr'),
      // Written out with their defaults, in one key order, so equal settings compare equal.
      reduceLrOnPlateau: plateau ? { factor: plateau.factor ?? 0.1, patience: plateau.patience ?? 10, minLr: plateau.minLr ?? 0 } : null,
      earlyStopping: early ? { patience: early.patience } : null,
      restoreBest: options.restoreBest ?? true,
      k,
      evaluate: options.evaluate !== false,
    }
    let resumed: EpochStats[] = []
    // The checkpoint was written when early stopping ended its run: resuming trains no more.
    let resumedStopped = false
    if (options.resumeFrom !== undefined) {
      if (typeof options.resumeFrom !== 'string' || options.resumeFrom.length === 0) throw invalid('resumeFrom', 'must be a checkpoint path')
      const resumeFrom = options.resumeFrom
      const note = JSON.parse(await call(() => native.readCheckpointNote(resumeFrom))) as {
        options?: Record<string, unknown>
        history?: EpochStats[]
        stopped?: boolean
      }
      resumedStopped = note.stopped === true
      const stored = note.options ?? {}
      const differs = Object.keys(fingerprint).filter((key) => JSON.stringify(stored[key]) !== JSON.stringify(fingerprint[key]))
      if (differs.length > 0) {
        throw invalid(
          'resumeFrom',
          `the checkpoint was written with other options (${differs.map((key) => `${key}: ${JSON.stringify(stored[key])} there, ${JSON.stringify(fingerprint[key])} here`).join('; ')})`,
        )
      }
      resumed = note.history ?? []
    }
    const trainer = await call(() =>
      this.#native.createTrainer(data.native, {
        batchSize: options.batchSize ?? 256,
        negatives: options.negatives ?? (rating ? 0 : 4),
        optimizer,
        momentum: options.momentum,
        weightDecay: options.weightDecay ?? 0,
        l2: options.l2 ?? 0,
        dropout: options.dropout ?? 0,
        lr,
        seed: options.seed ?? 0,
        device: checkDevice(options.device ?? this.#device),
        validation,
        validationNegatives: options.validationNegatives ?? 99,
        monitor: options.monitor ?? (rating ? 'rmse' : 'hr'),
        plateauFactor: plateau ? (plateau.factor ?? 0.1) : undefined,
        plateauPatience: plateau ? (plateau.patience ?? 10) : undefined,
        plateauMinLr: plateau?.minLr,
        earlyStoppingPatience: early ? positiveInt('earlyStopping.patience', early.patience) : undefined,
        restoreBest: options.restoreBest ?? true,
        // The starting weights compete as epoch 0 (a pretrained NeuMF, a second fit).
        initialK: validation !== 'none' && options.evaluate !== false ? k : undefined,
        progress: watch,
      }),
    )
    if (trainer.fallbackReason) warnFallback(trainer.fallbackReason)
    const evalK = options.evaluate === false ? undefined : k
    const history: EpochStats[] = [...resumed]
    let first = 0
    if (options.resumeFrom !== undefined) {
      const from = options.resumeFrom
      try {
        first = await call(() => trainer.resume(from))
      } catch (err) {
        trainer.finish()
        throw err
      }
    }
    let stoppedEarly = false
    if (resumedStopped) {
      first = epochs
      stoppedEarly = true
    }
    const save = (stats: EpochStats, stopped: boolean) =>
      ck
        ? call(() => trainer.checkpoint(ck.path, JSON.stringify({ options: fingerprint, history: [...history, stats], stopped })))
        : undefined
    let aborted = false
    let bestEpoch: number | null = null
    const onAbort = () => trainer.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (let e = first; e < epochs; e++) {
        if (signal?.aborted) {
          aborted = true
          break
        }
        const started = performance.now()
        const report = () => {
          const p = trainer.progress()
          if (!p || !onProgress || p.totalSteps === 0) return
          const elapsed = (performance.now() - started) / 1000
          const rate = elapsed > 0 ? p.samples / elapsed : 0
          const perStep = p.steps > 0 ? elapsed / p.steps : null
          onProgress({
            epoch: e + 1,
            epochs,
            steps: p.steps,
            totalSteps: p.totalSteps,
            samples: p.samples,
            samplesPerSecond: rate,
            loss: p.loss ?? null,
            elapsedSeconds: elapsed,
            etaSeconds: perStep === null ? null : perStep * (p.totalSteps - p.steps),
          })
        }
        // A throwing onProgress cancels training and is rethrown, rather than crashing the process.
        let progressError: unknown
        const tick = () => {
          try {
            report()
          } catch (err) {
            progressError ??= err
            trainer.cancel()
          }
        }
        const timer = onProgress ? setInterval(tick, every) : undefined
        let r: Native.NativeEpoch
        try {
          r = await call(() => trainer.runEpoch(evalK))
        } catch (err) {
          if (progressError !== undefined) throw progressError
          if (err instanceof NcfError && err.code === 'ERR_ABORTED') {
            aborted = true
            break
          }
          throw err
        } finally {
          clearInterval(timer)
        }
        if (progressError !== undefined) throw progressError
        report()
        const stats: EpochStats = { epoch: r.epoch, loss: r.loss, samples: r.samples, lr: r.lr, seconds: r.seconds }
        if (r.hr != null) stats.hr = r.hr
        if (r.ndcg != null) stats.ndcg = r.ndcg
        if (r.validHr != null && r.validNdcg != null) stats.validation = { hr: r.validHr, ndcg: r.validNdcg }
        if (r.rmse != null && r.mae != null && r.r2 != null) stats.rating = { rmse: r.rmse, mae: r.mae, r2: r.r2 }
        if (r.trainRmse != null && r.trainMae != null && r.trainR2 != null) {
          stats.trainRating = { rmse: r.trainRmse, mae: r.trainMae, r2: r.trainR2 }
        }
        if (r.validRmse != null && r.validMae != null && r.validR2 != null) {
          stats.validationRating = { rmse: r.validRmse, mae: r.validMae, r2: r.validR2 }
        }
        if (ck && ((e + 1) % ckEvery === 0 || e + 1 === epochs || r.stop)) await save(stats, r.stop && e + 1 < epochs)
        history.push(stats)
        if (options.onEpoch && (await options.onEpoch(stats)) === false) break
        if (r.stop && e + 1 < epochs) {
          stoppedEarly = true
          break
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      // Keep the chosen weights and release the session's GPU buffers now.
      bestEpoch = trainer.finish()
    }
    const result: History = { backend: trainer.backend as 'gpu' | 'cpu', epochs: history, stoppedEarly }
    if (bestEpoch != null) result.bestEpoch = bestEpoch
    if (aborted) throw new FitAbortedError(result, signal?.reason)
    return result
  }

  /**
   * HR@k and NDCG@k over the dataset's test cases: each held-out positive is ranked among its
   * sampled negatives, ties counting against the positive (He et al. §4.1). With
   * `protocol: 'full'`, among every item its user has not interacted with in training.
   */
  async evaluate(data: Dataset, options: EvaluateOptions & { metrics: readonly RatingMetricName[] }): Promise<RatingMetrics>
  async evaluate(data: Dataset, options?: EvaluateOptions): Promise<Metrics>
  async evaluate(data: Dataset, options: EvaluateOptions = {}): Promise<Metrics | RatingMetrics> {
    if (options.metrics !== undefined) return this.#evaluateRatings(data, options)
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    const k = positiveInt('k', options.k ?? 10)
    const device = checkDevice(options.device ?? this.#device)
    const protocol = options.protocol ?? 'sampled'
    if (protocol !== 'sampled' && protocol !== 'full') {
      throw invalid('protocol', `must be 'sampled' or 'full', got ${String(protocol)}`)
    }
    const m = await call(() => this.#native.evaluate(data.native, k, device, protocol === 'full'))
    if (m.fallbackReason) warnFallback(m.fallbackReason)
    const out: Metrics = { k: m.k, hr: m.hr, ndcg: m.ndcg, cases: m.cases, protocol, backend: m.backend as 'gpu' | 'cpu' }
    if (m.recall != null) out.recall = m.recall
    return out
  }

  async #evaluateRatings(data: Dataset, options: EvaluateOptions): Promise<RatingMetrics> {
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    const names: readonly RatingMetricName[] = options.metrics ?? []
    if (!Array.isArray(names) || names.length === 0) throw invalid('metrics', "must list 'rmse', 'mae' and/or 'r2'")
    names.forEach((n, k) => {
      if (n !== 'rmse' && n !== 'mae' && n !== 'r2') throw invalid(`metrics[${k}]`, `must be 'rmse', 'mae' or 'r2', got ${String(n)}`)
    })
    for (const f of ['k', 'protocol'] as const) {
      if (options[f] !== undefined) throw invalid(f, 'applies to ranking metrics, not to rating metrics')
    }
    const device = checkDevice(options.device ?? this.#device)
    const m = await call(() => this.#native.evaluateRating(data.native, device))
    if (m.fallbackReason) warnFallback(m.fallbackReason)
    const out: RatingMetrics = { count: m.count, backend: m.backend as 'gpu' | 'cpu' }
    for (const n of names as readonly RatingMetricName[]) out[n] = m[n]
    return out
  }

  /** `'implicit'` or `'rating'` (see {@link ModelOptions.task}). */
  get task(): 'implicit' | 'rating' {
    return this.#native.taskKind as 'implicit' | 'rating'
  }

  /** A rating model's scale: r̂ = z + mean, clipped to [min, max] (known after its first `fit`). */
  get ratingScale():
    | {
        /** μ, the training mean rating added to every score. */
        mean: number
        /** Smallest rating seen in training. */
        min: number
        /** Largest rating seen in training. */
        max: number
        /** Whether predictions are clipped to [min, max]. */
        clip: boolean
      }
    | undefined {
    return this.#native.ratingScale ?? undefined
  }

  /**
   * The caller's user ids in index order: known once the model was fitted on a dataset built
   * from them ({@link Dataset.fromFile}, {@link Dataset.fromArrays} with id arrays) covering
   * exactly its users and items, and saved with it.
   */
  get userIds(): Id[] | undefined {
    const ids = this.#native.userIds
    return ids == null ? undefined : this.#native.userIdKind === 'number' ? ids.map(Number) : ids
  }
  /** The caller's item ids in index order (see {@link NcfModel.userIds}). */
  get itemIds(): Id[] | undefined {
    const ids = this.#native.itemIds
    return ids == null ? undefined : this.#native.itemIdKind === 'number' ? ids.map(Number) : ids
  }
  /** Model indices of user ids; an unknown id fails with `ERR_INVALID_ARG` naming its position. */
  encodeUsers(ids: ArrayLike<Id>): Uint32Array {
    return this.#encode('users', 'users[]', ids)
  }
  /** Model indices of item ids. */
  encodeItems(ids: ArrayLike<Id>): Uint32Array {
    return this.#encode('items', 'items[]', ids)
  }
  /** User ids of model indices (numbers when the ids are integers). */
  decodeUsers(indices: ArrayLike<number>): Id[] {
    return this.#decode('users', toIds('indices', indices))
  }
  /** Item ids of model indices. */
  decodeItems(indices: ArrayLike<number>): Id[] {
    return this.#decode('items', toIds('indices', indices))
  }

  /** Indices of ids; `field` is `users[]`-style (positions named) or a single argument's name. */
  #encode(side: 'users' | 'items', field: string, ids: unknown): Uint32Array {
    const kind = side === 'users' ? this.#native.userIdKind : this.#native.itemIdKind
    const name = field.replace('[]', '')
    if (kind === 'index' && (ids instanceof Uint32Array || ids instanceof Int32Array || Array.isArray(ids))) {
      // No encoder: ids are the indices themselves (bounds are checked by the call).
      if (Array.from(ids as ArrayLike<unknown>).every((x) => typeof x === 'number')) {
        const ix = toIds(name, ids)
        const n = side === 'users' ? this.numUsers : this.numItems
        const bad = ix.findIndex((i) => i >= n)
        if (bad >= 0) {
          const at = field.endsWith('[]') ? `${name}[${bad}]` : name
          throw invalid(at, `id ${ix[bad]} is not below ${side === 'users' ? 'numUsers' : 'numItems'} = ${n}`)
        }
        return ix
      }
    }
    const strings = idStrings(name, ids)
    return callSync(() =>
      side === 'users' ? this.#native.encodeUsers(strings, field) : this.#native.encodeItems(strings, field),
    )
  }

  #decode(side: 'users' | 'items', indices: Uint32Array): Id[] {
    const kind = side === 'users' ? this.#native.userIdKind : this.#native.itemIdKind
    if (kind === 'index') {
      const n = side === 'users' ? this.numUsers : this.numItems
      const bad = indices.findIndex((i) => i >= n)
      if (bad >= 0) throw invalid(`indices[${bad}]`, `index ${indices[bad]} is out of range`)
      return Array.from(indices)
    }
    const ids = callSync(() => (side === 'users' ? this.#native.decodeUsers(indices) : this.#native.decodeItems(indices)))
    return kind === 'number' ? ids.map(Number) : ids
  }

  /**
   * Indices of ids where the ids of `describe[side]` are new entities after the model's own
   * rows (in description order); their descriptions are appended to `cold[side]`.
   */
  #encodeDescribed(
    side: 'users' | 'items',
    ids: ArrayLike<Id>,
    describe: PredictOptions['describe'],
    cold: { users: Record<string, FeatureValue>[]; items: Record<string, FeatureValue>[] },
    field: string,
  ): Uint32Array {
    if (!describe || typeof describe !== 'object') throw invalid('describe', 'expected { users?, items? } of id → features')
    const known = side === 'users' ? this.numUsers : this.numItems
    const table = describe[side] ?? {}
    if (typeof table !== 'object' || table === null) throw invalid(`describe.${side}`, 'must map ids to feature values')
    const fresh = new Map<string, number>()
    for (const [id, values] of Object.entries(table)) {
      if (!values || typeof values !== 'object' || Array.isArray(values)) {
        throw invalid(`describe.${side}.${id}`, 'must be an object of feature values')
      }
      fresh.set(id, known + cold[side].length)
      cold[side].push(values)
    }
    const list = Array.from(ids as ArrayLike<unknown>)
    const out = new Uint32Array(list.length)
    const rest: number[] = []
    list.forEach((x, k) => {
      const n = fresh.get(String(x))
      if (n === undefined) rest.push(k)
      else out[k] = n
    })
    const enc = this.#encode(side, field.endsWith('[]') ? `${side}[]` : field, rest.map((k) => list[k] as Id))
    rest.forEach((k, j) => (out[k] = enc[j]))
    return out
  }

  /**
   * Predicted probabilities ŷ = σ(z) of the pairs `(users[t], items[t])` (rating models: the
   * predicted ratings r̂ = clip(z + μ)), given as ids,
   * computed on the model's device.
   *
   * @example
   * ```ts
   * const [p] = await model.predict([196], [242]) // u.data ids
   * ```
   */
  async predict(users: ArrayLike<Id>, items: ArrayLike<Id>, options: PredictOptions = {}): Promise<Float32Array> {
    const device = checkDevice(options.device ?? this.#device)
    const describe = options.describe
    if (describe === undefined) {
      const [u, i] = [this.#encode('users', 'users[]', users), this.#encode('items', 'items[]', items)]
      return call(() => this.#native.predict(u, i, device, undefined))
    }
    const cold = { users: [] as Record<string, FeatureValue>[], items: [] as Record<string, FeatureValue>[] }
    const encodeWith = (side: 'users' | 'items', ids: ArrayLike<Id>, field: string) => this.#encodeDescribed(side, ids, describe, cold, field)
    const [u, i] = [encodeWith('users', users, 'users[]'), encodeWith('items', items, 'items[]')]
    return call(() => this.#native.predict(u, i, device, JSON.stringify(cold)))
  }

  /**
   * The top-`k` items for a user (or for each of several users), ranked over every item the
   * model knows, best first, as `{ id, index, score }` in the caller's ids. Seen items are left
   * out by default: after `fit`, or after {@link NcfModel.load} of a file saved with them, the
   * model knows them itself.
   *
   * @example
   * ```ts
   * const top = await model.recommend(42, { k: 10 }) // [{ id, index, score }, …]
   * const many = await model.recommend([1, 2, 3], { k: 5, filterItems: inStock })
   * ```
   */
  async recommend(user: Id, options?: RecommendOptions): Promise<Scored[]>
  async recommend(users: ArrayLike<Id>, options?: RecommendOptions): Promise<Scored[][]>
  async recommend(users: Id | ArrayLike<Id>, options: RecommendOptions = {}): Promise<Scored[] | Scored[][]> {
    const single = isOne(users)
    const list = single ? [users] : users
    let ids: Uint32Array
    let coldJson: string | undefined
    if (options.describe !== undefined) {
      if (options.describe && typeof options.describe === 'object' && 'items' in options.describe) {
        throw invalid('describe.items', "recommend ranks the model's own items; describe new users only (score new items with predict)")
      }
      const cold = { users: [] as Record<string, FeatureValue>[], items: [] as Record<string, FeatureValue>[] }
      ids = this.#encodeDescribed('users', list, options.describe, cold, single ? 'user' : 'users[]')
      coldJson = JSON.stringify(cold)
    } else {
      ids = single ? this.#encode('users', 'user', [users]) : this.#encode('users', 'users[]', users)
    }
    const k = positiveInt('k', options.k ?? 10)
    if (options.data !== undefined && !(options.data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    if (options.data !== undefined && options.excludeSeen === false) {
      throw invalid('data', 'gives the seen items to exclude; it has no use with excludeSeen: false')
    }
    const filter = options.filterItems === undefined ? undefined : this.#encode('items', 'filterItems[]', options.filterItems)
    const device = checkDevice(options.device ?? this.#device)
    const r = await call(() =>
      this.#native.recommend(ids, k, options.excludeSeen ?? true, filter, options.data?.native, device, coldJson),
    )
    if (r.fallbackReason) warnFallback(r.fallbackReason)
    const lists = unflatten(r, (ix) => this.#decode('items', ix))
    return single ? lists[0] : lists
  }

  /**
   * The `k` items most similar to `item` (or to each of several items) by cosine similarity
   * of their embeddings (NeuMF: the mean of both branches' cosines, so neither dominates by
   * scale), itself excluded, computed on the model's device.
   *
   * @example
   * ```ts
   * const alike = await model.similarItems('Toy Story (1995)', { k: 10 })
   * ```
   */
  async similarItems(item: Id, options?: SimilarOptions): Promise<Scored[]>
  async similarItems(items: ArrayLike<Id>, options?: SimilarOptions): Promise<Scored[][]>
  async similarItems(items: Id | ArrayLike<Id>, options: SimilarOptions = {}): Promise<Scored[] | Scored[][]> {
    return this.#similar('items', items, options)
  }

  /** The `k` users most similar to `user` (or to each of several), as {@link NcfModel.similarItems} does for items. */
  async similarUsers(user: Id, options?: SimilarOptions): Promise<Scored[]>
  async similarUsers(users: ArrayLike<Id>, options?: SimilarOptions): Promise<Scored[][]>
  async similarUsers(users: Id | ArrayLike<Id>, options: SimilarOptions = {}): Promise<Scored[] | Scored[][]> {
    return this.#similar('users', users, options)
  }

  async #similar(side: 'users' | 'items', q: Id | ArrayLike<Id>, options: SimilarOptions): Promise<Scored[] | Scored[][]> {
    const single = isOne(q)
    const one = side === 'users' ? 'user' : 'item'
    const ids = single ? this.#encode(side, one, [q]) : this.#encode(side, `${side}[]`, q)
    const k = positiveInt('k', options.k ?? 10)
    const device = checkDevice(options.device ?? this.#device)
    const r = await call(() => this.#native.similar(side, ids, k, device))
    if (r.fallbackReason) warnFallback(r.fallbackReason)
    const lists = unflatten(r, (ix) => this.#decode(side, ix))
    return single ? lists[0] : lists
  }

  /**
   * Every user's and item's embedding, row-major with `dim` values per row (GMF and MF: their
   * factors; MLP: the MLP embeddings; NeuMF: `[GMF ; MLP]`).
   */
  embeddings(): {
    /** Width of each row. */
    dim: number
    /** numUsers × dim, row-major. */
    users: Float32Array
    /** numItems × dim, row-major. */
    items: Float32Array
  } {
    const u = callSync(() => this.#native.embeddings('users'))
    const i = callSync(() => this.#native.embeddings('items'))
    return { dim: u.dim, users: u.data, items: i.data }
  }

  /** Frees the weights. Every later call fails with `ERR_DISPOSED` ("Model is disposed"). */
  dispose(): void {
    this.#native.dispose()
  }
}

/**
 * Generalized Matrix Factorization (He et al. §3.2): ŷ = σ(hᵀ(p_u ⊙ q_i) + b), trained with
 * binary cross-entropy on sampled negatives.
 *
 * @example
 * ```ts
 * const data = Dataset.synthetic({ seed: 1 })
 * const gmf = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16 })
 * const { epochs } = await gmf.fit(data, { epochs: 5 })
 * console.log(epochs.at(-1))
 * gmf.dispose()
 * ```
 */
export class GMF extends NcfModel {
  constructor(options: GMFOptions) {
    super(createNative('gmf', options), options)
  }
}

/**
 * Dot-product matrix factorization with biases, the baseline of Rendle et al. (RecSys'20,
 * "Neural Collaborative Filtering vs. Matrix Factorization Revisited"):
 * ŷ = σ(p_u · q_i + b_u + b_i + b), trained like GMF (logistic loss on sampled negatives; add
 * `weightDecay` for the L2 penalty).
 *
 * @example
 * ```ts
 * const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 64 })
 * await mf.fit(data, { epochs: 10, weightDecay: 1e-6 })
 * ```
 */
export class MF extends NcfModel {
  constructor(options: MFOptions) {
    super(createNative('mf', options), options)
  }
}

/**
 * Multi-Layer Perceptron (He et al. §3.3): user and item embeddings are concatenated and pass
 * through a tower of ReLU layers, ŷ = σ(hᵀ a_L + b). Layers are Xavier-initialised; optional
 * dropout (`fit({ dropout })`) follows each ReLU.
 *
 * @example
 * ```ts
 * const mlp = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 }) // [64, 32, 16, 8]
 * await mlp.fit(data, { epochs: 20 })
 * ```
 */
export class MLP extends NcfModel {
  constructor(options: MLPOptions) {
    super(createNative('mlp', options), options)
  }
}

/**
 * Neural Matrix Factorization (He et al. §3.4): a GMF branch and an MLP branch with their own
 * embeddings, fused before one predict layer, ŷ = σ(hᵀ[p_u ⊙ q_i ; a_L] + b).
 * Train it from scratch (NeuMF-end, Adam), or build it from a trained {@link GMF} and
 * {@link MLP} with {@link NeuMF.fromPretrained} (NeuMF-pre, fine-tuned with SGD).
 *
 * @example
 * ```ts
 * const gmf = new GMF({ numUsers, numItems, factors: 8 })
 * const mlp = new MLP({ numUsers, numItems, factors: 8 })
 * await gmf.fit(data, { epochs: 20 })
 * await mlp.fit(data, { epochs: 20 })
 * const neumf = NeuMF.fromPretrained(gmf, mlp, { alpha: 0.5 })
 * await neumf.fit(data, { epochs: 20 }) // SGD by default
 * ```
 */
export class NeuMF extends NcfModel {
  readonly #pretrained: boolean

  constructor(options: NeuMFOptions) {
    super(createNative('neumf', options), options)
    this.#pretrained = typeof options === 'object' && options !== null && WRAP in options && (options as Wrapped).pretrained === true
  }

  /** True for a model built by {@link NeuMF.fromPretrained}. */
  get pretrained(): boolean {
    return this.#pretrained
  }

  protected override defaultOptimizer(): OptimizerName {
    return this.#pretrained ? 'sgd' : 'adam'
  }

  /**
   * NeuMF-pre (He et al. §3.4.1): copies the embeddings of a trained GMF and the embeddings and
   * tower of a trained MLP (same users and items), and sets the predict layer to
   * `[α·h_GMF, (1−α)·h_MLP]` with bias `α·b_GMF + (1−α)·b_MLP`, so its first scores are exactly
   * `α·z_GMF + (1−α)·z_MLP`. The two models are left as they were.
   *
   * `fit` then defaults to SGD, as in the paper (Adam's moment estimates are not part of the
   * pretrained weights). Pass `lr` explicitly: the general default of 0.001 barely moves SGD.
   * On MovieLens-1M at 8 factors the α-mix starts at HR@10 0.670, and fine-tuning with SGD
   * (lr 0.01, momentum 0.9) or Adam (lr 1e-4) stays within ±0.007 of it, and at 16 factors
   * lowers it (BENCHMARKS.md). With `validation`, the starting mix competes as epoch 0, so
   * `fit` keeps it (`bestEpoch: 0`) unless an epoch beats it on validation.
   */
  static fromPretrained(gmf: GMF, mlp: MLP, options: PretrainedOptions = {}): NeuMF {
    if (!(gmf instanceof GMF)) throw invalid('gmf', 'must be a GMF model')
    if (!(mlp instanceof MLP)) throw invalid('mlp', 'must be an MLP model')
    const alpha = options.alpha ?? 0.5
    if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
      throw invalid('alpha', `must be in [0, 1], got ${String(alpha)}`)
    }
    const [g, m] = [handles.get(gmf), handles.get(mlp)]
    if (!g) throw invalid('gmf', 'must be a model built by ncf-native')
    if (!m) throw invalid('mlp', 'must be a model built by ncf-native')
    const handle = callSync(() => native.NativeModel.neumfFromPretrained(g, m, alpha))
    return new NeuMF({ [WRAP]: handle, pretrained: true } as unknown as NeuMFOptions)
  }
}

/** Options of {@link Baseline}. */
export interface BaselineOptions {
  /** `'mean'`: r̂ = μ. `'bias'` (default): r̂ = μ + b_u + b_i. */
  kind?: 'mean' | 'bias'
  /** `'bias'`: regularisation of the user biases. Default 15 (Surprise's `BaselineOnly`). */
  regUser?: number
  /** `'bias'`: regularisation of the item biases. Default 10. */
  regItem?: number
  /** `'bias'`: alternating least-squares sweeps. Default 10. */
  iterations?: number
  /** Clip predictions to the training rating range. Default true. */
  clip?: boolean
}

/**
 * Rating baselines for an honest comparison table: the global mean, and the user + item bias
 * baseline of Koren (TKDD'10 §2.1) fitted by alternating least squares, as Surprise's
 * `BaselineOnly`. (Biased MF trained by SGD, Surprise's "SVD", is `new MF({ task: 'rating' })`.)
 * They are closed-form sums over the ratings and run on the CPU.
 *
 * @example
 * ```ts
 * const data = await Dataset.fromFile('ml-100k/u1.base', { format: 'movielens', test: 'ml-100k/u1.test' })
 * const bias = new Baseline({ kind: 'bias' })
 * await bias.fit(data)
 * console.log(await bias.evaluate(data)) // { rmse, mae, r2, count }
 * ```
 */
export class Baseline {
  readonly #native: Native.NativeBaseline
  /** `'mean'`: r̂ = μ; `'bias'`: r̂ = μ + b_u + b_i. */
  readonly kind: 'mean' | 'bias'
  /** The dataset `fit` saw: its ids are the baseline's. */
  #fittedOn?: Dataset

  constructor(options: BaselineOptions = {}) {
    const kind = options.kind ?? 'bias'
    if (kind !== 'mean' && kind !== 'bias') throw invalid('kind', `must be 'mean' or 'bias', got ${String(kind)}`)
    for (const f of ['regUser', 'regItem', 'iterations'] as const) {
      if (options[f] !== undefined && kind === 'mean') throw invalid(f, "applies to kind: 'bias'")
    }
    const reg = (f: 'regUser' | 'regItem', d: number) => {
      const v = options[f] ?? d
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(f, `must be a number >= 0, got ${String(v)}`)
      return v
    }
    const iterations = positiveInt('iterations', options.iterations ?? 10)
    const clip = options.clip ?? true
    if (typeof clip !== 'boolean') throw invalid('clip', 'must be a boolean')
    this.kind = kind
    this.#native = callSync(() => new native.NativeBaseline(kind, reg('regUser', 15), reg('regItem', 10), iterations, clip))
  }

  /** Fits μ (and the biases) to the dataset's training ratings. */
  async fit(data: Dataset): Promise<void> {
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    await call(() => this.#native.fit(data.native))
    this.#fittedOn = data
  }

  /** Predicted ratings of `(users[t], items[t])`, in the ids of the dataset it was fitted on. */
  predict(users: ArrayLike<Id>, items: ArrayLike<Id>): Float32Array {
    const d = this.#fittedOn
    if (!d) throw invalid('baseline', 'is not fitted yet: call fit(data) first')
    const enc = (side: 'users' | 'items', v: ArrayLike<Id>) =>
      (side === 'users' ? d.userIds : d.itemIds) === undefined
        ? toIds(side, v)
        : side === 'users'
          ? d.encodeUsers(v)
          : d.encodeItems(v)
    return callSync(() => this.#native.predict(enc('users', users), enc('items', items)))
  }

  /** RMSE, MAE and R² on the dataset's held-out ratings. */
  async evaluate(data: Dataset): Promise<RatingMetrics> {
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    const m = await call(() => this.#native.evaluate(data.native))
    return { rmse: m.rmse, mae: m.mae, r2: m.r2, count: m.count, backend: 'cpu' }
  }
}

/** How {@link Features.fromFile} reads a feature table. */
export interface FeatureFileOptions {
  /**
   * `'csv'`: any delimiter, quoted fields, a header or column positions, with the columns below.
   * `'movielens-items'`: `u.item` (19 genre flags) or `movies.dat`, giving `genre` (multi) and
   * `year` (numeric). `'movielens-users'`: `u.user` or `users.dat`, giving `age` (numeric),
   * `gender` and `occupation` (categorical). A `.gz` file is decompressed.
   */
  format: 'csv' | 'movielens-items' | 'movielens-users'
  /** CSV: the field delimiter (one character, `'\t'` for TSV). Default `','`. */
  delimiter?: string
  /** CSV: whether the first line names the columns. Default true. */
  header?: boolean
  /** CSV: the id column, by header name or 0-based position. Default 0. */
  id?: string | number
  /** CSV: multi-valued columns (a list per field, such as genres) and their in-field separator. */
  multi?: {
    /** The column (header name or 0-based position). */
    column: string | number
    /** The one character between its values, e.g. `'|'` or `','`. */
    separator: string
  }[]
  /** CSV: single categorical columns (type, gender, occupation). */
  categorical?: (string | number)[]
  /** CSV: numeric columns (episodes, age). */
  numeric?: (string | number)[]
}

/** A feature value as read: a list (multi), a category, a number, or `null` when missing. */
export type FeatureValue = string[] | string | number | null

/**
 * A table of side features of users or items, read from a file, keyed by the caller's ids.
 * Missing values follow one policy: an empty field or `Unknown`/`NA`/`NaN`/`null` is missing
 * (`null`); a multi-valued field with no values is an empty list. Malformed records fail with
 * `ERR_PARSE` naming `file:line` and the column. Attach tables to a dataset with
 * {@link Dataset.withFeatures}, then build a model with `features: data`.
 *
 * @example
 * ```ts
 * const items = await Features.fromFile('ml-100k/u.item', { format: 'movielens-items' })
 * items.row(1) // { genre: ['Animation', "Children's", 'Comedy'], year: 1995 }
 * const anime = await Features.fromFile('anime.csv', {
 *   format: 'csv', id: 'anime_id',
 *   multi: [{ column: 'genre', separator: ',' }], categorical: ['type'], numeric: ['episodes'],
 * })
 * ```
 */
export class Features {
  /** @internal */
  readonly native: Native.NativeFeatures

  private constructor(n: Native.NativeFeatures) {
    this.native = n
  }

  /** Reads a feature table (see {@link FeatureFileOptions}); `.gz` files are decompressed. */
  static async fromFile(path: string, options: FeatureFileOptions): Promise<Features> {
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    if (!options || typeof options !== 'object') throw invalid('options', "expected { format: 'csv' | 'movielens-items' | 'movielens-users', … }")
    const multi = options.multi
    if (multi !== undefined && !Array.isArray(multi)) throw invalid('multi', 'must be an array of { column, separator }')
    multi?.forEach((m, k) => {
      if (!m || typeof m !== 'object' || typeof m.separator !== 'string') throw invalid(`multi[${k}]`, 'must be { column, separator }')
    })
    const opts = {
      format: options.format,
      delimiter: options.delimiter,
      header: options.header,
      id: options.id,
      multi: multi?.map((m) => m.column),
      multiSeparators: multi?.map((m) => m.separator),
      categorical: options.categorical,
      numeric: options.numeric,
    }
    return new Features(await call(() => native.NativeFeatures.fromFile(path, opts)))
  }

  /** The columns in declaration order, with their kinds. */
  get columns(): {
    /** The column's name. */
    name: string
    /** How its values are encoded. */
    kind: 'multi' | 'categorical' | 'numeric'
  }[] {
    const kinds = this.native.kinds
    return this.native.names.map((name, k) => ({ name, kind: kinds[k] as 'multi' | 'categorical' | 'numeric' }))
  }

  /** The ids in file order. */
  get ids(): string[] {
    return this.native.ids
  }

  /** Rows in the table. */
  get size(): number {
    return this.native.ids.length
  }

  /** The values of `id`'s row by column name, or `undefined` when the table has no such id. */
  row(id: Id): Record<string, FeatureValue> | undefined {
    if (typeof id !== 'string' && typeof id !== 'number') throw invalid('id', 'must be a string or number')
    const json = this.native.rowJson(String(id))
    return json == null ? undefined : (JSON.parse(json) as Record<string, FeatureValue>)
  }
}

export { renderReport, writeReport, type ReportOptions, type ReportRun } from './report.js'
