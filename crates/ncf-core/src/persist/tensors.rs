//! The model file's tensors: names like the reference PyTorch NCF `state_dict`, the seen items
//! and feature bags as CSR tensors, and the bytes both ways.

use super::checksum::{self, CRC_KEY};
use super::meta::*;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::data::Csr;
use crate::error::{NcfError, Result};
use crate::features::{Bags, FeatureSet, Slot};
use crate::metrics::RatingScale;
use crate::model::{Layout, ModelFeatures, ModelKind, Params};

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

pub(super) const SEEN_PTR: &str = "seen.indptr";
pub(super) const SEEN_COLS: &str = "seen.indices";

/// The ids of each side (format 3 on): their UTF-8 bytes back to back, and `n + 1` I64 offsets
/// into them. Tensors rather than JSON, so that millions of ids fit: the safetensors header is
/// capped at 100 MB.
const ID_TENSORS: [(&str, &str); 2] = [("user_ids.bytes", "user_ids.offsets"), ("item_ids.bytes", "item_ids.offsets")];

/// At most this much JSON of `info` goes into a model file (it shares the header's 100 MB).
pub const MAX_INFO_BYTES: usize = 16 << 20;

fn id_tensors(ids: &[String]) -> (Vec<u8>, Vec<u8>) {
    let mut bytes = Vec::with_capacity(ids.iter().map(String::len).sum());
    let mut offsets = Vec::with_capacity((ids.len() + 1) * 8);
    offsets.extend_from_slice(&0i64.to_le_bytes());
    for id in ids {
        bytes.extend_from_slice(id.as_bytes());
        offsets.extend_from_slice(&(bytes.len() as i64).to_le_bytes());
    }
    (bytes, offsets)
}

/// Reads the `n` ids of one side back from its two tensors.
fn ids_from(st: &SafeTensors<'_>, (bytes, offsets): (&str, &str), n: u32) -> std::result::Result<Vec<String>, String> {
    let (b, o) = (st.tensor(bytes).map_err(|_| format!("tensor '{bytes}' is missing"))?, st.tensor(offsets));
    let o = o.map_err(|_| format!("tensor '{offsets}' is missing"))?;
    if b.dtype() != Dtype::U8 || o.dtype() != Dtype::I64 || o.shape() != [n as usize + 1] {
        return Err(format!("tensors '{bytes}' and '{offsets}' are not U8 and {} I64 offsets", n as usize + 1));
    }
    let at: Vec<i64> = o.data().chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    let data = b.data();
    if at[0] != 0 || at.windows(2).any(|w| w[0] > w[1]) || at[n as usize] as usize != data.len() {
        return Err(format!("'{offsets}' is not a non-decreasing index into '{bytes}'"));
    }
    at.windows(2)
        .enumerate()
        .map(|(k, w)| {
            String::from_utf8(data[w[0] as usize..w[1] as usize].to_vec())
                .map_err(|_| format!("id {k} in '{bytes}' is not UTF-8"))
        })
        .collect()
}

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
    if let Some((u, i)) = &extras.ids
        && (u.len() != params.layout.num_users as usize || i.len() != params.layout.num_items as usize)
    {
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
    let info_len = serde_json::to_vec(&meta.info).map_or(0, |j| j.len());
    if info_len > MAX_INFO_BYTES {
        return Err(NcfError::invalid(
            "info",
            format!("is {info_len} bytes of JSON; a model file holds at most {MAX_INFO_BYTES} bytes (16 MiB) of info"),
        ));
    }
    let json = serde_json::to_string(&meta).map_err(|e| NcfError::Data(format!("model metadata: {e}")))?;
    let id_bytes: Vec<(Vec<u8>, Vec<u8>)> = match &extras.ids {
        Some((u, i)) => vec![id_tensors(u), id_tensors(i)],
        None => Vec::new(),
    };
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
    for ((bytes, offsets), (bn, on)) in id_bytes.iter().zip(ID_TENSORS) {
        let ids = TensorView::new(Dtype::U8, vec![bytes.len()], bytes);
        let at = TensorView::new(Dtype::I64, vec![offsets.len() / 8], offsets);
        let err = |e: safetensors::SafeTensorError| NcfError::Data(format!("model tensors: {e}"));
        views.push((bn.to_string(), ids.map_err(err)?));
        views.push((on.to_string(), at.map_err(err)?));
    }
    let header = HashMap::from([(META_KEY.to_string(), json), (CRC_KEY.to_string(), checksum::placeholder())]);
    let mut bytes = safetensors::serialize(views, Some(header)).map_err(|e| {
        NcfError::Data(format!("model tensors: {e} (the file header holds the model description and `info`)"))
    })?;
    checksum::seal(&mut bytes).map_err(|e| NcfError::Data(format!("model file checksum: {e}")))?;
    Ok(bytes)
}

/// Parses a model file's bytes; `path` names it in errors.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Loaded> {
    let bad = |message: String| NcfError::Format { path: path.to_path_buf(), message };
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a readable ncf-native model file (truncated or corrupted?): {e}")))?;
    // Then the checksum, before any of it is believed: a flipped bit can leave every field
    // well-formed.
    let sealed = checksum::verify(bytes).map_err(bad)?;
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
    if v >= 3 && !sealed {
        return Err(bad(format!("format version {v} without its '{CRC_KEY}' checksum: the file is corrupted")));
    }
    let keys = header.metadata().as_ref().map_or(0, |m| m.len());
    if keys != 1 + usize::from(sealed) {
        return Err(bad(format!("the safetensors metadata holds keys other than '{META_KEY}' and '{CRC_KEY}'")));
    }
    let mut meta: ModelMeta = serde_json::from_value(version).map_err(|e| bad(format!("metadata: {e}")))?;
    let layout = meta.layout().map_err(|e| bad(format!("metadata describes no valid model: {e}")))?;
    let has_id_tensors = ID_TENSORS.iter().any(|(b, o)| st.tensor(b).is_ok() || st.tensor(o).is_ok());
    if has_id_tensors {
        if v < 3 || meta.user_ids.is_some() || meta.item_ids.is_some() {
            return Err(bad("holds its ids both as tensors and in the metadata".into()));
        }
        meta.user_ids = Some(ids_from(&st, ID_TENSORS[0], layout.num_users).map_err(bad)?);
        meta.item_ids = Some(ids_from(&st, ID_TENSORS[1], layout.num_items).map_err(bad)?);
    }
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
    let expected = tensor_names(layout).len()
        + 2 * usize::from(seen.is_some())
        + 4 * usize::from(has_id_tensors)
        + 3 * usize::from(meta.user_features.is_some())
        + 3 * usize::from(meta.item_features.is_some());
    if st.len() != expected {
        let known = |n: &str| {
            tensor_names(layout).iter().any(|t| t.0 == n)
                || [SEEN_PTR, SEEN_COLS].contains(&n)
                || ID_TENSORS.iter().any(|(b, o)| *b == n || *o == n)
                || n.starts_with("user_features.bag_")
                || n.starts_with("item_features.bag_")
        };
        let odd = st.names().into_iter().find(|n| !known(n)).map_or(String::new(), |n| format!(" such as '{n}'"));
        return Err(bad(format!("holds {} tensors where its model has {expected}{odd}", st.len())));
    }
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
