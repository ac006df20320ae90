//! The fit, written once in the core: it trains exactly what the trainer and the
//! training control it wraps train, checks everything before any backend runs, and refuses a
//! checkpoint of another fit naming the difference.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ncf_core::backend::{Backend, BackendKind};
use ncf_core::cpu::CpuBackend;
use ncf_core::data::synthetic::{SyntheticConfig, synthetic};
use ncf_core::fit::Trainer;
use ncf_core::fit::control::{Control, Monitor};
use ncf_core::fit::{CheckpointSchedule, Fit, FitOptions, OptimizerKind, Validation};
use ncf_core::infer::Side;
use ncf_core::recommender::{Corpus, ModelSpec, Recommender, TaskKind};
use ncf_core::train::{Steps, TrainConfig};
use ncf_core::{CpuSteps, Dataset, ModelKind, NcfError, Params, RankMetrics, RatingMetrics, RatingScale, TestSet};

fn data() -> Corpus {
    let cfg = SyntheticConfig { num_users: 60, num_items: 50, per_user: 8, clusters: 3, test_negatives: 20, seed: 4 };
    Corpus::plain(synthetic(cfg).unwrap())
}

fn model(d: &Corpus, kind: ModelKind) -> Recommender {
    Recommender::build(ModelSpec {
        kind: Some(kind),
        num_users: d.data.num_users,
        num_items: d.data.num_items,
        factors: Some(4),
        seed: 3,
        ..ModelSpec::default()
    })
    .unwrap()
}

#[test]
fn a_fit_trains_what_its_session_trains_bit_for_bit() {
    let d = data();
    let m = model(&d, ModelKind::NeuMf);
    let start = m.weights().unwrap();
    let opts =
        FitOptions { epochs: Some(3), lr: Some(0.01), batch_size: Some(32), seed: Some(7), ..FitOptions::default() };
    let mut fit = Fit::plan(&m, &d, &opts).unwrap().start(Arc::new(CpuBackend)).unwrap();
    let mut records = Vec::new();
    while !fit.done() {
        records.push(fit.run_epoch().unwrap());
    }
    fit.finish().unwrap();
    // The same epochs by hand: the paper's defaults (4 negatives, Adam) at these options.
    let cfg = TrainConfig { batch_size: 32, lr: 0.01, seed: 7, ..TrainConfig::default() };
    let control = Control { monitor: Monitor::Hr, plateau: None, early_stopping: None, restore_best: true };
    let mut s = Trainer::new(CpuSteps::new(d.data.clone(), None, start, cfg).unwrap()).with_control(control, 0.01);
    for r in &records {
        let o = s.run_epoch(Some(10)).unwrap();
        assert_eq!(o.report.loss, r.loss, "epoch {}", r.epoch);
        assert_eq!(o.report.metrics.map(|x| x.hr), r.hr);
        assert!(r.loss.is_finite() && r.hr.is_some_and(f64::is_finite));
    }
    assert_eq!(s.final_params().data, m.weights().unwrap().data, "the model holds the session's weights");
    assert_eq!(records.len(), 3);
}

/// A backend that counts every call, to show the fit's checks run before any of them.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Backend for Counting {
    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }
    fn steps(
        &self,
        d: Arc<Dataset>,
        v: Option<TestSet>,
        p: Params,
        c: TrainConfig,
    ) -> ncf_core::Result<Box<dyn Steps>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.steps(d, v, p, c)
    }
    fn logits(&self, p: &Params, u: &[u32], i: &[u32]) -> ncf_core::Result<Vec<f32>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.logits(p, u, i)
    }
    fn similarity(&self, p: &Params, s: Side, q: &[u32]) -> ncf_core::Result<Vec<f32>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.similarity(p, s, q)
    }
    fn evaluate(&self, p: &Params, t: &TestSet, k: u32) -> ncf_core::Result<RankMetrics> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.evaluate(p, t, k)
    }
    fn evaluate_rating(&self, p: &Params, t: &TestSet, s: RatingScale) -> ncf_core::Result<RatingMetrics> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.evaluate_rating(p, t, s)
    }
    fn solve_rows(
        &self,
        p: &mut Params,
        s: Side,
        rows: &[(u32, Vec<u32>)],
        n: u32,
        how: ncf_core::train::RowSolve,
    ) -> ncf_core::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        CpuBackend.solve_rows(p, s, rows, n, how)
    }
}

