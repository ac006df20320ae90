//! Training control on the validation metric: best-epoch selection with weight restore,
//! `ReduceLROnPlateau` (PyTorch semantics, mode "max") and early stopping. It wraps any
//! backend's [`Trainer`], so both backends are controlled identically.

use crate::error::{NcfError, Result};
use crate::metrics::{RankMetrics, RatingMetrics};
use crate::model::Params;
use std::sync::Arc;

use crate::train::{EpochReport, Trainer};

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

/// A session's state between epochs (see [`Session::checkpoint`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub weights: Vec<f32>,
    pub optimizer: crate::train::OptimizerState,
    pub lr: f64,
    /// The best validation value so far, its epoch and weights.
    pub best: Option<(f64, u32, Vec<f32>)>,
    pub since_best: u32,
    pub plateau_best: f64,
    pub plateau_bad: u32,
}

/// A trainer under [`Control`].
pub struct Session {
    trainer: Box<dyn Trainer>,
    control: Control,
    lr: f64,
    best: Option<(f64, u32, Params)>,
    since_best: u32,
    plateau_best: f64,
    plateau_bad: u32,
}

impl Session {
    pub fn new(trainer: Box<dyn Trainer>, control: Control, lr: f64) -> Self {
        Session { trainer, control, lr, best: None, since_best: 0, plateau_best: f64::NEG_INFINITY, plateau_bad: 0 }
    }

    /// Lets the weights training starts from compete as "epoch 0", given their validation
    /// metrics: a pretrained model (NeuMF-pre) or a second `fit` is kept as it was when no
    /// epoch beats it, rather than replaced by a worse epoch.
    pub fn with_initial(mut self, validation: Option<&RankMetrics>, rating: Option<&RatingMetrics>) -> Self {
        let Some(value) = self.control.monitor.value(validation, rating) else {
            return self;
        };
        self.best = Some((value, 0, self.trainer.params().clone()));
        self.plateau_best = value;
        self
    }

    /// Why the trainer left the backend it started on, once it has.
    pub fn fallback(&self) -> Option<&str> {
        self.trainer.fallback()
    }

    /// Attaches live progress and cancellation to the trainer.
    pub fn set_progress(&mut self, progress: Arc<crate::train::Progress>) {
        self.trainer.set_progress(progress);
    }

    pub fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<Outcome> {
        let lr = self.lr;
        let report = self.trainer.run_epoch(eval_k)?;
        let mut stop = false;
        if let Some(value) = self.control.monitor.value(report.validation.as_ref(), report.validation_rating.as_ref()) {
            if self.best.as_ref().is_none_or(|b| value > b.0) {
                self.best = Some((value, report.epoch, self.trainer.params().clone()));
                self.since_best = 0;
            } else {
                self.since_best += 1;
            }
            if let Some(p) = self.control.plateau {
                // PyTorch's relative threshold (1e-4), for values of either sign.
                if value > self.plateau_best + 1e-4 * self.plateau_best.abs() || self.plateau_best == f64::NEG_INFINITY
                {
                    self.plateau_best = value;
                    self.plateau_bad = 0;
                } else {
                    self.plateau_bad += 1;
                }
                if self.plateau_bad > p.patience {
                    self.lr = (self.lr * p.factor as f64).max(p.min_lr as f64);
                    self.trainer.set_lr(self.lr as f32);
                    self.plateau_bad = 0;
                }
            }
            if let Some(patience) = self.control.early_stopping {
                stop = self.since_best >= patience;
            }
        }
        Ok(Outcome { report, lr, next_lr: self.lr, best_epoch: self.best.as_ref().map(|b| b.1), stop })
    }

