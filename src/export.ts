// NcfModel.exportOnnx and exportEmbeddings: the caller's path and the binding's vectors. The
// graph and the vectors are ncf-core's (crates/ncf-core/src/export).
import type { IdCodec } from './codec.js'
import { call, callSync, invalid } from './errors.js'
import type { Native } from './native.js'
import type { Id } from './types.js'

/** What {@link NcfModel.exportEmbeddings} returns. */
export interface MipsEmbeddings {
  /** Width of each vector: the factors plus the two bias dimensions. */
  dim: number
  /** numUsers × dim, row-major: `[h ⊙ p_u ; 1 ; b_u + b]`. */
  users: Float32Array
  /** numItems × dim, row-major: `[q_i ; b_i ; 1]`. */
  items: Float32Array
  /** Each user row's id (the model's ids, or indices for a model without them). */
  userIds: Id[]
  /** Each item row's id. */
  itemIds: Id[]
}

/** Writes the ONNX graph; resolves to its size in bytes. */
export async function exportOnnx(handle: Native.NativeModel, path: string): Promise<number> {
  if (typeof path !== 'string' || path.length === 0) throw invalid('path', 'must be a non-empty path string')
  return call(() => handle.exportOnnx(path))
}

/** The MIPS vectors with the ids of their rows. */
export function exportEmbeddings(handle: Native.NativeModel, ids: IdCodec): MipsEmbeddings {
  const m = callSync(() => handle.exportEmbeddings())
  const rows = (n: number) => Uint32Array.from({ length: n }, (_, k) => k)
  return {
    dim: m.dim,
    users: m.users,
    items: m.items,
    userIds: ids.decode('users', rows(m.users.length / m.dim)),
    itemIds: ids.decode('items', rows(m.items.length / m.dim)),
  }
}
