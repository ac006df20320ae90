//! Rating baselines (global mean, user + item biases) for the TypeScript `Baseline` class.

use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::NcfError;
use ncf_core::baseline::{Baseline, BaselineKind};

use crate::dataset::NativeDataset;
use crate::errors::{IntoNapi, to_napi, to_u32};
use crate::job::Job;
use crate::model::NativeRatingMetrics;

/// A rating baseline; fitted by `fit`, then `predict` and `evaluate` (CPU sums).
#[napi]
pub struct NativeBaseline {
    kind: BaselineKind,
    clip: bool,
    fitted: Arc<Mutex<Option<Arc<Baseline>>>>,
}

#[napi]
impl NativeBaseline {
    /// `kind` is 'mean' or 'bias'.
    #[napi(constructor)]
    pub fn new(kind: String, reg_user: f64, reg_item: f64, iterations: f64, clip: bool) -> napi::Result<Self> {
        let kind = match kind.as_str() {
            "mean" => BaselineKind::GlobalMean,
            "bias" => BaselineKind::Bias {
                reg_user: reg_user as f32,
                reg_item: reg_item as f32,
                iterations: to_u32("iterations", iterations)?,
            },
            other => {
                return Err(to_napi(NcfError::invalid("kind", format!("must be 'mean' or 'bias', got '{other}'"))));
            }
        };
        Ok(NativeBaseline { kind, clip, fitted: Arc::new(Mutex::new(None)) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn fit(&self, data: &NativeDataset) -> AsyncTask<Job<()>> {
        let (d, kind, clip, slot) = (data.inner.clone(), self.kind, self.clip, self.fitted.clone());
        Job::spawn(move || {
            let b = Baseline::fit(&d, kind, clip).napi()?;
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(b));
            Ok(())
        })
    }

    fn fitted(&self) -> napi::Result<Arc<Baseline>> {
        self.fitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| to_napi(NcfError::invalid("baseline", "is not fitted yet: call fit(data) first")))
    }

    #[napi]
    pub fn predict(&self, users: Uint32Array, items: Uint32Array) -> napi::Result<Float32Array> {
        if users.len() != items.len() {
            return Err(to_napi(NcfError::invalid(
                "items",
                format!("has {} entries but users has {}", items.len(), users.len()),
            )));
        }
        Ok(self.fitted()?.predict(&users, &items).into())
    }

    #[napi(ts_return_type = "Promise<NativeRatingMetrics>")]
    pub fn evaluate(&self, data: &NativeDataset) -> napi::Result<AsyncTask<Job<NativeRatingMetrics>>> {
        let (b, d) = (self.fitted()?, data.inner.clone());
        Ok(Job::spawn(move || {
            let m = b.evaluate(&d).napi()?;
            Ok(NativeRatingMetrics {
                rmse: m.rmse,
                mae: m.mae,
                r2: m.r2,
                count: m.count as u32,
                backend: "cpu".into(),
                fallback_reason: None,
            })
        }))
    }
}
