//! `device: 'auto'` on a hardware GPU: every call runs on the GPU, and a call the GPU fails
//! (out of memory, a lost device, an adapter limit: [`NcfError::is_gpu_failure`]) is answered
//! by the CPU backend instead, saying why. A fit that loses its GPU mid-run continues on the
//! CPU from its last complete epoch; `'gpu'` gets the error itself.

use std::sync::{Arc, OnceLock};

use ncf_core::backend::{Backend, BackendKind};
use ncf_core::cpu::CpuBackend;
use ncf_core::infer::Side;
use ncf_core::train::{EpochReport, OptimizerState, Progress, TrainConfig, Trainer};
use ncf_core::{Dataset, NcfError, Params, RankMetrics, RatingMetrics, RatingScale, Result, TestSet};

/// The reason the CPU answered instead of the GPU.
fn reason(e: &NcfError) -> String {
    format!("the GPU failed, so the CPU backend answered: {e}")
}

/// The GPU (a `GpuBackend`), with the CPU backend behind it.
pub struct AutoBackend {
    gpu: Box<dyn Backend>,
    cpu: CpuBackend,
    /// Set by the first GPU failure of a call through this backend.
    failed: OnceLock<String>,
}

impl AutoBackend {
    pub fn new(gpu: impl Backend + 'static) -> Self {
        AutoBackend { gpu: Box::new(gpu), cpu: CpuBackend { fallback: None }, failed: OnceLock::new() }
    }

    /// Runs `op` on the GPU unless it has failed, then on the CPU when the GPU fails it.
    fn run<T>(&self, op: impl Fn(&dyn Backend) -> Result<T>) -> Result<T> {
        if self.failed.get().is_none() {
            match op(&*self.gpu) {
                Err(e) if e.is_gpu_failure() => {
                    let _ = self.failed.set(reason(&e));
                }
                done => return done,
            }
        }
        op(&self.cpu)
    }
}

impl Backend for AutoBackend {
    fn solve_rows(
        &self,
        params: &mut Params,
        side: Side,
        rows: &[(u32, Vec<u32>)],
        other_count: u32,
        how: ncf_core::train::RowSolve,
    ) -> Result<()> {
        self.cpu.solve_rows(params, side, rows, other_count, how)
    }
    fn kind(&self) -> BackendKind {
        if self.failed.get().is_some() { BackendKind::Cpu } else { BackendKind::Gpu }
    }
    fn fallback(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }
    fn trainer(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Trainer>> {
        if self.failed.get().is_none() {
            match self.gpu.trainer(data.clone(), validation.clone(), params.clone(), cfg) {
                Ok(gpu) => return Ok(Box::new(FallbackTrainer::new(gpu, data, validation, cfg))),
                Err(e) if e.is_gpu_failure() => {
                    let _ = self.failed.set(reason(&e));
                }
                Err(e) => return Err(e),
            }
        }
        self.cpu.trainer(data, validation, params, cfg)
    }
    fn logits(&self, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
        self.run(|b| b.logits(params, users, items))
    }
    fn similarity(&self, params: &Params, side: Side, queries: &[u32]) -> Result<Vec<f32>> {
        self.run(|b| b.similarity(params, side, queries))
    }
    fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
        self.run(|b| b.evaluate(params, test, k))
    }
    fn evaluate_rating(&self, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        self.run(|b| b.evaluate_rating(params, test, scale))
    }
}

/// A GPU training session that moves to the CPU backend when the GPU fails an epoch.
///
/// The failed epoch is run again on the CPU from the weights of the last complete one (the
/// host copy every epoch reads back). Adam restarts there from zero moments, as a fresh
/// optimizer would: the moments live on the device only, and after a failure mid-epoch they
/// are the failed epoch's, not the complete one's (or gone with a lost device).
pub struct FallbackTrainer {
    inner: Box<dyn Trainer>,
    data: Arc<Dataset>,
    validation: Option<TestSet>,
    cfg: TrainConfig,
    progress: Option<Arc<Progress>>,
    lr: Option<f32>,
    /// Epochs complete (the next epoch's index), for the CPU session's sampling seed.
    epoch: u32,
    why: Option<String>,
}

impl FallbackTrainer {
    pub fn new(inner: Box<dyn Trainer>, data: Arc<Dataset>, validation: Option<TestSet>, cfg: TrainConfig) -> Self {
        FallbackTrainer { inner, data, validation, cfg, progress: None, lr: None, epoch: 0, why: None }
    }

    /// Replaces the GPU session by a CPU one at the last complete epoch.
    fn move_to_cpu(&mut self, failure: &NcfError) -> Result<()> {
        let params = self.inner.params().clone();
        let cpu = CpuBackend { fallback: None };
        let mut next = cpu.trainer(self.data.clone(), self.validation.clone(), params.clone(), self.cfg)?;
        // Zero moments and step, at this epoch (its negatives are drawn by epoch index).
        let state = OptimizerState { step: 0, epoch: self.epoch, ..next.optimizer_state()? };
        next.restore(&params.data, state)?;
        if let Some(p) = &self.progress {
            next.set_progress(p.clone());
        }
        if let Some(lr) = self.lr {
            next.set_lr(lr);
        }
        self.why = Some(format!(
            "the GPU failed during epoch {} ({failure}); the fit continued on the CPU backend from epoch {}'s \
             weights with fresh optimizer moments",
            self.epoch + 1,
            self.epoch
        ));
        self.inner = next;
        Ok(())
    }
}

impl Trainer for FallbackTrainer {
    fn set_progress(&mut self, progress: Arc<Progress>) {
        self.progress = Some(progress.clone());
        self.inner.set_progress(progress);
    }
    fn optimizer_state(&self) -> Result<OptimizerState> {
        self.inner.optimizer_state()
    }
    fn restore(&mut self, weights: &[f32], state: OptimizerState) -> Result<()> {
        let epoch = state.epoch;
        self.inner.restore(weights, state)?;
        self.epoch = epoch;
        Ok(())
    }
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn run_epoch(&mut self, eval_k: Option<u32>) -> Result<EpochReport> {
        let report = match self.inner.run_epoch(eval_k) {
            Err(e) if self.why.is_none() && e.is_gpu_failure() => {
                self.move_to_cpu(&e)?;
                self.inner.run_epoch(eval_k)?
            }
            done => done?,
        };
        self.epoch = report.epoch;
        Ok(report)
    }
    fn set_lr(&mut self, lr: f32) {
        self.lr = Some(lr);
        self.inner.set_lr(lr);
    }
    fn params(&self) -> &Params {
        self.inner.params()
    }
    fn fallback(&self) -> Option<&str> {
        self.why.as_deref()
    }
}
