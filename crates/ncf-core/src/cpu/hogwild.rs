//! SGD with batch size 1, lock-free across threads (Hogwild!: Niu, Recht, Ré & Wright, NIPS
//! 2011), for GMF and MF: Rendle et al.'s recipe for MF (RecSys 2020, `mf_simple.py`: logistic
//! loss, L2 at every step, one sample at a time). Each thread takes a contiguous share of the
//! epoch's shuffled samples and updates the shared weights in place, without locks: two
//! threads touching one row at once may lose an update, which Hogwild! shows costs nothing
//! measurable when a step touches few of many rows. The weights are read and written as
//! relaxed atomics, which compile to plain loads and stores, so the races are defined behaviour.
//!
//! On one thread it is the serial batch-1 SGD of [`super::CpuTrainer`]: the same samples in the
//! same order and the same update, up to the order of the sums in z (the tests assert it).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::metrics::evaluate_cpu;
use super::sampling::Samples;
use super::windows::Windows;
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::{ModelKind, Params, bce_with_logits};
use crate::train::{
    EpochReport, Optimizer, OptimizerState, Progress, TrainConfig, Trainer, check_finite_loss, check_restorable,
    check_session,
};

/// A Hogwild! session on the CPU.
pub struct HogwildTrainer {
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    cfg: TrainConfig,
    params: Params,
    epoch: u32,
    step: u64,
    progress: Option<Arc<Progress>>,
    /// Threads an epoch is shared among (rayon's pool by default).
    threads: usize,
    /// Whether an epoch's samples are drawn whole or in windows (large data).
    windows: Windows,
}

/// Refuses what Hogwild! does not train: anything but GMF or MF without side features, rating
/// regression, and an optimizer other than plain SGD at batch size 1.
pub fn check_hogwild(params: &Params, cfg: &TrainConfig) -> Result<()> {
    let l = params.layout;
    if !matches!(l.kind, ModelKind::Gmf | ModelKind::Mf) || l.features != Default::default() {
        return Err(NcfError::invalid("hogwild", "trains GMF and MF without side features"));
    }
    if cfg.rating.is_some() {
        return Err(NcfError::invalid("hogwild", "trains implicit feedback (task 'implicit')"));
    }
    if cfg.optimizer != Optimizer::sgd() {
        return Err(NcfError::invalid(
            "hogwild",
            "is plain SGD: pass optimizer 'sgd' without momentum or weightDecay (l2 regularises every step)",
        ));
    }
    if cfg.batch_size != 1 {
        return Err(NcfError::invalid(
            "batchSize",
            format!("hogwild steps one sample at a time: 1, got {}", cfg.batch_size),
        ));
    }
    if cfg.sparse || cfg.dropout > 0.0 {
        return Err(NcfError::invalid(
            "hogwild",
            "updates only the rows each sample uses already; sparse and dropout do not apply",
        ));
    }
    Ok(())
}

impl HogwildTrainer {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        check_session(&data, validation.as_ref(), &params, &cfg)?;
        check_hogwild(&params, &cfg)?;
        let threads = rayon::current_num_threads().max(1);
        Ok(HogwildTrainer {
            data,
            validation,
            cfg,
            params,
            epoch: 0,
            step: 0,
            progress: None,
            threads,
            windows: Windows::default(),
        })
    }

    /// The same session on `threads` threads (1: the serial SGD, bit for bit).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
}

/// The weights as relaxed atomic cells.
fn cells(data: &mut [f32]) -> &[AtomicU32] {
    // SAFETY: f32 and AtomicU32 have the same size and alignment, and the exclusive borrow
    // means no other reference to the floats exists while the cells are in use.
    unsafe { &*(data as *mut [f32] as *const [AtomicU32]) }
}

#[inline]
fn get(c: &[AtomicU32], k: usize) -> f32 {
    f32::from_bits(c[k].load(Ordering::Relaxed))
}

#[inline]
fn set(c: &[AtomicU32], k: usize, v: f32) {
    c[k].store(v.to_bits(), Ordering::Relaxed)
}

