//! ncf-core: data, sampling, metrics, the math of GMF, MF, MLP and NeuMF, optimizers and the CPU backend of
//! ncf-native. No GPU and no napi code lives here; `ncf-gpu` implements the step seam
//! [`train::Steps`] on wgpu and is tested against the CPU's [`cpu::CpuSteps`].
//!
//! # Modules, and what each may import
//! - [`error`]: [`NcfError`] (thiserror), each variant with a stable `code()`; imports nothing of
//!   the crate.
//! - [`rng`]: the counter-based RNG and Feistel shuffle, bit-identical to `common.wgsl`; imports
//!   nothing of the crate.
//! - [`metrics`]: rank, HR@K, NDCG@K; RMSE, MAE, R² and the rating scale r̂ = clip(z + μ). Imports
//!   `error`.
//! - [`data`]: [`Csr`], [`Dataset`], [`TestSet`]; the NCF text files, synthetic data,
//!   `Dataset.split`, the validation holdout. Imports `error`, `input`, `options`, `rng`.
//! - [`input`]: opening input files within bounds: regular files only, `.gz`,
//!   [`input::ReadLimits`] and `ERR_LIMIT`. Imports `error`.
//! - [`raw`]: interaction files with the caller's ids (CSV/TSV, MovieLens, Netflix, `.gz`),
//!   [`raw::IdEncoder`], conversion to a [`Dataset`]. Imports `data`, `input`, `options`, `error`.
//! - [`features`]: side-feature tables read from files, and their encoding for a model
//!   ([`features::FeatureSet`]). Imports `raw`, `input`, `options`, `error`.
//! - [`model`]: the model's data: [`ModelKind`], [`Tower`], the flat [`Layout`], [`Params`],
//!   [`model::ModelFeatures`], the [`model::Objective`], NeuMF-pre as a params transform; no math
//!   that reads the weights. Imports `features`, `error`.
//! - [`train`]: what a training step needs, backend-neutral: [`TrainConfig`] and its
//!   [`train::Algorithm`], [`Optimizer`]/[`StepScalars`], seeded dropout, the [`train::Steps`]
//!   seam, [`train::Progress`], the session checks. Imports `backend` ([`backend::BackendKind`]),
//!   `data`, `model`, `metrics`, `rng`, `error`.
//! - [`cpu`]: the CPU backend, one file per kernel family, each the twin of one `.wgsl` of
//!   `ncf-gpu`; [`CpuSteps`], [`cpu::HogwildSteps`], [`cpu::AlsSteps`]; [`cpu::CpuBackend`] (the
//!   seam). Imports everything above, `infer`, `backend`. Nothing outside `cpu` imports it: the
//!   rest reaches it through [`cpu::CpuBackend`].
//! - [`infer`]: top-K recommendation (seen items and allow-lists), similarity's shared parts,
//!   embeddings, full-ranking metrics per user. Imports `data`, `model`, `error`.
//! - [`persist`]: the model file (safetensors with PyTorch-style tensor names, strict JSON
//!   metadata, a CRC-32C over every byte, atomic writes). Imports `data`, `features`, `input`,
//!   `metrics`, `model`, `error`.
//! - [`backend`]: the seam: the [`backend::Backend`] trait, [`backend::DevicePref`],
//!   [`backend::ranking`] (written once over `&dyn Backend`) and [`backend::auto`] (`device:
//!   'auto'`). Imports [`cpu::CpuBackend`], `data`, `infer`, `metrics`, `model`, `train`, `error`.
//! - [`recommender`]: the [`recommender::Recommender`] (what a user calls the model) and
//!   [`recommender::Corpus`]. Imports `backend`, `data`, `features`, `metrics`, `model`, `options`,
//!   `persist`, `raw`, `train`, `error`.
//! - [`fit`]: the [`fit::Fit`], written once for the binding and `ncf-bench`, and its one epoch
//!   loop ([`Trainer`]) over a backend's steps; checkpoints. Imports `backend`, `data`,
//!   `options`, `recommender`, `train`, `error`.
//! - [`baseline`]: rating baselines (the global mean; Koren's user and item biases by ALS).
//!   Imports `data`, `metrics`, `options`, `train`, `error`.
//! - [`export`]: ONNX and embedding exports.
//! - [`options`]: options as the caller wrote them (a JSON object per call), read once by
//!   [`options::Fields`]: names and types checked, unknown keys refused, the names listed.
//!   Imports `error`.
//!
//! `cargo test -p ncf-core` covers finite-difference gradients (GMF, MF, dense layers, and every
//! parameter of MLP and NeuMF with and without dropout), NeuMF-pre's α-mix, sampler uniformity
//! (chi-square), hand-computed metrics and Adam steps; `tests/fit.rs` checks that a fit trains bit
//! for bit what its [`Trainer`] trains and refuses bad options before any backend call.

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
pub mod options;
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
