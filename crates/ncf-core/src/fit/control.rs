//! What the epoch loop ([`super::trainer`]) reports and keeps: an epoch's [`EpochReport`] and
//! [`Outcome`], the optimizer's and the control's state a [`Checkpoint`] holds, and the
//! training control on the validation metric it applies (best-epoch selection with weight
//! restore, `ReduceLROnPlateau` with PyTorch semantics, mode "max", and early stopping).

use crate::error::{NcfError, Result};
use crate::metrics::{RankMetrics, RatingMetrics};
use crate::model::Params;

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

/// The control's state between epochs, which a [`Checkpoint`] keeps: the learning rate as the
/// caller gave it and the plateau lowers it (f64, so the caller's value round-trips), the best
/// validation value with its epoch and weights, and the early-stopping and plateau counters.
#[derive(Clone, Debug)]
pub struct Tracker {
    control: Control,
    pub lr: f64,
    best: Option<(f64, u32, Params)>,
    since_best: u32,
    plateau_best: f64,
    plateau_bad: u32,
}

impl Tracker {
    pub fn new(control: Control, lr: f64) -> Self {
        Tracker { control, lr, best: None, since_best: 0, plateau_best: f64::NEG_INFINITY, plateau_bad: 0 }
    }

    /// The starting weights compete as "epoch 0", given their validation metrics: a
    /// pretrained model (NeuMF-pre) or a second `fit` is kept as it was when no epoch beats it.
    pub fn start_from(&mut self, validation: Option<&RankMetrics>, rating: Option<&RatingMetrics>, params: &Params) {
        if let Some(value) = self.control.monitor.value(validation, rating) {
            self.best = Some((value, 0, params.clone()));
            self.plateau_best = value;
        }
    }

    /// Takes an epoch's validation metrics: keeps its weights when they are the best so far,
    /// lowers the rate after a plateau; returns whether early stopping ends the fit.
    pub fn observe(&mut self, report: &EpochReport, params: &Params) -> bool {
        let Some(value) = self.control.monitor.value(report.validation.as_ref(), report.validation_rating.as_ref())
        else {
            return false;
        };
        if self.best.as_ref().is_none_or(|b| value > b.0) {
            self.best = Some((value, report.epoch, params.clone()));
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        if let Some(p) = self.control.plateau {
            // PyTorch's relative threshold (1e-4), for values of either sign.
            if value > self.plateau_best + 1e-4 * self.plateau_best.abs() || self.plateau_best == f64::NEG_INFINITY {
                self.plateau_best = value;
                self.plateau_bad = 0;
            } else {
                self.plateau_bad += 1;
            }
            if self.plateau_bad > p.patience {
                self.lr = (self.lr * p.factor as f64).max(p.min_lr as f64);
                self.plateau_bad = 0;
            }
        }
        self.control.early_stopping.is_some_and(|patience| self.since_best >= patience)
    }

    pub fn best_epoch(&self) -> Option<u32> {
        self.best.as_ref().map(|b| b.1)
    }

    /// Weights to keep: the best validation epoch's when restoring, else `last`.
    pub fn final_params<'a>(&'a self, last: &'a Params) -> &'a Params {
        match (&self.best, self.control.restore_best) {
            (Some((_, _, p)), true) => p,
            _ => last,
        }
    }

    /// A checkpoint of a session at `weights` with `optimizer`, under this control.
    pub fn checkpoint(&self, weights: Vec<f32>, optimizer: OptimizerState) -> Checkpoint {
        Checkpoint {
            weights,
            optimizer,
            lr: self.lr,
            best: self.best.as_ref().map(|(v, e, p)| (*v, *e, p.data.clone())),
            since_best: self.since_best,
            plateau_best: self.plateau_best,
            plateau_bad: self.plateau_bad,
        }
    }

    /// Takes a checkpoint's control state for a model of `params`' layout; returns the
    /// weights and optimizer state the session continues from.
    pub fn resume(&mut self, ck: Checkpoint, params: &Params) -> Result<(Vec<f32>, OptimizerState)> {
        if let Some((_, _, b)) = &ck.best
            && b.len() != params.data.len()
        {
            return Err(NcfError::invalid("resumeFrom", "the checkpoint's best weights do not fit this model"));
        }
        self.lr = ck.lr;
        self.best = ck.best.map(|(v, e, data)| (v, e, Params { data, ..params.clone() }));
        self.since_best = ck.since_best;
        self.plateau_best = ck.plateau_best;
        self.plateau_bad = ck.plateau_bad;
        Ok((ck.weights, ck.optimizer))
    }
}
