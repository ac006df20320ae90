use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::Dataset;
use ncf_core::data::ncf_files::{NcfPaths, load_ncf};
use ncf_core::data::scale::{ScaleConfig, synthetic_at_scale};
use ncf_core::data::synthetic::{SyntheticConfig, synthetic};

use ncf_core::NcfError;
use ncf_core::data::split::SplitMethod;
use ncf_core::model::ModelFeatures;
use ncf_core::raw::{CsvSpec, Format, IdEncoder, ReadPhase, from_id_arrays, read_with_progress, to_dataset};

use crate::features::NativeFeatures;
use crate::modes::{FileFormat, IdKind, Side, SplitMethodName};
use ncf_core::recommender::{Corpus, IdSide};

use crate::convert::opt_u32;
use crate::dataset_options::{
    ArrayExtras, FileOptions, NcfFilesOptions, ScaleOptions, ScaleSize, SplitOptions, SyntheticOptions, column, rated,
    read_limits, timestamps,
};
use crate::errors::{IntoNapi, Result, non_negative_integer, to_napi, to_u32};
use crate::job::Job;
use crate::progress::NativeReadProgress;

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
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn from_ncf_files(opts: NcfFilesOptions) -> Result<AsyncTask<Job<NativeDataset>>> {
        let nu = opt_u32("numUsers", opts.num_users)?;
        let ni = opt_u32("numItems", opts.num_items)?;
        let paths = NcfPaths {
            train: PathBuf::from(opts.train),
            test_rating: opts.test_rating.map(PathBuf::from),
            test_negative: opts.test_negative.map(PathBuf::from),
        };
        Ok(Job::spawn(move || Ok(NativeDataset::plain(load_ncf(&paths, nu, ni).napi()?))))
    }

    /// Reads an interaction file in the caller's own ids (CSV/TSV, MovieLens, Netflix; `.gz`),
    /// reporting into `progress` as it goes, when given.
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn from_file(
        path: String,
        opts: FileOptions,
        progress: Option<&NativeReadProgress>,
    ) -> Result<AsyncTask<Job<NativeDataset>>> {
        let limits = read_limits(&opts)?;
        let format = match opts.format {
            FileFormat::Movielens => Format::MovieLens,
            FileFormat::Netflix => Format::Netflix,
            FileFormat::Csv => {
                let delimiter = match opts.delimiter.as_deref().unwrap_or(",").as_bytes() {
                    [d] => *d,
                    b"\\t" => b'\t',
                    _ => return Err(to_napi(NcfError::invalid("delimiter", "must be one ASCII character"))),
                };
                Format::Csv(CsvSpec {
                    delimiter,
                    has_header: opts.header.unwrap_or(true),
                    user: column("user", opts.user, Some(0))?.expect("defaulted"),
                    item: column("item", opts.item, Some(1))?.expect("defaulted"),
                    rating: column("rating", opts.rating, None)?,
                    timestamp: column("timestamp", opts.timestamp, None)?,
                })
            }
        };
        let threshold = opts.threshold.map(|t| t as f32);
        let negatives = opt_u32("testNegatives", opts.test_negatives)?.unwrap_or(0);
        let seed = opt_u32("seed", opts.seed)?.unwrap_or(0);
        if opts.test.is_none() && opts.test_negatives.is_some() {
            return Err(to_napi(NcfError::invalid("testNegatives", "applies with a test file (test: path)")));
        }
        let test = opts.test;
        let progress = progress.map(|p| p.inner.clone());
        if let Some(p) = &progress {
            p.begin(if test.is_some() { 2 } else { 1 });
        }
        Ok(Job::spawn(move || {
            let p = progress.as_deref();
            let read = |f: &str| read_with_progress(std::path::Path::new(f), &format, limits, threshold, p).napi();
            let raw = read(&path)?;
            let held = test.as_deref().map(read).transpose()?;
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
    pub fn split(&self, opts: SplitOptions) -> Result<AsyncTask<Job<NativeDataset>>> {
        let (n, seed) = (to_u32("negatives", opts.negatives)?, to_u32("seed", opts.seed)?);
        let ratio = |what: &str| -> Result<(f64, f64)> {
            if opts.validation.is_some() {
                return Err(to_napi(NcfError::invalid(
                    "validation",
                    format!("applies to leave-one-out; the '{what}' split takes validationRatio"),
                )));
            }
            Ok((opts.test_ratio.unwrap_or(0.2), opts.validation_ratio.unwrap_or(0.0)))
        };
        let method = match opts.method {
            SplitMethodName::LeaveOneOut => {
                for (field, v) in [("testRatio", opts.test_ratio), ("validationRatio", opts.validation_ratio)] {
                    if v.is_some() {
                        return Err(to_napi(NcfError::invalid(
                            field,
                            "applies to the 'random' and 'time' splits; leave-one-out holds out one interaction per user",
                        )));
                    }
                }
                SplitMethod::LeaveOneOut { validation: opts.validation.unwrap_or(false) }
            }
            SplitMethodName::Random => {
                let (test, validation) = ratio("random")?;
                SplitMethod::Random { test, validation }
            }
            SplitMethodName::Time => {
                let (test, validation) = ratio("time")?;
                SplitMethod::Time { test, validation }
            }
        };
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

    /// Dense indices from typed arrays; optional timestamps and a rating threshold.
    #[napi]
    pub fn from_arrays(
        users: Int32Array,
        items: Int32Array,
        num_users: Option<f64>,
        num_items: Option<f64>,
        extra: ArrayExtras,
    ) -> Result<NativeDataset> {
        let check = |field: &str, v: Option<f64>| -> Result<Option<i64>> { Ok(opt_u32(field, v)?.map(|x| x as i64)) };
        let ts = extra.timestamps.as_deref().map(timestamps).transpose()?;
        let rated = rated(&extra)?;
        let d = Dataset::from_signed_arrays(
            &users,
            &items,
            ts.as_deref(),
            rated.as_ref().map(|(r, t)| (r.as_slice(), *t)),
            check("numUsers", num_users)?,
            check("numItems", num_items)?,
        )
        .napi()?;
        Ok(NativeDataset::plain(d))
    }

    /// The caller's own ids (strings; numbers arrive as their decimal text), encoded in
    /// sorted id order as `fromFile` does.
    #[napi]
    pub fn from_id_arrays(users: Vec<String>, items: Vec<String>, extra: ArrayExtras) -> Result<NativeDataset> {
        let ts = extra.timestamps.as_deref().map(timestamps).transpose()?;
        let rated = rated(&extra)?;
        let threshold = rated.as_ref().and_then(|r| r.1);
        let raw = from_id_arrays(users, items, rated.map(|r| r.0), ts, threshold).napi()?;
        let (d, users, items) = to_dataset(raw).napi()?;
        Ok(NativeDataset {
            inner: Arc::new(d),
            users: Some(Arc::new(users)),
            items: Some(Arc::new(items)),
            features: None,
        })
    }

    #[napi]
    pub fn synthetic(opts: SyntheticOptions) -> Result<NativeDataset> {
        let cfg = SyntheticConfig {
            num_users: to_u32("numUsers", opts.num_users)?,
            num_items: to_u32("numItems", opts.num_items)?,
            per_user: to_u32("perUser", opts.per_user)?,
            clusters: to_u32("clusters", opts.clusters)?,
            test_negatives: to_u32("testNegatives", opts.test_negatives)?,
            seed: to_u32("seed", opts.seed)?,
        };
        Ok(NativeDataset::plain(synthetic(cfg).napi()?))
    }

    /// Seeded synthetic data at ML-20M or Netflix size, generated on the thread pool.
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn synthetic_at_scale(opts: ScaleOptions) -> Result<AsyncTask<Job<NativeDataset>>> {
        let size = opts.size.map(|s| match s {
            ScaleSize::Ml20m => "ml-20m",
            ScaleSize::Netflix => "netflix",
        });
        let interactions = match opts.interactions {
            Some(v) if !(v.is_finite() && v.fract() == 0.0 && v >= 0.0) => {
                return Err(to_napi(ncf_core::NcfError::invalid("interactions", non_negative_integer(v))));
            }
            v => v.map(|v| v as u64),
        };
        let mut cfg = ScaleConfig::resolve(
            size,
            opt_u32("numUsers", opts.num_users)?,
            opt_u32("numItems", opts.num_items)?,
            interactions,
        )
        .napi()?;
        let set = |field: &str, v: Option<f64>, into: &mut u32| -> Result<()> {
            if let Some(v) = v {
                *into = to_u32(field, v)?;
            }
            Ok(())
        };
        set("minPerUser", opts.min_per_user, &mut cfg.min_per_user)?;
        set("clusters", opts.clusters, &mut cfg.clusters)?;
        set("testUsers", opts.test_users, &mut cfg.test_users)?;
        set("testNegatives", opts.test_negatives, &mut cfg.test_negatives)?;
        set("seed", opts.seed, &mut cfg.seed)?;
        if let Some(v) = opts.in_cluster {
            cfg.in_cluster = v as f32;
        }
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
        dim: f64,
    ) -> Result<NativeDataset> {
        let dim = to_u32("dim", dim)?;
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
