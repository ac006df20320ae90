//! Tests of `tower.rs`, kept beside it so the module stays small.

use super::*;
use crate::model::{Layout, ModelKind, Tower, neumf_from_pretrained};

const L2: f32 = 0.03;

fn layout(kind: ModelKind) -> Layout {
    let f = if kind == ModelKind::NeuMf { 3 } else { 0 };
    Layout::neural(kind, 4, 6, f, Tower::new(&[6, 5, 3]).unwrap()).unwrap()
}

/// Weights large enough that the loss is not flat, tower biases positive so most units are
/// active (a finite difference across the ReLU kink would be meaningless).
fn wavy(layout: Layout) -> Params {
    let mut p = Params::init(layout, 5);
    for (k, x) in p.data.iter_mut().enumerate() {
        *x = (k as f32 * 0.61).sin() * 0.7;
    }
    for l in 1..=layout.tower.layers() {
        let (_, o) = layout.tower.dims(l);
        for x in &mut p.data[layout.layer_bias_offset(l)..][..o] {
            *x = x.abs() + 0.3;
        }
    }
    p
}

fn mean_loss(
    p: &Params,
    users: &[u32],
    items: &[u32],
    labels: &[f32],
    drop: Option<DropoutSpec>,
    objective: Objective,
) -> f64 {
    let mut g = vec![0f32; p.data.len()];
    let n = users.len() as f32;
    p.batch_grad(&mut g, users, items, labels, 1.0 / n, L2, drop, objective) / n as f64
}

/// Asserts the analytic batch-mean gradient of every parameter against central differences
/// (step 1e-3, f64 loss, tolerance 2e-3 + 1e-2·|fd|) and returns it.
#[allow(clippy::too_many_arguments)]
fn assert_fd_gradient(
    p: &Params,
    users: &[u32],
    items: &[u32],
    labels: &[f32],
    drop: Option<DropoutSpec>,
    objective: Objective,
    what: &str,
) -> Vec<f32> {
    let mut g = vec![0f32; p.data.len()];
    p.batch_grad(&mut g, users, items, labels, 1.0 / users.len() as f32, L2, drop, objective);
    let eps = 1e-3f32;
    for (k, &gk) in g.iter().enumerate() {
        let (mut plus, mut minus) = (p.clone(), p.clone());
        plus.data[k] += eps;
        minus.data[k] -= eps;
        let fd = (mean_loss(&plus, users, items, labels, drop, objective)
            - mean_loss(&minus, users, items, labels, drop, objective))
            / (2.0 * eps as f64);
        let tol = 2e-3 + 1e-2 * fd.abs();
        assert!((fd - gk as f64).abs() <= tol, "{what} param {k}: analytic {gk} vs finite difference {fd}");
    }
    g
}

/// The featured models the tests cover: (kind, biases, where the features enter).
pub(crate) const FEATURED: [(ModelKind, bool, crate::model::FeatureInputs); 8] = {
    use crate::model::FeatureInputs::{Both, Gmf, Tower};
    [
        (ModelKind::Mlp, false, Tower),
        (ModelKind::NeuMf, false, Tower),
        (ModelKind::NeuMf, true, Tower),
        (ModelKind::NeuMf, true, Both),
        (ModelKind::NeuMf, false, Gmf),
        (ModelKind::Gmf, false, Gmf),
        (ModelKind::Gmf, true, Gmf),
        (ModelKind::Mf, true, Gmf),
    ]
};

