// NcfModel, what GMF, MF, MLP and NeuMF share: the native handle, save and load, the fit and
// the inference calls (whose bodies live in fit.ts and inference.ts), ids and weights.
// The model classes register themselves in registry.ts (`registerKind`), so `load` can build
// any of them without this module importing theirs.
import { IdCodec } from './codec.js'
import { Dataset } from './dataset.js'
import { call, callSync, invalid, NcfError } from './errors.js'
import { fit } from './fit.js'
import { exportEmbeddings, exportOnnx, type MipsEmbeddings } from './export.js'
import { foldIn, type FoldInOptions, type FoldInResult, type FoldInRows } from './fold-in.js'
import type { FitOptions } from './fit-options.js'
import { evaluate, predict, recommend, similar, type Served } from './inference.js'
import type { LoadOptions, PredictOptions, RecommendOptions, SaveOptions, Scored, SimilarOptions } from './model-options.js'
import { native, type Native } from './native.js'
import { checkDevice, coreJson, DEFAULTS, objectOf, toIds } from './options.js'
import { makerOf, setNative, WRAP, type Wrapped } from './registry.js'
import type { EvaluateOptions, History, Metrics, RatingMetricName, RatingMetrics } from './results.js'
import type { Device, Id, ModelKind } from './types.js'

/**
 * What every model shares: training with sampled negatives, evaluation, weights and disposal.
 * Use {@link GMF}, {@link MF}, {@link MLP} or {@link NeuMF}.
 */
export abstract class NcfModel {
  readonly #native: Native.NativeModel

  /** @internal Subclasses pass the native model they wrap. */
  protected constructor(native: Native.NativeModel, options?: { device?: Device }) {
    this.#native = native
    this.#device = checkDevice(options?.device ?? DEFAULTS.device)
    this.#served = { handle: native, ids: new IdCodec(native), device: this.#device }
    setNative(this, native)
  }

  readonly #device: Device
  readonly #served: Served

  /** Default device of this model's `fit` and `evaluate` calls. */
  get device(): Device {
    return this.#device
  }

