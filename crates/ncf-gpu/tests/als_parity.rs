//! iALS on the GPU (`als.wgsl`) against the CPU backend's `cpu/als.rs`: whole epochs with the
//! same conjugate-gradient steps from the same start, at widths and row lengths that cross the
//! workgroup (a user with ~300 observed items is more than one block of WG rows). Tolerance:
//! |gpu − cpu| ≤ 1e-4 + 2e-3·|cpu| per factor (sums run in other orders on each side, and
//! CG carries their rounding into the next step).

mod common;

use std::sync::Arc;

use common::{assert_close, random_dataset, rng, shared};
use ncf_core::cpu::AlsSteps;
use ncf_core::fit::Trainer;
use ncf_core::train::{Algorithm, AlsSpec, TrainConfig};
use ncf_core::{Layout, ModelKind, Params};
use ncf_gpu::als::GpuAlsSteps;

fn layout(users: u32, items: u32, f: u32) -> Layout {
    Layout::new(ModelKind::Mf, users, items, f).unwrap().with_biases(false).unwrap()
}

#[test]
fn als_epochs_match_cpu() {
    let ctx = shared();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 320, 300));
    for (f, steps) in [(8u32, 3u32), (40, 3), (24, 24)] {
        let spec = AlsSpec { reg: 0.01, alpha: 0.3, cg_steps: steps };
        let cfg = TrainConfig { algorithm: Algorithm::Als(spec), ..TrainConfig::default() };
        let start = Params::init_with_std(layout(data.num_users, data.num_items, f), 7, 0.1 / (f as f32).sqrt());
        let mut gpu = Trainer::new(GpuAlsSteps::new(ctx.clone(), data.clone(), None, start.clone(), cfg).unwrap());
        let mut cpu = Trainer::new(AlsSteps::new(data.clone(), None, start.clone(), cfg).unwrap());
        for e in 1..=3 {
            let (g, c) = (gpu.run_epoch(Some(10)).unwrap(), cpu.run_epoch(Some(10)).unwrap());
            assert_close(
                &format!("f{f} cg{steps} epoch {e} factors"),
                &gpu.params().data,
                &cpu.params().data,
                2e-3,
                1e-4,
            );
            assert!((g.loss - c.loss).abs() <= 1e-4 * c.loss, "f{f} epoch {e}: loss gpu {} cpu {}", g.loss, c.loss);
            let (gm, cm) = (g.metrics.unwrap(), c.metrics.unwrap());
            assert!((gm.hr - cm.hr).abs() <= 0.01, "f{f} epoch {e}: HR gpu {} cpu {}", gm.hr, cm.hr);
        }
    }
}

/// With as many CG steps as factors, the GPU's solves reach the CPU's exact ones.
#[test]
fn als_with_enough_cg_steps_reaches_the_exact_solve() {
    let ctx = shared();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 150, 90));
    let f = 6u32;
    let start = Params::init_with_std(layout(data.num_users, data.num_items, f), 3, 0.1);
    let exact = TrainConfig {
        algorithm: Algorithm::Als(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 0 }),
        ..TrainConfig::default()
    };
    let cg = TrainConfig {
        algorithm: Algorithm::Als(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 12 }),
        ..TrainConfig::default()
    };
    let mut gpu = Trainer::new(GpuAlsSteps::new(ctx, data.clone(), None, start.clone(), cg).unwrap());
    let mut cpu = Trainer::new(AlsSteps::new(data, None, start, exact).unwrap());
    gpu.run_epoch(None).unwrap();
    cpu.run_epoch(None).unwrap();
    assert_close("cg vs exact", &gpu.params().data, &cpu.params().data, 1e-3, 1e-4);
}

#[test]
fn als_on_the_gpu_refuses_exact_solves_and_wide_rows() {
    let ctx = shared();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 40, 30));
    let exact = TrainConfig {
        algorithm: Algorithm::Als(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 0 }),
        ..TrainConfig::default()
    };
    let p = Params::init(layout(data.num_users, data.num_items, 4), 1);
    let e = GpuAlsSteps::new(ctx.clone(), data.clone(), None, p, exact).err().unwrap();
    assert!(e.to_string().starts_with("cgSteps: the GPU solves rows by conjugate gradient"), "{e}");
    let cg = TrainConfig {
        algorithm: Algorithm::Als(AlsSpec { reg: 0.02, alpha: 0.5, cg_steps: 3 }),
        ..TrainConfig::default()
    };
    let wide = Params::init(layout(data.num_users, data.num_items, 300), 1);
    let e = GpuAlsSteps::new(ctx, data, None, wide, cg).err().unwrap();
    assert!(e.is_gpu_failure() && e.to_string().contains("at most 256 factors"), "{e}");
}
