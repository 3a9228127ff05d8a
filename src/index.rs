//! A persistent, appendable near-duplicate index in one directory: check today's scrape against
//! everything seen before without reading the archive again.
//!
//! Main choice: the store is redb, an embedded ACID key-value store in pure Rust. Every batch of
//! added documents is one write transaction, so a crash (even `kill -9`) loses at most the batch
//! in progress and the file always opens in a committed state; since an id already in the index
//! is a no-op, running the same `add` again completes it, with the same document numbers and the
//! same decisions as a run without the crash. redb's single-writer mode lets other processes
//! open the index read-only and query it while a writer adds.
//!
//! Matching is the leader scheme of `reprint cluster` and `dedup`: a new document is compared,
//! through LSH candidates, with the representatives already indexed, and becomes a
//! near-duplicate of the most similar one at or above the threshold, or a representative itself.
//! Only representatives are entered in the band table, so a thousand copies of one article cost
//! one bucket entry each band, not a thousand.
//!
//! Tables:
//! - `meta`: the format version and the parameters, fixed when the index is created;
//! - `ids`: document id → document number (numbers count up from 0 in the order of adding);
//! - `documents`: number → the document's record (id, outlet, date, representative, similarity);
//! - `sets`: number → its shingle set (sorted `u32`, little-endian);
//! - `keys`: number → its LSH band keys (`u64`, little-endian);
//! - `bands`: (band, key) → representative numbers (a multimap);
//! - `members`: representative number → the numbers of its near-duplicates (a multimap).
//!
//! Every document keeps its set and keys, so that removing a representative can re-decide its
//! near-duplicates: each, in the order they were added, becomes a near-duplicate of another
//! representative or a representative itself, exactly as if it were added now.

use crate::candidates::band_keys;
use crate::cluster::MatchConfig;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::lsh::LshParams;
use crate::signature::{SignatureParams, SCHEME};
use crate::verify::{Measure, ShingleSet};
use redb::{
    ConcurrencyMode, Database, MultimapTableDefinition, ReadOnlyDatabase, ReadableDatabase,
    ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the index's layout; an index written with another is refused, never misread.
pub const FORMAT_VERSION: u32 = 2;

/// The store's file inside the index directory.
const FILE: &str = "index.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const IDS: TableDefinition<&str, u64> = TableDefinition::new("ids");
const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
const SETS: TableDefinition<u64, &[u8]> = TableDefinition::new("sets");
const BANDS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("bands");
const KEYS: TableDefinition<u64, &[u8]> = TableDefinition::new("keys");
const MEMBERS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("members");

/// Everything fixed when an index is created; every later `add` and `query` uses exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IndexParams {
    /// Minimum exact Jaccard similarity of a near-duplicate.
    pub threshold: f64,
    /// MinHash values per signature.
    pub num_perm: usize,
    /// Words per shingle.
    pub shingle_size: usize,
    /// Hash seed.
    pub seed: u64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
}

impl IndexParams {
    /// The parameters of an index matching with `matching` on signatures made with `signature`.
    pub fn new(signature: &SignatureParams, matching: &MatchConfig) -> Self {
        IndexParams {
            threshold: matching.threshold,
            num_perm: signature.num_perm,
            shingle_size: signature.shingle_size,
            seed: signature.seed,
            bands: matching.lsh.bands,
            rows: matching.lsh.rows,
        }
    }

    /// The signature parameters documents must be fingerprinted with.
    pub fn signature(&self) -> SignatureParams {
        SignatureParams {
            num_perm: self.num_perm,
            shingle_size: self.shingle_size,
            seed: self.seed,
        }
    }

    /// The matching configuration.
    pub fn matching(&self) -> MatchConfig {
        MatchConfig {
            threshold: self.threshold,
            measure: Measure::Jaccard,
            lsh: LshParams {
                bands: self.bands,
                rows: self.rows,
            },
        }
    }
}

/// What the `meta` table holds: the format, the hashing scheme and the parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stamp {
    format_version: u32,
    scheme: String,
    params: IndexParams,
}

