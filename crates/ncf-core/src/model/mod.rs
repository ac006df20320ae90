//! Models trained with binary cross-entropy on sampled negatives (He et al., WWW'17, eq. 7):
//!
//! - **GMF** (§3.2, eq. 9–10): `z = hᵀ(p_u ⊙ q_i) + b`.
//! - **MF**, the dot-product baseline of Rendle et al. (RecSys'20, "Neural Collaborative
//!   Filtering vs. Matrix Factorization Revisited"): `z = p_u · q_i + b_u + b_i + b`.
//! - **MLP** (§3.3, eq. 10): `z = hᵀ a_L + b`, `a_l = ReLU(W_l a_{l−1} + b_l)`,
//!   `a_0 = [p_u ; q_i]` (see the CPU backend's `tower.rs`).
//! - **NeuMF** (§3.4, eq. 11–12): GMF and MLP with their own embeddings, fused before one
//!   predict layer: `z = hᵀ[p_u ⊙ q_i ; a_L] + b`.
//!
//! Parameters live in one flat `f32` vector: GMF `[P (U×F) | Q (I×F) | h (F) | b]`, MF
//! `[P | Q | b_user (U) | b_item (I) | b]`, NeuMF `[P | Q | P_mlp (U×E) | Q_mlp (I×E) |
//! T_user | T_item | W_1 | b_1 | … | W_L | b_L | h (F + L_L) | b]` (W in PyTorch's `out × in`
//! layout; `T` the side-feature tables, empty without features), MLP the same with F = 0.
//! With `biases` (always for MF, an option for the others) the user and item biases
//! `b_user (U) | b_item (I)` sit between `h` and `b`, and z gains `b_u + b_i`. The GPU buffers
//! use the same layout, so weights move between backends as one copy; the global bias is
//! always the last value.
//!
//! This folder holds the model's data only; the math that reads it is a backend's
//! (`cpu/` on the CPU, `ncf-gpu`'s kernels on the GPU).
//!
//! # Files
//! - [`kind`]: [`ModelKind`] (GMF, MF, MLP, NeuMF) and the [`Tower`] widths.
//! - [`features`]: [`FeatureInputs`] (tower, GMF branch, both), [`FeatureDims`], [`ModelFeatures`].
//! - [`layout`]: the flat parameter [`Layout`], where every block lives in the one vector both
//!   backends share.
//! - [`params`]: [`Params`]: initialisation, checked construction, features attached, cold-start rows.
//! - [`objective`]: [`Objective`] (BCE or squared rating error), [`sigmoid`], [`bce_with_logits`].
//! - [`pretrained`]: NeuMF-pre from a GMF and an MLP ([`neumf_from_pretrained`], a params
//!   transform), and their Adam moments carried into its layout ([`neumf_moment_from_pretrained`]).
//!
//! May import [`crate::error`] and [`crate::features`], never [`crate::cpu`]. Inside: `kind` ←
//! `features` ← `layout` ← `params` ← `pretrained`.

pub mod features;
pub mod kind;
pub mod layout;
pub mod objective;
pub mod params;
pub mod pretrained;

pub use features::{FeatureDims, FeatureInputs, ModelFeatures};
pub use kind::{MAX_TOWER, ModelKind, Tower};
pub use layout::Layout;
pub use objective::{Objective, bce_with_logits, sigmoid};
pub use params::Params;
pub use pretrained::{neumf_from_pretrained, neumf_moment_from_pretrained};
