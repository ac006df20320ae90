use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::control::{Control, Monitor, PlateauConfig, Session};
use ncf_core::data::validation::leave_one_out;
use ncf_core::model::FeatureInputs;
use ncf_core::train::parse_optimizer;
use ncf_core::train::{Progress, TrainConfig};
use ncf_core::{Csr, Layout, ModelKind, NcfError, Params, RatingScale};
use ncf_gpu::{Backend, DevicePref};

use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, to_napi, to_u32, with_user_ids};
use crate::job::Job;
use ncf_core::raw::IdEncoder;

#[napi(string_enum = "lowercase")]
pub enum Device {
    Auto,
    Gpu,
    Cpu,
}

impl From<Device> for DevicePref {
    fn from(d: Device) -> Self {
        match d {
            Device::Auto => DevicePref::Auto,
            Device::Gpu => DevicePref::Gpu,
            Device::Cpu => DevicePref::Cpu,
        }
    }
}

/// The models `NativeModel` implements.
#[napi(string_enum = "lowercase")]
pub enum Kind {
    Gmf,
    Mf,
    Mlp,
    Neumf,
}

impl From<Kind> for ModelKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Gmf => ModelKind::Gmf,
            Kind::Mf => ModelKind::Mf,
            Kind::Mlp => ModelKind::Mlp,
            Kind::Neumf => ModelKind::NeuMf,
        }
    }
}

#[napi(object)]
pub struct NativeTrainOptions {
    pub batch_size: f64,
    pub negatives: f64,
    pub optimizer: String,
    pub momentum: Option<f64>,
    pub weight_decay: f64,
    pub l2: f64,
    /// Dropout after each ReLU of the MLP tower.
    pub dropout: f64,
    pub lr: f64,
    pub seed: f64,
    pub device: Device,
    /// `'leave-one-out'` or `'none'`.
    pub validation: String,
    pub validation_negatives: f64,
    pub monitor: String,
    pub plateau_factor: Option<f64>,
    pub plateau_patience: Option<f64>,
    pub plateau_min_lr: Option<f64>,
    pub early_stopping_patience: Option<f64>,
    pub restore_best: bool,
    /// With validation: evaluate the starting weights at this k so they compete as epoch 0.
    pub initial_k: Option<f64>,
    /// Report live progress and accept `cancel()` (on the GPU, at most two submits then stay
    /// in flight so the host can report each one).
    pub progress: Option<bool>,
}

/// Live progress of the epoch in flight.
#[napi(object)]
pub struct NativeProgress {
    pub steps: f64,
    pub total_steps: f64,
    pub samples: f64,
    /// Mean loss of the epoch's samples so far (null before the first report).
    pub loss: Option<f64>,
}

#[napi(object)]
pub struct NativeMetrics {
    pub k: u32,
    pub hr: f64,
    pub ndcg: f64,
    pub cases: u32,
    /// Recall@K of the full-ranking protocol.
    pub recall: Option<f64>,
    pub backend: String,
    /// Why `'auto'` fell back to the CPU, if it did.
    pub fallback_reason: Option<String>,
}

/// RMSE / MAE / R² of a rating model on held-out ratings.
#[napi(object)]
pub struct NativeRatingMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
    pub count: u32,
    pub backend: String,
    pub fallback_reason: Option<String>,
}

/// How a rating model turns scores into ratings: r̂ = z + mean, clipped to [min, max].
#[napi(object)]
pub struct NativeRatingScale {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub clip: bool,
}

/// Where side features enter a model: the MLP tower, the GMF branch, or both (NeuMF).
#[napi(string_enum = "lowercase")]
pub enum FeaturesIn {
    Mlp,
    Gmf,
    Both,
}

impl From<FeaturesIn> for FeatureInputs {
    fn from(f: FeaturesIn) -> Self {
        match f {
            FeaturesIn::Mlp => FeatureInputs::Tower,
            FeaturesIn::Gmf => FeatureInputs::Gmf,
            FeaturesIn::Both => FeatureInputs::Both,
        }
    }
}

/// What a model learns: implicit feedback (BCE with sampled negatives) or ratings (MSE).
#[napi(string_enum = "lowercase")]
pub enum TaskKind {
    Implicit,
    Rating,
}

/// A model's task, with the rating scale a rating model learns from its first `fit`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Task {
    Implicit,
    Rating { clip: bool, scale: Option<RatingScale> },
}

#[napi(object)]
pub struct NativeEpoch {
    pub epoch: u32,
    pub loss: f64,
    pub samples: f64,
    pub hr: Option<f64>,
    pub ndcg: Option<f64>,
    pub valid_hr: Option<f64>,
    pub valid_ndcg: Option<f64>,
    /// Rating regression: RMSE / MAE / R² on the test and validation ratings.
    pub rmse: Option<f64>,
    pub mae: Option<f64>,
    pub r2: Option<f64>,
    pub valid_rmse: Option<f64>,
    pub valid_mae: Option<f64>,
    pub valid_r2: Option<f64>,
    pub train_rmse: Option<f64>,
    pub train_mae: Option<f64>,
    pub train_r2: Option<f64>,
    pub lr: f64,
    pub best_epoch: Option<u32>,
    /// Early stopping asks to end training after this epoch.
    pub stop: bool,
    pub seconds: f64,
}

