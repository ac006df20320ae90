//! Rating baselines (global mean, user + item biases) for the TypeScript `Baseline` class.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::baseline::{Baseline, BaselineKind, baseline_from_json};
use ncf_core::raw::IdEncoder;
use ncf_core::recommender::Ids;

use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, Result, to_napi};
use crate::job::Job;
use crate::modes::BackendName;
use crate::results::NativeRatingMetrics;

/// A rating baseline; fitted by `fit`, then `predict` and `evaluate` (CPU sums).
#[napi]
pub struct NativeBaseline {
    kind: BaselineKind,
    clip: bool,
    fitted: Arc<Mutex<Option<Fitted>>>,
}

/// A fitted baseline and the ids of the dataset it was fitted on.
#[derive(Clone)]
struct Fitted {
    baseline: Arc<Baseline>,
    users: Option<Arc<IdEncoder>>,
    items: Option<Arc<IdEncoder>>,
}

#[napi]
impl NativeBaseline {
    /// A baseline from `new Baseline`'s options, as JSON the core reads.
    #[napi(constructor)]
    pub fn new(options: String) -> Result<Self> {
        let (kind, clip) = baseline_from_json(&options).napi()?;
        Ok(NativeBaseline { kind, clip, fitted: Arc::new(Mutex::new(None)) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn fit(&self, data: &NativeDataset) -> AsyncTask<Job<()>> {
        let (d, kind, clip, slot) = (data.inner.clone(), self.kind, self.clip, self.fitted.clone());
        let (users, items) = (data.users.clone(), data.items.clone());
        Job::spawn(move || {
            let b = Baseline::fit(&d, kind, clip).napi()?;
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Fitted { baseline: Arc::new(b), users, items });
            Ok(())
        })
    }

    fn fitted(&self) -> Result<Fitted> {
        self.fitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| to_napi(NcfError::invalid("baseline", "is not fitted yet: call fit(data) first")))
    }

    #[napi]
    pub fn predict(&self, users: Uint32Array, items: Uint32Array) -> Result<Float32Array> {
        let b = self.fitted()?.baseline;
        b.check_pairs(&users, &items).napi()?;
        Ok(b.predict(&users, &items).into())
    }

    #[napi(ts_return_type = "Promise<NativeRatingMetrics>")]
    pub fn evaluate(&self, data: &NativeDataset) -> Result<AsyncTask<Job<NativeRatingMetrics>>> {
        let f = self.fitted()?;
        let fitted = Ids { users: f.users.clone(), items: f.items.clone() };
        f.baseline.check_data(&fitted, &data.corpus()).napi()?;
        let (b, d) = (f.baseline, data.inner.clone());
        Ok(Job::spawn(move || {
            let m = b.evaluate(&d).napi()?;
            Ok(NativeRatingMetrics::of(m, BackendName::Cpu, None))
        }))
    }
}
