//! ncf-core: data, sampling, metrics, the math of GMF, MF, MLP and NeuMF, optimizers and the CPU backend of
//! ncf-native. No GPU and no napi code lives here; `ncf-gpu` implements [`train::Trainer`]
//! on wgpu and is tested against [`cpu::CpuTrainer`].

pub mod backend;
pub mod baseline;
pub mod cpu;
pub mod data;
pub mod error;
pub mod export;
pub mod features;
pub mod fit;
pub mod infer;
pub mod input;
pub mod metrics;
pub mod model;
pub mod persist;
pub mod raw;
pub mod recommender;
pub mod rng;
pub mod train;

pub use cpu::CpuSteps;
pub use data::{Csr, Dataset, TestSet};
pub use error::{NcfError, Result};
pub use fit::{EpochReport, Trainer};
pub use metrics::{RankMetrics, RatingMetrics, RatingScale};
pub use model::{Layout, ModelKind, Params, Tower};
pub use train::{Optimizer, StepScalars, TrainConfig};
