//! Row-sparse steps (`TrainConfig::sparse`, optim.wgsl `optimize_sparse`) against the CPU
//! backend's (ncf-core cpu/sparse.rs): LazyAdam / SparseAdam and lazy SGD momentum on the user
//! and item rows a batch uses, every dense parameter as before.
//!
//! Tolerance: one step RTOL 1e-4 + ATOL 1e-4 (as neural_parity.rs: Adam moves a weight by ~lr,
//! so a rounding-level gradient difference moves it by a rounding-sized part of lr); epochs as
//! in parity.rs and neural_parity.rs (ReLU towers allow 1% stray weights within 1e-2). Rows a
//! step does not touch must keep p, m and v bit for bit.

mod common;

use std::sync::Arc;

use common::*;
use ncf_core::CpuSteps;
use ncf_core::fit::Trainer;
use ncf_core::train::TrainConfig;
use ncf_core::{Layout, ModelKind, Optimizer, Params};
use ncf_gpu::GpuSteps;
use rand::Rng;

const KINDS: [ModelKind; 4] = [ModelKind::Gmf, ModelKind::Mf, ModelKind::Mlp, ModelKind::NeuMf];

fn optimizers() -> [(Optimizer, f32); 2] {
    [(Optimizer::adam(), 0.005), (Optimizer::Sgd { momentum: 0.9, weight_decay: 1e-3 }, 0.05)]
}

/// Two epochs with identical samples, for every model kind, Adam and SGD with momentum, on the
/// fused tower and (NeuMF with a 300-wide input) on the per-layer one.
#[test]
fn sparse_epochs_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 50, 200));
    let mut cases: Vec<(ModelKind, &[u32])> = KINDS.iter().map(|&k| (k, &[20u32, 17, 9][..])).collect();
    cases.push((ModelKind::NeuMf, &[300, 17, 9]));
    for (kind, sizes) in cases {
        for (opt, lr) in optimizers() {
            let params = Params::init(tower_layout(kind, &data, sizes), rng.random());
            let c = TrainConfig { l2: 0.01, lr, sparse: true, ..cfg(opt, 64, rng.random()) };
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
            let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
            let what = format!("sparse {kind:?} {sizes:?} {opt:?}");
            assert_epochs_match(&what, &data, c.seed, &mut gpu, &mut cpu, 2, Some(10), (1e-3, 1e-3));
        }
    }
}

/// After a step that touched every row, a sparse step on a batch of few rows leaves every
/// other row's weights and moments bit for bit, and matches the CPU's step.
#[test]
fn sparse_step_leaves_untouched_rows() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 90));
    for kind in KINDS {
        for (opt, lr) in optimizers() {
            let l = tower_layout(kind, &data, &[20, 17, 9]);
            let params = Params::init(l, rng.random());
            let c = TrainConfig { l2: 0.02, lr, sparse: true, ..cfg(opt, 400, rng.random()) };
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
            let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
            // Step 1 touches every user and item, so every row has moments.
            let all_u: Vec<u32> = (0..400).map(|k| k % data.num_users).collect();
            let all_i: Vec<u32> = (0..400).map(|k| k % data.num_items).collect();
            let y: Vec<f32> = (0..400).map(|k| (k % 3 == 0) as u8 as f32).collect();
            // Step 2 touches users 0..7 and 30 items.
            let few_u: Vec<u32> = (0..300).map(|_| rng.random_range(0..7)).collect();
            let few_i: Vec<u32> = (0..300).map(|_| rng.random_range(0..30)).collect();
            let few_y: Vec<f32> = (0..300).map(|_| rng.random_range(0..2) as f32).collect();
            for (u, i, y) in [(&all_u, &all_i, &y), (&few_u, &few_i, &few_y)] {
                let before = (gpu.params().data.clone(), gpu.optimizer_state().unwrap());
                let (gl, cl) = (gpu.train_batch(u, i, y).unwrap(), cpu.train_batch(u, i, y));
                let what = format!("sparse {kind:?} {opt:?} batch of {}", u.len());
                assert!((gl - cl).abs() <= 1e-4 * cl.abs(), "{what}: loss {gl} vs {cl}");
                assert_close(&what, &gpu.params().data, &cpu.params().data, RTOL, 1e-4);
                let after = gpu.optimizer_state().unwrap();
                let untouched = untouched_indices(l, u, i);
                for &k in &untouched {
                    assert_eq!(gpu.params().data[k].to_bits(), before.0[k].to_bits(), "{what}: p[{k}] moved");
                    assert_eq!(after.m[k].to_bits(), before.1.m[k].to_bits(), "{what}: m[{k}] moved");
                    assert_eq!(after.v[k].to_bits(), before.1.v[k].to_bits(), "{what}: v[{k}] moved");
                }
                if u.len() == 300 {
                    assert!(untouched.len() > 100, "{what}: the batch must leave rows untouched");
                }
            }
        }
    }
}

/// Parameter indices of the user and item rows (P, Q, P_mlp, Q_mlp, b_u, b_i) no sample uses.
fn untouched_indices(l: Layout, users: &[u32], items: &[u32]) -> Vec<usize> {
    let (f, e) = (l.factors as usize, l.tower.embedding() as usize);
    let mut out = Vec::new();
    for u in (0..l.num_users).filter(|u| !users.contains(u)) {
        let u = u as usize;
        out.extend((0..f).map(|c| u * f + c));
        out.extend((0..e).map(|c| l.mlp_user_offset() + u * e + c));
        if l.biases {
            out.push(l.user_bias_offset() + u);
        }
    }
    for i in (0..l.num_items).filter(|i| !items.contains(i)) {
        let i = i as usize;
        out.extend((0..f).map(|c| l.item_offset() + i * f + c));
        out.extend((0..e).map(|c| l.mlp_item_offset() + i * e + c));
        if l.biases {
            out.push(l.item_bias_offset() + i);
        }
    }
    out
}
