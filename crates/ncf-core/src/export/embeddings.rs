//! User and item vectors whose inner product is the model's logit, for maximum-inner-product
//! search in a vector database or an approximate-nearest-neighbour index.
//!
//! A factorisation model's score is z = hᵀ(p_u ⊙ q_i) + b_u + b_i + b (MF and ALS: h = 1; ALS
//! and GMF without biases: b_u = b_i = 0). Two augmented dimensions carry the biases (the
//! standard reduction of a biased dot product to MIPS):
//!
//!   user' = [h ⊙ p_u ; 1 ; b_u + b],   item' = [q_i ; b_i ; 1],   user' · item' = z.
//!
//! MLP and NeuMF score through a tower, which no inner product reproduces, so they are refused:
//! serve them with the ONNX graph (or `recommend`).

use crate::error::{NcfError, Result};
use crate::model::{ModelKind, Params};

/// `(dim, users row-major, items row-major)` with `dim = factors + 2`.
pub fn mips_vectors(params: &Params) -> Result<(usize, Vec<f32>, Vec<f32>)> {
    let l = params.layout;
    if l.kind.is_neural() {
        return Err(NcfError::invalid(
            "exportEmbeddings",
            format!(
                "{} scores through its MLP tower, which no inner product reproduces: serve it with exportOnnx or recommend",
                l.kind.name()
            ),
        ));
    }
    if l.features != Default::default() {
        return Err(NcfError::invalid("exportEmbeddings", "a model with side features cannot be exported"));
    }
    let d = &params.data;
    let (f, dim) = (l.factors as usize, l.factors as usize + 2);
    let h: Vec<f32> = if l.kind == ModelKind::Mf { vec![1.0; f] } else { d[l.head_offset()..][..f].to_vec() };
    let b = d[l.b_offset()];
    let bias = |off: usize, r: usize| if l.biases { d[off + r] } else { 0.0 };
    let mut users = Vec::with_capacity(l.num_users as usize * dim);
    for u in 0..l.num_users as usize {
        users.extend(d[l.user_offset() + u * f..][..f].iter().zip(&h).map(|(p, h)| h * p));
        users.push(1.0);
        users.push(bias(l.user_bias_offset(), u) + b);
    }
    let mut items = Vec::with_capacity(l.num_items as usize * dim);
    for i in 0..l.num_items as usize {
        items.extend_from_slice(&d[l.item_offset() + i * f..][..f]);
        items.push(bias(l.item_bias_offset(), i));
        items.push(1.0);
    }
    Ok((dim, users, items))
}