/// One indexed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedDocument {
    /// Its id.
    pub id: String,
    /// Outlet, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// Date as given, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The representative it is a near-duplicate of (`None`: it is a representative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<u64>,
    /// Its similarity to that representative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

/// What the index says of one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Its id is already in the index: nothing was (or would be) written.
    Exists {
        /// The indexed document with that id.
        number: u64,
    },
    /// A near-duplicate of an indexed representative.
    Duplicate {
        /// The representative's number.
        of: u64,
        /// The representative's id.
        of_id: String,
        /// Exact Jaccard similarity.
        similarity: f64,
    },
    /// Like nothing indexed: it becomes (or would become) a representative.
    New,
}

/// A document to add or query: its id, metadata and fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct IndexInput<'a> {
    /// Its id.
    pub id: &'a str,
    /// Outlet, when known.
    pub outlet: Option<&'a str>,
    /// Date as given, when known.
    pub date: Option<&'a str>,
    /// Its fingerprint, made with [`IndexParams::signature`].
    pub fingerprint: &'a Fingerprint,
}

/// Counts of an index, for `reprint index stats`.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStats {
    /// Indexed documents.
    pub documents: u64,
    /// Of which representatives (the others are near-duplicates of one).
    pub representatives: u64,
    /// The index file's size in bytes.
    pub file_bytes: u64,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The hashing scheme.
    pub scheme: String,
    /// The parameters fixed at creation.
    pub params: IndexParams,
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Index {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Band `b`'s key, tagged with the band so that one table holds every band.
fn band_entry(band: usize, key: u64) -> u64 {
    (key & !(0xFFFF << 48)) | ((band as u64) << 48)
}

fn encode_set(set: &ShingleSet) -> Vec<u8> {
    set.values().iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn decode_set(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// An index opened for adding (one writer at a time; see [`IndexReader`] for readers).
pub struct Index {
    path: PathBuf,
    db: Database,
    stamp: Stamp,
}

/// An index opened read-only: it may be queried while another process adds.
pub struct IndexReader {
    path: PathBuf,
    db: ReadOnlyDatabase,
    stamp: Stamp,
}

fn file_of(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_concurrency_mode(ConcurrencyMode::SingleWriter);
    b
}

/// The index file in `dir`, which must exist.
fn existing_file(dir: &Path) -> Result<PathBuf> {
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
fn read_stamp(path: &Path, db: &impl ReadableDatabase) -> Result<Stamp> {
    let txn = db.begin_read().map_err(|e| store_error(path, e))?;
    let meta = txn.open_table(META).map_err(|e| store_error(path, e))?;
    let stored = meta.get("stamp").map_err(|e| store_error(path, e))?;
    check_stamp(path, stored.as_ref().map(|g| g.value()))
}

/// Check a stamp read from an index against this build of reprint.
fn check_stamp(path: &Path, bytes: Option<&[u8]>) -> Result<Stamp> {
    let bytes = bytes.ok_or_else(|| store_error(path, "not a reprint index (no parameters)"))?;
    let stamp: Stamp = serde_json::from_slice(bytes)
        .map_err(|e| store_error(path, format!("unreadable index parameters: {e}")))?;
    if stamp.format_version != FORMAT_VERSION {
        return Err(store_error(
            path,
            format!(
                "index format {} is not the format this reprint reads ({FORMAT_VERSION}){}",
                stamp.format_version,
                if stamp.format_version > FORMAT_VERSION {
                    ": it was written by a newer reprint"
                } else {
                    ": rebuild it with this reprint"
                }
            ),
        ));
    }
    if stamp.scheme != SCHEME {
        return Err(store_error(
            path,
            format!(
                "index signatures use scheme `{}`, this reprint makes `{SCHEME}`: rebuild the index",
                stamp.scheme
            ),
        ));
    }
    Ok(stamp)
}

impl Index {
    /// Create an index in `dir` (made if missing) with fixed parameters; an existing index
    /// there is an error, never overwritten.
    pub fn create(dir: &Path, params: IndexParams) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = file_of(dir);
        if path.exists() {
            return Err(store_error(&path, "an index already exists here"));
        }
        let db = builder().create(&path).map_err(|e| store_error(&path, e))?;
        let stamp = Stamp {
            format_version: FORMAT_VERSION,
            scheme: SCHEME.to_string(),
            params,
        };
        let bytes = serde_json::to_vec(&stamp).map_err(|e| store_error(&path, e))?;
        let txn = db.begin_write().map_err(|e| store_error(&path, e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| store_error(&path, e))?;
            meta.insert("stamp", bytes.as_slice())
                .map_err(|e| store_error(&path, e))?;
            // Create every table now, so that readers find them even in an empty index.
            txn.open_table(IDS).map_err(|e| store_error(&path, e))?;
            txn.open_table(DOCUMENTS)
                .map_err(|e| store_error(&path, e))?;
            txn.open_table(SETS).map_err(|e| store_error(&path, e))?;
            txn.open_multimap_table(BANDS)
                .map_err(|e| store_error(&path, e))?;
            txn.open_table(KEYS).map_err(|e| store_error(&path, e))?;
            txn.open_multimap_table(MEMBERS)
                .map_err(|e| store_error(&path, e))?;
        }
        txn.commit().map_err(|e| store_error(&path, e))?;
        Ok(Index { path, db, stamp })
    }

    /// Open the index in `dir` for adding.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = existing_file(dir)?;
        let db = builder().open(&path).map_err(|e| store_error(&path, e))?;
        let stamp = read_stamp(&path, &db)?;
        Ok(Index { path, db, stamp })
    }

    /// The parameters fixed at creation.
    pub fn params(&self) -> IndexParams {
        self.stamp.params
    }

    /// Add `documents` in order, in one transaction: each is checked against the index as it
    /// stands (including the documents before it in this call) and then added, unless its id is
    /// already there. Nothing is written unless the whole call succeeds.
    pub fn add(&mut self, documents: &[IndexInput<'_>]) -> Result<Vec<Verdict>> {
        let path = self.path.clone();
        let err = |e: &dyn std::fmt::Display| store_error(&path, e);
        let txn = self.db.begin_write().map_err(|e| err(&e))?;
        let verdicts = add_batch(&txn, &self.stamp.params, documents).map_err(|e| err(&e))?;
        txn.commit().map_err(|e| err(&e))?;
        Ok(verdicts)
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Result<IndexStats> {
        stats_of(&self.path, &self.db, &self.stamp)
    }

    /// Remove documents by id, in one transaction. The near-duplicates of a removed
    /// representative are decided again, in the order they were added, against the index
    /// without it: each becomes a near-duplicate of another representative or a representative
    /// itself. Returns, per id, what happened.
    pub fn remove(&mut self, ids: &[&str]) -> Result<Vec<Removal>> {
        let path = self.path.clone();
        let err = |e: &dyn std::fmt::Display| store_error(&path, e);
        let txn = self.db.begin_write().map_err(|e| err(&e))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(remove_one(&txn, &self.stamp.params, id).map_err(|e| err(&e))?);
        }
        txn.commit().map_err(|e| err(&e))?;
        Ok(out)
    }

    /// Give the space of removed and rewritten pages back to the file system; returns whether
    /// anything was compacted.
    pub fn compact(&mut self) -> Result<bool> {
        self.db.compact().map_err(|e| store_error(&self.path, e))
    }
}

/// What removing one id did.
#[derive(Debug, Clone, PartialEq)]
pub enum Removal {
    /// No document has that id.
    Absent,
    /// Removed; `redecided` lists the ids of its former near-duplicates with their new verdict.
    Removed {
        /// The former near-duplicates, each with what it is now.
        redecided: Vec<(String, Verdict)>,
    },
}

fn remove_one(
    txn: &WriteTransaction,
    params: &IndexParams,
    id: &str,
) -> std::result::Result<Removal, Box<dyn std::error::Error>> {
    let mut ids = txn.open_table(IDS)?;
    let Some(number) = ids.remove(id)?.map(|v| v.value()) else {
        return Ok(Removal::Absent);
    };
    let mut docs = txn.open_table(DOCUMENTS)?;
    let mut sets = txn.open_table(SETS)?;
    let mut keys_table = txn.open_table(KEYS)?;
    let mut bands = txn.open_multimap_table(BANDS)?;
    let mut members = txn.open_multimap_table(MEMBERS)?;
    let record = read_record(&docs, number)?;
    docs.remove(number)?;
    sets.remove(number)?;
    let keys = keys_table
        .remove(number)?
        .map(|k| decode_keys(k.value()))
        .unwrap_or_default();
    if let Some(of) = record.duplicate_of {
        members.remove(of, number)?;
        return Ok(Removal::Removed {
            redecided: Vec::new(),
        });
    }
    for (band, &key) in keys.iter().enumerate() {
        bands.remove(band_entry(band, key), number)?;
    }
    let mut orphans: Vec<u64> = Vec::new();
    for m in members.remove_all(number)? {
        orphans.push(m?.value());
    }
    orphans.sort_unstable();
    let mut redecided = Vec::with_capacity(orphans.len());
    for m in orphans {
        let mut orphan = read_record(&docs, m)?;
        let values = sets
            .get(m)?
            .map(|s| decode_set(s.value()))
            .ok_or_else(|| format!("document {m} has no shingle set"))?;
        let orphan_keys = keys_table
            .get(m)?
            .map(|k| decode_keys(k.value()))
            .ok_or_else(|| format!("document {m} has no band keys"))?;
        let verdict = match_representative(&docs, &sets, &bands, params, &orphan_keys, &values)?;
        match &verdict {
            Verdict::Duplicate { of, similarity, .. } => {
                orphan.duplicate_of = Some(*of);
                orphan.similarity = Some((similarity * 1e4).round() / 1e4);
                members.insert(*of, m)?;
            }
            _ => {
                orphan.duplicate_of = None;
                orphan.similarity = None;
                for (band, &key) in orphan_keys.iter().enumerate() {
                    bands.insert(band_entry(band, key), m)?;
                }
            }
        }
        docs.insert(m, serde_json::to_vec(&orphan)?.as_slice())?;
        redecided.push((orphan.id, verdict));
    }
    Ok(Removal::Removed { redecided })
}

impl IndexReader {
    /// Open the index in `dir` read-only; a writer may be adding at the same time.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = existing_file(dir)?;
        let db = match builder().open_read_only(&path) {
            Ok(db) => db,
            // After a crash the file needs a repair (redb rebuilds its allocator state; what
            // was not committed was never visible), which only a writer may do: do it, unless
            // a writer is at work, and open read-only again.
            Err(first) => {
                builder()
                    .open(&path)
                    .map_err(|_| store_error(&path, &first))?;
                builder()
                    .open_read_only(&path)
                    .map_err(|e| store_error(&path, e))?
            }
        };
        let stamp = read_stamp(&path, &db)?;
        Ok(IndexReader { path, db, stamp })
    }

    /// The parameters fixed at creation.
    pub fn params(&self) -> IndexParams {
        self.stamp.params
    }

    /// What adding `documents` would say, against the index as last committed; nothing is
    /// written, and the documents are not checked against each other.
    pub fn query(&self, documents: &[IndexInput<'_>]) -> Result<Vec<Verdict>> {
        let err = |e: &dyn std::fmt::Display| store_error(&self.path, e);
        let txn = self.db.begin_read().map_err(|e| err(&e))?;
        let ids = txn.open_table(IDS).map_err(|e| err(&e))?;
        let docs = txn.open_table(DOCUMENTS).map_err(|e| err(&e))?;
        let sets = txn.open_table(SETS).map_err(|e| err(&e))?;
        let bands = txn.open_multimap_table(BANDS).map_err(|e| err(&e))?;
        documents
            .iter()
            .map(|doc| {
                decide(&ids, &docs, &sets, &bands, &self.stamp.params, doc)
                    .map_err(|e| store_error(&self.path, e))
            })
            .collect()
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Result<IndexStats> {
        stats_of(&self.path, &self.db, &self.stamp)
    }

    /// Every indexed document, by number, with its shingle set if it is a representative: the
    /// whole content of the index, to compare two indexes or to export one.
    pub fn documents(&self) -> Result<Vec<(IndexedDocument, Option<Vec<u32>>)>> {
        let err = |e: &dyn std::fmt::Display| store_error(&self.path, e);
        let txn = self.db.begin_read().map_err(|e| err(&e))?;
        let docs = txn.open_table(DOCUMENTS).map_err(|e| err(&e))?;
        let sets = txn.open_table(SETS).map_err(|e| err(&e))?;
        let mut out = Vec::new();
        for entry in docs.iter().map_err(|e| err(&e))? {
            let (number, record) = entry.map_err(|e| err(&e))?;
            let record: IndexedDocument =
                serde_json::from_slice(record.value()).map_err(|e| err(&e))?;
            let set = sets
                .get(number.value())
                .map_err(|e| err(&e))?
                .map(|s| decode_set(s.value()));
            out.push((record, set));
        }
        Ok(out)
    }
}

fn stats_of(path: &Path, db: &impl ReadableDatabase, stamp: &Stamp) -> Result<IndexStats> {
    let txn = db.begin_read().map_err(|e| store_error(path, e))?;
    let documents = txn
        .open_table(DOCUMENTS)
        .and_then(|t| Ok(t.len()?))
        .map_err(|e| store_error(path, e))?;
    let duplicates = txn
        .open_multimap_table(MEMBERS)
        .and_then(|t| Ok(t.len()?))
        .map_err(|e| store_error(path, e))?;
    let representatives = documents.saturating_sub(duplicates);
    let file_bytes = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    Ok(IndexStats {
        documents,
        representatives,
        file_bytes,
        format_version: stamp.format_version,
        scheme: stamp.scheme.clone(),
        params: stamp.params,
    })
}

/// The verdict on `doc` against the tables as they stand.
fn decide<I, D, S, B>(
    ids: &I,
    docs: &D,
    sets: &S,
    bands: &B,
    params: &IndexParams,
    doc: &IndexInput<'_>,
) -> std::result::Result<Verdict, Box<dyn std::error::Error>>
where
    I: ReadableTable<&'static str, u64>,
    D: ReadableTable<u64, &'static [u8]>,
    S: ReadableTable<u64, &'static [u8]>,
    B: redb::ReadableMultimapTable<u64, u64>,
{
    if let Some(number) = ids.get(doc.id)? {
        return Ok(Verdict::Exists {
            number: number.value(),
        });
    }
    let keys = band_keys(&doc.fingerprint.signature, &params.matching().lsh)?;
    match_representative(
        docs,
        sets,
        bands,
        params,
        &keys,
        doc.fingerprint.shingles.values(),
    )
}

/// The most similar representative at or above the threshold among the LSH candidates of a
/// document with these band keys and shingle values, or [`Verdict::New`].
fn match_representative<D, S, B>(
    docs: &D,
    sets: &S,
    bands: &B,
    params: &IndexParams,
    keys: &[u64],
    values: &[u32],
) -> std::result::Result<Verdict, Box<dyn std::error::Error>>
where
    D: ReadableTable<u64, &'static [u8]>,
    S: ReadableTable<u64, &'static [u8]>,
    B: redb::ReadableMultimapTable<u64, u64>,
{
    let mut candidates: Vec<u64> = Vec::new();
    for (band, &key) in keys.iter().enumerate() {
        for value in bands.get(band_entry(band, key))? {
            candidates.push(value?.value());
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut best: Option<(f64, u64)> = None;
    for number in candidates {
        let Some(set) = sets.get(number)? else {
            continue;
        };
        let similarity = Measure::Jaccard.of_values(values, &decode_set(set.value()));
        // The most similar wins; among equals, the earliest indexed.
        if similarity >= params.threshold && best.is_none_or(|(s, _)| similarity > s) {
            best = Some((similarity, number));
        }
    }
    Ok(match best {
        Some((similarity, of)) => Verdict::Duplicate {
            of,
            of_id: read_record(docs, of)?.id,
            similarity,
        },
        None => Verdict::New,
    })
}

fn read_record<D: ReadableTable<u64, &'static [u8]>>(
    docs: &D,
    number: u64,
) -> std::result::Result<IndexedDocument, Box<dyn std::error::Error>> {
    let record = docs
        .get(number)?
        .ok_or_else(|| format!("document {number} is missing from the index"))?;
    Ok(serde_json::from_slice(record.value())?)
}

fn encode_keys(keys: &[u64]) -> Vec<u8> {
    keys.iter().flat_map(|k| k.to_le_bytes()).collect()
}

fn decode_keys(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// The counter of document numbers: the next number to give. Numbers of removed documents are
/// not reused, so an old number never names another document.
const NEXT: &str = "next";

/// Decide on each of `documents` in order, inside one write transaction, and record it. Tables
/// are opened and the counter read once per batch; band keys are computed once per document.
fn add_batch(
    txn: &WriteTransaction,
    params: &IndexParams,
    documents: &[IndexInput<'_>],
) -> std::result::Result<Vec<Verdict>, Box<dyn std::error::Error>> {
    let mut meta = txn.open_table(META)?;
    let mut ids = txn.open_table(IDS)?;
    let mut docs = txn.open_table(DOCUMENTS)?;
    let mut sets = txn.open_table(SETS)?;
    let mut keys_table = txn.open_table(KEYS)?;
    let mut bands = txn.open_multimap_table(BANDS)?;
    let mut members = txn.open_multimap_table(MEMBERS)?;
    let mut next = match meta.get(NEXT)? {
        Some(v) => u64::from_le_bytes(
            v.value()
                .try_into()
                .map_err(|_| "corrupt document counter")?,
        ),
        None => 0,
    };
    let lsh = params.matching().lsh;
    let mut verdicts = Vec::with_capacity(documents.len());
    for doc in documents {
        if let Some(number) = ids.get(doc.id)? {
            verdicts.push(Verdict::Exists {
                number: number.value(),
            });
            continue;
        }
        let keys = band_keys(&doc.fingerprint.signature, &lsh)?;
        let values = doc.fingerprint.shingles.values();
        let verdict = match_representative(&docs, &sets, &bands, params, &keys, values)?;
        let number = next;
        next += 1;
        let (duplicate_of, similarity) = match &verdict {
            Verdict::Duplicate { of, similarity, .. } => (Some(*of), Some(*similarity)),
            _ => (None, None),
        };
        let record = IndexedDocument {
            id: doc.id.to_string(),
            outlet: doc.outlet.map(str::to_string),
            date: doc.date.map(str::to_string),
            duplicate_of,
            similarity: similarity.map(|s| (s * 1e4).round() / 1e4),
        };
        ids.insert(doc.id, number)?;
        docs.insert(number, serde_json::to_vec(&record)?.as_slice())?;
        sets.insert(number, encode_set(&doc.fingerprint.shingles).as_slice())?;
        keys_table.insert(number, encode_keys(&keys).as_slice())?;
        match duplicate_of {
            Some(of) => {
                members.insert(of, number)?;
            }
            None => {
                for (band, &key) in keys.iter().enumerate() {
                    bands.insert(band_entry(band, key), number)?;
                }
            }
        }
        verdicts.push(verdict);
    }
    meta.insert(NEXT, next.to_le_bytes().as_slice())?;
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Fingerprinter;

    fn params() -> IndexParams {
        let signature = SignatureParams::default();
        let matching = MatchConfig::new(
            0.8,
            Measure::Jaccard,
            signature.num_perm,
            crate::lsh::DEFAULT_FP_WEIGHT,
            crate::lsh::DEFAULT_FN_WEIGHT,
        )
        .unwrap();
        IndexParams::new(&signature, &matching)
    }

    fn fresh() -> (tempfile::TempDir, Index, Fingerprinter) {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::create(dir.path(), params()).unwrap();
        let f = Fingerprinter::new(index.params().signature()).unwrap();
        (dir, index, f)
    }

    fn input<'a>(id: &'a str, fingerprint: &'a Fingerprint) -> IndexInput<'a> {
        IndexInput {
            id,
            outlet: None,
            date: None,
            fingerprint,
        }
    }

    const TEXT: &str = "Amazon is reportedly in talks to invest up to $50 billion in OpenAI, the \
        company behind ChatGPT. The discussions come just a day after Amazon confirmed it would \
        lay off approximately 16,000 corporate employees as part of broader cost-cutting.";

    #[test]
    fn add_decides_then_repeats_are_no_ops_and_readers_agree() {
        let (dir, mut index, mut f) = fresh();
        let a = f.fingerprint(TEXT).unwrap();
        let copy = f.fingerprint(&format!("{TEXT} Shares fell.")).unwrap();
        let other = f
            .fingerprint("A magnitude 7.1 earthquake struck off the coast of Chile on Monday.")
            .unwrap();
        let verdicts = index
            .add(&[input("a", &a), input("b", &copy), input("c", &other)])
            .unwrap();
        assert_eq!(verdicts[0], Verdict::New);
        assert!(
            matches!(&verdicts[1], Verdict::Duplicate { of: 0, of_id, similarity } if of_id == "a" && *similarity >= 0.8),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[2], Verdict::New);
        // Adding again changes nothing.
        let again = index.add(&[input("b", &copy)]).unwrap();
        assert_eq!(again, [Verdict::Exists { number: 1 }]);
        let stats = index.stats().unwrap();
        assert_eq!((stats.documents, stats.representatives), (3, 2));
        drop(index);
        let reader = IndexReader::open(dir.path()).unwrap();
        let q = reader.query(&[input("z", &copy)]).unwrap();
        assert!(matches!(&q[0], Verdict::Duplicate { of: 0, .. }), "{q:?}");
        assert_eq!(reader.stats().unwrap().documents, 3);
    }

    #[test]
    fn removing_a_representative_redecides_its_copies() {
        let (_dir, mut index, mut f) = fresh();
        let a = f.fingerprint(TEXT).unwrap();
        let b = f.fingerprint(&format!("{TEXT} Shares fell.")).unwrap();
        let c = f
            .fingerprint(&format!("{TEXT} Shares fell sharply."))
            .unwrap();
        index
            .add(&[input("a", &a), input("b", &b), input("c", &c)])
            .unwrap();
        assert_eq!(index.stats().unwrap().representatives, 1);
        let removed = index.remove(&["a", "nope"]).unwrap();
        assert_eq!(removed[1], Removal::Absent);
        let Removal::Removed { redecided } = &removed[0] else {
            panic!("{removed:?}")
        };
        // b, added first, is now the representative, and c its near-duplicate.
        assert_eq!(redecided[0], ("b".to_string(), Verdict::New));
        assert!(
            matches!(&redecided[1], (id, Verdict::Duplicate { of_id, .. }) if id == "c" && of_id == "b")
        );
        let stats = index.stats().unwrap();
        assert_eq!((stats.documents, stats.representatives), (2, 1));
        // The text of a matches b now; re-adding a gives it a new number.
        let again = index.add(&[input("a", &a)]).unwrap();
        assert!(
            matches!(&again[0], Verdict::Duplicate { of_id, .. } if of_id == "b"),
            "{again:?}"
        );
        index.compact().unwrap();
        assert_eq!(index.stats().unwrap().documents, 3);
    }

    #[test]
    fn an_existing_index_is_not_overwritten_and_a_foreign_stamp_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Index::create(dir.path(), params()).unwrap();
        assert!(Index::create(dir.path(), params()).is_err());
        // A stamp from a future format is refused with a clear message.
        let path = file_of(dir.path());
        let db = builder().open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            let stamp = Stamp {
                format_version: FORMAT_VERSION + 1,
                scheme: SCHEME.to_string(),
                params: params(),
            };
            meta.insert("stamp", serde_json::to_vec(&stamp).unwrap().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
        drop(db);
        let message = Index::open(dir.path()).err().unwrap().to_string();
        assert!(message.contains("newer reprint"), "{message}");
        assert!(Index::open(&dir.path().join("missing")).is_err());
    }
}
