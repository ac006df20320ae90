//! The backend seam (after candle's `BackendDevice` and implicit's one recommender interface):
//! every compute backend implements [`Backend`], and everything above it (the recommender, the
//! fit, recommend and full ranking in [`ranking`]) is written once over `&dyn Backend`. The CPU
//! backend's implementation is [`crate::cpu::CpuBackend`]; `ncf-gpu` implements it on wgpu and
//! chooses the adapter. This module names no backend's internals.

pub mod ranking;

use std::sync::Arc;

use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::infer::Side;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
use crate::train::{TrainConfig, Trainer};

/// The caller's device choice: `'gpu'` demands an adapter, `'cpu'` never touches one, `'auto'`
/// takes a hardware GPU when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePref {
    Auto,
    Gpu,
    Cpu,
}

/// Which backend a call ran on (reported to the caller as `backend: 'gpu' | 'cpu'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Gpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Gpu => "gpu",
        }
    }
}

/// One compute backend. Implementations check nothing the core checks before calling them:
/// pairs, k and test-set shapes are validated once, in [`ranking`] and the fit.
pub trait Backend: Send + Sync {
    fn kind(&self) -> BackendKind;
    /// Why `'auto'` fell back to this backend, if it did.
    fn fallback(&self) -> Option<&str> {
        None
    }
    /// A training session over `data` (validation cases chosen by the fit).
    fn trainer(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Trainer>>;
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