/// A model of 4 users and 6 items with side features on both sides: users a categorical
/// and a numeric column, items a multi-valued column (item 5 has none, item 4 two values).
/// With biases as given and the features where `inputs` puts them (GMF and MF: 3 factors).
pub(crate) fn featured_in(kind: ModelKind, biases: bool, inputs: crate::model::FeatureInputs) -> Params {
    use crate::features::{FeatureKind, FeatureValue, RawFeatures};
    use crate::model::ModelFeatures;
    let ids = |n: u32| crate::raw::IdEncoder::from_ids((0..n).map(|k| k.to_string()).collect()).unwrap();
    let s = |x: &str| x.to_string();
    let users = RawFeatures {
        names: vec![s("gender"), s("age")],
        kinds: vec![FeatureKind::Categorical, FeatureKind::Numeric],
        ids: (0..4).map(|k| k.to_string()).collect(),
        rows: (0..4)
            .map(|k| {
                vec![
                    FeatureValue::Categorical(Some(if k % 2 == 0 { s("F") } else { s("M") })),
                    FeatureValue::Numeric(if k == 3 { None } else { Some(20.0 + 7.0 * k as f32) }),
                ]
            })
            .collect(),
    };
    let genres = [vec!["a"], vec!["b"], vec!["a", "c"], vec!["c"], vec!["b", "c"], vec![]];
    let items = RawFeatures {
        names: vec![s("genre")],
        kinds: vec![FeatureKind::Multi],
        ids: (0..6).map(|k| k.to_string()).collect(),
        rows: genres.iter().map(|g| vec![FeatureValue::Multi(g.iter().map(|x| s(x)).collect())]).collect(),
    };
    let f = ModelFeatures {
        users: Some(crate::features::FeatureSet::build(&users, &ids(4), 2).unwrap()),
        items: Some(crate::features::FeatureSet::build(&items, &ids(6), 3).unwrap()),
    };
    let base = if kind.is_neural() { layout(kind) } else { Layout::new(kind, 4, 6, 3).unwrap() };
    let dims = f.dims_for(inputs, base.factors);
    wavy(base.with_features(dims).unwrap().with_biases(biases).unwrap()).with_features(f).unwrap()
}

/// With side features the tower input is `[p ; q ; f_u ; f_i]`: every parameter of the
/// feature tables gets its finite-difference gradient (rows no bag uses get 0 from both).
#[test]
fn feature_gradients_match_finite_differences() {
    let (users, items) = ([0u32, 1, 2, 3, 2], [4u32, 5, 0, 2, 4]);
    for (kind, biases, inputs) in FEATURED {
        for (objective, labels) in [
            (Objective::Bce, [1.0f32, 0.0, 0.0, 1.0, 1.0]),
            (Objective::Squared { offset: 3.5 }, [5.0f32, 1.0, 3.0, 4.0, 2.0]),
        ] {
            let p = featured_in(kind, biases, inputs);
            let l = p.layout;
            // Every parameter: the embeddings (whose GMF-branch gradients now go through
            // p̃ = p + Σ v), h, the biases, the tower, and the feature tables.
            let what = format!("{kind:?} biases={biases} {inputs:?} {objective:?}");
            let g = assert_fd_gradient(&p, &users, &items, &labels, None, objective, &what);
            if inputs.gmf() {
                // Users: gender (F, M and the missing row) and one numeric row; items: genres a–c.
                assert_eq!(l.features.gmf_user_table, (3 + 1) * 3);
                assert_eq!(l.features.gmf_item_table, 3 * 3);
                let genre_a = l.gmf_item_feature_offset();
                assert!(g[genre_a..genre_a + 3].iter().any(|x| x.abs() > 1e-6), "{kind:?}: GMF genre a");
                // The features change scores: a model whose GMF feature tables are zero
                // scores user 1 and item 2 differently.
                let mut zeroed = p.clone();
                zeroed.data[l.gmf_user_feature_offset()..l.embeddings_end()].fill(0.0);
                assert_ne!(p.logits(&[1], &[2]), zeroed.logits(&[1], &[2]));
            }
            if !inputs.tower() {
                continue;
            }
            assert_eq!(l.tower.dims(1).0, 6 + 2 + 2 + 3, "[p ; q ; gender ; age ; genre]");
            // Genre "a" (item table row 0) is used by items 0 and 2 only, both in the batch.
            let genre_a = l.item_feature_offset();
            assert!(g[genre_a..genre_a + 3].iter().any(|x| x.abs() > 1e-6));
            // Item 1 ("b") is not in the batch, but item 4 ("b", "c") is; no row is idle here,
            // so check the first layer's weights on the feature inputs instead.
            let w1 = l.weight_offset(1);
            let (inp, out) = l.tower.dims(1);
            let feature_cols: f32 = (0..out).map(|o| g[w1 + o * inp + inp - 1].abs()).sum();
            assert!(feature_cols > 0.0, "W_1 gets gradients on the feature inputs");
        }
    }
}

