//! Side-feature tables for the TypeScript `Features` class: read here, kept as read (the
//! encoding into embedding tables belongs to the models).

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::features::{
    FeatureKind, FeatureSpec, FeatureValue, RawFeatures, read_feature_csv, read_movielens_items, read_movielens_users,
};
use ncf_core::raw::Column;

use crate::convert::column;
use crate::errors::{IntoNapi, Result, to_napi};
use crate::job::Job;
use crate::modes::FeatureFormat;

/// How to read a feature file (`Features.fromFile`).
#[napi(object)]
pub struct FeatureFileOptions {
    /// 'csv' | 'movielens-items' | 'movielens-users'
    pub format: FeatureFormat,
    pub delimiter: Option<String>,
    pub header: Option<bool>,
    pub id: Option<Either<String, f64>>,
    /// Multi-valued columns and their in-field separators (parallel arrays).
    pub multi: Option<Vec<Either<String, f64>>>,
    pub multi_separators: Option<Vec<String>>,
    pub categorical: Option<Vec<Either<String, f64>>>,
    pub numeric: Option<Vec<Either<String, f64>>>,
}

#[napi]
pub struct NativeFeatures {
    pub(crate) inner: Arc<RawFeatures>,
    index: Arc<HashMap<String, usize>>,
}

fn columns(field: &str, v: Option<Vec<Either<String, f64>>>) -> Result<Vec<Column>> {
    v.unwrap_or_default().into_iter().enumerate().map(|(k, c)| column(&format!("{field}[{k}]"), c)).collect()
}

#[napi]
impl NativeFeatures {
    #[napi(ts_return_type = "Promise<NativeFeatures>")]
    pub fn from_file(path: String, opts: FeatureFileOptions) -> Result<AsyncTask<Job<NativeFeatures>>> {
        let csv_only = [
            ("delimiter", opts.delimiter.is_some()),
            ("header", opts.header.is_some()),
            ("id", opts.id.is_some()),
            ("multi", opts.multi.is_some()),
            ("categorical", opts.categorical.is_some()),
            ("numeric", opts.numeric.is_some()),
        ];
        let spec = match opts.format {
            FeatureFormat::Csv => {
                let delimiter = match opts.delimiter.as_deref().unwrap_or(",").as_bytes() {
                    [d] => *d,
                    b"\\t" => b'\t',
                    _ => return Err(to_napi(NcfError::invalid("delimiter", "must be one ASCII character"))),
                };
                let multi = columns("multi", opts.multi)?;
                let seps = opts.multi_separators.unwrap_or_default();
                if seps.len() != multi.len() {
                    return Err(to_napi(NcfError::invalid("multi", "every multi-valued column needs its separator")));
                }
                let mut pairs = Vec::with_capacity(multi.len());
                for (k, (c, s)) in multi.into_iter().zip(seps).enumerate() {
                    let mut chars = s.chars();
                    match (chars.next(), chars.next()) {
                        (Some(ch), None) => pairs.push((c, ch)),
                        _ => {
                            return Err(to_napi(NcfError::invalid(
                                format!("multi[{k}].separator"),
                                format!("must be one character, got '{s}'"),
                            )));
                        }
                    }
                }
                Some(FeatureSpec {
                    delimiter,
                    has_header: opts.header.unwrap_or(true),
                    id: column("id", opts.id.unwrap_or(Either::B(0.0)))?,
                    multi: pairs,
                    categorical: columns("categorical", opts.categorical)?,
                    numeric: columns("numeric", opts.numeric)?,
                })
            }
            FeatureFormat::MovielensItems | FeatureFormat::MovielensUsers => {
                if let Some((name, _)) = csv_only.iter().find(|c| c.1) {
                    return Err(to_napi(NcfError::invalid(
                        *name,
                        format!("applies to format 'csv'; '{}' has a fixed layout", opts.format.name()),
                    )));
                }
                None
            }
        };
        let format = opts.format;
        Ok(Job::spawn(move || {
            let p = std::path::Path::new(&path);
            let raw = match (format, &spec) {
                (FeatureFormat::MovielensItems, _) => read_movielens_items(p),
                (FeatureFormat::MovielensUsers, _) => read_movielens_users(p),
                (_, Some(s)) => read_feature_csv(p, s),
                _ => unreachable!("the format was checked"),
            }
            .napi()?;
            let index = raw.ids.iter().enumerate().map(|(k, id)| (id.clone(), k)).collect();
            Ok(NativeFeatures { inner: Arc::new(raw), index: Arc::new(index) })
        }))
    }

    /// Column names, in declaration order.
    #[napi(getter)]
    pub fn names(&self) -> Vec<String> {
        self.inner.names.clone()
    }

    /// Column kinds: 'multi', 'categorical' or 'numeric'.
    #[napi(getter)]
    pub fn kinds(&self) -> Vec<String> {
        self.inner
            .kinds
            .iter()
            .map(|k| match k {
                FeatureKind::Multi => "multi",
                FeatureKind::Categorical => "categorical",
                FeatureKind::Numeric => "numeric",
            })
            .map(String::from)
            .collect()
    }

    #[napi(getter)]
    pub fn ids(&self) -> Vec<String> {
        self.inner.ids.clone()
    }

    /// The row of `id` as JSON (`{ column: value }`, missing values as null), or null.
    #[napi]
    pub fn row_json(&self, id: String) -> Option<String> {
        let r = *self.index.get(&id)?;
        let mut m = serde_json::Map::new();
        for (name, v) in self.inner.names.iter().zip(&self.inner.rows[r]) {
            let value = match v {
                FeatureValue::Multi(list) => serde_json::json!(list),
                FeatureValue::Categorical(c) => serde_json::json!(c),
                FeatureValue::Numeric(x) => serde_json::json!(x),
            };
            m.insert(name.clone(), value);
        }
        Some(serde_json::Value::Object(m).to_string())
    }
}
