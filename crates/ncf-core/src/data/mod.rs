//! Interaction data: training positives as per-user sorted CSR rows, held-out test and
//! validation cases (a positive plus sampled negatives), and the ways to make them: the NCF
//! text files, seeded synthetic data, `Dataset.split` and the validation holdout.

pub mod arrays;
pub mod csr;
pub mod dataset;
pub mod fold;
pub mod holdout;
pub mod ncf_files;
pub mod scale;
pub mod split;
pub mod synthetic;
pub mod validation;

pub use csr::{Csr, row_contains};
pub use dataset::{Dataset, TestSet};