/// Central differences (step 1e-3, f64 loss) against the analytic batch-mean gradient of
/// MLP and NeuMF, for every parameter: embeddings of both branches, every W and b of the
/// tower, h and b; with and without dropout. Untouched rows must get exactly zero.
#[test]
fn gradients_match_finite_differences() {
    let (users, items) = ([0u32, 0, 2, 3, 2], [1u32, 4, 1, 5, 4]);
    let cases = [
        (Objective::Bce, [1.0f32, 0.0, 0.0, 1.0, 1.0]),
        (Objective::Squared { offset: 3.5 }, [5.0f32, 1.0, 3.0, 4.0, 2.0]),
    ];
    for (kind, biases) in [(ModelKind::Mlp, false), (ModelKind::NeuMf, false), (ModelKind::NeuMf, true)] {
        for (drop, (objective, labels)) in
            [None, DropoutSpec::new(0.25, 9, 3)].into_iter().flat_map(|d| cases.map(|c| (d, c)))
        {
            let p = wavy(layout(kind).with_biases(biases).unwrap());
            let what = format!("{kind:?} {objective:?} dropout={drop:?}");
            let g = assert_fd_gradient(&p, &users, &items, &labels, drop, objective, &what);
            let l = p.layout;
            let e = l.tower.embedding() as usize;
            assert!(g[l.mlp_user_offset() + e..][..e].iter().all(|&x| x == 0.0), "user 1 is in no sample");
            assert!(g[l.weight_offset(1)..l.head_offset()].iter().any(|&x| x.abs() > 1e-3), "tower gradients");
            if biases {
                assert_eq!(g[l.user_bias_offset() + 1], 0.0, "user 1's bias");
                assert!(g[l.item_bias_offset() + 4].abs() > 1e-4, "item 4's bias");
            }
        }
    }
}

/// Batches longer than CHUNK_ROWS run in chunks with the same dropout masks and the same
/// gradients as one pass over all rows.
#[test]
fn chunked_batches_match_one_pass() {
    let p = wavy(layout(ModelKind::NeuMf));
    let n = CHUNK_ROWS * 2 + 77;
    let users: Vec<u32> = (0..n as u32).map(|k| k % 4).collect();
    let items: Vec<u32> = (0..n as u32).map(|k| (k * 7) % 6).collect();
    let labels: Vec<f32> = (0..n).map(|k| (k % 3 == 0) as u32 as f32).collect();
    let drop = DropoutSpec::new(0.3, 2, 5);
    let mut chunked = vec![0f32; p.data.len()];
    let l1 = p.batch_grad(&mut chunked, &users, &items, &labels, 1.0 / n as f32, L2, drop, Objective::Bce);
    let mut whole = vec![0f32; p.data.len()];
    let fwd = forward(&p, &users, &items, drop);
    let l2 = backward(&p, &fwd, &users, &items, &labels, 1.0 / n as f32, L2, Objective::Bce, &mut whole);
    assert!((l1 - l2).abs() <= 1e-9 * l2.abs().max(1.0), "{l1} vs {l2}");
    for (k, (a, b)) in chunked.iter().zip(&whole).enumerate() {
        assert!((a - b).abs() <= 1e-6 + 1e-4 * b.abs(), "param {k}: {a} vs {b}");
    }
}

/// Dropout changes the logits of a training pass but not of evaluation, and its mask
/// depends on the step.
#[test]
fn dropout_is_seeded_per_step() {
    let p = wavy(layout(ModelKind::Mlp));
    let (u, i) = ([0u32, 1, 2, 3], [0u32, 1, 2, 3]);
    let plain = forward(&p, &u, &i, None).z;
    let a = forward(&p, &u, &i, DropoutSpec::new(0.5, 1, 1)).z;
    let b = forward(&p, &u, &i, DropoutSpec::new(0.5, 1, 2)).z;
    assert_ne!(plain, a);
    assert_ne!(a, b);
    assert_eq!(a, forward(&p, &u, &i, DropoutSpec::new(0.5, 1, 1)).z);
    assert_eq!(p.logits(&u, &i), plain);
}