/// One sample's SGD step (the gradient of BCE(z, y) + λ(‖p_u‖² + ‖q_i‖² + b_u² + b_i²), as
/// `Params::batch_grad` at batch size 1); returns its loss.
#[inline]
#[allow(clippy::too_many_arguments)]
fn step(c: &[AtomicU32], l: crate::model::Layout, u: u32, i: u32, y: f32, lr: f32, l2: f32) -> f32 {
    let f = l.factors as usize;
    let (pu, qi) = (u as usize * f, l.item_offset() + i as usize * f);
    let mf = l.kind == ModelKind::Mf;
    let h = l.head_offset();
    let mut z = 0f32;
    let mut norm = 0f32;
    for k in 0..f {
        let (p, q) = (get(c, pu + k), get(c, qi + k));
        z += if mf { p * q } else { get(c, h + k) * p * q };
        norm += p * p + q * q;
    }
    let (ou, oi) = (l.user_bias_offset() + u as usize, l.item_bias_offset() + i as usize);
    let (bu, bi) = if l.biases { (get(c, ou), get(c, oi)) } else { (0.0, 0.0) };
    if l.biases {
        z += bu + bi;
        norm += bu * bu + bi * bi;
    }
    z += get(c, l.b_offset());
    let loss = bce_with_logits(z, y) + l2 * norm;
    // ∂BCE/∂z = σ(z) − y.
    let g = 1.0 / (1.0 + (-z).exp()) - y;
    let r = 2.0 * l2;
    for k in 0..f {
        let (p, q) = (get(c, pu + k), get(c, qi + k));
        let hk = if mf { 1.0 } else { get(c, h + k) };
        set(c, pu + k, p - lr * (g * hk * q + r * p));
        set(c, qi + k, q - lr * (g * hk * p + r * q));
        if !mf {
            set(c, h + k, hk - lr * g * p * q);
        }
    }
    if l.biases {
        // mf_simple.py regularises the biases at every step too: b ← b + lr·(g − reg·b).
        set(c, ou, bu - lr * (g + r * bu));
        set(c, oi, bi - lr * (g + r * bi));
    }
    set(c, l.b_offset(), get(c, l.b_offset()) - lr * g);
    loss
}

impl HogwildTrainer {
    /// Draws epochs in windows past `windows.whole_max` samples (tests shrink it).
    pub fn set_windows(&mut self, windows: Windows) {
        self.windows = windows;
    }

    /// Batch-1 SGD over `s`, its samples shared among the threads in contiguous parts, lock-free;
    /// the summed loss, or `None` when the progress asked to cancel.
    fn train_window(&mut self, s: &Samples) -> Option<f64> {
        const REPORT: usize = 4096;
        let n = s.len();
        let (l, lr, l2) = (self.params.layout, self.cfg.lr, self.cfg.l2);
        let progress = self.progress.clone();
        let share = n.div_ceil(self.threads).max(1);
        let c = cells(&mut self.params.data);
        let run = |t: usize| -> Option<f64> {
            let (lo, hi) = ((t * share).min(n), ((t + 1) * share).min(n));
            let mut loss = 0f64;
            for k in lo..hi {
                loss += step(c, l, s.users[k], s.items[k], s.labels[k], lr, l2) as f64;
                if (k - lo + 1) % REPORT == 0
                    && let Some(p) = &progress
                {
                    if p.cancelled() {
                        return None;
                    }
                    p.steps.fetch_add(REPORT as u64, Ordering::Relaxed);
                    p.samples.fetch_add(REPORT as u64, Ordering::Relaxed);
                }
            }
            Some(loss)
        };
        let losses: Vec<Option<f64>> =
            if self.threads == 1 { vec![run(0)] } else { (0..self.threads).into_par_iter().map(run).collect() };
        losses.into_iter().sum()
    }
}

impl Trainer for HogwildTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress);
    }

    fn optimizer_state(&self) -> Result<OptimizerState> {
        let n = self.params.data.len();
        Ok(OptimizerState { m: vec![0.0; n], v: vec![0.0; n], step: self.step, epoch: self.epoch })
    }

    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        check_restorable(self.params.data.len(), weights, &state)?;
        self.params.data.copy_from_slice(weights);
        self.step = state.step;
        self.epoch = state.epoch;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "cpu"
    }

    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let start = Instant::now();
        let n = crate::train::samples_per_epoch(&self.data, self.cfg.negatives)? as usize;
        if let Some(p) = &self.progress {
            p.begin(n as u64);
        }
        let before = self.params.data.clone();
        let (data, c, w) = (self.data.clone(), self.cfg, self.windows);
        // Batch 1: windows split anywhere; each is shared among the threads.
        let mut total = Some(0f64);
        let drawn = w.for_each(&data, c.negatives, c.uniform_negatives, c.seed, self.epoch, 1, |s| {
            total = total.zip(self.train_window(s)).map(|(a, b)| a + b);
            if total.is_none() { Err(NcfError::Cancelled) } else { Ok(()) }
        });
        let loss = match (drawn, total) {
            (Ok(_), Some(t)) => t / n.max(1) as f64,
            (Err(e), _) => {
                self.params.data = before;
                return Err(e);
            }
            (Ok(_), None) => {
                self.params.data = before;
                return Err(NcfError::Cancelled);
            }
        };
        if let Err(e) = check_finite_loss(loss, self.epoch + 1) {
            self.params.data = before;
            return Err(e);
        }
        self.epoch += 1;
        self.step += n as u64;
        let mut report = EpochReport {
            epoch: self.epoch,
            loss,
            samples: n as u64,
            metrics: None,
            validation: None,
            rating: None,
            validation_rating: None,
            train_rating: None,
            seconds: 0.0,
        };
        if let Some(k) = eval_k {
            let eval = |set: &Option<TestSet>| set.as_ref().map(|t| evaluate_cpu(&self.params, t, k));
            report.metrics = eval(&self.data.test).transpose()?;
            report.validation = eval(&self.validation).transpose()?;
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

#[cfg(test)]
#[path = "hogwild_tests.rs"]
mod tests;
