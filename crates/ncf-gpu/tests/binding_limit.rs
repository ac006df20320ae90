//! A GPU whose storage bindings are small. The context is opened on lavapipe with its
//! binding (and buffer) limit forced down to 64 KiB, as a small adapter's would be. What fits
//! trains and evaluates as the CPU backend does (evaluation and the tower's passes are cut into
//! chunks that fit); a table that does not fit is an `ERR_DATA` error naming the buffer, its
//! size and the limit, never a crash, a wgpu validation panic or a silent truncation.

mod common;

use std::sync::Arc;

use common::{assert_close, cfg, random_dataset, random_params, rng};
use ncf_core::backend::Backend;
use ncf_core::cpu::CpuBackend;
use ncf_core::data::TestSet;
use ncf_core::{CpuSteps, Layout, ModelKind, Optimizer, Params, Trainer};
use ncf_gpu::{GpuContext, GpuOptions, GpuSteps, evaluate_gpu, predict_gpu};
use rand::Rng;

const LIMIT: u64 = 64 << 10;

fn small() -> Arc<GpuContext> {
    let opts = GpuOptions { max_binding: Some(LIMIT), ..GpuOptions::default() };
    Arc::new(GpuContext::new(opts).expect("a GPU adapter (lavapipe on CI)"))
}

#[test]
fn a_forced_small_binding_limit_is_read_and_what_fits_matches_cpu() {
    let ctx = small();
    assert_eq!(ctx.info.max_storage_buffer_binding_size, LIMIT, "the limit the device was opened with");
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 120, 90));
    for kind in [ModelKind::Gmf, ModelKind::NeuMf] {
        let layout = common::tower_layout(kind, &data, &[16, 8]);
        assert!((layout.len() * 4) < LIMIT as usize);
        let params = Params::init(layout, 4);
        let c = cfg(Optimizer::adam(), 64, 9);
        let mut g = Trainer::new(GpuSteps::new(ctx.clone(), data.clone(), None, params.clone(), c).unwrap());
        let mut cpu = Trainer::new(CpuSteps::new(data.clone(), None, params, c).unwrap());
        let (rg, rc) = (g.run_epoch(None).unwrap(), cpu.run_epoch(None).unwrap());
        assert!((rg.loss - rc.loss).abs() <= 1e-4 * rc.loss.abs(), "{kind:?} loss gpu {} cpu {}", rg.loss, rc.loss);
        assert_close(&format!("{kind:?} weights"), &g.params().data, &cpu.params().data, 2e-3, 1e-4);
    }
    // 600 cases × 100 candidates (240 KB of candidates, 3.7× the limit) evaluate in chunks.
    let layout = Layout::new(ModelKind::Gmf, 120, 90, 8).unwrap();
    let params = random_params(&mut rng, layout);
    let mut test = TestSet { users: Vec::new(), per_case: 100, candidates: Vec::new(), ratings: None };
    for c in 0..600u32 {
        test.users.push(c % 120);
        test.candidates.extend((0..100).map(|_| rng.random_range(0..90u32)));
    }
    let gm = evaluate_gpu(&ctx, &params, &test, 10).unwrap();
    let cm = CpuBackend.evaluate(&params, &test, 10).unwrap();
    assert_eq!(gm.cases, 600);
    assert!((gm.hr - cm.hr).abs() < 1e-9 && (gm.ndcg - cm.ndcg).abs() < 1e-6, "gpu {gm:?} cpu {cm:?}");
}

#[test]
fn a_table_beyond_the_binding_limit_is_an_error_that_names_it() {
    let ctx = small();
    let mut rng = rng();
    let data = Arc::new(random_dataset(&mut rng, 1000, 1000));
    // 2000 rows × 16 factors × 4 bytes = 128 KB of embeddings, twice the limit.
    let layout = Layout::new(ModelKind::Gmf, 1000, 1000, 16).unwrap();
    let params = Params::init(layout, 1);
    let e = GpuSteps::new(ctx.clone(), data.clone(), None, params.clone(), cfg(Optimizer::adam(), 64, 1))
        .err()
        .expect("the model does not fit a 64 KiB binding");
    assert_eq!(e.code(), "ERR_DATA", "{e}");
    let msg = e.to_string();
    assert!(msg.contains("binds at most 65536 bytes per buffer") && msg.contains("device: 'cpu'"), "{msg}");
    for e in [
        predict_gpu(&ctx, &params, &[0, 1], &[2, 3]).unwrap_err(),
        evaluate_gpu(&ctx, &params, data.test.as_ref().unwrap(), 10).unwrap_err(),
    ] {
        assert_eq!(e.code(), "ERR_DATA", "{e}");
        assert!(e.to_string().contains("binds at most 65536 bytes"), "{e}");
    }
    // The context is still usable for what fits.
    let ok = Layout::new(ModelKind::Gmf, 1000, 1000, 2).unwrap();
    let p = Params::init(ok, 1);
    assert_eq!(predict_gpu(&ctx, &p, &[0, 999], &[5, 7]).unwrap().len(), 2);
}