/// Where `fit` finds the cases that choose epochs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Validation {
    None,
    /// Hold one more interaction per user out of the training data, with this many negatives.
    LeaveOneOut(u32),
    /// The validation cases the dataset was split with.
    Dataset,
}

/// Cold start: `params` with the new entities of `json` (`{ "users": [description…],
/// "items": [description…] }`) appended, taking indices from numUsers / numItems on, in order.
fn with_cold_json(params: Params, json: &str, items_allowed: bool) -> napi::Result<Params> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| to_napi(NcfError::invalid("describe", format!("is not JSON: {e}"))))?;
    let f = params.features.clone();
    let side = |key: &str, set: Option<&ncf_core::features::FeatureSet>| -> napi::Result<Vec<_>> {
        let list = v.get(key).and_then(|x| x.as_array()).cloned().unwrap_or_default();
        list.iter()
            .map(|d| {
                let set = set.ok_or_else(|| {
                    to_napi(NcfError::invalid(
                        format!("describe.{key}"),
                        format!("needs side features of {key}: the model was built without them"),
                    ))
                })?;
                let m = d.as_object().ok_or_else(|| {
                    to_napi(NcfError::invalid(format!("describe.{key}"), "each description must be an object"))
                })?;
                set.describe_json(m).napi()
            })
            .collect()
    };
    let u = side("users", f.as_ref().and_then(|f| f.users.as_ref()))?;
    let i = side("items", f.as_ref().and_then(|f| f.items.as_ref()))?;
    if !items_allowed && !i.is_empty() {
        return Err(to_napi(NcfError::invalid(
            "describe.items",
            "recommend ranks the model's own items; describe new users only (score new items with predict)",
        )));
    }
    params.with_cold(&u, &i).napi()
}

/// Weights shared by a model and its trainers; `None` once disposed.
type Shared = Arc<Mutex<Option<Params>>>;

fn current(state: &Shared) -> std::result::Result<Params, NcfError> {
    state.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or(NcfError::Disposed)
}

/// Held by the one training session a model may have at a time; dropping it (when the
/// session finishes, or when creating it failed) frees the model for the next `fit`.
struct TrainingLease(Arc<AtomicBool>);

impl TrainingLease {
    fn take(flag: &Arc<AtomicBool>) -> std::result::Result<Self, NcfError> {
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).map_err(|_| NcfError::Busy)?;
        Ok(TrainingLease(flag.clone()))
    }
}

impl Drop for TrainingLease {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A native model (GMF, MF, MLP or NeuMF); wrapped by the classes of the same names in index.ts.
#[napi]
pub struct NativeModel {
    layout: Layout,
    state: Shared,
    training: Arc<AtomicBool>,
    /// The `info` JSON of the file the model was loaded from.
    info: Option<String>,
    /// Every interaction of the last `fit`'s dataset (train and held-out positives), or of the
    /// loaded file, for `excludeSeen`.
    seen: Arc<Mutex<Option<Arc<Csr>>>>,
    /// The caller's ids (user and item encoders), from the dataset of a `fit` or a loaded file.
    ids: Arc<Mutex<Ids>>,
    task: Arc<Mutex<Task>>,
}

#[derive(Clone, Default)]
struct Ids {
    users: Option<Arc<IdEncoder>>,
    items: Option<Arc<IdEncoder>>,
}

/// Recommendations of several users, flattened: user `r`'s items are
/// `items[offsets[r]..offsets[r + 1]]`, best first.
#[napi(object)]
pub struct NativeRanked {
    pub offsets: Uint32Array,
    pub items: Uint32Array,
    pub scores: Float32Array,
    pub backend: String,
    pub fallback_reason: Option<String>,
}

/// Row-major vectors of every user or item.
#[napi(object)]
pub struct NativeEmbeddings {
    pub dim: u32,
    pub data: Float32Array,
}

#[napi(string_enum = "lowercase")]
pub enum Side {
    Users,
    Items,
}

impl From<Side> for ncf_core::infer::Side {
    fn from(s: Side) -> Self {
        match s {
            Side::Users => ncf_core::infer::Side::Users,
            Side::Items => ncf_core::infer::Side::Items,
        }
    }
}

fn ranked(list: Vec<ncf_core::infer::Ranked>, backend: &Backend) -> NativeRanked {
    let mut offsets = vec![0u32];
    let (mut items, mut scores) = (Vec::new(), Vec::new());
    for r in list {
        items.extend(r.items);
        scores.extend(r.scores);
        offsets.push(items.len() as u32);
    }
    NativeRanked {
        offsets: offsets.into(),
        items: items.into(),
        scores: scores.into(),
        backend: backend.name().into(),
        fallback_reason: backend.fallback().map(str::to_string),
    }
}

#[napi]
impl NativeModel {
    #[allow(clippy::too_many_arguments)]
    #[napi(constructor)]
    pub fn new(
        kind: Kind,
        num_users: f64,
        num_items: f64,
        factors: Option<f64>,
        layers: Option<Vec<f64>>,
        seed: f64,
        task: Option<TaskKind>,
        clip: Option<bool>,
        features: Option<&NativeDataset>,
        biases: Option<bool>,
        features_in: Option<FeaturesIn>,
    ) -> napi::Result<Self> {
        let factors = factors.map(|f| to_u32("factors", f)).transpose()?;
        let layers = layers
            .map(|l| {
                l.iter().enumerate().map(|(k, &w)| to_u32(&format!("layers[{k}]"), w)).collect::<napi::Result<Vec<_>>>()
            })
            .transpose()?;
        let layout = Layout::from_options(
            kind.into(),
            to_u32("numUsers", num_users)?,
            to_u32("numItems", num_items)?,
            factors,
            layers.as_deref(),
        )
        .napi()?;
        let layout = match biases {
            Some(b) => layout.with_biases(b).napi()?,
            None => layout,
        };
        let seed = to_u32("seed", seed)?;
        let params = match features.and_then(|d| d.features.clone()) {
            Some(f) => {
                let inputs = features_in.map_or(FeatureInputs::default_for(layout.kind), FeatureInputs::from);
                let layout = layout.with_features_in(&f, inputs).napi()?;
                Params::init(layout, seed).with_features((*f).clone()).napi()?
            }
            None if features.is_some() => {
                return Err(to_napi(NcfError::invalid(
                    "features",
                    "the dataset has no side features: call withFeatures first",
                )));
            }
            None if features_in.is_some() => {
                return Err(to_napi(NcfError::invalid("featuresIn", "applies to a model built with features")));
            }
            None => Params::init(layout, seed),
        };
        let m = NativeModel::from_params(params);
        // Defaults (implicit; clipping on) are index.ts's; these keep the raw binding usable.
        if let Some(TaskKind::Rating) = task {
            *m.task.lock().unwrap_or_else(|p| p.into_inner()) =
                Task::Rating { clip: clip.unwrap_or(true), scale: None };
        }
        Ok(m)
    }

