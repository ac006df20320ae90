//! Row-sparse optimizer steps (`TrainConfig::sparse`): a step updates only the embedding rows
//! its batch uses, with the semantics of TF's LazyAdam and `torch.optim.SparseAdam` (Adam's
//! formula on the touched rows, untouched rows' `p`, `m`, `v` left as they are: their moments
//! are *not* decayed) and lazy momentum for SGD. The dense parameters (tower, predict layer,
//! global bias, side-feature tables) step every batch as in the dense path.
//!
//! The "row tables" are the user-indexed blocks (GMF/MF `P`, MLP `P_mlp`, `b_u`) and the
//! item-indexed ones (`Q`, `Q_mlp`, `b_i`) of [`Layout`]. Gradients are computed exactly as in
//! the dense path into the full-size buffer, where only touched rows are ever non-zero, and
//! only those rows are cleared after the update.

use super::optim::{GradAt, update, update_dense, update_rows};
use crate::model::Layout;
use crate::train::{Optimizer, StepScalars};

/// The distinct users and items of a batch, found in O(batch) with per-table stamps.
pub struct TouchedRows {
    user_stamp: Vec<u32>,
    item_stamp: Vec<u32>,
    /// Each touched row's place in `users` / `items` (valid while its stamp is `now`).
    user_at: Vec<u32>,
    item_at: Vec<u32>,
    /// Stamp of the current batch; a row is in it iff its stamp equals this.
    now: u32,
    pub users: Vec<u32>,
    pub items: Vec<u32>,
}

impl TouchedRows {
    pub fn new(num_users: u32, num_items: u32) -> Self {
        TouchedRows {
            user_stamp: vec![0; num_users as usize],
            item_stamp: vec![0; num_items as usize],
            user_at: vec![0; num_users as usize],
            item_at: vec![0; num_items as usize],
            now: 0,
            users: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Collects the distinct `users` and `items` of a batch (in order of first appearance).
    pub fn gather(&mut self, users: &[u32], items: &[u32]) {
        self.begin();
        users.iter().for_each(|&u| self.touch_user(u));
        items.iter().for_each(|&i| self.touch_item(i));
    }

    /// Starts a new batch with no rows touched.
    pub fn begin(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            // After 2³² batches the stamps wrap: forget them all once.
            self.user_stamp.fill(0);
            self.item_stamp.fill(0);
            self.now = 1;
        }
        self.users.clear();
        self.items.clear();
    }

    /// Adds user row `u` to this batch's list unless it is there already.
    #[inline]
    pub fn touch_user(&mut self, u: u32) {
        let s = &mut self.user_stamp[u as usize];
        if *s != self.now {
            *s = self.now;
            self.users.push(u);
        }
    }

    /// Adds item row `i` to this batch's list unless it is there already.
    #[inline]
    pub fn touch_item(&mut self, i: u32) {
        let s = &mut self.item_stamp[i as usize];
        if *s != self.now {
            *s = self.now;
            self.items.push(i);
        }
    }

    /// [`TouchedRows::touch_user`], returning the row's place in `users`.
    #[inline]
    pub fn user_slot(&mut self, u: u32) -> usize {
        let (s, at) = (&mut self.user_stamp[u as usize], &mut self.user_at[u as usize]);
        if *s != self.now {
            *s = self.now;
            *at = self.users.len() as u32;
            self.users.push(u);
        }
        *at as usize
    }

    /// [`TouchedRows::touch_item`], returning the row's place in `items`.
    #[inline]
    pub fn item_slot(&mut self, i: u32) -> usize {
        let (s, at) = (&mut self.item_stamp[i as usize], &mut self.item_at[i as usize]);
        if *s != self.now {
            *s = self.now;
            *at = self.items.len() as u32;
            self.items.push(i);
        }
        *at as usize
    }
}

/// The blocks of the flat vector, in layout order: the user-indexed tables, the item-indexed
/// ones, and the dense parameters in between and at the end.
pub(super) struct Blocks<'a> {
    pub p: &'a mut [f32],
    pub q: &'a mut [f32],
    pub pm: &'a mut [f32],
    pub qm: &'a mut [f32],
    pub dense: &'a mut [f32],
    pub bu: &'a mut [f32],
    pub bi: &'a mut [f32],
    pub b: &'a mut [f32],
}

