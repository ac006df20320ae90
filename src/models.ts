// The four NCF models (He et al., WWW'17 §3, and Rendle et al.'s MF): their constructors'
// checks, NeuMF-pre, and their registration with NcfModel.load.
import { Dataset } from './dataset.js'
import { callSync, invalid } from './errors.js'
import type { ALSOptions, GMFOptions, MFOptions, MLPOptions, NeuMFOptions, PretrainedOptions } from './model-options.js'
import { NcfModel } from './model.js'
import { nativeOf, registerKind, WRAP, type Wrapped } from './registry.js'
import { native, type Native } from './native.js'
import { coreJson, objectOf } from './options.js'

/**
 * The native model a constructor wraps, or a new one: the options are the core's to check
 * (`ncf_core::recommender::ModelSpec::from_json`: names, types, ranges, defaults, unknown keys),
 * but for the two that live here: `device` (the model's default, checked by NcfModel) and
 * `features`, a Dataset handle rather than a value.
 */
function createNative(kind: 'gmf' | 'mf' | 'mlp' | 'neumf' | 'als', options: MLPOptions | Wrapped): Native.NativeModel {
  if (options && typeof options === 'object' && WRAP in options) return options[WRAP]
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid('options', 'expected { numUsers, numItems, factors? }')
  }
  const { device: _device, features, ...core } = options
  if (features !== undefined && !(features instanceof Dataset)) {
    throw invalid('features', 'must be the Dataset whose side features the model takes (see Dataset.withFeatures)')
  }
  return callSync(() => new native.NativeModel(kind, coreJson(core), features?.native))
}

/**
 * Generalized Matrix Factorization (He et al. §3.2): ŷ = σ(hᵀ(p_u ⊙ q_i) + b), trained with
 * binary cross-entropy on sampled negatives.
 *
 * @example
 * ```ts
 * const data = Dataset.synthetic({ seed: 1 })
 * const gmf = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16 })
 * const { epochs } = await gmf.fit(data, { epochs: 5 })
 * console.log(epochs.at(-1))
 * gmf.dispose()
 * ```
 */
export class GMF extends NcfModel {
  constructor(options: GMFOptions) {
    super(createNative('gmf', options), options)
  }
}

/**
 * Dot-product matrix factorization with biases, the baseline of Rendle et al. (RecSys'20,
 * "Neural Collaborative Filtering vs. Matrix Factorization Revisited"):
 * ŷ = σ(p_u · q_i + b_u + b_i + b), trained like GMF (logistic loss on sampled negatives; add
 * `weightDecay` for the L2 penalty).
 *
 * @example
 * ```ts
 * const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 64 })
 * await mf.fit(data, { epochs: 10, weightDecay: 1e-6 })
 * ```
 */
export class MF extends NcfModel {
  constructor(options: MFOptions) {
    super(createNative('mf', options), options)
  }
}

/**
 * Implicit alternating least squares (iALS; Hu, Koren & Volinsky, ICDM 2008), regularised as in
 * Rendle et al., "Revisiting the Performance of iALS on Item Recommendation Benchmarks"
 * (RecSys 2022): ŷ = p_u · q_i, no biases. Each epoch of `fit` solves every user's row against
 * the fixed item factors, then every item's, minimising
 * Σ_observed (ŷ − 1)² + α Σ_all ŷ² + reg·Σ (count + α·n)‖row‖². Options: `l2` (reg, default
 * 0.007), `alpha` (0.3) and `cgSteps` (3 conjugate-gradient steps per row; 0: exact solves, CPU
 * only); embeddings start from N(0, 0.1/√d). Both backends train it.
 * Scores are dot products (`predict` gives σ of them); `recommend`, `similar`, `evaluate`,
 * `save` and `load` work as for every model. New users (and items) join without retraining
 * through {@link NcfModel.foldIn}, each row solved exactly.
 *
 * @example
 * ```ts
 * const als = new ALS({ numUsers: data.numUsers, numItems: data.numItems, factors: 64 })
 * await als.fit(data, { epochs: 10, device: 'cpu' })
 * ```
 */
export class ALS extends NcfModel {
  constructor(options: ALSOptions) {
    super(createNative('als', options as MLPOptions), options)
  }
}

