use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::Dataset;
use ncf_core::data::ncf_files::load_ncf;
use ncf_core::data::options::{ArraysSpec, NcfFilesSpec, SplitSpec, scale_from_json, synthetic_from_json};
use ncf_core::data::scale::synthetic_at_scale;
use ncf_core::data::synthetic::synthetic;
use ncf_core::raw::options::FileSpec;

use ncf_core::NcfError;
use ncf_core::model::ModelFeatures;
use ncf_core::raw::{IdEncoder, ReadPhase, from_id_arrays, read_with_progress, to_dataset};

use crate::features::NativeFeatures;
use crate::modes::{IdKind, Side};
use ncf_core::recommender::{Corpus, IdSide};

use crate::errors::{IntoNapi, Result, to_napi};
use crate::job::Job;
use crate::progress::NativeReadProgress;
use ncf_core::features::options::feature_dim_from_json;

/// Native dataset handle; wrapped by `Dataset` in `src/dataset.ts`.
#[napi]
pub struct NativeDataset {
    pub(crate) inner: Arc<Dataset>,
    /// The file's own ids, for datasets read with `fromFile` (others use dense indices).
    pub(crate) users: Option<Arc<IdEncoder>>,
    pub(crate) items: Option<Arc<IdEncoder>>,
    /// Side features encoded against these ids (`withFeatures`).
    pub(crate) features: Option<Arc<ModelFeatures>>,
}

impl NativeDataset {
    /// The core's view of this dataset (shared, nothing copied).
    pub(crate) fn corpus(&self) -> Corpus {
        Corpus {
            data: self.inner.clone(),
            users: self.users.clone(),
            items: self.items.clone(),
            features: self.features.clone(),
        }
    }

    fn side(&self, side: Side) -> (IdSide, u32) {
        match side {
            Side::Users => (IdSide::Users, self.inner.num_users),
            Side::Items => (IdSide::Items, self.inner.num_items),
        }
    }

    fn plain(d: Dataset) -> Self {
        NativeDataset { inner: Arc::new(d), users: None, items: None, features: None }
    }
}

#[napi]
impl NativeDataset {
    /// Reads an NCF split; `options` is `Dataset.fromNcfFiles`' object as JSON (the core reads it).
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn from_ncf_files(options: String) -> Result<AsyncTask<Job<NativeDataset>>> {
        let spec = NcfFilesSpec::from_json(&options).napi()?;
        Ok(Job::spawn(move || Ok(NativeDataset::plain(load_ncf(&spec.paths, spec.num_users, spec.num_items).napi()?))))
    }

    /// Reads an interaction file in the caller's own ids (CSV/TSV, MovieLens, Netflix; `.gz`),
    /// reporting into `progress` as it goes, when given.
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn from_file(
        path: String,
        options: String,
        progress: Option<&NativeReadProgress>,
    ) -> Result<AsyncTask<Job<NativeDataset>>> {
        let FileSpec { format, limits, threshold, test, test_negatives: negatives, seed } =
            FileSpec::from_json(&options).napi()?;
        let progress = progress.map(|p| p.inner.clone());
        if let Some(p) = &progress {
            p.begin(if test.is_some() { 2 } else { 1 });
        }
        Ok(Job::spawn(move || {
            let p = progress.as_deref();
            let read = |f: &str| read_with_progress(std::path::Path::new(f), &format, limits, threshold, p).napi();
            let raw = read(&path)?;
            let held = test.as_deref().and_then(|t| t.to_str()).map(read).transpose()?;
            let phase = |phase| {
                if let Some(p) = p {
                    p.set_phase(phase);
                }
            };
            phase(ReadPhase::Building);
            let (d, users, items) = match held {
                Some(held) => ncf_core::raw::to_dataset_with_test(raw, held, negatives, seed).napi()?,
                None => to_dataset(raw).napi()?,
            };
            phase(ReadPhase::Done);
            Ok(NativeDataset {
                inner: Arc::new(d),
                users: Some(Arc::new(users)),
                items: Some(Arc::new(items)),
                features: None,
            })
        }))
    }

