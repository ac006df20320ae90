//! Gradient fold-in: only the folded rows move, the first step is Adam's from the
//! fit's own gradient, and refolding a trained user's row from their interactions recovers
//! their ranking.

use std::sync::Arc;

use super::fit_rows;
use crate::cpu::CpuSteps;
use crate::data::synthetic::{SyntheticConfig, synthetic};
use crate::fit::Trainer;
use crate::infer::{Side, embedding_parts};
use crate::model::{Layout, ModelKind, Objective, Params, Tower};
use crate::train::{RowSteps, TrainConfig};

/// Offsets of a row's trainable parameters, as the fold-in computes them, written out.
fn owned(l: Layout, side: Side, row: u32) -> Vec<usize> {
    let mut v: Vec<usize> = embedding_parts(l, side)
        .into_iter()
        .flat_map(|(o, w)| o + row as usize * w..o + (row as usize + 1) * w)
        .collect();
    if l.biases {
        v.push(if side == Side::Users { l.user_bias_offset() } else { l.item_bias_offset() } + row as usize);
    }
    v
}

fn neumf(users: u32, items: u32) -> Params {
    let tower = Tower::for_factors(4, 3).unwrap();
    let l = Layout::neural(ModelKind::NeuMf, users, items, 4, tower).unwrap().with_biases(true).unwrap();
    let mut p = Params::init_with_std(l, 5, 0.3);
    // Non-zero biases, so a bias that moves when it should not is seen.
    let (bu, b) = (l.user_bias_offset(), l.b_offset());
    p.data[bu..b].iter_mut().enumerate().for_each(|(k, x)| *x = 0.01 * (k % 7) as f32);
    p
}

#[test]
fn fold_in_moves_only_the_folded_rows() {
    for side in [Side::Users, Side::Items] {
        let mut p = neumf(9, 11);
        let before = p.clone();
        let other = if side == Side::Users { 11 } else { 9 };
        let rows = vec![(2u32, vec![0u32, 3, 4]), (7, vec![1, 8])];
        let spec = RowSteps { epochs: 3, negatives: 2, ..RowSteps::default() };
        fit_rows(&mut p, side, &rows, other, spec);
        let mut allowed: Vec<usize> = rows.iter().flat_map(|r| owned(p.layout, side, r.0)).collect();
        allowed.sort_unstable();
        for (k, (a, b)) in before.data.iter().zip(&p.data).enumerate() {
            assert!(b.is_finite(), "{side:?}: weight {k} is {b}");
            if allowed.binary_search(&k).is_err() {
                assert_eq!(a.to_bits(), b.to_bits(), "{side:?}: weight {k} is not a folded row's, yet moved");
            }
        }
        for r in &rows {
            let moved = owned(p.layout, side, r.0).iter().filter(|&&k| before.data[k] != p.data[k]).count();
            assert_eq!(moved, owned(p.layout, side, r.0).len(), "{side:?}: every parameter of row {} steps", r.0);
        }
    }
}

#[test]
fn fold_in_first_step_is_adams_from_the_fits_gradient() {
    // One row, one interaction, no negatives, one epoch: Adam's first step is
    // −lr · g / (|g| + ε) per parameter (m̂ = g, v̂ = g²), g the fit's gradient of the sample.
    let mut p = neumf(5, 6);
    let before = p.clone();
    let mut g = vec![0f32; p.data.len()];
    before.batch_grad(&mut g, &[3], &[2], &[1.0], 1.0, 0.0, None, Objective::Bce);
    let spec = RowSteps { epochs: 1, negatives: 0, lr: 0.01, ..RowSteps::default() };
    fit_rows(&mut p, Side::Users, &[(3, vec![2])], 6, spec);
    for k in owned(p.layout, Side::Users, 3) {
        let want = before.data[k] - 0.01 * g[k] / (g[k].abs() + 1e-8);
        assert!((p.data[k] - want).abs() <= 1e-6 + 1e-6 * want.abs(), "weight {k}: {} vs {want}", p.data[k]);
        assert!(g[k] != 0.0, "weight {k} has a gradient");
    }
}

#[test]
fn refolding_a_trained_user_recovers_their_ranking() {
    // Planted clusters: train a GMF, erase ten users' rows, fold them in from their training
    // items, and compare their test hit rate with the trained model's.
    let cfg =
        SyntheticConfig { num_users: 200, num_items: 120, per_user: 12, clusters: 4, test_negatives: 50, seed: 3 };
    let data = Arc::new(synthetic(cfg).unwrap());
    let l = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let cfg = TrainConfig { lr: 0.01, seed: 1, ..TrainConfig::default() };
    let mut t = Trainer::new(CpuSteps::new(data.clone(), None, Params::init(l, 2), cfg).unwrap());
    for _ in 0..12 {
        t.run_epoch(None).unwrap();
    }
    let trained = t.params().clone();
    let test = data.test.as_ref().unwrap();
    let folded: Vec<u32> = (0..data.num_users).filter(|u| u % 20 == 7).collect();
    let hits = |p: &Params| {
        let mut h = 0;
        for c in 0..test.users.len() {
            let u = test.users[c];
            if !folded.contains(&u) {
                continue;
            }
            let pc = test.per_case as usize;
            let cands = &test.candidates[c * pc..(c + 1) * pc];
            let z = p.logits(&vec![u; cands.len()], cands);
            h += usize::from(z[1..].iter().filter(|&&s| s >= z[0]).count() < 10);
        }
        h
    };
    let mut p = trained.clone();
    for &u in &folded {
        owned(l, Side::Users, u).into_iter().for_each(|k| p.data[k] = 0.0);
    }
    let erased = hits(&p);
    let rows: Vec<(u32, Vec<u32>)> = folded.iter().map(|&u| (u, data.train.row(u).to_vec())).collect();
    fit_rows(&mut p, Side::Users, &rows, data.num_items, RowSteps::default());
    let (h_trained, h_folded) = (hits(&trained), hits(&p));
    assert!(h_trained >= 7, "the trained GMF ranks its users ({h_trained} of 10)");
    assert!(h_folded * 10 >= h_trained * 9, "folded {h_folded} vs trained {h_trained} hits of 10");
    assert!(h_folded > erased, "folding in beats the zero row ({h_folded} vs {erased})");
}
