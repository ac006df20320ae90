//! Training checkpoints: a safetensors file holding a session's [`Checkpoint`] (the last
//! epoch's weights, the optimizer's moments, the best validation weights) and, in its metadata,
//! the counters and a caller's note (the fit options and history, as JSON). A fit resumed from
//! it continues to the result an uninterrupted run with the same seed reaches: the sampler and
//! dropout are keyed by (seed, epoch, step), all restored.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use super::control::Checkpoint;
use super::control::OptimizerState;
use crate::error::{NcfError, Result};
use crate::model::Layout;
use crate::persist::checksum::{self, CRC_KEY};
use crate::persist::{read_regular, write_atomic};

const META_KEY: &str = "ncf_checkpoint";
const FORMAT: &str = "ncf-native checkpoint";
/// 2: a CRC-32C over every byte (as model files, `persist::checksum`); 1 still loads.
const VERSION: u32 = 2;

/// The metadata of a checkpoint file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format: String,
    pub version: u32,
    /// The model the weights belong to.
    pub kind: String,
    pub num_users: u32,
    pub num_items: u32,
    pub params: usize,
    /// Complete epochs, optimizer steps taken, and the learning rate of the next step.
    pub epoch: u32,
    pub step: u64,
    pub lr: f64,
    pub best_value: Option<f64>,
    pub best_epoch: Option<u32>,
    pub since_best: u32,
    /// `None` while no validation value was seen (−∞ in the session).
    pub plateau_best: Option<f64>,
    pub plateau_bad: u32,
    /// The caller's JSON (the fit options and the history so far).
    pub note: String,
}

