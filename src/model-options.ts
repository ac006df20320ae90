// The options of the model constructors and of their save, load and inference calls.
import type { Dataset } from './dataset.js'
import type { FeatureValue } from './features.js'
import type { Device, Id } from './types.js'

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
  /**
   * Standard deviation of the embeddings' normal initialisation. Default 0.01, as in the NCF
   * code (ALS: 0.1/√factors; Rendle et al.'s MF recipe uses 0.1).
   */
  initStd?: number
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

/**
 * Options of {@link ALS}: a dot product without biases or side features, for implicit
 * feedback, so `biases`, `features`, `featuresIn`, `task` and `clip` do not apply.
 */
export type ALSOptions = Omit<ModelOptions, 'biases' | 'features' | 'featuresIn' | 'task' | 'clip'>

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
  /**
   * What the list is ranked by, higher first. Recommendations: the logit z of an implicit
   * model (unbounded, so ties stay rare where σ(z) rounds to 1 in f32), the predicted rating
   * r̂ = clip(z + μ) of a rating model. Similar items and users: cosine similarity in [-1, 1].
   */
  score: number
  /**
   * Recommendations only: exactly what {@link NcfModel.predict} returns for this user and item,
   * σ(z) for an implicit model (ALS included: σ of its dot product), r̂ for a rating model.
   */
  predicted?: number
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
  /** Only these items (ids) may be recommended: an allow-list (in stock, in this region). */
  filterItems?: ArrayLike<Id>
  /** These items (ids) are never recommended: a block-list, applied after `filterItems`. */
  excludeItems?: ArrayLike<Id>
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
