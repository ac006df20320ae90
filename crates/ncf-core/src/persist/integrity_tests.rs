//! The model-file classes: a checksum over every byte, strict metadata and tensors,
//! ids held as tensors, a stated `info` limit, and the older formats still loading.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::checksum::reseal;
use super::tests::models;
use super::*;
use crate::data::Csr;
use crate::model::Params;

/// A small model with everything a file can hold: ids, seen items, `info`.
fn full_file() -> (Params, Vec<u8>) {
    let p = models()[6].clone();
    let ids = ((0..5).map(|k| format!("user-{k}")).collect(), (0..7).map(|k| format!("item \"{k}\"")).collect());
    let (seen, _, _) = Csr::from_pairs(5, &[0, 0, 3, 4], &[6, 1, 2, 0], None);
    let mut info = serde_json::Map::new();
    info.insert("epochs".into(), 3.into());
    let extras = Extras { info, ids: Some(ids), seen: Some(Arc::new(seen)), rating: None };
    let bytes = to_bytes(&p, extras).unwrap();
    (p, bytes)
}

/// Rebuilds a file from its tensors and a metadata map (then re-sealed when it has a checksum).
fn rebuild(
    bytes: &[u8],
    edit: impl FnOnce(&mut Vec<(String, Vec<usize>, Dtype, Vec<u8>)>, &mut HashMap<String, String>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
    let mut meta = header.metadata().clone().unwrap();
    let mut tensors: Vec<_> =
        st.tensors().into_iter().map(|(n, t)| (n, t.shape().to_vec(), t.dtype(), t.data().to_vec())).collect();
    edit(&mut tensors, &mut meta);
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, shape, dtype, data)| (n.clone(), TensorView::new(*dtype, shape.clone(), data).unwrap()))
        .collect();
    let sealed = meta.contains_key("ncf_native_crc32c");
    let mut out = safetensors::serialize(views, Some(meta)).unwrap();
    if sealed {
        reseal(&mut out);
    }
    out
}

fn error(bytes: &[u8]) -> crate::error::NcfError {
    from_bytes(Path::new("m.ncf"), bytes).map(|_| ()).unwrap_err()
}

/// One flipped bit in `user_ids`' key loaded a model with no id map, and 271 of
/// 2,432 one-bit flips loaded as a different model. Now every one of them is `ERR_FORMAT`
/// naming the path.
#[test]
fn every_bit_flip_is_a_format_error() {
    let (p, bytes) = full_file();
    let loaded = from_bytes(Path::new("m.ncf"), &bytes).unwrap();
    assert_eq!(loaded.params, p);
    assert_eq!(loaded.meta.user_ids.as_ref().unwrap()[4], "user-4");
    assert_eq!(loaded.meta.item_ids.as_ref().unwrap()[2], "item \"2\"");
    let mut flipped = bytes.clone();
    for bit in 0..bytes.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        let e = error(&flipped);
        assert_eq!(e.code(), "ERR_FORMAT", "bit {bit}: {e}");
        assert!(e.to_string().starts_with("m.ncf: "), "bit {bit}: {e}");
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
    assert_eq!(flipped, bytes);
}

