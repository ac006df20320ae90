//! Training, backend-neutral: the hyperparameters ([`TrainConfig`], [`Optimizer`]), the
//! [`Trainer`] interface with live [`Progress`], and the session checks every backend runs
//! first. The CPU backend's trainer is `CpuTrainer` (`cpu/`), the GPU's lives in `ncf-gpu`.

pub mod carry;
pub mod checks;
pub mod config;
pub mod dropout;
pub mod optimizer;
pub mod session;

pub use checks::{
    check_finite_loss, check_fits, check_k, check_rankable, check_restorable, check_session, check_test_fits,
    rating_cases, rating_scale, samples_per_epoch, unrankable,
};
pub use config::{AlsSpec, RowSolve, RowSteps, TrainConfig};
pub use dropout::{Dropout, DropoutSpec, dropout_key};
pub use optimizer::{Optimizer, StepScalars};
pub use session::{EpochReport, OptimizerState, Progress, Trainer};
