//! What a training step needs, backend-neutral: the hyperparameters ([`TrainConfig`],
//! [`Algorithm`], [`Optimizer`]), the step-level seam every backend's session implements
//! ([`Steps`]), live [`Progress`], and the session checks every backend runs first. The epoch
//! loop above the seam is `crate::fit::Trainer`; the CPU's steps live in `cpu/`, the GPU's in
//! `ncf-gpu`.
//!
//! # Files
//! - [`config`]: [`TrainConfig`], the hyperparameters of one `fit`; [`Algorithm`] (mini-batch,
//!   Hogwild!, ALS with its [`AlsSpec`]), chosen once.
//! - [`steps`]: the seam at the step: the [`Steps`] trait every backend's session implements
//!   (prepare an epoch, train a range of steps, read and write weights and moments, evaluate),
//!   [`StepAt`], [`EpochSize`], [`Trained`], [`Evaluated`].
//! - [`optimizer`]: [`Optimizer`] (Adam, SGD) with PyTorch semantics and its checks, [`StepScalars`]
//!   (the update math is [`crate::cpu::optim`] and `optim.wgsl`).
//! - [`dropout`]: seeded inverted dropout: [`DropoutSpec`], the per-layer key, the [`Dropout`] mask.
//! - [`progress`]: [`Progress`]: live steps, samples and loss of the epoch in flight, and cancellation.
//! - [`checks`]: the checks every session runs first, with one wording; [`samples_per_epoch`],
//!   [`rating_scale`], [`rating_cases`].
//!
//! May import `crate::{backend, data, error, metrics, model, rng}`, never `cpu` or `fit`. Inside:
//! `config` → `optimizer`, `dropout`; `checks` → `config`; `steps` → `config`, `progress`.

pub mod checks;
pub mod config;
pub mod dropout;
pub mod optimizer;
pub mod progress;
pub mod steps;

pub use checks::{
    check_finite_loss, check_fits, check_k, check_rankable, check_session, check_test_fits, rating_cases, rating_scale,
    samples_per_epoch, unrankable,
};
pub use config::{Algorithm, AlsSpec, RowSolve, RowSteps, TrainConfig};
pub use dropout::{Dropout, DropoutSpec, dropout_key};
pub use optimizer::{Optimizer, StepScalars};
pub use progress::Progress;
pub use steps::{BackendKind, EpochSize, Evaluated, Inputs, SetMetrics, StepAt, Steps, Trained};
