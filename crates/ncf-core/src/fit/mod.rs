//! A fit, written once for every caller (the Node binding, `ncf-bench`): typed options and
//! their defaults, every check before any backend runs, the validation holdout, the first
//! evaluation (the starting weights compete as epoch 0), the one epoch loop ([`Trainer`]) over
//! the backend's steps under the training control (best epoch, plateau, early stopping),
//! checkpoints on a schedule and resuming from one.
//!
//! [`Fit::plan`] checks on the caller's thread; [`FitPlan::start`] does the heavy part (the
//! holdout, the trainer's buffers) on a backend; then [`Fit::run_epoch`] until
//! [`Fit::done`], and [`Fit::finish`] hands the chosen weights to the model.
//!
//! # Files
//! - [`parse`]: the options as the caller wrote them, a JSON object: every name and type checked
//!   once, unknown keys refused.
//! - [`options`]: the typed options and the only copy of their ranges and defaults, the checkpoint
//!   fingerprint. [`als_options`]: what `optimizer: 'als'` takes and refuses.
//! - [`trainer`]: [`Trainer`], the one epoch loop over a backend's [`Steps`](crate::train::Steps),
//!   with rollback, the divergence check, progress, evaluation, the
//!   [`EpochReport`], best epoch, plateau, early stopping, optimizer state
//!   and the CPU fail-over (its tests in `trainer_tests.rs`).
//! - [`control`]: [`control::EpochReport`], [`control::Outcome`], [`control::OptimizerState`],
//!   [`control::Control`], [`control::Monitor`], [`control::PlateauConfig`], and
//!   [`control::Tracker`], the control's state between epochs that a checkpoint keeps.
//! - [`checkpoint`]: the checkpoint file. [`carry`]: NeuMF-pre's optimizer state from its parts.
//!   [`history`]: an epoch's record, in the JSON shape a checkpoint stores.
//! - `mod.rs`: [`Fit::plan`] checks everything on the caller's thread; [`FitPlan::start`] holds
//!   out validation cases, evaluates the starting weights and starts the [`Trainer`];
//!   [`Fit::run_epoch`] trains, hands the weights to the model and writes checkpoints on schedule;
//!   [`Fit::finish`].
//!
//! May import `backend`, `data`, `recommender`, `train` and `error`, never `cpu` (the backend comes
//! in as `Arc<dyn Backend>`). Inside: `mod` → `trainer`, `control`, `checkpoint`, `options`,
//! `history`; `parse` → `options`, `control`; `trainer` → `control`; `checkpoint`, `history` →
//! `control`.

mod als_options;
mod carry;
pub mod checkpoint;
pub mod control;
pub mod history;
pub mod options;
mod parse;
pub mod trainer;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::backend::{Backend, BackendKind, ranking};
use crate::data::validation::leave_one_out;
use crate::error::{NcfError, Result};
use crate::recommender::ids::with_user_ids;
use crate::recommender::{Corpus, Recommender, Task, TrainingLease};
use crate::train::{Progress, check_rankable, rating_scale};
use control::Monitor;

pub use control::{Checkpoint, Control, EpochReport, OptimizerState, Outcome, PlateauConfig};
pub use history::EpochRecord;
pub use options::{CheckpointSchedule, EarlyStopping, FitOptions, OptimizerKind, Plateau, Resolved, Validation};
pub use trainer::Trainer;

/// A fit whose options and inputs are checked, ready to start on a backend.
pub struct FitPlan {
    model: Recommender,
    data: Corpus,
    opts: Resolved,
    resume_from: Option<PathBuf>,
    progress: Option<Arc<Progress>>,
    lease: TrainingLease,
}

