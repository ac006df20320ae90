//! The terms every score shares, the twin of `ncf-gpu`'s `scoring.wgsl`: the GMF-branch rows
//! of a pair (embeddings plus GMF-branch side features), the GMF term `hᵀ(p̃ ⊙ q̃)` and its
//! gradient, and the bias terms `b_u + b_i + b`. GMF and MF ([`super::factorization`]) and
//! NeuMF's head ([`super::tower`]) all score through these, so the term is written once.

use std::borrow::Cow;

use crate::features::FeatureSet;
use crate::model::{ModelKind, Params};

/// The GMF-branch (or MF) vectors of a pair: the embedding rows `p_u`, `q_i`, plus the sums
/// of their GMF-branch feature vectors when the model has them.
#[inline]
pub fn gmf_rows(p: &Params, u: u32, i: u32) -> (Cow<'_, [f32]>, Cow<'_, [f32]>) {
    let l = p.layout;
    let f = l.factors as usize;
    let pu = &p.data[u as usize * f..][..f];
    let qi = &p.data[l.item_offset() + i as usize * f..][..f];
    let fd = l.features;
    if fd.gmf_user_table + fd.gmf_item_table == 0 {
        return (Cow::Borrowed(pu), Cow::Borrowed(qi));
    }
    fn side<'a>(row: &'a [f32], set: Option<&FeatureSet>, tables: &[f32], e: u32) -> Cow<'a, [f32]> {
        match set {
            Some(s) if !tables.is_empty() => {
                let mut v = row.to_vec();
                s.gather_sum(e, tables, row.len(), &mut v);
                Cow::Owned(v)
            }
            _ => Cow::Borrowed(row),
        }
    }
    let sets = p.features.as_deref();
    let ut = &p.data[l.gmf_user_feature_offset()..][..fd.gmf_user_table as usize];
    let it = &p.data[l.gmf_item_feature_offset()..][..fd.gmf_item_table as usize];
    (side(pu, sets.and_then(|x| x.users.as_ref()), ut, u), side(qi, sets.and_then(|x| x.items.as_ref()), it, i))
}

/// The GMF term `hᵀ(p̃ ⊙ q̃)` of a pair's [`gmf_rows`] (`h = None`: MF's `p̃ · q̃`), added onto
/// `start` one factor at a time (GMF, MF and NeuMF, He et al. eq. 9 and 11).
///
/// `start` keeps each caller's float result bit for bit: the GMF and MF scores start from
/// `-0.0` (the identity of Rust's float `Sum`, which they were written with), the NeuMF head
/// from `0.0` before it adds the tower's part. The two differ only in the sign of an all-zero sum.
#[inline]
pub fn gmf_term(start: f32, h: Option<&[f32]>, p: &[f32], q: &[f32]) -> f32 {
    let mut z = start;
    match h {
        Some(h) => {
            for k in 0..p.len() {
                z += h[k] * (p[k] * q[k]);
            }
        }
        None => {
            for k in 0..p.len() {
                z += p[k] * q[k];
            }
        }
    }
    z
}

/// Adds one sample's gradient of the GMF term `hᵀ(p̃ ⊙ q̃)` (MF: `p̃ · q̃`, h = 1), with
/// `d = ∂ℓ/∂z` and the L2 term `r·p`, `r·q` on the embedding rows, into `grads`; returns
/// `‖p_u‖² + ‖q_i‖²`. Shared by GMF, MF and NeuMF's GMF branch: ∂/∂p̃ = d·h⊙q̃, ∂/∂q̃ = d·h⊙p̃,
/// ∂/∂h = d·p̃⊙q̃. With GMF-branch features p̃ = p_u + Σ w·G\[row\], so each bag row gets w·∂/∂p̃.
/// `(pt, qt)` are the pair's [`gmf_rows`].
pub fn gmf_branch_grad(
    p: &Params,
    grads: &mut [f32],
    u: u32,
    i: u32,
    (pt, qt): (&[f32], &[f32]),
    d: f32,
    r: f32,
) -> f32 {
    let l = p.layout;
    let f = l.factors as usize;
    let (uo, io, ho) = (u as usize * f, l.item_offset() + i as usize * f, l.head_offset());
    let with_h = l.kind != ModelKind::Mf;
    let fd = l.features;
    let features = fd.gmf_user_table + fd.gmf_item_table > 0;
    let (mut dp, mut dq) = if features { (vec![0f32; f], vec![0f32; f]) } else { (Vec::new(), Vec::new()) };
    let mut norm = 0f32;
    for k in 0..f {
        let h = if with_h { p.data[ho + k] } else { 1.0 };
        let (p0, q0) = (p.data[uo + k], p.data[io + k]);
        let (gp, gq) = (d * h * qt[k], d * h * pt[k]);
        grads[uo + k] += gp + r * p0;
        grads[io + k] += gq + r * q0;
        if with_h {
            grads[ho + k] += d * pt[k] * qt[k];
        }
        norm += p0 * p0 + q0 * q0;
        if features {
            dp[k] = gp;
            dq[k] = gq;
        }
    }
    if features && let Some(sets) = p.features.as_deref() {
        if let Some(s) = &sets.users {
            s.scatter_sum(u, &dp, f, &mut grads[l.gmf_user_feature_offset()..][..fd.gmf_user_table as usize]);
        }
        if let Some(s) = &sets.items {
            s.scatter_sum(i, &dq, f, &mut grads[l.gmf_item_feature_offset()..][..fd.gmf_item_table as usize]);
        }
    }
    norm
}

/// `b_u + b_i + b` (just `b` for a layout without per-entity biases).
#[inline]
pub fn bias_terms(p: &Params, u: u32, i: u32) -> f32 {
    let l = p.layout;
    let b = p.data[l.b_offset()];
    if !l.biases {
        return b;
    }
    p.data[l.user_bias_offset() + u as usize] + p.data[l.item_bias_offset() + i as usize] + b
}

/// Adds the gradients of the bias terms `bias_terms(u, i)` reads: `d` to `b`, and to `b_u`, `b_i`
/// `d` plus the per-occurrence L2 term `r·b` (`r` = 2λ/B), as `mf_simple.py` regularises them
/// (Rendle et al. 2020); returns `b_u² + b_i²`, their share of the L2 loss (0 without biases).
#[inline]
pub fn bias_grads(p: &Params, grads: &mut [f32], u: u32, i: u32, d: f32, r: f32) -> f32 {
    let l = p.layout;
    grads[l.b_offset()] += d;
    if !l.biases {
        return 0.0;
    }
    let (ou, oi) = (l.user_bias_offset() + u as usize, l.item_bias_offset() + i as usize);
    let (bu, bi) = (p.data[ou], p.data[oi]);
    grads[ou] += d + r * bu;
    grads[oi] += d + r * bi;
    bu * bu + bi * bi
}
