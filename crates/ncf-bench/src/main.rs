//! `ncf-bench`: one NCF model on an NCF split (e.g. ../shared/data/ml-1m/ncf), printing HR/NDCG
//! and seconds per epoch as a Markdown table. Built here and carried to the GPU machine.
//!
//! ncf-bench --data DIR --name ml-1m [--model gmf|mf|mlp|neumf|neumf-pre] [--device gpu|cpu]
//!           [--factors 8] [--layers 64,32,16,8] [--epochs 20] [--batch 256] [--negatives 4]
//!           [--lr 0.001] [--optimizer adam|sgd] [--momentum M] [--weight-decay W] [--l2 L]
//!           [--dropout P] [--seed 0] [--validation N] [--sparse] [--beta1 B] [--beta2 B] [--eps E]
//!           [--no-eval] [--hogwild] [--uniform-negatives] [--save PATH] [--start-only]
//!           [--fold-in-holdout N [--fold-epochs E] [--fold-lr L] [--fold-negatives K] [--fold-l2 L]]
//!           neumf-pre: [--pre-epochs E] [--pre-lr 0.001] [--alpha 0.5] [--pre-dir DIR] [--gmf-from PATH]; GMF and MLP are trained
//!           first with Adam (their best validation epoch kept when --validation is given), then
//!           NeuMF-pre is fine-tuned with --optimizer (default sgd); [--carry-adam] starts Adam's
//!           fine-tuning from the parts' moments at their selected epochs (kept in --pre-dir).
//!           At scale: [--synthetic ml-20m|netflix [--interactions N] [--test-users N]
//!           [--write-netflix FILE | --write-csv FILE]] or [--read-netflix FILE | --read-csv FILE];
//!           [--full-rank] ranks every item for the test users after training; peak memory is
//!           printed at each phase.

use std::path::PathBuf;
use std::time::Instant;

use ncf_core::ModelKind;
use ncf_core::backend::{BackendKind, DevicePref, ranking};
use ncf_core::cpu::evaluate_item_pop;
use ncf_core::data::ncf_files::{NcfPaths, load_ncf};
use ncf_core::fit::{FitOptions, OptimizerKind, Validation};
use ncf_core::recommender::{Corpus, FoldIn, ModelSpec, Recommender};

mod holdout;
mod pretrain;
mod report;
mod scale;

