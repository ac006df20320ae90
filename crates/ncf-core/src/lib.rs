//! ncf-core: data, sampling, metrics, the math of GMF, MF, MLP and NeuMF, optimizers and the CPU backend of
//! ncf-native. No GPU and no napi code lives here; `ncf-gpu` implements [`train::Trainer`]
//! on wgpu and is tested against [`train::CpuTrainer`].

pub mod backend;
pub mod baseline;
pub mod checkpoint;
pub mod control;
pub mod data;
pub mod dense;
pub mod error;
pub mod feature_set;
pub mod features;
pub mod fit;
pub mod infer;
pub mod metrics;
pub mod model;
pub mod ncf_files;
pub mod neural;
pub mod optim;
pub mod persist;
pub mod raw;
pub mod recommender;
pub mod rng;
pub mod sampling;
pub mod split;
pub mod synthetic;
pub mod train;
pub mod validation;

pub use data::{Csr, Dataset, TestSet};
pub use error::{NcfError, Result};
pub use metrics::{RankMetrics, RatingMetrics, RatingScale};
pub use model::{Layout, ModelKind, Params, Tower};
pub use optim::{Optimizer, StepScalars};
pub use train::{CpuTrainer, EpochReport, TrainConfig, Trainer};
