//! GPU kernels against the CPU backend on fresh random inputs (the seed is printed, and
//! `NCF_TEST_SEED` replays a run). Sizes cross workgroup edges (batches of 300 and 777 over
//! workgroups of ≤256; parameter counts not multiples of the workgroup size).
//!
//! Tolerance: |gpu − cpu| ≤ ATOL + RTOL·|cpu| with RTOL = 1e-4 and ATOL = 1e-6 for single
//! kernels. GPU float atomics add in a different order than the CPU loop, and shader
//! compilers may fuse multiply-adds, so bitwise equality is not expected; the sampler and
//! integer outputs must match exactly.

mod common;

use std::sync::Arc;

use common::*;
use ncf_core::cpu::sampling::epoch_samples;
use ncf_core::cpu::{CpuSteps, evaluate_cpu};
use ncf_core::fit::Trainer;
use ncf_core::train::Dropout;
use ncf_core::train::TrainConfig;
use ncf_core::{Layout, ModelKind, Optimizer, Params, TestSet};
use ncf_gpu::{GpuSteps, evaluate_gpu, predict_gpu};
use rand::Rng;

const KINDS: [ModelKind; 2] = [ModelKind::Gmf, ModelKind::Mf];

#[test]
fn sampler_matches_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 61, 97));
    let s = rng.random::<u32>();
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 4).unwrap();
    let mut gpu = Trainer::new(
        GpuSteps::new(shared(), data.clone(), None, Params::init(layout, 0), cfg(Optimizer::adam(), 256, s)).unwrap(),
    );
    for epoch in [0u32, 1, 7] {
        let g = gpu.sample_only(epoch).unwrap();
        let c = epoch_samples(&data, 4, s, epoch).unwrap();
        assert_eq!(g.len(), c.len());
        assert!(g == c, "epoch {epoch}: GPU samples differ from the CPU draw");
        for t in 0..g.len() {
            if g.labels[t] == 0.0 {
                assert!(!data.train.row(g.users[t]).contains(&g.items[t]), "a positive was sampled as negative");
            }
        }
    }
}

#[test]
fn uniform_sampler_matches_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 61, 97));
    let s = rng.random::<u32>();
    let layout = Layout::new(ModelKind::Mf, data.num_users, data.num_items, 4).unwrap();
    let c = TrainConfig { uniform_negatives: true, negatives: 8, ..cfg(Optimizer::sgd(), 256, s) };
    let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, Params::init(layout, 0), c).unwrap());
    let mut positives_drawn = 0;
    for epoch in [0u32, 3] {
        let g = gpu.sample_only(epoch).unwrap();
        let cpu = ncf_core::cpu::sampling::epoch_samples_from(&data, 8, true, s, epoch).unwrap();
        assert!(g == cpu, "epoch {epoch}: GPU uniform samples differ from the CPU draw");
        positives_drawn +=
            (0..g.len()).filter(|&t| g.labels[t] == 0.0 && data.train.row(g.users[t]).contains(&g.items[t])).count();
    }
    assert!(positives_drawn > 0, "uniform negatives include the users' positives");
}

#[test]
fn forward_matches_cpu() {
    let mut rng = rng();
    for kind in KINDS {
        let layout = Layout::new(kind, 301, 517, 13).unwrap();
        let params = random_params(&mut rng, layout);
        let n = 1000;
        let users: Vec<u32> = (0..n).map(|_| rng.random_range(0..301)).collect();
        let items: Vec<u32> = (0..n).map(|_| rng.random_range(0..517)).collect();
        let gpu = predict_gpu(&shared(), &params, &users, &items).unwrap();
        let cpu: Vec<f32> = users.iter().zip(&items).map(|(&u, &i)| params.logit(u, i)).collect();
        assert_close(&format!("{kind:?} logits"), &gpu, &cpu, RTOL, ATOL);
    }
}

