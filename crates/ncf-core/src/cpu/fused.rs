//! The tower's training pass over a whole batch on every core (the twin of the GPU's fused tower
//! step, `fused.wgsl`): the batch is cut into pieces of
//! [`PIECE_ROWS`] rows whose forward pass and dense backward ([`backward_dense`]: the GEMMs)
//! run in parallel, each into its own activation and tower-gradient buffers; the pieces'
//! tower gradients are then added into the batch's in piece order and their row gradients
//! ([`backward_rows`]) scattered one sample after another. Pieces have a fixed size and are
//! reduced in a fixed order, so the result depends on the batch alone, never on the thread
//! count. The buffers live in a [`TowerWorkspace`] the trainer keeps: no allocation per step.

use rayon::prelude::*;

use super::tower::{Backprop, Forward, backward_dense, backward_rows, forward_into};
use crate::model::{Objective, Params};
use crate::train::DropoutSpec;

/// Rows per parallel piece: two pieces fill both cores at the paper's batch of 256, and a
/// piece's GEMMs (128 × 64 → 32 at f8) are still long enough to amortise their packing.
pub const PIECE_ROWS: usize = 128;

/// Pieces in flight at once: bounds the activation memory of any batch size to
/// `WAVE · PIECE_ROWS` rows (= `tower::CHUNK_ROWS`).
pub const WAVE: usize = 8;

/// Reusable buffers of the tower's training pass.
#[derive(Default)]
pub struct TowerWorkspace {
    pieces: Vec<Piece>,
}

#[derive(Default)]
struct Piece {
    fwd: Forward,
    bp: Backprop,
    /// This piece's gradient of the tower and `h` (`embeddings_end .. user_bias_offset`).
    dense: Vec<f32>,
}

impl TowerWorkspace {
    /// Adds the batch-mean gradient of an MLP or NeuMF batch into `grads` and returns the
    /// summed loss (as [`super::tower::backward`] over the whole batch, up to the order of the
    /// sums over rows).
    #[allow(clippy::too_many_arguments)]
    pub fn batch_grad(
        &mut self,
        p: &Params,
        grads: &mut [f32],
        users: &[u32],
        items: &[u32],
        labels: &[f32],
        scale: f32,
        l2: f32,
        dropout: Option<DropoutSpec>,
        objective: Objective,
    ) -> f64 {
        let l = p.layout;
        let (eo, ho) = (l.embeddings_end(), l.user_bias_offset());
        let n = users.len();
        let pieces = n.div_ceil(PIECE_ROWS);
        if self.pieces.is_empty() {
            self.pieces.push(Piece::default());
        }
        if pieces <= 1 {
            // One piece: straight into the batch's gradient, as `tower::backward`.
            let pc = &mut self.pieces[0];
            forward_into(p, users, items, dropout, 0, &mut pc.fwd);
            backward_dense(p, &pc.fwd, labels, scale, objective, &mut grads[eo..ho], &mut pc.bp);
            return backward_rows(p, users, items, &pc.bp, l2, scale, grads);
        }
        let mut loss = 0f64;
        for w0 in (0..pieces).step_by(WAVE) {
            let w1 = (w0 + WAVE).min(pieces);
            if self.pieces.len() < w1 - w0 {
                self.pieces.resize_with(w1 - w0, Piece::default);
            }
            let rows = |k: usize| k * PIECE_ROWS..((k + 1) * PIECE_ROWS).min(n);
            self.pieces[..w1 - w0].par_iter_mut().enumerate().for_each(|(k, pc)| {
                let r = rows(w0 + k);
                pc.dense.resize(ho - eo, 0.0);
                forward_into(p, &users[r.clone()], &items[r.clone()], dropout, r.start, &mut pc.fwd);
                backward_dense(p, &pc.fwd, &labels[r], scale, objective, &mut pc.dense, &mut pc.bp);
            });
            for (k, pc) in self.pieces[..w1 - w0].iter_mut().enumerate() {
                // Consumed and cleared in one pass, ready for the next step.
                for (g, x) in grads[eo..ho].iter_mut().zip(&mut pc.dense) {
                    *g += *x;
                    *x = 0.0;
                }
                let r = rows(w0 + k);
                loss += backward_rows(p, &users[r.clone()], &items[r], &pc.bp, l2, scale, grads);
            }
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use crate::cpu::tower::tests::featured_in;
    use crate::model::{FeatureInputs, ModelKind, Objective};
    use crate::train::DropoutSpec;

    /// A batch of several pieces gives the same bits on one thread and on four, with dropout and
    /// side features in the tower (the reduction order is fixed by the pieces, not the threads).
    #[test]
    fn pieces_give_the_same_gradient_on_any_thread_count() {
        let p = featured_in(ModelKind::NeuMf, true, FeatureInputs::Both);
        let (nu, ni) = (p.layout.num_users, p.layout.num_items);
        let n = super::PIECE_ROWS * 3 + 5;
        let users: Vec<u32> = (0..n as u32).map(|k| k % nu).collect();
        let items: Vec<u32> = (0..n as u32).map(|k| (k * 5) % ni).collect();
        let labels: Vec<f32> = (0..n).map(|k| (k % 4 == 0) as u32 as f32).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut g = vec![0f32; p.data.len()];
                let drop = DropoutSpec::new(0.2, 1, 3);
                let loss = p.batch_grad(&mut g, &users, &items, &labels, 1.0 / n as f32, 0.01, drop, Objective::Bce);
                (g, loss)
            })
        };
        let (one, four) = (run(1), run(4));
        assert!(one.0.iter().any(|&x| x != 0.0));
        assert_eq!(one, four);
    }
}
