//! The seam at the step (after candle's and burn's backends, which offer operations while the
//! loops are written once above them): a backend's training session offers [`Steps`], the
//! step-level operations of one algorithm on one device, and the one epoch loop
//! (`crate::fit::Trainer`) drives them. Nothing here snapshots weights, checks a loss, counts
//! epochs or evaluates on a schedule: that is the loop's.

use std::ops::Range;
use std::sync::Arc;

use super::config::TrainConfig;
use super::progress::Progress;
use crate::data::{Dataset, TestSet};
use crate::error::Result;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;

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

/// What a session trains on and how: the training data, the validation cases the loop
/// evaluates (when the fit holds some out), and the hyperparameters.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub data: Arc<Dataset>,
    pub validation: Option<TestSet>,
    pub cfg: TrainConfig,
}

/// Where the epoch in flight stands: its index (0-based; it keys the sampler's draws), the
/// optimizer steps taken before it (step `step + s + 1` is the epoch's step `s`: Adam's bias
/// correction and the dropout masks follow it), and the learning rate of its steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepAt {
    pub epoch: u32,
    pub step: u64,
    pub lr: f32,
}

/// The size of one epoch of an algorithm on its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSize {
    /// Units of work, as [`Progress`] counts them: optimizer steps (mini-batch), samples
    /// (Hogwild!, whose steps are samples), or rows solved (ALS).
    pub steps: u64,
    /// Optimizer steps the epoch adds to the step counter (0 for ALS, which has none).
    pub optimizer_steps: u64,
    /// Samples the epoch trains on (ALS: the observed interactions).
    pub samples: u64,
}

/// What a range of steps produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trained {
    /// The summed loss of the range's samples; the epoch's loss is `loss_sum / loss_count`.
    pub loss_sum: f64,
    /// Samples the sum is over; 1 for ALS, whose loss is its whole objective (Rendle et al.
    /// 2022, eq. 3) rather than a mean over samples.
    pub loss_count: u64,
    /// Metrics computed alongside the steps, by a backend that can fold evaluation into the
    /// epoch's one read-back (the GPU); `None` leaves evaluation to the loop.
    pub evaluated: Option<Evaluated>,
}

/// One evaluation per set: ranking for implicit feedback, rating metrics for regression.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evaluated {
    pub test: Option<SetMetrics>,
    pub validation: Option<SetMetrics>,
    /// Rating regression's training ratings.
    pub train: Option<SetMetrics>,
}

/// Metrics of one set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SetMetrics {
    Rank(RankMetrics),
    Rating(RatingMetrics),
}

/// The step-level operations of one training session on one backend. The loop calls
/// [`Steps::prepare_epoch`] once per epoch, then [`Steps::train_steps`] over ranges of the
/// epoch's steps in order; a backend may record a whole range in one submit.
pub trait Steps: Send {
    fn backend(&self) -> BackendKind;
    /// The data and hyperparameters the session was made with.
    fn inputs(&self) -> &Inputs;
    fn epoch_size(&self) -> EpochSize;
    /// Readies epoch `at.epoch`: draws its samples, or the first window of them; by default
    /// nothing, for an algorithm that draws none (ALS).
    fn prepare_epoch(&mut self, _at: StepAt) -> Result<()> {
        Ok(())
    }
    /// Trains steps `range` of the prepared epoch, reporting to `progress` after each batch
    /// (CPU) or submit (GPU) and stopping with `Cancelled` when it asks. After an error the
    /// weights are undefined until the loop writes them back. With `evaluate` (passed with the
    /// range that ends the epoch) a backend may evaluate the sets in the same submit and
    /// return the metrics in [`Trained::evaluated`].
    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        evaluate: Option<u32>,
    ) -> Result<Trained>;
    /// The weights after the last range trained (a host copy).
    fn params(&self) -> &Params;
    /// Replaces the weights (a rollback, a checkpoint).
    fn write_params(&mut self, weights: &[f32]) -> Result<()>;
    /// The optimizer's first and second moments; by default zeros, for an algorithm that
    /// keeps none (ALS, plain SGD at batch 1), and a checkpoint stores them as such.
    fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let n = self.params().data.len();
        Ok((vec![0.0; n], vec![0.0; n]))
    }
    /// Replaces the moments; by default nothing, for an algorithm that keeps none.
    fn write_moments(&mut self, _m: &[f32], _v: &[f32]) -> Result<()> {
        Ok(())
    }
    /// HR@k / NDCG@k of the current weights on `set`.
    fn evaluate(&self, set: &TestSet, k: u32) -> Result<RankMetrics>;
    /// RMSE / MAE / R² of the current weights on `set`'s ratings.
    fn evaluate_rating(&self, set: &TestSet, scale: RatingScale) -> Result<RatingMetrics>;
}