#[test]
fn gradients_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 90));
    for (name, ctx) in contexts() {
        for ((n, factors), kind) in
            [(300usize, 8u32), (777, 5)].into_iter().zip(KINDS).chain([((300, 8), ModelKind::Mf)])
        {
            let name = format!("{name} {kind:?}");
            let layout = Layout::new(kind, data.num_users, data.num_items, factors).unwrap();
            let params = random_params(&mut rng, layout);
            let batch = random_batch(&mut rng, n, data.num_users, data.num_items);
            // The per-occurrence L2 term is exercised on every other case.
            let l2 = if n == 300 { 0.05 } else { 0.0 };
            let c = TrainConfig { l2, ..cfg(Optimizer::adam(), 256, 1) };
            let mut gpu = Trainer::new(GpuSteps::new(ctx.clone(), data.clone(), None, params.clone(), c).unwrap());
            let cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
            // The gradient buffer is cleared after use: a second call gives the same result.
            let cg = assert_gradients_match(&format!("{name} n={n}"), &mut gpu, &cpu, &batch, RTOL, ATOL);
            assert!(cg.iter().filter(|x| **x != 0.0).count() > 50, "the batch must touch many parameters");
        }
    }
}

#[test]
fn optimizer_steps_match_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 90));
    for kind in KINDS {
        let layout = Layout::new(kind, data.num_users, data.num_items, 6).unwrap();
        for opt in [
            Optimizer::adam(),
            Optimizer::adam_with_decay(0.01),
            Optimizer::sgd(),
            Optimizer::Sgd { momentum: 0.9, weight_decay: 0.001 },
        ] {
            let params = random_params(&mut rng, layout);
            let c = TrainConfig { l2: 0.02, ..cfg(opt, 300, 1) };
            let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
            let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params.clone(), c).unwrap());
            // Three steps, so Adam's moments and bias corrections are exercised past step 1.
            for step in 0..3 {
                let (u, i, y) = random_batch(&mut rng, 300, data.num_users, data.num_items);
                let gl = gpu.train_batch(&u, &i, &y).unwrap();
                let cl = cpu.train_batch(&u, &i, &y);
                assert!((gl - cl).abs() <= 1e-4 * cl.abs(), "{kind:?} {opt:?} step {step}: loss {gl} vs {cl}");
                assert_close(
                    &format!("{kind:?} {opt:?} params after step {step}"),
                    &gpu.params().data,
                    &cpu.params().data,
                    RTOL,
                    ATOL,
                );
            }
            assert_ne!(gpu.params().data, params.data, "the step must move the weights");
        }
    }
}

/// Whole epochs with identical samples, validation and test evaluation in the same submit,
/// and a learning-rate change between epochs (as ReduceLROnPlateau makes).
#[test]
fn epoch_matches_cpu() {
    let mut rng = rng();
    let full = random_dataset(&mut rng, 50, 120);
    // User 3 has 3 unseen items, and the test positive may be one of them: 2 negatives is
    // the most every user can have.
    let split = ncf_core::data::validation::leave_one_out(&full, 2, rng.random()).unwrap();
    let data = Arc::new(split.train);
    for kind in KINDS {
        let layout = Layout::new(kind, data.num_users, data.num_items, 8).unwrap();
        let params = Params::init(layout, rng.random());
        let c = TrainConfig { l2: 0.01, ..cfg(Optimizer::adam(), 64, rng.random()) };
        let mut gpu = Trainer::new(
            GpuSteps::new(shared(), data.clone(), Some(split.validation.clone()), params.clone(), c).unwrap(),
        );
        let mut cpu = Trainer::new(CpuSteps::new(data.clone(), Some(split.validation.clone()), params, c).unwrap());
        for epoch in 1..=2 {
            let g = gpu.run_epoch(Some(10)).unwrap();
            let s = gpu.samples().unwrap();
            assert_eq!(s, epoch_samples(&data, 4, c.seed, epoch - 1).unwrap(), "identical samples");
            let k = cpu.run_epoch(Some(10)).unwrap();
            assert_eq!(g.epoch, epoch);
            assert_eq!(g.samples, k.samples);
            assert!(
                g.loss.is_finite() && (g.loss - k.loss).abs() <= 1e-4 * k.loss,
                "{kind:?} epoch {epoch} loss gpu {} cpu {}",
                g.loss,
                k.loss
            );
            // Adam divides by √v, so a gradient summed in another order (GPU atomics) moves a
            // weight whose gradient nearly cancels (MF's biases) by a different fraction of a
            // step. Over an epoch of steps this reaches a few 1e-4 absolute, 5% of one lr-sized
            // step (lr 0.01): tolerance 1e-3 relative + 5e-4 absolute.
            assert_close(
                &format!("{kind:?} weights after epoch {epoch}"),
                &gpu.params().data,
                &cpu.params().data,
                1e-3,
                5e-4,
            );
            for (what, gm, km, n) in [
                ("test", g.metrics, k.metrics, 50.0),
                ("validation", g.validation, k.validation, split.validation.len() as f64),
            ] {
                let (gm, km) = (gm.unwrap(), km.unwrap());
                assert!((gm.hr - km.hr).abs() <= 1.0 / n + 1e-12, "{what} hr {} vs {}", gm.hr, km.hr);
                assert!((gm.ndcg - km.ndcg).abs() <= 1.0 / n, "{what} ndcg {} vs {}", gm.ndcg, km.ndcg);
            }
            assert_eq!(g.validation.unwrap().cases, split.validation.len());
            gpu.set_lr(c.lr * 0.3);
            cpu.set_lr(c.lr * 0.3);
        }
    }
}

