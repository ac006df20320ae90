//! The recommender: what a user calls "the model". It holds the weights and their layout, the
//! caller's ids, the seen items, the task with its rating scale, side features and the file's
//! `info`, and it predicts (through its link function), recommends, finds similar rows,
//! evaluates and saves over any [`Backend`](crate::backend::Backend). A fit
//! ([`crate::fit::Fit`]) trains it; the bindings only convert types.
//!
//! Its state is shared (`Arc` + locks) because work runs off the caller's thread: a job takes
//! a snapshot of the weights, and a fit session writes each epoch's weights back.
//!
//! # Files
//! - `mod.rs`: the [`Recommender`]'s state, building, NeuMF-pre, the task and its rating scale,
//!   the one-fit-at-a-time lease.
//! - [`ids`]: the caller's ids, [`Corpus`].
//! - [`serve`]: predict, recommend, similar, evaluate: checked on the caller's thread, run later on
//!   any backend.
//! - [`cold`]: users and items described by their features.
//! - [`fold_in`]: ALS fold-in: new or changed users and items solved exactly against the fixed
//!   factors through the backend's
//!   [`solve_rows`](crate::backend::Backend::solve_rows); the model grows.
//! - [`spec`]: a constructor's options ([`ModelSpec::from_json`], [`ModelClass`]).
//!   [`options`]: the options of recommend, similar, evaluate, predict, foldIn, save, load and
//!   NeuMF-pre, read from the caller's JSON.
//! - [`export`]: ONNX and embedding exports. [`file`](mod@file): save and load.
//!
//! May import [`crate::backend`] (the seam and `ranking`), `data`, `features`, `metrics`, `model`,
//! `options`, `persist`, `raw`, `train` and `error`, never `cpu`.

pub mod cold;
mod export;
mod file;
mod fold_in;
pub mod ids;
pub mod options;
mod serve;
mod spec;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::metrics::RatingScale;
use crate::model::{FeatureInputs, Layout, ModelKind, Params};
use crate::train::AlsSpec;

pub use fold_in::{FoldIn, FoldInReport};
pub use ids::{Corpus, IdKind, IdSide, Ids};
pub use serve::{Evaluate, EvaluateRating, Predict, Recommend, RecommendRequest, Similar};
pub use spec::ModelClass;

/// What a model learns: implicit feedback (BCE with sampled negatives) or ratings (MSE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    Implicit,
    Rating,
}

/// A model's task, with the rating scale a rating model learns in its first fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Task {
    Implicit,
    Rating { clip: bool, scale: Option<RatingScale> },
}

impl Task {
    pub fn kind(self) -> TaskKind {
        match self {
            Task::Implicit => TaskKind::Implicit,
            Task::Rating { .. } => TaskKind::Rating,
        }
    }
}

/// How to build a fresh model.
#[derive(Clone, Default)]
pub struct ModelSpec {
    pub kind: Option<ModelKind>,
    pub num_users: u32,
    pub num_items: u32,
    pub factors: Option<u32>,
    pub layers: Option<Vec<u32>>,
    pub seed: u32,
    pub task: Option<TaskKind>,
    /// Rating models: clip predictions to the training range (default true).
    pub clip: Option<bool>,
    /// The dataset whose side features the model takes (`features: data`).
    pub features: Option<Corpus>,
    pub biases: Option<bool>,
    pub features_in: Option<FeatureInputs>,
    /// The embeddings' initial standard deviation (default 0.01, the NCF code's; ALS 0.1/√d).
    pub init_std: Option<f32>,
    /// An iALS model (the `ALS` class): MF without biases, fitted with `optimizer: 'als'` by
    /// default, and saved so that it loads as one.
    pub als: bool,
}

/// Locks a mutex, taking its value even when a panicking thread poisoned it (every value here
/// is replaced whole, so it is never half-written).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A GMF, MF, MLP or NeuMF recommender.
#[derive(Clone)]
pub struct Recommender {
    /// Shared like the weights: fold-in appends rows for every clone at once.
    layout: Arc<Mutex<Layout>>,
    /// `None` once disposed; shared with the fit sessions that update it.
    params: Arc<Mutex<Option<Params>>>,
    training: Arc<AtomicBool>,
    info: Arc<Mutex<Option<serde_json::Map<String, serde_json::Value>>>>,
    /// Every interaction of the last fit's dataset (train and held-out positives), or of the
    /// loaded file, for `excludeSeen`.
    seen: Arc<Mutex<Option<Arc<Csr>>>>,
    ids: Arc<Mutex<Ids>>,
    task: Arc<Mutex<Task>>,
    /// NeuMF-pre (He et al. §3.4.1): fine-tuned with SGD by default.
    pretrained: bool,
    /// An iALS model (fitted with `optimizer: 'als'` by default): the objective of its last fit
    /// or its file, which fold-in solves with (the defaults before any); `None` for the others.
    als: Option<Arc<Mutex<AlsSpec>>>,
}