/// NeuMF-pre's first forward pass is α·z_GMF + (1−α)·z_MLP for every pair (§3.4.1).
#[test]
fn pretrained_neumf_is_the_alpha_mix() {
    let tower = Tower::new(&[8, 6, 4]).unwrap();
    let mut gmf = Params::init(Layout::new(ModelKind::Gmf, 7, 9, 5).unwrap(), 1);
    let mut mlp = Params::init(Layout::neural(ModelKind::Mlp, 7, 9, 0, tower).unwrap(), 2);
    for (k, x) in gmf.data.iter_mut().enumerate() {
        *x = (k as f32 * 0.3).cos() * 0.5;
    }
    let n = mlp.data.len();
    mlp.data[n - 1] = 0.4;
    let users: Vec<u32> = (0..63).map(|k| k % 7).collect();
    let items: Vec<u32> = (0..63).map(|k| k / 7).collect();
    for alpha in [0.5f32, 0.2] {
        let neumf = neumf_from_pretrained(&gmf, &mlp, alpha).unwrap();
        assert_eq!(neumf.layout.kind, ModelKind::NeuMf);
        let (zg, zm, zn) = (gmf.logits(&users, &items), mlp.logits(&users, &items), neumf.logits(&users, &items));
        for t in 0..users.len() {
            let want = alpha * zg[t] + (1.0 - alpha) * zm[t];
            assert!((zn[t] - want).abs() <= 1e-5 + 1e-5 * want.abs(), "pair {t}: {} vs {want}", zn[t]);
        }
    }
    // A GMF with biases passes α·b_u, α·b_i on; the MLP contributes none.
    let mut biased = Params::init(gmf.layout.with_biases(true).unwrap(), 3);
    for (k, x) in biased.data.iter_mut().enumerate() {
        *x = (k as f32 * 0.7).sin() * 0.5;
    }
    let neumf = neumf_from_pretrained(&biased, &mlp, 0.3).unwrap();
    assert!(neumf.layout.biases);
    let (zg, zm, zn) = (biased.logits(&users, &items), mlp.logits(&users, &items), neumf.logits(&users, &items));
    for t in 0..users.len() {
        let want = 0.3 * zg[t] + 0.7 * zm[t];
        assert!((zn[t] - want).abs() <= 1e-5 + 1e-5 * want.abs(), "biased pair {t}: {} vs {want}", zn[t]);
    }
    // An MF (a dot product with biases) stands in for the GMF: h = 1, its biases kept.
    let mut mf = Params::init(Layout::new(ModelKind::Mf, 7, 9, 5).unwrap(), 4);
    for (k, x) in mf.data.iter_mut().enumerate() {
        *x = (k as f32 * 0.45).cos() * 0.6;
    }
    assert!(mf.layout.biases);
    let neumf = neumf_from_pretrained(&mf, &mlp, 0.6).unwrap();
    let (zf, zm, zn) = (mf.logits(&users, &items), mlp.logits(&users, &items), neumf.logits(&users, &items));
    for t in 0..users.len() {
        let want = 0.6 * zf[t] + 0.4 * zm[t];
        assert!((zn[t] - want).abs() <= 1e-5 + 1e-5 * want.abs(), "MF pair {t}: {} vs {want}", zn[t]);
    }
    let err = neumf_from_pretrained(&mlp, &gmf, 0.5).unwrap_err();
    assert!(err.to_string().contains("must be a GMF"), "{err}");
    let other = Params::init(Layout::neural(ModelKind::Mlp, 8, 9, 0, tower).unwrap(), 2);
    assert!(neumf_from_pretrained(&gmf, &other, 0.5).unwrap_err().to_string().contains("same ids"));
    assert!(neumf_from_pretrained(&gmf, &mlp, 1.5).unwrap_err().to_string().contains("alpha"));
}

