//! Errors of the library: each variant names the file, line, document or parameter that was wrong,
//! so a message can be shown to a user as it is.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory concerned (`-` for standard input/output).
        path: PathBuf,
        /// What the operating system said (part of the message, so not repeated as a source).
        error: std::io::Error,
    },
    /// A document could not be used and the caller asked to stop on the first bad input.
    #[error("{origin}: {reason}")]
    BadInput {
        /// Where the document came from (`file:line`, or a file path).
        origin: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A parameter is out of range or parameters contradict each other.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Two signatures made with different parameters were compared.
    #[error("incompatible signatures: {0}")]
    IncompatibleSignatures(String),
    /// A persistent index could not be created, opened, read or written.
    #[error("{}: {message}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}
