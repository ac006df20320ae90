//! `ncf-bench`: GMF or MF on an NCF split (e.g. ../shared/data/ml-1m/ncf), printing HR/NDCG and
//! seconds per epoch as a Markdown table. Built here and carried to the GPU machine.
//!
//! ncf-bench --data DIR --name ml-1m [--model gmf|mf] [--device gpu|cpu] [--factors 8] [--epochs 20]
//!           [--batch 256] [--negatives 4] [--lr 0.001] [--optimizer adam|sgd] [--seed 0]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ncf_core::control::{Control, Monitor, Session};
use ncf_core::ncf_files::{NcfPaths, load_ncf};
use ncf_core::optim::parse_optimizer;
use ncf_core::train::{TrainConfig, evaluate_item_pop};
use ncf_core::validation::leave_one_out;
use ncf_core::{Layout, ModelKind, Params};
use ncf_gpu::{Backend, DevicePref};

fn main() {
    if let Err(e) = run() {
        eprintln!("ncf-bench: {} ({})", e, e.code());
        std::process::exit(1);
    }
}

fn run() -> ncf_core::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let num = |flag: &str, default: &str| -> ncf_core::Result<f64> {
        get(flag, default).parse::<f64>().map_err(|_| ncf_core::NcfError::invalid(flag, "must be a number"))
    };
    let dir = PathBuf::from(get("--data", "../shared/data/ml-1m/ncf"));
    let name = get("--name", "ml-1m");
    let device = match get("--device", "gpu").as_str() {
        "cpu" => DevicePref::Cpu,
        "auto" => DevicePref::Auto,
        _ => DevicePref::Gpu,
    };
    let factors = num("--factors", "8")? as u32;
    let epochs = num("--epochs", "20")? as u32;
    let cfg = TrainConfig {
        batch_size: num("--batch", "256")? as u32,
        negatives: num("--negatives", "4")? as u32,
        optimizer: parse_optimizer(
            &get("--optimizer", "adam"),
            args.iter().any(|a| a == "--momentum").then(|| num("--momentum", "0")).transpose()?.map(|m| m as f32),
            num("--weight-decay", "0")? as f32,
        )?,
        lr: num("--lr", "0.001")? as f32,
        seed: num("--seed", "0")? as u32,
        l2: num("--l2", "0")? as f32,
        dropout: 0.0,
    };
    let t0 = Instant::now();
    let paths = NcfPaths {
        train: dir.join(format!("{name}.train.rating")),
        test_rating: Some(dir.join(format!("{name}.test.rating"))),
        test_negative: Some(dir.join(format!("{name}.test.negative"))),
    };
    let data = Arc::new(load_ncf(&paths, None, None)?);
    let load_s = t0.elapsed().as_secs_f64();
    let backend = Backend::resolve(device)?;
    let adapter = match &backend {
        Backend::Gpu(ctx) => format!("{} ({}, {})", ctx.info.name, ctx.info.device_type, ctx.info.backend),
        Backend::Cpu { .. } => format!("CPU backend, {} rayon threads", rayon_threads()),
    };
    let pop = evaluate_item_pop(&data, 10)?;
    println!(
        "# {} f{factors} on {name}: {} users, {} items, {} train, {} test cases; load {load_s:.2} s",
        get("--model", "gmf").to_uppercase(),
        data.num_users,
        data.num_items,
        data.num_interactions(),
        data.test.as_ref().map_or(0, |t| t.len())
    );
    println!("# backend: {adapter}; config {cfg:?}");
    println!("# ItemPop HR@10 {:.4} NDCG@10 {:.4}", pop.hr, pop.ndcg);
    let kind = match get("--model", "gmf").as_str() {
        "gmf" => ModelKind::Gmf,
        "mf" => ModelKind::Mf,
        other => return Err(ncf_core::NcfError::invalid("--model", format!("must be gmf or mf, got {other}"))),
    };
    let layout = Layout::new(kind, data.num_users, data.num_items, factors)?;
    let validation = args.iter().any(|a| a == "--validation").then(|| num("--validation", "99")).transpose()?;
    let (train, valid) = match validation {
        Some(n) => {
            let split = leave_one_out(&data, n as u32, cfg.seed)?;
            (Arc::new(split.train), Some(split.validation))
        }
        None => (data.clone(), None),
    };
    let t1 = Instant::now();
    let trainer = backend.trainer(train, valid, Params::init(layout, cfg.seed), cfg)?;
    let control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: true };
    let mut session = Session::new(trainer, control, cfg.lr as f64);
    println!("# trainer setup {:.2} s", t1.elapsed().as_secs_f64());
    println!("| epoch | loss | HR@10 | NDCG@10 | valid HR@10 | valid NDCG@10 | seconds | samples/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut test_by_epoch = Vec::new();
    let mut total = 0.0f64;
    for _ in 0..epochs {
        let o = session.run_epoch(Some(10))?;
        let r = &o.report;
        let m = r.metrics.expect("test set present");
        total += r.seconds;
        test_by_epoch.push((m.hr, m.ndcg));
        let (vh, vn) =
            r.validation.map_or(("—".into(), "—".into()), |v| (format!("{:.4}", v.hr), format!("{:.4}", v.ndcg)));
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {vh} | {vn} | {:.2} | {:.0} |",
            r.epoch,
            r.loss,
            m.hr,
            m.ndcg,
            r.seconds,
            r.samples as f64 / r.seconds
        );
    }
    let (best_test, bt) =
        test_by_epoch.iter().enumerate().fold((0, (0.0, 0.0)), |a, (e, &m)| if m.0 > a.1.0 { (e + 1, m) } else { a });
    println!(
        "# best test epoch {best_test}: HR@10 {:.4} NDCG@10 {:.4}; mean {:.2} s/epoch",
        bt.0,
        bt.1,
        total / epochs.max(1) as f64
    );
    if let Some(e) = session.best_epoch() {
        let (h, n) = test_by_epoch[e as usize - 1];
        println!("# validation-selected epoch {e}: test HR@10 {h:.4} NDCG@10 {n:.4}");
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
