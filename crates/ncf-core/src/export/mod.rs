//! Exports for serving elsewhere: the whole scoring graph as ONNX ([`onnx`]) and,
//! for the factorisation models, user and item vectors for maximum-inner-product search
//! ([`embeddings`]). Both read the CPU-side weights, as a save does.

pub mod embeddings;
pub mod onnx;
mod onnx_proto;

pub use embeddings::mips_vectors;
pub use onnx::to_onnx;

#[cfg(test)]
mod tests;
