// The options of NcfModel.fit and what its onProgress callback receives.
import type { EpochStats } from './results.js'
import type { Device, OptimizerName } from './types.js'

/**
 * `ReduceLROnPlateau` on the validation metric, with PyTorch's semantics (mode "max" for HR and
 * NDCG, "min" for RMSE; relative threshold 1e-4).
 */
export interface PlateauOptions {
  /** Multiplies the learning rate. Default 0.1. */
  factor?: number
  /** Epochs without a relative improvement of 1e-4 tolerated before lowering. Default 10. */
  patience?: number
  /** Floor of the learning rate. Default 0. */
  minLr?: number
}

/** Options of {@link NcfModel.fit}. */
export interface FitOptions {
  /** Default 20. */
  epochs?: number
  /** Default 256. */
  batchSize?: number
  /** Negatives sampled per positive, anew every epoch. Default 4. */
  negatives?: number
  /**
   * Default `'adam'` (`'sgd'` for a {@link NeuMF.fromPretrained} model, as in the paper; `'als'`
   * for an {@link ALS}). `'als'` is implicit alternating least squares: each epoch solves every
   * user's row, then every item's, in closed form, so `batchSize`, `negatives`, `lr`, the
   * optimizer's options, `sparse`, `dropout` and `reduceLrOnPlateau` do not apply (passing one is
   * an error); its options are `l2`, `alpha` and `cgSteps`.
   */
  optimizer?: OptimizerName
  /** Default 0.001. */
  lr?: number
  /** Heavy-ball momentum of `'sgd'` (PyTorch semantics, in [0, 1)). An error with `'adam'`. */
  momentum?: number
  /** L2 penalty λ added to every gradient as λ·w (PyTorch's `weight_decay`). Default 0. */
  weightDecay?: number
  /**
   * Adam's β1, β2 and ε (PyTorch's defaults 0.9, 0.999, 1e-8). An error with `'sgd'`.
   * For very large batches NVIDIA's NCF recipe uses `batchSize: 2 ** 20` (or 2 ** 16 for
   * ML-1M-size data), `lr: 0.0045`, `beta1: 0.25`, `beta2: 0.5`.
   */
  beta1?: number
  /** See `beta1`. */
  beta2?: number
  /** See `beta1`. */
  eps?: number
  /**
   * Row-sparse embedding updates: each step updates only the embedding rows its batch uses
   * (Adam as TF's LazyAdam and `torch.optim.SparseAdam`: the moments of untouched rows are not
   * decayed; SGD momentum likewise). The tower, predict layer and global bias stay dense. A step
   * then costs the batch, not the whole model. Same option on every backend. Default false
   * (PyTorch's dense semantics: every parameter steps every batch).
   */
  sparse?: boolean
  /**
   * L2 penalty λ·(Σ‖row‖² + b_u² + b_i²) on the embedding rows and biases each sample uses
   * (user and item; for NeuMF the rows of both branches), once per occurrence, as Rendle et
   * al.'s `mf_simple.py` regularises MF.
   * Unlike `weightDecay`, rows a batch does not touch are left alone, and tower weights are not
   * affected (use `weightDecay` for them). Default 0.
   *
   * With `optimizer: 'als'` it is iALS's `reg`, scaled per row as in Rendle et al. (2022):
   * `reg·(|I_u| + α·|I|)` for a user with |I_u| items, and likewise for items. Default 0.007
   * (their MovieLens-1M setting).
   */
  l2?: number
  /**
   * `optimizer: 'als'`: the weight α of every unobserved (user, item) pair; observed pairs
   * weigh 1 with target 1 (Hu, Koren & Volinsky 2008, in Rendle et al. 2022's form). Default 0.3.
   */
  alpha?: number
  /**
   * `optimizer: 'als'`: conjugate-gradient steps per row and epoch, warm-started from the row
   * (as `implicit` does; Takács et al. 2011). 0 solves each row exactly (Cholesky), on the CPU
   * backend only. Default 3, which on MovieLens-1M reaches the exact solves' HR@10 within
   * 0.0005 at half their cost (BENCHMARKS.md).
   */
  cgSteps?: number
  /**
   * Batch-1 SGD lock-free across the CPU's threads (Hogwild!: Niu et al. 2011), for GMF and MF:
   * Rendle et al.'s MF recipe (RecSys 2020) is `{ hogwild: true, lr: 0.002, l2: 0.0025,
   * negatives: 8 }` on an `MF` built with `initStd: 0.1`. It implies `optimizer: 'sgd'` and
   * `batchSize: 1`; on one thread it is exactly the serial batch-1 SGD, on many, updates of one
   * row may race (which Hogwild! shows does not hurt). CPU backend only: `device: 'gpu'` is an
   * error. The GPU's equivalent is plain SGD with `sparse: true` at `lr` = η × `batchSize` (the
   * batch mean's gradient times B is the sum of B samples' steps, as B Hogwild workers would
   * take them from one snapshot), e.g. `{ optimizer: 'sgd', sparse: true, batchSize: 1024,
   * lr: 2.048, l2: 0.0025, negatives: 8 }` for η = 0.002. Default false.
   */
  hogwild?: boolean
  /**
   * Draw each negative uniformly from every item, the user's own positives included, as
   * Rendle et al.'s `mf_simple.py` does; such a draw is a sample labelled 0 that the user did
   * interact with. Default false: negatives are items the user has not interacted with (the
   * NCF paper's sampler). Both backends draw the same items for the same seed. Needs
   * sampled negatives (an error with `negatives: 0`, `task: 'rating'` or `optimizer: 'als'`).
   */
  uniformNegatives?: boolean
  /**
   * Inverted dropout after each ReLU of the MLP tower (MLP and NeuMF only; an error for GMF
   * and MF), drawn from the seeded RNG so runs repeat. In [0, 0.95). Default 0, as in the paper.
   */
  dropout?: number
  /** Seeds negative sampling, shuffling and dropout; the same seed repeats a run. Default 0. */
  seed?: number
  /**
   * Default `'auto'`: a hardware GPU when there is one, else the CPU backend with a one-line
   * warning (also when the only adapter is a software rasterizer such as lavapipe).
   */
  device?: Device
  /** Cut-off of the per-epoch HR/NDCG. Default 10. */
  k?: number
  /** Evaluate after every epoch (test and validation sets). Default true. */
  evaluate?: boolean
  /**
   * What chooses epochs (never the test set):
   * - `'dataset'`: the validation cases of a {@link Dataset.split} (`validation: true` or a
   *   `validationRatio`); the default when the dataset has them;
   * - `'leave-one-out'`: holds one more interaction per user out of the training data (the
   *   latest by timestamp when the data has them, else a seeded choice) and ranks it among
   *   `validationNegatives` sampled negatives;
   * - `'none'`: the default otherwise.
   */
  validation?: 'dataset' | 'leave-one-out' | 'none'
  /** Sampled negatives per validation case. Default 99. */
  validationNegatives?: number
  /** Validation metric that chooses epochs. Default `'hr'`, `'rmse'` for rating models. */
  monitor?: 'hr' | 'ndcg' | 'rmse'
  /** Lower the learning rate when the validation metric stalls (needs `validation`). */
  reduceLrOnPlateau?: PlateauOptions
  /** Stop after `patience` epochs without a new best validation value (needs `validation`). */
  earlyStopping?: {
    /** Epochs without a better validation value before training stops. */
    patience: number
  }
  /**
   * Keep the best validation epoch's weights when training ends. Default true with
   * validation (it has no effect without it).
   */
  restoreBest?: boolean
  /**
   * Called after every epoch; return `false` (or a promise of it) to stop training. A callback
   * that throws, or returns a promise that rejects, stops training after that epoch (the model
   * keeps the weights chosen so far) and `fit` rejects with `ERR_CALLBACK`, the error as `cause`.
   */
  onEpoch?: (stats: EpochStats) => void | boolean | Promise<void | boolean>
  /**
   * Called while an epoch runs, every `progressEvery` milliseconds and once when it ends, with
   * the batches done, samples per second, ETA and running loss. The trainer publishes them
   * after every batch (CPU) or submit of 512 steps (GPU, which then keeps at most two submits in
   * flight); the cost is measured in BENCHMARKS.md. A callback that throws, or returns a
   * promise that rejects, stops training as `signal` does, and `fit` rejects with
   * `ERR_CALLBACK`, the callback's error as `cause`.
   */
  onProgress?: (progress: FitProgress) => void | Promise<void>
  /** Milliseconds between `onProgress` calls. Default 250. */
  progressEvery?: number
  /**
   * Save a checkpoint to `path` every `every` epochs (default 1) and after the last: the
   * weights, the optimizer's moments and counters, the best validation weights, the learning
   * rate, and these options and the history, written atomically. Resume it with `resumeFrom`.
   */
  checkpoint?: {
    /** The checkpoint file. */
    path: string
    /** Epochs between saves. Default 1. */
    every?: number
  }
  /**
   * Continue a fit from a checkpoint written by `checkpoint` (same model shape, dataset and
   * options; `epochs` counts from the start, so a 10-epoch fit stopped after 4 continues with
   * `epochs: 10`). The result equals the uninterrupted run with the same seed: bit for bit on the
   * CPU, up to float-atomics summation order on the GPU. The returned history includes the
   * checkpoint's epochs.
   */
  resumeFrom?: string
  /**
   * Cancels training: the epoch in flight stops at its next batch (CPU) or submit (GPU) and its
   * weights are undone (the optimizer's moments are not: the session ends), `fit` rejects with a {@link FitAbortedError} (code `ERR_ABORTED`) carrying the
   * history of the complete epochs, and the model keeps the weights `fit` would have kept after
   * them (the best validation epoch with `restoreBest`, else the last complete one).
   */
  signal?: AbortSignal
}

/** What {@link FitOptions.onProgress} receives. */
export interface FitProgress {
  /** 1-based epoch in flight, and the number asked for. */
  epoch: number
  /** Epochs `fit` was asked for. */
  epochs: number
  /** Optimizer steps (batches) done in this epoch, and its total. */
  steps: number
  /** Steps in this epoch. */
  totalSteps: number
  /** Samples trained on in this epoch. */
  samples: number
  /** Samples per second over this epoch so far. */
  samplesPerSecond: number
  /** Mean loss of this epoch's samples so far (`null` before the first report). */
  loss: number | null
  /** Seconds since the epoch started, and the estimated seconds until it ends. */
  elapsedSeconds: number
  /** Estimated seconds until the epoch ends (`null` before the first step). */
  etaSeconds: number | null
}
