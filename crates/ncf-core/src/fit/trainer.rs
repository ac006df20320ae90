//! The one epoch loop, above the backend seam: every algorithm on every backend trains its
//! epochs here, through the step-level operations of [`Steps`]. The loop owns what an epoch
//! means: the epoch and step counters, the learning rate, progress, the rollback that leaves
//! the weights at the last complete epoch when one fails or is cancelled, the divergence check,
//! evaluation and the [`EpochReport`], training control on the validation metric (best epoch,
//! `ReduceLROnPlateau`, early stopping), the state a checkpoint keeps, and under
//! `device: 'auto'` the move to the CPU backend when the GPU fails an epoch.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Instant;

use super::control::{Checkpoint, Control, EpochReport, Monitor, OptimizerState, Outcome, Tracker};
use crate::backend::{Backend, BackendKind};
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::metrics::{RankMetrics, RatingMetrics};
use crate::model::Params;
use crate::train::{
    Evaluated, Progress, SetMetrics, StepAt, Steps, TrainConfig, check_finite_loss, check_k, check_rankable,
};

/// Lets a session hand its steps to another backend: only a trainer over `dyn Steps` can take
/// the CPU's steps after a GPU failure; one over a concrete type (a test's) keeps the error.
pub trait Replaceable {
    fn replaced(steps: Box<dyn Steps>) -> Option<Box<Self>>;
}

impl Replaceable for dyn Steps {
    fn replaced(steps: Box<dyn Steps>) -> Option<Box<Self>> {
        Some(steps)
    }
}

impl<T: Steps> Replaceable for T {
    fn replaced(_: Box<dyn Steps>) -> Option<Box<Self>> {
        None
    }
}

/// A training session: a backend's [`Steps`] under the one epoch loop. It dereferences to its
/// steps, so a backend's own operations stay reachable (tests drive single batches with them).
pub struct Trainer<S: ?Sized + Steps + Replaceable = dyn Steps> {
    steps: Box<S>,
    /// Epochs complete (the next epoch's index) and optimizer steps taken.
    epoch: u32,
    step: u64,
    progress: Option<Arc<Progress>>,
    /// Where a failed GPU epoch continues (`device: 'auto'`), until it has.
    fail_over: Option<Arc<dyn Backend>>,
    /// Why the session left the backend it started on.
    fallback: Option<String>,
    /// Training control: the learning rate (the steps take it as f32), the best epoch, plateau
    /// and early stopping.
    tracker: Tracker,
}

impl Trainer {
    /// A session of `backend`'s steps on `data`, which under `device: 'auto'` moves to the CPU
    /// backend if the GPU fails an epoch.
    pub fn start(
        backend: &Arc<dyn Backend>,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Trainer> {
        let steps = backend.steps(data, validation, params, cfg)?;
        let fail_over = match steps.backend() {
            BackendKind::Gpu => backend.fail_over(),
            BackendKind::Cpu => None,
        };
        let mut t = Trainer::from_box(steps);
        t.fail_over = fail_over;
        Ok(t)
    }
}

impl<S: Steps> Trainer<S> {
    /// A session over these steps, uncontrolled (no validation monitoring changes its rate
    /// or stops it) until [`Trainer::with_control`].
    pub fn new(steps: S) -> Self {
        Trainer::from_box(Box::new(steps))
    }
}

impl<S: ?Sized + Steps + Replaceable> Trainer<S> {
    pub fn from_box(steps: Box<S>) -> Self {
        let lr = steps.inputs().cfg.lr;
        Trainer {
            steps,
            epoch: 0,
            step: 0,
            progress: None,
            fail_over: None,
            fallback: None,
            tracker: Tracker::new(
                Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: false },
                lr as f64,
            ),
        }
    }

    /// Training control on the validation metric, starting from learning rate `lr` (the
    /// caller's value, kept in f64 so it round-trips).
    pub fn with_control(mut self, control: Control, lr: f64) -> Self {
        self.tracker = Tracker::new(control, lr);
        self
    }

