// What a trained model answers: predictions, recommendations, neighbours and evaluation. The
// NcfModel methods of the same names document them and call these with their native handle.
import { IdCodec, type Cold } from './codec.js'
import { Dataset } from './dataset.js'
import { call, invalid } from './errors.js'
import type { PredictOptions, RecommendOptions, Scored, SimilarOptions } from './model-options.js'
import type { Native } from './native.js'
import { checkDevice, coreJson, objectOf, warnFallback } from './options.js'
import type { EvaluateOptions, Metrics, RatingMetrics } from './results.js'
import type { Device, Id } from './types.js'

/** A native model with its ids and default device: what every call here starts from. */
export interface Served {
  /** The binding's model. */
  handle: Native.NativeModel
  /** Its ids. */
  ids: IdCodec
  /** The model's default device. */
  device: Device
}

/** σ(z) as f32 rounds it: the value `predict` gives for the same logit (ncf-core's `sigmoid`). */
function sigmoid(z: number): number {
  return Math.fround(z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)))
}

/** Lists of `{ id, index, score[, predicted] }` from the binding's flattened ranking; `toPrediction`
 * gives `predicted` from `score` (recommendations only). */
function unflatten(r: Native.NativeRanked, ids: (indices: Uint32Array) => Id[], toPrediction?: (score: number) => number): Scored[][] {
  const names = ids(r.items)
  const out: Scored[][] = []
  for (let u = 0; u + 1 < r.offsets.length; u++) {
    const list: Scored[] = []
    for (let j = r.offsets[u]; j < r.offsets[u + 1]; j++) {
      const s: Scored = { id: names[j], index: r.items[j], score: r.scores[j] }
      if (toPrediction) s.predicted = toPrediction(r.scores[j])
      list.push(s)
    }
    out.push(list)
  }
  return out
}

/** One id, or several: a string or number is one id; an array or typed array is several. */
function isOne(v: unknown): v is Id {
  return typeof v === 'string' || typeof v === 'number'
}

const noCold = (): Cold => ({ users: [], items: [] })

/** {@link NcfModel.predict}. */
export async function predict(m: Served, users: ArrayLike<Id>, items: ArrayLike<Id>, options: PredictOptions): Promise<Float32Array> {
  const { device: chosen, describe, ...core } = objectOf('options', options, '{ device?, describe? }')
  const device = checkDevice(chosen ?? m.device)
  const json = coreJson(core)
  if (describe === undefined) {
    const [u, i] = [m.ids.encode('users', 'users[]', users), m.ids.encode('items', 'items[]', items)]
    return call(() => m.handle.predict(u, i, device, undefined, json))
  }
  const cold = noCold()
  const encodeWith = (side: 'users' | 'items', ids: ArrayLike<Id>, field: string) => m.ids.encodeDescribed(side, ids, describe, cold, field)
  const [u, i] = [encodeWith('users', users, 'users[]'), encodeWith('items', items, 'items[]')]
  return call(() => m.handle.predict(u, i, device, cold, json))
}

/** {@link NcfModel.recommend}. */
export async function recommend(m: Served, users: Id | ArrayLike<Id>, options: RecommendOptions): Promise<Scored[] | Scored[][]> {
  const { device: chosen, describe, data, filterItems, excludeItems, ...core } = objectOf('options', options, '{ k?, … }')
  const single = isOne(users)
  const list = single ? [users] : users
  let ids: Uint32Array
  let coldJson: Cold | undefined
  if (describe !== undefined) {
    if (describe && typeof describe === 'object' && 'items' in describe) {
      throw invalid('describe.items', "recommend ranks the model's own items; describe new users only (score new items with predict)")
    }
    const cold = noCold()
    ids = m.ids.encodeDescribed('users', list, describe, cold, single ? 'user' : 'users[]')
    coldJson = cold
  } else {
    ids = single ? m.ids.encode('users', 'user', [users]) : m.ids.encode('users', 'users[]', users)
  }
  if (data !== undefined && !(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
  const filter = filterItems === undefined ? undefined : m.ids.encode('items', 'filterItems[]', filterItems)
  const exclude = excludeItems === undefined ? undefined : m.ids.encode('items', 'excludeItems[]', excludeItems)
  const device = checkDevice(chosen ?? m.device)
  const json = coreJson(core)
  const r = await call(() => m.handle.recommend(ids, json, filter, exclude, data?.native, device, coldJson))
  if (r.fallbackReason) warnFallback(r.fallbackReason)
  // A rating model's score is already its predicted rating; an implicit one's is the logit.
  const toPrediction = m.handle.taskKind === 'rating' ? (s: number) => s : sigmoid
  const lists = unflatten(r, (ix) => m.ids.decode('items', ix), toPrediction)
  return single ? lists[0] : lists
}

/** {@link NcfModel.similarItems} and {@link NcfModel.similarUsers}. */
export async function similar(m: Served, side: 'users' | 'items', q: Id | ArrayLike<Id>, options: SimilarOptions): Promise<Scored[] | Scored[][]> {
  const single = isOne(q)
  const one = side === 'users' ? 'user' : 'item'
  const { device: chosen, ...core } = objectOf('options', options, '{ k?, device? }')
  const ids = single ? m.ids.encode(side, one, [q]) : m.ids.encode(side, `${side}[]`, q)
  const device = checkDevice(chosen ?? m.device)
  const json = coreJson(core)
  const r = await call(() => m.handle.similar(side, ids, json, device))
  if (r.fallbackReason) warnFallback(r.fallbackReason)
  const lists = unflatten(r, (ix) => m.ids.decode(side, ix))
  return single ? lists[0] : lists
}

/** {@link NcfModel.evaluate}: ranking metrics, or rating metrics when `metrics` names them. */
export async function evaluate(m: Served, data: Dataset, options: EvaluateOptions): Promise<Metrics | RatingMetrics> {
  const { device: chosen, ...core } = objectOf('options', options, '{ k?, protocol?, metrics?, device? }')
  if (!(data instanceof Dataset)) throw invalid('data', 'must be a Dataset')
  const device = checkDevice(chosen ?? m.device)
  const json = coreJson(core)
  // The core reads and checks the options; which metrics they ask for picks the call.
  if (core.metrics != null) {
    const r = await call(() => m.handle.evaluateRating(data.native, json, device))
    if (r.fallbackReason) warnFallback(r.fallbackReason)
    const out: RatingMetrics = { count: r.count, backend: r.backend as 'gpu' | 'cpu' }
    for (const n of core.metrics) out[n] = r[n]
    return out
  }
  const r = await call(() => m.handle.evaluate(data.native, json, device))
  if (r.fallbackReason) warnFallback(r.fallbackReason)
  const protocol = core.protocol ?? 'sampled'
  const out: Metrics = { k: r.k, hr: r.hr, ndcg: r.ndcg, cases: r.cases, protocol, backend: r.backend as 'gpu' | 'cpu' }
  if (r.recall != null) out.recall = r.recall
  return out
}
