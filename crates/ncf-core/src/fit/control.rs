//! What the epoch loop ([`super::trainer`]) reports and keeps: an epoch's [`EpochReport`] and
//! [`Outcome`], the optimizer's and the control's state a [`Checkpoint`] holds, and the
//! training control on the validation metric it applies (best-epoch selection with weight
//! restore, `ReduceLROnPlateau` with PyTorch semantics, mode "max", and early stopping).

use crate::error::{NcfError, Result};
use crate::metrics::{RankMetrics, RatingMetrics};

/// What one epoch produced.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch number within this fit.
    pub epoch: u32,
    /// Mean BCE over the epoch's samples (ALS: its objective).
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

/// What an optimizer carries between epochs, beyond the weights: Adam's (or momentum's)
/// moment buffers and the step and epoch counters that key the sampler and dropout.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    pub step: u64,
    pub epoch: u32,
}

/// Validation metric that selects epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    Hr,
    Ndcg,
    /// Rating regression: the validation RMSE, lower is better.
    Rmse,
}

impl Monitor {
    /// The monitored value of validation metrics, oriented so that higher is better (RMSE is
    /// negated); `None` when the metrics do not carry it.
    pub fn value(self, rank: Option<&RankMetrics>, rating: Option<&RatingMetrics>) -> Option<f64> {
        match self {
            Monitor::Hr => rank.map(|m| m.hr),
            Monitor::Ndcg => rank.map(|m| m.ndcg),
            Monitor::Rmse => rating.map(|m| -m.rmse),
        }
    }
}

/// `torch.optim.lr_scheduler.ReduceLROnPlateau(mode='max', threshold=1e-4, threshold_mode='rel')`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlateauConfig {
    pub factor: f32,
    pub patience: u32,
    pub min_lr: f32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Control {
    pub monitor: Monitor,
    pub plateau: Option<PlateauConfig>,
    /// Stop after this many epochs without a new best validation value.
    pub early_stopping: Option<u32>,
    /// Put the best validation epoch's weights back when training ends.
    pub restore_best: bool,
}

impl Control {
    pub fn validate(&self, has_validation: bool) -> Result<()> {
        if let Some(p) = self.plateau {
            if !(p.factor > 0.0 && p.factor < 1.0) {
                return Err(NcfError::invalid(
                    "reduceLrOnPlateau.factor",
                    format!("must be in (0, 1), got {}", p.factor),
                ));
            }
            if !(p.min_lr.is_finite() && p.min_lr >= 0.0) {
                return Err(NcfError::invalid("reduceLrOnPlateau.minLr", format!("must be >= 0, got {}", p.min_lr)));
            }
        }
        if !has_validation {
            let what = if self.plateau.is_some() {
                Some("reduceLrOnPlateau")
            } else if self.early_stopping.is_some() {
                Some("earlyStopping")
            } else {
                None
            };
            if let Some(what) = what {
                return Err(NcfError::invalid(
                    what,
                    "decides on the validation metric; pass validation: 'leave-one-out' (the test set is never used to choose)",
                ));
            }
        }
        Ok(())
    }
}

/// What one controlled epoch did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub report: EpochReport,
    /// Learning rate this epoch trained with (kept in f64 so the caller's value round-trips).
    pub lr: f64,
    /// Learning rate of the next epoch (lower after a plateau).
    pub next_lr: f64,
    pub best_epoch: Option<u32>,
    pub stop: bool,
}

impl std::ops::Deref for Outcome {
    type Target = EpochReport;
    fn deref(&self) -> &EpochReport {
        &self.report
    }
}

/// A session's state between epochs (see [`super::Trainer::checkpoint`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub weights: Vec<f32>,
    pub optimizer: OptimizerState,
    pub lr: f64,
    /// The best validation value so far, its epoch and weights.
    pub best: Option<(f64, u32, Vec<f32>)>,
    pub since_best: u32,
    pub plateau_best: f64,
    pub plateau_bad: u32,
}