    /// Lets the weights training starts from compete as "epoch 0", given their validation
    /// metrics: a pretrained model (NeuMF-pre) or a second `fit` is kept as it was when no
    /// epoch beats it, rather than replaced by a worse epoch.
    pub fn with_initial(mut self, validation: Option<&RankMetrics>, rating: Option<&RatingMetrics>) -> Self {
        self.tracker.start_from(validation, rating, self.steps.params());
        self
    }

    /// Attaches live progress and cancellation to the following epochs.
    pub fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    /// Learning rate of the following steps.
    pub fn set_lr(&mut self, lr: f32) {
        self.tracker.lr = lr as f64;
    }

    pub fn backend(&self) -> BackendKind {
        self.steps.backend()
    }

    /// Why this session left the backend it started on (a GPU that failed under
    /// `device: 'auto'`), once it has.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// Weights after the last complete epoch.
    pub fn params(&self) -> &Params {
        self.steps.params()
    }

    /// Trains the next epoch, evaluates it when `eval_k` is set, and applies the control.
    pub fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<Outcome> {
        let lr = self.tracker.lr;
        let report = match self.train_epoch(eval_k) {
            Err(e) if e.is_gpu_failure() && self.fail_over.is_some() => {
                self.move_to_cpu(e)?;
                self.train_epoch(eval_k)?
            }
            done => done?,
        };
        let stop = self.tracker.observe(&report, self.steps.params());
        Ok(Outcome { report, lr, next_lr: self.tracker.lr, best_epoch: self.tracker.best_epoch(), stop })
    }