/// Writes `ck` of a model with `layout` to `path`, atomically.
pub fn save(path: &Path, layout: Layout, ck: &Checkpoint, note: &str) -> Result<()> {
    let meta = CheckpointMeta {
        format: FORMAT.into(),
        version: VERSION,
        kind: layout.kind.name().into(),
        num_users: layout.num_users,
        num_items: layout.num_items,
        params: layout.len(),
        epoch: ck.optimizer.epoch,
        step: ck.optimizer.step,
        lr: ck.lr,
        best_value: ck.best.as_ref().map(|b| b.0),
        best_epoch: ck.best.as_ref().map(|b| b.1),
        since_best: ck.since_best,
        plateau_best: ck.plateau_best.is_finite().then_some(ck.plateau_best),
        plateau_bad: ck.plateau_bad,
        note: note.into(),
    };
    let json = serde_json::to_string(&meta).map_err(|e| NcfError::Data(format!("checkpoint metadata: {e}")))?;
    let mut tensors: Vec<(&str, &[f32])> =
        vec![("weights", &ck.weights), ("optimizer.m", &ck.optimizer.m), ("optimizer.v", &ck.optimizer.v)];
    if let Some((_, _, b)) = &ck.best {
        tensors.push(("best.weights", b));
    }
    let views = tensors
        .iter()
        .map(|(name, x)| {
            TensorView::new(Dtype::F32, vec![x.len()], bytemuck::cast_slice(x)).map(|v| (name.to_string(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| NcfError::Data(format!("checkpoint tensors: {e}")))?;
    let header = HashMap::from([(META_KEY.to_string(), json), (CRC_KEY.to_string(), checksum::placeholder())]);
    let mut bytes =
        safetensors::serialize(views, Some(header)).map_err(|e| NcfError::Data(format!("checkpoint: {e}")))?;
    checksum::seal(&mut bytes).map_err(|e| NcfError::Data(format!("checkpoint checksum: {e}")))?;
    write_atomic(path, &bytes)
}

/// Reads a checkpoint; `layout` is the model it must fit (`None`: only read the metadata).
pub fn load(path: &Path, layout: Option<Layout>) -> Result<(Checkpoint, CheckpointMeta)> {
    let bad = |message: String| NcfError::Format { path: path.to_path_buf(), message };
    let bytes = read_regular(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a readable ncf-native checkpoint (truncated or corrupted?): {e}")))?;
    // A flipped bit would resume another run without a word: the checksum first.
    let sealed = checksum::verify(&bytes).map_err(bad)?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("unreadable header: {e}")))?;
    let json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| bad(format!("no '{META_KEY}' metadata: not an ncf-native checkpoint (a model file?)")))?;
    let meta: CheckpointMeta = serde_json::from_str(json).map_err(|e| bad(format!("checkpoint metadata: {e}")))?;
    if meta.format != FORMAT || meta.version > VERSION {
        return Err(bad(format!("format '{}' version {} is not one this build reads", meta.format, meta.version)));
    }
    if meta.version >= 2 && !sealed {
        return Err(bad(format!("checkpoint version {} without its '{CRC_KEY}' checksum: corrupted", meta.version)));
    }
    if let Some(l) = layout
        && (meta.kind != l.kind.name()
            || meta.num_users != l.num_users
            || meta.num_items != l.num_items
            || meta.params != l.len())
    {
        return Err(NcfError::invalid(
            "resumeFrom",
            format!(
                "the checkpoint is of a {} with {} users, {} items and {} weights; this model is a {} with {}, {} and {}",
                meta.kind,
                meta.num_users,
                meta.num_items,
                meta.params,
                l.kind.name(),
                l.num_users,
                l.num_items,
                l.len()
            ),
        ));
    }
    let tensor = |name: &str| -> Result<Vec<f32>> {
        let t = st.tensor(name).map_err(|_| bad(format!("no tensor '{name}'")))?;
        if t.dtype() != Dtype::F32 || t.shape() != [meta.params] {
            return Err(bad(format!("tensor '{name}' is not F32 [{}]", meta.params)));
        }
        let x: Vec<f32> = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if x.iter().any(|v| !v.is_finite()) {
            return Err(bad(format!("tensor '{name}' holds a non-finite value")));
        }
        Ok(x)
    };
    let best = match (meta.best_value, meta.best_epoch) {
        (Some(v), Some(e)) => Some((v, e, tensor("best.weights")?)),
        (None, None) => None,
        _ => return Err(bad("the best epoch and its value must come together".into())),
    };
    let ck = Checkpoint {
        weights: tensor("weights")?,
        optimizer: OptimizerState {
            m: tensor("optimizer.m")?,
            v: tensor("optimizer.v")?,
            step: meta.step,
            epoch: meta.epoch,
        },
        lr: meta.lr,
        best,
        since_best: meta.since_best,
        plateau_best: meta.plateau_best.unwrap_or(f64::NEG_INFINITY),
        plateau_bad: meta.plateau_bad,
    };
    if !(ck.lr.is_finite() && ck.lr > 0.0) {
        return Err(bad(format!("learning rate {} is not positive", ck.lr)));
    }
    Ok((ck, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelKind;

    #[test]
    fn checkpoints_round_trip_and_refuse_other_models_and_corruption() {
        let layout = Layout::new(ModelKind::Gmf, 3, 4, 2).unwrap();
        let n = layout.len();
        let v = |k: f32| (0..n).map(|i| i as f32 * k).collect::<Vec<f32>>();
        let ck = Checkpoint {
            weights: v(0.1),
            optimizer: OptimizerState { m: v(0.01), v: v(0.001), step: 77, epoch: 3 },
            lr: 5e-4,
            best: Some((0.61, 2, v(0.2))),
            since_best: 1,
            plateau_best: f64::NEG_INFINITY,
            plateau_bad: 0,
        };
        let dir = std::env::temp_dir().join(format!("ncf-ck-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.ckpt");
        save(&path, layout, &ck, r#"{"history":[]}"#).unwrap();
        let (back, meta) = load(&path, Some(layout)).unwrap();
        assert_eq!(back, ck);
        assert_eq!(meta.note, r#"{"history":[]}"#);
        let other = Layout::new(ModelKind::Mf, 3, 4, 2).unwrap();
        let e = load(&path, Some(other)).unwrap_err();
        assert!(e.to_string().contains("the checkpoint is of a GMF"), "{e}");
        let mut bytes = std::fs::read(&path).unwrap();
        // Every flipped bit is ERR_FORMAT (it would resume another run silently).
        let mut flipped = bytes.clone();
        for bit in (0..bytes.len() * 8).step_by(7) {
            flipped[bit / 8] ^= 1 << (bit % 8);
            std::fs::write(&path, &flipped).unwrap();
            let e = load(&path, Some(layout)).map(|_| ()).unwrap_err();
            assert!(e.code() == "ERR_FORMAT", "bit {bit}: {e}");
            flipped[bit / 8] ^= 1 << (bit % 8);
        }
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(load(&path, Some(layout)).unwrap_err().code(), "ERR_FORMAT");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