    fn task(&self) -> Task {
        *self.task.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `'implicit'` or `'rating'`.
    #[napi(getter)]
    pub fn task_kind(&self) -> String {
        match self.task() {
            Task::Implicit => "implicit".into(),
            Task::Rating { .. } => "rating".into(),
        }
    }

    /// The rating scale of a rating model (known after its first `fit`, or from its file).
    #[napi(getter)]
    pub fn rating_scale(&self) -> Option<NativeRatingScale> {
        match self.task() {
            Task::Rating { scale: Some(s), .. } => {
                Some(NativeRatingScale { mean: s.mean as f64, min: s.min as f64, max: s.max as f64, clip: s.clip })
            }
            _ => None,
        }
    }

    /// The scale predictions of a rating model go through; an error before its first `fit`.
    fn scale_for(&self, what: &str) -> napi::Result<Option<RatingScale>> {
        match self.task() {
            Task::Implicit => Ok(None),
            Task::Rating { scale: Some(s), .. } => Ok(Some(s)),
            Task::Rating { scale: None, .. } => Err(to_napi(NcfError::invalid(
                what,
                "a rating model learns its rating scale (the mean rating) in its first fit; fit it first",
            ))),
        }
    }

    fn from_params(params: Params) -> Self {
        NativeModel {
            layout: params.layout,
            state: Arc::new(Mutex::new(Some(params))),
            training: Arc::new(AtomicBool::new(false)),
            info: None,
            seen: Arc::new(Mutex::new(None)),
            ids: Arc::new(Mutex::new(Ids::default())),
            task: Arc::new(Mutex::new(Task::Implicit)),
        }
    }

    /// Refuses a dataset whose ids differ from the model's: its indices would name other users
    /// and items, and every number computed from them would be silently wrong.
    fn check_ids(&self, data: &NativeDataset) -> napi::Result<()> {
        let mine = self.ids();
        for (side, m, d) in [("user", &mine.users, &data.users), ("item", &mine.items, &data.items)] {
            if let (Some(m), Some(d)) = (m, d) {
                ncf_core::raw::check_same_ids(side, m, d).napi()?;
            }
        }
        Ok(())
    }

    fn ids(&self) -> Ids {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The caller's user ids in index order, when the model knows them (trained on a dataset
    /// read with its own ids, or loaded from a file that has them).
    #[napi(getter)]
    pub fn user_ids(&self) -> Option<Vec<String>> {
        self.ids().users.map(|e| e.ids().to_vec())
    }
    #[napi(getter)]
    pub fn item_ids(&self) -> Option<Vec<String>> {
        self.ids().items.map(|e| e.ids().to_vec())
    }
    /// `'index'` (ids are indices), `'number'` or `'string'`: how JavaScript reads the ids.
    #[napi(getter)]
    pub fn user_id_kind(&self) -> String {
        crate::dataset::id_kind(&self.ids().users).into()
    }
    #[napi(getter)]
    pub fn item_id_kind(&self) -> String {
        crate::dataset::id_kind(&self.ids().items).into()
    }
    /// Indices of ids; `field` names the argument in errors: `users[]` gives `users[3]`, `user`
    /// names a single id.
    #[napi]
    pub fn encode_users(&self, ids: Vec<String>, field: Option<String>) -> napi::Result<Uint32Array> {
        crate::dataset::encode(&self.ids().users, self.layout.num_users, field.as_deref().unwrap_or("users[]"), ids)
    }
    #[napi]
    pub fn encode_items(&self, ids: Vec<String>, field: Option<String>) -> napi::Result<Uint32Array> {
        crate::dataset::encode(&self.ids().items, self.layout.num_items, field.as_deref().unwrap_or("items[]"), ids)
    }
    #[napi]
    pub fn decode_users(&self, indices: Uint32Array) -> napi::Result<Vec<String>> {
        crate::dataset::decode(&self.ids().users, self.layout.num_users, "users", indices)
    }
    #[napi]
    pub fn decode_items(&self, indices: Uint32Array) -> napi::Result<Vec<String>> {
        crate::dataset::decode(&self.ids().items, self.layout.num_items, "items", indices)
    }

    /// Predicted probabilities ŷ = σ(z) of `(users[t], items[t])`.
    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn predict(
        &self,
        users: Uint32Array,
        items: Uint32Array,
        device: Device,
        cold: Option<String>,
    ) -> napi::Result<AsyncTask<Job<Float32Array>>> {
        let params = current(&self.state).napi()?;
        let (users, items) = (users.to_vec(), items.to_vec());
        let pref = DevicePref::from(device);
        let scale = self.scale_for("predict")?;
        let params = match cold {
            None => params,
            Some(json) => with_cold_json(params, &json, true)?,
        };
        Ok(Job::spawn(move || {
            let backend = Backend::resolve(pref).napi()?;
            let z = backend.predict(&params, &users, &items).napi()?;
            Ok(match scale {
                Some(s) => z.into_iter().map(|z| s.predict(z)).collect::<Vec<f32>>(),
                None => z.into_iter().map(ncf_core::model::sigmoid).collect::<Vec<f32>>(),
            }
            .into())
        }))
    }

    /// Top-`k` items of each user over all items (scores are logits). `exclude_seen` removes the
    /// interactions of `data`, or of the last `fit` when `data` is not given.
    #[allow(clippy::too_many_arguments)]
    #[napi(ts_return_type = "Promise<NativeRanked>")]
    pub fn recommend(
        &self,
        users: Uint32Array,
        k: f64,
        exclude_seen: bool,
        filter_items: Option<Uint32Array>,
        data: Option<&NativeDataset>,
        device: Device,
        cold: Option<String>,
    ) -> napi::Result<AsyncTask<Job<NativeRanked>>> {
        let k = to_u32("k", k)?;
        let params = current(&self.state).napi()?;
        // New users described by their features rank like any user, with nothing seen.
        let params = match cold {
            None => params,
            Some(json) => with_cold_json(params, &json, false)?,
        };
        let l = params.layout;
        let users = users.to_vec();
        if let Some(r) = users.iter().position(|&u| u >= l.num_users) {
            return Err(to_napi(NcfError::invalid(
                format!("users[{r}]"),
                format!("id {} is not below numUsers = {}", users[r], l.num_users),
            )));
        }
        let allow = match filter_items {
            Some(f) => {
                let mut allow = vec![false; l.num_items as usize];
                for (r, &i) in f.iter().enumerate() {
                    if i >= l.num_items {
                        return Err(to_napi(NcfError::invalid(
                            format!("filterItems[{r}]"),
                            format!("id {i} is not below numItems = {}", l.num_items),
                        )));
                    }
                    allow[i as usize] = true;
                }
                Some(allow)
            }
            None => None,
        };
        if let Some(d) = data {
            self.check_ids(d)?;
        }
        let seen = match (exclude_seen, data) {
            (false, _) => None,
            (true, Some(d)) => Some(Arc::new(d.inner.known_interactions())),
            (true, None) => Some(self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(|| {
                to_napi(NcfError::invalid(
                    "excludeSeen",
                    "needs the users' interactions: pass data, fit the model first, or load a file saved with its seen items",
                ))
            })?),
        };
        let pref = DevicePref::from(device);
        let scale = self.scale_for("recommend")?;
        Ok(Job::spawn(move || {
            let backend = Backend::resolve(pref).napi()?;
            let ex = ncf_core::infer::Exclusions { seen: seen.as_deref(), allow: allow.as_deref() };
            let mut list = backend.recommend(&params, &users, k, &ex).napi()?;
            if let Some(s) = scale {
                // Ranked by score; reported as predicted ratings.
                list.iter_mut().for_each(|r| r.scores.iter_mut().for_each(|z| *z = s.predict(*z)));
            }
            Ok(ranked(list, &backend))
        }))
    }

    /// The `k` users or items most similar to each of `ids` by cosine similarity of their
    /// embeddings, on the chosen backend.
    #[napi(ts_return_type = "Promise<NativeRanked>")]
    pub fn similar(
        &self,
        side: Side,
        ids: Uint32Array,
        k: f64,
        device: Device,
    ) -> napi::Result<AsyncTask<Job<NativeRanked>>> {
        let side = ncf_core::infer::Side::from(side);
        let k = to_u32("k", k)?;
        let params = current(&self.state).napi()?;
        ncf_core::infer::check_similar(params.layout, side, &ids, k).napi()?;
        let (ids, pref) = (ids.to_vec(), DevicePref::from(device));
        Ok(Job::spawn(move || {
            let backend = Backend::resolve(pref).napi()?;
            let list = backend.similar(&params, side, &ids, k).napi()?;
            Ok(ranked(list, &backend))
        }))
    }

    /// Every user's or item's embedding, row-major (NeuMF: `[GMF ; MLP]`).
    #[napi]
    pub fn embeddings(&self, side: Side) -> napi::Result<NativeEmbeddings> {
        let params = current(&self.state).napi()?;
        let (dim, data) = ncf_core::infer::embeddings(&params, side.into());
        Ok(NativeEmbeddings { dim: dim as u32, data: data.into() })
    }

    /// Writes the model file (safetensors + metadata) atomically. `info` is a JSON object
    /// stored with the model.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save(&self, path: String, info: String, seen: bool) -> napi::Result<AsyncTask<Job<()>>> {
        let info = match serde_json::from_str::<serde_json::Value>(&info) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(to_napi(NcfError::invalid("info", "must be a JSON object"))),
        };
        let params = current(&self.state).napi()?;
        let ids = match self.ids() {
            Ids { users: Some(u), items: Some(i) } => Some((u.ids().to_vec(), i.ids().to_vec())),
            _ => None,
        };
        let seen = if seen { self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone() } else { None };
        let rating = self.scale_for("save")?;
        let extras = ncf_core::persist::Extras { info, ids, seen, rating };
        Ok(Job::spawn(move || ncf_core::persist::save(std::path::Path::new(&path), &params, extras).napi()))
    }

