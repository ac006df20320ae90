//! Fold-in (issues 16, 17): each folded-in ALS row solves the iALS normal equations against the fixed
//! other side (checked in f64 by an independent elimination), the rest of the model is
//! untouched, ids and seen items follow, and bad requests are refused by name.

use std::sync::Arc;

use super::{FoldIn, FoldInReport};
use crate::cpu::CpuBackend;
use crate::data::Csr;
use crate::error::NcfError;
use crate::error::Result;
use crate::model::ModelKind;
use crate::raw::IdEncoder;
use crate::recommender::{Ids, ModelSpec, Recommender};
use crate::train::AlsSpec;

const F: usize = 6;

fn als(users: u32, items: u32) -> Recommender {
    let spec = ModelSpec {
        kind: Some(ModelKind::Mf),
        num_users: users,
        num_items: items,
        factors: Some(F as u32),
        seed: 4,
        als: true,
        ..ModelSpec::default()
    };
    Recommender::build(spec).unwrap()
}

/// Checks and runs a fold-in on the CPU backend.
fn fold(m: &Recommender, r: FoldIn) -> Result<FoldInReport> {
    m.fold_in(r)?.run(&CpuBackend)
}

fn req(users: &[(&str, &[&str])], items: &[(&str, &[&str])]) -> FoldIn {
    let side = |v: &[(&str, &[&str])]| {
        v.iter().map(|(id, l)| (id.to_string(), l.iter().map(|s| s.to_string()).collect())).collect()
    };
    FoldIn { users: side(users), items: side(items), ..FoldIn::default() }
}

/// ‖A x − b‖ / ‖b‖ for A = α YᵀY + Σ_{j∈obs} y_j y_jᵀ + reg(|obs| + α n) I, b = Σ y_j.
fn residual(x: &[f32], other: &[f32], n: usize, obs: &[usize], reg: f64, alpha: f64) -> f64 {
    let y = |j: usize, k: usize| other[j * F + k] as f64;
    let lambda = reg * (obs.len() as f64 + alpha * n as f64);
    let (mut worst, mut norm) = (0f64, 0f64);
    for r in 0..F {
        let mut ax = lambda * x[r] as f64;
        for (c, &xc) in x.iter().enumerate().take(F) {
            let g: f64 = (0..n).map(|j| y(j, r) * y(j, c)).sum();
            let o: f64 = obs.iter().map(|&j| y(j, r) * y(j, c)).sum();
            ax += (alpha * g + o) * xc as f64;
        }
        let b: f64 = obs.iter().map(|&j| y(j, r)).sum();
        worst = worst.max((ax - b).abs());
        norm = norm.max(b.abs());
    }
    worst / norm
}

#[test]
fn fold_in_solves_new_and_known_rows_exactly() {
    let m = als(40, 30);
    let before = m.weights().unwrap();
    let r = fold(&m, req(&[("40", &["1", "5", "7", "5"]), ("3", &["2", "9"])], &[("30", &["40", "2", "11"])])).unwrap();
    assert_eq!(r, FoldInReport { added_users: 1, updated_users: 1, added_items: 1, updated_items: 0 });
    let p = m.weights().unwrap();
    assert_eq!((p.layout.num_users, p.layout.num_items, m.layout().num_users), (41, 31, 41));
    let (users, items) = p.data.split_at(p.layout.item_offset());
    let old_items = &before.data[before.layout.item_offset()..][..30 * F];
    // Users against the items as they were (the duplicate 5 counts once).
    assert!(residual(&users[40 * F..][..F], old_items, 30, &[1, 5, 7], 0.007, 0.3) < 1e-4);
    assert!(residual(&users[3 * F..][..F], old_items, 30, &[2, 9], 0.007, 0.3) < 1e-4);
    // The new item against every user, the new one included.
    assert!(residual(&items[30 * F..][..F], &users[..41 * F], 41, &[2, 11, 40], 0.007, 0.3) < 1e-4);
    // Nothing else moved.
    for u in (0..40).filter(|&u| u != 3) {
        assert_eq!(&users[u * F..][..F], &before.data[u * F..][..F], "user {u}");
    }
    assert_eq!(&items[..30 * F], old_items);
    assert!(p.data.iter().all(|x| x.is_finite()));
}

#[test]
fn fold_in_uses_the_fits_objective_and_an_override() {
    let m = als(20, 15);
    m.set_als_spec(AlsSpec { reg: 0.05, alpha: 1.0, cg_steps: 3 });
    let before = m.weights().unwrap();
    let q = before.data[before.layout.item_offset()..][..15 * F].to_vec();
    fold(&m, req(&[("20", &["0", "3"])], &[])).unwrap();
    let p = m.weights().unwrap();
    assert!(residual(&p.data[20 * F..][..F], &q, 15, &[0, 3], 0.05, 1.0) < 1e-4);
    let mut o = req(&[("21", &["4"])], &[]);
    (o.l2, o.alpha) = (Some(0.2), Some(0.0));
    fold(&m, o).unwrap();
    let p = m.weights().unwrap();
    assert!(residual(&p.data[21 * F..][..F], &q, 15, &[4], 0.2, 0.0) < 1e-4);
}

