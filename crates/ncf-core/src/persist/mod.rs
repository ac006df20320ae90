//! The model file: one safetensors file whose tensors are named like the reference PyTorch NCF
//! `state_dict` (`embed_user_GMF.weight`, `MLP_layers.0.weight`, `predict_layer.weight`, …),
//! with the model's description as JSON under the `ncf_native` metadata key. Weights are always
//! written from CPU-side parameters, so a file saved after GPU training loads on the CPU
//! backend and predicts the same.
//!
//! Writes are atomic: the bytes go to a temporary file in the target's folder, are synced, and
//! the temporary file is renamed over the target, so a crash leaves either the old file or the
//! new one, never a torn one.
//!
//! # Files
//! The model file is format [`FORMAT_VERSION`] 3; files of versions 1 and 2 still load.
//! - [`meta`]: [`ModelMeta`], the JSON description under the `ncf_native` key (layout, rating
//!   scale, feature slots; ids in files before format 3), parsed strictly (unknown keys are refused).
//! - [`tensors`]: tensor names like the PyTorch NCF `state_dict`, seen items, feature bags and ids
//!   as tensors, the stated `info` limit, [`to_bytes`]/[`from_bytes`] (strict: unknown metadata
//!   keys and tensors are refused).
//! - [`checksum`]: the CRC-32C over every byte of the file, under `ncf_native_crc32c`, checked
//!   before anything in the file is believed.
//! - [`file`](mod@file): atomic writes (fixed-length temporary names, stale temporaries of killed saves
//!   removed, the folder synced after the rename), reads of regular files only, [`save`], [`load`].
//! - `*_tests.rs`: every bit flip, unknown keys and tensors, older formats, devices and folders,
//!   long names, killed saves.
//!
//! May import `crate::{data, error, features, metrics, model}` (its tests also `cpu`, for featured
//! models). Inside: `file` → `tensors` → `meta`, `checksum`.

pub(crate) mod checksum;
pub mod file;
pub mod meta;
pub mod tensors;

pub use file::{load, read_regular, save, write_atomic};
pub use meta::{FORMAT_VERSION, ModelMeta, RatingMeta, SlotMeta};
pub use tensors::{Extras, Loaded, from_bytes, tensor_names, to_bytes};

#[cfg(test)]
#[path = "integrity_tests.rs"]
mod integrity_tests;

#[cfg(test)]
#[path = "file_tests.rs"]
mod file_tests;

#[cfg(test)]
mod tests {
    use super::checksum;
    use super::tensors::{SEEN_COLS, SEEN_PTR};
    use super::*;
    use crate::data::Csr;
    use crate::features::FeatureSet;
    use crate::metrics::RatingScale;
    use crate::model::{Layout, ModelFeatures, ModelKind, Params, Tower};
    use safetensors::{Dtype, SafeTensors, tensor::TensorView};
    use std::path::Path;
    use std::sync::Arc;

    pub(super) fn models() -> Vec<Params> {
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
        for (kind, biases, inputs) in crate::cpu::tower::tests::FEATURED {
            let p = crate::cpu::tower::tests::featured_in(kind, biases, inputs);
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
            let mut forged = safetensors::serialize(views, header.metadata().clone()).unwrap();
            checksum::reseal(&mut forged);
            let e = from_bytes(Path::new("f.ncf"), &forged).map(|_| ()).unwrap_err();
            assert_eq!(e.code(), "ERR_FORMAT");
            assert!(e.to_string().contains("item feature bags are corrupted"), "{e}");
        }
    }

    /// A tower-features model whose feature column has no value among the
    /// known entities (no table rows, but a slot in the tower input) saves and loads.
    #[test]
    fn features_without_table_rows_round_trip() {
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
        let needle = br#"format_version\":3"#;
        let at = bytes.windows(needle.len()).position(|w| w == needle).expect("version in the header");
        let mut newer = bytes.clone();
        newer[at + needle.len() - 1] = b'9';
        assert!(code(&newer).to_string().contains("checksum mismatch"));
        checksum::reseal(&mut newer);
        let e = code(&newer);
        assert!(e.to_string().contains("newer ncf-native (format version 9"), "{e}");
        let foreign =
            safetensors::serialize([("x", TensorView::new(Dtype::F32, vec![1], &[0, 0, 0, 0]).unwrap())], None)
                .unwrap();
        assert!(code(&foreign).to_string().contains("not saved by ncf-native"));
        // A weight that became NaN on disk.
        let mut nan = bytes.clone();
        let n = nan.len();
        nan[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        checksum::reseal(&mut nan);
        assert!(code(&nan).to_string().contains("is NaN; the file is corrupted"), "{}", code(&nan));
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
        let mut forged = safetensors::serialize(views, header.metadata().clone()).unwrap();
        checksum::reseal(&mut forged);
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
        let mut forged = safetensors::serialize(views, header.metadata().clone()).unwrap();
        checksum::reseal(&mut forged);
        let e = code(&forged);
        assert!(e.to_string().contains("not a non-decreasing index"), "{e}");
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let e = save(Path::new("/nonexistent-dir/m.ncf"), &models()[0], Extras::default()).unwrap_err();
        assert_eq!(e.code(), "ERR_IO");
        assert!(e.to_string().starts_with("cannot write /nonexistent-dir/m.ncf"), "{e}");
    }
}
