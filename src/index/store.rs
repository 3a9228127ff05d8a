//! The redb store, made safe to call: panics contained, a broken store never touched again,
//! write transactions that end cleanly, and the compaction lock.
//!
//! Main choice: redb panics on some damaged files; every call runs through [`Store`], which
//! turns a panic into a corrupt-index error and marks the store broken, so that a second panic
//! while unwinding cannot abort the process.

use crate::error::{Error, Result};
use redb::{Database, WriteTransaction};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Run `f` on the store at `path`, turning a panic inside the storage layer (redb has some on
/// damaged pages) into a "corrupt index" error naming the file: a damaged index is reported,
/// never a crash.
pub(super) fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::error::contain_panic(f).unwrap_or_else(|message| Err(corrupt(path, message)))
}

/// An open redb database that is dropped only while it is sound. After the storage layer
/// panicked inside it (on a damaged page), its locks may be poisoned: every later use, its drop
/// included, could panic again, so it is marked broken, answers with that error, and is
/// never dropped (the process gives its memory and file lock back when it ends).
pub(super) struct Store<D> {
    pub(super) path: PathBuf,
    pub(super) db: Option<D>,
    pub(super) broken: std::sync::OnceLock<String>,
}

impl<D> Store<D> {
    pub(super) fn new(path: &Path, db: D) -> Self {
        Store {
            path: path.to_path_buf(),
            db: Some(db),
            broken: std::sync::OnceLock::new(),
        }
    }

    /// Run `f` on the database, turning a panic inside it into a "corrupt index" error.
    pub(super) fn run<T>(&self, f: impl FnOnce(&D) -> Result<T>) -> Result<T> {
        let db = self.usable()?;
        crate::error::contain_panic(|| f(db)).unwrap_or_else(|message| Err(self.break_on(message)))
    }

    /// [`Store::run`] with the database mutable.
    pub(super) fn run_mut<T>(&mut self, f: impl FnOnce(&mut D) -> Result<T>) -> Result<T> {
        self.usable()?;
        let Some(db) = self.db.as_mut() else {
            return Err(store_error(&self.path, "the index is closed"));
        };
        crate::error::contain_panic(|| f(db)).unwrap_or_else(|message| Err(self.break_on(message)))
    }

    pub(super) fn usable(&self) -> Result<&D> {
        if let Some(broken) = self.broken.get() {
            return Err(store_error(&self.path, broken));
        }
        self.db
            .as_ref()
            .ok_or_else(|| store_error(&self.path, "the index is closed"))
    }

    pub(super) fn break_on(&self, message: Option<String>) -> Error {
        let error = corrupt(&self.path, message);
        let _ = self.broken.set(error.to_string());
        error
    }
}

impl<D> Drop for Store<D> {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            if self.broken.get().is_some() {
                std::mem::forget(db);
            } else {
                // A sound store closes quietly; should it panic anyway, that is not a crash.
                let _ = crate::error::contain_panic(move || drop(db));
            }
        }
    }
}

/// The error for a store that panicked with `message`.
pub(super) fn corrupt(path: &Path, message: Option<String>) -> Error {
    corrupt_index(
        path,
        format!(
            "the store stopped on a damaged part of it ({})",
            message.as_deref().unwrap_or("no detail")
        ),
    )
}

/// The error for an index whose contents are not what an index holds.
pub(super) fn corrupt_index(path: &Path, detail: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        what: "index",
        detail: detail.into(),
    }
}

/// Run `work` in one write transaction of `db` and commit it. Should the storage layer panic
/// inside, the transaction is left as it is, never dropped: its drop would take locks the panic
/// poisoned and panic again while unwinding, which aborts the process. Nothing of it is
/// committed, and the caller must not use `db` again (see [`Store`]).
pub(super) fn in_write_transaction<T>(
    db: &Database,
    work: impl FnOnce(&WriteTransaction) -> StoreResult<T>,
) -> StoreResult<T> {
    let txn = std::mem::ManuallyDrop::new(db.begin_write()?);
    let out = work(&txn);
    let txn = std::mem::ManuallyDrop::into_inner(txn);
    let out = out?;
    txn.commit()?;
    Ok(out)
}

pub(super) fn store_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Index {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A shared hold of the compaction lock, given back when dropped.
pub(super) struct CompactionHold<'a>(Option<&'a File>);

impl<'a> CompactionHold<'a> {
    /// Wait until no compaction runs, and keep one from starting (a reader's hold).
    pub(super) fn take(lock: Option<&'a File>, path: &Path) -> Result<Self> {
        Self::hold(lock, path, File::lock_shared)
    }

    /// Wait until no reader reads, and keep every reader out (compaction's hold).
    pub(super) fn exclusive(lock: Option<&'a File>, path: &Path) -> Result<Self> {
        Self::hold(lock, path, File::lock)
    }

    pub(super) fn hold(
        lock: Option<&'a File>,
        path: &Path,
        how: fn(&File) -> std::io::Result<()>,
    ) -> Result<Self> {
        if let Some(lock) = lock {
            how(lock).map_err(|e| Error::io(path.with_file_name(COMPACTION_LOCK), e))?;
        }
        Ok(CompactionHold(lock))
    }
}

impl Drop for CompactionHold<'_> {
    fn drop(&mut self) {
        if let Some(lock) = self.0 {
            let _ = lock.unlock();
        }
    }
}

/// The file whose lock keeps readers and compaction apart, beside the index file.
pub(super) const COMPACTION_LOCK: &str = "compaction.lock";

/// The compaction lock file of the index whose file is `path`: created if it can be (a reader
/// of a read-only directory may find none, and then compaction cannot run there either).
pub(super) fn compaction_lock(path: &Path) -> Option<File> {
    let lock = path.with_file_name(COMPACTION_LOCK);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .or_else(|_| File::open(&lock))
        .ok()
}

/// What an operation inside the store can fail with: the storage layer, or the index's own
/// checks of what it read.
#[derive(Debug, thiserror::Error)]
pub(super) enum StoreError {
    /// The storage layer failed.
    #[error(transparent)]
    Storage(#[from] redb::Error),
    /// What was read is not what the index writes.
    #[error("{0}")]
    Damaged(String),
    /// A library error from a stage the index calls (signatures, story parameters).
    #[error(transparent)]
    Library(#[from] Error),
}

macro_rules! from_redb {
    ($($t:ty),*) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Storage(e.into())
            }
        })*
    };
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError,
    redb::SetDurabilityError
);

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Damaged(format!("unreadable record: {e}"))
    }
}

impl From<&str> for StoreError {
    fn from(detail: &str) -> Self {
        StoreError::Damaged(detail.to_string())
    }
}

impl From<String> for StoreError {
    fn from(detail: String) -> Self {
        StoreError::Damaged(detail)
    }
}

pub(super) type StoreResult<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// The library error for this failure of the index at `path`.
    pub(super) fn at(self, path: &Path) -> Error {
        match self {
            StoreError::Storage(e) => store_error(path, e),
            StoreError::Damaged(detail) => corrupt_index(path, detail),
            StoreError::Library(e) => e,
        }
    }
}

pub(super) type Multimap<'t> = redb::MultimapTable<'t, u64, u64>;
