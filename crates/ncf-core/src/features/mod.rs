//! Side features of users and items: tables as read from files ([`read`]) and their encoding
//! for a model ([`set`]), and cold-start descriptions (`describe`).
//!
//! # Files
//! - [`read`]: feature tables from files: generic CSV/TSV with a column spec, MovieLens
//!   `u.item`/`movies.dat`/`u.user`/`users.dat`, the missing-value policy (tests in `read_tests.rs`).
//! - [`set`]: [`FeatureSet`]: the tables encoded for a model, one slot per column, weighted bags,
//!   training statistics.
//! - [`describe`]: cold start: the bags of users and items described by their feature values
//!   ([`FeatureSet::describe`], [`FeatureSet::describe_json`]), and the set with them appended.
//!
//! - [`options`]: `Features.fromFile`'s options ([`options::FeatureFile`]) and
//!   `withFeatures`' width, from the caller's JSON.
//!
//! May import `crate::{error, options, raw}`. Inside: `set` → `read`; `describe` → `set`, `read`.

mod describe;
pub mod options;
pub mod read;
pub mod set;

pub use read::*;
pub use set::*;
