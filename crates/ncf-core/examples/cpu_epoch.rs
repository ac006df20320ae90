//! Times CPU training epochs on an NCF-format dataset (evaluation off), dense or row-sparse,
//! and where an epoch goes (sampling, gradient, optimizer):
//!
//! `cargo run --release -p ncf-core --example cpu_epoch -- --data /work/shared/data/ml-1m/ncf
//!  --name ml-1m --model neumf --factors 8 --epochs 1 [--sparse] [--batch 256] [--layers 64,32,16,8]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ncf_core::cpu::CpuSteps;
use ncf_core::cpu::optim::update_dense;
use ncf_core::cpu::sampling::epoch_samples;
use ncf_core::cpu::sparse::{TouchedRows, sparse_step};
use ncf_core::data::ncf_files::{NcfPaths, load_ncf};
use ncf_core::fit::Trainer;
use ncf_core::model::{Layout, ModelKind, Params};
use ncf_core::train::{Optimizer, StepScalars, TrainConfig};

fn main() -> ncf_core::error::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str, d: &str| args.iter().position(|a| a == k).map_or(d.to_string(), |i| args[i + 1].clone());
    let has = |k: &str| args.iter().any(|a| a == k);
    let dir = PathBuf::from(get("--data", "/work/shared/data/ml-1m/ncf"));
    let name = get("--name", "ml-1m");
    let factors: u32 = get("--factors", "8").parse().unwrap();
    let epochs: u32 = get("--epochs", "1").parse().unwrap();
    let batch: u32 = get("--batch", "256").parse().unwrap();
    let sparse = has("--sparse");
    let kind = match get("--model", "gmf").as_str() {
        "gmf" => ModelKind::Gmf,
        "mf" => ModelKind::Mf,
        "mlp" => ModelKind::Mlp,
        _ => ModelKind::NeuMf,
    };
    let layers: Option<Vec<u32>> =
        has("--layers").then(|| get("--layers", "").split(',').map(|w| w.parse().unwrap()).collect());
    let optimizer = if get("--optimizer", "adam") == "sgd" { Optimizer::sgd() } else { Optimizer::adam() };
    let paths = NcfPaths {
        train: dir.join(format!("{name}.train.rating")),
        test_rating: Some(dir.join(format!("{name}.test.rating"))),
        test_negative: Some(dir.join(format!("{name}.test.negative"))),
    };
    let data = Arc::new(load_ncf(&paths, None, None)?);
    let f = if kind == ModelKind::Mlp { None } else { Some(factors) };
    let layout = Layout::from_options(kind, data.num_users, data.num_items, f, layers.as_deref())?;
    let params = Params::init(layout, 0);
    let cfg = TrainConfig { batch_size: batch, optimizer, lr: 0.001, sparse, ..TrainConfig::default() };
    println!("# {kind:?} f{factors} {:?} batch {batch} sparse {sparse}: {} params", layout.tower, layout.len());
    if has("--phases") {
        // On a rayon worker, as `CpuSteps` runs its steps.
        return rayon::scope(|_| phases(&data, params, cfg));
    }
    let mut t = Trainer::new(CpuSteps::new(data.clone(), None, params, cfg)?);
    for _ in 0..epochs {
        let r = t.run_epoch(None)?;
        println!(
            "epoch {}: loss {:.5}, {:.3} s, {:.2} M samples/s",
            r.epoch,
            r.loss,
            r.seconds,
            r.samples as f64 / r.seconds / 1e6
        );
    }
    Ok(())
}

/// One epoch with each phase timed apart: sampling, the batch gradients, the optimizer. It
/// times the serial path (`batch_grad`, then the update), which `CpuSteps` keeps for side
/// features; models without them train through `cpu/step.rs`, whose phases overlap.
fn phases(data: &ncf_core::data::Dataset, mut params: Params, cfg: TrainConfig) -> ncf_core::error::Result<()> {
    let t0 = Instant::now();
    let s = epoch_samples(data, cfg.negatives, cfg.seed, 0)?;
    let sampling = t0.elapsed().as_secs_f64();
    let n = params.data.len();
    let (mut g, mut m, mut v) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
    let mut rows = TouchedRows::new(params.layout.num_users, params.layout.num_items);
    let (mut grad, mut opt) = (0f64, 0f64);
    let b = cfg.batch_size as usize;
    for (step, start) in (0..s.len()).step_by(b).enumerate() {
        let e = (start + b).min(s.len());
        let (u, i, y) = (&s.users[start..e], &s.items[start..e], &s.labels[start..e]);
        let t = Instant::now();
        params.batch_grad(&mut g, u, i, y, 1.0 / (e - start) as f32, 0.0, None, cfg.objective());
        let t1 = Instant::now();
        let sc = StepScalars::new(cfg.optimizer, cfg.lr, step as u64 + 1);
        if cfg.sparse {
            rows.gather(u, i);
            sparse_step(&params.layout, &mut params.data, &mut g, &mut m, &mut v, &rows, cfg.optimizer, sc);
        } else {
            update_dense(&mut params.data, &mut g, &mut m, &mut v, cfg.optimizer, sc);
        }
        grad += (t1 - t).as_secs_f64();
        opt += t1.elapsed().as_secs_f64();
    }
    println!("sampling {sampling:.3} s, gradients {grad:.3} s, optimizer {opt:.3} s ({} samples)", s.len());
    Ok(())
}