impl Recommender {
    /// A freshly initialised model (He et al. §4.1: embeddings N(0, 0.01), layers LeCun-uniform).
    pub fn build(spec: ModelSpec) -> Result<Recommender> {
        let kind = spec.kind.ok_or_else(|| NcfError::invalid("kind", "is required"))?;
        let mut layout =
            Layout::from_options(kind, spec.num_users, spec.num_items, spec.factors, spec.layers.as_deref())?;
        if spec.als {
            if kind != ModelKind::Mf || spec.biases == Some(true) || spec.features.is_some() {
                return Err(NcfError::invalid("kind", "an ALS model is a dot product without biases or side features"));
            }
            if spec.task == Some(TaskKind::Rating) {
                return Err(NcfError::invalid("task", "ALS learns implicit feedback; 'rating' is not for it"));
            }
            layout = layout.with_biases(false)?;
        }
        if let Some(b) = spec.biases {
            layout = layout.with_biases(b)?;
        }
        // Rendle et al. (2022) start iALS from N(0, 0.1/√d).
        let als_std = 0.1 / (layout.factors.max(1) as f32).sqrt();
        let init_std = spec.init_std.unwrap_or(if spec.als { als_std } else { 0.01 });
        if !(init_std.is_finite() && init_std > 0.0 && init_std <= 10.0) {
            return Err(spec::init_std_error(init_std));
        }
        if spec.clip.is_some() && spec.task != Some(TaskKind::Rating) {
            return Err(NcfError::invalid("clip", "applies to task: 'rating'"));
        }
        let params = match spec.features.as_ref().map(|c| c.features.clone()) {
            Some(Some(f)) => {
                let inputs = spec.features_in.unwrap_or(FeatureInputs::default_for(layout.kind));
                let layout = layout.with_features_in(&f, inputs)?;
                Params::init_with_std(layout, spec.seed, init_std).with_features((*f).clone())?
            }
            Some(None) => {
                return Err(NcfError::invalid("features", "the dataset has no side features: call withFeatures first"));
            }
            None if spec.features_in.is_some() => {
                return Err(NcfError::invalid("featuresIn", "applies to a model built with features"));
            }
            None => Params::init_with_std(layout, spec.seed, init_std),
        };
        let task = match spec.task.unwrap_or(TaskKind::Implicit) {
            TaskKind::Implicit => Task::Implicit,
            TaskKind::Rating => Task::Rating { clip: spec.clip.unwrap_or(true), scale: None },
        };
        let mut m = Recommender::from_params(params, false);
        m.als = spec.als.then(|| Arc::new(Mutex::new(AlsSpec::default())));
        *lock(&m.task) = task;
        Ok(m)
    }

    fn from_params(params: Params, pretrained: bool) -> Recommender {
        Recommender {
            layout: Arc::new(Mutex::new(params.layout)),
            params: Arc::new(Mutex::new(Some(params))),
            training: Arc::new(AtomicBool::new(false)),
            info: Arc::new(Mutex::new(None)),
            seen: Arc::new(Mutex::new(None)),
            ids: Arc::new(Mutex::new(Ids::default())),
            task: Arc::new(Mutex::new(Task::Implicit)),
            pretrained,
            als: None,
        }
    }

    /// NeuMF-pre (He et al. §3.4.1): embeddings and tower copied from a trained GMF and MLP,
    /// the predict layer `[α·h_GMF ; (1−α)·h_MLP]`.
    pub fn neumf_from_pretrained(gmf: &Recommender, mlp: &Recommender, alpha: f32) -> Result<Recommender> {
        for (name, m) in [("gmf", gmf), ("mlp", mlp)] {
            if m.weights()?.features.is_some() {
                return Err(NcfError::invalid(
                    name,
                    format!("NeuMF-pre from a {} with side features is not supported", name.to_uppercase()),
                ));
            }
        }
        if gmf.task() != Task::Implicit || mlp.task() != Task::Implicit {
            return Err(NcfError::invalid(
                "gmf",
                "NeuMF-pre is built from implicit-feedback GMF and MLP models (task: 'implicit')",
            ));
        }
        let p = crate::model::neumf_from_pretrained(&gmf.weights()?, &mlp.weights()?, alpha)?;
        Ok(Recommender::from_params(p, true))
    }

