//! The options `NativeDataset`'s constructors and `split` take, and their conversions: column
//! specs, timestamps and rating arrays checked with the field they came from.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::raw::{Column, ReadLimits};

use crate::convert;
use crate::errors::{Result, to_napi};
use crate::modes::{FileFormat, SplitMethodName};

#[napi(object)]
pub struct NcfFilesOptions {
    pub train: String,
    pub test_rating: Option<String>,
    pub test_negative: Option<String>,
    pub num_users: Option<f64>,
    pub num_items: Option<f64>,
}

#[napi(object)]
pub struct SyntheticOptions {
    pub num_users: f64,
    pub num_items: f64,
    pub per_user: f64,
    pub clusters: f64,
    pub test_negatives: f64,
    pub seed: f64,
}

/// A named size of `Dataset.syntheticAtScale`.
#[napi(string_enum)]
pub enum ScaleSize {
    /// MovieLens-20M: 138,493 users, 26,744 items, 20,000,263 interactions.
    #[napi(value = "ml-20m")]
    Ml20m,
    /// The Netflix Prize: 480,189 users, 17,770 films, 100,480,507 ratings.
    #[napi(value = "netflix")]
    Netflix,
}

/// `Dataset.syntheticAtScale`: a size by name, and any field overriding it.
#[napi(object)]
pub struct ScaleOptions {
    pub size: Option<ScaleSize>,
    pub num_users: Option<f64>,
    pub num_items: Option<f64>,
    pub interactions: Option<f64>,
    pub min_per_user: Option<f64>,
    pub clusters: Option<f64>,
    pub in_cluster: Option<f64>,
    pub test_users: Option<f64>,
    pub test_negatives: Option<f64>,
    pub seed: Option<f64>,
}

/// How to read an interaction file (`Dataset.fromFile`).
#[napi(object)]
pub struct FileOptions {
    /// 'csv' | 'movielens' | 'netflix'
    pub format: FileFormat,
    pub delimiter: Option<String>,
    pub header: Option<bool>,
    pub user: Option<Either<String, f64>>,
    pub item: Option<Either<String, f64>>,
    pub rating: Option<Either<String, f64>>,
    pub timestamp: Option<Either<String, f64>>,
    pub threshold: Option<f64>,
    /// A separate test file in the same format (ids encoded over both files).
    pub test: Option<String>,
    /// Sampled negatives per test case of `test` (0: rating metrics only).
    pub test_negatives: Option<f64>,
    pub seed: Option<f64>,
    /// Bytes after decompression and bytes per line (`ncf_core::raw::ReadLimits`).
    pub max_bytes: Option<f64>,
    pub max_line_bytes: Option<f64>,
}

/// The read limits of `FileOptions`, defaults where unset.
pub(crate) fn read_limits(opts: &FileOptions) -> Result<ReadLimits> {
    let d = ReadLimits::default();
    let get = |field: &str, v: Option<f64>, default: u64| -> Result<u64> {
        match v {
            None => Ok(default),
            Some(x) if x.is_finite() && x >= 1.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0 => Ok(x as u64),
            Some(x) => Err(to_napi(NcfError::invalid(field, format!("must be a positive integer of bytes, got {x}")))),
        }
    };
    Ok(ReadLimits {
        max_bytes: get("maxBytes", opts.max_bytes, d.max_bytes)?,
        max_line_bytes: get("maxLineBytes", opts.max_line_bytes, d.max_line_bytes)?,
    })
}

/// Optional columns of `Dataset.fromArrays`.
#[napi(object)]
pub struct ArrayExtras {
    /// Per interaction, any integer clock (seconds or milliseconds); orders the splits.
    pub timestamps: Option<Float64Array>,
    pub ratings: Option<Float32Array>,
    /// Keep interactions rated at least this (needs `ratings`).
    pub threshold: Option<f64>,
}

pub(crate) fn timestamps(t: &[f64]) -> Result<Vec<i64>> {
    t.iter()
        .enumerate()
        .map(|(k, &x)| {
            if x.is_finite() && x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
                Ok(x as i64)
            } else {
                Err(to_napi(NcfError::invalid(format!("timestamps[{k}]"), format!("must be an integer, got {x}"))))
            }
        })
        .collect()
}

/// The ratings (kept for `task: 'rating'`) and the threshold of an implicit conversion.
pub(crate) fn rated(extra: &ArrayExtras) -> Result<Option<(Vec<f32>, Option<f32>)>> {
    match (&extra.ratings, extra.threshold) {
        (None, None) => Ok(None),
        (Some(r), None) => Ok(Some((r.to_vec(), None))),
        (Some(r), Some(t)) if t.is_finite() => Ok(Some((r.to_vec(), Some(t as f32)))),
        (Some(_), Some(t)) => Err(to_napi(NcfError::invalid("threshold", format!("must be a finite number, got {t}")))),
        (None, Some(_)) => Err(to_napi(NcfError::invalid("threshold", "needs ratings"))),
    }
}

/// How `Dataset.split` holds interactions out.
#[napi(object)]
pub struct SplitOptions {
    /// 'leave-one-out' | 'random' | 'time'
    pub method: SplitMethodName,
    pub test_ratio: Option<f64>,
    pub validation_ratio: Option<f64>,
    /// Leave-one-out: also hold out the next latest interaction as a validation case.
    pub validation: Option<bool>,
    pub negatives: f64,
    pub seed: f64,
}

/// A column of `columns`, or `default` (an index) when it is not given.
pub(crate) fn column(field: &str, c: Option<Either<String, f64>>, default: Option<usize>) -> Result<Option<Column>> {
    match c {
        Some(c) => convert::column(&format!("columns.{field}"), c).map(Some),
        None => Ok(default.map(Column::Index)),
    }
}