    /// Everything needed to continue this session later to the same result: the last
    /// epoch's weights, the optimizer state, the learning rate and the control's counters.
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        Ok(Checkpoint {
            weights: self.trainer.params().data.clone(),
            optimizer: self.trainer.optimizer_state()?,
            lr: self.lr,
            best: self.best.as_ref().map(|(v, e, p)| (*v, *e, p.data.clone())),
            since_best: self.since_best,
            plateau_best: self.plateau_best,
            plateau_bad: self.plateau_bad,
        })
    }

    /// The optimizer's state after the last epoch.
    pub fn optimizer_state(&self) -> Result<crate::train::OptimizerState> {
        self.trainer.optimizer_state()
    }

    /// Replaces the optimizer's state, keeping the weights and the control's counters.
    pub fn set_optimizer_state(&mut self, state: crate::train::OptimizerState) -> Result<()> {
        let weights = self.trainer.params().data.clone();
        self.trainer.restore(&weights, state)
    }

    /// Continues from a checkpoint of a session with the same data, model and options.
    pub fn restore(&mut self, ck: Checkpoint) -> Result<()> {
        let len = self.trainer.params().data.len();
        if let Some((_, _, b)) = &ck.best
            && b.len() != len
        {
            return Err(NcfError::invalid("resumeFrom", "the checkpoint's best weights do not fit this model"));
        }
        self.trainer.restore(&ck.weights, ck.optimizer)?;
        self.trainer.set_lr(ck.lr as f32);
        self.lr = ck.lr;
        let params = self.trainer.params().clone();
        self.best = ck.best.map(|(v, e, data)| (v, e, Params { data, ..params.clone() }));
        self.since_best = ck.since_best;
        self.plateau_best = ck.plateau_best;
        self.plateau_bad = ck.plateau_bad;
        Ok(())
    }

    /// Weights to keep: the best validation epoch's when restoring, else the last epoch's.
    pub fn final_params(&self) -> &Params {
        match (&self.best, self.control.restore_best) {
            (Some((_, _, p)), true) => p,
            _ => self.trainer.params(),
        }
    }

    pub fn params(&self) -> &Params {
        self.trainer.params()
    }

    pub fn best_epoch(&self) -> Option<u32> {
        self.best.as_ref().map(|b| b.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Layout, ModelKind};

    /// A trainer that replays scripted validation HRs and records the learning rates it is given.
    struct Scripted {
        hrs: Vec<f64>,
        epoch: u32,
        lrs: Vec<f32>,
        params: Params,
    }

    impl Trainer for Scripted {
        fn set_progress(&mut self, _: Arc<crate::train::Progress>) {}
        // The scripted trainer replays validation values only; it has no optimizer to save.
        fn optimizer_state(&self) -> Result<crate::train::OptimizerState> {
            Err(NcfError::invalid("checkpoint", "the scripted trainer has no optimizer state"))
        }
        fn restore(&mut self, _: &[f32], _: crate::train::OptimizerState) -> Result<()> {
            Err(NcfError::invalid("resumeFrom", "the scripted trainer has no optimizer state"))
        }
        fn backend(&self) -> &'static str {
            "scripted"
        }
        fn run_epoch(&mut self, _k: Option<u32>) -> Result<EpochReport> {
            let hr = self.hrs[self.epoch as usize];
            self.epoch += 1;
            // Weights carry the epoch number so restores are visible.
            self.params.data[0] = self.epoch as f32;
            Ok(EpochReport {
                epoch: self.epoch,
                loss: 1.0,
                samples: 1,
                metrics: None,
                validation: Some(RankMetrics { k: 10, hr, ndcg: hr / 2.0, cases: 1, recall: None }),
                rating: None,
                validation_rating: None,
                train_rating: None,
                seconds: 0.0,
            })
        }
        fn set_lr(&mut self, lr: f32) {
            self.lrs.push(lr);
        }
        fn params(&self) -> &Params {
            &self.params
        }
    }

    fn session(hrs: &[f64], control: Control) -> Session {
        let params = Params::init(Layout::new(ModelKind::Gmf, 1, 1, 1).unwrap(), 0);
        Session::new(Box::new(Scripted { hrs: hrs.to_vec(), epoch: 0, lrs: Vec::new(), params }), control, 1.0)
    }

    const PLAIN: Control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: true };

    /// Starting weights compete as epoch 0: kept when no epoch beats them, replaced otherwise.
    #[test]
    fn starting_weights_compete_as_epoch_zero() {
        let start = RankMetrics { k: 10, hr: 0.66, ndcg: 0.3, cases: 1, recall: None };
        let mut s = session(&[0.5, 0.65, 0.6], PLAIN).with_initial(Some(&start), None);
        let start_w = s.params().data[0];
        let best: Vec<Option<u32>> = (0..3).map(|_| s.run_epoch(Some(10)).unwrap().best_epoch).collect();
        assert_eq!(best, vec![Some(0); 3]);
        assert_eq!(s.final_params().data[0], start_w, "the starting weights are kept");
        let mut s = session(&[0.5, 0.7], PLAIN).with_initial(Some(&start), None);
        s.run_epoch(Some(10)).unwrap();
        assert_eq!(s.run_epoch(Some(10)).unwrap().best_epoch, Some(2));
        assert_eq!(s.final_params().data[0], 2.0);
    }

    #[test]
    fn restores_the_best_validation_epoch() {
        let mut s = session(&[0.5, 0.7, 0.6, 0.65], PLAIN);
        let best: Vec<Option<u32>> = (0..4).map(|_| s.run_epoch(Some(10)).unwrap().best_epoch).collect();
        assert_eq!(best, vec![Some(1), Some(2), Some(2), Some(2)]);
        assert_eq!(s.final_params().data[0], 2.0);
        assert_eq!(s.params().data[0], 4.0);
        let mut keep_last = session(&[0.5, 0.7, 0.6], Control { restore_best: false, ..PLAIN });
        for _ in 0..3 {
            keep_last.run_epoch(Some(10)).unwrap();
        }
        assert_eq!(keep_last.final_params().data[0], 3.0);
    }

    #[test]
    fn early_stopping_counts_epochs_since_the_best() {
        let mut s = session(&[0.5, 0.6, 0.6, 0.55, 0.7], Control { early_stopping: Some(2), ..PLAIN });
        let stops: Vec<bool> = (0..4).map(|_| s.run_epoch(Some(10)).unwrap().stop).collect();
        // A tie is no improvement: epochs 3 and 4 do not beat 0.6.
        assert_eq!(stops, vec![false, false, false, true]);
    }

    /// ReduceLROnPlateau(mode='max', factor=0.5, patience=1, threshold=1e-4 rel): the rate drops
    /// once more than `patience` epochs in a row fail to beat the best by 1e-4 relative.
    #[test]
    fn plateau_lowers_the_rate_like_pytorch() {
        let plateau = PlateauConfig { factor: 0.5, patience: 1, min_lr: 0.2 };
        let mut s =
            session(&[0.5, 0.50001, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], Control { plateau: Some(plateau), ..PLAIN });
        let lrs: Vec<(f64, f64)> = (0..9).map(|_| s.run_epoch(Some(10)).map(|o| (o.lr, o.next_lr)).unwrap()).collect();
        // 0.50001 is below the 1e-4 relative threshold: bad epochs at 2 and 3 → drop after 3.
        // 0.6 improves (epoch 4); epochs 5 and 6 are bad → drop; 7, 8 → drop to the floor 0.2.
        let next: Vec<f64> = lrs.iter().map(|x| x.1).collect();
        let expect = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2];
        assert!(next.iter().zip(expect).all(|(a, b)| (a - b).abs() < 1e-7), "{next:?}");
        assert_eq!(lrs[3].0, 0.5);
    }

    #[test]
    fn controls_need_validation() {
        let c = Control { early_stopping: Some(3), ..PLAIN };
        assert!(c.validate(false).unwrap_err().to_string().contains("validation: 'leave-one-out'"));
        assert!(c.validate(true).is_ok());
        let bad = Control { plateau: Some(PlateauConfig { factor: 1.5, patience: 1, min_lr: 0.0 }), ..PLAIN };
        assert!(bad.validate(true).unwrap_err().to_string().contains("factor"));
    }
}
