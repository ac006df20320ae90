//! Live progress and cancellation on both backends: the steps, samples and running
//! loss an epoch reports add up to its report, and a cancelled epoch leaves the weights (on the
//! device too) where the last complete epoch left them.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{cfg, random_dataset, rng, shared};
use ncf_core::train::Progress;
use ncf_core::{CpuSteps, Layout, ModelKind, NcfError, Optimizer, Params, Trainer};
use ncf_gpu::GpuSteps;
use rand::Rng;

#[test]
fn progress_adds_up_and_cancel_undoes_the_epoch() {
    let mut rng = rng();
    // ~600 users × ~13 positives × 5 samples at batch 8: several submits of 512 steps.
    let data = Arc::new(random_dataset(&mut rng, 600, 300));
    let c = cfg(Optimizer::adam(), 8, rng.random());
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let params = Params::init(layout, 1);
    let trainers: Vec<Trainer> = vec![
        Trainer::from_box(Box::new(GpuSteps::new(shared(), data.clone(), None, params.clone(), c).unwrap())),
        Trainer::from_box(Box::new(CpuSteps::new(data.clone(), None, params.clone(), c).unwrap())),
    ];
    for mut t in trainers {
        let backend = t.backend().name();
        let p = Arc::new(Progress::default());
        t.set_progress(p.clone());
        let r = t.run_epoch(None).unwrap();
        let total = p.total_steps.load(Ordering::Relaxed);
        assert!(total > 2 * 512, "{backend}: {total} steps span several submits");
        assert_eq!(p.steps.load(Ordering::Relaxed), total, "{backend}: every step reported");
        assert_eq!(p.samples.load(Ordering::Relaxed), r.samples, "{backend}: every sample reported");
        let running = p.running_loss();
        assert!((running - r.loss).abs() <= 1e-5 * r.loss, "{backend}: running loss {running} vs epoch {}", r.loss);
        // Cancel during the next epoch: it is undone, on the host and on the device.
        let after_one = t.params().clone();
        p.cancel.store(true, Ordering::Relaxed);
        let e = t.run_epoch(None).unwrap_err();
        assert!(matches!(e, NcfError::Cancelled), "{backend}: {e}");
        assert_eq!(e.code(), "ERR_ABORTED");
        assert!(p.steps.load(Ordering::Relaxed) < total, "{backend}: stopped before the end of the epoch");
        assert_eq!(t.params().data, after_one.data, "{backend}: host weights at the last complete epoch");
        // The device weights were restored too: one more (uncancelled) epoch starts from them, so
        // its loss is that of epoch 2 of an uninterrupted run within the optimizer-state drift.
        p.cancel.store(false, Ordering::Relaxed);
        let r2 = t.run_epoch(None).unwrap();
        assert!(
            r2.loss.is_finite() && r2.loss < r.loss,
            "{backend}: epoch after a cancel trains on ({} vs {})",
            r2.loss,
            r.loss
        );
    }
}

/// The GPU's weights after a cancelled epoch are exactly the host's: scoring through the
/// device gives the scores of the last complete epoch.
#[test]
fn cancelled_gpu_epoch_restores_device_weights() {
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 600, 300));
    let c = cfg(Optimizer::adam(), 8, rng.random());
    let layout = Layout::new(ModelKind::Mf, data.num_users, data.num_items, 8).unwrap();
    let mut t = Trainer::new(GpuSteps::new(shared(), data.clone(), None, Params::init(layout, 2), c).unwrap());
    let p = Arc::new(Progress::default());
    t.set_progress(p.clone());
    t.run_epoch(None).unwrap();
    let kept = t.params().clone();
    p.cancel.store(true, Ordering::Relaxed);
    assert!(matches!(t.run_epoch(None), Err(NcfError::Cancelled)));
    let batch = common::random_batch(&mut rng, 300, data.num_users, data.num_items);
    let (on_device, _) = t.gradients(&batch.0, &batch.1, &batch.2).unwrap();
    let fresh = GpuSteps::new(shared(), data.clone(), None, kept, c);
    let (want, _) = fresh.unwrap().gradients(&batch.0, &batch.1, &batch.2).unwrap();
    common::assert_close("gradients after a cancelled epoch", &on_device, &want, 1e-5, 1e-7);
}

/// A run checkpointed after epoch 2 (through the file) and resumed in a fresh session ends
/// where an uninterrupted 4-epoch run ends: bit for bit on the CPU, within float-atomics
/// summation order on the GPU (Adam, dropout-free GMF; NeuMF with dropout on the CPU).
#[test]
fn resumed_runs_match_uninterrupted_ones() {
    use ncf_core::fit::control::{Control, Monitor};
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 200, 150));
    let dir = std::env::temp_dir().join(format!("ncf-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let neumf =
        Layout::neural(ModelKind::NeuMf, data.num_users, data.num_items, 4, ncf_core::Tower::new(&[16, 8, 4]).unwrap())
            .unwrap();
    let gmf = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    for (backend, layout, dropout) in [("cpu", neumf, 0.2f32), ("cpu", gmf, 0.0), ("gpu", gmf, 0.0)] {
        let c = ncf_core::TrainConfig { dropout, ..cfg(Optimizer::adam(), 64, rng.random()) };
        let start = Params::init(layout, 5);
        let trainer = |p: Params| -> Trainer {
            if backend == "gpu" {
                Trainer::from_box(Box::new(GpuSteps::new(shared(), data.clone(), None, p, c).unwrap()))
            } else {
                Trainer::from_box(Box::new(CpuSteps::new(data.clone(), None, p, c).unwrap()))
            }
        };
        let control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: false };
        let mut whole = trainer(start.clone()).with_control(control, c.lr as f64);
        let mut first = trainer(start.clone()).with_control(control, c.lr as f64);
        let mut losses = Vec::new();
        for _ in 0..4 {
            losses.push(whole.run_epoch(None).unwrap().report.loss);
        }
        for _ in 0..2 {
            first.run_epoch(None).unwrap();
        }
        let path = dir.join(format!("{backend}-{:?}.ckpt", layout.kind));
        ncf_core::fit::checkpoint::save(&path, layout, &first.checkpoint().unwrap(), "{}").unwrap();
        drop(first);
        let (ck, meta) = ncf_core::fit::checkpoint::load(&path, Some(layout)).unwrap();
        assert_eq!((meta.epoch, meta.step), (2, 2 * c.steps_per_epoch(data.num_interactions() as u32 * 5) as u64));
        let mut resumed = trainer(start.clone()).with_control(control, c.lr as f64);
        resumed.resume(ck).unwrap();
        let mut tail = Vec::new();
        for _ in 0..2 {
            let o = resumed.run_epoch(None).unwrap();
            tail.push((o.report.epoch, o.report.loss));
        }
        assert_eq!(tail.iter().map(|t| t.0).collect::<Vec<_>>(), [3, 4], "{backend}: epochs continue");
        let what = format!("{backend} {:?} resumed", layout.kind);
        if backend == "cpu" {
            assert_eq!(resumed.params().data, whole.params().data, "{what}: bit for bit");
            assert_eq!([tail[0].1, tail[1].1], [losses[2], losses[3]], "{what}: losses");
        } else {
            common::assert_close(&what, &resumed.params().data, &whole.params().data, 1e-3, 1e-4);
            assert!((tail[1].1 - losses[3]).abs() <= 1e-4 * losses[3], "{what}: loss {} vs {}", tail[1].1, losses[3]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
