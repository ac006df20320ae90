//! The model file: one safetensors file whose tensors are named like the reference PyTorch NCF
//! `state_dict` (`embed_user_GMF.weight`, `MLP_layers.0.weight`, `predict_layer.weight`, …),
//! with the model's description as JSON under the `ncf_native` metadata key. Weights are always
//! written from CPU-side parameters, so a file saved after GPU training loads on the CPU
//! backend and predicts the same.
//!
//! Writes are atomic: the bytes go to a temporary file in the target's folder, are synced, and
//! the temporary file is renamed over the target, so a crash leaves either the old file or the
//! new one, never a torn one.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::feature_set::{Bags, FeatureSet, Slot};
use crate::features::FeatureKind;
use crate::metrics::RatingScale;
use crate::model::{FeatureInputs, Layout, ModelFeatures, ModelKind, Params, Tower};

/// Version of the file layout this build writes; files from a newer version are refused.
pub const FORMAT_VERSION: u32 = 2;
const META_KEY: &str = "ncf_native";

/// What a model file says about its model (the JSON under `ncf_native`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

fn slot_meta(s: &Slot) -> SlotMeta {
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

fn slot_of(m: &SlotMeta) -> std::result::Result<Slot, String> {
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

    fn layout(&self) -> Result<Layout> {
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

/// The named tensors of a layout, in flat-parameter order: `(name, shape, range)`. The ranges
/// tile `0..layout.len()` exactly.
pub fn tensor_names(l: Layout) -> Vec<(String, Vec<usize>, Range<usize>)> {
    let (u, i, f) = (l.num_users as usize, l.num_items as usize, l.factors as usize);
    let mut out: Vec<(String, Vec<usize>, Range<usize>)> = Vec::new();
    let mut at = 0usize;
    let mut push = |name: String, shape: Vec<usize>| {
        let n: usize = shape.iter().product();
        out.push((name, shape, at..at + n));
        at += n;
    };
    let (user, item) =
        if l.kind == ModelKind::Mf { ("embed_user", "embed_item") } else { ("embed_user_GMF", "embed_item_GMF") };
    if f > 0 {
        push(format!("{user}.weight"), vec![u, f]);
        push(format!("{item}.weight"), vec![i, f]);
    }
    if l.kind.is_neural() {
        let e = l.tower.embedding() as usize;
        push("embed_user_MLP.weight".into(), vec![u, e]);
        push("embed_item_MLP.weight".into(), vec![i, e]);
        // Side-feature tables, flat (their slots are described in the metadata).
        for (name, n) in
            [("user_features.weight", l.features.user_table), ("item_features.weight", l.features.item_table)]
        {
            if n > 0 {
                push(name.into(), vec![n as usize]);
            }
        }
    }
    // The GMF-branch feature tables: every slot's rows stacked, `factors` wide.
    for (name, n) in [
        ("user_features_GMF.weight", l.features.gmf_user_table),
        ("item_features_GMF.weight", l.features.gmf_item_table),
    ] {
        if n > 0 {
            push(name.into(), vec![n as usize / f, f]);
        }
    }
    if l.kind.is_neural() {
        for layer in 1..=l.tower.layers() {
            let (inp, o) = l.tower.dims(layer);
            push(format!("MLP_layers.{}.weight", layer - 1), vec![o, inp]);
            push(format!("MLP_layers.{}.bias", layer - 1), vec![o]);
        }
    }
    if l.h_len() > 0 {
        push("predict_layer.weight".into(), vec![1, l.h_len()]);
    }
    if l.biases {
        push("user_bias.weight".into(), vec![u, 1]);
        push("item_bias.weight".into(), vec![i, 1]);
    }
    push(if l.kind == ModelKind::Mf { "bias" } else { "predict_layer.bias" }.into(), vec![1]);
    out
}

/// The file's bytes for `params` described by `meta` (its layout fields are overwritten from
/// `params`, so they always agree).
/// What a file stores besides the weights.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    pub info: serde_json::Map<String, serde_json::Value>,
    /// `(users, items)` ids in index order.
    pub ids: Option<(Vec<String>, Vec<String>)>,
    /// Each user's known items (training and held-out positives), stored as the I32 tensors `seen.indptr` and `seen.indices`
    /// (CSR), so `excludeSeen` works after a restart. They are not module parameters: PyTorch
    /// readers load with `strict=False` or drop the `seen.` keys.
    pub seen: Option<Arc<Csr>>,
    /// The rating scale of a rating-regression model.
    pub rating: Option<RatingScale>,
}

/// What a model file holds.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub params: Params,
    pub meta: ModelMeta,
    pub seen: Option<Csr>,
}

const SEEN_PTR: &str = "seen.indptr";
const SEEN_COLS: &str = "seen.indices";

/// Checks a stored seen-items matrix against the model's users and items.
fn check_seen(ptr: &[u32], cols: &[u32], l: Layout) -> std::result::Result<(), String> {
    if ptr.len() != l.num_users as usize + 1 || ptr[0] != 0 || *ptr.last().unwrap_or(&0) as usize != cols.len() {
        return Err(format!("'{SEEN_PTR}' does not index {} users over {} items", l.num_users, cols.len()));
    }
    for u in 0..l.num_users as usize {
        let (a, b) = (ptr[u], ptr[u + 1]);
        if a > b || b as usize > cols.len() {
            return Err(format!("'{SEEN_PTR}' is not a non-decreasing index into '{SEEN_COLS}' at user {u}"));
        }
        let row = &cols[a as usize..b as usize];
        if row.windows(2).any(|w| w[0] >= w[1]) || row.last().is_some_and(|&i| i >= l.num_items) {
            return Err(format!("'{SEEN_COLS}' of user {u} are not increasing item indices below {}", l.num_items));
        }
    }
    Ok(())
}

pub fn to_bytes(params: &Params, extras: Extras) -> Result<Vec<u8>> {
    let mut meta = ModelMeta::of(params.layout);
    meta.info = extras.info;
    meta.rating = extras.rating.map(RatingMeta::from);
    let features = params.features.as_deref();
    meta.user_features = features.and_then(|f| f.users.as_ref()).map(|s| s.slots.iter().map(slot_meta).collect());
    meta.item_features = features.and_then(|f| f.items.as_ref()).map(|s| s.slots.iter().map(slot_meta).collect());
    if let Some((u, i)) = extras.ids {
        if u.len() != params.layout.num_users as usize || i.len() != params.layout.num_items as usize {
            return Err(NcfError::invalid(
                "ids",
                format!(
                    "{} user and {} item ids for a model of {} × {}",
                    u.len(),
                    i.len(),
                    params.layout.num_users,
                    params.layout.num_items
                ),
            ));
        }
        meta.user_ids = Some(u);
        meta.item_ids = Some(i);
    }
    let json = serde_json::to_string(&meta).map_err(|e| NcfError::Data(format!("model metadata: {e}")))?;
    let bytes: &[u8] = bytemuck::cast_slice(&params.data);
    let names = tensor_names(params.layout);
    let mut views = names
        .iter()
        .map(|(name, shape, r)| {
            TensorView::new(Dtype::F32, shape.clone(), &bytes[r.start * 4..r.end * 4]).map(|v| (name.clone(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| NcfError::Data(format!("model tensors: {e}")))?;
    let sides: Vec<(&str, &FeatureSet)> = features
        .map(|f| {
            [("user", &f.users), ("item", &f.items)]
                .into_iter()
                .filter_map(|(n, s)| s.as_ref().map(|s| (n, s)))
                .collect()
        })
        .unwrap_or_default();
    let bag_names: Vec<[String; 3]> = sides
        .iter()
        .map(|(n, _)| ["bag_ptr", "bag_rows", "bag_weights"].map(|t| format!("{n}_features.{t}")))
        .collect();
    for ((_, set), names) in sides.iter().zip(&bag_names) {
        let b = &set.bags;
        let parts: [(&str, Dtype, &[u8], usize); 3] = [
            (&names[0], Dtype::I32, bytemuck::cast_slice(&b.ptr), b.ptr.len()),
            (&names[1], Dtype::I32, bytemuck::cast_slice(&b.rows), b.rows.len()),
            (&names[2], Dtype::F32, bytemuck::cast_slice(&b.weights), b.weights.len()),
        ];
        for (name, dtype, bytes, n) in parts {
            let t =
                TensorView::new(dtype, vec![n], bytes).map_err(|e| NcfError::Data(format!("model tensors: {e}")))?;
            views.push((name.to_string(), t));
        }
    }
    if let Some(seen) = &extras.seen {
        let l = params.layout;
        if seen.num_users() != l.num_users || seen.cols.iter().any(|&i| i >= l.num_items) {
            return Err(NcfError::invalid(
                "seen",
                format!("does not fit a model of {} × {}", l.num_users, l.num_items),
            ));
        }
        if seen.cols.len() > i32::MAX as usize {
            return Err(NcfError::invalid("seen", "holds more than 2^31 interactions; save with seen: false"));
        }
        for (name, v) in [(SEEN_PTR, &seen.row_ptr), (SEEN_COLS, &seen.cols)] {
            let t = TensorView::new(Dtype::I32, vec![v.len()], bytemuck::cast_slice(v))
                .map_err(|e| NcfError::Data(format!("model tensors: {e}")))?;
            views.push((name.to_string(), t));
        }
    }
    safetensors::serialize(views, Some(HashMap::from([(META_KEY.to_string(), json)])))
        .map_err(|e| NcfError::Data(format!("model tensors: {e}")))
}

/// Parses a model file's bytes; `path` names it in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Loaded> {
    let bad = |message: String| NcfError::Format { path: path.to_path_buf(), message };
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a readable ncf-native model file (truncated or corrupted?): {e}")))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("unreadable header: {e}")))?;
    let json =
        header.metadata().as_ref().and_then(|m| m.get(META_KEY)).ok_or_else(|| {
            bad(format!("a safetensors file without the '{META_KEY}' metadata: not saved by ncf-native"))
        })?;
    let version: serde_json::Value =
        serde_json::from_str(json).map_err(|e| bad(format!("metadata is not JSON: {e}")))?;
    let v = version.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0);
    if v > FORMAT_VERSION as u64 {
        return Err(bad(format!(
            "written by a newer ncf-native (format version {v}; this build reads up to {FORMAT_VERSION}): upgrade ncf-native"
        )));
    }
    let meta: ModelMeta = serde_json::from_value(version).map_err(|e| bad(format!("metadata: {e}")))?;
    let layout = meta.layout().map_err(|e| bad(format!("metadata describes no valid model: {e}")))?;
    if let Some(r) = meta.rating
        && !(r.mean.is_finite() && r.min.is_finite() && r.max.is_finite() && r.min <= r.max)
    {
        return Err(bad(format!("the rating scale {r:?} is not a finite range")));
    }
    for (ids, n, what) in [(&meta.user_ids, layout.num_users, "user"), (&meta.item_ids, layout.num_items, "item")] {
        if let Some(ids) = ids
            && (ids.len() != n as usize || ids.iter().collect::<std::collections::HashSet<_>>().len() != ids.len())
        {
            return Err(bad(format!("the {what} ids are not {n} distinct ids")));
        }
    }
    let mut data = Vec::with_capacity(layout.len());
    for (name, shape, r) in tensor_names(layout) {
        let t = st.tensor(&name).map_err(|_| bad(format!("tensor '{name}' is missing")))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape.as_slice() {
            return Err(bad(format!("tensor '{name}' is {:?} {:?}, expected F32 {shape:?}", t.dtype(), t.shape())));
        }
        data.extend(t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        debug_assert_eq!(data.len(), r.end);
    }
    if let Some(k) = data.iter().position(|x| !x.is_finite()) {
        return Err(bad(format!("weight {k} is {}; the file is corrupted", data[k])));
    }
    let seen = match (st.tensor(SEEN_PTR), st.tensor(SEEN_COLS)) {
        (Err(_), Err(_)) => None,
        (Ok(p), Ok(c)) => {
            if p.dtype() != Dtype::I32 || c.dtype() != Dtype::I32 || p.shape().len() != 1 || c.shape().len() != 1 {
                return Err(bad("the seen-items tensors are not 1-D I32".into()));
            }
            let ints = |b: &[u8]| -> Vec<u32> {
                b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as u32).collect()
            };
            let (row_ptr, cols) = (ints(p.data()), ints(c.data()));
            check_seen(&row_ptr, &cols, layout).map_err(bad)?;
            Some(Csr { row_ptr, cols })
        }
        _ => return Err(bad(format!("holds only one of '{SEEN_PTR}' and '{SEEN_COLS}'"))),
    };
    let mut params = Params::from_vec(layout, data)?;
    if meta.user_features.is_some() || meta.item_features.is_some() {
        let side = |name: &str, slots: &Option<Vec<SlotMeta>>, entities: u32| -> Result<Option<FeatureSet>> {
            let Some(slots) = slots else { return Ok(None) };
            let slots: Vec<Slot> = slots.iter().map(slot_of).collect::<std::result::Result<_, _>>().map_err(bad)?;
            let get = |t: &str, dtype: Dtype| -> Result<Vec<u8>> {
                let v = st
                    .tensor(&format!("{name}_features.{t}"))
                    .map_err(|_| bad(format!("tensor '{name}_features.{t}' is missing")))?;
                if v.dtype() != dtype {
                    return Err(bad(format!("tensor '{name}_features.{t}' is not {dtype:?}")));
                }
                Ok(v.data().to_vec())
            };
            let ints = |b: Vec<u8>| -> Vec<u32> {
                b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            };
            let bags = Bags {
                ptr: ints(get("bag_ptr", Dtype::I32)?),
                rows: ints(get("bag_rows", Dtype::I32)?),
                weights: get("bag_weights", Dtype::F32)?
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            };
            let set = FeatureSet { slots, bags, entities };
            set.check().map_err(|e| bad(format!("the {name} feature bags are corrupted: {e}")))?;
            Ok(Some(set))
        };
        let f = ModelFeatures {
            users: side("user", &meta.user_features, layout.num_users)?,
            items: side("item", &meta.item_features, layout.num_items)?,
        };
        params = params.with_features(f).map_err(|e| bad(format!("side features: {e}")))?;
    }
    Ok(Loaded { params, meta, seen })
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let werr = |source| NcfError::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name =
        path.file_name().ok_or_else(|| NcfError::invalid("path", format!("'{}' names no file", path.display())))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(".{}.{}-{nanos}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(werr(e));
    }
    Ok(())
}

pub fn save(path: &Path, params: &Params, extras: Extras) -> Result<()> {
    write_atomic(path, &to_bytes(params, extras)?)
}

pub fn load(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).map_err(|source| NcfError::Io { path: path.to_path_buf(), source })?;
    from_bytes(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Vec<Params> {
        let t = Tower::new(&[8, 6, 4]).unwrap();
        vec![
            Params::init(Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap(), 1),
            Params::init(Layout::new(ModelKind::Mf, 5, 7, 3).unwrap(), 2),
            Params::init(Layout::neural(ModelKind::Mlp, 5, 7, 0, t).unwrap(), 3),
            Params::init(Layout::neural(ModelKind::NeuMf, 5, 7, 3, t).unwrap(), 4),
            // With user/item biases (an option for GMF and the neural models), and MF without.
            Params::init(Layout::new(ModelKind::Gmf, 5, 7, 3).unwrap().with_biases(true).unwrap(), 5),
            Params::init(Layout::new(ModelKind::Mf, 5, 7, 3).unwrap().with_biases(false).unwrap(), 6),
            Params::init(Layout::neural(ModelKind::NeuMf, 5, 7, 3, t).unwrap().with_biases(true).unwrap(), 7),
        ]
        .into_iter()
        .map(|mut p| {
            // Nonzero biases, so a misplaced bias tensor shows.
            let n = p.data.len();
            for (k, x) in p.data[n - 13..].iter_mut().enumerate() {
                *x += 0.01 * (k as f32 + 1.0);
            }
            p
        })
        .collect()
    }

    #[test]
    fn every_model_round_trips_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("ncf-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (n, p) in models().into_iter().enumerate() {
            let names = tensor_names(p.layout);
            assert_eq!(names.last().unwrap().2.end, p.layout.len(), "{:?}: names tile the layout", p.layout.kind);
            let path = dir.join(format!("{}-{n}.ncf", p.layout.kind.name()));
            let mut info = serde_json::Map::new();
            info.insert("epochs".into(), 3.into());
            let ids = (
                (0..5).map(|k| format!("u{k}")).collect::<Vec<_>>(),
                (0..7).map(|k| format!("i{k}")).collect::<Vec<_>>(),
            );
            let (seen, _, _) = Csr::from_pairs(5, &[0, 0, 3, 4], &[6, 1, 2, 0], None);
            let scale = RatingScale { mean: 3.53, min: 1.0, max: 5.0, clip: true };
            let extras = Extras {
                info: info.clone(),
                ids: Some(ids.clone()),
                seen: Some(Arc::new(seen.clone())),
                rating: Some(scale),
            };
            save(&path, &p, extras).unwrap();
            let Loaded { params: q, meta, seen: back } = load(&path).unwrap();
            assert_eq!(q, p);
            let back = back.expect("seen items stored");
            assert_eq!((back.row_ptr, back.cols), (seen.row_ptr, seen.cols));
            assert_eq!(meta.info, info);
            assert_eq!((meta.user_ids.unwrap(), meta.item_ids.unwrap()), ids);
            assert_eq!(meta.format_version, FORMAT_VERSION);
            assert_eq!(meta.rating.map(RatingScale::from), Some(scale));
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files are left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn side_features_round_trip_and_corrupt_bags_are_format_errors() {
        for (kind, biases, inputs) in crate::neural::tests::FEATURED {
            let p = crate::neural::tests::featured_in(kind, biases, inputs);
            let bytes = to_bytes(&p, Extras::default()).unwrap();
            let back = from_bytes(Path::new("f.ncf"), &bytes).unwrap();
            assert_eq!(back.params, p, "{kind:?} {inputs:?}: weights, layout and bags");
            assert_eq!(back.meta.features_in.as_deref(), Some(inputs.name()));
            let users: Vec<u32> = (0..4).collect();
            assert_eq!(back.params.logits(&users, &[0, 3, 5, 4]), p.logits(&users, &[0, 3, 5, 4]));
            // A bag row beyond its table.
            let st = SafeTensors::deserialize(&bytes).unwrap();
            let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
            let rows = st.tensor("item_features.bag_rows").unwrap();
            let mut forged_rows = rows.data().to_vec();
            forged_rows[..4].copy_from_slice(&77i32.to_le_bytes());
            let views: Vec<(String, TensorView<'_>)> = st
                .tensors()
                .into_iter()
                .map(|(name, t)| {
                    let v = if name == "item_features.bag_rows" {
                        TensorView::new(Dtype::I32, rows.shape().to_vec(), &forged_rows).unwrap()
                    } else {
                        t
                    };
                    (name, v)
                })
                .collect();
            let e = from_bytes(Path::new("f.ncf"), &safetensors::serialize(views, header.metadata().clone()).unwrap())
                .map(|_| ())
                .unwrap_err();
            assert_eq!(e.code(), "ERR_FORMAT");
            assert!(e.to_string().contains("item feature bags are corrupted"), "{e}");
        }
    }

    /// Review of issue 6: a tower-features model whose feature column has no value among the
    /// known entities (no table rows, but a slot in the tower input) saves and loads.
    #[test]
    fn issue6_features_without_table_rows_round_trip() {
        use crate::features::{FeatureKind, FeatureValue, RawFeatures};
        let ids = crate::raw::IdEncoder::from_ids((0..3).map(|k| k.to_string()).collect()).unwrap();
        let raw = RawFeatures {
            names: vec!["genre".into()],
            kinds: vec![FeatureKind::Multi],
            ids: (0..3).map(|k| k.to_string()).collect(),
            rows: (0..3).map(|_| vec![FeatureValue::Multi(vec![])]).collect(),
        };
        let f = ModelFeatures { users: None, items: Some(FeatureSet::build(&raw, &ids, 2).unwrap()) };
        assert_eq!(f.items.as_ref().unwrap().total_rows(), 0);
        let base = Layout::neural(ModelKind::NeuMf, 2, 3, 2, Tower::new(&[4, 3]).unwrap()).unwrap();
        let l = base.with_features_in(&f, crate::model::FeatureInputs::Tower).unwrap();
        let p = Params::init(l, 1).with_features(f.clone()).unwrap();
        let back = from_bytes(Path::new("f.ncf"), &to_bytes(&p, Extras::default()).unwrap()).unwrap();
        assert_eq!(back.params, p);
        // The GMF branch has nothing to add: refused with the reason, not a size mismatch.
        let e = base.with_features_in(&f, crate::model::FeatureInputs::Both).unwrap_err();
        assert!(e.to_string().contains("needs feature values"), "{e}");
    }

    #[test]
    fn pytorch_names() {
        let names: Vec<String> = tensor_names(models()[3].layout).into_iter().map(|n| n.0).collect();
        assert_eq!(
            names,
            [
                "embed_user_GMF.weight",
                "embed_item_GMF.weight",
                "embed_user_MLP.weight",
                "embed_item_MLP.weight",
                "MLP_layers.0.weight",
                "MLP_layers.0.bias",
                "MLP_layers.1.weight",
                "MLP_layers.1.bias",
                "predict_layer.weight",
                "predict_layer.bias",
            ]
        );
    }

    #[test]
    fn truncated_corrupted_foreign_and_newer_files_are_format_errors() {
        let p = &models()[3];
        let bytes = to_bytes(p, Extras::default()).unwrap();
        let path = Path::new("model.ncf");
        let code = |b: &[u8]| from_bytes(path, b).map(|_| ()).unwrap_err();
        for cut in [0, 7, 100, bytes.len() - 1] {
            let e = code(&bytes[..cut]);
            assert_eq!(e.code(), "ERR_FORMAT", "{e}");
            assert!(e.to_string().starts_with("model.ncf: "), "{e}");
        }
        let mut garbled = bytes.clone();
        garbled[10] = b'}';
        assert_eq!(code(&garbled).code(), "ERR_FORMAT");
        // Same length, so only the version differs (the JSON is escaped inside the header).
        let needle = br#"format_version\":2"#;
        let at = bytes.windows(needle.len()).position(|w| w == needle).expect("version in the header");
        let mut newer = bytes.clone();
        newer[at + needle.len() - 1] = b'9';
        let e = code(&newer);
        assert!(e.to_string().contains("newer ncf-native (format version 9"), "{e}");
        // Files of format 1 (before per-entity biases and GMF-branch features) still load.
        let mut older = bytes.clone();
        older[at + needle.len() - 1] = b'1';
        assert_eq!(from_bytes(path, &older).unwrap().params, *p);
        let foreign =
            safetensors::serialize([("x", TensorView::new(Dtype::F32, vec![1], &[0, 0, 0, 0]).unwrap())], None)
                .unwrap();
        assert!(code(&foreign).to_string().contains("not saved by ncf-native"));
        // A weight that became NaN on disk.
        let mut nan = bytes.clone();
        let n = nan.len();
        nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(code(&nan).to_string().contains("corrupted"));
        // Seen items that do not fit the model.
        let (bad_seen, _, _) = Csr::from_pairs(5, &[1], &[3], None);
        let mut broken = bad_seen.clone();
        broken.cols[0] = 99;
        let e = to_bytes(p, Extras { seen: Some(Arc::new(broken)), ..Default::default() }).unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        let ok = to_bytes(p, Extras { seen: Some(Arc::new(bad_seen)), ..Default::default() }).unwrap();
        assert!(from_bytes(path, &ok).unwrap().seen.is_some());
        // The same file with user 1's stored item rewritten as 99 (beyond the 7 items).
        let st = SafeTensors::deserialize(&ok).unwrap();
        let (_, header) = SafeTensors::read_metadata(&ok).unwrap();
        let forged_cols = 99i32.to_le_bytes();
        let views: Vec<(String, TensorView<'_>)> = st
            .tensors()
            .into_iter()
            .map(|(name, t)| {
                let v = if name == SEEN_COLS { TensorView::new(Dtype::I32, vec![1], &forged_cols).unwrap() } else { t };
                (name, v)
            })
            .collect();
        let forged = safetensors::serialize(views, header.metadata().clone()).unwrap();
        let e = code(&forged);
        assert!(e.to_string().contains("not increasing item indices below 7"), "{e}");
        // Row pointers that jump past the stored items (regression: this sliced out of bounds).
        let forged_ptr: Vec<u8> = [0i32, 0, 100, 1, 1, 1].iter().flat_map(|x| x.to_le_bytes()).collect();
        let views: Vec<(String, TensorView<'_>)> = st
            .tensors()
            .into_iter()
            .map(|(name, t)| {
                let v = if name == SEEN_PTR { TensorView::new(Dtype::I32, vec![6], &forged_ptr).unwrap() } else { t };
                (name, v)
            })
            .collect();
        let e = code(&safetensors::serialize(views, header.metadata().clone()).unwrap());
        assert!(e.to_string().contains("not a non-decreasing index"), "{e}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let e = save(Path::new("/nonexistent-dir/m.ncf"), &models()[0], Extras::default()).unwrap_err();
        assert_eq!(e.code(), "ERR_IO");
        assert!(e.to_string().starts_with("cannot write /nonexistent-dir/m.ncf"), "{e}");
    }
}
