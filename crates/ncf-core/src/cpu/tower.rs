//! The MLP tower and the NeuMF fusion on the CPU (He et al., WWW'17, §3.3–3.4), batched as
//! matrix products: the CPU backend's training math and the oracle of the GPU's `tower.wgsl`.
//!
//! Forward for a batch of `(u, i)`:
//! - `a_0 = [P_mlp[u] ; Q_mlp[i]]` (eq. 10, concatenation);
//! - `a_l = drop(ReLU(W_l a_{l−1} + b_l))` for each dense layer (eq. 10; dropout is optional
//!   and inverted, after the ReLU, so `a_l > 0` marks exactly the units that pass gradient);
//! - `z = h_gᵀ(p_u ⊙ q_i) + h_mᵀ a_L + b` (eq. 11–12; MLP has no GMF part).
//!
//! The loss is the batch-mean BCE of eq. 7 plus the per-occurrence L2 of every embedding row a
//! sample uses (`l2`), as for GMF and MF in [`super::factorization`].

use super::dense::{Strides, sgemm};
use super::scoring::{bias_grads, bias_terms, gmf_branch_grad, gmf_rows, gmf_term};
use crate::model::{Objective, Params};
use crate::train::DropoutSpec;

/// Activations of a batch: `acts[0]` is the concatenated embeddings, `acts[l]` the output of
/// layer `l` (row-major, one row per sample); `z` the logits; `scales[l]` is layer `l`'s
/// inverted-dropout scale (1 without dropout). Reused across steps by [`forward_into`].
#[derive(Default)]
pub struct Forward {
    pub acts: Vec<Vec<f32>>,
    pub scales: Vec<f32>,
    pub z: Vec<f32>,
}

/// Rows per forward/backward pass on the CPU: bounds the activation memory of any batch size
/// (the widest tower, 4096, keeps a pass near 100 MiB).
pub const CHUNK_ROWS: usize = 1024;

/// Forward pass of an MLP or NeuMF over a batch.
pub fn forward(p: &Params, users: &[u32], items: &[u32], dropout: Option<DropoutSpec>) -> Forward {
    forward_rows(p, users, items, dropout, 0)
}

/// Forward pass over rows `row0 ..` of a batch (`row0` places them in the dropout masks, which
/// are drawn per batch row).
pub fn forward_rows(p: &Params, users: &[u32], items: &[u32], dropout: Option<DropoutSpec>, row0: usize) -> Forward {
    let mut fwd = Forward::default();
    forward_into(p, users, items, dropout, row0, &mut fwd);
    fwd
}

/// [`forward_rows`] into `fwd`'s buffers (resized, never shrunk: no allocation once warm).
pub fn forward_into(
    p: &Params,
    users: &[u32],
    items: &[u32],
    dropout: Option<DropoutSpec>,
    row0: usize,
    fwd: &mut Forward,
) {
    let l = p.layout;
    let t = l.tower;
    let rows = users.len();
    let e = t.embedding() as usize;
    let width = t.input() as usize;
    fwd.acts.resize_with(t.layers() + 1, Vec::new);
    fwd.scales.clear();
    fwd.scales.push(1.0);
    let x0 = &mut fwd.acts[0];
    x0.resize(rows * width, 0.0);
    let fd = l.features;
    let tower_features = p.features.as_deref().filter(|_| fd.inputs().is_some_and(|i| i.tower()));
    for r in 0..rows {
        let (u, i) = (users[r] as usize, items[r] as usize);
        x0[r * width..][..e].copy_from_slice(&p.data[l.mlp_user_offset() + u * e..][..e]);
        x0[r * width + e..][..e].copy_from_slice(&p.data[l.mlp_item_offset() + i * e..][..e]);
        // a_0 = [p_u ; q_i ; f_u ; f_i]: side features join the tower input (the anime NCF).
        if let Some(f) = tower_features {
            let row = &mut x0[r * width + 2 * e..(r + 1) * width];
            row.fill(0.0);
            if let Some(s) = &f.users {
                s.gather(u as u32, &p.data[l.user_feature_offset()..][..fd.user_table as usize], row);
            }
            if let Some(s) = &f.items {
                let out = &mut row[fd.user_width as usize..];
                s.gather(i as u32, &p.data[l.item_feature_offset()..][..fd.item_table as usize], out);
            }
        }
    }
    for layer in 1..=t.layers() {
        let (inp, out) = t.dims(layer);
        let w = &p.data[l.weight_offset(layer)..][..out * inp];
        let bias = &p.data[l.layer_bias_offset(layer)..][..out];
        let (done, next) = fwd.acts.split_at_mut(layer);
        let (x, y) = (&done[layer - 1], &mut next[0]);
        y.resize(rows * out, 0.0);
        // y = x Wᵀ (W is out × in, so Wᵀ is W read with transposed strides); beta = 0, so y's
        // old contents are never read.
        sgemm(rows, inp, out, x, Strides::row_major(inp), w, Strides::transposed(inp), 0.0, y, Strides::row_major(out));
        // Fused bias + ReLU + dropout in one pass over y: (x Wᵀ) + b is the same sum as
        // b + x Wᵀ, so this equals adding the bias first.
        let mask = dropout.map(|d| d.layer(layer));
        fwd.scales.push(mask.map_or(1.0, |d| d.scale()));
        for (r, yr) in y.chunks_exact_mut(out).enumerate() {
            match mask {
                None => yr.iter_mut().zip(bias).for_each(|(v, &b)| *v = (*v + b).max(0.0)),
                Some(d) => {
                    for (o, (v, &b)) in yr.iter_mut().zip(bias).enumerate() {
                        let a = (*v + b).max(0.0);
                        *v = if d.keeps(row0 + r, o) { a * d.scale() } else { 0.0 };
                    }
                }
            }
        }
    }
    let last = t.output() as usize;
    let a_last = &fwd.acts[t.layers()];
    fwd.z.clear();
    fwd.z.extend((0..rows).map(|r| head_logit(p, users[r], items[r], &a_last[r * last..])));
}

