//! Backend selection shared by every entry point: `'gpu'` demands an adapter, `'cpu'` never
//! touches one, `'auto'` takes a hardware GPU when there is one and otherwise says why it fell
//! back to the CPU.

use std::sync::Arc;

use ncf_core::train::{CpuTrainer, TrainConfig, Trainer, evaluate_cpu};
use ncf_core::{Dataset, Params, RankMetrics, Result, TestSet};

use crate::{GpuContext, GpuTrainer, evaluate_gpu};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePref {
    Auto,
    Gpu,
    Cpu,
}

/// The backend a call will run on.
#[derive(Clone)]
pub enum Backend {
    Gpu(Arc<GpuContext>),
    /// The CPU backend; `fallback` holds the reason when `'auto'` found no GPU.
    Cpu {
        fallback: Option<String>,
    },
}

impl Backend {
    pub fn resolve(pref: DevicePref) -> Result<Backend> {
        match pref {
            DevicePref::Cpu => Ok(Backend::Cpu { fallback: None }),
            DevicePref::Gpu => Ok(Backend::Gpu(GpuContext::shared()?)),
            // A software adapter (lavapipe, SwiftShader, WARP) emulates a GPU on the same cores
            // the CPU backend uses natively, 7–30× slower (BENCHMARKS.md), so 'auto' takes the
            // CPU backend there; 'gpu' still runs on it.
            DevicePref::Auto => match GpuContext::shared() {
                Ok(ctx) if ctx.info.device_type == "Cpu" => Ok(Backend::Cpu {
                    fallback: Some(format!(
                        "the only adapter, '{}', is a software rasterizer, slower than the CPU backend. \
                         Pass device: 'gpu' to use it anyway",
                        ctx.info.name
                    )),
                }),
                Ok(ctx) => Ok(Backend::Gpu(ctx)),
                Err(e) => Ok(Backend::Cpu { fallback: Some(e.to_string()) }),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Gpu(_) => "gpu",
            Backend::Cpu { .. } => "cpu",
        }
    }

    pub fn fallback(&self) -> Option<&str> {
        match self {
            Backend::Cpu { fallback } => fallback.as_deref(),
            Backend::Gpu(_) => None,
        }
    }

    pub fn trainer(
        &self,
        data: Arc<Dataset>,
        validation: Option<TestSet>,
        params: Params,
        cfg: TrainConfig,
    ) -> Result<Box<dyn Trainer>> {
        Ok(match self {
            Backend::Gpu(ctx) => Box::new(GpuTrainer::new(ctx.clone(), data, validation, params, cfg)?),
            Backend::Cpu { .. } => Box::new(CpuTrainer::new(data, validation, params, cfg)?),
        })
    }

    pub fn evaluate(&self, params: &Params, test: &TestSet, k: u32) -> Result<RankMetrics> {
        match self {
            Backend::Gpu(ctx) => evaluate_gpu(ctx, params, test, k),
            Backend::Cpu { .. } => evaluate_cpu(params, test, k),
        }
    }
}
