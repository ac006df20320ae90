// Side-feature tables of users or items, read from files and keyed by the caller's ids.
import { call, invalid } from './errors.js'
import { native, type Native } from './native.js'
import type { Id } from './types.js'
import { coreJson, objectOf } from './options.js'

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
    const json = coreJson(objectOf('options', options, "{ format: 'csv' | 'movielens-items' | 'movielens-users', … }"))
    return new Features(await call(() => native.NativeFeatures.fromFile(path, json)))
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
