//! Each sample's gradient of its own embedding rows, computed apart from the shared gradient
//! buffer so that pieces of a batch can compute them in parallel ([`super::step`]); shards
//! then add them into the buffer in sample order ([`super::shards`]).
//!
//! The values are the addends [`super::factorization`]'s `accumulate_grad` (GMF, MF) and
//! [`super::tower::backward_rows`] (MLP, NeuMF) add, computed by the same expressions, so a
//! step through here gives the same bits as through them. Side features are not covered:
//! their bags scatter into shared tables, and those models take the serial path.

use super::scoring::{bias_terms, gmf_term};

/// The bias part of one sample, as `scoring::bias_grads` adds it: pushes the addends of `b_u`
/// and `b_i` and returns `b_u² + b_i²` (nothing and 0 without biases).
#[inline]
fn bias_part(p: &Params, u: u32, i: u32, d: f32, r: f32, out: &mut RowGrads) -> f32 {
    let l = p.layout;
    if !l.biases {
        return 0.0;
    }
    let (bu, bi) = (p.data[l.user_bias_offset() + u as usize], p.data[l.item_bias_offset() + i as usize]);
    out.du.push(d + r * bu);
    out.di.push(d + r * bi);
    bu * bu + bi * bi
}
use super::tower::Backprop;
use crate::model::{ModelKind, Objective, Params};

/// One piece's per-sample row gradients (reused across steps; resized, never shrunk).
#[derive(Default)]
pub struct RowGrads {
    /// `rows × (f + e)`: the addend of the user's GMF row `p_u` (f values), then of its MLP
    /// row (e values).
    pub user: Vec<f32>,
    /// `rows × (f + e)`: the same for the item's `q_i` and MLP row.
    pub item: Vec<f32>,
    /// `rows × f`: the addend of the GMF predict weights `h_g` (`d·p⊙q`); empty for MF.
    pub head: Vec<f32>,
    /// `d = scale·∂ℓ/∂z` of each sample: the addend of `b`.
    pub d: Vec<f32>,
    /// The addends of `b_u` and `b_i`: `d` plus their L2 term (`scoring::bias_grads`); empty
    /// without biases.
    pub du: Vec<f32>,
    pub di: Vec<f32>,
    /// Each sample's loss with the L2 of the rows it uses.
    pub loss: Vec<f32>,
}

impl RowGrads {
    fn reset(&mut self, rows: usize, f: usize, e: usize, with_h: bool) {
        self.user.resize(rows * (f + e), 0.0);
        self.item.resize(rows * (f + e), 0.0);
        self.head.resize(if with_h { rows * f } else { 0 }, 0.0);
        self.d.clear();
        self.du.clear();
        self.di.clear();
        self.loss.clear();
    }
}

/// Whether a layout's rows can go through here: no side features anywhere.
pub fn covers(p: &Params) -> bool {
    let l = p.layout;
    l.features.inputs().is_none() && l.embeddings_end() == l.user_feature_offset()
}

/// The GMF-branch part of one sample (GMF, MF, NeuMF), `k`-th factor by factor as
/// `scoring::gmf_branch_grad`: writes the addends of `p_u`, `q_i` and `h_g` and returns
/// `‖p_u‖² + ‖q_i‖²`.
#[inline]
#[allow(clippy::too_many_arguments)]
fn gmf_part(p: &Params, u: u32, i: u32, d: f32, r: f32, gu: &mut [f32], gi: &mut [f32], gh: &mut [f32]) -> f32 {
    let l = p.layout;
    let f = l.factors as usize;
    let (pu, qi) = (&p.data[u as usize * f..][..f], &p.data[l.item_offset() + i as usize * f..][..f]);
    let with_h = l.kind != ModelKind::Mf;
    let h = &p.data[l.head_offset()..][..if with_h { f } else { 0 }];
    let mut norm = 0f32;
    for k in 0..f {
        let hk = if with_h { h[k] } else { 1.0 };
        let (p0, q0) = (pu[k], qi[k]);
        gu[k] = d * hk * q0 + r * p0;
        gi[k] = d * hk * p0 + r * q0;
        if with_h {
            gh[k] = d * p0 * q0;
        }
        norm += p0 * p0 + q0 * q0;
    }
    norm
}

/// GMF and MF: scores each sample and writes its row gradients, as `accumulate_grad` adds them
/// (`l2` is the per-occurrence L2 λ, `scale` the batch mean's 1/n).
#[allow(clippy::too_many_arguments)]
pub fn factor_rows(
    p: &Params,
    users: &[u32],
    items: &[u32],
    labels: &[f32],
    scale: f32,
    l2: f32,
    objective: Objective,
    out: &mut RowGrads,
) {
    let l = p.layout;
    let f = l.factors as usize;
    let with_h = l.kind != ModelKind::Mf;
    out.reset(users.len(), f, 0, with_h);
    let h = with_h.then(|| &p.data[l.head_offset()..][..f]);
    let r = 2.0 * l2 * scale;
    for t in 0..users.len() {
        let (u, i) = (users[t], items[t]);
        let pu = &p.data[u as usize * f..][..f];
        let qi = &p.data[l.item_offset() + i as usize * f..][..f];
        // `gmf_score` then the biases, as `accumulate_grad` scores.
        let z = gmf_term(-0.0, h, pu, qi) + bias_terms(p, u, i);
        let (sample_loss, dz) = objective.eval(z, labels[t]);
        let d = dz * scale;
        let gh = if with_h { &mut out.head[t * f..][..f] } else { &mut [][..] };
        let norm = gmf_part(p, u, i, d, r, &mut out.user[t * f..][..f], &mut out.item[t * f..][..f], gh);
        let norm = norm + bias_part(p, u, i, d, r, out);
        out.d.push(d);
        out.loss.push(sample_loss + l2 * norm);
    }
}

/// MLP and NeuMF: the row half of the backward pass from a piece's [`Backprop`], as
/// `backward_rows` adds it (GMF branch and `h_g`, the MLP rows from `∂a_0` plus their L2).
/// `a0` is the piece's tower input, `[p_u ; q_i]` per row: the MLP rows' values are read there,
/// where the forward pass just copied them (in cache), rather than from the tables.
#[allow(clippy::too_many_arguments)]
pub fn tower_rows(
    p: &Params,
    users: &[u32],
    items: &[u32],
    a0: &[f32],
    bp: &Backprop,
    l2: f32,
    scale: f32,
    out: &mut RowGrads,
) {
    let l = p.layout;
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let width = l.tower.input() as usize;
    let w = f + e;
    out.reset(users.len(), f, e, f > 0);
    let r2 = 2.0 * l2 * scale;
    for r in 0..users.len() {
        let (u, i) = (users[r], items[r]);
        let d = bp.d[r];
        let (gu, gi) = (&mut out.user[r * w..][..w], &mut out.item[r * w..][..w]);
        let mut norm = gmf_part(p, u, i, d, r2, &mut gu[..f], &mut gi[..f], &mut out.head[r * f..][..f]);
        let (pu, qi) = a0[r * width..][..2 * e].split_at(e);
        let da = &bp.da[r * width..][..2 * e];
        for k in 0..e {
            gu[f + k] = da[k] + r2 * pu[k];
            gi[f + k] = da[e + k] + r2 * qi[k];
        }
        norm += bias_part(p, u, i, d, r2, out);
        norm += pu.iter().chain(qi).map(|x| x * x).sum::<f32>();
        out.d.push(d);
        out.loss.push(bp.loss[r] + l2 * norm);
    }
}
