//! Atomic writes and the model file on disk.
//!
//! A save writes a temporary file in the target's folder, syncs it, renames it over the target
//! and syncs the folder, so a crash leaves the old file or the new one, never a torn one, and a
//! completed save survives power loss. The temporary name has a fixed length (any name a file
//! system accepts as a target still fits) and carries a hash of the target's name and the
//! writer's pid, so the next save to that path finds and removes what killed saves left.

use super::tensors::{Extras, Loaded, from_bytes, to_bytes};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{NcfError, Result};
use crate::model::Params;

/// A temporary file older than this is stale even if a live process has its pid (pids are
/// reused); on systems without `/proc` it is the only test.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// `.ncf-<crc32c of the target's name>-`: the prefix of every temporary file of one target.
fn temp_prefix(name: &std::ffi::OsStr) -> String {
    format!(".ncf-{:08x}-", crc32c::crc32c(name.as_encoded_bytes()))
}

/// Whether process `pid` is alive, where the system can say (`/proc`); `None` elsewhere.
fn alive(pid: u32) -> Option<bool> {
    Path::new("/proc/self").exists().then(|| Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes the temporary files that killed saves to this target left in `dir`: those of a
/// process that is gone, and any older than [`STALE_AFTER`]. Best effort: a folder that cannot
/// be listed is left alone (the save itself reports what matters).
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)).and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let old = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        let gone = pid.is_some_and(|p| p != std::process::id() && alive(p) == Some(false));
        if gone || old.is_some_and(|age| age > STALE_AFTER) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What a write may replace: nothing (a new file) or a regular file. A symbolic link is
/// written through: its final target is replaced, as a regular file, and the link stays. Any
/// other target (a folder, a device such as `/dev/null`, a FIFO, a socket, a link to one, or a
/// link to nothing) is refused before anything is written, so a write never replaces what is
/// not a regular file.
fn write_target(path: &Path) -> std::io::Result<PathBuf> {
    let kind = |m: &std::fs::Metadata| {
        let t = m.file_type();
        if t.is_dir() {
            return "a folder";
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_char_device() || t.is_block_device() {
                return "a device";
            }
            if t.is_fifo() {
                return "a FIFO";
            }
            if t.is_socket() {
                return "a socket";
            }
        }
        "something that is not a regular file"
    };
    let refuse = |what: &str| {
        std::io::Error::other(format!("it is {what}; ncf-native writes only regular files and replaces nothing else"))
    };
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(path.to_path_buf()),
        Err(e) => Err(e),
        Ok(m) if m.file_type().is_file() => Ok(path.to_path_buf()),
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::canonicalize(path).map_err(|_| refuse("a link to nothing"))?;
            match std::fs::metadata(&target) {
                Ok(m) if m.is_file() => Ok(target),
                Ok(m) => Err(refuse(&format!("a link to {}", kind(&m)))),
                Err(e) => Err(e),
            }
        }
        Ok(m) => Err(refuse(kind(&m))),
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename, fsync
/// of the folder), first removing what killed saves to `path` left behind. A link is written
/// through to its target; any target but a regular file is refused ([`write_target`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let werr = |source| NcfError::Write { path: path.to_path_buf(), source };
    let target = write_target(path).map_err(werr)?;
    let path = target.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name =
        path.file_name().ok_or_else(|| NcfError::invalid("path", format!("'{}' names no file", path.display())))?;
    let prefix = temp_prefix(name);
    remove_stale(&dir, &prefix);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!("{prefix}{}-{nanos:09}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the folder's entry is: sync the folder (POSIX; on
        // Windows a folder cannot be opened as a file and the rename is already journaled).
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(werr(e));
    }
    Ok(())
}

/// Reads a whole input file that must be a regular file ([`crate::input::open_regular`]).
/// Reads at most the length the file had when opened, and refuses a file that grew meanwhile.
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    let io = |source| NcfError::Io { path: path.to_path_buf(), source };
    let mut f = crate::input::open_regular(path)?;
    let len = f.metadata().map_err(io)?.len();
    let cap = usize::try_from(len).map_err(|_| io(std::io::Error::other("larger than this machine's memory")))?;
    let mut bytes = Vec::with_capacity(cap);
    Read::by_ref(&mut f).take(len).read_to_end(&mut bytes).map_err(io)?;
    let mut probe = [0u8; 1];
    if bytes.len() as u64 != len || f.read(&mut probe).map_err(io)? != 0 {
        return Err(io(std::io::Error::other("the file changed size while it was read")));
    }
    Ok(bytes)
}

pub fn save(path: &Path, params: &Params, extras: Extras) -> Result<()> {
    write_atomic(path, &to_bytes(params, extras)?)
}

pub fn load(path: &Path) -> Result<Loaded> {
    from_bytes(path, &read_regular(path)?)
}
