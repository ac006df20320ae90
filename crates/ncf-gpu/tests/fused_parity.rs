//! The fused tower step (fused.wgsl: `tower_train` + `tower_weight_grads`) and the per-layer path
//! it replaces for narrow towers, against the CPU backend on fresh random inputs, and the
//! dispatches one optimizer step records.
//!
//! The tower `[70, 33, 9]` crosses every workgroup edge (70 and 33 are not multiples of 8, 16 or
//! 256), batches of 300 and 1,061 (1024 + 37) cross the workgroups of samples, and the tower's
//! 2,673 parameters those of the weight-gradient sums.
//!
//! Tolerance: gradients RTOL 1e-4 + ATOL 1e-5 (each backend sums a batch of ~1,000 products in its
//! own order); optimizer steps RTOL 1e-4 + ATOL 1e-4 (Adam moves a weight by ~lr per step, so a
//! rounding-level gradient difference moves it by a rounding-sized part of lr); epochs as in
//! neural_parity.rs. Every value compared must be finite on both sides (assert_close).

mod common;

use std::sync::Arc;

use common::*;
use ncf_core::CpuSteps;
use ncf_core::fit::Trainer;
use ncf_core::train::TrainConfig;
use ncf_core::{Dataset, Layout, ModelKind, Optimizer, Params, Tower};
use ncf_gpu::{GpuSteps, predict_gpu};
use rand::Rng;

const NEURAL: [ModelKind; 2] = [ModelKind::Mlp, ModelKind::NeuMf];
const GRAD_ATOL: f64 = 1e-5;

fn layout(kind: ModelKind, data: &Dataset, sizes: &[u32]) -> Layout {
    tower_layout(kind, data, sizes)
}

/// Logits of 9,000 pairs (crossing the 8,192-pair scoring chunks) through the fused forward
/// (`tower_score`) and, for a 300-wide input, the per-layer gemms: RTOL 1e-4 + ATOL 1e-5.
#[test]
fn fused_scores_match_cpu() {
    let mut rng = rng();
    let data = random_dataset(&mut rng, 40, 90);
    for kind in NEURAL {
        for sizes in [&[70u32, 33, 9][..], &[300, 17, 9]] {
            let params = random_params(&mut rng, layout(kind, &data, sizes));
            let users: Vec<u32> = (0..9000).map(|_| rng.random_range(0..data.num_users)).collect();
            let items: Vec<u32> = (0..9000).map(|_| rng.random_range(0..data.num_items)).collect();
            let gpu = predict_gpu(&shared(), &params, &users, &items).unwrap();
            assert_close(&format!("{kind:?} {sizes:?} logits"), &gpu, &params.logits(&users, &items), RTOL, GRAD_ATOL);
        }
    }
}

/// Every gradient of one batch, with and without dropout, on the fused tower and (a 300-wide
/// input, too wide to fuse) on the per-layer gemms.
#[test]
fn fused_gradients_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 90));
    for kind in NEURAL {
        for (sizes, n, dropout, l2) in [
            (&[70u32, 33, 9][..], 300usize, 0.0f32, 0.05f32),
            (&[70, 33, 9], 1061, 0.3, 0.0),
            (&[300, 17, 9], 300, 0.2, 0.01),
        ] {
            let c = TrainConfig { l2, dropout, ..cfg(Optimizer::adam(), 2048, rng.random()) };
            let l = layout(kind, &data, sizes);
            let (params, batch) = clear_of_kinks(&mut rng, l, &data, n, c.dropout_at(1));
            let what = format!("{kind:?} {sizes:?} n={n} dropout={dropout}");
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
            let cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
            let cg = assert_gradients_match(&what, &mut gpu, &cpu, &batch, RTOL, GRAD_ATOL);
            let tower = &cg[l.weight_offset(1)..l.head_offset()];
            assert!(tower.iter().filter(|x| **x != 0.0).count() > 300, "{what}: the tower must get gradients");
        }
    }
}