/// A running fit.
pub struct Fit {
    model: Recommender,
    session: Option<(Trainer, TrainingLease)>,
    opts: Resolved,
    fingerprint: Map<String, Value>,
    history: Vec<EpochRecord>,
    /// Epochs complete, resumed ones included.
    epoch: u32,
    stopped_early: bool,
    backend: BackendKind,
    fallback: Option<String>,
    progress: Option<Arc<Progress>>,
    /// The starting weights' validation ranking (epoch 0), when there is validation.
    initial: Option<crate::metrics::RankMetrics>,
}

impl Fit {
    /// Checks everything that can be checked without a backend, once, in one order.
    pub fn plan(model: &Recommender, data: &Corpus, options: &FitOptions) -> Result<FitPlan> {
        let opts = options.resolve(model, data)?;
        let task = model.task();
        let rating = matches!(task, Task::Rating { .. });
        match (rating, opts.monitor) {
            (true, Monitor::Hr | Monitor::Ndcg) => {
                return Err(NcfError::invalid("monitor", "a rating model is monitored by 'rmse'"));
            }
            (false, Monitor::Rmse) => {
                return Err(NcfError::invalid("monitor", "'rmse' applies to rating models (task: 'rating')"));
            }
            _ => {}
        }
        let mut cfg = opts.train_config()?;
        if let Task::Rating { clip, scale } = task {
            cfg.rating = Some(match scale {
                Some(s) => s,
                None => rating_scale(&data.data, clip)?,
            });
        }
        opts.control().validate(opts.validation != Validation::None)?;
        // Sampled ranking needs negatives: refused before any epoch, on every backend.
        if !rating && opts.evaluate {
            let d = &data.data;
            for set in
                d.test.iter().chain(if opts.validation == Validation::Dataset { d.validation.as_ref() } else { None })
            {
                check_rankable(set)?;
            }
        }
        model.check_ids(data)?;
        let params = model.weights()?;
        // The model's bags must describe the dataset's users and items (same encoding).
        match (&params.features, &data.features) {
            (Some(m), Some(d)) if Arc::ptr_eq(m, d) || **m == **d => {}
            (None, None) => {}
            (Some(_), _) => {
                return Err(NcfError::invalid(
                    "data",
                    "its side features differ from the model's: fit on the dataset the model was built with (features: data)",
                ));
            }
            (None, Some(_)) => {
                return Err(NcfError::invalid(
                    "data",
                    "has side features but the model was built without them: build it with features: data",
                ));
            }
        }
        // A dataset with its own ids must cover the model's rows exactly: otherwise the model
        // could not adopt the ids, and later calls would read them as indices.
        let l = model.layout();
        if let (Some(u), Some(i)) = (&data.users, &data.items)
            && (u.len() != l.num_users as usize || i.len() != l.num_items as usize)
        {
            return Err(NcfError::invalid(
                "data",
                format!(
                    "has {} user and {} item ids but the model was built for {} × {}: build it with \
                     numUsers: data.numUsers, numItems: data.numItems",
                    u.len(),
                    i.len(),
                    l.num_users,
                    l.num_items
                ),
            ));
        }
        crate::train::check_session(&data.data, None, &params, &cfg)?;
        let lease = model.lease()?;
        let progress = options.progress.then(|| Arc::new(Progress::default()));
        Ok(FitPlan {
            model: model.clone(),
            data: data.clone(),
            opts,
            resume_from: options.resume_from.clone(),
            progress,
            lease,
        })
    }