    /// Reads a model file written by `save`.
    #[napi(ts_return_type = "Promise<NativeModel>")]
    pub fn load(path: String) -> AsyncTask<Job<NativeModel>> {
        Job::spawn(move || {
            let ncf_core::persist::Loaded { params, meta, seen } =
                ncf_core::persist::load(std::path::Path::new(&path)).napi()?;
            let mut m = NativeModel::from_params(params);
            if let Some(r) = meta.rating {
                let scale = RatingScale::from(r);
                m.task = Arc::new(Mutex::new(Task::Rating { clip: scale.clip, scale: Some(scale) }));
            }
            m.seen = Arc::new(Mutex::new(seen.map(Arc::new)));
            m.info = Some(serde_json::Value::Object(meta.info).to_string());
            if let (Some(u), Some(i)) = (meta.user_ids, meta.item_ids) {
                let enc = |v| IdEncoder::from_ids(v).map(Arc::new).napi();
                *m.ids.lock().unwrap_or_else(|p| p.into_inner()) = Ids { users: Some(enc(u)?), items: Some(enc(i)?) };
            }
            Ok(m)
        })
    }

    /// The `info` object of the loaded file, as JSON (none for a model built in memory).
    #[napi(getter)]
    pub fn info(&self) -> Option<String> {
        self.info.clone()
    }

