#![allow(dead_code)]
//! Shared by the targets: the parsers take paths, so each input is written to a file of this
//! process (on tmpfs where there is one) and read back through the real path-based API.

use std::path::PathBuf;

pub fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let p = dir.join(format!("ncf-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&p, data).expect("scratch file");
    p
}

/// Every error must carry one of the stable codes (a panic or an abort is the finding).
pub fn coded(e: &ncf_core::NcfError) {
    assert!(e.code().starts_with("ERR_"), "{e}");
}

/// Re-seals an input that carries the file checksum (`ncf_native_crc32c`, as
/// `persist::checksum` writes it), so that the fuzzer reaches the parser behind the check
/// instead of spending its time on checksum mismatches. Inputs without the key pass as they are.
pub fn resealed(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let key = b"\"ncf_native_crc32c\":\"";
    if let Some(at) = out.windows(key.len()).position(|w| w == key) {
        let start = at + key.len();
        if out.len() >= start + 8 {
            out[start..start + 8].copy_from_slice(b"00000000");
            let crc = crc32c::crc32c(&out);
            out[start..start + 8].copy_from_slice(format!("{crc:08x}").as_bytes());
        }
    }
    out
}
