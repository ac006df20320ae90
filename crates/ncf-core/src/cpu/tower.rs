//! The MLP tower and the NeuMF fusion on the CPU (He et al., WWW'17, §3.3–3.4), batched as
//! matrix products: the CPU backend's training math and the oracle of the GPU's `neural.wgsl`.
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
/// inverted-dropout scale (1 without dropout).
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
    let l = p.layout;
    let t = l.tower;
    let rows = users.len();
    let e = t.embedding() as usize;
    let width = t.input() as usize;
    let mut x0 = vec![0f32; rows * width];
    let fd = l.features;
    for r in 0..rows {
        let (u, i) = (users[r] as usize, items[r] as usize);
        x0[r * width..][..e].copy_from_slice(&p.data[l.mlp_user_offset() + u * e..][..e]);
        x0[r * width + e..][..e].copy_from_slice(&p.data[l.mlp_item_offset() + i * e..][..e]);
        // a_0 = [p_u ; q_i ; f_u ; f_i]: side features join the tower input (the anime NCF).
        if let Some(f) = p.features.as_deref().filter(|_| fd.inputs().is_some_and(|i| i.tower())) {
            let row = &mut x0[r * width + 2 * e..(r + 1) * width];
            if let Some(s) = &f.users {
                s.gather(u as u32, &p.data[l.user_feature_offset()..][..fd.user_table as usize], row);
            }
            if let Some(s) = &f.items {
                let out = &mut row[fd.user_width as usize..];
                s.gather(i as u32, &p.data[l.item_feature_offset()..][..fd.item_table as usize], out);
            }
        }
    }
    let mut acts = vec![x0];
    let mut scales = vec![1.0];
    for layer in 1..=t.layers() {
        let (inp, out) = t.dims(layer);
        let w = &p.data[l.weight_offset(layer)..][..out * inp];
        let bias = &p.data[l.layer_bias_offset(layer)..][..out];
        let mut y = Vec::with_capacity(rows * out);
        for _ in 0..rows {
            y.extend_from_slice(bias);
        }
        // y = x Wᵀ + b (W is out × in, so Wᵀ is W read with transposed strides).
        let x = &acts[layer - 1];
        sgemm(
            rows,
            inp,
            out,
            x,
            Strides::row_major(inp),
            w,
            Strides::transposed(inp),
            1.0,
            &mut y,
            Strides::row_major(out),
        );
        let mask = dropout.map(|d| d.layer(layer));
        scales.push(mask.map_or(1.0, |d| d.scale()));
        for r in 0..rows {
            for o in 0..out {
                let v = &mut y[r * out + o];
                *v = v.max(0.0);
                if let Some(d) = mask {
                    *v = if d.keeps(row0 + r, o) { *v * d.scale() } else { 0.0 };
                }
            }
        }
        acts.push(y);
    }
    let z =
        (0..rows).map(|r| head_logit(p, users[r], items[r], &acts[t.layers()][r * t.output() as usize..])).collect();
    Forward { acts, scales, z }
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

/// Backward pass: adds `scale · ∂ℓ/∂θ` of every sample into `grads` and returns the summed
/// loss. With `d = σ(z) − y`: `∂/∂h_g = d·p⊙q`, `∂/∂h_m = d·a_L`, `∂/∂b = d`; GMF rows as in
/// GMF; `∂/∂a_L = d·h_m`, then through each layer `dz = ∂a ⊙ [a > 0] / (1−p)`,
/// `∂W = dzᵀ a_{l−1}`, `∂b_l = Σ dz`, `∂a_{l−1} = dz W`; finally `∂a_0` scatters into the two
/// MLP embedding rows.
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
    let t = l.tower;
    let rows = users.len();
    let f = l.factors as usize;
    let last = t.output() as usize;
    let e = t.embedding() as usize;
    let ho = l.head_offset();
    let r2 = 2.0 * l2 * scale;
    let mut da = vec![0f32; rows * last];
    let mut loss = 0f64;
    let row = |o: usize, n: usize| &p.data[o..o + n];
    for r in 0..rows {
        let (u, i) = (users[r] as usize, items[r] as usize);
        let z = fwd.z[r];
        let (sample_loss, dz) = objective.eval(z, labels[r]);
        let d = dz * scale;
        let (pt, qt) = gmf_rows(p, u as u32, i as u32);
        let mut norm = gmf_branch_grad(p, grads, u as u32, i as u32, (&pt, &qt), d, r2);
        let a_last = &fwd.acts[t.layers()][r * last..][..last];
        for k in 0..last {
            grads[ho + f + k] += d * a_last[k];
            da[r * last + k] = d * p.data[ho + f + k];
        }
        bias_grads(p, grads, u as u32, i as u32, d);
        let (mu, mi) = (l.mlp_user_offset() + u * e, l.mlp_item_offset() + i * e);
        norm += row(mu, e).iter().chain(row(mi, e)).map(|x| x * x).sum::<f32>();
        loss += (sample_loss + l2 * norm) as f64;
    }
    for layer in (1..=t.layers()).rev() {
        let (inp, out) = t.dims(layer);
        let y = &fwd.acts[layer];
        let x = &fwd.acts[layer - 1];
        // Kept units carry dropout's 1/(1−p); which were kept (and active) is read from a_l > 0.
        let s = fwd.scales[layer];
        let dz: Vec<f32> = da.iter().zip(y).map(|(&g, &v)| if v > 0.0 { g * s } else { 0.0 }).collect();
        let (wo, bo) = (l.weight_offset(layer), l.layer_bias_offset(layer));
        // ∂W += dzᵀ x: (out × rows) · (rows × in)
        sgemm(
            out,
            rows,
            inp,
            &dz,
            Strides::transposed(out),
            x,
            Strides::row_major(inp),
            1.0,
            &mut grads[wo..wo + out * inp],
            Strides::row_major(inp),
        );
        for r in 0..rows {
            for o in 0..out {
                grads[bo + o] += dz[r * out + o];
            }
        }
        let w = &p.data[wo..wo + out * inp];
        let mut dx = vec![0f32; rows * inp];
        sgemm(
            rows,
            out,
            inp,
            &dz,
            Strides::row_major(out),
            w,
            Strides::row_major(inp),
            0.0,
            &mut dx,
            Strides::row_major(inp),
        );
        da = dx;
    }
    let width = t.input() as usize;
    let fd = l.features;
    for r in 0..rows {
        let (mu, mi) = (l.mlp_user_offset() + users[r] as usize * e, l.mlp_item_offset() + items[r] as usize * e);
        for k in 0..e {
            grads[mu + k] += da[r * width + k] + r2 * p.data[mu + k];
            grads[mi + k] += da[r * width + e + k] + r2 * p.data[mi + k];
        }
        if let Some(f) = p.features.as_deref().filter(|_| fd.inputs().is_some_and(|i| i.tower())) {
            let dx = &da[r * width + 2 * e..(r + 1) * width];
            if let Some(s) = &f.users {
                let g = &mut grads[l.user_feature_offset()..][..fd.user_table as usize];
                s.scatter(users[r], dx, g);
            }
            if let Some(s) = &f.items {
                let g = &mut grads[l.item_feature_offset()..][..fd.item_table as usize];
                s.scatter(items[r], &dx[fd.user_width as usize..], g);
            }
        }
    }
    loss
}

#[cfg(test)]
#[path = "tower_tests.rs"]
pub(crate) mod tests;
