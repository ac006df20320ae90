use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::Dataset;
use ncf_core::ncf_files::{NcfPaths, load_ncf};
use ncf_core::synthetic::{SyntheticConfig, synthetic};

use crate::errors::{IntoNapi, to_u32};
use crate::job::Job;

#[napi(object)]
pub struct NcfFilesOptions {
    pub train: String,
    pub test_rating: Option<String>,
    pub test_negative: Option<String>,
    pub num_users: Option<f64>,
    pub num_items: Option<f64>,
}

#[napi(object)]
pub struct SyntheticOptions {
    pub num_users: f64,
    pub num_items: f64,
    pub per_user: f64,
    pub clusters: f64,
    pub test_negatives: f64,
    pub seed: f64,
}

/// Native dataset handle; wrapped by `Dataset` in index.ts.
#[napi]
pub struct NativeDataset {
    pub(crate) inner: Arc<Dataset>,
}

fn opt_u32(field: &str, v: Option<f64>) -> napi::Result<Option<u32>> {
    v.map(|x| to_u32(field, x)).transpose()
}

#[napi]
impl NativeDataset {
    #[napi(ts_return_type = "Promise<NativeDataset>")]
    pub fn from_ncf_files(opts: NcfFilesOptions) -> napi::Result<AsyncTask<Job<NativeDataset>>> {
        let nu = opt_u32("numUsers", opts.num_users)?;
        let ni = opt_u32("numItems", opts.num_items)?;
        let paths = NcfPaths {
            train: PathBuf::from(opts.train),
            test_rating: opts.test_rating.map(PathBuf::from),
            test_negative: opts.test_negative.map(PathBuf::from),
        };
        Ok(Job::spawn(move || Ok(NativeDataset { inner: Arc::new(load_ncf(&paths, nu, ni).napi()?) })))
    }

    #[napi]
    pub fn from_arrays(
        users: Int32Array,
        items: Int32Array,
        num_users: Option<f64>,
        num_items: Option<f64>,
    ) -> napi::Result<NativeDataset> {
        let check =
            |field: &str, v: Option<f64>| -> napi::Result<Option<i64>> { Ok(opt_u32(field, v)?.map(|x| x as i64)) };
        let d =
            Dataset::from_signed_arrays(&users, &items, check("numUsers", num_users)?, check("numItems", num_items)?)
                .napi()?;
        Ok(NativeDataset { inner: Arc::new(d) })
    }

    #[napi]
    pub fn synthetic(opts: SyntheticOptions) -> napi::Result<NativeDataset> {
        let cfg = SyntheticConfig {
            num_users: to_u32("numUsers", opts.num_users)?,
            num_items: to_u32("numItems", opts.num_items)?,
            per_user: to_u32("perUser", opts.per_user)?,
            clusters: to_u32("clusters", opts.clusters)?,
            test_negatives: to_u32("testNegatives", opts.test_negatives)?,
            seed: to_u32("seed", opts.seed)?,
        };
        Ok(NativeDataset { inner: Arc::new(synthetic(cfg).napi()?) })
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
    #[napi(getter)]
    pub fn test_negatives(&self) -> u32 {
        self.inner.test.as_ref().map_or(0, |t| t.per_case - 1)
    }
    #[napi(getter)]
    pub fn duplicates_removed(&self) -> f64 {
        self.inner.duplicates_removed as f64
    }
}
