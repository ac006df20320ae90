//! `NativeModel`: the binding of `ncf_core::recommender::Recommender`. Each method converts
//! its arguments, calls the core (checks on this thread, work in a `Job` on libuv's pool on the
//! chosen backend) and maps errors; `src/models.ts` wraps it in the GMF/MF/MLP/NeuMF classes.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::backend::Backend;
use ncf_core::recommender::options::{
    EvaluateOptions, RecommendOptions, none_from_json, pretrained_alpha_from_json, save_seen_from_json,
    similar_k_from_json,
};
use ncf_core::recommender::{FoldIn, IdSide, ModelSpec, RecommendRequest, Recommender};

use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, Result};
use crate::job::Job;
use crate::modes::{Device, FeaturesIn, IdKind, Kind, Side, TaskKind};
use crate::results::{
    NativeEmbeddings, NativeFoldIn, NativeMetrics, NativeRanked, NativeRatingMetrics, NativeRatingScale,
};

/// The backend `device` resolves to (the adapter is chosen by ncf-gpu; creating the GPU
/// context may take a while, so this runs inside jobs).
pub(crate) fn backend(device: Device) -> Result<Arc<dyn Backend>> {
    ncf_gpu::select(device.into()).napi()
}

fn side(s: Side) -> IdSide {
    match s {
        Side::Users => IdSide::Users,
        Side::Items => IdSide::Items,
    }
}

/// A native model (GMF, MF, MLP or NeuMF); wrapped by the classes of the same names in `src/models.ts`.
#[napi]
pub struct NativeModel {
    pub(crate) inner: Recommender,
}

#[napi]
impl NativeModel {
    /// A new model of `kind` from its constructor's options (a JSON object the core reads:
    /// `ModelSpec::from_json`), with the dataset whose side features it takes.
    #[napi(constructor)]
    pub fn new(kind: Kind, options: String, features: Option<&NativeDataset>) -> Result<Self> {
        let spec = ModelSpec::from_json(kind.into(), &options, features.map(NativeDataset::corpus)).napi()?;
        Ok(NativeModel { inner: Recommender::build(spec).napi()? })
    }

    #[napi(getter)]
    pub fn task_kind(&self) -> TaskKind {
        self.inner.task().kind().into()
    }

    /// The rating scale of a rating model (known after its first `fit`, or from its file).
    #[napi(getter)]
    pub fn rating_scale(&self) -> Option<NativeRatingScale> {
        self.inner.rating_scale().map(|s| NativeRatingScale {
            mean: s.mean as f64,
            min: s.min as f64,
            max: s.max as f64,
            clip: s.clip,
        })
    }

    /// The caller's user ids in index order, when the model knows them.
    #[napi(getter)]
    pub fn user_ids(&self) -> Option<Vec<String>> {
        self.inner.ids().users.map(|e| e.ids().to_vec())
    }
    #[napi(getter)]
    pub fn item_ids(&self) -> Option<Vec<String>> {
        self.inner.ids().items.map(|e| e.ids().to_vec())
    }
    #[napi(getter)]
    pub fn user_id_kind(&self) -> IdKind {
        self.inner.ids().kind(IdSide::Users).into()
    }
    #[napi(getter)]
    pub fn item_id_kind(&self) -> IdKind {
        self.inner.ids().kind(IdSide::Items).into()
    }
    /// Indices of ids; `field` names the argument in errors: `users[]` gives `users[3]`, `user`
    /// names a single id.
    #[napi]
    pub fn encode(&self, side_: Side, ids: Vec<String>, field: String) -> Result<Uint32Array> {
        Ok(self.inner.encode(side(side_), &field, &ids).napi()?.into())
    }
    #[napi]
    pub fn decode(&self, side_: Side, indices: Uint32Array) -> Result<Vec<String>> {
        let s = side(side_);
        let field = if s == IdSide::Users { "users" } else { "items" };
        self.inner.decode(s, field, &indices).napi()
    }

    /// Predicted probabilities ŷ = σ(z) of `(users[t], items[t])` (rating models: r̂).
    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn predict(
        &self,
        users: Uint32Array,
        items: Uint32Array,
        device: Device,
        describe: Option<serde_json::Value>,
        options: String,
    ) -> Result<AsyncTask<Job<Float32Array>>> {
        none_from_json("predict", &options).napi()?;
        let job = self.inner.predict(users.to_vec(), items.to_vec(), describe.as_ref()).napi()?;
        Ok(Job::spawn(move || Ok(job.run(&*backend(device)?).napi()?.into())))
    }

