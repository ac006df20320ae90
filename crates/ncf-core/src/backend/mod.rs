//! The backend seam (after candle's `BackendDevice` and implicit's one recommender interface):
//! every compute backend implements [`Backend`], and everything above it (the recommender, the
//! fit's one epoch loop over a backend's [`Steps`], recommend and full ranking in [`ranking`])
//! is written once over `&dyn Backend`. The CPU backend's implementation is
//! [`crate::cpu::CpuBackend`]; `ncf-gpu` implements it on wgpu and chooses the adapter, and
//! [`auto::AutoBackend`] is `device: 'auto'`'s policy over the two. This module names no
//! backend's internals.
//!
//! # Files
//! - `mod.rs`: the [`Backend`] trait (its training [`Steps`] for an
//!   [`Algorithm`](crate::train::Algorithm), pair logits, cosine similarity, sampled and rating
//!   evaluation, fold-in's row solves, its kind, fallback reason and fail-over) and [`DevicePref`].
//! - [`ranking`]: written once over `&dyn Backend`: the checks in one order and one wording, pair
//!   scoring in chunks of [`ranking::SCORE_CHUNK`] pairs, top-K recommendation, full ranking,
//!   similar rows, evaluation.
//! - [`auto`]: `device: 'auto'`: [`auto::AutoBackend`], a GPU backend with
//!   [`CpuBackend`](crate::cpu::CpuBackend) behind it, which answers a call the GPU fails on the
//!   CPU and gives a training session its CPU fail-over.
//!
//! May import [`crate::cpu::CpuBackend`] (the fallback), [`crate::data`], [`crate::infer`],
//! [`crate::metrics`], [`crate::model`], [`crate::train`] and [`crate::error`], never any backend's
//! internals. Implementations: [`crate::cpu::CpuBackend`] here, `ncf_gpu::GpuBackend` in ncf-gpu.

pub mod auto;
pub mod ranking;

use std::sync::Arc;

use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::infer::Side;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
pub use crate::train::BackendKind;
use crate::train::{Steps, TrainConfig};

/// The caller's device choice: `'gpu'` demands an adapter, `'cpu'` never touches one, `'auto'`
/// takes a hardware GPU when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePref {
    Auto,
    Gpu,
    Cpu,
}

/// One compute backend. Implementations check nothing the core checks before calling them:
/// pairs, k and test-set shapes are validated once, in [`ranking`] and the fit.
pub trait Backend: Send + Sync {
    fn kind(&self) -> BackendKind;
    /// Why `'auto'` answers on the CPU backend, once it does.
    fn fallback(&self) -> Option<&str> {
        None
    }
    /// The step-level operations of a training session over `data` with `cfg.algorithm`
    /// (validation cases chosen by the fit), for the epoch loop to drive.
    fn steps(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Steps>>;
    /// Where a training session continues when this backend fails one of its epochs
    /// (`device: 'auto'`: the CPU backend after a GPU failure); `None` passes the error on.
    fn fail_over(&self) -> Option<Arc<dyn Backend>> {
        None
    }
    /// Logits z of the pairs `(users[t], items[t])`; callers pass at most
    /// [`ranking::SCORE_CHUNK`] pairs at once.
    fn logits(&self, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>>;
    /// Cosine similarity of every row of `side` to each query row, query-major.
    fn similarity(&self, params: &Params, side: Side, queries: &[u32]) -> Result<Vec<f32>>;
    /// HR@k / NDCG@k of the sampled test cases (He et al. §4.1).
    fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics>;
    /// RMSE / MAE / R² of held-out ratings through `scale`.
    fn evaluate_rating(&self, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics>;
    /// Fold-in: learns each `(row, observed)` of `side` against the first `other_count` rows of
    /// the other side with every other parameter fixed (ALS: the exact row solve; the others:
    /// steps of the training loss), writing the rows into `params`.
    fn solve_rows(
        &self,
        params: &mut Params,
        side: Side,
        rows: &[(u32, Vec<u32>)],
        other_count: u32,
        how: crate::train::RowSolve,
    ) -> Result<()>;
}

/// Chooses a backend for a device preference. The core knows only the CPU; a crate with a GPU
/// backend (ncf-gpu) provides the selector that can also return its own.
pub type Selector = fn(DevicePref) -> Result<Arc<dyn Backend>>;
