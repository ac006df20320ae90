//! The trainer interface every backend implements: one session's epochs, their reports, live
//! progress and cancellation, and the optimizer state a checkpoint keeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::Result;
use crate::metrics::{RankMetrics, RatingMetrics};
use crate::model::Params;

/// What one epoch produced.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch number within this fit.
    pub epoch: u32,
    /// Mean BCE over the epoch's samples.
    pub loss: f64,
    pub samples: u64,
    /// Metrics on the test set (reported only, never used to choose).
    pub metrics: Option<RankMetrics>,
    /// Metrics on the validation set, when the session has one.
    pub validation: Option<RankMetrics>,
    /// Rating regression: RMSE/MAE/R² on the test and validation ratings (instead of ranking).
    pub rating: Option<RatingMetrics>,
    pub validation_rating: Option<RatingMetrics>,
    /// Rating regression: the same on the training ratings (weights after the epoch, no dropout).
    pub train_rating: Option<RatingMetrics>,
    /// Wall-clock seconds of training plus evaluation.
    pub seconds: f64,
}

/// Live progress of the epoch in flight, shared with other threads: the trainer updates it
/// after every batch (CPU) or submit (GPU) while one is attached, anyone may read it, and
/// `cancel` asks the epoch to stop at the next such point, undoing its weights and step counter
/// (not the optimizer's moments: a cancelled session is ended, not continued).
#[derive(Debug, Default)]
pub struct Progress {
    /// Optimizer steps done in the current epoch, and the epoch's total.
    pub steps: AtomicU64,
    pub total_steps: AtomicU64,
    /// Samples trained on in the current epoch.
    pub samples: AtomicU64,
    /// Summed loss of those samples (f64 bits).
    loss_sum: AtomicU64,
    /// Set by the caller to stop training.
    pub cancel: AtomicBool,
}

impl Progress {
    /// Starts an epoch of `total` steps.
    pub fn begin(&self, total: u64) {
        self.total_steps.store(total, Ordering::Relaxed);
        self.steps.store(0, Ordering::Relaxed);
        self.samples.store(0, Ordering::Relaxed);
        self.loss_sum.store(0f64.to_bits(), Ordering::Relaxed);
    }
    /// Records `steps` more steps over `samples` samples whose summed loss is `loss`.
    pub fn advance(&self, steps: u64, samples: u64, loss: f64) {
        self.steps.fetch_add(steps, Ordering::Relaxed);
        self.samples.fetch_add(samples, Ordering::Relaxed);
        let sum = f64::from_bits(self.loss_sum.load(Ordering::Relaxed)) + loss;
        self.loss_sum.store(sum.to_bits(), Ordering::Relaxed);
    }
    /// Mean loss of the epoch's samples so far (NaN before the first).
    pub fn running_loss(&self) -> f64 {
        let n = self.samples.load(Ordering::Relaxed);
        if n == 0 { f64::NAN } else { f64::from_bits(self.loss_sum.load(Ordering::Relaxed)) / n as f64 }
    }
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What an optimizer carries between epochs, beyond the weights: Adam's (or momentum's)
/// moment buffers and the step and epoch counters that key the sampler and dropout.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub step: u64,
    pub epoch: u32,
}

/// A training session on one backend. Weights after each epoch are available from
/// [`Trainer::params`]; the session keeps optimizer state across epochs.
pub trait Trainer: Send {
    /// Attaches live progress (and cancellation) to the following epochs.
    fn set_progress(&mut self, progress: Arc<Progress>);
    /// The optimizer state after the last complete epoch (for checkpoints).
    fn optimizer_state(&self) -> Result<OptimizerState>;
    /// Continues from a checkpoint: these weights and optimizer state (same layout).
    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()>;
    fn backend(&self) -> &'static str;
    /// Trains one epoch and, when `eval_k` is set, evaluates on the validation and test sets
    /// that exist.
    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport>;
    /// Learning rate of the following steps (learning-rate schedules).
    fn set_lr(&mut self, lr: f32);
    /// Weights after the last completed epoch.
    fn params(&self) -> &Params;
    /// Why this session left the backend it started on (a lost GPU device under
    /// `device: 'auto'`), once it has.
    fn fallback(&self) -> Option<&str> {
        None
    }
}