    /// Holds interactions out per user as test (and validation) cases with `negatives`
    /// sampled unseen items each: leave-one-out (latest; ties to the larger item id; without
    /// timestamps a seeded choice), a random ratio, or a time-ordered ratio.
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn split(&self, options: String) -> Result<AsyncTask<Job<NativeDataset>>> {
        let SplitSpec { method, negatives: n, seed } =
            SplitSpec::from_json(&options, self.inner.train_ratings.is_some()).napi()?;
        let (data, users, items) = (self.inner.clone(), self.users.clone(), self.items.clone());
        let features = self.features.clone();
        Ok(Job::spawn(move || {
            let d = ncf_core::data::split::split(&data, method, n, seed)
                .map_err(|e| to_napi(ncf_core::recommender::ids::with_user_ids(e, users.as_deref())))?;
            Ok(NativeDataset { inner: Arc::new(d), users, items, features })
        }))
    }

    /// The file's user ids in index order (none for datasets indexed by number).
    #[napi(getter)]
    pub fn user_ids(&self) -> Option<Vec<String>> {
        self.users.as_ref().map(|e| e.ids().to_vec())
    }
    #[napi(getter)]
    pub fn item_ids(&self) -> Option<Vec<String>> {
        self.items.as_ref().map(|e| e.ids().to_vec())
    }
    /// `'index'`, `'number'` or `'string'` (see `id_kind`).
    #[napi(getter)]
    pub fn user_id_kind(&self) -> IdKind {
        self.corpus().ids().kind(IdSide::Users).into()
    }
    #[napi(getter)]
    pub fn item_id_kind(&self) -> IdKind {
        self.corpus().ids().kind(IdSide::Items).into()
    }
    /// Indices of ids; `field` names them in errors (`users[]` names positions).
    #[napi]
    pub fn encode(&self, side: Side, ids: Vec<String>, field: String) -> Result<Uint32Array> {
        let (s, n) = self.side(side);
        Ok(self.corpus().ids().encode(s, n, &field, &ids).napi()?.into())
    }
    #[napi]
    pub fn decode(&self, side: Side, indices: Uint32Array) -> Result<Vec<String>> {
        let (s, n) = self.side(side);
        let field = if s == IdSide::Users { "users" } else { "items" };
        self.corpus().ids().decode(s, n, field, &indices).napi()
    }

    /// Dense indices from typed arrays, optional timestamps and ratings, and `options` (the
    /// threshold and sizes of `Dataset.fromArrays`, as JSON the core reads).
    #[napi]
    pub fn from_arrays(
        users: Int32Array,
        items: Int32Array,
        timestamps: Option<Float64Array>,
        ratings: Option<Float32Array>,
        options: String,
    ) -> Result<NativeDataset> {
        let spec = ArraysSpec::from_json(&options, true).napi()?;
        let ts = timestamps.as_deref().map(ArraysSpec::timestamps).transpose().napi()?;
        let d = Dataset::from_signed_arrays(
            &users,
            &items,
            ts.as_deref(),
            spec.rated(ratings.as_deref()).napi()?,
            spec.num_users.map(i64::from),
            spec.num_items.map(i64::from),
        )
        .napi()?;
        Ok(NativeDataset::plain(d))
    }

    /// The caller's own ids (strings; numbers arrive as their decimal text), encoded in
    /// sorted id order as `fromFile` does.
    #[napi]
    pub fn from_id_arrays(
        users: Vec<String>,
        items: Vec<String>,
        timestamps: Option<Float64Array>,
        ratings: Option<Float32Array>,
        options: String,
    ) -> Result<NativeDataset> {
        let spec = ArraysSpec::from_json(&options, false).napi()?;
        let ts = timestamps.as_deref().map(ArraysSpec::timestamps).transpose().napi()?;
        let rated = spec.rated(ratings.as_deref()).napi()?;
        let raw = from_id_arrays(users, items, rated.map(|(r, _)| r.to_vec()), ts, spec.threshold).napi()?;
        let (d, users, items) = to_dataset(raw).napi()?;
        Ok(NativeDataset {
            inner: Arc::new(d),
            users: Some(Arc::new(users)),
            items: Some(Arc::new(items)),
            features: None,
        })
    }

