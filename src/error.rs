//! Errors of the library: each variant names the file, line, document or parameter that was wrong,
//! so a message can be shown to a user as it is.

use std::path::PathBuf;

/// Everything that can go wrong in the library. Each variant carries its values, so a caller
/// can tell one case from another without reading the message (the command line maps them to
/// exit codes and names its flags itself: no message here names one).
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
    /// No record read from an input has a field the documents need (their id or text): the
    /// input is probably named by other fields.
    #[error(
        "{file}: no record has the field `{field}` (fields seen: {})",
        list(seen)
    )]
    FieldNotFound {
        /// The input file.
        file: String,
        /// The field looked for.
        field: String,
        /// The fields its first records have, in the order met.
        seen: Vec<String>,
    },
    /// A parameter is out of range, or parameters contradict each other.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter, as its field is named in this library (`num_perm`, `threshold`…).
        name: &'static str,
        /// What is wrong, with the value given.
        reason: String,
    },
    /// The input is larger than a structure of this library can count: a limit of the
    /// implementation, not a mistake of the caller's.
    #[error("capacity limit: more than {limit} {what}")]
    CapacityLimit {
        /// What there are too many of.
        what: &'static str,
        /// The most there may be.
        limit: u64,
    },
    /// Two signatures made with different parameters were compared.
    #[error("incompatible signatures: {0}")]
    IncompatibleSignatures(String),
    /// A stored index or table was made with another signing scheme or other parameters than
    /// the ones it is used with.
    #[error("{}: made with {found}, not {expected}", path.display())]
    SchemeMismatch {
        /// The index or table.
        path: PathBuf,
        /// The scheme or parameters it was made with.
        found: String,
        /// The ones it is used with.
        expected: String,
    },
    /// A stored index or table is in a format this version does not read.
    #[error(
        "{}: format {found}, and this reprint reads formats {oldest} to {newest} ({})",
        path.display(),
        if found > newest { "it was written by a newer reprint" } else { "rebuild it with this reprint" }
    )]
    FormatVersion {
        /// The index or table.
        path: PathBuf,
        /// Its format version.
        found: u32,
        /// The oldest format this version reads.
        oldest: u32,
        /// The format this version writes.
        newest: u32,
    },
    /// A stored index or table is damaged: it cannot be read as what it claims to be.
    #[error("{}: corrupt {what}: {detail}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What it should be (`index`, `signature table`…).
        what: &'static str,
        /// What was found wrong.
        detail: String,
    },
    /// A persistent index could not be created, opened, read or written, for a reason other
    /// than the above (another writer holds it, no index is there…).
    #[error("{}: {message}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A list of names for a message: the first twenty, then how many more.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let mut out = names
        .iter()
        .take(20)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 20 {
        out.push_str(&format!(" and {} more", names.len() - 20));
    }
    out
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

    /// An invalid value of the parameter `name`.
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// More than `limit` of `what`.
    pub fn capacity(what: &'static str, limit: u64) -> Self {
        Error::CapacityLimit { what, limit }
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
