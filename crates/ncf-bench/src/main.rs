//! `ncf-bench`: one NCF model on an NCF split (e.g. ../shared/data/ml-1m/ncf), printing HR/NDCG
//! and seconds per epoch as a Markdown table. Built here and carried to the GPU machine.
//!
//! ncf-bench --data DIR --name ml-1m [--model gmf|mf|mlp|neumf|neumf-pre] [--device gpu|cpu]
//!           [--factors 8] [--layers 64,32,16,8] [--epochs 20] [--batch 256] [--negatives 4]
//!           [--lr 0.001] [--optimizer adam|sgd] [--momentum M] [--weight-decay W] [--l2 L]
//!           [--dropout P] [--seed 0] [--validation N]
//!           neumf-pre: [--pre-epochs E] [--pre-lr 0.001] [--alpha 0.5]; GMF and MLP are trained
//!           first with Adam (their best validation epoch kept when --validation is given), then
//!           NeuMF-pre is fine-tuned with --optimizer (default sgd).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ncf_core::control::{Control, Monitor, Session};
use ncf_core::cpu::evaluate_item_pop;
use ncf_core::data::ncf_files::{NcfPaths, load_ncf};
use ncf_core::data::validation::leave_one_out;
use ncf_core::train::TrainConfig;
use ncf_core::train::parse_optimizer;
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
    let model = get("--model", "gmf");
    let pre = model == "neumf-pre";
    let cfg = TrainConfig {
        batch_size: num("--batch", "256")? as u32,
        negatives: num("--negatives", "4")? as u32,
        optimizer: parse_optimizer(
            &get("--optimizer", if pre { "sgd" } else { "adam" }),
            args.iter().any(|a| a == "--momentum").then(|| num("--momentum", "0")).transpose()?.map(|m| m as f32),
            num("--weight-decay", "0")? as f32,
        )?,
        lr: num("--lr", "0.001")? as f32,
        seed: num("--seed", "0")? as u32,
        l2: num("--l2", "0")? as f32,
        dropout: num("--dropout", "0")? as f32,
        ..TrainConfig::default()
    };
    let layers: Option<Vec<u32>> = args
        .iter()
        .any(|a| a == "--layers")
        .then(|| get("--layers", "").split(',').map(|w| w.trim().parse::<u32>().unwrap_or(0)).collect());
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
        model.to_uppercase(),
        data.num_users,
        data.num_items,
        data.num_interactions(),
        data.test.as_ref().map_or(0, |t| t.len())
    );
    println!("# backend: {adapter}; config {cfg:?}");
    println!("# ItemPop HR@10 {:.4} NDCG@10 {:.4}", pop.hr, pop.ndcg);
    let kind = match model.as_str() {
        "gmf" => ModelKind::Gmf,
        "mf" => ModelKind::Mf,
        "mlp" => ModelKind::Mlp,
        "neumf" | "neumf-pre" => ModelKind::NeuMf,
        other => {
            return Err(ncf_core::NcfError::invalid(
                "--model",
                format!("must be gmf, mf, mlp, neumf or neumf-pre, got {other}"),
            ));
        }
    };
    let validation = args.iter().any(|a| a == "--validation").then(|| num("--validation", "99")).transpose()?;
    let (train, valid) = match validation {
        Some(n) => {
            let split = leave_one_out(&data, n as u32, cfg.seed)?;
            (Arc::new(split.train), Some(split.validation))
        }
        None => (data.clone(), None),
    };
    // GMF and MF take --factors. A tower takes --layers; with --layers, --factors is the NeuMF's
    // GMF branch (and for MLP must equal the last width, so it is passed only when given).
    let explicit_factors = args.iter().any(|a| a == "--factors");
    let layout = |kind: ModelKind| {
        let f = if kind == ModelKind::Mlp && layers.is_some() && !explicit_factors { None } else { Some(factors) };
        let tower = if kind.is_neural() { layers.as_deref() } else { None };
        Layout::from_options(kind, data.num_users, data.num_items, f, tower)
    };
    let run = |label: &str, params: Params, cfg: TrainConfig, epochs: u32| {
        train_and_report(&backend, label, train.clone(), valid.clone(), params, cfg, epochs)
    };
    let params = if pre {
        let pre_epochs = num("--pre-epochs", &epochs.to_string())? as u32;
        let pre_cfg =
            TrainConfig { optimizer: ncf_core::Optimizer::adam(), lr: num("--pre-lr", "0.001")? as f32, ..cfg };
        // GMF has no tower, so no dropout; the MLP pretrains with the given dropout.
        let gmf_cfg = TrainConfig { dropout: 0.0, ..pre_cfg };
        let gmf = run("GMF (pretraining)", Params::init(layout(ModelKind::Gmf)?, cfg.seed), gmf_cfg, pre_epochs)?;
        let mlp = run("MLP (pretraining)", Params::init(layout(ModelKind::Mlp)?, cfg.seed), pre_cfg, pre_epochs)?;
        ncf_core::model::neumf_from_pretrained(&gmf, &mlp, num("--alpha", "0.5")? as f32)?
    } else {
        Params::init(layout(kind)?, cfg.seed)
    };
    run(&model.to_uppercase(), params, cfg, epochs)?;
    Ok(())
}

