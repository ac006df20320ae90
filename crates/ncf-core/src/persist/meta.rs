//! The model file's JSON description (under the `ncf_native` metadata key): ids, layout,
//! rating scale, feature slots, format version.

use serde::{Deserialize, Serialize};

use crate::error::{NcfError, Result};
use crate::features::FeatureKind;
use crate::features::Slot;
use crate::metrics::RatingScale;
use crate::model::{FeatureInputs, Layout, ModelKind, Tower};

/// Version of the file layout this build writes; files from a newer version are refused.
/// 3: a CRC-32C over the whole file, ids as tensors, strict metadata. 2: per-entity biases and
/// GMF-branch features. Every older version still loads.
pub const FORMAT_VERSION: u32 = 3;
pub(super) const META_KEY: &str = "ncf_native";

/// What a model file says about its model (the JSON under `ncf_native`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    pub format_version: u32,
    /// "GMF", "MF", "MLP" or "NeuMF".
    pub kind: String,
    pub num_users: u32,
    pub num_items: u32,
    /// Width of the GMF / MF embeddings (0 for MLP).
    pub factors: u32,
    /// The MLP tower (empty for GMF and MF).
    pub layers: Vec<u32>,
    /// Free-form description kept with the model (hyperparameters, training summary).
    #[serde(default)]
    pub info: serde_json::Map<String, serde_json::Value>,
    /// The caller's user and item ids in index order (the ID encoders), when the model was
    /// trained on a dataset read with its own ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_ids: Option<Vec<String>>,
    /// Rating regression models: how scores become ratings (`task: 'rating'`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingMeta>,
    /// Side features: the slots of each side (their bags are the `*_features.bag_*` tensors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_features: Option<Vec<SlotMeta>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_features: Option<Vec<SlotMeta>>,
    /// Where the side features enter: `"mlp"` (absent: the tower), `"gmf"` or `"both"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features_in: Option<String>,
    /// Whether z has per-user and per-item biases; absent means the kind's default (MF: yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biases: Option<bool>,
}

/// One side-feature slot, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotMeta {
    pub name: String,
    /// "multi", "categorical" or "numeric".
    pub kind: String,
    pub dim: u32,
    pub vocab: Vec<String>,
    #[serde(default)]
    pub mean: Vec<f32>,
    #[serde(default)]
    pub std: Vec<f32>,
}

pub(super) fn slot_meta(s: &Slot) -> SlotMeta {
    let kind = match s.kind {
        FeatureKind::Multi => "multi",
        FeatureKind::Categorical => "categorical",
        FeatureKind::Numeric => "numeric",
    };
    SlotMeta {
        name: s.name.clone(),
        kind: kind.into(),
        dim: s.dim,
        vocab: s.vocab.clone(),
        mean: s.mean.clone(),
        std: s.std.clone(),
    }
}

pub(super) fn slot_of(m: &SlotMeta) -> std::result::Result<Slot, String> {
    let kind = match m.kind.as_str() {
        "multi" => FeatureKind::Multi,
        "categorical" => FeatureKind::Categorical,
        "numeric" => FeatureKind::Numeric,
        other => return Err(format!("feature slot '{}' has unknown kind '{other}'", m.name)),
    };
    if m.dim == 0
        || m.dim > 1024
        || (kind == FeatureKind::Numeric && (m.mean.len() != m.vocab.len() || m.std.len() != m.vocab.len()))
    {
        return Err(format!("feature slot '{}' is malformed", m.name));
    }
    Ok(Slot {
        name: m.name.clone(),
        kind,
        dim: m.dim,
        vocab: m.vocab.clone(),
        mean: m.mean.clone(),
        std: m.std.clone(),
    })
}

/// The rating scale of a rating-regression model, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingMeta {
    pub mean: f32,
    pub min: f32,
    pub max: f32,
    pub clip: bool,
}

impl From<RatingMeta> for RatingScale {
    fn from(m: RatingMeta) -> Self {
        RatingScale { mean: m.mean, min: m.min, max: m.max, clip: m.clip }
    }
}

impl From<RatingScale> for RatingMeta {
    fn from(s: RatingScale) -> Self {
        RatingMeta { mean: s.mean, min: s.min, max: s.max, clip: s.clip }
    }
}

impl ModelMeta {
    pub fn of(layout: Layout) -> Self {
        ModelMeta {
            format_version: FORMAT_VERSION,
            kind: layout.kind.name().to_string(),
            num_users: layout.num_users,
            num_items: layout.num_items,
            factors: layout.factors,
            layers: layout.tower.sizes().to_vec(),
            info: Default::default(),
            user_ids: None,
            item_ids: None,
            rating: None,
            user_features: None,
            item_features: None,
            biases: Some(layout.biases),
            features_in: layout.features.inputs().map(|i| i.name().to_string()),
        }
    }

    pub(super) fn layout(&self) -> Result<Layout> {
        let l = self.layout_of_kind()?;
        match self.biases {
            Some(b) if b != l.biases => l.with_biases(b),
            _ => Ok(l),
        }
    }

    fn layout_of_kind(&self) -> Result<Layout> {
        let kind = match self.kind.as_str() {
            "GMF" => ModelKind::Gmf,
            "MF" => ModelKind::Mf,
            "MLP" => ModelKind::Mlp,
            "NeuMF" => ModelKind::NeuMf,
            other => return Err(NcfError::invalid("kind", format!("unknown model kind '{other}'"))),
        };
        let l = if kind.is_neural() {
            Layout::neural(kind, self.num_users, self.num_items, self.factors, Tower::new(&self.layers)?)?
        } else {
            Layout::new(kind, self.num_users, self.num_items, self.factors)?
        };
        if self.user_features.is_none() && self.item_features.is_none() {
            return Ok(l);
        }
        let inputs = match &self.features_in {
            Some(s) => FeatureInputs::parse(s)?,
            None => FeatureInputs::Tower,
        };
        let (t, g) = (inputs.tower() as u64, inputs.gmf() as u64 * self.factors as u64);
        // Per side: tower width, tower table length, GMF-branch table length; in u64, so a
        // forged vocabulary cannot wrap them into sizes that pass the checks.
        let too_big = || NcfError::invalid("features", "the slots describe tables too large for a model");
        let dims = |slots: &Option<Vec<SlotMeta>>| -> Result<(u32, u32, u32)> {
            let Some(slots) = slots else { return Ok((0, 0, 0)) };
            let mut w = (0u64, 0u64, 0u64);
            for m in slots {
                let s = slot_of(m).map_err(|e| NcfError::invalid("features", e))?;
                let rows = s.vocab.len() as u64 + (s.kind == FeatureKind::Categorical) as u64;
                w.0 += s.dim as u64 * t;
                w.1 += rows * s.dim as u64 * t;
                w.2 += rows * g;
            }
            let fit = |x: u64| u32::try_from(x).ok().filter(|&x| x <= u32::MAX / 4).ok_or_else(too_big);
            Ok((fit(w.0)?, fit(w.1)?, fit(w.2)?))
        };
        let ((uw, ut, ug), (iw, it, ig)) = (dims(&self.user_features)?, dims(&self.item_features)?);
        l.with_features(crate::model::FeatureDims {
            user_width: uw,
            item_width: iw,
            user_table: ut,
            item_table: it,
            gmf_user_table: ug,
            gmf_item_table: ig,
        })
    }
}
