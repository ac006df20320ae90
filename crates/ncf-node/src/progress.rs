//! Live progress of `NativeDataset.fromFile`: a handle on the core's
//! `ReadProgress`, created by JavaScript, filled by the loading job on the thread pool and
//! polled by `Dataset.fromFile`'s timer. Reads of atomics only.

use std::sync::Arc;

use napi_derive::napi;
use ncf_core::raw::{ReadPhase, ReadProgress};

/// What a load is doing: `'reading'` a file, `'building'` the dataset, or `'done'`.
#[napi(string_enum = "lowercase")]
pub enum LoadPhase {
    Reading,
    Building,
    Done,
}

impl From<ReadPhase> for LoadPhase {
    fn from(p: ReadPhase) -> Self {
        match p {
            ReadPhase::Reading => LoadPhase::Reading,
            ReadPhase::Building => LoadPhase::Building,
            ReadPhase::Done => LoadPhase::Done,
        }
    }
}

/// Progress of a load, passed to `NativeDataset.fromFile` and polled while it runs. Counts are
/// of the file being read (`file`, 0-based, of `files`).
#[napi]
pub struct NativeReadProgress {
    pub(crate) inner: Arc<ReadProgress>,
}

impl Default for NativeReadProgress {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl NativeReadProgress {
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeReadProgress { inner: Arc::new(ReadProgress::new()) }
    }
    /// 0-based index of the file being read.
    #[napi(getter)]
    pub fn file(&self) -> u32 {
        self.inner.snapshot().file
    }
    /// Files in this load (2 with a separate test file).
    #[napi(getter)]
    pub fn files(&self) -> u32 {
        self.inner.snapshot().files
    }
    /// Bytes of the file consumed, as stored on disk (compressed for `.gz`).
    #[napi(getter)]
    pub fn bytes_read(&self) -> f64 {
        self.inner.snapshot().bytes_read as f64
    }
    /// The file's size in bytes (0 before it is opened).
    #[napi(getter)]
    pub fn total_bytes(&self) -> f64 {
        self.inner.snapshot().total_bytes as f64
    }
    /// Lines of the file read so far.
    #[napi(getter)]
    pub fn lines(&self) -> f64 {
        self.inner.snapshot().lines as f64
    }
    /// Interactions of the file kept so far (duplicates not yet folded).
    #[napi(getter)]
    pub fn interactions(&self) -> f64 {
        self.inner.snapshot().interactions as f64
    }
    #[napi(getter)]
    pub fn phase(&self) -> LoadPhase {
        self.inner.snapshot().phase.into()
    }
    /// Stops the load at its next read of the file: `fromFile` then fails with `ERR_ABORTED`,
    /// naming the file and line reached. Building the dataset, once every file is read, runs to
    /// its end.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }
}