#[test]
fn evaluate_matches_cpu() {
    let mut rng = rng();
    let data = random_dataset(&mut rng, 300, 200);
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 16).unwrap();
    let params = random_params(&mut rng, layout);
    let test = data.test.as_ref().unwrap();
    for k in [1, 5, 10, 20] {
        let g = evaluate_gpu(&shared(), &params, test, k).unwrap();
        let c = evaluate_cpu(&params, test, k).unwrap();
        assert_eq!(g.cases, 300);
        assert!((g.hr - c.hr).abs() < 1e-9, "k={k}: hr {} vs {}", g.hr, c.hr);
        assert!((g.ndcg - c.ndcg).abs() < 1e-6, "k={k}: ndcg {} vs {}", g.ndcg, c.ndcg);
        assert!(c.hr > 0.0 && c.hr <= 1.0);
    }
    // A NaN weight must never look like a good model.
    let mut bad = params.clone();
    bad.data[0] = f32::NAN;
    let tiny = TestSet { users: vec![0], per_case: 3, candidates: vec![1, 2, 3], ratings: None };
    let g = evaluate_gpu(&shared(), &bad, &tiny, 1).unwrap();
    assert_eq!(g.hr, 0.0);
}

#[test]
fn context_reports_the_adapter() {
    let ctx = shared();
    let i = &ctx.info;
    assert!(!i.name.is_empty());
    assert!(i.max_storage_buffer_binding_size >= 1 << 20);
    assert!(i.workgroup_size.is_power_of_two() && i.workgroup_size <= i.max_compute_invocations_per_workgroup);
}

/// Epochs longer than one submit reuse the per-step uniform ring; queue ordering must keep
/// each chunk's records intact.
#[test]
fn epoch_spanning_several_submits_matches_cpu() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 50, 120));
    let layout = Layout::new(ModelKind::Mf, data.num_users, data.num_items, 4).unwrap();
    let params = Params::init(layout, rng.random());
    // About 1,300 steps whatever the random dataset's size: two full submits and a partial one.
    let samples = ncf_core::train::samples_per_epoch(&data, 4).unwrap();
    let c = TrainConfig {
        batch_size: (samples / 1300).max(1),
        negatives: 4,
        optimizer: Optimizer::Sgd { momentum: 0.5, weight_decay: 1e-4 },
        lr: 0.05,
        seed: rng.random(),
        l2: 0.001,
        ..TrainConfig::default()
    };
    let steps = c.steps_per_epoch(ncf_core::train::samples_per_epoch(&data, 4).unwrap());
    assert!(steps > 2 * ncf_gpu::steps::STEPS_PER_SUBMIT, "{steps} steps");
    let mut gpu = Trainer::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap());
    let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
    let g = gpu.run_epoch(None).unwrap();
    let k = cpu.run_epoch(None).unwrap();
    assert!((g.loss - k.loss).abs() <= 1e-4 * k.loss, "loss gpu {} cpu {}", g.loss, k.loss);
    assert_close("weights after a multi-submit epoch", &gpu.params().data, &cpu.params().data, 1e-3, 1e-5);
}