    pub fn layout(&self) -> Layout {
        *lock(&self.layout)
    }
    pub fn kind(&self) -> ModelKind {
        self.layout().kind
    }
    pub fn pretrained(&self) -> bool {
        self.pretrained
    }
    /// An iALS model (the `ALS` class).
    pub fn is_als(&self) -> bool {
        self.als.is_some()
    }
    /// An iALS model's objective: of its last fit, or of its file, or the defaults before any.
    pub fn als_spec(&self) -> Option<AlsSpec> {
        self.als.as_ref().map(|a| *lock(a))
    }
    /// Records the objective an iALS model was fitted with (other models have none).
    pub(crate) fn set_als_spec(&self, spec: AlsSpec) {
        if let Some(a) = &self.als {
            *lock(a) = spec;
        }
    }
    pub fn task(&self) -> Task {
        *lock(&self.task)
    }
    /// The rating scale of a rating model, known after its first fit or from its file.
    pub fn rating_scale(&self) -> Option<RatingScale> {
        match self.task() {
            Task::Rating { scale, .. } => scale,
            Task::Implicit => None,
        }
    }
    /// The scale predictions go through (`None`: implicit, σ(z)); an error naming `what` for
    /// a rating model that has not been fitted yet.
    pub fn scale_for(&self, what: &str) -> Result<Option<RatingScale>> {
        match self.task() {
            Task::Implicit => Ok(None),
            Task::Rating { scale: Some(s), .. } => Ok(Some(s)),
            Task::Rating { scale: None, .. } => Err(NcfError::invalid(
                what,
                "a rating model learns its rating scale (the mean rating) in its first fit; fit it first",
            )),
        }
    }
    pub fn ids(&self) -> Ids {
        lock(&self.ids).clone()
    }
    pub fn info(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        lock(&self.info).clone()
    }
    pub fn seen(&self) -> Option<Arc<Csr>> {
        lock(&self.seen).clone()
    }
    /// Rows of a side.
    pub fn rows(&self, side: IdSide) -> u32 {
        match side {
            IdSide::Users => self.layout().num_users,
            IdSide::Items => self.layout().num_items,
        }
    }
    pub fn encode(&self, side: IdSide, field: &str, ids: &[String]) -> Result<Vec<u32>> {
        self.ids().encode(side, self.rows(side), field, ids)
    }
    pub fn decode(&self, side: IdSide, field: &str, ix: &[u32]) -> Result<Vec<String>> {
        self.ids().decode(side, self.rows(side), field, ix)
    }

    /// A snapshot of the weights; `ERR_DISPOSED` after [`Recommender::dispose`].
    pub fn weights(&self) -> Result<Params> {
        lock(&self.params).clone().ok_or(NcfError::Disposed)
    }
    pub fn disposed(&self) -> bool {
        lock(&self.params).is_none()
    }
    /// Frees the weights; every later call fails with "Model is disposed".
    pub fn dispose(&self) {
        *lock(&self.params) = None;
    }
    /// Replaces the weights (a fit's epoch); `ERR_DISPOSED` if the model was disposed meanwhile.
    pub(crate) fn set_weights(&self, p: &Params) -> Result<()> {
        match lock(&self.params).as_mut() {
            Some(w) => {
                *w = p.clone();
                Ok(())
            }
            None => Err(NcfError::Disposed),
        }
    }

    /// Refuses a dataset whose ids differ from the model's.
    pub fn check_ids(&self, data: &Corpus) -> Result<()> {
        self.ids().check_same(&data.ids())
    }

    /// A fit adopts its dataset: the rating scale it learned, the seen items and the ids.
    pub(crate) fn adopt(&self, scale: Option<RatingScale>, seen: Csr, ids: Ids) {
        if let (Task::Rating { clip, .. }, Some(s)) = (self.task(), scale) {
            *lock(&self.task) = Task::Rating { clip, scale: Some(s) };
        }
        *lock(&self.seen) = Some(Arc::new(seen));
        if ids.users.is_some() && ids.items.is_some() {
            *lock(&self.ids) = ids;
        }
    }

    /// Takes the one training session a model may have at a time (`ERR_BUSY` otherwise).
    pub(crate) fn lease(&self) -> Result<TrainingLease> {
        self.training.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).map_err(|_| NcfError::Busy)?;
        Ok(TrainingLease(self.training.clone()))
    }
}

/// Held by a model's one training session; dropping it (when the session finishes, or when
/// creating it failed) frees the model for the next fit.
pub(crate) struct TrainingLease(Arc<AtomicBool>);

impl Drop for TrainingLease {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
