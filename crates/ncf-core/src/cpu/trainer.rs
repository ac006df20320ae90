//! The CPU backend's trainer: the deterministic plain-Rust oracle that every GPU kernel is
//! tested against, and the fallback when no GPU adapter exists.

use std::sync::Arc;
use std::time::Instant;

use super::metrics::{evaluate_cpu, evaluate_rating_cpu};
use super::optim::update_dense;
use super::row_grads::covers;
use super::sampling::Samples;
use super::sparse::{TouchedRows, sparse_step};
use super::step::{StepBatch, StepWorkspace};
use super::tower_batch::TowerWorkspace;
use super::windows::Windows;
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::Params;
use crate::train::{
    EpochReport, OptimizerState, Progress, StepScalars, TrainConfig, Trainer, check_finite_loss, check_restorable,
    check_session,
};

/// The CPU backend.
pub struct CpuTrainer {
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    cfg: TrainConfig,
    params: Params,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    step: u64,
    epoch: u32,
    progress: Option<Arc<Progress>>,
    /// The rows a row-sparse serial step updates (`cfg.sparse` with side features; else `None`).
    touched: Option<TouchedRows>,
    /// The tower's activation and gradient buffers, reused by every step (side features).
    tower: TowerWorkspace,
    /// The parallel step's buffers (models without side features).
    workspace: StepWorkspace,
    /// Whether an epoch's samples are drawn whole or in windows (large data).
    windows: Windows,
}

impl CpuTrainer {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        check_session(&data, validation.as_ref(), &params, &cfg)?;
        let n = params.data.len();
        // The parallel step (`step.rs`) keeps its own per-shard rows; only the serial path needs these.
        let touched = (cfg.sparse && !covers(&params))
            .then(|| TouchedRows::new(params.layout.num_users, params.layout.num_items));
        Ok(CpuTrainer {
            data,
            validation,
            cfg,
            params,
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
            epoch: 0,
            progress: None,
            touched,
            tower: TowerWorkspace::default(),
            workspace: StepWorkspace::default(),
            windows: Windows::default(),
        })
    }

    /// Draws epochs in windows past `windows.whole_max` samples (tests shrink it to check that
    /// windows train exactly as a whole epoch does).
    pub fn set_windows(&mut self, windows: Windows) {
        self.windows = windows;
    }

    /// Batch-mean gradients of a batch as the next step would compute them (its dropout mask
    /// included), without stepping (for parity and finite-difference tests).
    pub fn gradients(&self, users: &[u32], items: &[u32], labels: &[f32]) -> (Vec<f32>, f64) {
        let mut g = vec![0f32; self.params.data.len()];
        let scale = 1.0 / users.len() as f32;
        let drop = self.cfg.dropout_at(self.step + 1);
        let loss = self.params.batch_grad(&mut g, users, items, labels, scale, self.cfg.l2, drop, self.cfg.objective());
        (g, loss)
    }

    /// One optimizer step on a batch; returns the batch's summed loss. With `cfg.sparse` only
    /// the embedding rows the batch uses step ([`super::sparse`]); otherwise every parameter.
    pub fn train_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> f64 {
        let scale = 1.0 / users.len() as f32;
        self.step += 1;
        let drop = self.cfg.dropout_at(self.step);
        if covers(&self.params) {
            // Every core, the same bits as the serial path below (`step.rs`).
            let (l2, objective) = (self.cfg.l2, self.cfg.objective());
            let batch = StepBatch { users, items, labels, scale, l2, dropout: drop, objective };
            let s = StepScalars::new(self.cfg.optimizer, self.cfg.lr, self.step);
            let vectors = [&mut self.grads[..], &mut self.m, &mut self.v];
            return self.workspace.train(&mut self.params, vectors, &batch, self.cfg.sparse, self.cfg.optimizer, s);
        }
        let loss = self.params.batch_grad_with(
            &mut self.tower,
            &mut self.grads,
            users,
            items,
            labels,
            scale,
            self.cfg.l2,
            drop,
            self.cfg.objective(),
        );
        let s = StepScalars::new(self.cfg.optimizer, self.cfg.lr, self.step);
        let opt = self.cfg.optimizer;
        // SGD's momentum buffer is the first-moment vector `m`.
        let (p, g, m, v) = (&mut self.params.data, &mut self.grads, &mut self.m, &mut self.v);
        match &mut self.touched {
            Some(rows) => {
                rows.gather(users, items);
                sparse_step(&self.params.layout, p, g, m, v, rows, opt, s);
            }
            None => update_dense(p, g, m, v, opt, s),
        }
        loss
    }

    /// Trains on given samples in order (the whole-epoch parity test feeds the GPU's samples).
    pub fn train_samples(&mut self, samples: &Samples) -> f64 {
        self.train_samples_checked(samples).unwrap_or(f64::NAN)
    }

    /// [`CpuTrainer::train_samples`], reporting to the attached progress after every batch and
    /// stopping with `Cancelled` when it asks.
    fn train_samples_checked(&mut self, samples: &Samples) -> Result<f64> {
        // The step loop runs on a rayon worker: each step makes several small parallel calls
        // (tower pieces, the optimizer), and called from outside the pool every one of them
        // parks this thread on a futex and wakes it again, measured at ~20% of an ML-1M
        // NeuMF epoch. Inside the pool the caller works on its own jobs while others steal.
        rayon::scope(|_| self.train_samples_in_pool(samples))
    }

    fn train_samples_in_pool(&mut self, samples: &Samples) -> Result<f64> {
        if let Some(p) = &self.progress {
            p.begin(samples.len().div_ceil(self.cfg.batch_size as usize) as u64);
        }
        Ok(self.train_window(samples)? / samples.len() as f64)
    }

    /// Steps through `samples` batch by batch, reporting each to the progress; returns the
    /// summed loss.
    fn train_window(&mut self, samples: &Samples) -> Result<f64> {
        let b = self.cfg.batch_size as usize;
        let progress = self.progress.clone();
        let mut loss = 0f64;
        for s in (0..samples.len()).step_by(b) {
            if progress.as_ref().is_some_and(|p| p.cancelled()) {
                return Err(NcfError::Cancelled);
            }
            let e = (s + b).min(samples.len());
            let l = self.train_batch(&samples.users[s..e], &samples.items[s..e], &samples.labels[s..e]);
            loss += l;
            if let Some(p) = &progress {
                p.advance(1, (e - s) as u64, l);
            }
        }
        Ok(loss)
    }

    /// One epoch's samples, drawn whole or window by window ([`Windows`]); returns the mean
    /// loss and the sample count.
    fn train_epoch_samples(&mut self) -> Result<(f64, u64)> {
        let n = crate::train::samples_per_epoch(&self.data, self.cfg.negatives)? as u64;
        if let Some(p) = &self.progress {
            p.begin(n.div_ceil(self.cfg.batch_size as u64));
        }
        let data = self.data.clone();
        let (w, c) = (self.windows, self.cfg);
        let mut loss = 0f64;
        // See `train_samples_checked`: the step loop runs inside the pool.
        rayon::scope(|_| {
            w.for_each(&data, c.negatives, c.uniform_negatives, c.seed, self.epoch, c.batch_size, |s| {
                loss += self.train_window(s)?;
                Ok(())
            })
        })?;
        Ok((loss / n.max(1) as f64, n))
    }
}