  /**
   * The `info` object stored by {@link NcfModel.save}, for a model read by
   * {@link NcfModel.load}; `undefined` for a model built in memory.
   */
  get info(): Record<string, unknown> | undefined {
    return (this.#native.info ?? undefined) as Record<string, unknown> | undefined
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
    this.#live()
    if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty string')
    const { info: given, ...core } = objectOf('options', options, '{ info?, seen? }')
    // A plain JSON object crosses as an object; the round trip refuses what JSON cannot hold
    // (cycles, BigInt) with the field named, and drops what it would drop (undefined, functions).
    let info: Record<string, unknown>
    try {
      info = JSON.parse(JSON.stringify({ ...(given ?? {}) })) as Record<string, unknown>
    } catch (e) {
      throw invalid('info', `must be JSON-serialisable: ${(e as Error).message}`)
    }
    await call(() => this.#native.save(path, info, coreJson(core)))
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
    const { device: chosen, ...core } = objectOf('options', options, '{ device? }')
    const device = checkDevice(chosen ?? DEFAULTS.device)
    const handle = await call(() => native.NativeModel.load(path, coreJson(core)))
    const wrapped: Wrapped = { [WRAP]: handle, device }
    const info = (handle.info ?? {}) as Record<string, unknown>
    const make = makerOf(handle.kind)
    if (!make) throw new NcfError('ERR_FORMAT', `${path}: no model class is registered for ${handle.kind}`)
    const model = make(wrapped, info)
    const wanted = this
    // `instanceof` by prototype: an instanceof test would narrow `model` to `never` below.
    const ok = (wanted as unknown) === NcfModel || (wanted.prototype as object).isPrototypeOf(model)
    if (!ok) {
      const kind = model.kind
      model.dispose()
      throw new NcfError('ERR_FORMAT', `${path}: holds a ${kind} model, not a ${wanted.name}`)
    }
    return model as unknown as T
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
    this.#live()
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
    this.#live()
    if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
    return fit(this.#native, this.#device, data.native, options)
  }

  /**
   * HR@k and NDCG@k over the dataset's test cases: each held-out positive is ranked among its
   * sampled negatives, ties counting against the positive (He et al. §4.1). With
   * `protocol: 'full'`, among every item its user has not interacted with in training.
   */
  async evaluate(data: Dataset, options: EvaluateOptions & { metrics: readonly RatingMetricName[] }): Promise<RatingMetrics>
  async evaluate(data: Dataset, options?: EvaluateOptions): Promise<Metrics>
  async evaluate(data: Dataset, options: EvaluateOptions = {}): Promise<Metrics | RatingMetrics> {
    this.#live()
    return evaluate(this.#served, data, options)
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
    return this.#served.ids.ids('users')
  }
  /** The caller's item ids in index order (see {@link NcfModel.userIds}). */
  get itemIds(): Id[] | undefined {
    return this.#served.ids.ids('items')
  }
  /** Model indices of user ids; an unknown id fails with `ERR_INVALID_ARG` naming its position. */
  encodeUsers(ids: ArrayLike<Id>): Uint32Array {
    this.#live()
    return this.#served.ids.encode('users', 'users[]', ids)
  }
  /** Model indices of item ids. */
  encodeItems(ids: ArrayLike<Id>): Uint32Array {
    this.#live()
    return this.#served.ids.encode('items', 'items[]', ids)
  }
  /** User ids of model indices (numbers when the ids are integers). */
  decodeUsers(indices: ArrayLike<number>): Id[] {
    this.#live()
    return this.#served.ids.decode('users', toIds('indices', indices))
  }
  /** Item ids of model indices. */
  decodeItems(indices: ArrayLike<number>): Id[] {
    this.#live()
    return this.#served.ids.decode('items', toIds('indices', indices))
  }

  /**
   * Predicted probabilities ŷ = σ(z) of the pairs `(users[t], items[t])` (rating models: the
   * predicted ratings r̂ = clip(z + μ)), given as ids, computed on the model's device. The
   * same number is each recommendation's `predicted`; its `score` is z itself (see
   * {@link Scored}).
   *
   * @example
   * ```ts
   * const [p] = await model.predict([196], [242]) // u.data ids
   * ```
   */
  async predict(users: ArrayLike<Id>, items: ArrayLike<Id>, options: PredictOptions = {}): Promise<Float32Array> {
    this.#live()
    return predict(this.#served, users, items, options)
  }

  /**
   * The top-`k` items for a user (or for each of several users), ranked over every item the
   * model knows, best first, as `{ id, index, score, predicted }` in the caller's ids: `score`
   * is the logit z it is ranked by, `predicted` what {@link NcfModel.predict} gives for the pair
   * (σ(z); rating models: r̂ for both). Seen items are left out by default: after `fit`, or
   * after {@link NcfModel.load} of a file saved with them, the model knows them itself.
   * `filterItems` is an allow-list and `excludeItems` a block-list; an array of users is ranked
   * in one native call.
   *
   * @example
   * ```ts
   * const top = await model.recommend(42, { k: 10 }) // [{ id, index, score, predicted }, …]
   * const many = await model.recommend([1, 2, 3], { k: 5, filterItems: inStock, excludeItems: soldOut })
   * ```
   */
  async recommend(user: Id, options?: RecommendOptions): Promise<Scored[]>
  async recommend(users: ArrayLike<Id>, options?: RecommendOptions): Promise<Scored[][]>
  async recommend(users: Id | ArrayLike<Id>, options: RecommendOptions = {}): Promise<Scored[] | Scored[][]> {
    this.#live()
    return recommend(this.#served, users, options)
  }

  /**
   * Folds new users and items in without retraining, with the rest of the model fixed. A new
   * id gets a new row (the model grows and learns the id); a known id's row is learnt again
   * from the interactions given, which also become its seen items. Users come first, then
   * items (against every user, the new ones included).
   *
   * - ALS solves each row exactly, by the closed form of a sweep of `fit` (Hu et al. 2008,
   *   eq. 4, with Rendle et al.'s regularisation).
   * - GMF, MF, MLP and NeuMF take {@link FoldInOptions.epochs} passes of the fit's own loss
   *   (BCE on each interaction and fresh negatives) over the folded rows alone (their GMF and
   *   MLP embeddings and bias), by Adam; known rows start where they are, new ones at zero.
   *   On MovieLens-1M, users held out of training and folded in this way reach at least 90% of
   *   the HR@10 a full retrain gives them (BENCHMARKS.md).
   *
   * Rating models and models with side features are refused (describe new entities by their
   * features instead). The model must not be training. Fold-in runs on the CPU.
   *
   * @example
   * ```ts
   * await model.foldIn({ users: { alice: ['Heat (1995)', 'Casino (1995)'] } })
   * const top = await model.recommend('alice', { k: 10 })
   * ```
   */
  async foldIn(rows: FoldInRows, options: FoldInOptions = {}): Promise<FoldInResult> {
    this.#live()
    return foldIn(this.#native, rows, options)
  }

  /**
   * Writes the whole scoring graph as an ONNX model (opset 17) for ONNX Runtime or any ONNX
   * engine: inputs `user` and `item` (int64 rows, one pair per position: encode ids with
   * {@link NcfModel.encodeUsers} / {@link NcfModel.encodeItems}), outputs `logit` (z, what
   * `recommend` ranks by) and `score` (what {@link NcfModel.predict} returns). Every model kind
   * exports; models with side features are refused. Written atomically; resolves to its size
   * in bytes (protobuf caps one file at 2 GiB).
   *
   * @example
   * ```ts
   * await model.exportOnnx('model.onnx')
   * // onnxruntime-node: session.run({ user: Tensor('int64', …), item: Tensor('int64', …) })
   * ```
   */
  async exportOnnx(path: string): Promise<number> {
    this.#live()
    return exportOnnx(this.#native, path)
  }

  /**
   * User and item vectors whose inner product is the model's logit z, for maximum-inner-product
   * search in a vector database or an ANN index: `[h ⊙ p_u ; 1 ; b_u + b]` and `[q_i ; b_i ; 1]`
   * (MF and ALS: h = 1; without biases those entries are 0). An index's top-K by dot product
   * is then `recommend`'s top-K (seen items aside: filter them in the query). GMF, MF and ALS
   * only: MLP and NeuMF score through a tower, which no inner product reproduces, so they are
   * refused; serve them with {@link NcfModel.exportOnnx}. (NeuMF's GMF branch alone could
   * generate candidates for an index, to be re-scored by the graph; it is not its score.)
   *
   * @example
   * ```ts
   * const { dim, users, items, itemIds } = model.exportEmbeddings()
   * const rows = itemIds.map((id, k) => ({ id, vector: Array.from(items.subarray(k * dim, (k + 1) * dim)) }))
   * ```
   */
  exportEmbeddings(): MipsEmbeddings {
    this.#live()
    return exportEmbeddings(this.#native, this.#served.ids)
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
    this.#live()
    return similar(this.#served, 'items', items, options)
  }

  /** The `k` users most similar to `user` (or to each of several), as {@link NcfModel.similarItems} does for items. */
  async similarUsers(user: Id, options?: SimilarOptions): Promise<Scored[]>
  async similarUsers(users: ArrayLike<Id>, options?: SimilarOptions): Promise<Scored[][]>
  async similarUsers(users: Id | ArrayLike<Id>, options: SimilarOptions = {}): Promise<Scored[] | Scored[][]> {
    this.#live()
    return similar(this.#served, 'users', users, options)
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
    this.#live()
    const u = callSync(() => this.#native.embeddings('users'))
    const i = callSync(() => this.#native.embeddings('items'))
    return { dim: u.dim, users: u.data, items: i.data }
  }

  /** Every method starts here, so a disposed model fails the same way whatever is called. */
  /** @internal Throws `ERR_DISPOSED` once disposed (for subclasses' methods, before their arguments). */
  protected assertLive(): void {
    this.#live()
  }

  #live(): void {
    if (this.#native.disposed) throw new NcfError('ERR_DISPOSED', 'Model is disposed')
  }

  /** Frees the weights. Every later call fails with `ERR_DISPOSED` ("Model is disposed"). */
  dispose(): void {
    this.#native.dispose()
  }
}
