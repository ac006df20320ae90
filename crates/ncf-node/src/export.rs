//! Exports for serving elsewhere: the ONNX scoring graph and MIPS vectors. The
//! graphs and vectors are ncf-core's (`export`); this converts and maps errors only.

use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::{IntoNapi, Result};
use crate::job::Job;
use crate::model::NativeModel;

/// User and item vectors whose inner products are the logits (row-major, `dim` wide).
#[napi(object)]
pub struct NativeMips {
    pub dim: u32,
    pub users: Float32Array,
    pub items: Float32Array,
}

#[napi]
impl NativeModel {
    /// Writes the ONNX scoring graph to `path` atomically; resolves to its size in bytes.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn export_onnx(&self, path: String) -> Result<AsyncTask<Job<f64>>> {
        self.inner.weights().napi()?;
        let model = self.inner.clone();
        Ok(Job::spawn(move || Ok(model.export_onnx(&PathBuf::from(path)).napi()? as f64)))
    }

    /// The MIPS vectors of a factorisation model (refused for MLP and NeuMF).
    #[napi]
    pub fn export_embeddings(&self) -> Result<NativeMips> {
        let (dim, users, items) = self.inner.mips_embeddings().napi()?;
        Ok(NativeMips { dim: dim as u32, users: users.into(), items: items.into() })
    }
}

/// Writes `bytes` to `path` as every file of ncf-native is written (atomically, replacing only
/// a regular file, a link written through: `ncf_core::persist::write_atomic`); for the
/// TypeScript layer's own files (training reports).
#[napi]
pub fn write_file_atomic(path: String, bytes: Uint8Array) -> Result<()> {
    ncf_core::persist::write_atomic(&PathBuf::from(path), &bytes).napi()
}
