//! The CPU backend: plain Rust (rayon, and `matrixmultiply` for the tower), the deterministic
//! oracle of every `ncf-gpu` kernel and the fallback when no GPU adapter exists. One file per
//! kernel family, each the twin of one `.wgsl` in `ncf-gpu/src/shaders/`.

pub mod als;
pub mod als_trainer;
pub mod backend;
pub mod dense;
pub mod factorization;
pub mod fold_in;
pub mod hogwild;
pub mod metrics;
pub mod optim;
pub mod row_grads;
pub mod sampling;
pub mod scoring;
pub mod shards;
pub mod similarity;
pub mod sparse;
pub mod step;
pub mod tower;
pub mod tower_batch;
pub mod trainer;
pub mod windows;

pub use als_trainer::AlsTrainer;
pub use backend::CpuBackend;
pub use hogwild::HogwildTrainer;
pub use metrics::{evaluate_cpu, evaluate_item_pop, evaluate_rating_cpu};
pub use similarity::{similar, similarity_scores};
pub use trainer::CpuTrainer;

#[cfg(test)]
mod windows_tests;
