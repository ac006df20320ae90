// What training and evaluation return: epoch statistics, histories and metrics, and the
// options of evaluate.
import type { Device } from './types.js'

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