/// Trains `epochs` epochs, printing one table row per epoch and a summary; returns the weights
/// kept (the best validation epoch's when there is validation, else the last).
fn train_and_report(
    backend: &Backend,
    label: &str,
    train: Arc<ncf_core::Dataset>,
    valid: Option<ncf_core::TestSet>,
    params: Params,
    cfg: TrainConfig,
    epochs: u32,
) -> ncf_core::Result<Params> {
    let t1 = Instant::now();
    // Where a pretrained model starts (NeuMF-pre: the α-mix of GMF and MLP), as epoch 0.
    let start = if label.starts_with("NEUMF-PRE") {
        let test = train.test.as_ref().map(|t| backend.evaluate(&params, t, 10)).transpose()?;
        let val = valid.as_ref().map(|v| backend.evaluate(&params, v, 10)).transpose()?;
        Some((test, val))
    } else {
        None
    };
    let trainer = backend.trainer(train, valid, params, cfg)?;
    let control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: true };
    let mut session = Session::new(trainer, control, cfg.lr as f64);
    if let Some((_, Some(v))) = start {
        session = session.with_initial(Some(&v), None);
    }
    println!("\n## {label}: {cfg:?}; trainer setup {:.2} s", t1.elapsed().as_secs_f64());
    println!("| epoch | loss | HR@10 | NDCG@10 | valid HR@10 | valid NDCG@10 | seconds | samples/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    if let Some((Some(t), v)) = start {
        let (vh, vn) = v.map_or(("—".into(), "—".into()), |v| (format!("{:.4}", v.hr), format!("{:.4}", v.ndcg)));
        println!("| 0 | — | {:.4} | {:.4} | {vh} | {vn} | — | — |", t.hr, t.ndcg);
    }
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
        "# {label} best test epoch {best_test}: HR@10 {:.4} NDCG@10 {:.4}; mean {:.2} s/epoch",
        bt.0,
        bt.1,
        total / epochs.max(1) as f64
    );
    if let Some(e) = session.best_epoch() {
        // Epoch 0 is the starting point (NeuMF-pre's α-mix), kept when no epoch beats it.
        let start_test = start.and_then(|s| s.0).map(|m| (m.hr, m.ndcg)).unwrap_or((f64::NAN, f64::NAN));
        let (h, n) = if e == 0 { start_test } else { test_by_epoch[e as usize - 1] };
        println!("# {label} validation-selected epoch {e}: test HR@10 {h:.4} NDCG@10 {n:.4}");
    }
    Ok(session.final_params().clone())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