#[test]
fn fold_in_learns_ids_and_seen_items() {
    let m = als(3, 4);
    let enc = |v: &[&str]| Some(Arc::new(IdEncoder::from_ids(v.iter().map(|s| s.to_string()).collect()).unwrap()));
    let seen = Csr::from_pairs(3, &[0, 1, 2], &[0, 1, 2], None).0;
    m.adopt(None, seen, Ids { users: enc(&["ann", "bob", "cy"]), items: enc(&["w", "x", "y", "z"]) });
    fold(&m, req(&[("dee", &["z", "w"]), ("bob", &["y"])], &[("v", &["dee", "ann"])])).unwrap();
    let ids = m.ids();
    assert_eq!(ids.users.as_ref().unwrap().ids(), &["ann", "bob", "cy", "dee"]);
    assert_eq!(ids.items.as_ref().unwrap().ids(), &["w", "x", "y", "z", "v"]);
    let s = m.seen().unwrap();
    assert_eq!(s.num_users(), 4);
    assert_eq!(s.row(0), &[0, 4], "ann keeps w and gains v");
    assert_eq!(s.row(1), &[2], "bob's row is the items given");
    assert_eq!(s.row(2), &[2]);
    assert_eq!(s.row(3), &[0, 3, 4], "dee: w, z and v");
    let e = fold(&m, req(&[("eve", &["w", "nope"])], &[])).unwrap_err();
    assert_eq!(e.to_string(), "foldIn.users['eve'][1]: unknown id 'nope'");
    assert_eq!(m.layout().num_users, 4, "a refused fold-in changes nothing");
}

#[test]
fn fold_in_refuses_by_name() {
    let m = als(5, 5);
    let msg = |r: FoldIn| fold(&m, r).unwrap_err().to_string();
    assert_eq!(
        msg(req(&[("7", &["1"])], &[])),
        "foldIn.users['7']: this model's users are indices: a new one must be the next, 5"
    );
    assert_eq!(
        msg(req(&[("05", &["1"])], &[])),
        "foldIn.users['05']: this model's users are indices: a new one must be the next, 5"
    );
    assert_eq!(msg(req(&[("5", &[])], &[])), "foldIn.users['5']: needs at least one interaction to solve its row from");
    assert_eq!(msg(req(&[("1", &["0"]), ("1", &["2"])], &[])), "foldIn.users['1']: is given twice");
    assert_eq!(msg(req(&[("5", &["9"])], &[])), "foldIn.users['5'][0]: unknown id '9'");
    assert_eq!(msg(req(&[], &[("5", &["6"])])), "foldIn.items['5'][0]: unknown id '6'");
    assert_eq!(msg(req(&[], &[])), "foldIn: expected { users?, items? } with at least one entry");
    let mut bad = req(&[("5", &["1"])], &[]);
    bad.l2 = Some(-1.0);
    assert_eq!(msg(bad), "l2: must be a positive number, got -1");
    let gmf = Recommender::build(ModelSpec {
        kind: Some(ModelKind::Gmf),
        num_users: 5,
        num_items: 5,
        ..ModelSpec::default()
    })
    .unwrap();
    let mut a = req(&[("5", &["1"])], &[]);
    a.alpha = Some(0.3);
    let e = fold(&gmf, a).unwrap_err().to_string();
    assert_eq!(e, "alpha: is the weight of unobserved pairs in ALS; this model has none");
    let mut steps = req(&[("5", &["1"])], &[]);
    steps.epochs = Some(3);
    assert_eq!(msg(steps), "epochs: applies to gradient fold-in; an ALS row is solved exactly");
    let rating = Recommender::build(ModelSpec {
        kind: Some(ModelKind::Gmf),
        num_users: 5,
        num_items: 5,
        task: Some(crate::recommender::TaskKind::Rating),
        ..ModelSpec::default()
    })
    .unwrap();
    let e = fold(&rating, req(&[("5", &["1"])], &[])).unwrap_err().to_string();
    assert!(e.starts_with("foldIn: learns rows from implicit interactions; this model predicts ratings"), "{e}");
    assert_eq!(m.layout().num_users, 5);
    let lease = m.lease().unwrap();
    assert!(matches!(fold(&m, req(&[("5", &["1"])], &[])), Err(NcfError::Busy)), "not while a fit runs");
    drop(lease);
    m.dispose();
    assert!(matches!(fold(&m, req(&[("5", &["1"])], &[])), Err(NcfError::Disposed)));
}

#[test]
fn a_folded_in_model_saves_and_loads_with_its_objective() {
    let m = als(6, 5);
    m.set_als_spec(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 3 });
    fold(&m, req(&[("6", &["1", "2"])], &[])).unwrap();
    let dir = std::env::temp_dir().join(format!("ncf-fold-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("als.ncf");
    m.save(&path, Default::default(), false).unwrap().run().unwrap();
    let back = Recommender::load(&path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(back.is_als());
    assert_eq!(back.als_spec(), Some(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 3 }));
    assert_eq!(back.layout().num_users, 7);
    assert_eq!(back.weights().unwrap().data, m.weights().unwrap().data);
}
