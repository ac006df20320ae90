//! Tests of `step.rs`: the parallel step gives the same bits as the serial path it replaces
//! (`Params::batch_grad`, then `sparse_step` or `update_dense`), on one thread and on several,
//! for every model kind, both objectives, with and without dropout, dense and sparse, Adam and
//! SGD with momentum, at batch sizes of one piece, several pieces and several waves.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::*;
use crate::cpu::optim::update_dense;
use crate::cpu::sparse::{TouchedRows, sparse_step};
use crate::model::{ModelKind, Tower};

/// Large enough (over `SHARD_WORK` values) that dense steps and sparse steps of a few hundred
/// samples run sharded; NeuMF and MF carry user/item biases.
fn layout(kind: ModelKind) -> Layout {
    sized(kind, false)
}

/// [`layout`], or with `wide` rows wide enough for the shards' compact gradient records.
fn sized(kind: ModelKind, wide: bool) -> Layout {
    let (u, i) = (401, 299);
    let (f, widths): (u32, &[u32]) = if wide { (40, &[128, 64, 32]) } else { (6, &[16, 8, 4]) };
    let tower = || Tower::new(widths).unwrap();
    match kind {
        ModelKind::Gmf => Layout::new(kind, u, i, f).unwrap(),
        ModelKind::Mf => Layout::new(kind, u, i, f).unwrap(),
        ModelKind::Mlp => Layout::neural(kind, u, i, 0, tower()).unwrap(),
        ModelKind::NeuMf => Layout::neural(kind, u, i, f, tower()).unwrap().with_biases(true).unwrap(),
    }
}

struct Run {
    p: Params,
    g: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    losses: Vec<f64>,
}

impl Run {
    fn new(l: Layout) -> Self {
        let n = l.len();
        Run { p: Params::init(l, 9), g: vec![0.0; n], m: vec![0.0; n], v: vec![0.0; n], losses: Vec::new() }
    }
}

type Batch = (Vec<u32>, Vec<u32>, Vec<f32>);

fn batches(l: &Layout, n: usize, objective: Objective, rng: &mut Xoshiro256PlusPlus) -> Vec<Batch> {
    (0..3)
        .map(|_| {
            // A few users and items repeat within the batch, as real batches do.
            let users = (0..n).map(|_| rng.random_range(0..l.num_users.min(n as u32 / 3 + 1))).collect();
            let items = (0..n).map(|_| rng.random_range(0..l.num_items)).collect();
            let labels = (0..n)
                .map(|_| match objective {
                    Objective::Bce => rng.random_range(0..2u32) as f32,
                    Objective::Squared { .. } => rng.random_range(1..=5u32) as f32,
                })
                .collect();
            (users, items, labels)
        })
        .collect()
}

/// The serial path, as `CpuSteps` stepped before `step.rs`.
fn serial(l: Layout, bs: &[Batch], cfg: &Cfg) -> Run {
    let mut r = Run::new(l);
    let mut touched = TouchedRows::new(l.num_users, l.num_items);
    for (k, (u, i, y)) in bs.iter().enumerate() {
        let drop = DropoutSpec::new(cfg.dropout, 5, k as u64 + 1);
        let scale = 1.0 / u.len() as f32;
        let loss = r.p.batch_grad(&mut r.g, u, i, y, scale, cfg.l2, drop, cfg.objective);
        let s = StepScalars::new(cfg.opt, 0.01, k as u64 + 1);
        if cfg.sparse {
            touched.gather(u, i);
            sparse_step(&l, &mut r.p.data, &mut r.g, &mut r.m, &mut r.v, &touched, cfg.opt, s);
        } else {
            update_dense(&mut r.p.data, &mut r.g, &mut r.m, &mut r.v, cfg.opt, s);
        }
        r.losses.push(loss);
    }
    r
}

fn parallel(l: Layout, bs: &[Batch], cfg: &Cfg, threads: usize) -> Run {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut r = Run::new(l);
        let mut ws = StepWorkspace::default();
        for (k, (users, items, labels)) in bs.iter().enumerate() {
            let dropout = DropoutSpec::new(cfg.dropout, 5, k as u64 + 1);
            let (scale, l2, objective) = (1.0 / users.len() as f32, cfg.l2, cfg.objective);
            let b = StepBatch { users, items, labels, scale, l2, dropout, objective };
            let s = StepScalars::new(cfg.opt, 0.01, k as u64 + 1);
            let loss = ws.train(&mut r.p, [&mut r.g, &mut r.m, &mut r.v], &b, cfg.sparse, cfg.opt, s);
            r.losses.push(loss);
        }
        r
    })
}

