//! ncf-core: data, sampling, metrics, GMF math, optimizers and the CPU backend of
//! ncf-native. No GPU and no napi code lives here; `ncf-gpu` implements [`train::Trainer`]
//! on wgpu and is tested against [`train::CpuTrainer`].

pub mod control;
pub mod data;
pub mod dense;
pub mod error;
pub mod metrics;
pub mod model;
pub mod ncf_files;
pub mod optim;
pub mod rng;
pub mod sampling;
pub mod synthetic;
pub mod train;
pub mod validation;

pub use data::{Csr, Dataset, TestSet};
pub use error::{NcfError, Result};
pub use metrics::RankMetrics;
pub use model::{Layout, ModelKind, Params};
pub use optim::{Optimizer, StepScalars};
pub use train::{CpuTrainer, EpochReport, TrainConfig, Trainer};
