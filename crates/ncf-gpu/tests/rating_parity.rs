//! Rating regression (task 'rating') on the GPU against the CPU backend on fresh random data:
//! the sampler's rated samples, the squared-error gradients of every model kind, whole epochs,
//! and RMSE / MAE / R² on held-out ratings. Tolerances as the implicit parity tests: single
//! passes relative 1e-4 + absolute 1e-5 (neural: 1e-4 after the kink check); Adam epochs
//! 1e-3 + 1e-3 (a fifth of one lr step; ratings make gradients larger, not tolerances looser).

mod common;

use std::sync::Arc;

use common::{Xoshiro256PlusPlus, assert_close_but_kinks, assert_gradients_match, cfg, random_params, rng, shared};
use ncf_core::cpu::evaluate_rating_cpu;
use ncf_core::cpu::sampling::epoch_samples;
use ncf_core::data::split::{SplitMethod, split};
use ncf_core::train::rating_scale;
use ncf_core::{CpuSteps, Dataset, Layout, ModelKind, Optimizer, Params, Tower, TrainConfig, Trainer};
use ncf_gpu::{GpuSteps, evaluate_rating_gpu};
use rand::Rng;

/// Users with 5–30 ratings (integers 1–5), split at random 70/20/10 with 5 negatives per case.
fn rated(rng: &mut Xoshiro256PlusPlus, users: u32, items: u32) -> Dataset {
    let (mut us, mut is, mut rs) = (Vec::new(), Vec::new(), Vec::new());
    for u in 0..users {
        for _ in 0..rng.random_range(5..30) {
            us.push(u);
            is.push(rng.random_range(0..items));
            rs.push(rng.random_range(1..=5) as f32);
        }
    }
    let all = Dataset::from_pairs_rated(&us, &is, None, Some(&rs), None, None, Some(items)).unwrap();
    split(&all, SplitMethod::Random { test: 0.2, validation: 0.1 }, 5, rng.random()).unwrap()
}

fn layout((kind, biases): (ModelKind, bool), data: &Dataset) -> Layout {
    let (u, i) = (data.num_users, data.num_items);
    let l = match kind {
        ModelKind::Gmf | ModelKind::Mf => Layout::new(kind, u, i, 7).unwrap(),
        ModelKind::Mlp => Layout::neural(kind, u, i, 0, Tower::new(&[16, 8, 5]).unwrap()).unwrap(),
        ModelKind::NeuMf => Layout::neural(kind, u, i, 5, Tower::new(&[16, 8, 5]).unwrap()).unwrap(),
    };
    l.with_biases(biases).unwrap()
}

fn rating_cfg(data: &Dataset, opt: Optimizer, batch: u32, seed: u32) -> TrainConfig {
    let scale = rating_scale(data, true).unwrap();
    TrainConfig { negatives: 0, rating: Some(scale), ..cfg(opt, batch, seed) }
}

/// Every model kind, without and with the user/item bias terms (MF: with, then the plain dot
/// product).
const KINDS: [(ModelKind, bool); 8] = [
    (ModelKind::Gmf, false),
    (ModelKind::Gmf, true),
    (ModelKind::Mf, true),
    (ModelKind::Mf, false),
    (ModelKind::Mlp, false),
    (ModelKind::Mlp, true),
    (ModelKind::NeuMf, false),
    (ModelKind::NeuMf, true),
];

#[test]
fn rated_samples_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(rated(&mut rng, 60, 150));
    let c = rating_cfg(&data, Optimizer::adam(), 64, rng.random());
    let params = Params::init(layout((ModelKind::Gmf, false), &data), 1);
    let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params, c).unwrap());
    gpu.run_epoch(None).unwrap();
    let s = gpu.samples().unwrap();
    assert_eq!(s, epoch_samples(&data, 0, c.seed, 0).unwrap());
    assert_eq!(s.len(), data.num_interactions(), "one sample per observed rating, no negatives");
    let mut labels = s.labels.clone();
    labels.sort_by(f32::total_cmp);
    let mut truth = data.train_ratings.clone().unwrap();
    truth.sort_by(f32::total_cmp);
    assert_eq!(labels, truth, "every rating once, as its label");
}