    /// One epoch: the steps' whole range, then the loss check and evaluation; on any failure
    /// (cancellation included) the weights go back to the last complete epoch and the
    /// counters stay.
    fn train_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let inputs = self.steps.inputs();
        if let (Some(k), None) = (eval_k, inputs.cfg.rating) {
            // Checked before any step: failing after them would cost the epoch.
            check_k(k)?;
            for set in inputs.data.test.iter().chain(&inputs.validation) {
                check_rankable(set)?;
            }
        }
        let size = self.steps.epoch_size();
        let at = StepAt { epoch: self.epoch, step: self.step, lr: self.tracker.lr as f32 };
        let before = self.steps.params().data.clone();
        let progress = self.progress.clone();
        if let Some(p) = &progress {
            p.begin(size.steps);
        }
        let mut epoch = || -> Result<EpochReport> {
            self.steps.prepare_epoch(at)?;
            let trained = self.steps.train_steps(0..size.steps, at, progress.as_deref(), eval_k)?;
            let loss = trained.loss_sum / trained.loss_count.max(1) as f64;
            check_finite_loss(loss, self.epoch + 1, &self.steps.inputs().cfg.algorithm)?;
            let evaluated = match (eval_k, trained.evaluated) {
                (None, _) => Evaluated::default(),
                (Some(_), Some(e)) => e,
                (Some(k), None) => self.evaluate(k)?,
            };
            let rank = |m: Option<SetMetrics>| match m {
                Some(SetMetrics::Rank(r)) => Some(r),
                _ => None,
            };
            let rating = |m: Option<SetMetrics>| match m {
                Some(SetMetrics::Rating(r)) => Some(r),
                _ => None,
            };
            Ok(EpochReport {
                epoch: self.epoch + 1,
                loss,
                samples: size.samples,
                metrics: rank(evaluated.test),
                validation: rank(evaluated.validation),
                rating: rating(evaluated.test),
                validation_rating: rating(evaluated.validation),
                train_rating: rating(evaluated.train),
                seconds: 0.0,
            })
        };
        match epoch() {
            Ok(mut report) => {
                self.epoch += 1;
                self.step += size.optimizer_steps;
                report.seconds = start.elapsed().as_secs_f64();
                Ok(report)
            }
            Err(e) => {
                // Undo the epoch. A device that failed may refuse the write too; the host copy
                // the fail-over starts from is written first.
                let _ = self.steps.write_params(&before);
                Err(e)
            }
        }
    }

    /// Evaluates the current weights on the sets the session has, on its own backend.
    fn evaluate(&self, k: u32) -> Result<Evaluated> {
        let (inputs, steps) = (self.steps.inputs(), &*self.steps);
        let mut out = Evaluated::default();
        match inputs.cfg.rating {
            Some(scale) => {
                let eval = |set: Option<&TestSet>| {
                    set.map(|s| steps.evaluate_rating(s, scale).map(SetMetrics::Rating)).transpose()
                };
                out.test = eval(inputs.data.test.as_ref())?;
                out.validation = eval(inputs.validation.as_ref())?;
                out.train = eval(inputs.data.train_cases().as_ref())?;
            }
            None => {
                let eval = |set: Option<&TestSet>| set.map(|s| steps.evaluate(s, k).map(SetMetrics::Rank)).transpose();
                out.test = eval(inputs.data.test.as_ref())?;
                out.validation = eval(inputs.validation.as_ref())?;
            }
        }
        Ok(out)
    }

    /// Continues on the fail-over backend from the last complete epoch's weights. Adam
    /// restarts there from zero moments and step 0, as a fresh optimizer would: the moments
    /// lived on the device only, and after a failure mid-epoch they were the failed epoch's,
    /// not the complete one's (or gone with a lost device). The epoch index is kept, so the
    /// epoch draws the negatives it would have.
    fn move_to_cpu(&mut self, failure: NcfError) -> Result<()> {
        let Some(backend) = self.fail_over.take() else { return Err(failure) };
        let inputs = self.steps.inputs().clone();
        let params = self.steps.params().clone();
        let next = backend.steps(inputs.data, inputs.validation, params, inputs.cfg)?;
        let Some(next) = S::replaced(next) else { return Err(failure) };
        self.steps = next;
        self.step = 0;
        self.fallback = Some(format!(
            "the GPU failed during epoch {} ({failure}); the fit continued on the CPU backend from epoch {}'s \
             weights with fresh optimizer moments",
            self.epoch + 1,
            self.epoch
        ));
        Ok(())
    }

    /// The optimizer state after the last complete epoch (for checkpoints).
    pub fn optimizer_state(&self) -> Result<OptimizerState> {
        let (m, v) = self.steps.moments()?;
        Ok(OptimizerState { m, v, step: self.step, epoch: self.epoch })
    }

    /// Continues from these weights and optimizer state (same layout).
    pub fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.steps.params().data.len(), weights, &state)?;
        self.steps.write_params(weights)?;
        self.steps.write_moments(&state.m, &state.v)?;
        self.step = state.step;
        self.epoch = state.epoch;
        Ok(())
    }

    /// Replaces the optimizer's state, keeping the weights and the control's counters.
    pub fn set_optimizer_state(&mut self, state: OptimizerState) -> Result<()> {
        let weights = self.steps.params().data.clone();
        self.restore(&weights, state)
    }

    /// Everything needed to continue this session later to the same result: the last
    /// epoch's weights, the optimizer state, the learning rate and the control's counters.
    pub fn checkpoint(&self) -> Result<Checkpoint> {
        Ok(self.tracker.checkpoint(self.steps.params().data.clone(), self.optimizer_state()?))
    }

    /// Continues from a checkpoint of a session with the same data, model and options.
    pub fn resume(&mut self, ck: Checkpoint) -> Result<()> {
        let (weights, optimizer) = self.tracker.resume(ck, self.steps.params())?;
        self.restore(&weights, optimizer)
    }

    /// Weights to keep: the best validation epoch's when restoring, else the last epoch's.
    pub fn final_params(&self) -> &Params {
        self.tracker.final_params(self.steps.params())
    }

    pub fn best_epoch(&self) -> Option<u32> {
        self.tracker.best_epoch()
    }
}

impl<S: ?Sized + Steps + Replaceable> Deref for Trainer<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.steps
    }
}

impl<S: ?Sized + Steps + Replaceable> DerefMut for Trainer<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.steps
    }
}

/// Refuses weights or moments of another size than the model's.
pub fn check_restorable(len: usize, weights: &[f32], state: &OptimizerState) -> Result<()> {
    if weights.len() != len || state.m.len() != len || state.v.len() != len {
        return Err(NcfError::invalid(
            "resumeFrom",
            format!(
                "the checkpoint holds {} weights and {}/{} moments; this model has {len}",
                weights.len(),
                state.m.len(),
                state.v.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "trainer_tests.rs"]
mod tests;
