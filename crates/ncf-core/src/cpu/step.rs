//! One CPU training step on every core, for models without side features: the batch's pieces
//! compute their forward pass, backward pass and per-sample row gradients in parallel
//! ([`super::row_grads`]), then the row shards ([`super::shards`]) add them up and step the
//! optimizer in parallel. Two parallel regions per step, and no serial pass over the batch.
//!
//! It computes what the serial path (`Params::batch_grad_with`, then `sparse_step` or
//! `update_dense`) computes, with every sum in the same order: the same bits, on any number of
//! threads (tested in `step_tests.rs`).

use rayon::prelude::*;

use super::fused::{PIECE_ROWS, WAVE};
use super::row_grads::{RowGrads, factor_rows, tower_rows};
use super::shards::{PieceOut, Shard, ShardState, scatter, shard_states, split, step};
use super::tower::{Backprop, Forward, backward_dense, forward_into};
use crate::model::{Layout, Objective, Params};
use crate::train::{DropoutSpec, Optimizer, StepScalars};

/// A piece's buffers: activations, backward products, its dense gradient and row gradients.
#[derive(Default)]
struct Piece {
    fwd: Forward,
    bp: Backprop,
    dense: Vec<f32>,
    rows: RowGrads,
}

/// Stands in for the unused slots of a wave.
static NO_ROWS: RowGrads = RowGrads {
    user: Vec::new(),
    item: Vec::new(),
    head: Vec::new(),
    d: Vec::new(),
    du: Vec::new(),
    di: Vec::new(),
    loss: Vec::new(),
};

/// The buffers of [`StepWorkspace::train`], reused by every step.
#[derive(Default)]
pub struct StepWorkspace {
    pieces: Vec<Piece>,
    shards: Vec<ShardState>,
}

/// A batch and how its loss is taken: `scale` is the mean's 1/n, `l2` the per-occurrence L2.
pub struct StepBatch<'a> {
    pub users: &'a [u32],
    pub items: &'a [u32],
    pub labels: &'a [f32],
    pub scale: f32,
    pub l2: f32,
    pub dropout: Option<DropoutSpec>,
    pub objective: Objective,
}

/// Below this many values to scatter and update, a step keeps one shard (no fork). Lower than
/// `sparse::PARALLEL_WORK`: right after the pieces' parallel region the other threads are
/// still awake, and a serial tail lets them fall asleep, to be woken by the next step at a
/// futex's cost. On ML-1M NeuMF f8 (≈2¹⁴ values a sparse step) two shards took the epoch from
/// 3.1 s to 1.9 s here; GMF f8 (2¹²) measured the same either way.
const SHARD_WORK: usize = 1 << 12;

/// How many row shards a step uses: one when its scatter and update are too small to pay for
/// a fork, else one per thread.
fn shard_count(l: &Layout, n: usize, sparse: bool) -> usize {
    let threads = rayon::current_num_threads();
    let per_row = l.factors as usize + l.tower.embedding() as usize + l.biases as usize;
    let work = if sparse { 2 * n * per_row + (l.user_bias_offset() - l.user_feature_offset()) } else { l.len() };
    if threads == 1 || work < SHARD_WORK {
        return 1;
    }
    threads.min(l.num_users as usize).min(l.num_items as usize)
}

impl StepWorkspace {
    /// One optimizer step on `batch` (`grads` must be all zero, and is left so); returns the
    /// batch's summed loss. With `sparse` only the rows the batch uses step.
    pub fn train(
        &mut self,
        p: &mut Params,
        [g, m, v]: [&mut [f32]; 3],
        batch: &StepBatch<'_>,
        sparse: bool,
        opt: Optimizer,
        s: StepScalars,
    ) -> f64 {
        let l = p.layout;
        let StepBatch { users, items, .. } = *batch;
        let n = users.len();
        let count = shard_count(&l, n, sparse);
        if self.shards.len() != count {
            self.shards = shard_states(&l, count);
        }
        self.shards.iter_mut().for_each(ShardState::begin);
        let pieces = n.div_ceil(PIECE_ROWS);
        let rows = |k: usize| k * PIECE_ROWS..((k + 1) * PIECE_ROWS).min(n);
        let dense_len = if l.kind.is_neural() { l.user_bias_offset() - l.embeddings_end() } else { 0 };
        for w0 in (0..pieces).step_by(WAVE) {
            let w1 = (w0 + WAVE).min(pieces);
            if self.pieces.len() < w1 - w0 {
                self.pieces.resize_with(w1 - w0, Piece::default);
            }
            let params = &*p;
            self.pieces[..w1 - w0]
                .par_iter_mut()
                .enumerate()
                .for_each(|(k, pc)| pc.compute(params, batch, rows(w0 + k), dense_len));
            let mut outs: [PieceOut<'_>; WAVE] =
                std::array::from_fn(|_| PieceOut { start: 0, rows: &NO_ROWS, dense: &[] });
            for (k, pc) in self.pieces[..w1 - w0].iter().enumerate() {
                outs[k] = PieceOut { start: rows(w0 + k).start, rows: &pc.rows, dense: &pc.dense };
            }
            let outs = &outs[..w1 - w0];
            let last = w1 == pieces;
            let vectors = [&mut p.data[..], &mut *g, &mut *m, &mut *v];
            let mut shards = split(&l, &self.shards, vectors);
            let run = |(sh, st): (&mut Shard<'_>, &mut ShardState)| {
                scatter(&l, sh, st, users, items, outs, sparse);
                if last {
                    step(&l, sh, st, sparse, opt, s);
                }
            };
            if count == 1 {
                run((&mut shards[0], &mut self.shards[0]));
            } else {
                shards.par_iter_mut().zip(self.shards.par_iter_mut()).for_each(run);
            }
        }
        self.shards[0].loss
    }
}

impl Piece {
    /// Rows `r` of the batch: the tower's forward and dense backward into this piece's own
    /// buffers (MLP, NeuMF), then each sample's row gradients.
    fn compute(&mut self, p: &Params, b: &StepBatch<'_>, r: std::ops::Range<usize>, dense_len: usize) {
        let (u, i, y) = (&b.users[r.clone()], &b.items[r.clone()], &b.labels[r.clone()]);
        if p.layout.kind.is_neural() {
            forward_into(p, u, i, b.dropout, r.start, &mut self.fwd);
            self.dense.clear();
            self.dense.resize(dense_len, 0.0);
            backward_dense(p, &self.fwd, y, b.scale, b.objective, &mut self.dense, &mut self.bp);
            tower_rows(p, u, i, &self.fwd.acts[0], &self.bp, b.l2, b.scale, &mut self.rows);
        } else {
            factor_rows(p, u, i, y, b.scale, b.l2, b.objective, &mut self.rows);
        }
    }
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
