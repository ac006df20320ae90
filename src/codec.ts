// A model's ids: the caller's ids to the model's dense indices and back, including the new
// users and items a cold-start call describes by their features.
import { callSync, invalid } from './errors.js'
import type { FeatureValue } from './features.js'
import type { PredictOptions } from './model-options.js'
import type { Native } from './native.js'
import { idStrings, toIds } from './options.js'
import type { Id } from './types.js'

/** The cold-start descriptions one call collects, sent to the binding as an object. */
export type Cold = { users: Record<string, FeatureValue>[]; items: Record<string, FeatureValue>[] }

/** Encodes and decodes the ids of one native model. */
export class IdCodec {
  constructor(private readonly native: Native.NativeModel) {}

  /** The caller's ids of one side in index order, when the model knows them. */
  ids(side: 'users' | 'items'): Id[] | undefined {
    const ids = side === 'users' ? this.native.userIds : this.native.itemIds
    const kind = side === 'users' ? this.native.userIdKind : this.native.itemIdKind
    return ids == null ? undefined : kind === 'number' ? ids.map(Number) : ids
  }

  /** Indices of ids; `field` is `users[]`-style (positions named) or a single argument's name. */
  encode(side: 'users' | 'items', field: string, ids: unknown): Uint32Array {
    const kind = side === 'users' ? this.native.userIdKind : this.native.itemIdKind
    const name = field.replace('[]', '')
    if (kind === 'index' && (ids instanceof Uint32Array || ids instanceof Int32Array || Array.isArray(ids))) {
      // No encoder: ids are the indices themselves (bounds are checked by the call).
      if (Array.from(ids as ArrayLike<unknown>).every((x) => typeof x === 'number')) {
        const ix = toIds(name, ids)
        const n = side === 'users' ? this.native.numUsers : this.native.numItems
        const bad = ix.findIndex((i) => i >= n)
        if (bad >= 0) {
          const at = field.endsWith('[]') ? `${name}[${bad}]` : name
          throw invalid(at, `id ${ix[bad]} is not below ${side === 'users' ? 'numUsers' : 'numItems'} = ${n}`)
        }
        return ix
      }
    }
    const strings = idStrings(name, ids)
    return callSync(() => this.native.encode(side, strings, field))
  }

  decode(side: 'users' | 'items', indices: Uint32Array): Id[] {
    const kind = side === 'users' ? this.native.userIdKind : this.native.itemIdKind
    if (kind === 'index') {
      const n = side === 'users' ? this.native.numUsers : this.native.numItems
      const bad = indices.findIndex((i) => i >= n)
      if (bad >= 0) throw invalid(`indices[${bad}]`, `index ${indices[bad]} is out of range`)
      return Array.from(indices)
    }
    const ids = callSync(() => this.native.decode(side, indices))
    return kind === 'number' ? ids.map(Number) : ids
  }

  /**
   * Indices of ids where the ids of `describe[side]` are new entities after the model's own
   * rows (in description order); their descriptions are appended to `cold[side]`.
   */
  encodeDescribed(
    side: 'users' | 'items',
    ids: ArrayLike<Id>,
    describe: PredictOptions['describe'],
    cold: Cold,
    field: string,
  ): Uint32Array {
    if (!describe || typeof describe !== 'object') throw invalid('describe', 'expected { users?, items? } of id → features')
    const known = side === 'users' ? this.native.numUsers : this.native.numItems
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
    const enc = this.encode(side, field.endsWith('[]') ? `${side}[]` : field, rest.map((k) => list[k] as Id))
    rest.forEach((k, j) => (out[k] = enc[j]))
    return out
  }
}
