//! Saving and loading a recommender: one safetensors file (`crate::persist`) with the weights,
//! the ids, the seen items, the rating scale and the caller's `info`, written from CPU-side
//! weights whatever backend trained them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Ids, Recommender, Task};
use crate::error::Result;
use crate::metrics::RatingScale;
use crate::model::Params;
use crate::persist::{self, Extras, Loaded};
use crate::raw::IdEncoder;
use crate::train::AlsSpec;

/// `info` key marking NeuMF-pre, so a loaded model keeps fine-tuning with SGD by default.
const PRETRAINED: &str = "pretrained";
/// `info` key marking an iALS model (`"als"`), so a loaded one is an ALS again.
const TRAINER: &str = "trainer";
/// `info` key of an iALS model's objective (`{ reg, alpha }`), which fold-in solves with.
const ALS_SPEC: &str = "alsObjective";

/// A save, ready to run off the caller's thread.
pub struct Save {
    path: PathBuf,
    params: Params,
    extras: Extras,
}

impl Save {
    pub fn run(self) -> Result<()> {
        persist::save(&self.path, &self.params, self.extras)
    }
}

impl Recommender {
    /// Prepares writing the model file atomically; `seen: false` leaves the seen items out.
    pub fn save(&self, path: &Path, info: serde_json::Map<String, serde_json::Value>, seen: bool) -> Result<Save> {
        let mut info = info;
        if self.pretrained {
            info.insert(PRETRAINED.into(), serde_json::Value::Bool(true));
        }
        if let Some(spec) = self.als_spec() {
            info.insert(TRAINER.into(), serde_json::Value::String("als".into()));
            info.insert(ALS_SPEC.into(), serde_json::json!({ "reg": spec.reg, "alpha": spec.alpha }));
        }
        let params = self.weights()?;
        let ids = match self.ids() {
            Ids { users: Some(u), items: Some(i) } => Some((u.ids().to_vec(), i.ids().to_vec())),
            _ => None,
        };
        let seen = if seen { self.seen() } else { None };
        let rating = self.scale_for("save")?;
        Ok(Save { path: path.to_path_buf(), params, extras: Extras { info, ids, seen, rating } })
    }

    /// Reads a model file written by [`Recommender::save`] (any format version it can read).
    pub fn load(path: &Path) -> Result<Recommender> {
        let Loaded { params, meta, seen } = persist::load(path)?;
        let pretrained = meta.info.get(PRETRAINED) == Some(&serde_json::Value::Bool(true));
        let mut m = Recommender::from_params(params, pretrained);
        let als = meta.info.get(TRAINER).and_then(|v| v.as_str()) == Some("als")
            && m.layout().kind == crate::model::ModelKind::Mf
            && !m.layout().biases;
        if als {
            // Files from before the objective was stored solve fold-in rows with the defaults.
            let stored = meta.info.get(ALS_SPEC);
            let num = |k: &str| stored.and_then(|a| a.get(k)).and_then(|v| v.as_f64()).map(|v| v as f32);
            let spec = match (num("reg"), num("alpha")) {
                (Some(reg), Some(alpha)) => AlsSpec { reg, alpha, ..AlsSpec::default() },
                _ => AlsSpec::default(),
            };
            m.als = Some(Arc::new(Mutex::new(spec)));
        }
        if let Some(r) = meta.rating {
            let scale = RatingScale::from(r);
            m.task = Arc::new(Mutex::new(Task::Rating { clip: scale.clip, scale: Some(scale) }));
        }
        m.seen = Arc::new(Mutex::new(seen.map(Arc::new)));
        m.info = Arc::new(Mutex::new(Some(meta.info)));
        if let (Some(u), Some(i)) = (meta.user_ids, meta.item_ids) {
            let enc = |v| IdEncoder::from_ids(v).map(Arc::new);
            m.ids = Arc::new(Mutex::new(Ids { users: Some(enc(u)?), items: Some(enc(i)?) }));
        }
        Ok(m)
    }
}
