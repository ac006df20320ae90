//! The GPU's epoch stays on the device: its steps go in submits of `STEPS_PER_SUBMIT`, and the
//! losses, weights and test metrics come back in the epoch's one host wait, whatever loop
//! drives the steps (`GpuContext::counts` counts every submit and wait of a context).

mod common;

use std::sync::Arc;

use common::{cfg, random_dataset, rng};
use ncf_core::{Layout, ModelKind, Optimizer, Params, Trainer};
use ncf_gpu::steps::STEPS_PER_SUBMIT;
use ncf_gpu::{GpuContext, GpuOptions, GpuSteps};

#[test]
fn an_epoch_submits_its_steps_in_chunks_and_waits_once() {
    // A context of this test's own, so that no other test's submits are counted.
    let ctx = Arc::new(GpuContext::new(GpuOptions::default()).expect("a GPU adapter (lavapipe on CI)"));
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 600, 300));
    let layout = Layout::new(ModelKind::Gmf, data.num_users, data.num_items, 8).unwrap();
    let c = cfg(Optimizer::adam(), 8, 3);
    let steps = c.steps_per_epoch(ncf_core::train::samples_per_epoch(&data, 4).unwrap());
    assert!(steps > 2 * STEPS_PER_SUBMIT, "{steps} steps span several submits");
    let mut t = Trainer::new(GpuSteps::new(ctx.clone(), data, None, Params::init(layout, 1), c).unwrap());
    for eval in [None, Some(10)] {
        let before = ctx.counts();
        t.run_epoch(eval).unwrap();
        let d = ctx.counts() - before;
        // The step submits, then the one that scores the test set and reads everything back.
        assert_eq!(d.submits, steps.div_ceil(STEPS_PER_SUBMIT) as u64 + 1, "eval {eval:?}");
        assert_eq!(d.waits, 1, "eval {eval:?}: one host wait an epoch");
    }
}
