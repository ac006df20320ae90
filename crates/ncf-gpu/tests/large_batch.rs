//! Batches larger than one pass's rows run as micro-batches that add into the same gradients
//! before one optimizer step (trainer/submit.rs), so the math is the big batch's.
//!
//! `micro_batches_match_cpu` forces 100-row chunks (`GpuSteps::with_limits`) so a batch of
//! 350 crosses four of them, on every training path (factorization, fused tower, per-layer
//! tower), dense and sparse, with dropout and L2, against the CPU's one-batch step: tolerances
//! as neural_parity.rs (one step RTOL 1e-4 + ATOL 1e-4; epochs RTOL 1e-3 + ATOL 1e-3 with 1% of
//! the weights allowed within 1e-2 for ReLU flips). `batch_of_2_pow_20_trains` runs one epoch
//! of batch 2^20 on 1.05M samples, whose activations exceed a 128 MiB binding.

mod common;

use std::sync::Arc;

use common::*;
use ncf_core::CpuSteps;
use ncf_core::fit::Trainer;
use ncf_core::train::TrainConfig;
use ncf_core::{Dataset, Layout, ModelKind, Optimizer, Params, Tower};
use ncf_gpu::GpuSteps;
use rand::Rng;

fn layouts(data: &Dataset) -> Vec<Layout> {
    let (u, i) = (data.num_users, data.num_items);
    vec![
        Layout::new(ModelKind::Gmf, u, i, 6).unwrap(),
        Layout::new(ModelKind::Mf, u, i, 6).unwrap(),
        Layout::neural(ModelKind::Mlp, u, i, 0, Tower::new(&[70, 33, 9]).unwrap()).unwrap(),
        Layout::neural(ModelKind::NeuMf, u, i, 5, Tower::new(&[20, 17, 9]).unwrap()).unwrap(),
        // Too wide to fuse: the per-layer gemms.
        Layout::neural(ModelKind::NeuMf, u, i, 5, Tower::new(&[300, 17, 9]).unwrap()).unwrap(),
    ]
}

#[test]
fn micro_batches_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 60, 150));
    for l in layouts(&data) {
        for (sparse, opt, lr) in
            [(false, Optimizer::adam(), 0.005f32), (true, Optimizer::Sgd { momentum: 0.9, weight_decay: 1e-3 }, 0.05)]
        {
            let dropout = if l.kind.is_neural() { 0.1 } else { 0.0 };
            let c = TrainConfig { l2: 0.01, dropout, lr, sparse, ..cfg(opt, 350, rng.random()) };
            let params = Params::init(l, rng.random());
            let what = format!("{:?} {:?} sparse={sparse}", l.kind, l.tower.sizes());
            let mut gpu = Trainer::new(
                GpuSteps::with_limits(shared(), data.clone(), None, params.clone(), c, Some(100), None).unwrap(),
            );
            let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
            // One step of a caller's batch: 4 micro-batches, then the optimizer.
            let (u, i, y) = random_batch(&mut rng, 350, data.num_users, data.num_items);
            let (gl, cl) = (gpu.train_batch(&u, &i, &y).unwrap(), cpu.train_batch(&u, &i, &y));
            assert!((gl - cl).abs() <= 1e-4 * cl.abs(), "{what}: loss {gl} vs {cl}");
            assert_close(&format!("{what} step"), &gpu.params().data, &cpu.params().data, RTOL, 1e-4);
            if l.kind.is_neural() {
                assert!(gpu.dispatches_per_step() > 4 * 2, "{what}: micro-batches recorded");
            }
            // Whole epochs.
            assert_epochs_match(&what, &data, c.seed, &mut gpu, &mut cpu, 2, None, (1e-3, 1e-3));
        }
    }
}

/// NVIDIA's NCF batch: 2^20 samples per step on the paper's MLP for 8 factors, whose
/// activations (120 floats a row, 480 MiB for the batch) need several passes of a 128 MiB
/// binding. One epoch of 1.05M samples ends with a finite loss.
#[test]
fn batch_of_2_pow_20_trains() {
    let (users, per_user, items) = (2000u32, 105u32, 1000u32);
    let mut rng = rng();
    let (mut us, mut is) = (Vec::new(), Vec::new());
    for u in 0..users {
        let first = rng.random_range(0..items);
        for k in 0..per_user {
            us.push(u);
            is.push((first + 7 * k) % items);
        }
    }
    let data = Arc::new(Dataset::from_pairs(&us, &is, None, None, None, Some(items)).unwrap());
    let c = TrainConfig { batch_size: 1 << 20, ..cfg(Optimizer::adam(), 1 << 20, rng.random()) };
    let samples = ncf_core::train::samples_per_epoch(&data, 4).unwrap();
    assert!(samples >= 1 << 20, "{samples} samples");
    let l = Layout::neural(ModelKind::Mlp, users, items, 0, Tower::for_factors(8, 3).unwrap()).unwrap();
    let mut gpu = Trainer::new(GpuSteps::new(shared(), data, None, Params::init(l, rng.random()), c).unwrap());
    let before = gpu.params().data.clone();
    let r = gpu.run_epoch(None).unwrap();
    assert!(r.loss.is_finite() && r.loss > 0.0, "loss {}", r.loss);
    assert_eq!(r.samples, samples as u64);
    assert!(gpu.params().data.iter().all(|x| x.is_finite()));
    assert_ne!(gpu.params().data, before);
    eprintln!(
        "batch 2^20: loss {:.4}, {} dispatches in the last step, {:.1} s",
        r.loss,
        gpu.dispatches_per_step(),
        r.seconds
    );
}
