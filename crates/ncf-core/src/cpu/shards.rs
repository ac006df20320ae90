//! The parameter vectors cut into shards of whole rows, one per thread, so that a step's
//! scatter of row gradients and its optimizer update run in parallel with no locks and no
//! change of result ([`super::step`]).
//!
//! Shard `t` owns a contiguous range of user rows and one of item rows in every row table
//! (`P`, `Q`, `P_mlp`, `Q_mlp`, `b_u`, `b_i`), and a contiguous range of the dense block (tower,
//! predict layer), cut so that `h_g` stays whole; shard 0 also owns `b` and sums the loss.
//! The dense block is cut too because at f64 it is as large as the rows a batch touches: left
//! on shard 0 it made that shard's scatter and update twice the other's. Each shard walks the
//! batch in sample order and adds the samples' addends to the values it owns, so every value
//! receives its addends in the order the serial loop adds them: the bits do not depend on the
//! number of shards. The optimizer is element-wise, so each shard steps its own values.

use std::ops::Range;

use super::optim::{GradAt, update, update_dense, update_rows};
use super::row_grads::RowGrads;
use super::sparse::{Blocks, TouchedRows};
use crate::model::Layout;
use crate::train::{Optimizer, StepScalars};

/// What a shard keeps between steps: the rows of its ranges the batch touched (local ids) and
/// the batch's loss (summed by shard 0).
pub struct ShardState {
    users: Range<usize>,
    items: Range<usize>,
    /// Offsets in the dense block (`user_feature_offset .. user_bias_offset`).
    dense: Range<usize>,
    touched: TouchedRows,
    /// A sparse step's gradients of its touched user and item rows, one `[P | P_mlp | b_u]`
    /// record per row in `touched` order: summed here rather than in the table-sized gradient,
    /// they stay in cache, and the table's rows are neither read nor cleared (at f64 that was
    /// ~40 % of the scatter's and update's memory traffic).
    user_grads: Vec<f32>,
    item_grads: Vec<f32>,
    pub loss: f64,
}

/// The user and item ranges of `count` shards over a layout, cut evenly by row id, and their
/// ranges of the dense block, cut evenly by value except that no cut falls inside `h_g` (its
/// per-sample addends follow each piece's dense addends, so one shard must own all of it).
pub fn shard_states(l: &Layout, count: usize) -> Vec<ShardState> {
    let cut = |n: usize, t: usize| t * n / count;
    let dense_len = l.user_bias_offset() - l.user_feature_offset();
    let head = head_range(l);
    let dense_cut = |t: usize| {
        let c = cut(dense_len, t);
        if head.start < c && c < head.end { head.start } else { c }
    };
    let (nu, ni) = (l.num_users as usize, l.num_items as usize);
    (0..count)
        .map(|t| {
            let (users, items) = (cut(nu, t)..cut(nu, t + 1), cut(ni, t)..cut(ni, t + 1));
            let dense = dense_cut(t)..dense_cut(t + 1);
            let touched = TouchedRows::new(users.len() as u32, items.len() as u32);
            ShardState { users, items, dense, touched, user_grads: Vec::new(), item_grads: Vec::new(), loss: 0.0 }
        })
        .collect()
}

/// `h_g` (the GMF half of the predict layer, `factors` wide) as offsets in the dense block.
fn head_range(l: &Layout) -> Range<usize> {
    let h0 = l.head_offset() - l.user_feature_offset();
    h0..h0 + l.factors as usize
}

impl ShardState {
    /// The user and item rows this shard owns, and its range of the dense block.
    pub fn rows(&self) -> (Range<usize>, Range<usize>, Range<usize>) {
        (self.users.clone(), self.items.clone(), self.dense.clone())
    }