/// Keys and tensors the format does not define are refused, even in a file whose
/// checksum is right (written by something else, or edited and re-sealed).
#[test]
fn unknown_metadata_keys_fields_and_tensors_are_refused() {
    let (_, bytes) = full_file();
    let extra_key = rebuild(&bytes, |_, m| {
        m.insert("comment".into(), "hi".into());
    });
    assert!(error(&extra_key).to_string().contains("keys other than"), "{}", error(&extra_key));
    let extra_tensor = rebuild(&bytes, |t, _| t.push(("extra.weight".into(), vec![1], Dtype::F32, vec![0; 4])));
    let e = error(&extra_tensor);
    assert!(e.to_string().contains("such as 'extra.weight'"), "{e}");
    // A field the format does not know inside the description (a misspelt `user_ids`).
    let misspelt = rebuild(&bytes, |_, m| {
        let json = m.get_mut("ncf_native").unwrap();
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_object_mut().unwrap().insert("user_idz".into(), serde_json::json!(["a"]));
        *json = v.to_string();
    });
    assert!(error(&misspelt).to_string().contains("unknown field `user_idz`"), "{}", error(&misspelt));
    // Format 3 without its checksum.
    let unsealed = rebuild(&bytes, |_, m| {
        m.remove("ncf_native_crc32c");
    });
    assert!(error(&unsealed).to_string().contains("without its 'ncf_native_crc32c' checksum"), "{}", error(&unsealed));
    // Ids whose offsets run past their bytes.
    let bad_ids = rebuild(&bytes, |t, _| {
        let o = t.iter_mut().find(|x| x.0 == "user_ids.offsets").unwrap();
        let n = o.3.len();
        o.3[n - 8..].copy_from_slice(&1_000i64.to_le_bytes());
    });
    assert!(
        error(&bad_ids).to_string().contains("'user_ids.offsets' is not a non-decreasing index"),
        "{}",
        error(&bad_ids)
    );
}

/// Files of formats 1 and 2 (no checksum, ids in the JSON) still load, ids and all.
#[test]
fn older_formats_still_load() {
    let (p, bytes) = full_file();
    for version in [1u32, 2] {
        let old = rebuild(&bytes, |t, m| {
            m.remove("ncf_native_crc32c");
            let json = m.get_mut("ncf_native").unwrap();
            let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
            let ids = |prefix: &str| -> Vec<String> {
                let find = |n: &str| t.iter().find(|x| x.0 == n).unwrap().3.clone();
                let (data, at) = (find(&format!("{prefix}.bytes")), find(&format!("{prefix}.offsets")));
                let at: Vec<usize> =
                    at.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()) as usize).collect();
                at.windows(2).map(|w| String::from_utf8(data[w[0]..w[1]].to_vec()).unwrap()).collect()
            };
            let o = v.as_object_mut().unwrap();
            o.insert("user_ids".into(), serde_json::json!(ids("user_ids")));
            o.insert("item_ids".into(), serde_json::json!(ids("item_ids")));
            o.insert("format_version".into(), version.into());
            *json = v.to_string();
            t.retain(|x| !x.0.contains("_ids."));
        });
        let back = from_bytes(Path::new("old.ncf"), &old).unwrap();
        assert_eq!(back.params, p, "format {version}");
        assert_eq!(back.meta.item_ids.unwrap()[6], "item \"6\"", "format {version}");
        assert_eq!(back.meta.format_version, version);
    }
}

/// A large `info` or millions of ids said "model tensors: header too large" and
/// could not be saved. Ids now live in tensors (the header does not grow with them), and an
/// oversized `info` is refused by name, with the limit.
#[test]
fn ids_do_not_grow_the_header_and_info_has_a_stated_limit() {
    let l = crate::model::Layout::new(crate::model::ModelKind::Mf, 20_000, 3, 2).unwrap();
    let p = Params::init(l, 1);
    let ids: Vec<String> = (0..20_000).map(|k| format!("{k:0>100}")).collect();
    let items = vec!["a".to_string(), "b".into(), "c".into()];
    let bytes = to_bytes(&p, Extras { ids: Some((ids.clone(), items)), ..Default::default() }).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert!(bytes.len() > 2_000_000 && header < 4_096, "a {header}-byte header for {} bytes", bytes.len());
    assert_eq!(from_bytes(Path::new("m.ncf"), &bytes).unwrap().meta.user_ids.unwrap(), ids);
    let mut info = serde_json::Map::new();
    info.insert("notes".into(), "x".repeat(tensors::MAX_INFO_BYTES).into());
    let e = to_bytes(&p, Extras { info, ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_ARG");
    assert!(e.to_string().starts_with("info: is 16777228 bytes of JSON; a model file holds at most"), "{e}");
}
