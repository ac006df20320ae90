//! A GPU that fails. A lost device and an out-of-memory error are caused on purpose
//! (`GpuContext::simulate_fault`: the device is destroyed, wgpu's own loss path; the error wgpu
//! reports for a failed allocation). On `'gpu'` each is an `ERR_GPU` error naming the fault,
//! never a panic or a hang; on `'auto'` the CPU backend answers instead, and a fit continues
//! on it from its last complete epoch.
//!
//! Every test here opens its own context, except the one that loses the shared context on
//! purpose, so no fault reaches another test.

mod common;

use std::sync::Arc;

use common::{cfg, random_dataset, rng};
use ncf_core::backend::auto::AutoBackend;
use ncf_core::backend::{Backend, BackendKind};
use ncf_core::cpu::CpuBackend;
use ncf_core::data::synthetic::{SyntheticConfig, synthetic};
use ncf_core::fit::OptimizerState;
use ncf_core::fit::{Fit, FitOptions};
use ncf_core::infer::Side;
use ncf_core::recommender::{Corpus, ModelSpec, Recommender};
use ncf_core::{CpuSteps, Layout, ModelKind, NcfError, Optimizer, Params, Trainer};
use ncf_gpu::{GpuBackend, GpuContext, GpuFault, GpuOptions, GpuSteps, evaluate_gpu, predict_gpu, similarity_gpu};

fn own_context() -> Arc<GpuContext> {
    Arc::new(GpuContext::new(GpuOptions::default()).expect("a GPU adapter (lavapipe on CI)"))
}

fn gpu_error(e: &NcfError, says: &str) {
    assert_eq!(e.code(), "ERR_GPU", "{e}");
    assert!(e.to_string().contains(says), "'{e}' should say '{says}'");
}

#[test]
fn a_lost_device_is_an_error_on_gpu_for_every_later_call() {
    let ctx = own_context();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 120, 90));
    let layout = common::tower_layout(ModelKind::NeuMf, &data, &[16, 8]);
    let params = Params::init(layout, 1);
    let mut t = Trainer::new(
        GpuSteps::new(ctx.clone(), data.clone(), None, params.clone(), cfg(Optimizer::adam(), 64, 3)).unwrap(),
    );
    t.run_epoch(None).unwrap();
    let after_one = t.params().clone();
    ctx.simulate_fault(GpuFault::DeviceLost);
    assert!(ctx.is_lost());
    let e = t.run_epoch(Some(10)).unwrap_err();
    gpu_error(&e, "the GPU device was lost");
    assert_eq!(t.params().data, after_one.data, "the host weights stay at the last complete epoch");
    // Every later call fails the same way, quickly, rather than waiting on a dead device.
    for _ in 0..2 {
        gpu_error(&predict_gpu(&ctx, &after_one, &[0, 1], &[2, 3]).unwrap_err(), "the GPU device was lost");
        let test = data.test.as_ref().unwrap();
        gpu_error(&evaluate_gpu(&ctx, &after_one, test, 10).unwrap_err(), "the GPU device was lost");
        gpu_error(&similarity_gpu(&ctx, &after_one, Side::Items, &[0, 4]).unwrap_err(), "the GPU device was lost");
        let fresh = GpuSteps::new(ctx.clone(), data.clone(), None, params.clone(), cfg(Optimizer::adam(), 64, 3));
        gpu_error(&fresh.err().expect("no session on a lost device"), "the GPU device was lost");
    }
}

#[test]
fn out_of_memory_is_an_error_on_gpu_that_says_what_to_change() {
    let ctx = own_context();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 100, 70));
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let mut t = Trainer::new(
        GpuSteps::new(ctx.clone(), data, None, Params::init(layout, 2), cfg(Optimizer::adam(), 32, 5)).unwrap(),
    );
    ctx.simulate_fault(GpuFault::OutOfMemory);
    let e = t.run_epoch(None).unwrap_err();
    gpu_error(&e, "the GPU ran out of memory");
    assert!(e.to_string().contains("smaller batchSize"), "{e}");
    // Out of memory does not lose the device: the next epoch runs.
    assert!(!ctx.is_lost());
    assert!(t.run_epoch(None).unwrap().loss.is_finite());
}

