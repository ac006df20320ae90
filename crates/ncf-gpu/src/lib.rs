//! ncf-gpu: the wgpu compute backend of ncf-native. [`GpuContext`] owns the device and every
//! pipeline; [`GpuSteps`] and `als::GpuAlsSteps` implement `ncf_core::train::Steps` with all sampling, forward,
//! backward, optimizer and evaluation work in WGSL kernels (`src/shaders/`).

pub mod als;
pub mod context;
pub mod dense;
pub mod device;
pub mod eval;
mod fused;
mod records;
pub mod shaders;
pub mod similarity;
pub mod steps;
mod tower;

pub use context::{GpuContext, GpuCounts, GpuFault, GpuInfo, GpuOptions};
pub use device::{GpuBackend, gpu_info, select};
pub use eval::{evaluate_gpu, evaluate_rating_gpu, predict_gpu};
pub use similarity::similarity_gpu;
pub use steps::GpuSteps;
