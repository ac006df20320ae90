//! The one error type of ncf-native. Every variant carries a stable machine code
//! (`code()`), which the binding forwards to JavaScript as `error.code`.

use std::path::PathBuf;

/// Result alias used across the workspace.
pub type Result<T, E = NcfError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum NcfError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written (the target is left as it was).
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file is truncated, corrupted, of another kind, or from a newer version.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A line of an input file is malformed; `line` is 1-based.
    #[error("{path}:{line}: {message}")]
    Parse { path: PathBuf, line: usize, message: String },
    /// An argument or an element of an input array is out of its domain.
    #[error("{field}: {message}")]
    InvalidArg { field: String, message: String },
    /// An input went past a stated limit (decompressed size, line length): the message names
    /// the limit and the option that raises it.
    #[error("{path}: {message}")]
    Limit { path: PathBuf, message: String },
    /// The data cannot be used as asked (e.g. a user who has seen every item).
    #[error("{0}")]
    Data(String),
    /// As `Data`, about one user (by index), so a binding that knows the caller's ids can name
    /// the user as the caller does (`ERR_DATA`).
    #[error("user {user} {message}")]
    UserData { user: u32, message: String },
    /// No GPU adapter could be found.
    #[error("{0}")]
    NoAdapter(String),
    /// The GPU device failed (validation, out of memory, lost device).
    #[error("GPU error: {0}")]
    Gpu(String),
    /// The data or model does not fit the GPU adapter's limits (a storage binding): `ERR_DATA`
    /// as any data that cannot be used as asked, and the reason `device: 'auto'` falls back to
    /// the CPU backend.
    #[error("{0}")]
    GpuLimit(String),
    /// An option the GPU backend does not do (`hogwild`): `ERR_INVALID_ARG` naming it under
    /// `device: 'gpu'`, and under `'auto'` the reason the fit runs on the CPU backend.
    #[error("{field}: {message}")]
    GpuUnsupported { field: String, message: String },
    /// Training produced a non-finite loss or weight.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// The model was disposed and can no longer be used.
    #[error("Model is disposed")]
    Disposed,
    /// Another call is using the model right now.
    #[error("the model is already training; await the previous fit before starting another")]
    Busy,
    /// The caller cancelled training (an AbortSignal, Ctrl-C); the epoch in progress was undone.
    #[error("training was cancelled; the model keeps its last complete epoch")]
    Cancelled,
    /// The caller cancelled a load (`Dataset.fromFile`'s AbortSignal) while `path` was read.
    #[error("{}:{line}: the load was cancelled here", path.display())]
    LoadCancelled { path: PathBuf, line: u64 },
}

impl NcfError {
    /// Stable code exposed to JavaScript as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            NcfError::Io { .. } | NcfError::Write { .. } => "ERR_IO",
            NcfError::Format { .. } => "ERR_FORMAT",
            NcfError::Parse { .. } => "ERR_PARSE",
            NcfError::InvalidArg { .. } | NcfError::GpuUnsupported { .. } => "ERR_INVALID_ARG",
            NcfError::Limit { .. } => "ERR_LIMIT",
            NcfError::Data(_) | NcfError::UserData { .. } | NcfError::GpuLimit(_) => "ERR_DATA",
            NcfError::NoAdapter(_) => "ERR_NO_GPU",
            NcfError::Gpu(_) => "ERR_GPU",
            NcfError::Diverged(_) => "ERR_DIVERGED",
            NcfError::Disposed => "ERR_DISPOSED",
            NcfError::Busy => "ERR_BUSY",
            NcfError::Cancelled | NcfError::LoadCancelled { .. } => "ERR_ABORTED",
        }
    }

    /// True when the caller's input is at fault (maps to `Status::InvalidArg`).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            NcfError::Parse { .. }
                | NcfError::Format { .. }
                | NcfError::InvalidArg { .. }
                | NcfError::GpuUnsupported { .. }
                | NcfError::Limit { .. }
                | NcfError::Data(_)
                | NcfError::UserData { .. }
                | NcfError::GpuLimit(_)
        )
    }

    /// True when the GPU, not the input, failed the call: a device error, out of memory, a lost
    /// device, or a limit of the adapter. `device: 'auto'` answers these on the CPU backend.
    pub fn is_gpu_failure(&self) -> bool {
        matches!(self, NcfError::Gpu(_) | NcfError::GpuLimit(_) | NcfError::GpuUnsupported { .. })
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        NcfError::InvalidArg { field: field.into(), message: message.into() }
    }
}
