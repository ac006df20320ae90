//! Fold-in for the gradient-trained models (GMF, MF, MLP, NeuMF): new or changed rows of one
//! side learnt with every other parameter fixed, by the fit's own loss (BCE over each row's
//! interactions and `negatives` fresh negatives per interaction, He et al. eq. 7). With the
//! items fixed, a GMF/MF user row is a logistic regression on the item vectors, so this
//! converges as a convex problem does; MLP and NeuMF rows backpropagate through the fixed
//! tower. Only the folded rows (their GMF and MLP embeddings and their bias) step, by Adam with
//! per-row moments and step counts (LazyAdam: a row's moments move only when it is used).

use crate::infer::{Side, embedding_parts};
use crate::model::{Objective, Params};
use crate::rng::{Permutation, mix};
use crate::train::RowSteps;

use super::sampling::negative_item;

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

/// Adam state of one folded row: moments over its parameters and its step count.
struct RowState {
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
}

/// The flat offsets of a row's trainable parameters: its embedding parts, then its bias.
fn row_params(p: &Params, side: Side, row: u32, out: &mut Vec<usize>) {
    let l = p.layout;
    out.clear();
    for (off, w) in embedding_parts(l, side) {
        out.extend((off + row as usize * w)..(off + (row as usize + 1) * w));
    }
    if l.biases {
        let b = match side {
            Side::Users => l.user_bias_offset(),
            Side::Items => l.item_bias_offset(),
        };
        out.push(b + row as usize);
    }
}

/// Learns the rows `(row, observed)` of `side` (observed: sorted distinct rows of the other
/// side, all below `other_count`) with everything else fixed. Known rows start from their
/// current values (a warm start), new ones from the values the caller put there.
pub fn fit_rows(params: &mut Params, side: Side, rows: &[(u32, Vec<u32>)], other_count: u32, spec: RowSteps) {
    if rows.is_empty() || spec.epochs == 0 {
        return;
    }
    let mut idx = Vec::new();
    let mut states: Vec<RowState> = rows
        .iter()
        .map(|&(r, _)| {
            row_params(params, side, r, &mut idx);
            RowState { m: vec![0.0; idx.len()], v: vec![0.0; idx.len()], t: 0 }
        })
        .collect();
    let mut grads = vec![0f32; params.data.len()];
    let (mut us, mut is, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    let (eo, ho) = (params.layout.embeddings_end(), params.layout.user_bias_offset());
    let b_off = params.layout.b_offset();
    // One step per interaction: its positive and its negatives, in a seeded order of all the
    // rows' interactions. So a row takes as many steps an epoch as it has interactions,
    // whether it is folded in alone or among thousands (a shared large batch would give a
    // lone row one step an epoch).
    let groups: Vec<(usize, usize)> =
        rows.iter().enumerate().flat_map(|(k, r)| (0..r.1.len()).map(move |j| (k, j))).collect();
    for epoch in 0..spec.epochs {
        let perm = Permutation::new(groups.len() as u32, spec.seed ^ 0x666f_6c64, epoch);
        for t in 0..groups.len() as u32 {
            let (k, j) = groups[perm.apply(t) as usize];
            let (row, obs) = (rows[k].0, &rows[k].1);
            us.clear();
            is.clear();
            ys.clear();
            let mut push = |o: u32, y: f32| {
                let (u, i) = if side == Side::Users { (row, o) } else { (o, row) };
                us.push(u);
                is.push(i);
                ys.push(y);
            };
            push(obs[j], 1.0);
            if (obs.len() as u32) < other_count {
                // A per-(row, interaction) stream: the same draws whatever the other rows are.
                let stream = mix(k as u32 ^ mix(j as u32));
                for n in 0..spec.negatives {
                    push(negative_item(obs, other_count, spec.seed, epoch, stream, n + 1), 0.0);
                }
            }
            let scale = 1.0 / us.len() as f32;
            params.batch_grad(&mut grads, &us, &is, &ys, scale, spec.l2, None, Objective::Bce);
            row_params(params, side, row, &mut idx);
            let s = &mut states[k];
            s.t += 1;
            let (bc1, bc2) = (1.0 - BETA1.powi(s.t), 1.0 - BETA2.powi(s.t));
            for (q, &o) in idx.iter().enumerate() {
                let g = grads[o];
                s.m[q] = BETA1 * s.m[q] + (1.0 - BETA1) * g;
                s.v[q] = BETA2 * s.v[q] + (1.0 - BETA2) * g * g;
                params.data[o] -= spec.lr * (s.m[q] / bc1) / ((s.v[q] / bc2).sqrt() + EPS);
            }
            clear_touched(params, &mut grads, &us, &is, (eo, ho), b_off, &mut idx);
        }
    }
}

/// Zeroes the gradient entries a batch wrote: its users' and items' rows, the dense block
/// (tower and predict layer) and `b`, so the next batch starts from zero without clearing the
/// whole table-sized vector.
fn clear_touched(
    p: &Params,
    grads: &mut [f32],
    users: &[u32],
    items: &[u32],
    dense: (usize, usize),
    b: usize,
    idx: &mut Vec<usize>,
) {
    for (&u, &i) in users.iter().zip(items) {
        row_params(p, Side::Users, u, idx);
        idx.iter().for_each(|&o| grads[o] = 0.0);
        row_params(p, Side::Items, i, idx);
        idx.iter().for_each(|&o| grads[o] = 0.0);
    }
    grads[dense.0..dense.1].fill(0.0);
    grads[b] = 0.0;
}

#[cfg(test)]
#[path = "fold_in_tests.rs"]
mod tests;