fn random_vec(rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// Dense layers (the MLP tower's kernel) on shapes that cross the 16×16 tile edges.
#[test]
fn dense_forward_matches_cpu() {
    let mut rng = rng();
    let ctx = shared();
    for (rows, inputs, outputs) in [(37usize, 70usize, 33usize), (256, 64, 32), (5, 16, 8), (1, 3, 1)] {
        let x = random_vec(&mut rng, rows * inputs);
        let w = random_vec(&mut rng, outputs * inputs);
        let b = random_vec(&mut rng, outputs);
        let dropout = Some(Dropout { key: rng.random(), p: 0.4 });
        for (relu, dropout) in [(false, None), (true, None), (true, dropout)] {
            let g = ncf_gpu::dense::dense_forward_gpu(&ctx, &x, rows, &w, &b, inputs, outputs, relu, dropout).unwrap();
            let c = ncf_core::cpu::dense::dense_forward(&x, rows, &w, &b, inputs, outputs, relu, dropout);
            let what = format!("dense forward {rows}x{inputs}->{outputs} relu={relu} dropout={dropout:?}");
            assert_close(&what, &g, &c, RTOL, 1e-5);
            if relu && rows * outputs >= 20 {
                assert!(c.contains(&0.0) && c.iter().any(|&v| v > 0.0), "the ReLU must clip some outputs");
            }
        }
    }
}

#[test]
fn dense_backward_matches_cpu() {
    let mut rng = rng();
    let ctx = shared();
    for (rows, inputs, outputs) in [(37usize, 70usize, 33usize), (300, 32, 16), (2, 5, 3)] {
        let x = random_vec(&mut rng, rows * inputs);
        let w = random_vec(&mut rng, outputs * inputs);
        let b = random_vec(&mut rng, outputs);
        let dy = random_vec(&mut rng, rows * outputs);
        let dropout = Some(Dropout { key: rng.random(), p: 0.25 });
        for (relu, dropout) in [(false, None), (true, None), (true, dropout)] {
            let y = ncf_core::cpu::dense::dense_forward(&x, rows, &w, &b, inputs, outputs, relu, dropout);
            let (cdx, cdw, cdb) =
                ncf_core::cpu::dense::dense_backward(&x, &y, &dy, rows, &w, inputs, outputs, relu, dropout);
            let (gdx, gdw, gdb) =
                ncf_gpu::dense::dense_backward_gpu(&ctx, &x, &y, &dy, rows, &w, inputs, outputs, relu, dropout, None)
                    .unwrap();
            let what = format!("{rows}x{inputs}->{outputs} relu={relu} dropout={dropout:?}");
            // Sums over up to 300 terms of O(1) values: absolute tolerance scales with them.
            assert_close(&format!("dx {what}"), &gdx, &cdx, RTOL, 1e-4);
            assert_close(&format!("dw {what}"), &gdw, &cdw, RTOL, 1e-4);
            assert_close(&format!("db {what}"), &gdb, &cdb, RTOL, 1e-4);
            // Accumulation adds onto existing gradients (shared weights across a batch).
            let (w0, b0) = (random_vec(&mut rng, outputs * inputs), random_vec(&mut rng, outputs));
            let (_, adw, adb) = ncf_gpu::dense::dense_backward_gpu(
                &ctx,
                &x,
                &y,
                &dy,
                rows,
                &w,
                inputs,
                outputs,
                relu,
                dropout,
                Some((&w0, &b0)),
            )
            .unwrap();
            let sum = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x + y).collect::<Vec<f32>>();
            assert_close(&format!("dw accumulated {what}"), &adw, &sum(&cdw, &w0), RTOL, 1e-4);
            assert_close(&format!("db accumulated {what}"), &adb, &sum(&cdb, &b0), RTOL, 1e-4);
        }
    }
}
