//! The CPU backend's mini-batch steps: the deterministic plain-Rust oracle that every GPU
//! kernel is tested against, and the fallback when no GPU adapter exists. The epoch loop above
//! them is `crate::fit::Trainer`.

use std::ops::Range;
use std::sync::Arc;

use super::fused::TowerWorkspace;
use super::optim::update_dense;
use super::row_grads::covers;
use super::sampling::Samples;
use super::sparse::{TouchedRows, sparse_step};
use super::step::{StepBatch, StepWorkspace};
use super::windows::Windows;
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::Params;
use crate::train::{EpochSize, Inputs, Progress, StepAt, StepScalars, Steps, TrainConfig, Trained, check_session};

/// Mini-batch steps on the CPU.
pub struct CpuSteps {
    inputs: Inputs,
    params: Params,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    /// Optimizer steps taken (the loop sets it at each range; single batches advance it).
    step: u64,
    /// The prepared epoch's index, and the window of its samples drawn last.
    epoch: u32,
    window: Option<(Range<u32>, Samples)>,
    n_samples: u32,
    /// The rows a row-sparse serial step updates (`cfg.sparse` with side features; else `None`).
    touched: Option<TouchedRows>,
    /// The tower's activation and gradient buffers, reused by every step (side features).
    tower: TowerWorkspace,
    /// The parallel step's buffers (models without side features).
    workspace: StepWorkspace,
    /// Whether an epoch's samples are drawn whole or in windows (large data).
    windows: Windows,
}

impl CpuSteps {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        let n_samples = check_session(&data, validation.as_ref(), &params, &cfg)?;
        let n = params.data.len();
        // The parallel step (`step.rs`) keeps its own per-shard rows; only the serial path needs these.
        let touched = (cfg.sparse && !covers(&params))
            .then(|| TouchedRows::new(params.layout.num_users, params.layout.num_items));
        Ok(CpuSteps {
            inputs: Inputs { data, validation, cfg },
            params,
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
            epoch: 0,
            window: None,
            n_samples,
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
        let cfg = &self.inputs.cfg;
        let mut g = vec![0f32; self.params.data.len()];
        let scale = 1.0 / users.len() as f32;
        let drop = cfg.dropout_at(self.step + 1);
        let loss = self.params.batch_grad(&mut g, users, items, labels, scale, cfg.l2, drop, cfg.objective());
        (g, loss)
    }

    /// One optimizer step on a batch; returns the batch's summed loss. With `cfg.sparse` only
    /// the embedding rows the batch uses step ([`super::sparse`]); otherwise every parameter.
    pub fn train_batch(&mut self, users: &[u32], items: &[u32], labels: &[f32]) -> f64 {
        let cfg = self.inputs.cfg;
        let scale = 1.0 / users.len() as f32;
        self.step += 1;
        let drop = cfg.dropout_at(self.step);
        if covers(&self.params) {
            // Every core, the same bits as the serial path below (`step.rs`).
            let (l2, objective) = (cfg.l2, cfg.objective());
            let batch = StepBatch { users, items, labels, scale, l2, dropout: drop, objective };
            let s = StepScalars::new(cfg.optimizer, cfg.lr, self.step);
            let vectors = [&mut self.grads[..], &mut self.m, &mut self.v];
            return self.workspace.train(&mut self.params, vectors, &batch, cfg.sparse, cfg.optimizer, s);
        }
        let loss = self.params.batch_grad_with(
            &mut self.tower,
            &mut self.grads,
            users,
            items,
            labels,
            scale,
            cfg.l2,
            drop,
            cfg.objective(),
        );
        let s = StepScalars::new(cfg.optimizer, cfg.lr, self.step);
        let opt = cfg.optimizer;
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

    /// Trains on given samples in order (the whole-epoch parity test feeds the GPU's samples);
    /// returns their mean loss.
    pub fn train_samples(&mut self, samples: &Samples) -> f64 {
        let n = samples.len();
        rayon::scope(|_| self.train_window(samples, 0..n, None)).map_or(f64::NAN, |l| l / n as f64)
    }

    /// Steps through `range` of `samples` batch by batch, reporting each to the progress;
    /// returns the summed loss.
    fn train_window(&mut self, samples: &Samples, range: Range<usize>, progress: Option<&Progress>) -> Result<f64> {
        let b = self.inputs.cfg.batch_size as usize;
        let mut loss = 0f64;
        for s in range.clone().step_by(b) {
            if progress.is_some_and(|p| p.cancelled()) {
                return Err(NcfError::Cancelled);
            }
            let e = (s + b).min(range.end);
            let l = self.train_batch(&samples.users[s..e], &samples.items[s..e], &samples.labels[s..e]);
            loss += l;
            if let Some(p) = progress {
                p.advance(1, (e - s) as u64, l);
            }
        }
        Ok(loss)
    }
}

impl Steps for CpuSteps {
    super::host_steps!();

    fn epoch_size(&self) -> EpochSize {
        let steps = self.inputs.cfg.steps_per_epoch(self.n_samples) as u64;
        EpochSize { steps, optimizer_steps: steps, samples: self.n_samples as u64 }
    }

    fn prepare_epoch(&mut self, at: StepAt) -> Result<()> {
        // Samples are drawn window by window as the steps reach them.
        self.epoch = at.epoch;
        self.window = None;
        Ok(())
    }

    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        _evaluate: Option<u32>,
    ) -> Result<Trained> {
        self.step = at.step + range.start;
        self.inputs.cfg.lr = at.lr;
        let (n, b) = (self.n_samples as u64, self.inputs.cfg.batch_size as u64);
        let (lo, hi) = ((range.start * b).min(n), range.end.saturating_mul(b).min(n));
        // The step loop runs on a rayon worker: each step makes several small parallel calls
        // (tower pieces, the optimizer), and called from outside the pool every one of them
        // parks this thread on a futex and wakes it again, measured at ~20% of an ML-1M
        // NeuMF epoch. Inside the pool the caller works on its own jobs while others steal.
        let loss = rayon::scope(|_| -> Result<f64> {
            let mut loss = 0f64;
            let mut pos = lo;
            while pos < hi {
                let span = self.windows.span(self.n_samples, b as u32, pos as u32);
                let (drawn, samples) = match self.window.take() {
                    Some((s, samples)) if s == span => (s, samples),
                    _ => {
                        let c = &self.inputs.cfg;
                        let samples = self.windows.draw(
                            &self.inputs.data,
                            c.negatives,
                            c.uniform_negatives,
                            c.seed,
                            self.epoch,
                            span.clone(),
                        )?;
                        (span, samples)
                    }
                };
                let end = hi.min(drawn.end as u64);
                let start = drawn.start as u64;
                loss += self.train_window(&samples, (pos - start) as usize..(end - start) as usize, progress)?;
                // A window the range ends inside is kept for the next range.
                if end < drawn.end as u64 {
                    self.window = Some((drawn, samples));
                }
                pos = end;
            }
            Ok(loss)
        })?;
        Ok(Trained { loss_sum: loss, loss_count: hi - lo, evaluated: None })
    }

    fn moments(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok((self.m.clone(), self.v.clone()))
    }

    fn write_moments(&mut self, m: &[f32], v: &[f32]) -> Result<()> {
        self.m.copy_from_slice(m);
        self.v.copy_from_slice(v);
        Ok(())
    }
}
