//! Live progress of the epoch in flight and its cancellation, shared between the steps that
//! report it and the callers that read it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Live progress of the epoch in flight, shared with other threads: the steps update it
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