use report::{Extras, train_and_report};

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
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let als = model == "als";
    let optimizer = match get("--optimizer", if pre { "sgd" } else { "adam" }).as_str() {
        _ if als => OptimizerKind::Als,
        "adam" => OptimizerKind::Adam,
        "sgd" => OptimizerKind::Sgd,
        other => return Err(ncf_core::NcfError::invalid("--optimizer", format!("must be adam or sgd, got {other}"))),
    };
    let validation = has("--validation").then(|| num("--validation", "99")).transpose()?;
    // iALS (Rendle et al. 2022's ML-1M setting by default): none of the gradient options.
    let als_opts = FitOptions {
        epochs: Some(epochs),
        optimizer: Some(OptimizerKind::Als),
        l2: Some(num("--l2", "0.007")?),
        alpha: Some(num("--alpha", "0.3")?),
        cg_steps: Some(num("--cg-steps", "3")? as u32),
        seed: Some(num("--seed", "0")? as u32),
        validation: Some(if validation.is_some() { Validation::LeaveOneOut } else { Validation::None }),
        validation_negatives: validation.map(|n| n as u32),
        evaluate: Some(!has("--no-eval")),
        ..FitOptions::default()
    };
    let opts = FitOptions {
        epochs: Some(epochs),
        batch_size: Some(num("--batch", "256")? as u32),
        negatives: Some(num("--negatives", "4")? as u32),
        optimizer: Some(optimizer),
        momentum: has("--momentum").then(|| num("--momentum", "0")).transpose()?,
        weight_decay: Some(num("--weight-decay", "0")?),
        beta1: has("--beta1").then(|| num("--beta1", "0.9")).transpose()?,
        beta2: has("--beta2").then(|| num("--beta2", "0.999")).transpose()?,
        eps: has("--eps").then(|| num("--eps", "1e-8")).transpose()?,
        sparse: Some(has("--sparse")),
        lr: Some(num("--lr", "0.001")?),
        seed: Some(num("--seed", "0")? as u32),
        l2: Some(num("--l2", "0")?),
        dropout: Some(num("--dropout", "0")?),
        validation: Some(if validation.is_some() { Validation::LeaveOneOut } else { Validation::None }),
        validation_negatives: validation.map(|n| n as u32),
        // --no-eval: training only, so seconds per epoch are the training throughput.
        evaluate: Some(!has("--no-eval")),
        // Rendle et al.'s MF recipe: batch-1 SGD across threads (`--hogwild --batch 1 --optimizer sgd`).
        hogwild: has("--hogwild").then_some(true),
        uniform_negatives: has("--uniform-negatives").then_some(true),
        ..FitOptions::default()
    };
    let layers: Option<Vec<u32>> =
        has("--layers").then(|| get("--layers", "").split(',').map(|w| w.trim().parse::<u32>().unwrap_or(0)).collect());
    let t0 = Instant::now();
    let dataset = if has("--synthetic") {
        let size = get("--synthetic", "netflix");
        let opt = |flag: &str| has(flag).then(|| num(flag, "0")).transpose();
        let d = scale::generate(
            &size,
            opt("--interactions")?.map(|n| n as u64),
            opt("--test-users")?.map(|n| n as u32),
            num("--seed", "0")? as u32,
        )?;
        for (flag, csv) in [("--write-netflix", false), ("--write-csv", true)] {
            if has(flag) {
                let path = PathBuf::from(get(flag, "ratings.txt"));
                let w = if csv { scale::write_csv(&d, &path) } else { scale::write_netflix(&d, &path) };
                w.map_err(|e| ncf_core::NcfError::Write { path, source: e })?;
                return Ok(());
            }
        }
        d
    } else if has("--read-netflix") || has("--read-csv") {
        let csv = has("--read-csv");
        let d = scale::read_file(&PathBuf::from(get(if csv { "--read-csv" } else { "--read-netflix" }, "")), csv)?;
        if !has("--epochs") {
            return Ok(());
        }
        d
    } else {
        let paths = NcfPaths {
            train: dir.join(format!("{name}.train.rating")),
            test_rating: Some(dir.join(format!("{name}.test.rating"))),
            test_negative: Some(dir.join(format!("{name}.test.negative"))),
        };
        load_ncf(&paths, None, None)?
    };
    let name = if has("--synthetic") { format!("synthetic {}", get("--synthetic", "netflix")) } else { name };
    let data = Corpus::plain(dataset);
    let d = data.data.clone();
    let load_s = t0.elapsed().as_secs_f64();
    scale::print_memory("after loading");
    let backend = ncf_gpu::select(device)?;
    let adapter = match backend.kind() {
        BackendKind::Gpu => {
            let i = &ncf_gpu::GpuContext::shared()?.info;
            format!("{} ({}, {})", i.name, i.device_type, i.backend)
        }
        BackendKind::Cpu => format!("CPU backend, {} rayon threads", rayon_threads()),
    };
    let pop = evaluate_item_pop(&d, 10)?;
    println!(
        "# {} f{factors} on {name}: {} users, {} items, {} train, {} test cases; load {load_s:.2} s",
        model.to_uppercase(),
        d.num_users,
        d.num_items,
        d.num_interactions(),
        d.test.as_ref().map_or(0, |t| t.len())
    );
    println!("# backend: {adapter}; options {opts:?}");
    println!("# ItemPop HR@10 {:.4} NDCG@10 {:.4}", pop.hr, pop.ndcg);
    let kind = match model.as_str() {
        "gmf" => ModelKind::Gmf,
        "mf" | "als" => ModelKind::Mf,
        "mlp" => ModelKind::Mlp,
        "neumf" | "neumf-pre" => ModelKind::NeuMf,
        other => {
            return Err(ncf_core::NcfError::invalid(
                "--model",
                format!("must be gmf, mf, als, mlp, neumf or neumf-pre, got {other}"),
            ));
        }
    };
    // GMF and MF take --factors. A tower takes --layers; with --layers, --factors is the NeuMF's
    // GMF branch (and for MLP must equal the last width, so it is passed only when given).
    let explicit_factors = has("--factors");
    let seed = opts.seed.unwrap_or(0);
    let build_for = |kind: ModelKind, num_users: u32| {
        let f = if kind == ModelKind::Mlp && layers.is_some() && !explicit_factors { None } else { Some(factors) };
        let tower = if kind.is_neural() { layers.clone() } else { None };
        Recommender::build(ModelSpec {
            kind: Some(kind),
            num_users,
            num_items: d.num_items,
            factors: f,
            layers: tower,
            seed,
            // ALS: a dot product without biases, from N(0, 0.1/√d) (Rendle et al. 2022).
            biases: als.then_some(false),
            als,
            init_std: if has("--init-std") {
                Some(num("--init-std", "0.01").unwrap_or(0.01) as f32)
            } else {
                als.then(|| 0.1 / (factors as f32).sqrt())
            },
            ..ModelSpec::default()
        })
    };
    let build = |kind: ModelKind| build_for(kind, d.num_users);
    // --start-only: report where the main model starts (NeuMF-pre's α-mix as epoch 0) and stop.
    let start_only = has("--start-only");
    // --carry-adam: the GMF's and MLP's Adam moments at their selected
    // epochs are kept beside them and carried into NeuMF-pre's fine-tuning.
    let carry = has("--carry-adam");
    let run = |label: &str, m: &Recommender, o: &FitOptions| {
        train_and_report(&backend, label, m, &data, o, Extras { capture: carry, ..Extras::default() })
    };
    let (m, carried) = if pre {
        let pre_opts = FitOptions {
            epochs: Some(num("--pre-epochs", &epochs.to_string())? as u32),
            optimizer: Some(OptimizerKind::Adam),
            momentum: None,
            lr: Some(num("--pre-lr", "0.001")?),
            ..opts.clone()
        };
        // GMF has no tower, so no dropout; the MLP pretrains with the given dropout.
        let store = pretrain::Store {
            dir: has("--pre-dir").then(|| PathBuf::from(get("--pre-dir", "."))),
            key: pretrain::key(factors, layers.as_deref(), &pre_opts, validation),
            carry,
        };
        let lr = pre_opts.lr.unwrap_or(0.001);
        let part = |kind: ModelKind, label: &str, o: &FitOptions| {
            store.part(kind, label, lr, || build(kind), |m| run(label, m, o))
        };
        // --gmf-from: the GMF branch from a saved GMF, MF or ALS (e.g. Rendle's MF recipe).
        let (gmf, gmf_moments) = if has("--gmf-from") {
            let p = PathBuf::from(get("--gmf-from", ""));
            println!("\n## GMF branch: loaded from {}", p.display());
            (Recommender::load(&p)?, None)
        } else {
            part(ModelKind::Gmf, "GMF (pretraining)", &FitOptions { dropout: Some(0.0), ..pre_opts.clone() })?
        };
        let (mlp, mlp_moments) = part(ModelKind::Mlp, "MLP (pretraining)", &pre_opts)?;
        let alpha = num("--alpha", "0.5")? as f32;
        let neumf = Recommender::neumf_from_pretrained(&gmf, &mlp, alpha)?;
        let adam = opts.optimizer == Some(OptimizerKind::Adam);
        let carried = pretrain::carried(carry, adam, (&gmf, gmf_moments), (&mlp, mlp_moments), alpha)?;
        (neumf, carried)
    } else {
        (build(kind)?, None)
    };
    let fit_opts = if als { &als_opts } else { &opts };
    if has("--fold-in-holdout") {
        // Every N-th user held out of training and folded in afterwards, against a
        // full retrain on the same epochs and options.
        let h = holdout::split(&d, num("--fold-in-holdout", "10")? as u32)?;
        train_and_report(&backend, "full retrain", &m, &data, fit_opts, Extras::default())?;
        let full = backend.evaluate(&m.weights()?, &h.test_full, 10)?;
        let part = build_for(kind, h.kept.data.num_users)?;
        train_and_report(&backend, "trained without the held-out users", &part, &h.kept, fit_opts, Extras::default())?;
        let opt = |flag: &str| has(flag).then(|| num(flag, "0")).transpose();
        let req = FoldIn {
            epochs: opt("--fold-epochs")?.map(|v| v as u32),
            lr: opt("--fold-lr")?,
            negatives: opt("--fold-negatives")?.map(|v| v as u32),
            l2: opt("--fold-l2")?,
            ..FoldIn::default()
        };
        let secs = holdout::fold_in(&part, &d, &h, &backend, req)?;
        let folded = backend.evaluate(&part.weights()?, &h.test_folded, 10)?;
        println!(
            "# fold-in of {} held-out users ({} test cases) in {secs:.2} s: HR@10 {:.4} NDCG@10 {:.4}; full retrain HR@10 {:.4} NDCG@10 {:.4}; ratio {:.3}",
            h.held.len(),
            h.test_full.len(),
            folded.hr,
            folded.ndcg,
            full.hr,
            full.ndcg,
            folded.hr / full.hr
        );
        return Ok(());
    }
    let extras = Extras { start_only, moments: carried, ..Extras::default() };
    train_and_report(&backend, &model.to_uppercase(), &m, &data, fit_opts, extras)?;
    scale::print_memory("after training");
    if let Some(test) = d.test.as_ref().filter(|_| !start_only) {
        let w = m.weights()?;
        let t = Instant::now();
        let s = ranking::evaluate(&*backend, &w, test, 10)?;
        println!(
            "# sampled evaluation, {} cases × {} candidates: HR@10 {:.4} NDCG@10 {:.4} in {:.2} s",
            test.len(),
            test.per_case,
            s.hr,
            s.ndcg,
            t.elapsed().as_secs_f64()
        );
        if has("--full-rank") {
            let t = Instant::now();
            let f = ranking::evaluate_full(&*backend, &w, &d, 10)?;
            println!(
                "# full ranking, {} users × {} items: HR@10 {:.4} NDCG@10 {:.4} Recall@10 {:.4} in {:.2} s",
                test.len(),
                d.num_items,
                f.hr,
                f.ndcg,
                f.recall.unwrap_or(f64::NAN),
                t.elapsed().as_secs_f64()
            );
        }
        scale::print_memory("after evaluation");
    }
    // --save: the kept weights (the validation-selected epoch's, with --validation).
    if has("--save") {
        let p = PathBuf::from(get("--save", "model.ncf"));
        m.save(&p, Default::default(), false)?.run()?;
        println!("# saved {}", p.display());
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