    /// NeuMF-pre (He et al. §3.4.1): embeddings and tower copied from a trained GMF and MLP, the
    /// predict layer `[α·h_GMF ; (1−α)·h_MLP]`.
    #[napi(factory)]
    pub fn neumf_from_pretrained(gmf: &NativeModel, mlp: &NativeModel, alpha: f64) -> napi::Result<Self> {
        for (name, m) in [("gmf", gmf), ("mlp", mlp)] {
            if current(&m.state).napi()?.features.is_some() {
                return Err(to_napi(NcfError::invalid(
                    name,
                    format!("NeuMF-pre from a {} with side features is not supported", name.to_uppercase()),
                )));
            }
        }
        if gmf.task() != Task::Implicit || mlp.task() != Task::Implicit {
            return Err(to_napi(NcfError::invalid(
                "gmf",
                "NeuMF-pre is built from implicit-feedback GMF and MLP models (task: 'implicit')",
            )));
        }
        let (g, m) = (current(&gmf.state).napi()?, current(&mlp.state).napi()?);
        Ok(NativeModel::from_params(ncf_core::model::neumf_from_pretrained(&g, &m, alpha as f32).napi()?))
    }

    #[napi(getter)]
    pub fn kind(&self) -> String {
        self.layout.kind.name().to_string()
    }
    #[napi(getter)]
    pub fn num_users(&self) -> u32 {
        self.layout.num_users
    }
    #[napi(getter)]
    pub fn num_items(&self) -> u32 {
        self.layout.num_items
    }
    /// Where side features enter: `'mlp'`, `'gmf'` or `'both'` (null without features).
    #[napi(getter)]
    pub fn features_in(&self) -> Option<String> {
        self.layout.features.inputs().map(|i| i.name().to_string())
    }

    /// Whether scores have per-user and per-item bias terms.
    #[napi(getter)]
    pub fn biases(&self) -> bool {
        self.layout.biases
    }

    /// Predictive factors: the embedding size of GMF/MF/NeuMF's GMF branch, MLP's last layer.
    #[napi(getter)]
    pub fn factors(&self) -> u32 {
        self.layout.predictive_factors()
    }
    /// The MLP tower's widths (empty for GMF and MF).
    #[napi(getter)]
    pub fn layers(&self) -> Vec<u32> {
        self.layout.tower.sizes().to_vec()
    }
    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    /// A copy of the flat weights (GMF `[P | Q | h | b]`, MF `[P | Q | b_user | b_item | b]`,
    /// NeuMF `[P | Q | P_mlp | Q_mlp | W_1 | b_1 | … | h | b]`, MLP the same without P and Q).
    #[napi]
    pub fn weights(&self) -> napi::Result<Float32Array> {
        Ok(Float32Array::new(current(&self.state).napi()?.data))
    }

