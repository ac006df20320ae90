//! What a training step needs, backend-neutral: the hyperparameters ([`TrainConfig`],
//! [`Algorithm`], [`Optimizer`]), the step-level seam every backend's session implements
//! ([`Steps`]), live [`Progress`], and the session checks every backend runs first. The epoch
//! loop above the seam is `crate::fit::Trainer`; the CPU's steps live in `cpu/`, the GPU's in
//! `ncf-gpu`.

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
