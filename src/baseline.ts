// Closed-form rating baselines (global mean, user + item biases) for comparison tables.
import { Dataset } from './dataset.js'
import { call, callSync, invalid } from './errors.js'
import { native, type Native } from './native.js'
import { coreJson, objectOf, toIds } from './options.js'
import type { RatingMetrics } from './results.js'
import type { Id } from './types.js'

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
    const json = coreJson(objectOf('options', options, "{ kind?: 'mean' | 'bias', … }"))
    this.#native = callSync(() => new native.NativeBaseline(json))
    this.kind = options.kind ?? 'bias'
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