    /// Starts a training session (resolving the device may create the GPU context).
    #[napi(ts_return_type = "Promise<NativeTrainer>")]
    pub fn create_trainer(
        &self,
        data: &NativeDataset,
        opts: NativeTrainOptions,
    ) -> napi::Result<AsyncTask<Job<NativeTrainer>>> {
        let cfg = TrainConfig {
            batch_size: to_u32("batchSize", opts.batch_size)?,
            negatives: to_u32("negatives", opts.negatives)?,
            optimizer: parse_optimizer(&opts.optimizer, opts.momentum.map(|m| m as f32), opts.weight_decay as f32)
                .napi()?,
            lr: opts.lr as f32,
            seed: to_u32("seed", opts.seed)?,
            l2: opts.l2 as f32,
            dropout: opts.dropout as f32,
            ..TrainConfig::default()
        };
        let mut cfg = cfg;
        let task = self.task();
        if let Task::Rating { clip, scale } = task {
            let s = match scale {
                Some(s) => s,
                None => ncf_core::train::rating_scale(&data.inner, clip).napi()?,
            };
            cfg.rating = Some(s);
        }
        cfg.validate().napi()?;
        let validation = match opts.validation.as_str() {
            "none" => Validation::None,
            "leave-one-out" => Validation::LeaveOneOut(to_u32("validationNegatives", opts.validation_negatives)?),
            "dataset" if data.inner.validation.is_some() => Validation::Dataset,
            "dataset" => {
                return Err(to_napi(NcfError::invalid(
                    "validation",
                    "'dataset' needs a dataset with validation cases: split it with { validation: true } or a validationRatio",
                )));
            }
            other => {
                return Err(to_napi(NcfError::invalid(
                    "validation",
                    format!("must be 'dataset', 'leave-one-out' or 'none', got '{other}'"),
                )));
            }
        };
        let plateau = match (opts.plateau_factor, opts.plateau_patience) {
            (Some(factor), Some(patience)) => Some(PlateauConfig {
                factor: factor as f32,
                patience: to_u32("reduceLrOnPlateau.patience", patience)?,
                min_lr: opts.plateau_min_lr.unwrap_or(0.0) as f32,
            }),
            (None, None) if opts.plateau_min_lr.is_none() => None,
            _ => {
                return Err(to_napi(NcfError::invalid(
                    "reduceLrOnPlateau",
                    "needs both factor and patience (index.ts fills their defaults)",
                )));
            }
        };
        let control = Control {
            monitor: Monitor::parse(&opts.monitor).napi()?,
            plateau,
            early_stopping: opts.early_stopping_patience.map(|p| to_u32("earlyStopping.patience", p)).transpose()?,
            restore_best: opts.restore_best,
        };
        control.validate(validation != Validation::None).napi()?;
        match (task, control.monitor) {
            (Task::Rating { .. }, Monitor::Hr | Monitor::Ndcg) => {
                return Err(to_napi(NcfError::invalid("monitor", "a rating model is monitored by 'rmse'")));
            }
            (Task::Implicit, Monitor::Rmse) => {
                return Err(to_napi(NcfError::invalid("monitor", "'rmse' applies to rating models (task: 'rating')")));
            }
            _ => {}
        }
        self.check_ids(data)?;
        let progress = opts.progress.unwrap_or(false).then(|| Arc::new(Progress::default()));
        let params = current(&self.state).napi()?;
        // The model's bags must describe the dataset's users and items (same encoding).
        match (&params.features, &data.features) {
            (Some(m), Some(d)) if Arc::ptr_eq(m, d) || **m == **d => {}
            (None, None) => {}
            (Some(_), _) => {
                return Err(to_napi(NcfError::invalid(
                    "data",
                    "its side features differ from the model's: fit on the dataset the model was built with (features: data)",
                )));
            }
            (None, Some(_)) => {
                return Err(to_napi(NcfError::invalid(
                    "data",
                    "has side features but the model was built without them: build it with features: data",
                )));
            }
        }
        let initial_k = opts.initial_k.map(|k| to_u32("k", k)).transpose()?;
        // A dataset with its own ids must cover the model's rows exactly: otherwise the model
        // could not adopt the ids, and later calls would read them as indices.
        if let (Some(u), Some(i)) = (&data.users, &data.items)
            && (u.len() != self.layout.num_users as usize || i.len() != self.layout.num_items as usize)
        {
            return Err(to_napi(NcfError::invalid(
                "data",
                format!(
                    "has {} user and {} item ids but the model was built for {} × {}: build it with \
                     numUsers: data.numUsers, numItems: data.numItems",
                    u.len(),
                    i.len(),
                    self.layout.num_users,
                    self.layout.num_items
                ),
            )));
        }
        let lease = TrainingLease::take(&self.training).napi()?;
        let lr = opts.lr;
        let (du, di) = (data.users.clone(), data.items.clone());
        let (data, state, pref) = (data.inner.clone(), self.state.clone(), DevicePref::from(opts.device));
        let (task_slot, seen_slot, ids_slot) = (self.task.clone(), self.seen.clone(), self.ids.clone());
        Ok(Job::spawn(move || {
            let mut cfg = cfg;
            let known = data.known_interactions();
            let (train, valid) = match validation {
                Validation::LeaveOneOut(n) => {
                    let split =
                        leave_one_out(&data, n, cfg.seed).map_err(|e| to_napi(with_user_ids(e, du.as_deref())))?;
                    (Arc::new(split.train), Some(split.validation))
                }
                Validation::Dataset => {
                    let v = data.validation.clone();
                    (data, v)
                }
                Validation::None => (data, None),
            };
            // A first rating fit learns μ and the range from the ratings it trains on (not the
            // validation holdout).
            if let Task::Rating { clip, scale: None } = task {
                cfg.rating = Some(ncf_core::train::rating_scale(&train, clip).napi()?);
            }
            let backend = Backend::resolve(pref).napi()?;
            let (mut initial, mut initial_rating) = (None, None);
            if let (Some(k), Some(v)) = (initial_k, &valid) {
                match cfg.rating {
                    Some(s) => initial_rating = Some(backend.evaluate_rating(&params, v, s).napi()?),
                    None => initial = Some(backend.evaluate(&params, v, k).napi()?),
                }
            }
            let trainer =
                backend.trainer(train, valid, params, cfg).map_err(|e| to_napi(with_user_ids(e, du.as_deref())))?;
            let mut session =
                Session::new(trainer, control, lr).with_initial(initial.as_ref(), initial_rating.as_ref());
            if let Some(p) = &progress {
                session.set_progress(p.clone());
            }
            // The session exists: the fit's scale, seen items and ids become the model's now
            // (a fit that failed to start leaves the model as it was).
            if let (Task::Rating { clip, .. }, Some(s)) = (task, cfg.rating) {
                *task_slot.lock().unwrap_or_else(|p| p.into_inner()) = Task::Rating { clip, scale: Some(s) };
            }
            *seen_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(known));
            if let (Some(u), Some(i)) = (du, di) {
                *ids_slot.lock().unwrap_or_else(|p| p.into_inner()) = Ids { users: Some(u), items: Some(i) };
            }
            Ok(NativeTrainer {
                backend: backend.name().to_string(),
                fallback: backend.fallback().map(str::to_string),
                session: Arc::new(Mutex::new(Some((session, lease)))),
                state,
                progress,
            })
        }))
    }