/**
 * Multi-Layer Perceptron (He et al. §3.3): user and item embeddings are concatenated and pass
 * through a tower of ReLU layers, ŷ = σ(hᵀ a_L + b). Layers are Xavier-initialised; optional
 * dropout (`fit({ dropout })`) follows each ReLU.
 *
 * @example
 * ```ts
 * const mlp = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 }) // [64, 32, 16, 8]
 * await mlp.fit(data, { epochs: 20 })
 * ```
 */
export class MLP extends NcfModel {
  constructor(options: MLPOptions) {
    super(createNative('mlp', options), options)
  }
}

/**
 * Neural Matrix Factorization (He et al. §3.4): a GMF branch and an MLP branch with their own
 * embeddings, fused before one predict layer, ŷ = σ(hᵀ[p_u ⊙ q_i ; a_L] + b).
 * Train it from scratch (NeuMF-end, Adam), or build it from a trained {@link GMF} and
 * {@link MLP} with {@link NeuMF.fromPretrained} (NeuMF-pre, fine-tuned with SGD).
 *
 * @example
 * ```ts
 * const gmf = new GMF({ numUsers, numItems, factors: 8 })
 * const mlp = new MLP({ numUsers, numItems, factors: 8 })
 * await gmf.fit(data, { epochs: 20 })
 * await mlp.fit(data, { epochs: 20 })
 * const neumf = NeuMF.fromPretrained(gmf, mlp, { alpha: 0.5 })
 * await neumf.fit(data, { epochs: 20 }) // SGD by default
 * ```
 */
export class NeuMF extends NcfModel {
  readonly #native: Native.NativeModel

  constructor(options: NeuMFOptions) {
    const handle = createNative('neumf', options)
    super(handle, options)
    this.#native = handle
  }

  /**
   * True for a model built by {@link NeuMF.fromPretrained} (its file says so, so it loads
   * with SGD as its default again).
   */
  get pretrained(): boolean {
    return this.#native.pretrained
  }

  /**
   * NeuMF-pre (He et al. §3.4.1): copies the embeddings of a trained GMF and the embeddings and
   * tower of a trained MLP (same users and items), and sets the predict layer to
   * `[α·h_GMF, (1−α)·h_MLP]` with bias `α·b_GMF + (1−α)·b_MLP`, so its first scores are exactly
   * `α·z_GMF + (1−α)·z_MLP`. The two models are left as they were. The GMF branch may also
   * come from an {@link MF} or {@link ALS} (a dot product is a GMF with h = 1; an MF's biases
   * become the NeuMF's), so the strongest dot-product recipe can seed it.
   *
   * `fit` then defaults to SGD, as in the paper (Adam's moment estimates are not part of the
   * pretrained weights). Pass `lr` explicitly: the general default of 0.001 barely moves SGD.
   * On MovieLens-1M the α-mix alone beats both of its parts on test (64 factors: HR@10 0.705
   * against GMF 0.692 and MLP 0.688), and no fine-tuning measured (plain SGD at lr 0.001–0.1,
   * Adam at 1e-4 or 1e-5) moves validation HR@10 by more than +0.003 from it (BENCHMARKS.md).
   * With `validation`, the starting mix competes as epoch 0, so `fit` keeps it (`bestEpoch: 0`)
   * unless an epoch beats it on validation.
   */
  static fromPretrained(gmf: GMF | MF | ALS, mlp: MLP, options: PretrainedOptions = {}): NeuMF {
    if (!(gmf instanceof GMF || gmf instanceof MF || gmf instanceof ALS)) throw invalid('gmf', 'must be a GMF, MF or ALS model')
    if (!(mlp instanceof MLP)) throw invalid('mlp', 'must be an MLP model')
    const json = coreJson(objectOf('options', options, '{ alpha? }'))
    const [g, m] = [nativeOf(gmf), nativeOf(mlp)]
    if (!g) throw invalid('gmf', 'must be a model built by ncf-native')
    if (!m) throw invalid('mlp', 'must be a model built by ncf-native')
    const handle = callSync(() => native.NativeModel.neumfFromPretrained(g, m, json))
    return new NeuMF({ [WRAP]: handle } as unknown as NeuMFOptions)
  }
}

registerKind('GMF', (w) => new GMF(w as unknown as GMFOptions))
registerKind('MF', (w) => new MF(w as unknown as MFOptions))
registerKind('ALS', (w) => new ALS(w as unknown as ALSOptions))
registerKind('MLP', (w) => new MLP(w as unknown as MLPOptions))
registerKind('NeuMF', (w) => new NeuMF(w as unknown as NeuMFOptions))