#[test]
fn squared_error_gradients_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(rated(&mut rng, 80, 90));
    for kind in KINDS {
        let l = layout(kind, &data);
        let c = TrainConfig { l2: 0.01, ..rating_cfg(&data, Optimizer::adam(), 1024, rng.random()) };
        // Small weights keep every ReLU unit far from its kink relative to f32 rounding in
        // practice; the tolerance below still allows a rounding-level flip to be absorbed.
        let params = Params::from_vec(l, random_params(&mut rng, l).data.iter().map(|x| x * 0.5).collect()).unwrap();
        // As many pairs as the session's samples (a batch cannot be larger): several workgroups.
        let n = data.num_interactions();
        assert!(n > 2 * shared().info.workgroup_size as usize, "{n} pairs cross workgroup edges");
        let users: Vec<u32> = (0..n).map(|_| rng.random_range(0..data.num_users)).collect();
        let items: Vec<u32> = (0..n).map(|_| rng.random_range(0..data.num_items)).collect();
        let ratings: Vec<f32> = (0..n).map(|_| rng.random_range(1..=5) as f32).collect();
        let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
        let cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
        let g =
            assert_gradients_match(&format!("{kind:?} rating"), &mut gpu, &cpu, &(users, items, ratings), 1e-3, 1e-5);
        assert!(g.iter().filter(|x| x.abs() > 1e-6).count() > 50, "{kind:?}: gradients reach the weights");
    }
}

#[test]
fn rating_epochs_and_metrics_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(rated(&mut rng, 50, 120));
    let valid = data.validation.clone();
    for kind in KINDS {
        let params = Params::init(layout(kind, &data), rng.random());
        let c = TrainConfig { l2: 0.001, lr: 0.01, ..rating_cfg(&data, Optimizer::adam(), 32, rng.random()) };
        let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), valid.clone(), params.clone(), c).unwrap());
        let mut cpu = Trainer::new(CpuSteps::new(data.clone(), valid.clone(), params, c).unwrap());
        let (mut first_rmse, mut last_rmse) = (None, f64::NAN);
        for epoch in 1..=3 {
            let (g, k) = (gpu.run_epoch(Some(10)).unwrap(), cpu.run_epoch(Some(10)).unwrap());
            let what = format!("{kind:?} epoch {epoch}");
            assert!(
                g.loss.is_finite() && (g.loss - k.loss).abs() <= 1e-4 * k.loss,
                "{what} loss {} vs {}",
                g.loss,
                k.loss
            );
            // A ReLU unit near its kink can flip under float-atomics order and move its weights
            // a little: at most 1% of them, each within 1e-2 (as the neural epoch tests allow).
            let (gw, cw) = (&gpu.params().data, &cpu.params().data);
            assert_close_but_kinks(&format!("{what} weights"), gw, cw, 1e-3, 1e-3, 0.01, 1e-2);
            assert!(g.metrics.is_none() && g.validation.is_none(), "{what}: no ranking metrics for ratings");
            let sets = [
                ("test", g.rating, k.rating),
                ("validation", g.validation_rating, k.validation_rating),
                ("train", g.train_rating, k.train_rating),
            ];
            for (set, gm, km) in sets {
                let (gm, km) = (gm.unwrap(), km.unwrap());
                assert_eq!(gm.count, km.count);
                for (name, a, b) in [("rmse", gm.rmse, km.rmse), ("mae", gm.mae, km.mae), ("r2", gm.r2, km.r2)] {
                    assert!(
                        a.is_finite() && (a - b).abs() <= 1e-3 * b.abs().max(1.0),
                        "{what} {set} {name} {a} vs {b}"
                    );
                }
            }
            first_rmse.get_or_insert(k.train_rating.unwrap().rmse);
            last_rmse = k.train_rating.unwrap().rmse;
        }
        let scale = c.rating.unwrap();
        let test = data.test.as_ref().unwrap();
        let (a, b) = (
            evaluate_rating_gpu(&shared(), gpu.params(), test, scale).unwrap(),
            evaluate_rating_cpu(cpu.params(), test, scale).unwrap(),
        );
        assert!((a.rmse - b.rmse).abs() <= 1e-4 * b.rmse && (a.mae - b.mae).abs() <= 1e-4 * b.mae, "{kind:?} evaluate");
        // The ratings are random (no signal to generalise), but training fits them: the training
        // RMSE falls from epoch 1 to epoch 3.
        let first = first_rmse.expect("three epochs ran");
        assert!(last_rmse < first, "{kind:?}: training RMSE {last_rmse} after 3 epochs vs {first} after 1");
    }
}
