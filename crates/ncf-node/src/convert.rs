//! JS values the binding checks before converting them: optional integers and CSV columns.
//! Every error names the field it came from.

use napi::bindgen_prelude::Either;
use ncf_core::NcfError;
use ncf_core::raw::Column;

use crate::errors::{Result, to_napi, to_u32};

/// An optional JS number that must be a non-negative integer within u32.
pub(crate) fn opt_u32(field: &str, v: Option<f64>) -> Result<Option<u32>> {
    v.map(|x| to_u32(field, x)).transpose()
}

/// A CSV column, by its header name or its 0-based index.
pub(crate) fn column(field: &str, c: Either<String, f64>) -> Result<Column> {
    match c {
        Either::A(name) => Ok(Column::Name(name)),
        Either::B(i) if i.is_finite() && i >= 0.0 && i.fract() == 0.0 => Ok(Column::Index(i as usize)),
        Either::B(i) => {
            Err(to_napi(NcfError::invalid(field, format!("must be a column name or a 0-based index, got {i}"))))
        }
    }
}