#[test]
fn auto_trains_on_after_the_gpu_is_lost_as_a_cpu_session_would() {
    let ctx = own_context();
    let auto: Arc<dyn Backend> = Arc::new(AutoBackend::new(GpuBackend { ctx: ctx.clone() }, Arc::new(CpuBackend)));
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 150, 80));
    let layout = common::tower_layout(ModelKind::NeuMf, &data, &[16, 8]);
    let c = cfg(Optimizer::adam(), 64, 11);
    let mut t = Trainer::start(&auto, data.clone(), None, Params::init(layout, 4), c).unwrap();
    t.run_epoch(None).unwrap();
    assert_eq!((t.backend(), t.fallback()), (BackendKind::Gpu, None));
    let after_one = t.params().clone();
    ctx.simulate_fault(GpuFault::DeviceLost);
    let r = t.run_epoch(None).unwrap();
    assert_eq!(r.epoch, 2);
    assert_eq!(t.backend(), BackendKind::Cpu);
    let why = t.fallback().expect("says why it left the GPU");
    assert!(why.contains("during epoch 2") && why.contains("device was lost") && why.contains("epoch 1's"), "{why}");
    // Exactly a CPU session resumed at epoch 1's weights with fresh moments: same negatives
    // (drawn by epoch index), same steps.
    let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, after_one.clone(), c).unwrap());
    let fresh = cpu.optimizer_state().unwrap();
    cpu.restore(&after_one.data, OptimizerState { epoch: 1, ..fresh }).unwrap();
    let want = cpu.run_epoch(None).unwrap();
    assert_eq!(r.loss, want.loss);
    assert_eq!(t.params().data, cpu.params().data);
    assert!(t.params().data.iter().all(|x| x.is_finite()));
    // Scoring through the same backend now goes to the CPU, and says so.
    let (u, i) = ([0u32, 5, 9], [1u32, 2, 3]);
    let z = auto.logits(t.params(), &u, &i).unwrap();
    assert_eq!(z, CpuBackend.logits(t.params(), &u, &i).unwrap());
    assert_eq!(auto.kind(), BackendKind::Cpu);
    assert!(auto.fallback().is_some_and(|w| w.contains("device was lost")), "{:?}", auto.fallback());
}

#[test]
fn auto_answers_on_the_cpu_when_the_gpu_runs_out_of_memory() {
    let ctx = own_context();
    let auto: Arc<dyn Backend> = Arc::new(AutoBackend::new(GpuBackend { ctx: ctx.clone() }, Arc::new(CpuBackend)));
    let mut rng = rng();
    let data = random_dataset(&mut rng, 80, 60);
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let p = Params::init(layout, 6);
    let test = data.test.clone().unwrap();
    assert_eq!(auto.kind(), BackendKind::Gpu);
    ctx.simulate_fault(GpuFault::OutOfMemory);
    let got = auto.evaluate(&p, &test, 10).unwrap();
    let want = CpuBackend.evaluate(&p, &test, 10).unwrap();
    assert_eq!((got.hr, got.ndcg), (want.hr, want.ndcg));
    assert!(auto.fallback().is_some_and(|w| w.contains("ran out of memory")), "{:?}", auto.fallback());
    // A session asked for after the failure starts on the CPU.
    let t = Trainer::start(&auto, Arc::new(data), None, p, cfg(Optimizer::adam(), 32, 1)).unwrap();
    assert_eq!(t.backend(), BackendKind::Cpu);
}

#[test]
fn a_fit_on_auto_reports_that_it_moved_to_the_cpu() {
    let ctx = own_context();
    let d = Corpus::plain(
        synthetic(SyntheticConfig {
            num_users: 60,
            num_items: 50,
            per_user: 8,
            clusters: 3,
            test_negatives: 20,
            seed: 4,
        })
        .unwrap(),
    );
    let spec = ModelSpec {
        kind: Some(ModelKind::Gmf),
        num_users: d.data.num_users,
        num_items: d.data.num_items,
        factors: Some(4),
        seed: 3,
        ..ModelSpec::default()
    };
    let m = Recommender::build(spec).unwrap();
    let opts = FitOptions { epochs: Some(3), batch_size: Some(32), seed: Some(7), ..FitOptions::default() };
    let backend = Arc::new(AutoBackend::new(GpuBackend { ctx: ctx.clone() }, Arc::new(CpuBackend)));
    let mut fit = Fit::plan(&m, &d, &opts).unwrap().start(backend).unwrap();
    fit.run_epoch().unwrap();
    assert_eq!((fit.backend(), fit.fallback()), (BackendKind::Gpu, None));
    ctx.simulate_fault(GpuFault::DeviceLost);
    while !fit.done() {
        let r = fit.run_epoch().unwrap();
        assert!(r.loss.is_finite() && r.hr.is_some_and(f64::is_finite), "{r:?}");
    }
    fit.finish().unwrap();
    assert_eq!(fit.history().len(), 3);
    assert_eq!(fit.backend(), BackendKind::Cpu);
    assert!(fit.fallback().is_some_and(|w| w.contains("during epoch 2")), "{:?}", fit.fallback());
    assert!(m.weights().unwrap().data.iter().all(|x| x.is_finite()));
}

#[test]
fn the_shared_context_is_opened_again_after_its_device_is_lost() {
    let first = GpuContext::shared().unwrap();
    first.simulate_fault(GpuFault::DeviceLost);
    let second = GpuContext::shared().unwrap();
    assert!(!Arc::ptr_eq(&first, &second), "a new context replaces the lost one");
    assert!(!second.is_lost());
    let layout = Layout::new(ModelKind::Gmf, 4, 5, 4).unwrap();
    let p = Params::init(layout, 1);
    let z = predict_gpu(&second, &p, &[0, 3], &[1, 4]).unwrap();
    let want = CpuBackend.logits(&p, &[0, 3], &[1, 4]).unwrap();
    common::assert_close("logits on the new context", &z, &want, 1e-5, 1e-6);
}
