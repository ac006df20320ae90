//! ncf-node: the napi-rs binding of ncf-native. It converts types and maps errors only; the
//! math lives in ncf-core and ncf-gpu, the defaults in the core, the docs in
//! the TypeScript API (`src/`).

// `#[napi]` registers an export with Node only outside `cfg(test)`, so a test build (clippy's
// --all-targets) sees free functions like `gpu_info` as never used.
#![cfg_attr(test, allow(dead_code))]

mod baseline;
mod convert;
mod dataset;
mod dataset_options;
mod errors;
mod export;
mod features;
mod info;
mod job;
mod model;
mod modes;
mod progress;
mod results;
mod trainer;

pub use baseline::NativeBaseline;
pub use dataset::NativeDataset;
pub use features::NativeFeatures;
pub use model::NativeModel;
pub use progress::NativeReadProgress;
pub use trainer::NativeTrainer;
