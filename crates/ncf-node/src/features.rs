//! Side-feature tables for the TypeScript `Features` class: read here, kept as read (the
//! encoding into embedding tables belongs to the models).

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::features::options::FeatureFile;
use ncf_core::features::{FeatureKind, FeatureValue, RawFeatures};

use crate::errors::{IntoNapi, Result};
use crate::job::Job;

#[napi]
pub struct NativeFeatures {
    pub(crate) inner: Arc<RawFeatures>,
    index: Arc<HashMap<String, usize>>,
}

#[napi]
impl NativeFeatures {
    /// Reads a feature table; `options` is `Features.fromFile`'s object as JSON (the core reads it).
    #[napi(ts_return_type = "Promise<NativeFeatures>")]
    pub fn from_file(path: String, options: String) -> Result<AsyncTask<Job<NativeFeatures>>> {
        let file = FeatureFile::from_json(&options).napi()?;
        Ok(Job::spawn(move || {
            let raw = file.read_file(std::path::Path::new(&path)).napi()?;
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
