//! The objects results cross as: metrics, ranked lists (flattened into typed arrays), epochs.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use ncf_core::backend::Backend;
use ncf_core::fit::EpochRecord;
use ncf_core::infer::Ranked;
use ncf_core::{RankMetrics, RatingMetrics};

use crate::modes::BackendName;

#[napi(object)]
pub struct NativeMetrics {
    pub k: u32,
    pub hr: f64,
    pub ndcg: f64,
    pub cases: u32,
    /// Recall@K of the full-ranking protocol.
    pub recall: Option<f64>,
    pub backend: BackendName,
    /// Why `'auto'` fell back to the CPU, if it did.
    pub fallback_reason: Option<String>,
}

impl NativeMetrics {
    pub fn of(m: RankMetrics, b: &dyn Backend) -> Self {
        NativeMetrics {
            k: m.k,
            hr: m.hr,
            ndcg: m.ndcg,
            cases: m.cases as u32,
            recall: m.recall,
            backend: b.kind().into(),
            fallback_reason: b.fallback().map(str::to_string),
        }
    }
}

/// RMSE / MAE / R² of a rating model on held-out ratings.
#[napi(object)]
pub struct NativeRatingMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
    pub count: u32,
    pub backend: BackendName,
    pub fallback_reason: Option<String>,
}

impl NativeRatingMetrics {
    pub fn of(m: RatingMetrics, backend: BackendName, fallback_reason: Option<String>) -> Self {
        NativeRatingMetrics { rmse: m.rmse, mae: m.mae, r2: m.r2, count: m.count as u32, backend, fallback_reason }
    }
}

/// Recommendations of several users, flattened: user `r`'s items are
/// `items[offsets[r]..offsets[r + 1]]`, best first.
#[napi(object)]
pub struct NativeRanked {
    pub offsets: Uint32Array,
    pub items: Uint32Array,
    pub scores: Float32Array,
    pub backend: BackendName,
    pub fallback_reason: Option<String>,
}

impl NativeRanked {
    pub fn of(list: Vec<Ranked>, b: &dyn Backend) -> Self {
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
            backend: b.kind().into(),
            fallback_reason: b.fallback().map(str::to_string),
        }
    }
}

/// How a rating model turns scores into ratings: r̂ = z + mean, clipped to [min, max].
#[napi(object)]
pub struct NativeRatingScale {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub clip: bool,
}

/// Row-major vectors of every user or item.
#[napi(object)]
pub struct NativeEmbeddings {
    pub dim: u32,
    pub data: Float32Array,
}

/// What a fold-in changed (`ALS.foldIn`).
#[napi(object)]
pub struct NativeFoldIn {
    pub added_users: u32,
    pub updated_users: u32,
    pub added_items: u32,
    pub updated_items: u32,
}

impl From<ncf_core::recommender::FoldInReport> for NativeFoldIn {
    fn from(r: ncf_core::recommender::FoldInReport) -> Self {
        NativeFoldIn {
            added_users: r.added_users,
            updated_users: r.updated_users,
            added_items: r.added_items,
            updated_items: r.updated_items,
        }
    }
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
    /// Early stopping ended training after this epoch.
    pub stop: bool,
    pub seconds: f64,
}

impl From<&EpochRecord> for NativeEpoch {
    fn from(r: &EpochRecord) -> Self {
        NativeEpoch {
            epoch: r.epoch,
            loss: r.loss,
            samples: r.samples,
            hr: r.hr,
            ndcg: r.ndcg,
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
            lr: r.lr,
            best_epoch: r.best_epoch,
            stop: r.stop,
            seconds: r.seconds,
        }
    }
}
