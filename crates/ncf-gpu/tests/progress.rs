//! Live progress and cancellation (issue 7) on both backends: the steps, samples and running
//! loss an epoch reports add up to its report, and a cancelled epoch leaves the weights (on the
//! device too) where the last complete epoch left them.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{cfg, random_dataset, rng, shared};
use ncf_core::train::Progress;
use ncf_core::{CpuTrainer, Layout, ModelKind, NcfError, Optimizer, Params, Trainer};
use ncf_gpu::GpuTrainer;
use rand::Rng;

#[test]
fn progress_adds_up_and_cancel_undoes_the_epoch() {
    let mut rng = rng();
    // ~600 users × ~13 positives × 5 samples at batch 8: several submits of 512 steps.
    let data = Arc::new(random_dataset(&mut rng, 600, 300));
    let c = cfg(Optimizer::adam(), 8, rng.random());
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let params = Params::init(layout, 1);
    let trainers: Vec<Box<dyn Trainer>> = vec![
        Box::new(GpuTrainer::new(shared(), data.clone(), None, params.clone(), c).unwrap()),
        Box::new(CpuTrainer::new(data.clone(), None, params.clone(), c).unwrap()),
    ];
    for mut t in trainers {
        let backend = t.backend();
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
    let mut t = GpuTrainer::new(shared(), data.clone(), None, Params::init(layout, 2), c).unwrap();
    let p = Arc::new(Progress::default());
    t.set_progress(p.clone());
    t.run_epoch(None).unwrap();
    let kept = t.params().clone();
    p.cancel.store(true, Ordering::Relaxed);
    assert!(matches!(t.run_epoch(None), Err(NcfError::Cancelled)));
    let batch = common::random_batch(&mut rng, 300, data.num_users, data.num_items);
    let (on_device, _) = t.gradients(&batch.0, &batch.1, &batch.2).unwrap();
    let fresh = GpuTrainer::new(shared(), data.clone(), None, kept, c);
    let (want, _) = fresh.unwrap().gradients(&batch.0, &batch.1, &batch.2).unwrap();
    common::assert_close("gradients after a cancelled epoch", &on_device, &want, 1e-5, 1e-7);
}
