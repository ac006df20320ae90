//! The parameter vectors cut into shards of whole rows, one per thread, so that a step's
//! scatter of row gradients and its optimizer update run in parallel with no locks and no
//! change of result ([`super::step`]).
//!
//! Shard `t` owns a contiguous range of user rows and one of item rows in every row table
//! (`P`, `Q`, `P_mlp`, `Q_mlp`, `b_u`, `b_i`); shard 0 also owns the dense parameters (tower,
//! predict layer) and `b`. Each shard walks the batch in sample order and adds the samples'
//! addends to the rows it owns, so every value receives its addends in the order the serial
//! loop adds them: the bits do not depend on the number of shards. The optimizer is
//! element-wise, so each shard steps its own values.

use std::ops::Range;

use super::optim::{update, update_dense, update_rows};
use super::row_grads::RowGrads;
use super::sparse::{Blocks, TouchedRows};
use crate::model::Layout;
use crate::train::{Optimizer, StepScalars};

/// What a shard keeps between steps: the rows of its ranges the batch touched (local ids) and
/// the batch's loss (summed by shard 0).
pub struct ShardState {
    users: Range<usize>,
    items: Range<usize>,
    touched: TouchedRows,
    pub loss: f64,
}

/// The user and item ranges of `count` shards over a layout, cut evenly by row id.
pub fn shard_states(l: &Layout, count: usize) -> Vec<ShardState> {
    let cut = |n: u32, t: usize| t * n as usize / count;
    (0..count)
        .map(|t| {
            let (users, items) =
                (cut(l.num_users, t)..cut(l.num_users, t + 1), cut(l.num_items, t)..cut(l.num_items, t + 1));
            let touched = TouchedRows::new(users.len() as u32, items.len() as u32);
            ShardState { users, items, touched, loss: 0.0 }
        })
        .collect()
}

impl ShardState {
    /// The user and item rows this shard owns.
    pub fn rows(&self) -> (Range<usize>, Range<usize>) {
        (self.users.clone(), self.items.clone())
    }

    /// Starts a step: no rows touched, no loss.
    pub fn begin(&mut self) {
        self.touched.begin();
        self.loss = 0.0;
    }
}

/// One shard's slices of the four vectors (parameters, gradients, moments).
pub struct Shard<'a> {
    x: [Blocks<'a>; 4],
}

impl Shard<'_> {
    /// How many values of each vector this shard holds.
    pub fn values(&self) -> usize {
        let b = &self.x[0];
        [&b.p, &b.q, &b.pm, &b.qm, &b.dense, &b.bu, &b.bi, &b.b].iter().map(|x| x.len()).sum()
    }
}

/// Cuts `p`, `g`, `m`, `v` into the shards of `states` (in order).
pub fn split<'a>(l: &Layout, states: &[ShardState], [p, g, m, v]: [&'a mut [f32]; 4]) -> Vec<Shard<'a>> {
    let mut parts = [p, g, m, v].map(|x| cut_blocks(l, states, Blocks::split(l, x)).into_iter());
    (0..states.len()).map(|_| Shard { x: std::array::from_fn(|k| parts[k].next().unwrap()) }).collect()
}

/// One vector's blocks cut by the shards' row ranges; the dense blocks go to shard 0.
fn cut_blocks<'a>(l: &Layout, states: &[ShardState], b: Blocks<'a>) -> Vec<Blocks<'a>> {
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let bw = l.biases as usize;
    let Blocks { mut p, mut q, mut pm, mut qm, mut dense, mut bu, mut bi, mut b } = b;
    let take = |x: &mut &'a mut [f32], n: usize| {
        let (head, tail) = std::mem::take(x).split_at_mut(n);
        *x = tail;
        head
    };
    states
        .iter()
        .enumerate()
        .map(|(t, s)| {
            let (nu, ni) = (s.users.len(), s.items.len());
            let d = if t == 0 { dense.len() } else { 0 };
            Blocks {
                p: take(&mut p, nu * f),
                q: take(&mut q, ni * f),
                pm: take(&mut pm, nu * e),
                qm: take(&mut qm, ni * e),
                dense: take(&mut dense, d),
                bu: take(&mut bu, nu * bw),
                bi: take(&mut bi, ni * bw),
                b: take(&mut b, usize::from(t == 0)),
            }
        })
        .collect()
}