    /// Seeded synthetic data; `options` is `Dataset.synthetic`'s object as JSON.
    #[napi]
    pub fn synthetic(options: String) -> Result<NativeDataset> {
        Ok(NativeDataset::plain(synthetic(synthetic_from_json(&options).napi()?).napi()?))
    }

    /// Seeded synthetic data at ML-20M or Netflix size, generated on the thread pool.
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn synthetic_at_scale(options: String) -> Result<AsyncTask<Job<NativeDataset>>> {
        let cfg = scale_from_json(&options).napi()?;
        Ok(Job::spawn(move || Ok(NativeDataset::plain(synthetic_at_scale(&cfg).napi()?))))
    }

    #[napi(getter)]
    pub fn num_users(&self) -> u32 {
        self.inner.num_users
    }
    #[napi(getter)]
    pub fn num_items(&self) -> u32 {
        self.inner.num_items
    }
    #[napi(getter)]
    pub fn num_interactions(&self) -> f64 {
        self.inner.num_interactions() as f64
    }
    #[napi(getter)]
    pub fn num_test_cases(&self) -> u32 {
        self.inner.test.as_ref().map_or(0, |t| t.len() as u32)
    }
    /// A copy with side features of its users and/or items, encoded against its ids (a dataset
    /// without ids uses its indices as ids), each slot `dim` wide.
    #[napi]
    pub fn with_features(
        &self,
        users: Option<&NativeFeatures>,
        items: Option<&NativeFeatures>,
        options: String,
    ) -> Result<NativeDataset> {
        let dim = feature_dim_from_json(&options).napi()?;
        if users.is_none() && items.is_none() {
            return Err(to_napi(NcfError::invalid("features", "give users and/or items")));
        }
        let identity = |n: u32| IdEncoder::from_ids((0..n).map(|k| k.to_string()).collect());
        let enc = |e: &Option<Arc<IdEncoder>>, n: u32| -> Result<Arc<IdEncoder>> {
            match e {
                Some(e) => Ok(e.clone()),
                None => identity(n).map(Arc::new).napi(),
            }
        };
        let build = |f: Option<&NativeFeatures>, e: &Option<Arc<IdEncoder>>, n: u32, side: &str| {
            f.map(|f| -> Result<ncf_core::features::FeatureSet> {
                let ids = enc(e, n)?;
                ncf_core::features::FeatureSet::build(&f.inner, &ids, dim)
                    .map_err(|err| to_napi(NcfError::invalid(format!("features.{side}"), err.to_string())))
            })
            .transpose()
        };
        let features = ModelFeatures {
            users: build(users, &self.users, self.inner.num_users, "users")?,
            items: build(items, &self.items, self.inner.num_items, "items")?,
        };
        Ok(NativeDataset {
            inner: self.inner.clone(),
            users: self.users.clone(),
            items: self.items.clone(),
            features: Some(Arc::new(features)),
        })
    }

    /// Side-feature inputs per user and per item (0 without features).
    #[napi(getter)]
    pub fn feature_widths(&self) -> Vec<u32> {
        let d = self.features.as_ref().map(|f| f.dims()).unwrap_or_default();
        vec![d.user_width, d.item_width]
    }

    #[napi(getter)]
    pub fn num_validation_cases(&self) -> u32 {
        self.inner.validation.as_ref().map_or(0, |t| t.len() as u32)
    }
    /// Whether the training interactions carry ratings (what `task: 'rating'` needs).
    #[napi(getter)]
    pub fn has_ratings(&self) -> bool {
        self.inner.train_ratings.is_some()
    }
    #[napi(getter)]
    pub fn test_negatives(&self) -> u32 {
        self.inner.test.as_ref().map_or(0, |t| t.per_case - 1)
    }
    #[napi(getter)]
    pub fn duplicates_removed(&self) -> f64 {
        self.inner.duplicates_removed as f64
    }
}
