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
//! Only representatives are entered in the band tables and keep their shingle sets, so a
//! thousand copies of one article cost one bucket entry each band, not a thousand.
//!
//! Tables:
//! - `meta`: the format version and the parameters, fixed when the index is created;
//! - `ids`: document id → document number (numbers count up from 0 in the order of adding);
//! - `documents`: number → the document's record (id, outlet, date, representative, similarity);
//! - `sets`: representative number → its shingle set (sorted `u32`, little-endian);
//! - `bands`: (band, key) → representative numbers (a multimap).

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
pub const FORMAT_VERSION: u32 = 1;

/// The store's file inside the index directory.
const FILE: &str = "index.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const IDS: TableDefinition<&str, u64> = TableDefinition::new("ids");
const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
const SETS: TableDefinition<u64, &[u8]> = TableDefinition::new("sets");
const BANDS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("bands");

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
        let mut verdicts = Vec::with_capacity(documents.len());
        for doc in documents {
            let verdict = add_one(&txn, &self.stamp.params, doc).map_err(|e| err(&e))?;
            verdicts.push(verdict);
        }
        txn.commit().map_err(|e| err(&e))?;
        Ok(verdicts)
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Result<IndexStats> {
        stats_of(&self.path, &self.db, &self.stamp)
    }
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
    let representatives = txn
        .open_table(SETS)
        .and_then(|t| Ok(t.len()?))
        .map_err(|e| store_error(path, e))?;
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
    let matching = params.matching();
    let keys = band_keys(&doc.fingerprint.signature, &matching.lsh)?;
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
        let values = decode_set(set.value());
        let similarity = Measure::Jaccard.of_values(doc.fingerprint.shingles.values(), &values);
        // The most similar wins; among equals, the earliest indexed.
        if similarity >= matching.threshold && best.is_none_or(|(s, _)| similarity > s) {
            best = Some((similarity, number));
        }
    }
    Ok(match best {
        Some((similarity, of)) => {
            let record = docs
                .get(of)?
                .ok_or_else(|| format!("document {of} is missing from the index"))?;
            let record: IndexedDocument = serde_json::from_slice(record.value())?;
            Verdict::Duplicate {
                of,
                of_id: record.id,
                similarity,
            }
        }
        None => Verdict::New,
    })
}

/// Decide on `doc` inside a write transaction and record it.
fn add_one(
    txn: &WriteTransaction,
    params: &IndexParams,
    doc: &IndexInput<'_>,
) -> std::result::Result<Verdict, Box<dyn std::error::Error>> {
    let mut ids = txn.open_table(IDS)?;
    let mut docs = txn.open_table(DOCUMENTS)?;
    let mut sets = txn.open_table(SETS)?;
    let mut bands = txn.open_multimap_table(BANDS)?;
    let verdict = decide(&ids, &docs, &sets, &bands, params, doc)?;
    if matches!(verdict, Verdict::Exists { .. }) {
        return Ok(verdict);
    }
    let number = docs.len()?;
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
    if duplicate_of.is_none() {
        sets.insert(number, encode_set(&doc.fingerprint.shingles).as_slice())?;
        let keys = band_keys(&doc.fingerprint.signature, &params.matching().lsh)?;
        for (band, &key) in keys.iter().enumerate() {
            bands.insert(band_entry(band, key), number)?;
        }
    }
    Ok(verdict)
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

    const TEXT: &str = "Amazon is reportedly in talks to invest up to $50 billion in OpenAI, the \
        company behind ChatGPT. The discussions come just a day after Amazon confirmed it would \
        lay off approximately 16,000 corporate employees as part of broader cost-cutting.";

    #[test]
    fn add_decides_then_repeats_are_no_ops_and_readers_agree() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::create(dir.path(), params()).unwrap();
        let mut f = Fingerprinter::new(index.params().signature()).unwrap();
        let a = f.fingerprint(TEXT).unwrap();
        let copy = f.fingerprint(&format!("{TEXT} Shares fell.")).unwrap();
        let other = f
            .fingerprint("A magnitude 7.1 earthquake struck off the coast of Chile on Monday.")
            .unwrap();
        let input = |id, fingerprint| IndexInput {
            id,
            outlet: None,
            date: None,
            fingerprint,
        };
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