    /// Whether the fit has trained every epoch it will (its epochs, or early stopping).
    pub fn done(&self) -> bool {
        self.stopped_early || self.epoch >= self.opts.epochs || self.session.is_none()
    }
    pub fn epochs(&self) -> u32 {
        self.opts.epochs
    }
    /// The validation ranking of the weights the fit started from, which compete as epoch 0.
    pub fn initial_validation(&self) -> Option<&crate::metrics::RankMetrics> {
        self.initial.as_ref()
    }
    /// Epochs complete, a resumed run's included.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }
    pub fn backend(&self) -> BackendKind {
        self.backend
    }
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }
    /// Live progress and cancellation, when the fit was planned with `progress`.
    pub fn progress(&self) -> Option<Arc<Progress>> {
        self.progress.clone()
    }

    fn session(&mut self) -> Result<&mut Trainer> {
        self.session.as_mut().map(|s| &mut s.0).ok_or_else(closed)
    }

    /// The optimizer's state after the last epoch (Adam's moments and step count).
    pub fn optimizer_state(&mut self) -> Result<OptimizerState> {
        self.session()?.optimizer_state()
    }

    /// Replaces the optimizer's state before the next epoch, keeping the weights: NeuMF-pre's
    /// fine-tuning can start from its parts' Adam moments
    /// ([`OptimizerState::neumf_pre`]) instead of fresh ones.
    pub fn set_optimizer_state(&mut self, state: OptimizerState) -> Result<()> {
        self.session()?.set_optimizer_state(state)
    }

    /// Trains one epoch (evaluating it unless `evaluate: false`), hands its weights to the
    /// model, and writes a checkpoint when the schedule says so.
    pub fn run_epoch(&mut self) -> Result<EpochRecord> {
        if self.done() {
            return Err(NcfError::invalid("epochs", format!("the fit has trained its {} epochs", self.epoch)));
        }
        if self.model.disposed() {
            return Err(NcfError::Disposed);
        }
        let eval_k = self.opts.evaluate.then_some(self.opts.k);
        let outcome = self.session()?.run_epoch(eval_k)?;
        // Under `device: 'auto'` a failed GPU hands the fit to the CPU backend mid-run; the
        // fit's result says so.
        if let Some(why) = self.session()?.fallback() {
            let why = why.to_string();
            self.backend = crate::backend::BackendKind::Cpu;
            self.fallback = Some(why);
        }
        let params = self.session()?.params().clone();
        self.model.set_weights(&params)?;
        let record = EpochRecord::from(&outcome);
        let e = self.epoch + 1;
        let last = e == self.opts.epochs;
        let stopped = record.stop && !last;
        if let Some((path, every)) = self.opts.checkpoint.clone()
            && (e.is_multiple_of(every) || last || record.stop)
        {
            let mut history = self.history.clone();
            history.push(record.clone());
            let note = json!({ "options": self.fingerprint, "history": history, "stopped": stopped });
            let ck = self.session()?.checkpoint()?;
            checkpoint::save(&path, self.model.layout(), &ck, &note.to_string())?;
        }
        self.history.push(record.clone());
        self.epoch = e;
        self.stopped_early = stopped;
        Ok(record)
    }

    /// Ends the fit: the model keeps the best validation epoch's weights (with `restoreBest`)
    /// or the last epoch's, and the session's buffers (GPU memory included) are freed now.
    /// Returns the best epoch, if any.
    pub fn finish(&mut self) -> Result<Option<u32>> {
        let Some((s, _lease)) = self.session.take() else { return Ok(None) };
        if !self.model.disposed() {
            self.model.set_weights(s.final_params())?;
        }
        Ok(s.best_epoch())
    }
}