impl<'a> Blocks<'a> {
    pub fn split(l: &Layout, x: &'a mut [f32]) -> Self {
        let cuts =
            [l.item_offset(), l.mlp_user_offset(), l.mlp_item_offset(), l.user_feature_offset(), l.user_bias_offset()];
        let (p, rest) = x.split_at_mut(cuts[0]);
        let (q, rest) = rest.split_at_mut(cuts[1] - cuts[0]);
        let (pm, rest) = rest.split_at_mut(cuts[2] - cuts[1]);
        let (qm, rest) = rest.split_at_mut(cuts[3] - cuts[2]);
        let (dense, rest) = rest.split_at_mut(cuts[4] - cuts[3]);
        // Without biases the bias blocks are empty and `b` follows the predict layer.
        let (bu, rest) = rest.split_at_mut(if l.biases { l.num_users as usize } else { 0 });
        let (bi, b) = rest.split_at_mut(if l.biases { l.num_items as usize } else { 0 });
        debug_assert_eq!(b.len(), 1);
        Blocks { p, q, pm, qm, dense, bu, bi, b }
    }
}

/// The four vectors of one block: parameters, gradients, first and second moments.
type Quad<'a> = (&'a mut [f32], &'a mut [f32], &'a mut [f32], &'a mut [f32]);

/// Steps the `rows` of each of the tables in `tables` (`widths[k]` values per row).
fn step_rows(tables: [Quad<'_>; 3], widths: [usize; 3], rows: &[u32], opt: Optimizer, s: StepScalars) {
    for (t, w) in tables.into_iter().zip(widths) {
        if w > 0 {
            update_rows((t.0, t.2, t.3), GradAt::Table(t.1), w, rows, opt, s);
        }
    }
}

/// Below this many updated values a step runs on one thread (rayon's fork-join costs a few
/// microseconds plus a thread wake-up, more than a GMF or NeuMF f8 batch's whole update:
/// measured on ML-1M NeuMF f8, 2¹³ made the sparse optimizer slower than 2¹⁵).
const PARALLEL_WORK: usize = 1 << 15;

/// One row-sparse optimizer step: the `touched` rows of the row tables, then every dense
/// parameter. `g` holds the batch's gradient (non-zero on touched rows and dense parameters
/// only) and is left all zero.
#[allow(clippy::too_many_arguments)]
pub fn sparse_step(
    l: &Layout,
    p: &mut [f32],
    g: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    touched: &TouchedRows,
    opt: Optimizer,
    s: StepScalars,
) {
    let (f, e, b) = (l.factors as usize, l.tower.embedding() as usize, l.biases as usize);
    let widths = [f, e, b];
    let (bp, bg, bm, bv) = (Blocks::split(l, p), Blocks::split(l, g), Blocks::split(l, m), Blocks::split(l, v));
    let users = [(bp.p, bg.p, bm.p, bv.p), (bp.pm, bg.pm, bm.pm, bv.pm), (bp.bu, bg.bu, bm.bu, bv.bu)];
    let items = [(bp.q, bg.q, bm.q, bv.q), (bp.qm, bg.qm, bm.qm, bv.qm), (bp.bi, bg.bi, bm.bi, bv.bi)];
    let per_row = f + e + b;
    let work = (touched.users.len() + touched.items.len()) * per_row + bp.dense.len();
    let mut dense = move || {
        update_dense(bp.dense, bg.dense, bm.dense, bv.dense, opt, s);
        update(bp.b, bg.b, bm.b, bv.b, opt, s);
    };
    if work < PARALLEL_WORK {
        step_rows(users, widths, &touched.users, opt, s);
        step_rows(items, widths, &touched.items, opt, s);
        dense();
    } else {
        // The three parts are disjoint blocks, and each element's update is independent, so
        // the split changes no result.
        rayon::join(
            || step_rows(users, widths, &touched.users, opt, s),
            || rayon::join(|| step_rows(items, widths, &touched.items, opt, s), dense),
        );
    }
}

#[cfg(test)]
#[path = "sparse_tests.rs"]
mod tests;