/// `z = h_gᵀ(p_u ⊙ q_i) + h_mᵀ a_L + b` for one sample whose last activations start `a_last`.
fn head_logit(p: &Params, u: u32, i: u32, a_last: &[f32]) -> f32 {
    let l = p.layout;
    let f = l.factors as usize;
    let h = &p.data[l.head_offset()..][..l.h_len()];
    let (pu, qi) = gmf_rows(p, u, i);
    let mut z = gmf_term(0.0, Some(&h[..f]), &pu, &qi);
    for (k, &a) in a_last[..l.tower.output() as usize].iter().enumerate() {
        z += h[f + k] * a;
    }
    z + bias_terms(p, u, i)
}

/// The per-row products of a backward pass (reused across steps): `d[r] = scale·∂ℓ/∂z`, each
/// sample's loss before L2, and `da`, the gradient of the current layer's activations, which
/// ends as `∂a_0` (rows × input width).
#[derive(Default)]
pub struct Backprop {
    pub d: Vec<f32>,
    pub loss: Vec<f32>,
    pub da: Vec<f32>,
    dz: Vec<f32>,
}

/// The dense half of the backward pass: adds the tower's and `h_m`'s gradients into `dense`
/// (the gradient of the parameters from `embeddings_end` to the user biases: the tower, then
/// `h`) and leaves each row's `d`, loss and `∂a_0` in `bp`. With `d = σ(z) − y`:
/// `∂/∂h_m = d·a_L`, `∂/∂a_L = d·h_m`, then through each layer `dz = ∂a ⊙ [a > 0] / (1−p)`,
/// `∂W = dzᵀ a_{l−1}`, `∂b_l = Σ dz`, `∂a_{l−1} = dz W`.
#[allow(clippy::too_many_arguments)]
pub fn backward_dense(
    p: &Params,
    fwd: &Forward,
    labels: &[f32],
    scale: f32,
    objective: Objective,
    dense: &mut [f32],
    bp: &mut Backprop,
) {
    let l = p.layout;
    let t = l.tower;
    let rows = labels.len();
    let (f, last, eo) = (l.factors as usize, t.output() as usize, l.embeddings_end());
    let hm = &p.data[l.head_offset() + f..][..last];
    let (d, loss) = (&mut bp.d, &mut bp.loss);
    d.clear();
    loss.clear();
    for (&z, &y) in fwd.z.iter().zip(labels) {
        let (sample_loss, dz) = objective.eval(z, y);
        d.push(dz * scale);
        loss.push(sample_loss);
    }
    let a_last = &fwd.acts[t.layers()];
    bp.da.resize(rows * last, 0.0);
    let ghm = &mut dense[l.head_offset() - eo + f..][..last];
    for (r, &dr) in d.iter().enumerate() {
        let (ar, dar) = (&a_last[r * last..][..last], &mut bp.da[r * last..][..last]);
        for k in 0..last {
            ghm[k] += dr * ar[k];
            dar[k] = dr * hm[k];
        }
    }
    for layer in (1..=t.layers()).rev() {
        let (inp, out) = t.dims(layer);
        let (y, x) = (&fwd.acts[layer], &fwd.acts[layer - 1]);
        // Kept units carry dropout's 1/(1−p); which were kept (and active) is read from a_l > 0.
        let s = fwd.scales[layer];
        // Written in place rather than `extend`ed (a pushing loop does not vectorise), and
        // masked by bits rather than branched on: ReLU's pattern is random, and the branch's
        // mispredictions cost ~8 % of an f64 epoch (`perf`). Same bits: +0.0 where a ≤ 0.
        bp.dz.resize(y.len(), 0.0);
        for ((z, &g), &v) in bp.dz.iter_mut().zip(&bp.da).zip(y) {
            let keep = 0u32.wrapping_sub(u32::from(v > 0.0));
            *z = f32::from_bits((g * s).to_bits() & keep);
        }
        let dz = &bp.dz;
        let (wo, bo) = (l.weight_offset(layer) - eo, l.layer_bias_offset(layer) - eo);
        // ∂W += dzᵀ x: (out × rows) · (rows × in)
        let gw = &mut dense[wo..wo + out * inp];
        sgemm(
            out,
            rows,
            inp,
            dz,
            Strides::transposed(out),
            x,
            Strides::row_major(inp),
            1.0,
            gw,
            Strides::row_major(inp),
        );
        let gb = &mut dense[bo..bo + out];
        for dzr in dz.chunks_exact(out) {
            gb.iter_mut().zip(dzr).for_each(|(g, &v)| *g += v);
        }
        let w = &p.data[l.weight_offset(layer)..][..out * inp];
        bp.da.resize(rows * inp, 0.0);
        let dx = &mut bp.da;
        sgemm(
            rows,
            out,
            inp,
            dz,
            Strides::row_major(out),
            w,
            Strides::row_major(inp),
            0.0,
            dx,
            Strides::row_major(inp),
        );
    }
}

