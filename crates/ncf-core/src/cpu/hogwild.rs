//! SGD with batch size 1, lock-free across threads (Hogwild!: Niu, Recht, Ré & Wright, NIPS
//! 2011), for GMF and MF: Rendle et al.'s recipe for MF (RecSys 2020, `mf_simple.py`: logistic
//! loss, L2 at every step, one sample at a time). Each thread takes a contiguous share of the
//! epoch's shuffled samples and updates the shared weights in place, without locks: two
//! threads touching one row at once may lose an update, which Hogwild! shows costs nothing
//! measurable when a step touches few of many rows. The weights are read and written as
//! relaxed atomics, which compile to plain loads and stores, so the races are defined behaviour.
//!
//! On one thread it is the serial batch-1 SGD of [`super::CpuSteps`]: the same samples in the
//! same order and the same update, up to the order of the sums in z (the tests assert it).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::sampling::Samples;
use super::windows::Windows;
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::model::{ModelKind, Params, bce_with_logits};
use crate::train::{EpochSize, Inputs, Optimizer, Progress, StepAt, Steps, TrainConfig, Trained, check_session};

/// Hogwild! steps on the CPU.
pub struct HogwildSteps {
    inputs: Inputs,
    params: Params,
    /// The prepared epoch's index.
    epoch: u32,
    n_samples: u32,
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

impl HogwildSteps {
    pub fn new(data: Arc<Dataset>, validation: Option<TestSet>, params: Params, cfg: TrainConfig) -> Result<Self> {
        let n_samples = check_session(&data, validation.as_ref(), &params, &cfg)?;
        check_hogwild(&params, &cfg)?;
        let threads = rayon::current_num_threads().max(1);
        Ok(HogwildSteps {
            inputs: Inputs { data, validation, cfg },
            params,
            epoch: 0,
            n_samples,
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

impl HogwildSteps {
    /// Draws epochs in windows past `windows.whole_max` samples (tests shrink it).
    pub fn set_windows(&mut self, windows: Windows) {
        self.windows = windows;
    }

    /// Batch-1 SGD over `s`, its samples shared among the threads in contiguous parts, lock-free;
    /// the summed loss, or `None` when the progress asked to cancel.
    fn train_window(&mut self, s: &Samples, lr: f32, progress: Option<&Progress>) -> Option<f64> {
        const REPORT: usize = 4096;
        let n = s.len();
        let (l, l2) = (self.params.layout, self.inputs.cfg.l2);
        let share = n.div_ceil(self.threads).max(1);
        let c = cells(&mut self.params.data);
        let run = |t: usize| -> Option<f64> {
            let (lo, hi) = ((t * share).min(n), ((t + 1) * share).min(n));
            let mut loss = 0f64;
            for k in lo..hi {
                loss += step(c, l, s.users[k], s.items[k], s.labels[k], lr, l2) as f64;
                if (k - lo + 1) % REPORT == 0
                    && let Some(p) = progress
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

impl Steps for HogwildSteps {
    super::host_steps!();

    /// A step is a sample.
    fn epoch_size(&self) -> EpochSize {
        let n = self.n_samples as u64;
        EpochSize { steps: n, optimizer_steps: n, samples: n }
    }

    fn prepare_epoch(&mut self, at: StepAt) -> Result<()> {
        self.epoch = at.epoch;
        Ok(())
    }

    fn train_steps(
        &mut self,
        range: Range<u64>,
        at: StepAt,
        progress: Option<&Progress>,
        _evaluate: Option<u32>,
    ) -> Result<Trained> {
        let n = self.n_samples as u64;
        let (lo, hi) = (range.start.min(n), range.end.min(n));
        let c = self.inputs.cfg;
        let data = self.inputs.data.clone();
        let mut total = 0f64;
        let mut pos = lo;
        // Batch 1: windows split anywhere; each is shared among the threads.
        while pos < hi {
            let span = self.windows.span(self.n_samples, 1, pos as u32);
            let end = hi.min(span.end as u64);
            let mut s = self.windows.draw(&data, c.negatives, c.uniform_negatives, c.seed, self.epoch, span.clone())?;
            if (pos, end) != (span.start as u64, span.end as u64) {
                s = s.slice((pos - span.start as u64) as usize..(end - span.start as u64) as usize);
            }
            total += self.train_window(&s, at.lr, progress).ok_or(NcfError::Cancelled)?;
            pos = end;
        }
        Ok(Trained { loss_sum: total, loss_count: hi - lo, evaluated: None })
    }
}

#[cfg(test)]
#[path = "hogwild_tests.rs"]
mod tests;
