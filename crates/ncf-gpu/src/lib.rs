//! ncf-gpu: the wgpu compute backend of ncf-native. [`GpuContext`] owns the device and every
//! pipeline; [`GpuSteps`] and `als::GpuAlsSteps` implement `ncf_core::train::Steps` with all sampling, forward,
//! backward, optimizer and evaluation work in WGSL kernels (`src/shaders/`).
//!
//! # Modules
//! Backend for Vulkan on Linux and Windows, Metal on macOS and DX12 on Windows. May import
//! `ncf-core` (data, layouts, the `Steps` seam and the CPU oracle's types), `wgpu`, `bytemuck` and
//! `pollster`, never napi. WGSL enters only through [`shaders`]. The modules form layers with no
//! cycle: `shaders` ← `context` ← `dense`, `records`, `similarity` ← `tower`, `fused` ← `eval` ←
//! `steps`, `als` ← `device`, each using only modules to its left. The epoch loop is the core's
//! (`ncf_core::fit::Trainer`); this crate offers its steps.
//! - [`context`]: [`GpuContext`], the one context type: device, queue, pipelines and error sink,
//!   shared per process (opened again once its device is lost); the workgroup grid;
//!   [`GpuFault`] for the fault tests. Its files: `context/adapter.rs` (adapter choice, device
//!   creation with the adapter's limits, [`GpuInfo`], [`GpuOptions`]), `context/pipelines.rs`
//!   (every bind group layout and pipeline, built once), `context/buffers.rs` (buffers checked
//!   against the binding limit, uniform rings, one-submit read-back).
//! - [`device`]: [`GpuBackend`] (its steps per `Algorithm`), and `'auto' | 'gpu' | 'cpu'` resolved
//!   into a `Backend` by [`select`] (the core's `AutoBackend` around a `GpuBackend` for `'auto'`).
//! - [`steps`]: [`GpuSteps`], the mini-batch steps with buffers and bind groups built once;
//!   `steps/submit.rs` records the epoch's sampling and each step into a pass (micro-batches when
//!   a batch exceeds one pass's rows); `steps/range.rs` is the `Steps` impl (512 steps per pass and
//!   submit, one read-back with the test metrics folded in, cancellation between submits);
//!   `steps/staging.rs` reads each submit's losses back through a 2-slot ring for live progress;
//!   `steps::batch` has caller-chosen batches for the parity tests (the `testing` feature).
//! - [`als`]: [`als::GpuAlsSteps`]: iALS as one submit an epoch, conjugate-gradient row solves.
//! - [`eval`]: pair scoring and leave-one-out ranking. [`similarity`]: cosine similarity of rows.
//! - [`records`]: host twins of the WGSL uniform structs.
//! - [`tower`]: the host of `tower.wgsl` (twin of the CPU's `cpu/tower.rs`): the MLP tower layer
//!   by layer. [`fused`]: the host of `fused.wgsl` (twin of `cpu/fused.rs`): the fused tower of
//!   towers up to 256 wide, two dispatches. [`dense`]: the tiled `gemm` and dense layers.
//! - `shaders/*.wgsl`: one file per op family (`sampling`, `factorization`, `optim`, `fused`,
//!   `metrics`, `dense`, `tower`, `similarity`, `als`), with `common` shared by all and `scoring`
//!   by `factorization` and `tower`.
//!
//! The `tests/` check every kernel against `ncf-core`'s CPU backend on fresh random inputs
//! (`NCF_TEST_SEED` replays a seed): `parity.rs` (GMF, MF, sampler, gemm), `neural_parity.rs` (MLP
//! and NeuMF: logits, every gradient with and without dropout, steps, epochs, side features),
//! `inference_parity.rs`, `rating_parity.rs`, `fused_parity.rs` (widths 70/33/9, batches 300 and
//! 1,061, dispatches per step), `sparse_parity.rs`, `large_batch.rs`, `als_parity.rs`,
//! `faults.rs` (a lost device and out of memory caused on purpose) and `progress.rs`.

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