impl Trainer for CpuTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        Ok(OptimizerState { m: self.m.clone(), v: self.v.clone(), step: self.step, epoch: self.epoch })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.params.data.len(), weights, &state)?;
        self.params.data.copy_from_slice(weights);
        self.m = state.m;
        self.v = state.v;
        self.step = state.step;
        self.epoch = state.epoch;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "cpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let (before, step0) = (self.params.data.clone(), self.step);
        let trained = self.train_epoch_samples().and_then(|(loss, n)| {
            check_finite_loss(loss, self.epoch + 1)?;
            Ok((loss, n))
        });
        let (loss, samples) = match trained {
            Ok(t) => t,
            Err(e) => {
                // Undo the epoch: the model stays at the last complete one.
                self.params.data = before;
                self.step = step0;
                return Err(e);
            }
        };
        self.epoch += 1;
        let mut report = EpochReport {
            epoch: self.epoch,
            loss,
            samples,
            metrics: None,
            validation: None,
            rating: None,
            validation_rating: None,
            train_rating: None,
            seconds: 0.0,
        };
        match (eval_k, self.cfg.rating) {
            (None, _) => {}
            (Some(_), Some(scale)) => {
                let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_rating_cpu(&self.params, s, scale));
                report.rating = eval(&self.data.test).transpose()?;
                report.validation_rating = eval(&self.validation).transpose()?;
                report.train_rating = eval(&self.data.train_cases()).transpose()?;
            }
            (Some(k), None) => {
                let eval = |set: &Option<TestSet>| set.as_ref().map(|s| evaluate_cpu(&self.params, s, k));
                report.metrics = eval(&self.data.test).transpose()?;
                report.validation = eval(&self.validation).transpose()?;
            }
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    fn set_lr(&mut self, lr: f32) {
        self.cfg.lr = lr;
    }

    fn params(&self) -> &Params {
        &self.params
    }
}