/// Three optimizer steps of batches of 300 and 1,061 with dropout and L2, Adam and SGD with
/// momentum, through the fused tower.
#[test]
fn fused_optimizer_steps_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 90));
    for kind in NEURAL {
        for (opt, n) in [(Optimizer::adam(), 300usize), (Optimizer::Sgd { momentum: 0.9, weight_decay: 0.001 }, 1061)] {
            let c = TrainConfig { l2: 0.02, dropout: 0.2, ..cfg(opt, n as u32, rng.random()) };
            let l = layout(kind, &data, &[70, 33, 9]);
            let (params, _) = clear_of_kinks(&mut rng, l, &data, 1, None);
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
            let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params.clone(), c).unwrap());
            for step in 1..=3u64 {
                let (u, i, y) = loop {
                    let b = random_batch(&mut rng, n, data.num_users, data.num_items);
                    if kink_margin(cpu.params(), &b.0, &b.1, c.dropout_at(step)) >= 1e-5 {
                        break b;
                    }
                };
                let gl = gpu.train_batch(&u, &i, &y).unwrap();
                let cl = cpu.train_batch(&u, &i, &y);
                assert!((gl - cl).abs() <= 1e-4 * cl.abs(), "{kind:?} {opt:?} step {step}: loss {gl} vs {cl}");
                assert_close(
                    &format!("{kind:?} {opt:?} n={n} params after step {step}"),
                    &gpu.params().data,
                    &cpu.params().data,
                    RTOL,
                    1e-4,
                );
            }
            assert_ne!(gpu.params().data, params.data);
        }
    }
}

/// Two epochs of batch 1,061 from the N(0, 0.01) init with identical samples, dropout and L2.
#[test]
fn fused_epoch_matches_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 60, 120));
    for (kind, opt, lr, atol) in [
        (ModelKind::Mlp, Optimizer::adam(), 0.005f32, 1e-3f64),
        (ModelKind::NeuMf, Optimizer::Sgd { momentum: 0.9, weight_decay: 1e-4 }, 0.05, 5e-4),
    ] {
        let params = Params::init(layout(kind, &data, &[70, 33, 9]), rng.random());
        let c = TrainConfig { l2: 0.01, dropout: 0.1, lr, ..cfg(opt, 1061, rng.random()) };
        let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
        let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
        let what = format!("{kind:?} {opt:?}");
        for (epoch, (g, k)) in assert_epochs_match(&what, &data, c.seed, &mut gpu, &mut cpu, 2, Some(10), (1e-3, atol))
            .into_iter()
            .enumerate()
        {
            let (gm, km) = (g.metrics.unwrap(), k.metrics.unwrap());
            assert!(
                (gm.hr - km.hr).abs() <= 1.0 / 60.0 + 1e-12,
                "{what} epoch {} hr {} vs {}",
                epoch + 1,
                gm.hr,
                km.hr
            );
        }
    }
}

/// Dispatches per optimizer step at the paper's models (He et al.: 3 hidden layers halving to
/// the predictive factors): at most 2 for GMF and MF, at most 6 for MLP and NeuMF whose towers
/// fuse (8, 16 and 32 factors); the 512-wide tower of 64 factors keeps the per-layer gemms.
/// Dense and row-sparse steps alike.
#[test]
fn dispatches_per_step_are_few() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 30, 60));
    for (factors, sparse) in [8u32, 16, 32, 64].into_iter().flat_map(|f| [(f, false), (f, true)]) {
        for kind in [ModelKind::Gmf, ModelKind::Mf, ModelKind::Mlp, ModelKind::NeuMf] {
            let l = if kind.is_neural() {
                let f = if kind == ModelKind::NeuMf { factors } else { 0 };
                let tower = Tower::for_factors(factors, 3).unwrap();
                Layout::neural(kind, data.num_users, data.num_items, f, tower).unwrap()
            } else {
                Layout::new(kind, data.num_users, data.num_items, factors).unwrap()
            };
            let c = TrainConfig { sparse, ..cfg(Optimizer::adam(), 64, rng.random()) };
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, Params::init(l, 1), c).unwrap());
            assert_eq!(gpu.dispatches_per_step(), 0);
            let (u, i, y) = random_batch(&mut rng, 64, data.num_users, data.num_items);
            assert!(gpu.train_batch(&u, &i, &y).unwrap().is_finite());
            let d = gpu.dispatches_per_step();
            eprintln!("{kind:?} f{factors} sparse={sparse}: {d} dispatches per step");
            // The per-layer tower's sparse step adds the row claims (optim.wgsl claim_rows).
            let max = match kind {
                ModelKind::Gmf | ModelKind::Mf => 2,
                _ if factors <= 32 => 6,
                _ => 4 * 3 + 4 + u32::from(sparse),
            };
            assert!(d >= 2 && d <= max, "{kind:?} f{factors} sparse={sparse}: {d} dispatches per step (at most {max})");
        }
    }
}
