// NcfModel.foldIn: the caller's { users?: { id: items }, items?: { id: users } } as the
// binding's parallel lists of id strings, and the result. The solve itself is ncf-core's
// (recommender/fold_in.rs: ALS exactly, the others by steps of the fit's loss).
import { call, invalid } from './errors.js'
import type { Native } from './native.js'
import { coreJson, idStrings, objectOf } from './options.js'
import type { Id } from './types.js'

/** New or changed rows: each id with the ids it interacted with. */
export interface FoldInRows {
  /** Users, each with the items (the model's own) they interacted with. */
  users?: Record<string, ArrayLike<Id>>
  /** Items, each with the users (the model's, or users folded in by the same call) who interacted with it. */
  items?: Record<string, ArrayLike<Id>>
}

/**
 * How a fold-in learns its rows. ALS solves each row exactly: `l2` and `alpha` default to the
 * last fit's (or the file's). The other models take `epochs` of the fit's loss (BCE on each
 * interaction and `negatives` fresh negatives) over the folded rows alone, by Adam at `lr`.
 * An option of the other kind of solve is refused.
 */
export interface FoldInOptions {
  /** ALS: reg of the iALS objective (default: the fit's `l2`; 0.007 for a model never fitted).
   * Others: λ of the L2 penalty on the rows a sample uses, as the fit's `l2` (default 0). */
  l2?: number
  /** ALS only: α, the weight of every unobserved pair (default: the fit's; 0.3 for a model never fitted). */
  alpha?: number
  /** Not ALS: passes over the rows' interactions, one Adam step per interaction (default 20). */
  epochs?: number
  /** Not ALS: Adam's learning rate on the folded rows (default 0.01). */
  lr?: number
  /** Not ALS: fresh negatives per interaction and epoch, drawn from what the row has not interacted with (default 4). */
  negatives?: number
  /** Not ALS: seed of the negatives and the sample order (default 0). */
  seed?: number
}

/** What {@link ALS.foldIn} changed. */
export interface FoldInResult {
  /** New users appended after the model's rows, in the order given. */
  addedUsers: number
  /** Known users whose rows were solved again from the interactions given. */
  updatedUsers: number
  /** New items appended after the model's rows, in the order given. */
  addedItems: number
  /** Known items whose rows were solved again from the users given. */
  updatedItems: number
}

function side(name: 'users' | 'items', v: unknown): [string[], string[][]] {
  if (v === undefined) return [[], []]
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw invalid(`foldIn.${name}`, 'must be an object of id → list of ids')
  }
  const ids = Object.keys(v)
  return [ids, ids.map((id) => idStrings(`foldIn.${name}['${id}']`, (v as Record<string, unknown>)[id]))]
}

/** Runs the fold-in on the binding (off the event loop). */
export async function foldIn(handle: Native.NativeModel, rows: FoldInRows, options: FoldInOptions): Promise<FoldInResult> {
  if (rows === null || typeof rows !== 'object') throw invalid('foldIn', 'expected { users?, items? }')
  for (const k of Object.keys(rows)) {
    if (k !== 'users' && k !== 'items') throw invalid('foldIn', `unknown key '${k}' (expected users and/or items)`)
  }
  const [userIds, userItems] = side('users', rows.users)
  const [itemIds, itemUsers] = side('items', rows.items)
  const json = coreJson(objectOf('options', options, '{ l2?, alpha?, epochs?, lr?, negatives?, seed? }'))
  const r = await call(() => handle.foldIn(userIds, userItems, itemIds, itemUsers, json))
  return { addedUsers: r.addedUsers, updatedUsers: r.updatedUsers, addedItems: r.addedItems, updatedItems: r.updatedItems }
}
