//! Atomic writes and the model file on disk.

use super::tensors::{Extras, Loaded, from_bytes, to_bytes};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{NcfError, Result};
use crate::model::Params;

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
