//! One fit as ncf-bench reports it: a Markdown row per epoch (loss, test and validation HR/NDCG,
//! seconds, samples/s), NeuMF-pre's starting point as epoch 0, and the best-test and
//! validation-selected epochs.

use std::sync::Arc;
use std::time::Instant;

use ncf_core::backend::{Backend, ranking};
use ncf_core::fit::{Fit, FitOptions};
use ncf_core::recommender::{Corpus, Recommender};

use crate::pretrain::Moments;

/// What a run does besides fitting: stop at the start (`--start-only`), keep the optimizer's
/// state at the selected epoch (`capture`), or start from given moments.
#[derive(Default)]
pub(crate) struct Extras {
    pub start_only: bool,
    pub capture: bool,
    pub moments: Moments,
}

/// Fits `m`, printing one table row per epoch and a summary; the model keeps the best
/// validation epoch's weights when there is validation, else the last. With `capture`,
/// returns the optimizer's state at the epoch whose weights the model keeps.
pub(crate) fn train_and_report(
    backend: &Arc<dyn Backend>,
    label: &str,
    m: &Recommender,
    data: &Corpus,
    opts: &FitOptions,
    extras: Extras,
) -> ncf_core::Result<Moments> {
    let t1 = Instant::now();
    // Where a pretrained model starts (NeuMF-pre: the α-mix of GMF and MLP), as epoch 0.
    let start = match (m.pretrained(), data.data.test.as_ref()) {
        (true, Some(t)) => Some(ranking::evaluate(&**backend, &m.weights()?, t, 10)?),
        _ => None,
    };
    let mut fit = Fit::plan(m, data, opts)?.start(backend.clone())?;
    if let Some(st) = extras.moments {
        fit.set_optimizer_state(st)?;
        println!("# fine-tuning starts from the parts' Adam moments (--carry-adam)");
    }
    let mut captured = None;
    println!("\n## {label}: {opts:?}; trainer setup {:.2} s", t1.elapsed().as_secs_f64());
    println!("| epoch | loss | HR@10 | NDCG@10 | valid HR@10 | valid NDCG@10 | seconds | samples/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    if let Some(t) = start {
        let v = fit
            .initial_validation()
            .map_or(("—".into(), "—".into()), |v| (format!("{:.4}", v.hr), format!("{:.4}", v.ndcg)));
        println!("| 0 | — | {:.4} | {:.4} | {} | {} | — | — |", t.hr, t.ndcg, v.0, v.1);
    }
    if extras.start_only {
        return Ok(None);
    }
    let mut test_by_epoch = Vec::new();
    let mut total = 0.0f64;
    // On the GPU, each epoch's submits and host waits (they must not grow with a refactor).
    let gpu = match backend.kind() {
        ncf_core::backend::BackendKind::Gpu => Some(ncf_gpu::GpuContext::shared()?),
        ncf_core::backend::BackendKind::Cpu => None,
    };
    let (mut counted, mut exact) = (Vec::new(), Vec::new());
    while !fit.done() {
        let before = gpu.as_ref().map(|c| c.counts());
        let r = fit.run_epoch()?;
        // Every digit, for comparing runs bit for bit (the table rounds).
        exact.push(format!(
            "# {label} epoch {} exact: loss {:?} test {:?} validation {:?}",
            r.epoch,
            r.loss,
            (r.hr, r.ndcg),
            r.validation.map(|v| (v.hr, v.ndcg))
        ));
        if let (Some(c), Some(b)) = (&gpu, before) {
            counted.push((r.epoch, c.counts() - b));
        }
        if extras.capture && (r.best_epoch == Some(r.epoch) || r.best_epoch.is_none()) {
            captured = Some(fit.optimizer_state()?);
        }
        let (hr, ndcg) = (r.hr.unwrap_or(f64::NAN), r.ndcg.unwrap_or(f64::NAN));
        total += r.seconds;
        test_by_epoch.push((hr, ndcg));
        let (vh, vn) =
            r.validation.map_or(("—".into(), "—".into()), |v| (format!("{:.4}", v.hr), format!("{:.4}", v.ndcg)));
        println!(
            "| {} | {:.4} | {hr:.4} | {ndcg:.4} | {vh} | {vn} | {:.2} | {:.0} |",
            r.epoch,
            r.loss,
            r.seconds,
            r.samples / r.seconds
        );
    }
    for line in exact {
        println!("{line}");
    }
    for (e, c) in counted {
        println!("# {label} epoch {e} on the GPU: {} submits, {} host waits", c.submits, c.waits);
    }
    let (best_test, bt) =
        test_by_epoch.iter().enumerate().fold((0, (0.0, 0.0)), |a, (e, &m)| if m.0 > a.1.0 { (e + 1, m) } else { a });
    println!(
        "# {label} best test epoch {best_test}: HR@10 {:.4} NDCG@10 {:.4}; mean {:.2} s/epoch",
        bt.0,
        bt.1,
        total / test_by_epoch.len().max(1) as f64
    );
    if let Some(e) = fit.finish()? {
        // Epoch 0 is the starting point (NeuMF-pre's α-mix), kept when no epoch beats it.
        let start_test = start.map(|m| (m.hr, m.ndcg)).unwrap_or((f64::NAN, f64::NAN));
        let (h, n) = if e == 0 { start_test } else { test_by_epoch[e as usize - 1] };
        println!("# {label} validation-selected epoch {e}: test HR@10 {h:.4} NDCG@10 {n:.4}");
    }
    Ok(captured)
}
