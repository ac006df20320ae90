//! One epoch's record as the caller sees it, and as a checkpoint stores the history of the
//! run (the JSON shape earlier versions wrote, so their checkpoints still resume).

use serde::{Deserialize, Serialize};

use super::control::Outcome;
use crate::metrics::RatingMetrics;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub hr: f64,
    pub ndcg: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub rmse: f64,
    pub mae: f64,
    pub r2: f64,
}

impl From<RatingMetrics> for Rating {
    fn from(m: RatingMetrics) -> Self {
        Rating { rmse: m.rmse, mae: m.mae, r2: m.r2 }
    }
}

/// What one epoch of a fit did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochRecord {
    pub epoch: u32,
    pub loss: f64,
    pub samples: f64,
    /// The learning rate this epoch trained with.
    pub lr: f64,
    pub seconds: f64,
    /// Test metrics (reported only, never used to choose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndcg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Ranking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_rating: Option<Rating>,
    /// The best validation epoch so far (not stored: the checkpoint's counters carry it).
    #[serde(skip)]
    pub best_epoch: Option<u32>,
    /// Early stopping ended the fit after this epoch.
    #[serde(skip)]
    pub stop: bool,
}

impl From<&Outcome> for EpochRecord {
    fn from(o: &Outcome) -> Self {
        let r = &o.report;
        EpochRecord {
            epoch: r.epoch,
            loss: r.loss,
            samples: r.samples as f64,
            lr: o.lr,
            seconds: r.seconds,
            hr: r.metrics.map(|m| m.hr),
            ndcg: r.metrics.map(|m| m.ndcg),
            validation: r.validation.map(|m| Ranking { hr: m.hr, ndcg: m.ndcg }),
            rating: r.rating.map(Rating::from),
            train_rating: r.train_rating.map(Rating::from),
            validation_rating: r.validation_rating.map(Rating::from),
            best_epoch: o.best_epoch,
            stop: o.stop,
        }
    }
}