/// One piece of a batch as the shards read it: its first row in the batch, its row
/// gradients, and its dense gradient (tower and `h_m`; empty for GMF and MF).
pub struct PieceOut<'a> {
    pub start: usize,
    pub rows: &'a RowGrads,
    pub dense: &'a [f32],
}

/// Adds the pieces' gradients of the rows `st` owns into `sh`'s gradient slices, in sample
/// order; shard 0 also adds the dense gradients, `h_g`'s and `b`'s, and sums the loss.
/// With `sparse`, records the touched rows for [`step`].
pub fn scatter(
    l: &Layout,
    sh: &mut Shard<'_>,
    st: &mut ShardState,
    users: &[u32],
    items: &[u32],
    pieces: &[PieceOut<'_>],
    sparse: bool,
) {
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let w = f + e;
    let g = &mut sh.x[1];
    let owns_dense = !g.b.is_empty();
    // `h_g` sits at the head of the predict layer, inside the dense block.
    let h0 = l.head_offset() - l.user_feature_offset();
    for pc in pieces {
        if owns_dense {
            g.dense.iter_mut().zip(pc.dense).for_each(|(g, &x)| *g += x);
        }
        let rg = pc.rows;
        for r in 0..rg.d.len() {
            let (u, i) = (users[pc.start + r] as usize, items[pc.start + r] as usize);
            let d = rg.d[r];
            // One entity's rows: the GMF row, the MLP row, the bias.
            let add = |(p, pm, b): (&mut [f32], &mut [f32], &mut [f32]), row: usize, src: &[f32]| {
                p[row * f..][..f].iter_mut().zip(&src[..f]).for_each(|(g, &x)| *g += x);
                pm[row * e..][..e].iter_mut().zip(&src[f..]).for_each(|(g, &x)| *g += x);
                if let Some(b) = b.get_mut(row) {
                    *b += d;
                }
            };
            if st.users.contains(&u) {
                let lu = u - st.users.start;
                add((&mut *g.p, &mut *g.pm, &mut *g.bu), lu, &rg.user[r * w..][..w]);
                if sparse {
                    st.touched.touch_user(lu as u32);
                }
            }
            if st.items.contains(&i) {
                let li = i - st.items.start;
                add((&mut *g.q, &mut *g.qm, &mut *g.bi), li, &rg.item[r * w..][..w]);
                if sparse {
                    st.touched.touch_item(li as u32);
                }
            }
            if owns_dense {
                if !rg.head.is_empty() {
                    let gh = &mut g.dense[h0..][..f];
                    gh.iter_mut().zip(&rg.head[r * f..][..f]).for_each(|(g, &x)| *g += x);
                }
                g.b[0] += d;
                st.loss += rg.loss[r] as f64;
            }
        }
    }
}

/// The optimizer step of one shard: with `sparse` only its touched rows (LazyAdam semantics,
/// as `sparse::sparse_step`), otherwise all its values; shard 0 also steps the dense block and
/// `b`. Leaves the shard's gradient all zero.
pub fn step(l: &Layout, sh: &mut Shard<'_>, st: &ShardState, sparse: bool, opt: Optimizer, s: StepScalars) {
    let (f, e, bw) = (l.factors as usize, l.tower.embedding() as usize, l.biases as usize);
    let [p, g, m, v] = &mut sh.x;
    let users = [
        (&mut *p.p, &mut *g.p, &mut *m.p, &mut *v.p),
        (&mut *p.pm, &mut *g.pm, &mut *m.pm, &mut *v.pm),
        (&mut *p.bu, &mut *g.bu, &mut *m.bu, &mut *v.bu),
    ];
    let items = [
        (&mut *p.q, &mut *g.q, &mut *m.q, &mut *v.q),
        (&mut *p.qm, &mut *g.qm, &mut *m.qm, &mut *v.qm),
        (&mut *p.bi, &mut *g.bi, &mut *m.bi, &mut *v.bi),
    ];
    for (tables, rows) in [(users, &st.touched.users), (items, &st.touched.items)] {
        for (t, w) in tables.into_iter().zip([f, e, bw]) {
            match (w, sparse) {
                (0, _) => {}
                (_, true) => update_rows(t, w, rows, opt, s),
                (_, false) => update_dense(t.0, t.1, t.2, t.3, opt, s),
            }
        }
    }
    if !g.b.is_empty() {
        update_dense(p.dense, g.dense, m.dense, v.dense, opt, s);
        update(p.b, g.b, m.b, v.b, opt, s);
    }
}
