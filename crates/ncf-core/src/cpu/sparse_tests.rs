//! Tests of `sparse.rs`: row-sparse steps against the dense path and against the LazyAdam /
//! lazy-momentum definition written out element by element.

use std::sync::Arc;

use super::*;
use crate::cpu::CpuSteps;
use crate::cpu::sampling::epoch_samples;
use crate::data::Dataset;
use crate::data::synthetic::{SyntheticConfig, synthetic};
use crate::fit::Trainer;
use crate::model::{ModelKind, Params, Tower};
use crate::train::TrainConfig;

fn data() -> Arc<Dataset> {
    let cfg = SyntheticConfig { num_users: 40, num_items: 30, per_user: 6, clusters: 3, test_negatives: 10, seed: 1 };
    Arc::new(synthetic(cfg).unwrap())
}

/// Every model family, each with user/item biases somewhere (MF always; NeuMF here) so the
/// bias rows are covered too.
fn layout(kind: ModelKind, d: &Dataset) -> Layout {
    let (u, i) = (d.num_users, d.num_items);
    match kind {
        ModelKind::Gmf | ModelKind::Mf => Layout::new(kind, u, i, 4).unwrap(),
        ModelKind::Mlp => Layout::neural(kind, u, i, 0, Tower::new(&[8, 4, 2]).unwrap()).unwrap(),
        ModelKind::NeuMf => {
            Layout::neural(kind, u, i, 3, Tower::new(&[8, 4, 2]).unwrap()).unwrap().with_biases(true).unwrap()
        }
    }
}

const KINDS: [ModelKind; 4] = [ModelKind::Gmf, ModelKind::Mf, ModelKind::Mlp, ModelKind::NeuMf];

/// A NeuMF whose tower (over 2¹⁵ values) makes a sparse step run its three parts in parallel.
fn wide(d: &Dataset) -> Layout {
    Layout::neural(ModelKind::NeuMf, d.num_users, d.num_items, 3, Tower::new(&[256, 128, 8]).unwrap()).unwrap()
}

fn trainer(d: &Arc<Dataset>, kind: ModelKind, sparse: bool, optimizer: Optimizer, lr: f32) -> Trainer<CpuSteps> {
    trainer_of(d, layout(kind, d), sparse, optimizer, lr)
}

fn trainer_of(d: &Arc<Dataset>, l: Layout, sparse: bool, optimizer: Optimizer, lr: f32) -> Trainer<CpuSteps> {
    let cfg = TrainConfig { batch_size: 16, optimizer, lr, sparse, seed: 3, ..TrainConfig::default() };
    Trainer::new(CpuSteps::new(d.clone(), None, Params::init(l, 2), cfg).unwrap())
}

/// The first `n` batches of 16 of epoch 0's samples.
fn batches(d: &Dataset, n: usize) -> Vec<(Vec<u32>, Vec<u32>, Vec<f32>)> {
    let s = epoch_samples(d, 4, 3, 0).unwrap();
    (0..n)
        .map(|b| b * 16..(b + 1) * 16)
        .map(|r| (s.users[r.clone()].to_vec(), s.items[r.clone()].to_vec(), s.labels[r].to_vec()))
        .collect()
}

/// Whether each parameter steps in a sparse step on this batch: the rows of its users and items
/// in every row table, and every dense parameter.
fn steps(l: &Layout, users: &[u32], items: &[u32]) -> Vec<bool> {
    let mut on = vec![true; l.len()];
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let mut table = |start: usize, width: usize, rows: u32, used: &[u32]| {
        for r in 0..rows as usize {
            on[start + r * width..start + (r + 1) * width].fill(used.contains(&(r as u32)));
        }
    };
    table(l.user_offset(), f, l.num_users, users);
    table(l.item_offset(), f, l.num_items, items);
    table(l.mlp_user_offset(), e, l.num_users, users);
    table(l.mlp_item_offset(), e, l.num_items, items);
    if l.biases {
        table(l.user_bias_offset(), 1, l.num_users, users);
        table(l.item_bias_offset(), 1, l.num_items, items);
    }
    on
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-7 + 1e-6 * b.abs()
}

