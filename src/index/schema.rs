//! The store's layout: its file, tables, format version and the stamp of the parameters it
//! was created with, checked on every open.
//!
//! Main choice: the format version is written once and checked before anything else is read;
//! an older format this version can still read is upgraded in place by a writer, a newer one
//! is refused.

use super::store::{corrupt_index, in_write_transaction, store_error, StoreResult};
use super::IndexParams;
use crate::error::{Error, Result};
use crate::sketch::signature::SCHEME;
use redb::{
    ConcurrencyMode, Database, MultimapTableDefinition, ReadableDatabase, ReadableTable,
    TableDefinition,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the index's layout; an index written with another is refused, never misread
/// (format 3, the same tables without the fold counter, is read, and upgraded by a writer).
pub const FORMAT_VERSION: u32 = 4;

/// The oldest format this reprint reads: an index of format 3 holds every representative in
/// `bands` and `postings`, which format 4 reads as an index folded up to its last number.
pub(super) const OLDEST_READ: u32 = 3;

/// The store's file inside the index directory.
pub(super) const FILE: &str = "index.redb";

pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(super) const IDS: TableDefinition<&str, u64> = TableDefinition::new("ids");
pub(super) const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
pub(super) const SETS: TableDefinition<u64, &[u8]> = TableDefinition::new("sets");
pub(super) const BANDS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("bands");
pub(super) const KEYS: TableDefinition<u64, &[u8]> = TableDefinition::new("keys");
pub(super) const MEMBERS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("members");
pub(super) const VECTORS: TableDefinition<u64, &[u8]> = TableDefinition::new("vectors");
pub(super) const POSTINGS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("postings");
pub(super) const DF: TableDefinition<u64, u32> = TableDefinition::new("df");
pub(super) const STORIES: TableDefinition<u64, u64> = TableDefinition::new("stories");
pub(super) const STORY_MEMBERS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("story_members");

/// What the `meta` table holds: the format, the hashing scheme and the parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Stamp {
    pub(super) format_version: u32,
    pub(super) scheme: String,
    pub(super) params: IndexParams,
}

pub(super) fn file_of(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

pub(super) fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_concurrency_mode(ConcurrencyMode::SingleWriter);
    b
}

/// The index file in `dir`, which must exist.
pub(super) fn existing_file(dir: &Path) -> Result<PathBuf> {
    let path = file_of(dir);
    if path.exists() {
        Ok(path)
    } else {
        Err(store_error(
            &path,
            "no index here (create one with `reprint index create`)",
        ))
    }
}

/// The stamp of an open index, checked against this build of reprint.
pub(super) fn read_stamp(path: &Path, db: &impl ReadableDatabase) -> Result<Stamp> {
    let txn = db.begin_read().map_err(|e| store_error(path, e))?;
    let meta = txn.open_table(META).map_err(|e| store_error(path, e))?;
    let stored = meta.get("stamp").map_err(|e| store_error(path, e))?;
    check_stamp(path, stored.as_ref().map(|g| g.value()))
}

/// Check a stamp read from an index against this build of reprint.
pub(super) fn check_stamp(path: &Path, bytes: Option<&[u8]>) -> Result<Stamp> {
    let bytes = bytes.ok_or_else(|| corrupt_index(path, "not a reprint index (no parameters)"))?;
    let stamp: Stamp = serde_json::from_slice(bytes)
        .map_err(|e| corrupt_index(path, format!("unreadable index parameters: {e}")))?;
    if !(OLDEST_READ..=FORMAT_VERSION).contains(&stamp.format_version) {
        return Err(Error::FormatVersion {
            path: path.to_path_buf(),
            found: stamp.format_version,
            oldest: OLDEST_READ,
            newest: FORMAT_VERSION,
        });
    }
    let p = &stamp.params;
    if p.bands == 0
        || p.rows == 0
        || p.bands.saturating_mul(p.rows) > p.num_perm
        || p.num_perm > crate::sketch::signature::MAX_NUM_PERM
    {
        return Err(corrupt_index(
            path,
            format!(
                "parameters of {} bands of {} rows with {} permutations",
                p.bands, p.rows, p.num_perm
            ),
        ));
    }
    if stamp.scheme != SCHEME {
        return Err(Error::SchemeMismatch {
            path: path.to_path_buf(),
            found: format!("signing scheme `{}` (rebuild the index)", stamp.scheme),
            expected: format!("`{SCHEME}`, the scheme of this reprint"),
        });
    }
    Ok(stamp)
}

/// Rewrite an older index's stamp as this format's: everything it holds is in the band and
/// postings tables, so its fold counter is its next number.
pub(super) fn upgrade(db: &Database, stamp: &Stamp) -> StoreResult<()> {
    in_write_transaction(db, |txn| {
        let mut meta = txn.open_table(META)?;
        let next = read_counter(&meta, NEXT)?;
        meta.insert("stamp", serde_json::to_vec(stamp)?.as_slice())?;
        write_folded(&mut meta, &vec![next; stamp.params.bands + 1])?;
        Ok(())
    })
}

/// Meta key of the number of representatives counted in `df`.
pub(super) const STORY_DOCUMENTS: &str = "story_documents";
/// Meta key of the next story number.
pub(super) const NEXT_STORY: &str = "next_story";

pub(super) fn read_counter<M: ReadableTable<&'static str, &'static [u8]>>(
    meta: &M,
    key: &str,
) -> StoreResult<u64> {
    Ok(match meta.get(key)? {
        Some(v) => u64::from_le_bytes(
            v.value()
                .try_into()
                .map_err(|_| format!("corrupt counter `{key}`"))?,
        ),
        None => 0,
    })
}

/// The counter of document numbers: the next number to give. Numbers of removed documents are
/// not reused, so an old number never names another document.
pub(super) const NEXT: &str = "next";

/// Meta key of the fold counters, one `u64` per slot (bands, then postings): representatives
/// numbered below a slot's counter have that slot's entries in the tables. An index of format
/// 3 has none: everything is in the tables.
pub(super) const FOLDED: &str = "folded";
/// Meta key of the count of `remove`s, which can change which documents past the counters are
/// representatives: a reader whose layer saw another count rebuilds it.
pub(super) const EDITS: &str = "edits";

/// Write fold counters `folded` (one per slot) into `meta`.
pub(super) fn write_folded(
    meta: &mut redb::Table<&'static str, &'static [u8]>,
    folded: &[u64],
) -> StoreResult<()> {
    let bytes: Vec<u8> = folded.iter().flat_map(|f| f.to_le_bytes()).collect();
    meta.insert(FOLDED, bytes.as_slice())?;
    Ok(())
}