    /// Starts a step: no rows touched, no loss.
    pub fn begin(&mut self) {
        self.touched.begin();
        self.user_grads.clear();
        self.item_grads.clear();
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

/// One vector's blocks cut by the shards' row and dense ranges; `b` goes to shard 0.
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
            let (nu, ni, d) = (s.users.len(), s.items.len(), s.dense.len());
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

/// Adds the pieces' gradients of the rows and dense values `st` owns into `sh`'s gradient
/// slices, in sample order (`h_g`'s too, on the shard that owns it); shard 0 also adds `b`'s
/// and sums the loss.
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
    let (f, e, bw) = (l.factors as usize, l.tower.embedding() as usize, l.biases as usize);
    let w = f + e;
    let compact = uses_compact(l, sparse);
    let g = &mut sh.x[1];
    let owns_b = !g.b.is_empty();
    // `h_g` sits at the head of the predict layer, inside the dense block, on one shard.
    let head = head_range(l);
    let owns_head = st.dense.start <= head.start && head.end <= st.dense.end && !head.is_empty();
    let h0 = head.start.wrapping_sub(st.dense.start);
    for pc in pieces {
        if let Some(src) = pc.dense.get(st.dense.clone()) {
            g.dense.iter_mut().zip(src).for_each(|(g, &x)| *g += x);
        }
        let rg = pc.rows;
        for r in 0..rg.d.len() {
            let (u, i) = (users[pc.start + r] as usize, items[pc.start + r] as usize);
            let d = rg.d[r];
            // Without biases the bias addends are unused (no bias table or record slot).
            let (du, di) = (rg.du.get(r).copied().unwrap_or(d), rg.di.get(r).copied().unwrap_or(d));
            if st.users.contains(&u) {
                let lu = u - st.users.start;
                let src = &rg.user[r * w..][..w];
                if compact {
                    let slot = st.touched.user_slot(lu as u32);
                    add_compact(&mut st.user_grads, slot, w + bw, src, du);
                } else {
                    add_rows((&mut *g.p, &mut *g.pm, &mut *g.bu), lu, f, src, du);
                    if sparse {
                        st.touched.touch_user(lu as u32);
                    }
                }
            }
            if st.items.contains(&i) {
                let li = i - st.items.start;
                let src = &rg.item[r * w..][..w];
                if compact {
                    let slot = st.touched.item_slot(li as u32);
                    add_compact(&mut st.item_grads, slot, w + bw, src, di);
                } else {
                    add_rows((&mut *g.q, &mut *g.qm, &mut *g.bi), li, f, src, di);
                    if sparse {
                        st.touched.touch_item(li as u32);
                    }
                }
            }
            if owns_head && !rg.head.is_empty() {
                let gh = &mut g.dense[h0..][..f];
                gh.iter_mut().zip(&rg.head[r * f..][..f]).for_each(|(g, &x)| *g += x);
            }
            if owns_b {
                g.b[0] += d;
                st.loss += rg.loss[r] as f64;
            }
        }
    }
}

/// Rows at least this wide (values of `P`, `P_mlp` and `b_u` together) sum a sparse step's
/// gradients in the shard's compact buffers. Narrower rows sum in the table: it is small
/// enough to stay in cache, and the compact records' bookkeeping made GMF f8 ~10 % slower.
const COMPACT_WIDTH: usize = 64;

/// Whether a step sums its row gradients in the compact buffers (sparse, wide rows).
pub fn uses_compact(l: &Layout, sparse: bool) -> bool {
    sparse && l.factors as usize + l.tower.embedding() as usize + l.biases as usize >= COMPACT_WIDTH
}

/// Adds one sample's `[P | P_mlp]` gradient `src` (GMF part `f` wide) and bias gradient `d`
/// (when the tables have biases) into row `row` of one entity's gradient tables.
#[inline(always)]
fn add_rows((p, pm, b): (&mut [f32], &mut [f32], &mut [f32]), row: usize, f: usize, src: &[f32], d: f32) {
    let e = src.len() - f;
    p[row * f..][..f].iter_mut().zip(&src[..f]).for_each(|(g, &x)| *g += x);
    pm[row * e..][..e].iter_mut().zip(&src[f..]).for_each(|(g, &x)| *g += x);
    if let Some(b) = b.get_mut(row) {
        *b += d;
    }
}

/// Adds one sample's `[P | P_mlp]` gradient `src` and, when `stride` has room for it, its
/// bias gradient `d` into record `slot` of a compact buffer, opening the record if it is new.
#[inline]
fn add_compact(buf: &mut Vec<f32>, slot: usize, stride: usize, src: &[f32], d: f32) {
    if buf.len() == slot * stride {
        // A new record (slots open in order): `0 + x`, the same sum as into a cleared row,
        // written in one pass rather than zeroed first.
        buf.extend(src.iter().map(|&x| 0.0 + x));
        if stride > src.len() {
            buf.push(0.0 + d);
        }
        return;
    }
    let rec = &mut buf[slot * stride..][..stride];
    rec.iter_mut().zip(src).for_each(|(g, &x)| *g += x);
    if let Some(b) = rec.get_mut(src.len()) {
        *b += d;
    }
}

/// The optimizer step of one shard: with `sparse` only its touched rows (LazyAdam semantics,
/// as `sparse::sparse_step`), otherwise all its values; and its range of the dense block
/// (shard 0 also `b`). Leaves the shard's gradient all zero.
pub fn step(l: &Layout, sh: &mut Shard<'_>, st: &mut ShardState, sparse: bool, opt: Optimizer, s: StepScalars) {
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
    let touched = &st.touched;
    for (tables, rows, compact) in
        [(users, &touched.users, &mut st.user_grads), (items, &touched.items, &mut st.item_grads)]
    {
        let mut offset = 0;
        for (t, w) in tables.into_iter().zip([f, e, bw]) {
            match (w, sparse) {
                (0, _) => {}
                (_, true) => {
                    let at = match uses_compact(l, sparse) {
                        true => GradAt::Compact { g: &mut compact[..], stride: f + e + bw, offset },
                        false => GradAt::Table(t.1),
                    };
                    update_rows((t.0, t.2, t.3), at, w, rows, opt, s)
                }
                (_, false) => update_dense(t.0, t.1, t.2, t.3, opt, s),
            }
            offset += w;
        }
    }
    update_dense(p.dense, g.dense, m.dense, v.dense, opt, s);
    if !g.b.is_empty() {
        update(p.b, g.b, m.b, v.b, opt, s);
    }
}