#[test]
fn touched_rows_are_the_distinct_ids_and_survive_the_stamp_wrapping() {
    let mut t = TouchedRows::new(5, 4);
    t.gather(&[3, 1, 3, 0], &[2, 2, 2]);
    assert_eq!((t.users.as_slice(), t.items.as_slice()), (&[3, 1, 0][..], &[2][..]));
    t.gather(&[1], &[3, 2]);
    assert_eq!((t.users.as_slice(), t.items.as_slice()), (&[1][..], &[3, 2][..]));
    t.now = u32::MAX;
    t.gather(&[1, 4, 1], &[0]);
    assert_eq!((t.users.as_slice(), t.items.as_slice(), t.now), (&[1, 4][..], &[0][..], 1));
}

/// Plain SGD (no momentum, no weight decay) leaves rows without gradient where they are, so
/// sparse and dense steps must agree, for every model, to rel 1e-6 + abs 1e-7 (in fact bitwise).
#[test]
fn plain_sgd_sparse_equals_dense() {
    let d = data();
    for kind in KINDS {
        let (mut dense, mut sparse) =
            (trainer(&d, kind, false, Optimizer::sgd(), 0.5), trainer(&d, kind, true, Optimizer::sgd(), 0.5));
        for (u, i, y) in batches(&d, 12) {
            let (a, b) = (dense.train_batch(&u, &i, &y), sparse.train_batch(&u, &i, &y));
            assert_eq!(a, b, "{kind:?}: the same weights give the same loss");
        }
        let (a, b) = (&dense.params().data, &sparse.params().data);
        assert_ne!(a, &Params::init(layout(kind, &d), 2).data, "{kind:?} trained");
        for k in 0..a.len() {
            assert!(close(b[k], a[k]), "{kind:?} param {k}: sparse {} vs dense {}", b[k], a[k]);
        }
    }
}

/// LazyAdam: a step leaves every untouched row's p, m and v bit for bit, and moves every
/// touched element (a row that is used counts, whatever its gradient) by Adam's formula from the
/// batch's gradient, written here one element at a time in f32.
#[test]
fn lazy_adam_moves_touched_rows_by_adams_formula_and_nothing_else() {
    let d = data();
    let opt = Optimizer::Adam { beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0.01 };
    for l in KINDS.map(|k| layout(k, &d)).into_iter().chain([wide(&d)]) {
        let kind = (l.kind, l.tower.input());
        let mut t = trainer_of(&d, l, true, opt, 0.01);
        let all = batches(&d, 4);
        for (u, i, y) in &all[..3] {
            t.train_batch(u, i, y);
        }
        let (u, i, y) = &all[3];
        let (p0, st0) = (t.params().data.clone(), t.optimizer_state().unwrap());
        let (g, _) = t.gradients(u, i, y);
        t.train_batch(u, i, y);
        let (p1, st1) = (&t.params().data, t.optimizer_state().unwrap());
        let on = steps(&t.params().layout, u, i);
        assert!(on.iter().any(|&x| !x), "{kind:?}: the batch must leave some rows alone");
        let s = StepScalars::new(opt, 0.01, 4);
        let Optimizer::Adam { beta1, beta2, eps, weight_decay } = opt else { unreachable!() };
        for k in 0..p0.len() {
            if !on[k] {
                assert_eq!(
                    (p1[k].to_bits(), st1.m[k].to_bits(), st1.v[k].to_bits()),
                    (p0[k].to_bits(), st0.m[k].to_bits(), st0.v[k].to_bits()),
                    "{kind:?}: untouched parameter {k} moved"
                );
                continue;
            }
            let gk = g[k] + weight_decay * p0[k];
            let m = st0.m[k] + (1.0 - beta1) * (gk - st0.m[k]);
            let v = beta2 * st0.v[k] + (1.0 - beta2) * gk * gk;
            let p = p0[k] - s.step_size * (m / (v.sqrt() / s.bc2_sqrt + eps));
            assert!(close(st1.m[k], m) && close(st1.v[k], v), "{kind:?} moments of {k}");
            assert!(close(p1[k], p), "{kind:?} param {k}: {} vs {p}", p1[k]);
        }
    }
}

