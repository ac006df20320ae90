//! Helpers shared by the parity test files: seeds, contexts, tolerances and random inputs.
#![allow(dead_code)]

use std::sync::Arc;

use ncf_core::cpu::dense::dense_forward;
use ncf_core::cpu::sampling::epoch_samples;
use ncf_core::cpu::tower::forward;
use ncf_core::fit::{EpochReport, Trainer};
use ncf_core::train::{DropoutSpec, TrainConfig};
use ncf_core::{CpuSteps, Dataset, Layout, ModelKind, Optimizer, Params, TestSet, Tower};
use ncf_gpu::{GpuContext, GpuOptions, GpuSteps};
use rand::{Rng, SeedableRng};
pub use rand_xoshiro::Xoshiro256PlusPlus;

pub const RTOL: f64 = 1e-4;
pub const ATOL: f64 = 1e-6;

/// A fresh seed per run, printed; `NCF_TEST_SEED` replays one.
pub fn rng() -> Xoshiro256PlusPlus {
    let s = std::env::var("NCF_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("NCF_TEST_SEED={s}");
    Xoshiro256PlusPlus::seed_from_u64(s)
}

/// Batch gradients of one batch on both backends: they agree within `rtol`/`atol`, the summed
/// losses within 1e-4 relative, and a second GPU call (after the buffer is cleared) gives the
/// same. Returns the CPU gradients for further checks.
#[allow(clippy::too_many_arguments)]
pub fn assert_gradients_match(
    what: &str,
    gpu: &mut ncf_gpu::GpuSteps,
    cpu: &ncf_core::CpuSteps,
    b: &(Vec<u32>, Vec<u32>, Vec<f32>),
    rtol: f64,
    atol: f64,
) -> Vec<f32> {
    let (gg, gl) = gpu.gradients(&b.0, &b.1, &b.2).unwrap();
    let (cg, cl) = cpu.gradients(&b.0, &b.1, &b.2);
    assert_close(&format!("{what} grads"), &gg, &cg, rtol, atol);
    assert!((gl - cl).abs() <= 1e-4 * cl.abs(), "{what} batch loss gpu {gl} cpu {cl}");
    let (gg2, _) = gpu.gradients(&b.0, &b.1, &b.2).unwrap();
    assert_close(&format!("{what} grads again"), &gg2, &cg, rtol, atol);
    cg
}

pub fn shared() -> Arc<GpuContext> {
    GpuContext::shared().expect("a GPU adapter (lavapipe on CI) is required for the parity tests")
}

pub fn contexts() -> Vec<(&'static str, Arc<GpuContext>)> {
    let mut v = vec![("native", shared())];
    if v[0].1.info.float32_atomics {
        v.push((
            "cas",
            Arc::new(GpuContext::new(GpuOptions { force_cas_atomics: true, ..GpuOptions::default() }).unwrap()),
        ));
    }
    v
}

pub fn assert_close(what: &str, gpu: &[f32], cpu: &[f32], rtol: f64, atol: f64) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: length");
    for (k, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(g.is_finite() && c.is_finite(), "{what}[{k}]: non-finite gpu {g} cpu {c}");
        let err = (g as f64 - c as f64).abs();
        let tol = atol + rtol * (c as f64).abs();
        assert!(err <= tol, "{what}[{k}]: gpu {g} vs cpu {c} (|Δ| {err:e} > {tol:e})");
    }
}

/// Weights after whole epochs through a ReLU tower: all finite, and all within `rtol`/`atol`
/// but at most `max_share` of them, which may differ by up to `max_err`.
///
/// Why strays are allowed: over many steps a pre-activation sometimes lands within rounding
/// of 0 on one backend and not the other, so that unit passes a gradient on one side only
/// (seed 1795668607212320102, step 390: 1.9e-8 on the CPU, 0 on the GPU). No tolerance absorbs
/// such a flip; it moves the few weights downstream of that unit. A wrong kernel, sample,
/// dropout key or optimizer step moves most weights, which the share still catches. The
/// per-step tests keep pre-activations clear of the kink and need no strays.
pub fn assert_close_but_kinks(
    what: &str,
    gpu: &[f32],
    cpu: &[f32],
    rtol: f64,
    atol: f64,
    max_share: f64,
    max_err: f64,
) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: length");
    let mut stray = 0usize;
    for (k, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(g.is_finite() && c.is_finite(), "{what}[{k}]: non-finite gpu {g} cpu {c}");
        let err = (g as f64 - c as f64).abs();
        if err > atol + rtol * (c as f64).abs() {
            stray += 1;
            assert!(err <= max_err, "{what}[{k}]: gpu {g} vs cpu {c} (|Δ| {err:e} > {max_err:e})");
        }
    }
    assert!(
        stray as f64 <= max_share * gpu.len() as f64,
        "{what}: {stray} of {} weights differ beyond {atol:e} + {rtol:e}·|cpu|",
        gpu.len()
    );
}

/// A random dataset with uneven rows, one user who has seen all but 3 items (exercising the
/// exact rank fallback of the sampler), and a test set.
pub fn random_dataset(rng: &mut Xoshiro256PlusPlus, users: u32, items: u32) -> Dataset {
    let (mut us, mut is) = (Vec::new(), Vec::new());
    for u in 0..users {
        let deg = if u == 3 { items - 3 } else { rng.random_range(1..25) };
        let mut row: Vec<u32> = (0..items).collect();
        for k in 0..deg as usize {
            let j = rng.random_range(k..items as usize);
            row.swap(k, j);
            us.push(u);
            is.push(row[k]);
        }
    }
    // Duplicates are part of real data.
    us.push(0);
    is.push(is[0]);
    let per_case = 20;
    let mut test = TestSet { users: Vec::new(), per_case, candidates: Vec::new(), ratings: None };
    for u in 0..users {
        test.users.push(u);
        for _ in 0..per_case {
            test.candidates.push(rng.random_range(0..items));
        }
    }
    Dataset::from_pairs(&us, &is, None, Some(test), None, Some(items)).unwrap()
}

