//! Reading input files within bounds: regular files only, so a device such as
//! `/dev/zero` or a folder is `ERR_IO` before a byte is read; `.gz` decompressed on the fly;
//! and limits on the decompressed bytes and on the length of a line, past which a read fails
//! with `ERR_LIMIT` naming the file, the limit and the option that raises it. Every reader of
//! interaction, feature and NCF files opens its input here. A read may also report how far it
//! got ([`InputCounters`]).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use crate::error::{NcfError, Result};

/// How much of an input file a read accepts (a 4 MB gzip inflating to 4 GiB of NULs
/// grew the process past 3 GB). The defaults admit the real Netflix (≈2 GB in 4 files) and
/// ML-20M (533 MB) files with room to spare.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReadLimits {
    /// Bytes after decompression (`maxBytes`; default 64 GiB).
    pub max_bytes: u64,
    /// Bytes in one line (`maxLineBytes`; default 1 MiB). A CSV field cannot be longer either.
    pub max_line_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_bytes: 64 << 30, max_line_bytes: 1 << 20 }
    }
}

/// Which limit a [`Bounded`] read went past (carried inside an `io::Error`).
#[derive(Debug)]
enum LimitHit {
    Bytes(u64),
    Line(u64),
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Bytes(n) => write!(f, "holds more than {n} bytes (decompressed); raise the limit with maxBytes"),
            LimitHit::Line(n) => {
                write!(
                    f,
                    "has a line longer than {n} bytes (binary data, or a quote never closed?); raise the limit with maxLineBytes"
                )
            }
        }
    }
}

impl std::error::Error for LimitHit {}

/// A read stopped because its load was cancelled (carried inside an `io::Error`).
#[derive(Debug)]
struct CancelHit;

impl std::fmt::Display for CancelHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the load was cancelled")
    }
}

impl std::error::Error for CancelHit {}

/// Where a read reports how far it got, for another thread to poll: once per read of the
/// file (bytes) or per refill of the decompressed buffer (lines), `Relaxed`, never per byte.
#[derive(Clone, Copy, Debug)]
pub struct InputCounters<'a> {
    /// Bytes of the file consumed, as stored on disk (below the gzip decoder).
    pub bytes: &'a AtomicU64,
    /// The file's size in bytes, set when it is opened.
    pub total: &'a AtomicU64,
    /// Lines read (decompressed), a last line without a line end included.
    pub lines: &'a AtomicU64,
    /// Set by another thread to stop the read at its next read of the file.
    pub cancel: &'a AtomicBool,
}

/// Counts the bytes read from the file into [`InputCounters::bytes`], and stops the read when
/// [`InputCounters::cancel`] is set: checked once per read of the file (tens of KiB), so a
/// cancelled load of a 2 GB file ends within microseconds, not after it.
struct Counted<'a, R> {
    inner: R,
    bytes: &'a AtomicU64,
    cancel: &'a AtomicBool,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.load(Relaxed) {
            return Err(std::io::Error::other(CancelHit));
        }
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

/// Counts what passes through, failing past the total or the line limit.
struct Bounded<'a, R> {
    inner: R,
    limits: ReadLimits,
    total: u64,
    line: u64,
    /// Line ends seen, and where they are reported.
    ends: u64,
    lines: Option<&'a AtomicU64>,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > self.limits.max_bytes {
            return Err(std::io::Error::other(LimitHit::Bytes(self.limits.max_bytes)));
        }
        for chunk in buf[..n].split_inclusive(|&b| b == b'\n') {
            let len = self.line + chunk.len() as u64;
            if len > self.limits.max_line_bytes.saturating_add(1) {
                return Err(std::io::Error::other(LimitHit::Line(self.limits.max_line_bytes)));
            }
            if chunk.last() == Some(&b'\n') {
                self.line = 0;
                self.ends += 1;
            } else {
                self.line = len;
            }
        }
        if let Some(lines) = self.lines {
            lines.store(self.ends + u64::from(self.line > 0), Relaxed);
        }
        Ok(n)
    }
}

/// The error for an I/O failure while reading `path`: a limit it went past, bad UTF-8, or I/O.
pub fn read_error(path: &Path, line: u64, e: std::io::Error) -> NcfError {
    if let Some(hit) = e.get_ref().and_then(|x| x.downcast_ref::<LimitHit>()) {
        return NcfError::Limit { path: path.to_path_buf(), message: hit.to_string() };
    }
    if e.get_ref().is_some_and(|x| x.is::<CancelHit>()) {
        return NcfError::LoadCancelled { path: path.to_path_buf(), line };
    }
    match e.kind() {
        std::io::ErrorKind::InvalidData => {
            NcfError::Parse { path: path.to_path_buf(), line: line as usize, message: format!("unreadable: {e}") }
        }
        _ => NcfError::Io { path: path.to_path_buf(), source: e },
    }
}

/// Opens `path` for reading if it is a regular file: a device (`/dev/zero`), FIFO or folder is
/// `ERR_IO` before a byte is read.
pub fn open_regular(path: &Path) -> Result<File> {
    open_sized(path).map(|(f, _)| f)
}

/// [`open_regular`], with the file's size.
fn open_sized(path: &Path) -> Result<(File, u64)> {
    let io = |source| NcfError::Io { path: path.to_path_buf(), source };
    let refuse = |meta: &std::fs::Metadata| {
        let what = if meta.is_dir() { "a folder" } else { "not a regular file (a device, FIFO or socket)" };
        io(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("it is {what}")))
    };
    // Looked at before opening (opening a FIFO waits for a writer, forever), and again on the
    // open file, in case the path was swapped in between.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(refuse(&meta));
    }
    let f = File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(refuse(&meta));
    }
    Ok((f, meta.len()))
}

/// A buffered reader of a file, decompressed when its name ends in `.gz`, within `limits`.
pub fn open_input(path: &Path, limits: ReadLimits) -> Result<Box<dyn BufRead>> {
    open_input_counted(path, limits, None)
}

/// [`open_input`], reporting into `counters` how far the read got: the file's size as it
/// opens, then the bytes consumed and the lines read as it streams.
pub fn open_input_counted<'a>(
    path: &Path,
    limits: ReadLimits,
    counters: Option<InputCounters<'a>>,
) -> Result<Box<dyn BufRead + 'a>> {
    let (f, size) = open_sized(path)?;
    let f: Box<dyn Read + 'a> = match counters {
        Some(c) => {
            c.total.store(size, Relaxed);
            Box::new(Counted { inner: f, bytes: c.bytes, cancel: c.cancel })
        }
        None => Box::new(f),
    };
    let r: Box<dyn Read + 'a> =
        if path.extension().is_some_and(|e| e == "gz") { Box::new(flate2::read::MultiGzDecoder::new(f)) } else { f };
    let lines = counters.map(|c| c.lines);
    Ok(Box::new(BufReader::with_capacity(1 << 16, Bounded { inner: r, limits, total: 0, line: 0, ends: 0, lines })))
}
