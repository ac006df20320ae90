// The options of the Dataset constructors and of Dataset.split.
import type { Features } from './features.js'
import type { Id } from './types.js'

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

/** Options of {@link Dataset.syntheticAtScale}: a size by name, any field overriding it. */
export interface ScaleOptions {
  /**
   * `'ml-20m'` (138,493 users, 26,744 items, 20,000,263 interactions, at least 20 a user) or
   * `'netflix'` (480,189 users, 17,770 items, 100,480,507 interactions). Without it, `numUsers`,
   * `numItems` and `interactions` are required.
   */
  size?: 'ml-20m' | 'netflix'
  /** Users (dense indices 0…numUsers−1); overrides the size's. */
  numUsers?: number
  /** Items (dense indices 0…numItems−1); overrides the size's. */
  numItems?: number
  /** Interactions in all (training plus held-out), about: activity is scaled to it. */
  interactions?: number
  /** The fewest interactions a user has (at least 2). Default 20 (ml-20m), 2 (netflix). */
  minPerUser?: number
  /** Taste clusters of users and items. Default 32. */
  clusters?: number
  /** Share of a user's interactions drawn from its own cluster, in [0, 1]. Default 0.6. */
  inCluster?: number
  /** Users with a held-out test case, spread evenly over the ids. Default 6,040 (as ML-1M). */
  testUsers?: number
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
  /**
   * The most bytes a file may hold after decompression; past it the read fails with
   * `ERR_LIMIT` naming the file (a gzip bomb stops here). Default 64 GiB, which admits the
   * Netflix Prize files (≈2 GB) and MovieLens-20M (533 MB).
   */
  maxBytes?: number
  /**
   * The longest line (and so the longest field) a file may have, in bytes; past it the read
   * fails with `ERR_LIMIT` naming the file. Default 1 MiB.
   */
  maxLineBytes?: number
  /**
   * Called while the file loads, every `progressEvery` milliseconds and once when the dataset
   * is ready (phase `'done'`), with the bytes of the file read (compressed bytes for `.gz`, so
   * `fraction` is meaningful there too), its lines and its interactions. The reader publishes
   * them once per buffer it reads, at no measurable cost. A callback that throws, or returns a
   * promise that rejects, stops the load as `signal` does, and `fromFile` rejects with
   * `ERR_CALLBACK`, the callback's error as `cause`.
   */
  onProgress?: (progress: LoadProgress) => void | Promise<void>
  /** Milliseconds between `onProgress` calls. Default 200. */
  progressEvery?: number
  /**
   * Cancels the load: the file being read stops at its next read (within microseconds, not at
   * its end), and `fromFile` rejects with an `NcfError` of code `ERR_ABORTED` naming the file
   * and line reached, its `cause` the signal's reason. An already aborted signal rejects before
   * anything is read. Once every file is read, building the dataset runs to its end (seconds at
   * Netflix size) and then rejects.
   */
  signal?: AbortSignal
}

/**
 * What {@link FileOptions.onProgress} receives. The counts are those of the file being read:
 * with a separate `test` file they start again from 0 for it (`file: 2`).
 */
export interface LoadProgress {
  /** The file being read, 1-based: 1, then 2 for a separate `test` file. */
  file: number
  /** Files this load reads: 2 with a separate `test` file, else 1. */
  files: number
  /** Bytes of the file read so far, as stored on disk (compressed for `.gz`). */
  bytesRead: number
  /** The file's size in bytes (0 until it is opened). */
  totalBytes: number
  /** `bytesRead / totalBytes`, or `null` while the size is unknown (0). */
  fraction: number | null
  /** Lines of the file read so far. */
  lines: number
  /**
   * Interactions of the file kept so far: records at or above `threshold`, counted before
   * duplicate pairs are folded (see {@link Dataset.duplicatesRemoved}).
   */
  interactions: number
  /**
   * `'reading'` a file, `'building'` the dataset (encoding the ids), or `'done'` (the last
   * call, once the dataset is ready).
   */
  phase: 'reading' | 'building' | 'done'
}

/** The side-feature tables of {@link Dataset.withFeatures}, and their embedding width. */
export interface FeatureTables {
  /** A table keyed by this dataset's user ids. */
  users?: Features
  /** A table keyed by this dataset's item ids. */
  items?: Features
  /** Each slot's embedding width. Default 8. */
  dim?: number
}
