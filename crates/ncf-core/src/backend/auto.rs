//! `device: 'auto'`: a hardware GPU when there is one, with the CPU backend behind it. Every
//! call runs on the GPU, and a call the GPU fails (out of memory, a lost device, an adapter
//! limit: [`NcfError::is_gpu_failure`]) is answered by the CPU backend instead, saying why; a
//! fit that loses its GPU mid-run continues on the CPU from its last complete epoch (the epoch
//! loop asks [`Backend::fail_over`]). Where there is no GPU worth using, every call runs on the
//! CPU and says why. `'gpu'` gets the errors themselves.

use std::sync::{Arc, OnceLock};

use super::{Backend, BackendKind};
use crate::data::{Dataset, TestSet};
use crate::error::{NcfError, Result};
use crate::infer::Side;
use crate::metrics::{RankMetrics, RatingMetrics, RatingScale};
use crate::model::Params;
use crate::train::{RowSolve, Steps, TrainConfig};

/// The reason the CPU answered instead of the GPU.
fn reason(e: &NcfError) -> String {
    format!("the GPU failed, so the CPU backend answered: {e}")
}

/// A GPU backend (when there is one) with the CPU backend behind it.
pub struct AutoBackend {
    gpu: Option<Box<dyn Backend>>,
    cpu: Arc<dyn Backend>,
    /// Why calls run on the CPU: no GPU worth using, or the first GPU failure of a call.
    failed: OnceLock<String>,
}

impl AutoBackend {
    /// The GPU, with the CPU backend behind it.
    pub fn new(gpu: impl Backend + 'static, cpu: Arc<dyn Backend>) -> Self {
        AutoBackend { gpu: Some(Box::new(gpu)), cpu, failed: OnceLock::new() }
    }

    /// The CPU backend alone, because of `why` (no adapter, or only a software one).
    pub fn cpu_because(cpu: Arc<dyn Backend>, why: String) -> Self {
        AutoBackend { gpu: None, cpu, failed: OnceLock::from(why) }
    }

    /// The GPU, while no call has failed on it.
    fn gpu(&self) -> Option<&dyn Backend> {
        self.gpu.as_deref().filter(|_| self.failed.get().is_none())
    }

    /// Runs `op` on the GPU unless it has failed, then on the CPU when the GPU fails it.
    fn run<T>(&self, op: impl Fn(&dyn Backend) -> Result<T>) -> Result<T> {
        if let Some(gpu) = self.gpu() {
            match op(gpu) {
                Err(e) if e.is_gpu_failure() => {
                    let _ = self.failed.set(reason(&e));
                }
                done => return done,
            }
        }
        op(&*self.cpu)
    }
}

impl Backend for AutoBackend {
    fn solve_rows(
        &self,
        params: &mut Params,
        side: Side,
        rows: &[(u32, Vec<u32>)],
        other_count: u32,
        how: RowSolve,
    ) -> Result<()> {
        self.cpu.solve_rows(params, side, rows, other_count, how)
    }
    fn kind(&self) -> BackendKind {
        if self.gpu().is_some() { BackendKind::Gpu } else { BackendKind::Cpu }
    }
    fn fallback(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }
    fn steps(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Steps>> {
        self.run(|b| b.steps(data.clone(), validation.clone(), params.clone(), cfg))
    }
    fn fail_over(&self) -> Option<Arc<dyn Backend>> {
        self.gpu().map(|_| self.cpu.clone())
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