impl FitPlan {
    /// Holds out the validation cases, evaluates the starting weights, builds the backend's
    /// trainer and, when resuming, restores the checkpoint's state.
    pub fn start(self, backend: Arc<dyn Backend>) -> Result<Fit> {
        let FitPlan { model, data, opts, resume_from, progress, lease } = self;
        let mut fingerprint = opts.fingerprint(&model);
        // The data too: a checkpoint resumed on another dataset of the same shape trained on it
        // silently. Checkpoints from before this key are refused with that reason.
        fingerprint.insert("dataset".into(), data.data.fingerprint().into());
        // A checkpoint of another fit is refused before any work.
        let resumed = match &resume_from {
            Some(path) => Some(read_resume(path, &model, &fingerprint)?),
            None => None,
        };
        let mut cfg = opts.train_config()?;
        let task = model.task();
        let du = data.users.clone();
        let known = data.data.known_interactions();
        let (train, valid) = match opts.validation {
            Validation::LeaveOneOut => {
                let split = leave_one_out(&data.data, opts.validation_negatives, cfg.seed)
                    .map_err(|e| with_user_ids(e, du.as_deref()))?;
                (Arc::new(split.train), Some(split.validation))
            }
            Validation::Dataset => (data.data.clone(), data.data.validation.clone()),
            Validation::None => (data.data.clone(), None),
        };
        // A first rating fit learns μ and the range from the ratings it trains on (not the
        // validation holdout).
        if let Task::Rating { clip, scale } = task {
            cfg.rating = Some(match scale {
                Some(s) => s,
                None => rating_scale(&train, clip)?,
            });
        }
        let params = model.weights()?;
        let (mut initial, mut initial_rating) = (None, None);
        // The starting weights compete as epoch 0 (a pretrained NeuMF, a second fit).
        if let (true, Some(v)) = (opts.evaluate, &valid) {
            match cfg.rating {
                Some(s) => initial_rating = Some(ranking::evaluate_rating(&*backend, &params, v, s)?),
                None => initial = Some(ranking::evaluate(&*backend, &params, v, opts.k)?),
            }
        }
        let mut session = Trainer::start(&backend, train, valid, params, cfg)
            .map_err(|e| with_user_ids(e, du.as_deref()))?
            .with_control(opts.control(), opts.lr)
            .with_initial(initial.as_ref(), initial_rating.as_ref());
        if let Some(p) = &progress {
            session.set_progress(p.clone());
        }
        let (mut history, mut epoch, mut stopped_early) = (Vec::new(), 0, false);
        if let Some(r) = resumed {
            session.resume(r.checkpoint)?;
            model.set_weights(session.params())?;
            history = r.history;
            epoch = r.epoch;
            // Written when early stopping ended its run: resuming trains no more.
            stopped_early = r.stopped;
        }
        // The session exists: the fit's scale, seen items and ids become the model's now (a
        // fit that failed to start leaves the model as it was).
        model.adopt(cfg.rating, known, data.ids());
        if let Some(a) = cfg.algorithm.als() {
            model.set_als_spec(a);
        }
        Ok(Fit {
            model,
            session: Some((session, lease)),
            opts,
            fingerprint,
            history,
            epoch,
            stopped_early,
            backend: backend.kind(),
            fallback: backend.fallback().map(str::to_string),
            progress,
            initial,
        })
    }
}

/// The error of a call to a fit whose session was closed.
pub fn closed() -> NcfError {
    NcfError::invalid("trainer", "this training session was closed")
}

struct Resumed {
    checkpoint: Checkpoint,
    history: Vec<EpochRecord>,
    epoch: u32,
    stopped: bool,
}

/// Reads a checkpoint to resume from, refusing one written by a fit with other options.
fn read_resume(path: &std::path::Path, model: &Recommender, fingerprint: &Map<String, Value>) -> Result<Resumed> {
    // Options first, naming each difference (a model of another size differs in `factors` or
    // `layers`), then the tensors against this model's layout.
    let (_, meta) = checkpoint::load(path, None)?;
    let note: Value = serde_json::from_str(&meta.note).unwrap_or(Value::Null);
    let empty = Map::new();
    let stored = note.get("options").and_then(Value::as_object).unwrap_or(&empty);
    options::check_same_fit(stored, fingerprint)?;
    let (ck, meta) = checkpoint::load(path, Some(model.layout()))?;
    let history = match note.get("history") {
        Some(h) => serde_json::from_value(h.clone())
            .map_err(|e| NcfError::invalid("resumeFrom", format!("the checkpoint's history is unreadable: {e}")))?,
        None => Vec::new(),
    };
    Ok(Resumed { checkpoint: ck, history, epoch: meta.epoch, stopped: note.get("stopped") == Some(&Value::Bool(true)) })
}
