//! ncf-node: the napi-rs binding of ncf-native. It converts types and maps errors only; the
//! math lives in ncf-core and ncf-gpu, the defaults in the core, the docs in
//! the TypeScript API (`src/`).
//!
//! # Modules
//! Each `#[napi]` method converts JS values to the core's types, calls `ncf-core` (checks on the
//! caller's thread, work as an `AsyncTask` on libuv's pool) and maps `NcfError` to
//! `napi::Error<Code>`: the code crosses as data, the message is `message: cause…`. No math, no id
//! encoding, no training control lives here.
//! - [`modes`]: every mode as a `#[napi(string_enum)]` with its conversion to the core's enum.
//! - [`model`]: [`NativeModel`] over `ncf_core::recommender::Recommender`; its constructor
//!   takes the options as the JSON object the core reads (`ModelSpec::from_json`).
//! - [`trainer`]: [`NativeTrainer`] over `ncf_core::fit::Fit`; `createTrainer` takes the fit's
//!   options as the JSON object the core reads (`FitOptions::from_json`).
//! - [`results`]: the objects results cross as (metrics, ranked lists as typed arrays, epochs).
//! - [`dataset`], [`features`], [`baseline`]: datasets, feature tables and
//!   rating baselines. [`progress`]: a load's live progress. [`export`]: ONNX and embeddings.
//! - [`info`]: `gpuInfo()`. [`errors`], [`job`]: error mapping; the one generic `AsyncTask`.
//! - [`schema`]: the option names the core reads per options object, for the test that holds
//!   the TypeScript types to them.
//!
//! It may import `ncf-core` (its domain, the `Fit`, the `Recommender` and the backend seam, never
//! `ncf_core::cpu` or other backend internals) and from `ncf-gpu` only the adapter selection
//! `select` and `gpu_info` (`scripts/check-rules.mjs` checks this).

// `#[napi]` registers an export with Node only outside `cfg(test)`, so a test build (clippy's
// --all-targets) sees free functions like `gpu_info` as never used.
#![cfg_attr(test, allow(dead_code))]

mod baseline;
mod dataset;
mod errors;
mod export;
mod features;
mod info;
mod job;
mod model;
mod modes;
mod progress;
mod results;
mod schema;
mod trainer;

pub use baseline::NativeBaseline;
pub use dataset::NativeDataset;
pub use features::NativeFeatures;
pub use model::NativeModel;
pub use progress::NativeReadProgress;
pub use trainer::NativeTrainer;