#[test]
fn bad_options_are_refused_before_any_backend_runs() {
    let d = data();
    let m = model(&d, ModelKind::Gmf);
    let cases: [(FitOptions, &str); 8] = [
        (FitOptions { monitor: Some(Monitor::Rmse), ..FitOptions::default() }, "monitor"),
        (FitOptions { dropout: Some(0.2), ..FitOptions::default() }, "dropout"),
        (FitOptions { validation: Some(Validation::Dataset), ..FitOptions::default() }, "validation"),
        (FitOptions { epochs: Some(0), ..FitOptions::default() }, "epochs"),
        (FitOptions { lr: Some(-1.0), ..FitOptions::default() }, "lr"),
        // Adam's β and ε: in range, and for Adam only (the large-batch recipe sets them).
        (FitOptions { beta1: Some(1.0), ..FitOptions::default() }, "beta1"),
        (FitOptions { eps: Some(0.0), ..FitOptions::default() }, "eps"),
        (FitOptions { optimizer: Some(OptimizerKind::Sgd), beta2: Some(0.5), ..FitOptions::default() }, "beta1"),
    ];
    for (opts, field) in cases {
        match Fit::plan(&m, &d, &opts) {
            Err(NcfError::InvalidArg { field: f, .. }) => assert_eq!(f, field),
            Err(e) => panic!("{field}: {e}"),
            Ok(_) => panic!("{field} was accepted"),
        }
    }
    // Test cases without negatives cannot be ranked: refused in the plan, with one wording.
    let mut bare = (*d.data).clone();
    if let Some(t) = bare.test.as_mut() {
        let positives = (0..t.len()).map(|c| t.positive(c)).collect();
        *t = TestSet { users: t.users.clone(), per_case: 1, candidates: positives, ratings: None };
    }
    let bare = Corpus::plain(bare);
    let e = Fit::plan(&m, &bare, &FitOptions::default()).err().expect("refused");
    assert!(e.to_string().contains("no sampled negatives to rank against"), "{e}");
    // A valid plan starts on the backend; a refused one never reached it.
    let counting = Arc::new(Counting::default());
    assert_eq!(counting.0.load(Ordering::SeqCst), 0);
    Fit::plan(&m, &d, &FitOptions::default()).unwrap().start(counting.clone()).unwrap();
    assert!(counting.0.load(Ordering::SeqCst) >= 1, "the trainer is the backend's");
}

#[test]
fn a_model_trains_one_fit_at_a_time_and_a_rating_model_learns_its_scale() {
    let d = data();
    let m = model(&d, ModelKind::Mf);
    let first = Fit::plan(&m, &d, &FitOptions::default()).unwrap();
    assert!(matches!(Fit::plan(&m, &d, &FitOptions::default()), Err(NcfError::Busy)));
    drop(first);
    assert!(Fit::plan(&m, &d, &FitOptions::default()).is_ok(), "dropping a plan frees the model");
    let r = Recommender::build(ModelSpec {
        kind: Some(ModelKind::Mf),
        num_users: 4,
        num_items: 4,
        task: Some(TaskKind::Rating),
        ..ModelSpec::default()
    })
    .unwrap();
    assert!(r.scale_for("predict").is_err(), "a rating model is fitted before it predicts");
}

/// `sparse` and Adam's β/ε are part of the fit a checkpoint records. A sparse
/// checkpoint does not resume as a dense fit (the key is stored only when set, so the check
/// runs both ways), nor with other betas; the same options resume.
#[test]
fn issue_14_a_checkpoint_records_sparse_and_the_adam_betas() {
    let d = data();
    let dir = std::env::temp_dir().join(format!("ncf-fit-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ck.ncf");
    let base = FitOptions {
        epochs: Some(1),
        batch_size: Some(64),
        sparse: Some(true),
        beta1: Some(0.25),
        beta2: Some(0.5),
        checkpoint: Some(CheckpointSchedule { path: path.clone(), every: None }),
        ..FitOptions::default()
    };
    let m = model(&d, ModelKind::Gmf);
    let mut fit = Fit::plan(&m, &d, &base).unwrap().start(Arc::new(CpuBackend)).unwrap();
    while !fit.done() {
        fit.run_epoch().unwrap();
    }
    fit.finish().unwrap();
    let resume = |o: FitOptions| {
        let o = FitOptions { epochs: Some(2), checkpoint: None, resume_from: Some(path.clone()), ..o };
        Fit::plan(&model(&d, ModelKind::Gmf), &d, &o)?.start(Arc::new(CpuBackend)).map(|_| ())
    };
    let dense = resume(FitOptions { sparse: None, ..base.clone() }).unwrap_err().to_string();
    assert!(dense.contains("sparse: true there, undefined here"), "{dense}");
    let betas = resume(FitOptions { beta1: None, ..base.clone() }).unwrap_err().to_string();
    assert!(betas.contains(r#"adam: {"beta1":0.25,"beta2":0.5,"eps":1e-8} there, {"beta1":0.9"#), "{betas}");
    resume(base.clone()).expect("the same options resume");
    std::fs::remove_dir_all(&dir).ok();
}