/// On a batch that uses every user and every item, the first sparse Adam step (t = 1, m = v = 0)
/// is the dense step: the same p, m and v.
#[test]
fn sparse_adam_over_every_row_is_the_dense_first_step() {
    let d = data();
    let n = d.num_users.max(d.num_items);
    let users: Vec<u32> = (0..n).map(|k| k % d.num_users).collect();
    let items: Vec<u32> = (0..n).map(|k| (k * 7) % d.num_items).collect();
    let labels: Vec<f32> = (0..n).map(|k| (k % 3 == 0) as u32 as f32).collect();
    for kind in KINDS {
        let (mut a, mut b) =
            (trainer(&d, kind, false, Optimizer::adam(), 0.01), trainer(&d, kind, true, Optimizer::adam(), 0.01));
        a.train_batch(&users, &items, &labels);
        b.train_batch(&users, &items, &labels);
        let (sa, sb) = (a.optimizer_state().unwrap(), b.optimizer_state().unwrap());
        assert_eq!(a.params().data, b.params().data, "{kind:?}");
        assert_eq!((sa.m, sa.v), (sb.m, sb.v), "{kind:?}");
    }
}

/// Lazy momentum: a row the batch does not use keeps its momentum buffer and its weights (a
/// dense step would keep moving it by μ·b), and a used row steps as `b ← μb + g`, `p ← p − lr·b`.
#[test]
fn sparse_momentum_leaves_unused_rows_and_their_buffers() {
    let d = data();
    let opt = Optimizer::Sgd { momentum: 0.9, weight_decay: 0.0 };
    for kind in KINDS {
        let (mut dense, mut sparse) = (trainer(&d, kind, false, opt, 0.1), trainer(&d, kind, true, opt, 0.1));
        let first = (vec![0, 1, 2], vec![0, 1, 2], vec![1.0, 0.0, 1.0]);
        let second = (vec![3, 4], vec![3, 4], vec![0.0, 1.0]);
        for t in [&mut dense, &mut sparse] {
            t.train_batch(&first.0, &first.1, &first.2);
        }
        let (p0, b0) = (sparse.params().data.clone(), sparse.optimizer_state().unwrap().m);
        let g = sparse.gradients(&second.0, &second.1, &second.2).0;
        let before_dense = dense.params().data.clone();
        for t in [&mut dense, &mut sparse] {
            t.train_batch(&second.0, &second.1, &second.2);
        }
        let (p1, b1) = (&sparse.params().data, sparse.optimizer_state().unwrap().m);
        let l = sparse.params().layout;
        let on = steps(&l, &second.0, &second.1);
        // User 0's first MLP or GMF element: used by the first batch only.
        let row0 = if l.factors > 0 { l.user_offset() } else { l.mlp_user_offset() };
        assert!(!on[row0] && b0[row0] != 0.0, "{kind:?}: user 0 carries momentum from step 1");
        assert_ne!(dense.params().data[row0], before_dense[row0], "{kind:?}: dense momentum moves it");
        for k in 0..p0.len() {
            if on[k] {
                let b = 0.9 * b0[k] + g[k];
                assert!(close(b1[k], b) && close(p1[k], p0[k] - 0.1 * b), "{kind:?} param {k}");
            } else {
                assert_eq!((p1[k], b1[k]), (p0[k], b0[k]), "{kind:?}: unused parameter {k} moved");
            }
        }
    }
}

/// Whole epochs with sparse Adam on the synthetic data: the loss is finite and falls.
#[test]
fn sparse_epochs_train() {
    let d = data();
    for kind in KINDS {
        let mut t = trainer(&d, kind, true, Optimizer::adam(), 0.01);
        let losses: Vec<f64> = (0..3).map(|_| t.run_epoch(None).unwrap().loss).collect();
        assert!(losses.iter().all(|l| l.is_finite()), "{kind:?} {losses:?}");
        assert!(losses[1] < losses[0] && losses[2] < losses[1], "{kind:?} {losses:?}");
        assert!(t.params().data.iter().all(|x| x.is_finite()));
    }
}