    /// Top-`k` items of each user over all items (scores are logits; predicted ratings for a
    /// rating model).
    #[allow(clippy::too_many_arguments)]
    #[napi(ts_return_type = "Promise<NativeRanked>")]
    pub fn recommend(
        &self,
        users: Uint32Array,
        options: String,
        filter_items: Option<Uint32Array>,
        exclude_items: Option<Uint32Array>,
        data: Option<&NativeDataset>,
        device: Device,
        describe: Option<serde_json::Value>,
    ) -> Result<AsyncTask<Job<NativeRanked>>> {
        let RecommendOptions { k, exclude_seen } = RecommendOptions::from_json(&options, data.is_some()).napi()?;
        let corpus = data.map(NativeDataset::corpus);
        let job = self
            .inner
            .recommend(RecommendRequest {
                users: users.to_vec(),
                k,
                exclude_seen,
                filter_items: filter_items.as_deref(),
                exclude_items: exclude_items.as_deref(),
                data: corpus.as_ref(),
                describe: describe.as_ref(),
            })
            .napi()?;
        Ok(Job::spawn(move || {
            let b = backend(device)?;
            Ok(NativeRanked::of(job.run(&*b).napi()?, &*b))
        }))
    }

    /// The `k` users or items most similar to each of `ids` by cosine similarity.
    #[napi(ts_return_type = "Promise<NativeRanked>")]
    pub fn similar(
        &self,
        side_: Side,
        ids: Uint32Array,
        options: String,
        device: Device,
    ) -> Result<AsyncTask<Job<NativeRanked>>> {
        let k = similar_k_from_json(&options).napi()?;
        let job = self.inner.similar(side_.into(), ids.to_vec(), k).napi()?;
        Ok(Job::spawn(move || {
            let b = backend(device)?;
            Ok(NativeRanked::of(job.run(&*b).napi()?, &*b))
        }))
    }

    /// Every user's or item's embedding, row-major (NeuMF: `[GMF ; MLP]`).
    #[napi]
    pub fn embeddings(&self, side_: Side) -> Result<NativeEmbeddings> {
        let (dim, data) = self.inner.embeddings(side_.into()).napi()?;
        Ok(NativeEmbeddings { dim: dim as u32, data: data.into() })
    }

    #[napi(ts_return_type = "Promise<NativeMetrics>")]
    pub fn evaluate(
        &self,
        data: &NativeDataset,
        options: String,
        device: Device,
    ) -> Result<AsyncTask<Job<NativeMetrics>>> {
        let EvaluateOptions::Ranking { k, full } = EvaluateOptions::from_json(&options).napi()? else {
            return Err(NcfError::invalid("metrics", "rating metrics are evaluateRating's")).napi();
        };
        let job = self.inner.evaluate(&data.corpus(), k, full).napi()?;
        Ok(Job::spawn(move || {
            let b = backend(device)?;
            Ok(NativeMetrics::of(job.run(&*b).napi()?, &*b))
        }))
    }

    /// RMSE / MAE / R² of a rating model on the dataset's held-out ratings.
    #[napi(ts_return_type = "Promise<NativeRatingMetrics>")]
    pub fn evaluate_rating(
        &self,
        data: &NativeDataset,
        options: String,
        device: Device,
    ) -> Result<AsyncTask<Job<NativeRatingMetrics>>> {
        if !matches!(EvaluateOptions::from_json(&options).napi()?, EvaluateOptions::Rating { .. }) {
            return Err(NcfError::invalid("metrics", "must list 'rmse', 'mae' and/or 'r2'")).napi();
        }
        let job = self.inner.evaluate_rating(&data.corpus()).napi()?;
        Ok(Job::spawn(move || {
            let b = backend(device)?;
            let m = job.run(&*b).napi()?;
            Ok(NativeRatingMetrics::of(m, b.kind().into(), b.fallback().map(str::to_string)))
        }))
    }