#[test]
fn towers_follow_the_paper() {
    assert_eq!(Tower::for_factors(8, 3).unwrap().sizes(), &[64, 32, 16, 8]);
    assert_eq!(Tower::for_factors(64, 3).unwrap().sizes(), &[512, 256, 128, 64]);
    assert!(Tower::new(&[7, 3]).unwrap_err().to_string().contains("even"));
    assert!(Tower::new(&[8]).is_err());
    let l = Layout::neural(ModelKind::NeuMf, 10, 20, 8, Tower::for_factors(8, 3).unwrap()).unwrap();
    // P, Q (8), P_mlp, Q_mlp (32), 64·32+32 + 32·16+16 + 16·8+8, h (8 + 8), b
    assert_eq!(l.len(), 30 * 8 + 30 * 32 + (2048 + 32 + 512 + 16 + 128 + 8) + 16 + 1);
    assert_eq!(l.predictive_factors(), 8);
    let p = Params::init(l, 3);
    let w1 = &p.data[l.weight_offset(1)..l.layer_bias_offset(1)];
    let limit = (6.0f32 / 96.0).sqrt();
    assert!(w1.iter().all(|x| x.abs() <= limit) && w1.iter().any(|x| x.abs() > limit * 0.9), "Xavier bounds");
    assert!(p.data[l.layer_bias_offset(1)..l.weight_offset(2)].iter().all(|&x| x == 0.0));
}
/// A cold item described by an existing item's features scores as that item would with a
/// zero id embedding; a cold user likewise.
#[test]
fn cold_start_scores_from_features_alone() {
    for (kind, biases, inputs) in FEATURED {
        let p = featured_in(kind, biases, inputs);
        let l = p.layout;
        let f = p.features.clone().unwrap();
        let item = 4u32; // genres b and c
        let user = 1u32;
        let item_bag =
            vec![f.items.as_ref().unwrap().bag(item, 0)].into_iter().map(|(r, w)| (r.to_vec(), w.to_vec())).collect();
        let user_set = f.users.as_ref().unwrap();
        let user_bag =
            (0..user_set.slots.len()).map(|s| user_set.bag(user, s)).map(|(r, w)| (r.to_vec(), w.to_vec())).collect();
        let cold = p.with_cold(&[user_bag], &[item_bag]).unwrap();
        assert_eq!((cold.layout.num_users, cold.layout.num_items), (l.num_users + 1, l.num_items + 1));
        // The reference: the same model with the item's and user's id embeddings zeroed.
        let mut zeroed = p.clone();
        let (fu, e) = (l.factors as usize, l.tower.embedding() as usize);
        for (off, w, r) in [
            (l.item_offset(), fu, item as usize),
            (l.mlp_item_offset(), e, item as usize),
            (0, fu, user as usize),
            (l.mlp_user_offset(), e, user as usize),
        ] {
            zeroed.data[off + r * w..off + (r + 1) * w].fill(0.0);
        }
        if biases {
            zeroed.data[l.user_bias_offset() + user as usize] = 0.0;
            zeroed.data[l.item_bias_offset() + item as usize] = 0.0;
        }
        let (nu, ni) = (l.num_users, l.num_items);
        let got = cold.logits(&[0, nu, nu], &[ni, 2, ni]);
        let want =
            [zeroed.logits(&[0], &[item])[0], zeroed.logits(&[user], &[2])[0], zeroed.logits(&[user], &[item])[0]];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{kind:?}: cold {got:?} vs zeroed {want:?}");
        }
        // Known pairs are untouched.
        assert_eq!(cold.logits(&[2, 3], &[1, 5]), p.logits(&[2, 3], &[1, 5]));
        let e = Params::init(Layout::new(ModelKind::Mf, 2, 2, 2).unwrap(), 0).with_cold(&[], &[vec![]]).unwrap_err();
        assert!(e.to_string().contains("the model was built without them"), "{e}");
    }
}