/// Parameters larger than the N(0, 0.01) init so that products and gradients are not tiny.
pub fn random_params(rng: &mut Xoshiro256PlusPlus, layout: Layout) -> Params {
    let data = (0..layout.len()).map(|_| rng.random_range(-0.6f32..0.6)).collect();
    Params::from_vec(layout, data).unwrap()
}

/// A batch of (users, items, labels).
pub type Batch = (Vec<u32>, Vec<u32>, Vec<f32>);

pub fn random_batch(rng: &mut Xoshiro256PlusPlus, n: usize, users: u32, items: u32) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    // Few distinct rows so that many samples of a batch hit the same embedding row.
    let hot_users = users.min(7);
    let u = (0..n).map(|_| rng.random_range(0..hot_users)).collect();
    let i = (0..n).map(|_| rng.random_range(0..items)).collect();
    let y = (0..n).map(|_| if rng.random_bool(0.3) { 1.0 } else { 0.0 }).collect();
    (u, i, y)
}

pub fn cfg(opt: Optimizer, batch: u32, seed: u32) -> TrainConfig {
    TrainConfig { batch_size: batch, negatives: 4, optimizer: opt, lr: 0.01, seed, ..TrainConfig::default() }
}

/// Smallest |pre-activation| of any tower unit on a batch.
pub fn kink_margin(p: &Params, u: &[u32], i: &[u32], drop: Option<DropoutSpec>) -> f32 {
    let fwd = forward(p, u, i, drop);
    let t = p.layout.tower;
    let mut margin = f32::INFINITY;
    for l in 1..=t.layers() {
        let (inp, out) = t.dims(l);
        let w = &p.data[p.layout.weight_offset(l)..][..out * inp];
        let b = &p.data[p.layout.layer_bias_offset(l)..][..out];
        let z = dense_forward(&fwd.acts[l - 1], u.len(), w, b, inp, out, false, None);
        margin = z.iter().fold(margin, |m, &v| m.min(v.abs()));
    }
    margin
}

/// Random weights and a batch whose pre-activations all clear the kink by 1e-5.
pub fn clear_of_kinks(
    rng: &mut Xoshiro256PlusPlus,
    layout: Layout,
    data: &Dataset,
    n: usize,
    drop: Option<DropoutSpec>,
) -> (Params, Batch) {
    for _ in 0..200 {
        let p = random_params(rng, layout);
        let b = random_batch(rng, n, data.num_users, data.num_items);
        if kink_margin(&p, &b.0, &b.1, drop) >= 1e-5 {
            return (p, b);
        }
    }
    panic!("no draw cleared the ReLU kinks");
}

/// A layout of `kind` on `data`'s sizes: GMF/MF at 7 factors, MLP with the tower `sizes`,
/// NeuMF with 5 GMF factors and that tower.
pub fn tower_layout(kind: ModelKind, data: &Dataset, sizes: &[u32]) -> Layout {
    let (u, i) = (data.num_users, data.num_items);
    match kind {
        ModelKind::Gmf | ModelKind::Mf => Layout::new(kind, u, i, 7).unwrap(),
        ModelKind::Mlp => Layout::neural(kind, u, i, 0, Tower::new(sizes).unwrap()).unwrap(),
        ModelKind::NeuMf => Layout::neural(kind, u, i, 5, Tower::new(sizes).unwrap()).unwrap(),
    }
}

/// Runs `epochs` epochs on both trainers (the GPU first, then the CPU on the samples it must
/// have drawn: `epoch_samples` at 4 negatives and `seed`) and asserts each epoch's losses within
/// 1e-4 relative and the weights within `rtol`/`atol` but for ReLU flips (at most 1% of the
/// weights, each within 1e-2). Returns the (GPU, CPU) reports.
///
/// Each epoch after the first starts the CPU from the GPU's weights and Adam moments, so every
/// epoch is compared from one state: a unit of a tower that crosses 0 a step apart on the two
/// backends would otherwise carry its 1e-3 difference into the next epoch's loss, which Adam
/// turns into whole steps (seen: NeuMF epoch 2, 5e-4 apart, at one seed in ~30).
#[allow(clippy::too_many_arguments)]
pub fn assert_epochs_match(
    what: &str,
    data: &Dataset,
    seed: u32,
    gpu: &mut Trainer<GpuSteps>,
    cpu: &mut Trainer<CpuSteps>,
    epochs: u32,
    eval_k: Option<u32>,
    (rtol, atol): (f64, f64),
) -> Vec<(EpochReport, EpochReport)> {
    (1..=epochs)
        .map(|epoch| {
            if epoch > 1 {
                cpu.restore(&gpu.params().data.clone(), gpu.optimizer_state().unwrap()).unwrap();
            }
            let g = gpu.run_epoch(eval_k).unwrap();
            assert_eq!(gpu.samples().unwrap(), epoch_samples(data, 4, seed, epoch - 1).unwrap());
            let k = cpu.run_epoch(eval_k).unwrap();
            let what = format!("{what} epoch {epoch}");
            assert!(
                g.loss.is_finite() && (g.loss - k.loss).abs() <= 1e-4 * k.loss,
                "{what} loss {} vs {}",
                g.loss,
                k.loss
            );
            let (gw, cw) = (&gpu.params().data, &cpu.params().data);
            assert_close_but_kinks(&format!("{what} weights"), gw, cw, rtol, atol, 0.01, 1e-2);
            (g.report, k.report)
        })
        .collect()
}
