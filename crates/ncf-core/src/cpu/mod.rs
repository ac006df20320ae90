//! The CPU backend: plain Rust (rayon, and `matrixmultiply` for the tower), the deterministic
//! oracle of every `ncf-gpu` kernel and the fallback when no GPU adapter exists. One file per
//! kernel family, each the twin of one `.wgsl` in `ncf-gpu/src/shaders/`.

/// The `Steps` methods every CPU session shares: it keeps its `inputs` and `params` on the
/// host and evaluates with the CPU's kernels (`metrics.rs`).
macro_rules! host_steps {
    () => {
        fn backend(&self) -> $crate::train::BackendKind {
            $crate::train::BackendKind::Cpu
        }
        fn inputs(&self) -> &$crate::train::Inputs {
            &self.inputs
        }
        fn params(&self) -> &$crate::model::Params {
            &self.params
        }
        fn write_params(&mut self, weights: &[f32]) -> $crate::error::Result<()> {
            self.params.data.copy_from_slice(weights);
            Ok(())
        }
        fn evaluate(&self, set: &$crate::data::TestSet, k: u32) -> $crate::error::Result<$crate::metrics::RankMetrics> {
            $crate::cpu::metrics::evaluate_cpu(&self.params, set, k)
        }
        fn evaluate_rating(
            &self,
            set: &$crate::data::TestSet,
            scale: $crate::metrics::RatingScale,
        ) -> $crate::error::Result<$crate::metrics::RatingMetrics> {
            $crate::cpu::metrics::evaluate_rating_cpu(&self.params, set, scale)
        }
    };
}
pub(crate) use host_steps;

pub mod als;
pub mod als_steps;
pub mod backend;
pub mod dense;
pub mod factorization;
pub mod fold_in;
pub mod fused;
pub mod hogwild;
pub mod metrics;
pub mod minibatch;
pub mod optim;
pub mod row_grads;
pub mod sampling;
pub mod scoring;
pub mod shards;
pub mod similarity;
pub mod sparse;
pub mod step;
pub mod tower;
pub mod windows;

pub use als_steps::AlsSteps;
pub use backend::CpuBackend;
pub use hogwild::HogwildSteps;
pub use metrics::{evaluate_cpu, evaluate_item_pop, evaluate_rating_cpu};
pub use minibatch::CpuSteps;
pub use similarity::{similar, similarity_scores};

#[cfg(test)]
mod windows_tests;