    #[napi(ts_return_type = "Promise<NativeMetrics>")]
    pub fn evaluate(
        &self,
        data: &NativeDataset,
        k: f64,
        device: Device,
        full: bool,
    ) -> napi::Result<AsyncTask<Job<NativeMetrics>>> {
        let k = to_u32("k", k)?;
        let params = current(&self.state).napi()?;
        self.check_ids(data)?;
        let data = data.inner.clone();
        let pref = DevicePref::from(device);
        Ok(Job::spawn(move || {
            let test = data.test.as_ref().ok_or_else(|| {
                to_napi(NcfError::Data(
                    "the dataset has no test set: load it with testNegative (or testRating + testNegative)".into(),
                ))
            })?;
            let backend = Backend::resolve(pref).napi()?;
            let m = if full { backend.evaluate_full(&params, &data, k) } else { backend.evaluate(&params, test, k) }
                .napi()?;
            Ok(NativeMetrics {
                k,
                hr: m.hr,
                ndcg: m.ndcg,
                cases: m.cases as u32,
                recall: m.recall,
                backend: backend.name().into(),
                fallback_reason: backend.fallback().map(str::to_string),
            })
        }))
    }

    /// RMSE / MAE / R² of a rating model on the dataset's held-out ratings.
    #[napi(ts_return_type = "Promise<NativeRatingMetrics>")]
    pub fn evaluate_rating(
        &self,
        data: &NativeDataset,
        device: Device,
    ) -> napi::Result<AsyncTask<Job<NativeRatingMetrics>>> {
        let scale = self.scale_for("evaluate")?.ok_or_else(|| {
            to_napi(NcfError::invalid("metrics", "RMSE/MAE/R² apply to rating models (task: 'rating')"))
        })?;
        let params = current(&self.state).napi()?;
        self.check_ids(data)?;
        let data = data.inner.clone();
        let pref = DevicePref::from(device);
        Ok(Job::spawn(move || {
            let test =
                data.test.as_ref().ok_or_else(|| to_napi(NcfError::Data("the dataset has no test set".into())))?;
            let backend = Backend::resolve(pref).napi()?;
            let m = backend.evaluate_rating(&params, test, scale).napi()?;
            Ok(NativeRatingMetrics {
                rmse: m.rmse,
                mae: m.mae,
                r2: m.r2,
                count: m.count as u32,
                backend: backend.name().into(),
                fallback_reason: backend.fallback().map(str::to_string),
            })
        }))
    }