struct Cfg {
    sparse: bool,
    opt: Optimizer,
    objective: Objective,
    dropout: f32,
    l2: f32,
}

#[test]
fn parallel_steps_are_the_serial_steps_bit_for_bit_on_any_thread_count() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(14);
    use ModelKind::*;
    // Narrow rows sum their gradients in the table, wide ones in the shards' compact records.
    let kinds = [(Gmf, false), (Mf, false), (Mlp, false), (NeuMf, false), (Mlp, true), (NeuMf, true)];
    let opts = [Optimizer::adam_with_decay(1e-3), Optimizer::Sgd { momentum: 0.9, weight_decay: 0.0 }];
    let mut sharded = 0;
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    for (kind, wide) in kinds {
        let l = sized(kind, wide);
        assert_eq!(crate::cpu::shards::uses_compact(&l, true), wide, "{kind:?}");
        for n in [50, 300, 1100] {
            for sparse in [false, true] {
                for (c, opt) in opts.into_iter().enumerate() {
                    let objective = if c == 0 { Objective::Bce } else { Objective::Squared { offset: 3.5 } };
                    let dropout = if kind.is_neural() && c == 0 { 0.25 } else { 0.0 };
                    let cfg = Cfg { sparse, opt, objective, dropout, l2: 0.01 };
                    let bs = batches(&l, n, objective, &mut rng);
                    let want = serial(l, &bs, &cfg);
                    assert!(want.losses.iter().all(|x| x.is_finite() && *x > 0.0));
                    assert!(want.p.data.iter().all(|x| x.is_finite()));
                    sharded += usize::from(three.install(|| shard_count(&l, n, sparse)) == 3);
                    for threads in [1, 3] {
                        let got = parallel(l, &bs, &cfg, threads);
                        let what = format!("{kind:?} wide={wide} n={n} sparse={sparse} {opt:?} threads={threads}");
                        assert_eq!(got.losses, want.losses, "{what}: losses");
                        assert!(got.p.data == want.p.data, "{what}: weights");
                        assert!(got.m == want.m && got.v == want.v, "{what}: moments");
                        assert!(got.g.iter().all(|&x| x == 0.0), "{what}: gradient left non-zero");
                    }
                }
            }
        }
    }
    assert!(sharded > 10, "too few cases ran sharded: {sharded}");
}

/// The shards cut every row table into whole rows and the dense block into ranges that keep
/// `h_g` whole, and together hold the whole vector once, with `b` on shard 0 only.
#[test]
fn shards_cover_every_value_once() {
    use crate::cpu::shards::{shard_states, split};
    for kind in [ModelKind::Mf, ModelKind::Gmf, ModelKind::NeuMf] {
        let l = layout(kind);
        let dense = l.user_bias_offset() - l.user_feature_offset();
        let h0 = l.head_offset() - l.user_feature_offset();
        for count in [1, 2, 7, 64] {
            let states = shard_states(&l, count);
            let n = l.len();
            let mut xs: [Vec<f32>; 4] = std::array::from_fn(|_| vec![0.0; n]);
            let [a, b, c, d] = &mut xs;
            let lens: Vec<usize> = split(&l, &states, [a, b, c, d]).iter().map(|s| s.values()).collect();
            assert_eq!(lens.iter().sum::<usize>(), n, "{kind:?} × {count}");
            let per_row = l.factors as usize + l.tower.embedding() as usize + l.biases as usize;
            let mut next = 0;
            for (t, (len, st)) in lens.iter().zip(&states).enumerate() {
                let (u, i, dr) = st.rows();
                assert_eq!(dr.start, next, "{kind:?} shard {t} of {count}: dense ranges are contiguous");
                next = dr.end;
                if l.h_len() > 0 {
                    assert!(!(dr.start > h0 && dr.start < h0 + l.factors as usize), "a cut inside h_g");
                }
                let own = (u.len() + i.len()) * per_row + dr.len() + usize::from(t == 0);
                assert_eq!(*len, own, "{kind:?} shard {t} of {count}");
            }
            assert_eq!(next, dense, "{kind:?} × {count}: the dense ranges cover the block");
            if count > 1 && kind == ModelKind::NeuMf {
                assert!(states.iter().filter(|s| !s.rows().2.is_empty()).count() > 1, "the dense block is shared");
            }
        }
    }
}