    /// Folds users (each with the items they interacted with) and items (each with its users)
    /// into the model with the rest fixed: an exact solve for ALS, epochs of the fit's loss on
    /// those rows for the others.
    #[napi(ts_return_type = "Promise<NativeFoldIn>")]
    pub fn fold_in(
        &self,
        user_ids: Vec<String>,
        user_items: Vec<Vec<String>>,
        item_ids: Vec<String>,
        item_users: Vec<Vec<String>>,
        options: String,
    ) -> Result<AsyncTask<Job<NativeFoldIn>>> {
        self.inner.weights().napi()?;
        for (side, a, b) in [("users", user_ids.len(), user_items.len()), ("items", item_ids.len(), item_users.len())] {
            if a != b {
                return Err(ncf_core::NcfError::invalid(
                    format!("foldIn.{side}"),
                    format!("{a} ids but {b} interaction lists"),
                ))
                .napi();
            }
        }
        let req = FoldIn {
            users: user_ids.into_iter().zip(user_items).collect(),
            items: item_ids.into_iter().zip(item_users).collect(),
            ..FoldIn::default()
        }
        .with_options_json(&options)
        .napi()?;
        let job = self.inner.fold_in(req).napi()?;
        // A few f × f solves, or a few epochs of a few rows' samples: the host's work on
        // every device.
        Ok(Job::spawn(move || Ok(job.run(&*backend(Device::Cpu)?).napi()?.into())))
    }

    #[napi]
    pub fn dispose(&self) {
        self.inner.dispose()
    }

    /// Writes the model file (safetensors + metadata) atomically, with `info` stored in it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save(
        &self,
        path: String,
        info: serde_json::Map<String, serde_json::Value>,
        options: String,
    ) -> Result<AsyncTask<Job<()>>> {
        let seen = save_seen_from_json(&options).napi()?;
        let job = self.inner.save(&PathBuf::from(path), info, seen).napi()?;
        Ok(Job::spawn(move || job.run().napi()))
    }

    /// Reads a model file written by `save`.
    #[napi(ts_return_type = "Promise<NativeModel>")]
    pub fn load(path: String, options: String) -> Result<AsyncTask<Job<NativeModel>>> {
        none_from_json("load", &options).napi()?;
        Ok(Job::spawn(move || Ok(NativeModel { inner: Recommender::load(&PathBuf::from(path)).napi()? })))
    }

    /// The `info` object of the loaded file (none for a model built in memory).
    #[napi(getter)]
    pub fn info(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.inner.info()
    }

    /// Whether this is NeuMF-pre (fine-tuned with SGD by default).
    #[napi(getter)]
    pub fn pretrained(&self) -> bool {
        self.inner.pretrained()
    }

    /// NeuMF-pre (He et al. §3.4.1) from a trained GMF and MLP.
    #[napi(factory)]
    pub fn neumf_from_pretrained(gmf: &NativeModel, mlp: &NativeModel, options: String) -> Result<Self> {
        let alpha = pretrained_alpha_from_json(&options).napi()?;
        Ok(NativeModel { inner: Recommender::neumf_from_pretrained(&gmf.inner, &mlp.inner, alpha).napi()? })
    }

    #[napi(getter)]
    pub fn kind(&self) -> String {
        if self.inner.is_als() { "ALS".into() } else { self.inner.kind().name().to_string() }
    }
    #[napi(getter)]
    pub fn num_users(&self) -> u32 {
        self.inner.layout().num_users
    }
    #[napi(getter)]
    pub fn num_items(&self) -> u32 {
        self.inner.layout().num_items
    }
    /// Where side features enter (null without features).
    #[napi(getter)]
    pub fn features_in(&self) -> Option<FeaturesIn> {
        use ncf_core::model::FeatureInputs as F;
        self.inner.layout().features.inputs().map(|i| match i {
            F::Tower => FeaturesIn::Mlp,
            F::Gmf => FeaturesIn::Gmf,
            F::Both => FeaturesIn::Both,
        })
    }
    /// Whether scores have per-user and per-item bias terms.
    #[napi(getter)]
    pub fn biases(&self) -> bool {
        self.inner.layout().biases
    }
    /// Predictive factors: the embedding size of GMF/MF/NeuMF's GMF branch, MLP's last layer.
    #[napi(getter)]
    pub fn factors(&self) -> u32 {
        self.inner.layout().predictive_factors()
    }
    /// The MLP tower's widths (empty for GMF and MF).
    #[napi(getter)]
    pub fn layers(&self) -> Vec<u32> {
        self.inner.layout().tower.sizes().to_vec()
    }
    #[napi(getter)]
    pub fn disposed(&self) -> bool {
        self.inner.disposed()
    }
    /// A copy of the flat weights.
    #[napi]
    pub fn weights(&self) -> Result<Float32Array> {
        Ok(Float32Array::new(self.inner.weights().napi()?.data))
    }
}
