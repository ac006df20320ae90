//! The CPU backend: plain Rust (rayon, and `matrixmultiply` for the tower), the deterministic
//! oracle of every `ncf-gpu` kernel and the fallback when no GPU adapter exists. One file per
//! kernel family, each the twin of one `.wgsl` in `ncf-gpu/src/shaders/`.
//!
//! # Files, each with its GPU twin
//! - [`scoring`] (`scoring.wgsl`): the shared terms: GMF-branch rows (embeddings plus GMF-branch
//!   features), the GMF term `hᵀ(p̃ ⊙ q̃)` and its gradient, `b_u + b_i + b`.
//! - [`factorization`] (`factorization.wgsl`): GMF/MF logits and per-sample gradients; the
//!   [`Params`](crate::model::Params) methods `logit`, `logits`, `batch_grad` (dispatching MLP and
//!   NeuMF to `tower`).
//! - [`tower`] (`tower.wgsl`): MLP and NeuMF forward/backward, batched through [`dense::sgemm`],
//!   side features in the tower input (its tests, finite differences included, in
//!   `tower_tests.rs`).
//! - [`dense`] (`dense.wgsl`): dense layers (`nn.Linear` layout, ReLU, dropout) and `sgemm`.
//! - [`fused`] (`fused.wgsl`): the tower's training pass as parallel 128-row pieces into a
//!   reusable workspace (the serial path, kept for side features).
//! - [`optim`] (`optim.wgsl`): the Adam and SGD updates, SIMD at run time.
//! - [`sparse`] (`optim.wgsl`'s `optimize_sparse`): row-sparse steps (LazyAdam semantics): the
//!   distinct rows of a batch, stepping only those.
//! - [`step`] (`ncf-gpu/src/steps/submit.rs`): one training step on every core for models
//!   without side features: pieces in parallel, then the row shards ([`shards`]: contiguous user
//!   and item rows and a range of the dense block each; wide sparse rows summed in per-shard
//!   compact records) scatter the pieces' per-sample row gradients ([`row_grads`]) and step the
//!   optimizer in parallel; the same bits as the serial path (`step_tests.rs`).
//! - [`sampling`] (`sampling.wgsl`): negative sampling and the epoch's samples.
//! - [`windows`] (`sampling.wgsl`'s `base`, `count`): an epoch held whole up to 16M samples, else in
//!   windows of training positions, the same samples either way.
//! - [`metrics`] (`metrics.wgsl`): HR/NDCG over sampled candidates, rating errors, ItemPop.
//! - [`similarity`] (`similarity.wgsl`): cosine similarity of users or items.
//! - [`minibatch`] (`ncf-gpu/src/steps/`): [`CpuSteps`], the CPU's mini-batch
//!   [`Steps`](crate::train::Steps); the epoch loop is [`crate::fit::trainer::Trainer`].
//! - [`als`] (`als.wgsl`): iALS (Hu et al. 2008; Rendle et al. 2022's `reg·(|I_u| + α|I|)`): the
//!   Gramian by one sgemm, per-row exact (Cholesky, f64) or conjugate-gradient solves in parallel,
//!   the objective, and fold-in's exact row solves behind
//!   [`Backend::solve_rows`](crate::backend::Backend::solve_rows); tests in `als_tests.rs` (the
//!   solve is the minimiser by finite differences, CG approaches it, sweeps never raise the
//!   objective).
//! - [`hogwild`] (CPU only): [`HogwildSteps`]: batch-1 SGD for GMF and MF lock-free across threads
//!   (Hogwild!, Rendle et al.'s MF recipe), weights as relaxed atomics; on one thread the serial
//!   batch-1 SGD (`hogwild_tests.rs`).
//! - [`als_steps`] (`ncf-gpu/src/als.rs`): [`AlsSteps`]: `optimizer: 'als'` as steps, one epoch a
//!   user sweep then an item sweep; [`als_steps::sweep_objective`], where both backends' sweeps end.
//! - [`fold_in`]: fold-in's row solves on the CPU.
//! - [`backend`] (`ncf-gpu/src/device.rs`): [`CpuBackend`], the CPU's implementation of the seam
//!   [`crate::backend::Backend`].
//!
//! May import every other module of the crate; nothing outside `cpu` imports it but tests
//! (`persist`'s build featured models with `tower::tests`); the rest of the crate and the bindings
//! reach it through [`CpuBackend`]. Inside: `factorization` → `tower` → `dense`, both → `scoring`;
//! `minibatch` → `step`, `sparse`, `fused`, `metrics`, `optim`, `sampling`, `windows`; `step` →
//! `shards`, `row_grads`, `tower`; `shards` → `optim`, `sparse`; `backend` → `minibatch`,
//! `als_steps`, `hogwild`, `metrics`, `similarity`; `hogwild` → `sampling`, `windows`, `metrics`;
//! `windows` → `sampling`; `als_steps` → `als`, `metrics`.

/// The `Steps` methods every CPU session shares: it keeps its `inputs` and `params` on the
/// host and evaluates with the CPU's kernels (`metrics.rs`).
macro_rules! host_steps {
    () => {
        fn backend(&self) -> $crate::train::BackendKind {
            $crate::train::BackendKind::Cpu
        }
        fn inputs(&self) -> &$crate::train::Inputs {
            &self.inputs
        }
        fn params(&self) -> &$crate::model::Params {
            &self.params
        }
        fn write_params(&mut self, weights: &[f32]) -> $crate::error::Result<()> {
            self.params.data.copy_from_slice(weights);
            Ok(())
        }
        fn evaluate(&self, set: &$crate::data::TestSet, k: u32) -> $crate::error::Result<$crate::metrics::RankMetrics> {
            $crate::cpu::metrics::evaluate_cpu(&self.params, set, k)
        }
        fn evaluate_rating(
            &self,
            set: &$crate::data::TestSet,
            scale: $crate::metrics::RatingScale,
        ) -> $crate::error::Result<$crate::metrics::RatingMetrics> {
            $crate::cpu::metrics::evaluate_rating_cpu(&self.params, set, scale)
        }
    };
}
pub(crate) use host_steps;

pub mod als;
pub mod als_steps;
pub mod backend;
pub mod dense;
pub mod factorization;
pub mod fold_in;
pub mod fused;
pub mod hogwild;
pub mod metrics;
pub mod minibatch;
pub mod optim;
pub mod row_grads;
pub mod sampling;
pub mod scoring;
pub mod shards;
pub mod similarity;
pub mod sparse;
pub mod step;
pub mod tower;
pub mod windows;

pub use als_steps::AlsSteps;
pub use backend::CpuBackend;
pub use hogwild::HogwildSteps;
pub use metrics::{evaluate_cpu, evaluate_item_pop, evaluate_rating_cpu};
pub use minibatch::CpuSteps;
pub use similarity::{similar, similarity_scores};

#[cfg(test)]
mod windows_tests;