    #[napi]
    pub fn dispose(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// One `fit` session: owns the backend trainer, its optimizer state and the training control.
#[napi]
pub struct NativeTrainer {
    backend: String,
    fallback: Option<String>,
    session: Arc<Mutex<Option<(Session, TrainingLease)>>>,
    state: Shared,
    /// Outside the session's lock, so it can be read and cancelled while an epoch runs.
    progress: Option<Arc<Progress>>,
}

fn closed() -> napi::Error {
    to_napi(NcfError::invalid("trainer", "this training session was closed"))
}

#[napi]
impl NativeTrainer {
    #[napi(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Live progress of the epoch in flight (null unless created with `progress`). Cheap: it
    /// reads a few atomics, so it can be polled from a timer while `runEpoch` runs.
    #[napi]
    pub fn progress(&self) -> Option<NativeProgress> {
        let p = self.progress.as_ref()?;
        let loss = p.running_loss();
        Some(NativeProgress {
            steps: p.steps.load(Ordering::Relaxed) as f64,
            total_steps: p.total_steps.load(Ordering::Relaxed) as f64,
            samples: p.samples.load(Ordering::Relaxed) as f64,
            loss: loss.is_finite().then_some(loss),
        })
    }

    /// Asks the running epoch to stop at its next batch (CPU) or submit (GPU); it then fails
    /// with `ERR_ABORTED` and the model keeps its last complete epoch. Needs `progress`.
    #[napi]
    pub fn cancel(&self) -> bool {
        match &self.progress {
            Some(p) => {
                p.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Why `'auto'` fell back to the CPU, if it did.
    #[napi(getter)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.fallback.clone()
    }

    /// Trains one epoch (and evaluates at `evalK`); the model's weights are updated to the end
    /// of the epoch.
    #[napi(ts_return_type = "Promise<NativeEpoch>")]
    pub fn run_epoch(&self, eval_k: Option<f64>) -> napi::Result<AsyncTask<Job<NativeEpoch>>> {
        let k = eval_k.map(|k| to_u32("k", k)).transpose()?;
        // Until the trainer starts this epoch, progress reads as "not started" rather than the
        // previous epoch's totals (a timer may poll before the job runs).
        if let Some(p) = &self.progress {
            p.begin(0);
        }
        let (session, state) = (self.session.clone(), self.state.clone());
        Ok(Job::spawn(move || {
            let mut guard = session.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
            let (s, _) = guard.as_mut().ok_or_else(closed)?;
            if state.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
                return Err(to_napi(NcfError::Disposed));
            }
            let o = s.run_epoch(k).napi()?;
            match state.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                Some(p) => *p = s.params().clone(),
                None => return Err(to_napi(NcfError::Disposed)),
            }
            let r = &o.report;
            Ok(NativeEpoch {
                epoch: r.epoch,
                loss: r.loss,
                samples: r.samples as f64,
                hr: r.metrics.map(|m| m.hr),
                ndcg: r.metrics.map(|m| m.ndcg),
                valid_hr: r.validation.map(|m| m.hr),
                valid_ndcg: r.validation.map(|m| m.ndcg),
                rmse: r.rating.map(|m| m.rmse),
                mae: r.rating.map(|m| m.mae),
                r2: r.rating.map(|m| m.r2),
                valid_rmse: r.validation_rating.map(|m| m.rmse),
                valid_mae: r.validation_rating.map(|m| m.mae),
                valid_r2: r.validation_rating.map(|m| m.r2),
                train_rmse: r.train_rating.map(|m| m.rmse),
                train_mae: r.train_rating.map(|m| m.mae),
                train_r2: r.train_rating.map(|m| m.r2),
                lr: o.lr,
                best_epoch: o.best_epoch,
                stop: o.stop,
                seconds: r.seconds,
            })
        }))
    }

    /// Writes a checkpoint of the session after its last complete epoch (weights, optimizer
    /// moments, best validation weights, counters) with the caller's `note` (JSON), atomically.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn checkpoint(&self, path: String, note: String) -> napi::Result<AsyncTask<Job<()>>> {
        let (session, state) = (self.session.clone(), self.state.clone());
        Ok(Job::spawn(move || {
            let guard = session.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
            let (s, _) = guard.as_ref().ok_or_else(closed)?;
            let layout = current(&state).napi()?.layout;
            let ck = s.checkpoint().napi()?;
            ncf_core::checkpoint::save(std::path::Path::new(&path), layout, &ck, &note).napi()
        }))
    }

    /// Continues the session from a checkpoint of the same model and options: weights,
    /// optimizer state, learning rate and the control's counters. Resolves to the number of
    /// epochs the checkpoint had completed.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn resume(&self, path: String) -> napi::Result<AsyncTask<Job<u32>>> {
        let (session, state) = (self.session.clone(), self.state.clone());
        Ok(Job::spawn(move || {
            let mut guard = session.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
            let (s, _) = guard.as_mut().ok_or_else(closed)?;
            let layout = current(&state).napi()?.layout;
            let (ck, meta) = ncf_core::checkpoint::load(std::path::Path::new(&path), Some(layout)).napi()?;
            s.restore(ck).napi()?;
            if let Some(p) = state.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                *p = s.params().clone();
            }
            Ok(meta.epoch)
        }))
    }

    /// Ends the session: the model keeps the best validation epoch's weights (with
    /// `restoreBest`) or the last epoch's, and the session's buffers (GPU memory included) are
    /// freed now rather than at garbage collection. Returns the best epoch, if any.
    #[napi]
    pub fn finish(&self) -> napi::Result<Option<u32>> {
        let mut guard = self.session.try_lock().map_err(|_| to_napi(NcfError::Busy))?;
        let Some((s, _lease)) = guard.take() else { return Ok(None) };
        if let Some(p) = self.state.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            *p = s.final_params().clone();
        }
        Ok(s.best_epoch())
    }
}

/// The caller's note stored in a checkpoint (the fit options and history), read without
/// applying it.
#[napi(ts_return_type = "Promise<string>")]
pub fn read_checkpoint_note(path: String) -> AsyncTask<Job<String>> {
    Job::spawn(move || Ok(ncf_core::checkpoint::load(std::path::Path::new(&path), None).napi()?.1.note))
}
