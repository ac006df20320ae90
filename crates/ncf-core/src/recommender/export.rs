//! A model's exports for serving elsewhere (`crate::export`), with its name and rating scale.

use std::path::Path;

use super::Recommender;
use crate::error::Result;
use crate::export::{mips_vectors, to_onnx};
use crate::persist::file::write_atomic;

impl Recommender {
    /// The model's name as the API spells it (`ALS` for an MF trained by ALS).
    fn export_name(&self) -> &'static str {
        if self.is_als() { "ALS" } else { self.kind().name() }
    }

    /// The serialized ONNX scoring graph ([`crate::export::onnx`]).
    pub fn onnx(&self) -> Result<Vec<u8>> {
        let params = self.weights()?;
        to_onnx(&params, self.scale_for("exportOnnx")?, self.export_name())
    }

    /// Writes [`Recommender::onnx`] to `path` atomically; returns its size in bytes.
    pub fn export_onnx(&self, path: &Path) -> Result<u64> {
        let bytes = self.onnx()?;
        write_atomic(path, &bytes)?;
        Ok(bytes.len() as u64)
    }

    /// `(dim, users, items)` whose inner products are the logits ([`crate::export::embeddings`]).
    pub fn mips_embeddings(&self) -> Result<(usize, Vec<f32>, Vec<f32>)> {
        mips_vectors(&self.weights()?)
    }
}
