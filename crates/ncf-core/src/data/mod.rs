//! Interaction data: training positives as per-user sorted CSR rows, held-out test and
//! validation cases (a positive plus sampled negatives), and the ways to make them: the NCF
//! text files, seeded synthetic data, `Dataset.split` and the validation holdout.
//!
//! # Files
//! - [`csr`]: [`Csr`]: training positives as per-user sorted rows; [`row_contains`].
//! - [`fold`]: [`fold::Pairs`]: interactions folded as they stream in (duplicate pairs removed each
//!   time the buffer doubles; the latest timestamp, then the last line, wins), the memory bound of
//!   every reader.
//! - [`dataset`]: [`Dataset`] and [`TestSet`] (a held-out positive plus sampled negatives per case).
//! - [`arrays`]: [`Dataset::from_signed_arrays`]: JavaScript-side ids, timestamps and ratings,
//!   checked before any allocation they size.
//! - [`holdout`]: the one holdout sampler: the check that enough items are left, a case with its
//!   seeded negatives, and the training data left.
//! - [`split`]: `Dataset.split`: leave-one-out, per-user random ratio and time ratio.
//! - [`validation`]: leave-one-out validation with its own sampled negatives.
//! - [`ncf_files`]: the NCF text format (`*.train.rating`, folded while read; `*.test.rating` and
//!   `*.test.negative`, line by line).
//! - [`synthetic`]: seeded synthetic data with planted taste clusters (the demo's; it scores every
//!   pair).
//! - [`scale`]: seeded synthetic data at ML-20M and Netflix size: heavy-tailed activity, Zipf
//!   popularity, taste clusters, one draw an interaction, built straight into CSR rows in parallel.
//!
//! - [`options`]: the options of the dataset constructors and of `Dataset.split`, read from the
//!   caller's JSON by [`crate::options::Fields`].
//!
//! May import [`crate::error`], [`crate::rng`] and [`crate::options`]. Inside: `dataset` → `csr`; `arrays` →
//! `dataset`; `holdout` → `csr`, `dataset`; `split` and `validation` → `holdout`; `ncf_files` →
//! `fold`; `scale` → `csr`, `dataset`, `synthetic`.

pub mod arrays;
pub mod csr;
pub mod dataset;
pub mod fold;
pub mod holdout;
pub mod ncf_files;
pub mod options;
pub mod scale;
pub mod split;
pub mod synthetic;
pub mod validation;

pub use csr::{Csr, row_contains};
pub use dataset::{Dataset, TestSet};
