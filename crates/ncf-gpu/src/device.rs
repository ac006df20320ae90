//! The GPU side of the core's backend seam: [`GpuBackend`] implements
//! `ncf_core::backend::Backend` on a [`GpuContext`], and [`select`] is the adapter selection
//! every entry point uses: `'gpu'` demands an adapter, `'cpu'` never touches one, `'auto'` takes
//! a hardware GPU when there is one (falling back to the CPU when a call fails on it, see
//! `ncf_core::backend::auto`) and otherwise says why it fell back to the CPU.

use std::sync::Arc;

use ncf_core::backend::auto::AutoBackend;
use ncf_core::backend::{Backend, BackendKind, DevicePref};
use ncf_core::cpu::CpuBackend;
use ncf_core::infer::Side;
use ncf_core::train::{Algorithm, Steps, TrainConfig};
use ncf_core::{Dataset, Params, RankMetrics, RatingMetrics, RatingScale, Result, TestSet};

use crate::als::GpuAlsSteps;
use crate::{GpuContext, GpuSteps, evaluate_gpu, evaluate_rating_gpu, predict_gpu, similarity_gpu};

/// The wgpu backend on one shared context.
pub struct GpuBackend {
    pub ctx: Arc<GpuContext>,
}

impl Backend for GpuBackend {
    /// Fold-in solves a handful of rows (f × f systems, or a few epochs of their samples): on
    /// the host, as the CPU backend does.
    fn solve_rows(
        &self,
        params: &mut Params,
        side: Side,
        rows: &[(u32, Vec<u32>)],
        other_count: u32,
        how: ncf_core::train::RowSolve,
    ) -> Result<()> {
        CpuBackend.solve_rows(params, side, rows, other_count, how)
    }
    fn kind(&self) -> BackendKind {
        BackendKind::Gpu
    }
    fn steps(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Steps>> {
        Ok(match cfg.algorithm {
            Algorithm::MiniBatch => Box::new(GpuSteps::new(self.ctx.clone(), data, validation, params, cfg)?),
            Algorithm::Als(_) => Box::new(GpuAlsSteps::new(self.ctx.clone(), data, validation, params, cfg)?),
            // The GPU's equivalent is a large batch; 'auto' answers on the CPU, 'gpu' is told.
            Algorithm::Hogwild => {
                return Err(ncf_core::NcfError::GpuUnsupported {
                    field: "hogwild".into(),
                    message: "is batch-1 SGD across CPU threads: pass device: 'cpu', or on the GPU its large-batch \
                              equivalent without hogwild: optimizer 'sgd', sparse: true, lr = the per-sample lr × \
                              batchSize"
                        .into(),
                });
            }
        })
    }
    fn logits(&self, params: &Params, users: &[u32], items: &[u32]) -> Result<Vec<f32>> {
        predict_gpu(&self.ctx, params, users, items)
    }
    fn similarity(&self, params: &Params, side: Side, queries: &[u32]) -> Result<Vec<f32>> {
        similarity_gpu(&self.ctx, params, side, queries)
    }
    fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
        evaluate_gpu(&self.ctx, params, test, k)
    }
    fn evaluate_rating(&self, params: &Params, test: &TestSet, scale: RatingScale) -> Result<RatingMetrics> {
        evaluate_rating_gpu(&self.ctx, params, test, scale)
    }
}

/// The backend a device preference resolves to (an [`ncf_core::backend::Selector`]).
pub fn select(pref: DevicePref) -> Result<Arc<dyn Backend>> {
    let cpu = |why: String| -> Arc<dyn Backend> { Arc::new(AutoBackend::cpu_because(Arc::new(CpuBackend), why)) };
    Ok(match pref {
        DevicePref::Cpu => Arc::new(CpuBackend),
        DevicePref::Gpu => Arc::new(GpuBackend { ctx: GpuContext::shared()? }),
        // A software adapter (lavapipe, SwiftShader, WARP) emulates a GPU on the same cores
        // the CPU backend uses natively, 7–30× slower (BENCHMARKS.md), so 'auto' takes the
        // CPU backend there; 'gpu' still runs on it.
        DevicePref::Auto => match GpuContext::shared() {
            Ok(ctx) if ctx.info.is_software() => cpu(format!(
                "the only adapter, '{}', is a software rasterizer, slower than the CPU backend. \
                 Pass device: 'gpu' to use it anyway",
                ctx.info.name
            )),
            // A GPU call that fails (out of memory, a lost device) is answered on the CPU.
            Ok(ctx) => Arc::new(AutoBackend::new(GpuBackend { ctx }, Arc::new(CpuBackend))),
            Err(e) => cpu(e.to_string()),
        },
    })
}

/// The adapter ncf-native uses (`ERR_NO_GPU` when there is none): the facts `gpuInfo()` shows.
pub fn gpu_info() -> Result<crate::GpuInfo> {
    Ok(GpuContext::shared()?.info.clone())
}
