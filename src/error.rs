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

thread_local! {
    /// Whether this thread is inside [`contain_panic`], and what the panic there said.
    static CONTAINED: std::cell::RefCell<Option<Option<String>>> =
        const { std::cell::RefCell::new(None) };
}

/// Run `f`, catching a panic inside it and returning the panic's message (`None` when it
/// carried none). For third-party code that panics on corrupt files (the Parquet reader, the
/// index store): a corrupt file is then reported as an error, never a crash. While `f` runs,
/// the panic hook keeps such a panic off the terminal; every other panic is reported as before.
pub(crate) fn contain_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, Option<String>> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = CONTAINED.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(message) => {
                        *message = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_string())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned());
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                previous(info);
            }
        }));
    });
    // Nested calls restore the outer state, so the outer call still keeps its panics quiet.
    let outer = CONTAINED.with(|c| c.borrow_mut().replace(None));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let message = CONTAINED
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), outer))
        .flatten();
    result.map_err(|_| message)
}
