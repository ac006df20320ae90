// The API's shared vocabulary: types every domain module speaks, with no code of their own.

/**
 * Where a call runs: the GPU, the CPU backend, or (`'auto'`) a hardware GPU when one exists,
 * else the CPU backend. A software Vulkan adapter such as lavapipe counts as no GPU for `'auto'`:
 * it emulates a GPU on the same cores, slower than the CPU backend. `'gpu'` still uses it.
 */
export type Device = 'auto' | 'gpu' | 'cpu'

/** Optimizers with PyTorch semantics (Adam is bias-corrected). */
export type OptimizerName = 'adam' | 'sgd' | 'als'

/**
 * A user or item id as the application has it. Models and datasets built from the caller's
 * ids ({@link Dataset.fromFile}, {@link Dataset.fromArrays} with plain arrays) take and return
 * these ids; numbers come back as numbers when every id of that side is an integer, strings
 * otherwise. Without such ids, an id is the dense index itself.
 */
export type Id = string | number

/** The models ncf-native trains. */
export type ModelKind = 'GMF' | 'MF' | 'MLP' | 'NeuMF' | 'ALS'