/// The row half of the backward pass: adds each sample's gradient of its own rows (GMF branch
/// and `h_g` as in GMF, `b_u`, `b_i`, `b`, the MLP embedding rows from `∂a_0` plus their L2,
/// the tower's side features) into `grads`, one sample after another; returns the summed loss
/// with the per-occurrence L2 of every embedding row a sample uses.
#[allow(clippy::too_many_arguments)]
pub fn backward_rows(
    p: &Params,
    users: &[u32],
    items: &[u32],
    bp: &Backprop,
    l2: f32,
    scale: f32,
    grads: &mut [f32],
) -> f64 {
    let l = p.layout;
    let t = l.tower;
    let e = t.embedding() as usize;
    let width = t.input() as usize;
    let r2 = 2.0 * l2 * scale;
    let fd = l.features;
    let tower_features = p.features.as_deref().filter(|_| fd.inputs().is_some_and(|i| i.tower()));
    let mut loss = 0f64;
    for r in 0..users.len() {
        let (u, i) = (users[r], items[r]);
        let d = bp.d[r];
        let (pt, qt) = gmf_rows(p, u, i);
        let mut norm = gmf_branch_grad(p, grads, u, i, (&pt, &qt), d, r2);
        norm += bias_grads(p, grads, u, i, d, r2);
        let (mu, mi) = (l.mlp_user_offset() + u as usize * e, l.mlp_item_offset() + i as usize * e);
        let da = &bp.da[r * width..(r + 1) * width];
        for k in 0..e {
            let (pu, qi) = (p.data[mu + k], p.data[mi + k]);
            grads[mu + k] += da[k] + r2 * pu;
            grads[mi + k] += da[e + k] + r2 * qi;
        }
        norm += p.data[mu..mu + e].iter().chain(&p.data[mi..mi + e]).map(|x| x * x).sum::<f32>();
        loss += (bp.loss[r] + l2 * norm) as f64;
        if let Some(f) = tower_features {
            let dx = &da[2 * e..];
            if let Some(s) = &f.users {
                s.scatter(u, dx, &mut grads[l.user_feature_offset()..][..fd.user_table as usize]);
            }
            if let Some(s) = &f.items {
                let g = &mut grads[l.item_feature_offset()..][..fd.item_table as usize];
                s.scatter(i, &dx[fd.user_width as usize..], g);
            }
        }
    }
    loss
}

/// Backward pass: adds `scale · ∂ℓ/∂θ` of every sample into `grads` and returns the summed
/// loss: [`backward_dense`] straight into the tower's gradients, then [`backward_rows`].
#[allow(clippy::too_many_arguments)]
pub fn backward(
    p: &Params,
    fwd: &Forward,
    users: &[u32],
    items: &[u32],
    labels: &[f32],
    scale: f32,
    l2: f32,
    objective: Objective,
    grads: &mut [f32],
) -> f64 {
    let l = p.layout;
    let mut bp = Backprop::default();
    backward_dense(p, fwd, labels, scale, objective, &mut grads[l.embeddings_end()..l.user_bias_offset()], &mut bp);
    backward_rows(p, users, items, &bp, l2, scale, grads)
}

#[cfg(test)]
#[path = "tower_tests.rs"]
pub(crate) mod tests;
