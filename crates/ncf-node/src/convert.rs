//! JS values the binding checks before converting them: CSV columns.
//! Every error names the field it came from.

use napi::bindgen_prelude::Either;
use ncf_core::NcfError;
use ncf_core::raw::Column;

use crate::errors::{Result, to_napi};

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
