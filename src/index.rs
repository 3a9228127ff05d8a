//! A persistent, appendable near-duplicate and story index in one directory: check today's
//! scrape against everything seen before without reading the archive again.
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
//! - `meta`: the format version and the parameters, fixed when the index is created, and the
//!   counters (next number, next story, fold counters, removals);
//! - `ids`: document id → document number (numbers count up from 0 in the order of adding);
//! - `documents`: number → the document's record (id, outlet, date, representative, similarity,
//!   story);
//! - `sets`: number → its shingle set (sorted `u32`, little-endian);
//! - `keys`: number → its LSH band keys (`u64`, little-endian);
//! - `bands`: (band, key) → representative numbers (a multimap), for the representatives
//!   numbered below the band's fold counter; the later ones are held in memory by whoever
//!   opens the index and folded in every so often, a band at a time (see `recent`), since
//!   inserting at random places of this table was most of what an `add` wrote;
//! - `members`: representative number → the numbers of its near-duplicates (a multimap);
//! - `vectors`: number → its story (a number), date and story vector (term hash, weight);
//! - `postings`: term → representatives whose heaviest terms include it, with its weight (a
//!   multimap; a term past the most postings any query reads gets no more), folded like
//!   `bands`;
//! - `df`: term → how many representatives hold it; `stories`: story → how many
//!   representatives it has; `story_members`: story → their numbers (a multimap).
//!
//! Every document keeps its set and keys, so that removing a representative can re-decide its
//! near-duplicates: each, in the order they were added, becomes a near-duplicate of another
//! representative or a representative itself, exactly as if it were added now.
//!
//! Stories are the batch scheme made incremental. A representative's content terms (its own
//! boilerplate left out) become a TF-IDF vector whose document frequencies are the background
//! corpus plus every representative indexed before it, so a document's vector depends only on
//! what came before it, never on how the input was cut into batches. It joins the story whose
//! articles it is most similar to on average (cosine, with articles it shares no heavy term
//! with, or dated outside the window, counting as zero), when that average reaches the story
//! threshold, the same test average-link clustering merges by; otherwise it starts a story. A
//! near-duplicate is in its representative's story. When a document qualifies for several
//! stories, each of the others is merged into its best one if the average similarity over all
//! pairs across the two (the document included) reaches the threshold, again average-link's
//! test; the merged story takes the oldest number. The index keeps no sentences, so the
//! passage evidence that weighs a pair's cosine counts shared shingles instead of aligned
//! sentences. Removing a document leaves the term statistics as they were and never splits a
//! story.

use crate::candidates::band_keys;
use crate::cluster::MatchConfig;
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::lsh::LshParams;
use crate::signature::{SignatureParams, SCHEME};
use crate::story::{
    background_df, background_documents, dated_cosine, idf_weight, passage_evidence, StoryConfig,
    StoryVector, TermCounts, MIN_EDGE,
};
use crate::verify::{intersection, Measure, ShingleSet};
use ahash::AHashMap;
pub use recent::FOLD_AT as DEFAULT_FOLD_AT;
use recent::{write_folded, Counters, Recent, EDITS, FOLD_AT};
use redb::{
    ConcurrencyMode, Database, MultimapTableDefinition, ReadOnlyDatabase, ReadableDatabase,
    ReadableMultimapTable, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod recent;

/// Version of the index's layout; an index written with another is refused, never misread
/// (format 3, the same tables without the fold counter, is read, and upgraded by a writer).
pub const FORMAT_VERSION: u32 = 4;

/// The oldest format this reprint reads: an index of format 3 holds every representative in
/// `bands` and `postings`, which format 4 reads as an index folded up to its last number.
const OLDEST_READ: u32 = 3;

/// The store's file inside the index directory.
const FILE: &str = "index.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const IDS: TableDefinition<&str, u64> = TableDefinition::new("ids");
const DOCUMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("documents");
const SETS: TableDefinition<u64, &[u8]> = TableDefinition::new("sets");
const BANDS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("bands");
const KEYS: TableDefinition<u64, &[u8]> = TableDefinition::new("keys");
const MEMBERS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("members");
const VECTORS: TableDefinition<u64, &[u8]> = TableDefinition::new("vectors");
const POSTINGS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("postings");
const DF: TableDefinition<u64, u32> = TableDefinition::new("df");
const STORIES: TableDefinition<u64, u64> = TableDefinition::new("stories");
const STORY_MEMBERS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("story_members");

/// Heaviest terms of a representative entered in `postings`: enough for two rewrites of one
/// story to share one, few enough that adding stays cheap.
const POSTED_TERMS: usize = 32;
/// Most candidates whose full cosine is computed, the strongest partial scores first.
const MAX_STORY_CANDIDATES: usize = 100;
/// Shared shingles that count as one shared sentence in the passage evidence. Batch
/// clustering aligns sentences; the index keeps no sentences, so the shingles two articles
/// share stand in for them: four five-word shingles are eight words kept in a row. (On
/// `data/dev`, 2, 4, 8 and 16 give B-cubed F1 0.946, 0.963, 0.968 and 0.973, and the five
/// seeds one story only at 2 and 4: rewrites keep little verbatim.)
const SHINGLES_PER_SENTENCE: usize = 4;
/// Most pairs compared to decide whether two stories are one (larger stories stay apart).
const MAX_MERGE_PAIRS: usize = 1000;
/// Terms held by more representatives than this are not used to find story candidates.
const MAX_POSTINGS: u64 = 250;

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
    /// Average cosine similarity at which a document joins a story.
    pub story_threshold: f64,
    /// Documents dated further apart (seconds) are never in one story; `None`: no window.
    pub story_window: Option<i64>,
    /// Terms kept per story vector.
    pub story_terms: usize,
    /// Whether stories are matched at all; without, every representative is a story of its own
    /// and adding costs what near-duplicate matching costs.
    pub stories: bool,
}

impl IndexParams {
    /// The parameters of an index matching with `matching` on signatures made with `signature`.
    pub fn new(signature: &SignatureParams, matching: &MatchConfig, story: &StoryConfig) -> Self {
        IndexParams {
            threshold: matching.threshold,
            num_perm: signature.num_perm,
            shingle_size: signature.shingle_size,
            seed: signature.seed,
            bands: matching.lsh.bands,
            rows: matching.lsh.rows,
            story_threshold: story.threshold,
            story_window: story.window,
            story_terms: story.max_terms,
            stories: true,
        }
    }

    /// How stories are found.
    pub fn story(&self) -> StoryConfig {
        StoryConfig {
            threshold: self.story_threshold,
            window: self.story_window,
            max_terms: self.story_terms,
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
    /// The story it is part of.
    pub story: u64,
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
        /// The representative's story, which is the document's too.
        story: u64,
    },
    /// No near-duplicate, but part of an indexed story: it becomes (or would become) a
    /// representative in that story.
    Story {
        /// The story.
        story: u64,
        /// Its average cosine similarity with the story's representatives.
        similarity: f64,
        /// The story's representative most similar to it.
        nearest: u64,
        /// That representative's id.
        nearest_id: String,
        /// Stories this document showed to be the same story, now merged into `story` (their
        /// articles' story numbers change to `story`).
        merged: Vec<u64>,
    },
    /// Like nothing indexed: it becomes (or would become) a representative starting a story.
    New {
        /// The story it starts (`None` from a query, which gives no numbers).
        story: Option<u64>,
    },
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
    /// Its date as seconds since the epoch, when known (for the story window).
    pub timestamp: Option<i64>,
    /// Its content terms ([`crate::analysis::story_terms`]); empty terms never join a story.
    pub terms: &'a TermCounts,
}

/// Counts of an index, for `reprint index stats`.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStats {
    /// Indexed documents.
    pub documents: u64,
    /// Of which representatives (the others are near-duplicates of one).
    pub representatives: u64,
    /// Stories (each with at least one document).
    pub stories: u64,
    /// The index file's size in bytes.
    pub file_bytes: u64,
    /// Documents added since the last fold: the band entries and postings of their
    /// representatives are not in the tables yet, and whoever opens the index rebuilds them in
    /// memory (see `reprint index compact`).
    pub unfolded_documents: u64,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The hashing scheme.
    pub scheme: String,
    /// The parameters fixed at creation.
    pub params: IndexParams,
}

/// Run `f` on the store at `path`, turning a panic inside the storage layer (redb has some on
/// damaged pages) into a "corrupt index" error naming the file: a damaged index is reported,
/// never a crash.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::error::contain_panic(f).unwrap_or_else(|message| Err(corrupt(path, message)))
}

/// An open redb database that is dropped only while it is sound. After the storage layer
/// panicked inside it (on a damaged page), its locks may be poisoned: every later use, its drop
/// included, could panic again, so it is marked broken, answers with that error, and is
/// never dropped (the process gives its memory and file lock back when it ends).
struct Store<D> {
    path: PathBuf,
    db: Option<D>,
    broken: std::sync::OnceLock<String>,
}

impl<D> Store<D> {
    fn new(path: &Path, db: D) -> Self {
        Store {
            path: path.to_path_buf(),
            db: Some(db),
            broken: std::sync::OnceLock::new(),
        }
    }

    /// Run `f` on the database, turning a panic inside it into a "corrupt index" error.
    fn run<T>(&self, f: impl FnOnce(&D) -> Result<T>) -> Result<T> {
        let db = self.usable()?;
        crate::error::contain_panic(|| f(db)).unwrap_or_else(|message| Err(self.break_on(message)))
    }

    /// [`Store::run`] with the database mutable.
    fn run_mut<T>(&mut self, f: impl FnOnce(&mut D) -> Result<T>) -> Result<T> {
        self.usable()?;
        let Some(db) = self.db.as_mut() else {
            return Err(store_error(&self.path, "the index is closed"));
        };
        crate::error::contain_panic(|| f(db)).unwrap_or_else(|message| Err(self.break_on(message)))
    }

    fn usable(&self) -> Result<&D> {
        if let Some(broken) = self.broken.get() {
            return Err(store_error(&self.path, broken));
        }
        self.db
            .as_ref()
            .ok_or_else(|| store_error(&self.path, "the index is closed"))
    }

    fn break_on(&self, message: Option<String>) -> Error {
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
fn corrupt(path: &Path, message: Option<String>) -> Error {
    store_error(
        path,
        format!(
            "corrupt index: the store stopped on a damaged part of it ({})",
            message.as_deref().unwrap_or("no detail")
        ),
    )
}

/// Run `work` in one write transaction of `db` and commit it. Should the storage layer panic
/// inside, the transaction is left as it is, never dropped: its drop would take locks the panic
/// poisoned and panic again while unwinding, which aborts the process. Nothing of it is
/// committed, and the caller must not use `db` again (see [`Store`]).
fn in_write_transaction<T>(
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
    db: Store<Database>,
    stamp: Stamp,
    /// The representatives not yet folded into the tables, as of the last commit (`None`:
    /// rebuild it from the tables).
    recent: Option<Recent>,
    /// Fold a slot once it holds this many representatives in memory.
    fold_at: u64,
    /// Representatives this writer has entered since it last folded a slot (`None`: it has not).
    since_fold: Option<u64>,
}

/// An index opened read-only: it may be queried while another process adds.
pub struct IndexReader {
    path: PathBuf,
    db: Store<ReadOnlyDatabase>,
    stamp: Stamp,
    /// The entries held in memory, as of the last snapshot read: shared, so that the lock is
    /// held only while bringing it up to date, not while queries read it.
    recent: Mutex<Option<Arc<Recent>>>,
    /// The compaction lock, held shared while the reader opens the index and while each of its
    /// calls reads it (see [`Index::compact`]).
    compaction: Option<File>,
}

/// A shared hold of the compaction lock, given back when dropped.
struct CompactionHold<'a>(Option<&'a File>);

impl<'a> CompactionHold<'a> {
    /// Wait until no compaction runs, and keep one from starting (a reader's hold).
    fn take(lock: Option<&'a File>, path: &Path) -> Result<Self> {
        Self::hold(lock, path, File::lock_shared)
    }

    /// Wait until no reader reads, and keep every reader out (compaction's hold).
    fn exclusive(lock: Option<&'a File>, path: &Path) -> Result<Self> {
        Self::hold(lock, path, File::lock)
    }

    fn hold(
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
const COMPACTION_LOCK: &str = "compaction.lock";

/// The compaction lock file of the index whose file is `path`: created if it can be (a reader
/// of a read-only directory may find none, and then compaction cannot run there either).
fn compaction_lock(path: &Path) -> Option<File> {
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
    if !(OLDEST_READ..=FORMAT_VERSION).contains(&stamp.format_version) {
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
    let p = &stamp.params;
    if p.bands == 0
        || p.rows == 0
        || p.bands.saturating_mul(p.rows) > p.num_perm
        || p.num_perm > crate::signature::MAX_NUM_PERM
    {
        return Err(store_error(
            path,
            format!(
                "corrupt index parameters: {} bands of {} rows with {} permutations",
                p.bands, p.rows, p.num_perm
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
    fn over(path: PathBuf, db: Store<Database>, stamp: Stamp) -> Self {
        Index {
            db,
            path,
            stamp,
            recent: None,
            fold_at: FOLD_AT,
            since_fold: None,
        }
    }

    /// Create an index in `dir` (made if missing) with fixed parameters; an existing index
    /// there is an error, never overwritten.
    pub fn create(dir: &Path, params: IndexParams) -> Result<Self> {
        guarded(&file_of(dir), || {
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
            let init = || -> StoreResult<()> {
                let txn = db.begin_write()?;
                {
                    let mut meta = txn.open_table(META)?;
                    meta.insert("stamp", serde_json::to_vec(&stamp)?.as_slice())?;
                    write_folded(&mut meta, &vec![0; params.bands + 1])?;
                    // Create every table now, so that readers find them even in an empty index.
                    txn.open_table(IDS)?;
                    txn.open_table(DOCUMENTS)?;
                    txn.open_table(SETS)?;
                    txn.open_table(KEYS)?;
                    txn.open_table(VECTORS)?;
                    txn.open_table(DF)?;
                    txn.open_table(STORIES)?;
                    for multimap in [BANDS, MEMBERS, POSTINGS, STORY_MEMBERS] {
                        txn.open_multimap_table(multimap)?;
                    }
                }
                txn.commit()?;
                Ok(())
            };
            init().map_err(|e| store_error(&path, e))?;
            Ok(Index::over(path.clone(), Store::new(&path, db), stamp))
        })
    }

    /// Open the index in `dir` for adding. An index of an older format this reprint reads is
    /// upgraded to this one.
    pub fn open(dir: &Path) -> Result<Self> {
        guarded(&file_of(dir), || {
            let path = existing_file(dir)?;
            // Every page's checksum is verified as the writer opens the file: a page damaged
            // outside reprint then fails the open, where writing over it could make the store
            // panic inside a commit (which no caller can contain). Readers need no check: a
            // panic in a read is contained (see `Store`).
            let db = builder()
                .set_check_integrity_on_open(true)
                .open(&path)
                .map_err(|e| store_error(&path, e))?;
            let db = Store::new(&path, db);
            let mut stamp = db.run(|db| read_stamp(&path, db))?;
            if stamp.format_version < FORMAT_VERSION {
                stamp.format_version = FORMAT_VERSION;
                db.run(|db| upgrade(db, &stamp).map_err(|e| store_error(&path, e)))?;
            }
            Ok(Index::over(path, db, stamp))
        })
    }

    /// The parameters fixed at creation.
    pub fn params(&self) -> IndexParams {
        self.stamp.params
    }

    /// Fold a band's entries (or the postings) held in memory into its table once it holds
    /// those of `n` representatives (at least 1; the default is [`DEFAULT_FOLD_AT`]). Larger
    /// means fewer folds, but more memory and a slower start for every process that opens the
    /// index. What the index answers does not depend on it.
    pub fn set_fold_at(&mut self, n: u64) {
        self.fold_at = n.max(1);
    }

    /// Add `documents` in order, in one transaction: each is checked against the index as it
    /// stands (including the documents before it in this call) and then added, unless its id is
    /// already there. Nothing is written unless the whole call succeeds.
    ///
    /// When a band (or the postings) holds enough representatives in memory (see
    /// [`Index::set_fold_at`]), the same transaction first folds it into its table. Folds are
    /// spaced: after one, this writer enters a seventeenth of that number of representatives
    /// (with 16 bands) before the next, so that bands due together (as they all are the first
    /// time) are folded over many batches instead of in a row; a band holding twice the number
    /// is folded at once.
    pub fn add(&mut self, documents: &[IndexInput<'_>]) -> Result<Vec<Verdict>> {
        let (params, fold_at) = (self.stamp.params, self.fold_at);
        let spacing = fold_at / (params.bands as u64 + 1);
        let due = self.since_fold.is_none_or(|n| n >= spacing);
        let (verdicts, folded) = self.write(|txn, recent| {
            for slot in recent.due_without_entries(fold_at) {
                recent.fold(txn, slot)?;
            }
            let slot = recent.fullest(fold_at).filter(|_| due);
            if let Some(slot) = slot {
                recent.fold(txn, slot)?;
            }
            // Batches large next to the spacing would let slots grow without bound.
            while let Some(slot) = recent.fullest(fold_at.saturating_mul(2)) {
                recent.fold(txn, slot)?;
            }
            Ok((add_batch(txn, &params, recent, documents)?, slot.is_some()))
        })?;
        let entered = verdicts
            .iter()
            .filter(|v| matches!(v, Verdict::New { .. } | Verdict::Story { .. }))
            .count() as u64;
        self.since_fold = match (folded, self.since_fold) {
            (true, _) => Some(entered),
            (false, Some(n)) => Some(n.saturating_add(entered)),
            (false, None) => None,
        };
        Ok(verdicts)
    }

    /// Run `work` in one write transaction with the recent layer brought up to date, and commit.
    /// If anything fails the layer is dropped, to be rebuilt from what was committed.
    fn write<T>(
        &mut self,
        work: impl FnOnce(&WriteTransaction, &mut Recent) -> StoreResult<T>,
    ) -> Result<T> {
        let mut recent = self.recent.take();
        let bands = self.stamp.params.bands;
        let out = self.db.run(|db| {
            in_write_transaction(db, |txn| {
                {
                    let meta = txn.open_table(META)?;
                    let counters = Counters::read(&meta, bands)?;
                    let docs = txn.open_table(DOCUMENTS)?;
                    let keys = txn.open_table(KEYS)?;
                    let vectors = txn.open_table(VECTORS)?;
                    let df = txn.open_table(DF)?;
                    Recent::catch_up(&mut recent, counters, (&docs, &keys, &vectors), &df)?;
                }
                let Some(layer) = recent.as_mut() else {
                    return Err("no band layer".into());
                };
                work(txn, layer)
            })
            .map_err(|e| store_error(&self.path, e))
        })?;
        self.recent = recent;
        Ok(out)
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Result<IndexStats> {
        self.db.run(|db| stats_of(&self.path, db, &self.stamp))
    }

    /// Remove documents by id, in one transaction. The near-duplicates of a removed
    /// representative are decided again, in the order they were added, against the index
    /// without it: each becomes a near-duplicate of another representative or a representative
    /// itself. Returns, per id, what happened.
    pub fn remove(&mut self, ids: &[&str]) -> Result<Vec<Removal>> {
        let params = self.stamp.params;
        self.write(|txn, recent| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(remove_one(txn, &params, recent, id)?);
            }
            if out.iter().any(|r| matches!(r, Removal::Removed { .. })) {
                let mut meta = txn.open_table(META)?;
                let edits = read_counter(&meta, EDITS)? + 1;
                meta.insert(EDITS, edits.to_le_bytes().as_slice())?;
                recent.edited();
            }
            Ok(out)
        })
    }

    /// Fold the representatives held outside the band and postings tables into them, and give
    /// the space of removed and rewritten pages back to the file system; returns whether
    /// anything was compacted.
    pub fn compact(&mut self) -> Result<bool> {
        // Compaction moves pages a reader in another process may be reading: it waits until
        // no reader is opening or reading the index, and readers starting meanwhile wait for
        // it. A reader kept open between reads does not hold it up.
        let lock = compaction_lock(&self.path);
        let _hold = CompactionHold::exclusive(lock.as_ref(), &self.path)?;
        let folded = self.write(|txn, recent| {
            let any = recent.unfolded() > 0;
            if any {
                recent.fold_all(txn)?;
            }
            Ok(any)
        })?;
        let path = &self.path;
        let compacted = self
            .db
            .run_mut(|db| db.compact().map_err(|e| store_error(path, e)))?;
        Ok(folded || compacted)
    }
}

/// Rewrite an older index's stamp as this format's: everything it holds is in the band and
/// postings tables, so its fold counter is its next number.
fn upgrade(db: &Database, stamp: &Stamp) -> StoreResult<()> {
    in_write_transaction(db, |txn| {
        let mut meta = txn.open_table(META)?;
        let next = read_counter(&meta, NEXT)?;
        meta.insert("stamp", serde_json::to_vec(stamp)?.as_slice())?;
        write_folded(&mut meta, &vec![next; stamp.params.bands + 1])?;
        Ok(())
    })
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
    recent: &mut Recent,
    id: &str,
) -> StoreResult<Removal> {
    let mut ids = txn.open_table(IDS)?;
    let Some(number) = ids.remove(id)?.map(|v| v.value()) else {
        return Ok(Removal::Absent);
    };
    let mut docs = txn.open_table(DOCUMENTS)?;
    let mut sets = txn.open_table(SETS)?;
    let mut keys_table = txn.open_table(KEYS)?;
    let mut bands = txn.open_multimap_table(BANDS)?;
    let mut members = txn.open_multimap_table(MEMBERS)?;
    let mut vectors = txn.open_table(VECTORS)?;
    let mut postings = txn.open_multimap_table(POSTINGS)?;
    let mut stories = txn.open_table(STORIES)?;
    let mut story_members = txn.open_multimap_table(STORY_MEMBERS)?;
    let record = read_record(&docs, number)?;
    docs.remove(number)?;
    sets.remove(number)?;
    let keys = keys_table
        .remove(number)?
        .map(|k| decode_keys(k.value()))
        .unwrap_or_default();
    let vector = match vectors.remove(number)? {
        Some(v) => decode_vector(v.value())?.vector,
        None => StoryVector::default(),
    };
    if let Some(of) = record.duplicate_of {
        members.remove(of, number)?;
        return Ok(Removal::Removed {
            redecided: Vec::new(),
        });
    }
    recent.withdraw((&mut bands, &mut postings), number, &keys, &vector)?;
    story_members.remove(record.story, number)?;
    let size = stories.get(record.story)?.map_or(0, |v| v.value());
    if size > 1 {
        stories.insert(record.story, size - 1)?;
    } else {
        stories.remove(record.story)?;
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
        let mut stored = match vectors.get(m)? {
            Some(v) => decode_vector(v.value())?,
            None => StoredVector {
                story: orphan.story,
                timestamp: None,
                vector: StoryVector::default(),
            },
        };
        let verdict = match match_representative(
            &docs,
            &sets,
            (&bands, recent),
            params,
            &orphan_keys,
            &values,
        )? {
            Some((similarity, of, rep)) => {
                orphan.duplicate_of = Some(of);
                orphan.similarity = Some((similarity * 1e4).round() / 1e4);
                orphan.story = rep.story;
                members.insert(of, m)?;
                Verdict::Duplicate {
                    of,
                    of_id: rep.id,
                    similarity,
                    story: rep.story,
                }
            }
            None => {
                // It takes its representative's place in the story.
                orphan.duplicate_of = None;
                orphan.similarity = None;
                enter_representative(
                    (&mut bands, &mut postings, recent),
                    (&mut stories, &mut story_members),
                    m,
                    &orphan_keys,
                    (&stored.vector, None),
                    orphan.story,
                )?;
                Verdict::New {
                    story: Some(orphan.story),
                }
            }
        };
        stored.story = orphan.story;
        vectors.insert(
            m,
            encode_vector(stored.story, stored.timestamp, &stored.vector).as_slice(),
        )?;
        docs.insert(m, serde_json::to_vec(&orphan)?.as_slice())?;
        redecided.push((orphan.id, verdict));
    }
    Ok(Removal::Removed { redecided })
}

impl IndexReader {
    /// Open the index in `dir` read-only; a writer may be adding at the same time.
    pub fn open(dir: &Path) -> Result<Self> {
        guarded(&file_of(dir), || {
            let path = existing_file(dir)?;
            let compaction = compaction_lock(&path);
            let hold = CompactionHold::take(compaction.as_ref(), &path)?;
            let db = match builder().open_read_only(&path) {
                Ok(db) => db,
                // After a crash the file needs a repair (redb rebuilds its allocator state; what
                // was not committed was never visible), which only a writer may do: do it, unless
                // a writer is at work, and open read-only again.
                Err(first) => {
                    // Checked as every writer checks, so a damaged file fails here rather
                    // than panicking as the repaired store is closed.
                    builder()
                        .set_check_integrity_on_open(true)
                        .open(&path)
                        .map_err(|_| store_error(&path, &first))?;
                    builder()
                        .open_read_only(&path)
                        .map_err(|e| store_error(&path, e))?
                }
            };
            let db = Store::new(&path, db);
            let stamp = db.run(|db| read_stamp(&path, db))?;
            drop(hold);
            Ok(IndexReader {
                db,
                path,
                compaction,
                stamp,
                recent: Mutex::new(None),
            })
        })
    }

    /// The parameters fixed at creation.
    pub fn params(&self) -> IndexParams {
        self.stamp.params
    }

    /// What adding `documents` would say, against the index as last committed; nothing is
    /// written, and the documents are not checked against each other.
    pub fn query(&self, documents: &[IndexInput<'_>]) -> Result<Vec<Verdict>> {
        let err = |e: &dyn std::fmt::Display| store_error(&self.path, e);
        let _hold = CompactionHold::take(self.compaction.as_ref(), &self.path)?;
        self.db.run(|db| {
            let txn = db.begin_read().map_err(|e| err(&e))?;
            let open = || -> StoreResult<(QueryTables, u64, Arc<Recent>)> {
                let meta = txn.open_table(META)?;
                let docs = txn.open_table(DOCUMENTS)?;
                let vectors = txn.open_table(VECTORS)?;
                let df = txn.open_table(DF)?;
                let counters = Counters::read(&meta, self.stamp.params.bands)?;
                let recent = {
                    let mut cached = self
                        .recent
                        .lock()
                        .map_err(|_| "a query panicked while holding the band layer")?;
                    match cached.as_ref() {
                        Some(layer) if layer.is_at(&counters) => Arc::clone(layer),
                        _ => {
                            // Kept if it can be brought up to date (cloned only if a query on
                            // another thread still reads it), else rebuilt.
                            let mut layer = cached
                                .take()
                                .filter(|a| a.can_catch_up(&counters))
                                .map(|a| Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone()));
                            let keys = txn.open_table(KEYS)?;
                            Recent::catch_up(&mut layer, counters, (&docs, &keys, &vectors), &df)?;
                            let layer = Arc::new(layer.ok_or("no band layer")?);
                            *cached = Some(Arc::clone(&layer));
                            layer
                        }
                    }
                };
                Ok((
                    QueryTables {
                        ids: txn.open_table(IDS)?,
                        docs,
                        sets: txn.open_table(SETS)?,
                        bands: txn.open_multimap_table(BANDS)?,
                        vectors,
                        postings: txn.open_multimap_table(POSTINGS)?,
                        df,
                        stories: txn.open_table(STORIES)?,
                        story_members: txn.open_multimap_table(STORY_MEMBERS)?,
                    },
                    read_counter(&meta, STORY_DOCUMENTS)?,
                    recent,
                ))
            };
            let (tables, story_documents, recent) = open().map_err(|e| err(&e))?;
            let mut stats = TermStats {
                documents: story_documents,
                ..TermStats::default()
            };
            documents
                .iter()
                .map(|doc| {
                    decide(&tables, &recent, &mut stats, &self.stamp.params, doc)
                        .map_err(|e| err(&e))
                })
                .collect()
        })
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Result<IndexStats> {
        let _hold = CompactionHold::take(self.compaction.as_ref(), &self.path)?;
        self.db.run(|db| stats_of(&self.path, db, &self.stamp))
    }

    /// Every indexed document, by number, with what the index keeps of it: the whole content
    /// of the index, to compare two indexes or to export one.
    pub fn documents(&self) -> Result<Vec<IndexEntry>> {
        let err = |e: &dyn std::fmt::Display| store_error(&self.path, e);
        let read = |db: &ReadOnlyDatabase| -> StoreResult<Vec<IndexEntry>> {
            let txn = db.begin_read()?;
            let docs = txn.open_table(DOCUMENTS)?;
            let sets = txn.open_table(SETS)?;
            let vectors = txn.open_table(VECTORS)?;
            let mut out = Vec::new();
            for entry in docs.iter()? {
                let (number, record) = entry?;
                let number = number.value();
                let shingles = sets.get(number)?.map(|s| decode_set(s.value()));
                let story_vector = match vectors.get(number)? {
                    Some(v) => Some(decode_vector(v.value())?.vector),
                    None => None,
                };
                out.push(IndexEntry {
                    document: serde_json::from_slice(record.value())?,
                    shingles,
                    story_vector,
                });
            }
            Ok(out)
        };
        let _hold = CompactionHold::take(self.compaction.as_ref(), &self.path)?;
        self.db.run(|db| read(db).map_err(|e| err(&e)))
    }
}

/// One document as the index keeps it (see [`IndexReader::documents`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// Its record.
    pub document: IndexedDocument,
    /// Its shingle set.
    pub shingles: Option<Vec<u32>>,
    /// Its story vector, with the weights it was given when added.
    pub story_vector: Option<StoryVector>,
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
    let stories = txn
        .open_table(STORIES)
        .and_then(|t| Ok(t.len()?))
        .map_err(|e| store_error(path, e))?;
    let file_bytes = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let counters = txn
        .open_table(META)
        .map_err(|e| store_error(path, e))
        .and_then(|meta| {
            Counters::read(&meta, stamp.params.bands).map_err(|e| store_error(path, e))
        })?;
    Ok(IndexStats {
        documents,
        representatives,
        stories,
        file_bytes,
        unfolded_documents: counters.unfolded(),
        format_version: stamp.format_version,
        scheme: stamp.scheme.clone(),
        params: stamp.params,
    })
}

/// Read-only tables of a committed index, opened once per query.
struct QueryTables {
    ids: redb::ReadOnlyTable<&'static str, u64>,
    docs: redb::ReadOnlyTable<u64, &'static [u8]>,
    sets: redb::ReadOnlyTable<u64, &'static [u8]>,
    bands: redb::ReadOnlyMultimapTable<u64, u64>,
    vectors: redb::ReadOnlyTable<u64, &'static [u8]>,
    postings: redb::ReadOnlyMultimapTable<u64, u64>,
    df: redb::ReadOnlyTable<u64, u32>,
    stories: redb::ReadOnlyTable<u64, u64>,
    story_members: redb::ReadOnlyMultimapTable<u64, u64>,
}

/// The verdict on `doc` against the committed index; `stats` caches its term frequencies.
fn decide(
    t: &QueryTables,
    recent: &Recent,
    stats: &mut TermStats,
    params: &IndexParams,
    doc: &IndexInput<'_>,
) -> StoreResult<Verdict> {
    if let Some(number) = t.ids.get(doc.id)? {
        return Ok(Verdict::Exists {
            number: number.value(),
        });
    }
    let keys = band_keys(&doc.fingerprint.signature, &params.matching().lsh)?;
    let values = doc.fingerprint.shingles.values();
    if let Some((similarity, of, record)) =
        match_representative(&t.docs, &t.sets, (&t.bands, recent), params, &keys, values)?
    {
        return Ok(Verdict::Duplicate {
            of,
            of_id: record.id,
            similarity,
            story: record.story,
        });
    }
    let config = params.story();
    let terms = if params.stories { doc.terms } else { &NO_TERMS };
    stats.load(&t.df, terms)?;
    let vector = stats.vector(terms, config.max_terms);
    let tables = StoryTables {
        postings: (&t.postings, recent),
        vectors: &t.vectors,
        stories: &t.stories,
        sets: &t.sets,
        members: &t.story_members,
    };
    let document = StoryDocument {
        vector: &vector,
        timestamp: doc.timestamp,
        values,
    };
    Ok(match tables.decide(stats, &config, document)? {
        Some(m) => story_verdict(m, &t.docs)?,
        None => Verdict::New { story: None },
    })
}

/// The most similar representative at or above the threshold among the LSH candidates of a
/// document with these band keys and shingle values: its similarity, number and record.
fn match_representative<D, S, B>(
    docs: &D,
    sets: &S,
    (bands, recent): (&B, &Recent),
    params: &IndexParams,
    keys: &[u64],
    values: &[u32],
) -> StoreResult<Option<(f64, u64, IndexedDocument)>>
where
    D: ReadableTable<u64, &'static [u8]>,
    S: ReadableTable<u64, &'static [u8]>,
    B: redb::ReadableMultimapTable<u64, u64>,
{
    let mut candidates: Vec<u64> = Vec::new();
    for (band, &key) in keys.iter().enumerate() {
        let entry = band_entry(band, key);
        for value in bands.get(entry)? {
            candidates.push(value?.value());
        }
        recent.band(band, entry, &mut candidates);
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
    match best {
        Some((similarity, of)) => Ok(Some((similarity, of, read_record(docs, of)?))),
        None => Ok(None),
    }
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

type StoreResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The terms of every document of an index without stories.
static NO_TERMS: TermCounts = TermCounts { terms: Vec::new() };

/// Meta key of the number of representatives counted in `df`.
const STORY_DOCUMENTS: &str = "story_documents";
/// Meta key of the next story number.
const NEXT_STORY: &str = "next_story";

fn read_counter<M: ReadableTable<&'static str, &'static [u8]>>(
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

/// Document frequencies as a batch sees them: the committed table, read once per term, plus
/// the representatives added earlier in the batch; written back when the batch ends.
#[derive(Default)]
struct TermStats {
    df: AHashMap<u64, u32>,
    changed: Vec<u64>,
    documents: u64,
}

impl TermStats {
    fn load<T: ReadableTable<u64, u32>>(
        &mut self,
        table: &T,
        terms: &TermCounts,
    ) -> StoreResult<()> {
        for (t, _) in &terms.terms {
            if !self.df.contains_key(&t.hash) {
                let df = table.get(t.hash)?.map_or(0, |v| v.value());
                self.df.insert(t.hash, df);
            }
        }
        Ok(())
    }

    /// The story vector of `terms`, whose frequencies must be loaded.
    fn vector(&self, terms: &TermCounts, max_terms: usize) -> StoryVector {
        let documents = background_documents() + self.documents as usize;
        StoryVector::with_idf(
            terms,
            |h| idf_weight(background_df(h) + self.index_df(h), documents),
            max_terms,
        )
    }

    fn index_df(&self, term: u64) -> u32 {
        self.df.get(&term).copied().unwrap_or(0)
    }

    /// Count one more representative holding `terms` (loaded).
    fn count(&mut self, terms: &TermCounts) {
        self.documents += 1;
        for (t, _) in &terms.terms {
            let df = self.df.entry(t.hash).or_insert(0);
            *df = df.saturating_add(1);
            self.changed.push(t.hash);
        }
    }

    fn save(&mut self, table: &mut redb::Table<u64, u32>) -> StoreResult<()> {
        self.changed.sort_unstable();
        self.changed.dedup();
        for &t in &self.changed {
            table.insert(t, self.index_df(t))?;
        }
        self.changed.clear();
        Ok(())
    }
}

/// A stored story vector: the document's story, its date, its terms.
struct StoredVector {
    story: u64,
    timestamp: Option<i64>,
    vector: StoryVector,
}

const NO_DATE: i64 = i64::MIN;

fn encode_vector(story: u64, timestamp: Option<i64>, vector: &StoryVector) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + vector.terms.len() * 12);
    out.extend_from_slice(&story.to_le_bytes());
    out.extend_from_slice(&timestamp.unwrap_or(NO_DATE).to_le_bytes());
    for &(t, w) in &vector.terms {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

fn decode_vector(bytes: &[u8]) -> StoreResult<StoredVector> {
    let corrupt = || "corrupt story vector";
    let word = |at: usize| -> StoreResult<[u8; 8]> {
        Ok(bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(corrupt)?)
    };
    let story = u64::from_le_bytes(word(0)?);
    let timestamp = Some(i64::from_le_bytes(word(8)?)).filter(|&t| t != NO_DATE);
    let rest = bytes.get(16..).ok_or_else(corrupt)?;
    if rest.len() % 12 != 0 {
        return Err(corrupt().into());
    }
    let terms = rest
        .chunks_exact(12)
        .map(|c| {
            let (t, w) = c.split_at(8);
            let t: [u8; 8] = t.try_into().unwrap_or_default();
            let w: [u8; 4] = w.try_into().unwrap_or_default();
            (u64::from_le_bytes(t), f32::from_le_bytes(w))
        })
        .collect();
    Ok(StoredVector {
        story,
        timestamp,
        vector: StoryVector { terms },
    })
}

/// The heaviest [`POSTED_TERMS`] terms of `vector` with their weights, heaviest first.
fn heaviest_terms(vector: &StoryVector) -> Vec<(u64, f32)> {
    let heavier = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let mut terms = vector.terms.clone();
    // The order is total (ties go to the lower term), so selecting first changes nothing.
    if terms.len() > POSTED_TERMS {
        terms.select_nth_unstable_by(POSTED_TERMS - 1, heavier);
        terms.truncate(POSTED_TERMS);
    }
    terms.sort_unstable_by(heavier);
    terms
}

/// The [`heaviest_terms`] of `vector` with their `postings` values: the document's number and
/// the term's weight in 24 bits.
fn postings_of(number: u64, vector: &StoryVector) -> Vec<(u64, u64)> {
    heaviest_terms(vector)
        .into_iter()
        .map(|(t, w)| {
            let q = (f64::from(w.clamp(0.0, 1.0)) * WEIGHT_SCALE).round() as u64;
            (t, (number << 24) | q)
        })
        .collect()
}

const WEIGHT_SCALE: f64 = ((1u64 << 24) - 1) as f64;

/// The tables story matching reads, from a write or a read transaction.
struct StoryTables<'t, P, V, S, T, M> {
    postings: (&'t P, &'t Recent),
    vectors: &'t V,
    stories: &'t S,
    sets: &'t T,
    members: &'t M,
}

/// What story matching needs of one article: its story vector, date and shingle set.
#[derive(Clone, Copy)]
struct StoryDocument<'d> {
    vector: &'d StoryVector,
    timestamp: Option<i64>,
    values: &'d [u32],
}

/// A representative as loaded for story matching: its stored vector and its shingle set.
type Loaded = (StoredVector, Vec<u32>);

fn view(loaded: &Loaded) -> StoryDocument<'_> {
    StoryDocument {
        vector: &loaded.0.vector,
        timestamp: loaded.0.timestamp,
        values: &loaded.1,
    }
}

/// The similarity of two articles as story clustering weighs it: the cosine of their story
/// vectors times the passage evidence, 0 when they are dated outside the window or their cosine
/// is below the lowest edge.
fn story_similarity(config: &StoryConfig, a: StoryDocument<'_>, b: StoryDocument<'_>) -> f64 {
    dated_cosine(config, (a.vector, a.timestamp), (b.vector, b.timestamp))
        .map_or(0.0, |cosine| cosine * shared_text(a.values, b.values))
}

/// The passage evidence of two shingle sets. Rewrites of one story carry some of the same
/// sentences, stories of one kind do not: the cosine is weighed by that evidence as in batch
/// clustering, with the shingles two articles share standing in for sentences.
fn shared_text(a: &[u32], b: &[u32]) -> f64 {
    passage_evidence(intersection(a, b) / SHINGLES_PER_SENTENCE)
}

/// Where a document goes among the stories: the story it joins, its average similarity with
/// that story's representatives, the nearest of them, and older stories that it shows to be
/// the same story (merged into the lowest number).
#[derive(Debug, Clone, PartialEq)]
struct StoryMatch {
    story: u64,
    similarity: f64,
    nearest: u64,
    merged: Vec<u64>,
}

impl<P, V, S, T, M> StoryTables<'_, P, V, S, T, M>
where
    P: redb::ReadableMultimapTable<u64, u64>,
    V: ReadableTable<u64, &'static [u8]>,
    S: ReadableTable<u64, u64>,
    T: ReadableTable<u64, &'static [u8]>,
    M: redb::ReadableMultimapTable<u64, u64>,
{
    /// The stored vector, date and shingle set of representative `number`.
    fn load(&self, number: u64) -> StoreResult<Option<Loaded>> {
        let Some(stored) = self.vector(number)? else {
            return Ok(None);
        };
        Ok(Some((stored, self.set(number)?)))
    }

    fn vector(&self, number: u64) -> StoreResult<Option<StoredVector>> {
        match self.vectors.get(number)? {
            Some(stored) => Ok(Some(decode_vector(stored.value())?)),
            None => Ok(None),
        }
    }

    fn set(&self, number: u64) -> StoreResult<Vec<u32>> {
        Ok(self
            .sets
            .get(number)?
            .map(|s| decode_set(s.value()))
            .unwrap_or_default())
    }

    fn size(&self, story: u64) -> StoreResult<u64> {
        Ok(self.stories.get(story)?.map_or(0, |v| v.value()))
    }

    /// Where `document` goes: see [`StoryMatch`]; `None` when it starts a story.
    fn decide(
        &self,
        stats: &TermStats,
        config: &StoryConfig,
        document: StoryDocument<'_>,
    ) -> StoreResult<Option<StoryMatch>> {
        // Terms many representatives hold cannot tell stories apart, and reading their
        // postings would cost more than all the rest: batch clustering skips terms in a tenth
        // of the corpus; an archive grows without end, so here the bar is a hundredth, at most
        // 250.
        let cap = (stats.documents / 100).clamp(64, MAX_POSTINGS) as u32;
        let mut partial: AHashMap<u64, f64> = AHashMap::new();
        let mut postings: Vec<u64> = Vec::new();
        for (term, w) in heaviest_terms(document.vector) {
            if stats.index_df(term) > cap {
                continue;
            }
            let w = f64::from(w);
            postings.clear();
            for posting in self.postings.0.get(term)? {
                postings.push(posting?.value());
            }
            self.postings.1.postings(term, &mut postings);
            for &posting in &postings {
                let q = (posting & 0xFF_FFFF) as f64 / WEIGHT_SCALE;
                *partial.entry(posting >> 24).or_default() += w * q;
            }
        }
        // As in batch clustering, a pair whose shared heavy terms give less than half the
        // lowest edge is not worth reading.
        let mut candidates: Vec<(u64, f64)> = partial
            .into_iter()
            .filter(|&(_, p)| p >= MIN_EDGE * 0.5)
            .collect();
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(MAX_STORY_CANDIDATES);
        candidates.sort_unstable_by_key(|c| c.0);
        // story → (sum of similarities, best similarity, its representative)
        let mut found: Vec<(u64, f64, f64, u64)> = Vec::new();
        for (number, _) in candidates {
            let Some(other) = self.vector(number)? else {
                continue;
            };
            // Most candidates fall here, before their shingle set is read.
            let Some(cosine) = dated_cosine(
                config,
                (document.vector, document.timestamp),
                (&other.vector, other.timestamp),
            ) else {
                continue;
            };
            let similarity = cosine * shared_text(document.values, &self.set(number)?);
            match found.iter_mut().find(|f| f.0 == other.story) {
                Some(f) => {
                    f.1 += similarity;
                    if similarity > f.2 {
                        (f.2, f.3) = (similarity, number);
                    }
                }
                None => found.push((other.story, similarity, similarity, number)),
            }
        }
        // Average over every representative of the story: one missing link counts as zero.
        let mut qualifying: Vec<(u64, f64, u64)> = Vec::new();
        for (story, sum, _, nearest) in found {
            let average = sum / self.size(story)?.max(1) as f64;
            if average >= config.threshold {
                qualifying.push((story, average, nearest));
            }
        }
        qualifying.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let Some(&(story, similarity, nearest)) = qualifying.first() else {
            return Ok(None);
        };
        let others = self.merges(config, document, story, &qualifying[1..])?;
        // The oldest number stands for the merged story.
        let survivor = others.iter().copied().fold(story, u64::min);
        Ok(Some(StoryMatch {
            story: survivor,
            similarity,
            nearest,
            merged: std::iter::once(story)
                .chain(others)
                .filter(|&s| s != survivor)
                .collect(),
        }))
    }

    /// The other qualifying stories that average-link clustering would merge with `story` once
    /// `document` is in it: one at a time, best first, each when the average similarity over all
    /// pairs across the two reaches the threshold. Stories too large to compare pair by pair
    /// are left apart.
    fn merges(
        &self,
        config: &StoryConfig,
        document: StoryDocument<'_>,
        story: u64,
        others: &[(u64, f64, u64)],
    ) -> StoreResult<Vec<u64>> {
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let mut group = self.representatives(story)?;
        if group.is_empty() {
            return Ok(Vec::new());
        }
        let mut merged = Vec::new();
        for &(other, _, _) in others {
            let them = self.representatives(other)?;
            if (group.len() + 1) * them.len() > MAX_MERGE_PAIRS || them.is_empty() {
                continue;
            }
            let mut sum = 0.0;
            for b in &them {
                sum += story_similarity(config, document, view(b));
                for a in &group {
                    sum += story_similarity(config, view(a), view(b));
                }
            }
            if sum / ((group.len() + 1) * them.len()) as f64 >= config.threshold {
                merged.push(other);
                group.extend(them);
            }
        }
        Ok(merged)
    }

    /// Every representative of `story`, loaded, in number order.
    fn representatives(&self, story: u64) -> StoreResult<Vec<Loaded>> {
        let mut out = Vec::new();
        for number in self.members.get(story)? {
            if out.len() > MAX_MERGE_PAIRS {
                break;
            }
            if let Some(loaded) = self.load(number?.value())? {
                out.push(loaded);
            }
        }
        Ok(out)
    }
}

/// The counter of document numbers: the next number to give. Numbers of removed documents are
/// not reused, so an old number never names another document.
const NEXT: &str = "next";

/// Decide on each of `documents` in order, inside one write transaction, and record it. Tables
/// are opened and the counters read once per batch; band keys are computed once per document.
fn add_batch(
    txn: &WriteTransaction,
    params: &IndexParams,
    recent: &mut Recent,
    documents: &[IndexInput<'_>],
) -> StoreResult<Vec<Verdict>> {
    let mut meta = txn.open_table(META)?;
    let mut ids = txn.open_table(IDS)?;
    let mut docs = txn.open_table(DOCUMENTS)?;
    let mut sets = txn.open_table(SETS)?;
    let mut keys_table = txn.open_table(KEYS)?;
    let mut bands = txn.open_multimap_table(BANDS)?;
    let mut members = txn.open_multimap_table(MEMBERS)?;
    let mut vectors = txn.open_table(VECTORS)?;
    let mut postings = txn.open_multimap_table(POSTINGS)?;
    let mut df = txn.open_table(DF)?;
    let mut stories = txn.open_table(STORIES)?;
    let mut story_members = txn.open_multimap_table(STORY_MEMBERS)?;
    let mut next = read_counter(&meta, NEXT)?;
    let mut next_story = read_counter(&meta, NEXT_STORY)?;
    let mut stats = TermStats {
        documents: read_counter(&meta, STORY_DOCUMENTS)?,
        ..TermStats::default()
    };
    let story_config = params.story();
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
        let number = next;
        next += 1;
        let terms = if params.stories { doc.terms } else { &NO_TERMS };
        stats.load(&df, terms)?;
        let vector = stats.vector(terms, story_config.max_terms);
        let duplicate =
            match_representative(&docs, &sets, (&bands, &*recent), params, &keys, values)?;
        let verdict = match duplicate {
            Some((similarity, of, record)) => Verdict::Duplicate {
                of,
                of_id: record.id,
                similarity,
                story: record.story,
            },
            None => {
                let tables = StoryTables {
                    postings: (&postings, &*recent),
                    vectors: &vectors,
                    stories: &stories,
                    sets: &sets,
                    members: &story_members,
                };
                let document = StoryDocument {
                    vector: &vector,
                    timestamp: doc.timestamp,
                    values,
                };
                let joined = tables.decide(&stats, &story_config, document)?;
                stats.count(terms);
                match joined {
                    Some(m) => {
                        for &gone in &m.merged {
                            merge_story(
                                gone,
                                m.story,
                                &mut docs,
                                &mut vectors,
                                &mut stories,
                                &mut story_members,
                                &members,
                            )?;
                        }
                        story_verdict(m, &docs)?
                    }
                    None => {
                        next_story += 1;
                        Verdict::New {
                            story: Some(next_story - 1),
                        }
                    }
                }
            }
        };
        let story = verdict_story(&verdict).unwrap_or_default();
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
            story,
        };
        ids.insert(doc.id, number)?;
        docs.insert(number, serde_json::to_vec(&record)?.as_slice())?;
        sets.insert(number, encode_set(&doc.fingerprint.shingles).as_slice())?;
        keys_table.insert(number, encode_keys(&keys).as_slice())?;
        vectors.insert(
            number,
            encode_vector(story, doc.timestamp, &vector).as_slice(),
        )?;
        match duplicate_of {
            Some(of) => {
                members.insert(of, number)?;
            }
            None => enter_representative(
                (&mut bands, &mut postings, recent),
                (&mut stories, &mut story_members),
                number,
                &keys,
                (&vector, Some(&stats)),
                story,
            )?,
        }
        verdicts.push(verdict);
    }
    stats.save(&mut df)?;
    recent.advance(next);
    meta.insert(NEXT, next.to_le_bytes().as_slice())?;
    meta.insert(NEXT_STORY, next_story.to_le_bytes().as_slice())?;
    meta.insert(STORY_DOCUMENTS, stats.documents.to_le_bytes().as_slice())?;
    Ok(verdicts)
}

/// The story a verdict puts a document in, if it gives one.
fn verdict_story(verdict: &Verdict) -> Option<u64> {
    match verdict {
        Verdict::Duplicate { story, .. } | Verdict::Story { story, .. } => Some(*story),
        Verdict::New { story } => *story,
        Verdict::Exists { .. } => None,
    }
}

type Multimap<'t> = redb::MultimapTable<'t, u64, u64>;

/// Enter representative `number` in the band table (`bands`) and the term postings
/// (`postings`), or in memory for the slots whose fold counters it has reached (see `recent`),
/// and in its story (`stories`, `story_members`).
fn enter_representative(
    (bands, postings, recent): (&mut Multimap<'_>, &mut Multimap<'_>, &mut Recent),
    (stories, story_members): (&mut redb::Table<u64, u64>, &mut Multimap<'_>),
    number: u64,
    keys: &[u64],
    (vector, stats): (&StoryVector, Option<&TermStats>),
    story: u64,
) -> StoreResult<()> {
    let size = stories.get(story)?.map_or(0, |v| v.value());
    stories.insert(story, size + 1)?;
    story_members.insert(story, number)?;
    // A term held by more representatives than any query reads (frequencies only grow) is
    // never looked up again: its list is left as it is, which saves most inserts.
    let keep = |term: u64| stats.is_none_or(|s| u64::from(s.index_df(term)) <= MAX_POSTINGS);
    recent.enter((bands, postings), number, keys, vector, &mut |term| {
        Ok(keep(term))
    })
}

/// The verdict of a document that joins an indexed story.
fn story_verdict<D: ReadableTable<u64, &'static [u8]>>(
    m: StoryMatch,
    docs: &D,
) -> StoreResult<Verdict> {
    Ok(Verdict::Story {
        story: m.story,
        similarity: m.similarity,
        nearest: m.nearest,
        nearest_id: read_record(docs, m.nearest)?.id,
        merged: m.merged,
    })
}

/// Move every article of story `gone` (representatives and their near-duplicates) into story
/// `into`.
fn merge_story(
    gone: u64,
    into: u64,
    docs: &mut redb::Table<u64, &[u8]>,
    vectors: &mut redb::Table<u64, &[u8]>,
    stories: &mut redb::Table<u64, u64>,
    story_members: &mut Multimap<'_>,
    members: &Multimap<'_>,
) -> StoreResult<()> {
    let mut moved: Vec<u64> = Vec::new();
    let mut reps: Vec<u64> = Vec::new();
    for rep in story_members.remove_all(gone)? {
        reps.push(rep?.value());
    }
    for rep in reps {
        moved.push(rep);
        for copy in members.get(rep)? {
            moved.push(copy?.value());
        }
        story_members.insert(into, rep)?;
    }
    for number in moved {
        let mut record = read_record(docs, number)?;
        record.story = into;
        docs.insert(number, serde_json::to_vec(&record)?.as_slice())?;
        let stored = match vectors.get(number)? {
            Some(v) => Some(decode_vector(v.value())?),
            None => None,
        };
        if let Some(stored) = stored {
            vectors.insert(
                number,
                encode_vector(into, stored.timestamp, &stored.vector).as_slice(),
            )?;
        }
    }
    let size = stories.remove(gone)?.map_or(0, |v| v.value());
    let kept = stories.get(into)?.map_or(0, |v| v.value());
    stories.insert(into, kept + size)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::recent::FOLDED;
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
        IndexParams::new(&signature, &matching, &StoryConfig::default())
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
            timestamp: None,
            terms: &NO_TERMS,
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
        assert_eq!(verdicts[0], Verdict::New { story: Some(0) });
        assert!(
            matches!(&verdicts[1], Verdict::Duplicate { of: 0, of_id, similarity, story: 0 } if of_id == "a" && *similarity >= 0.8),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[2], Verdict::New { story: Some(1) });
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
    fn a_damaged_page_is_a_corrupt_index_error_never_a_panic() {
        // An index of some size, then each of its pages zeroed in turn: every operation either
        // works (the page was free) or says the index is damaged; a panic fails the test.
        let (dir, mut index, mut f) = fresh();
        let texts: Vec<String> = (0..80)
            .map(|i| format!("{TEXT} Report {i} adds that shares of the firm moved {i} points."))
            .collect();
        let prints: Vec<Fingerprint> = texts.iter().map(|t| f.fingerprint(t).unwrap()).collect();
        let ids: Vec<String> = (0..prints.len()).map(|i| format!("d{i}")).collect();
        let inputs: Vec<IndexInput<'_>> = ids
            .iter()
            .zip(&prints)
            .map(|(id, p)| input(id, p))
            .collect();
        index.add(&inputs[..60]).unwrap();
        drop(index);
        let original = std::fs::read(file_of(dir.path())).unwrap();
        let (mut refused, mut panicked_before) = (0, 0);
        for page in 0..original.len() / 4096 {
            let copy = tempfile::tempdir().unwrap();
            let mut bytes = original.clone();
            bytes[page * 4096..(page + 1) * 4096].fill(0);
            std::fs::write(file_of(copy.path()), &bytes).unwrap();
            let mut errors = Vec::new();
            if let Ok(reader) = IndexReader::open(copy.path()).map_err(|e| errors.push(e)) {
                let _ = reader.query(&inputs[55..65]).map_err(|e| errors.push(e));
                let _ = reader.documents().map_err(|e| errors.push(e));
            }
            if let Ok(mut writer) = Index::open(copy.path()).map_err(|e| errors.push(e)) {
                let _ = writer.add(&inputs[60..]).map_err(|e| errors.push(e));
                let _ = writer.remove(&["d3"]).map_err(|e| errors.push(e));
                let _ = writer.compact().map_err(|e| errors.push(e));
            }
            for e in &errors {
                assert!(
                    e.to_string().contains("index.redb"),
                    "page {page}: the error names the file: {e}"
                );
                panicked_before += usize::from(e.to_string().contains("corrupt index: the store"));
            }
            refused += usize::from(!errors.is_empty());
        }
        assert!(refused > 0, "some damaged page is noticed");
        assert!(
            panicked_before > 0,
            "the storage layer's panics are among the cases caught"
        );
    }

    #[test]
    fn compaction_waits_for_a_reading_reader() {
        let (dir, mut index, mut f) = fresh();
        let a = f.fingerprint(TEXT).unwrap();
        index.add(&[input("a", &a)]).unwrap();
        let reader = IndexReader::open(dir.path()).unwrap();
        // A reader in the middle of a read holds the lock shared, as a query does.
        let hold = CompactionHold::take(reader.compaction.as_ref(), &reader.path).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let compacting = std::thread::spawn(move || {
            let result = index.compact().map(|_| ());
            done.send(()).unwrap();
            result
        });
        assert!(
            finished
                .recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "compaction started while a reader was reading"
        );
        drop(hold);
        compacting.join().unwrap().unwrap();
        // A reader kept open across the compaction reads on.
        assert_eq!(reader.stats().unwrap().documents, 1);
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
        assert_eq!(
            redecided[0],
            ("b".to_string(), Verdict::New { story: Some(0) })
        );
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

    /// A reader kept open answers as a fresh one does after another handle removes a
    /// representative (which changes who represents whom past the fold counters) and folds.
    #[test]
    fn a_reader_kept_open_sees_removals_and_folds() {
        let (dir, mut index, mut f) = fresh();
        let a = f.fingerprint(TEXT).unwrap();
        let b = f.fingerprint(&format!("{TEXT} Shares fell.")).unwrap();
        index.add(&[input("a", &a), input("b", &b)]).unwrap();
        let reader = IndexReader::open(dir.path()).unwrap();
        let probe = [input("probe", &a)];
        let asked = reader.query(&probe).unwrap();
        assert!(
            matches!(&asked[0], Verdict::Duplicate { of: 0, .. }),
            "{asked:?}"
        );
        index.remove(&["a"]).unwrap();
        let fresh_answer = IndexReader::open(dir.path())
            .unwrap()
            .query(&probe)
            .unwrap();
        assert!(
            matches!(&fresh_answer[0], Verdict::Duplicate { of: 1, .. }),
            "b represents the text now: {fresh_answer:?}"
        );
        assert_eq!(reader.query(&probe).unwrap(), fresh_answer);
        index.compact().unwrap();
        assert_eq!(reader.query(&probe).unwrap(), fresh_answer);
    }

    #[test]
    fn story_vectors_and_postings_round_trip() {
        let vector = StoryVector {
            terms: (0..40u64)
                .map(|t| (t * 7919, 1.0 / (t as f32 + 2.0)))
                .collect(),
        };
        for timestamp in [None, Some(-5), Some(1_769_644_800)] {
            let stored = decode_vector(&encode_vector(42, timestamp, &vector)).unwrap();
            assert_eq!((stored.story, stored.timestamp), (42, timestamp));
            assert_eq!(stored.vector, vector);
        }
        assert!(
            decode_vector(&[0; 20]).is_err(),
            "a torn record is an error"
        );
        let postings = postings_of(1 << 39, &vector);
        assert_eq!(postings.len(), POSTED_TERMS);
        // The heaviest terms, each with the document's number and its weight to 1e-7.
        assert_eq!(postings[0].0, 0);
        for (term, value) in postings {
            assert_eq!(value >> 24, 1 << 39);
            let w = vector.terms.iter().find(|t| t.0 == term).unwrap().1;
            assert!(((value & 0xFF_FFFF) as f64 / WEIGHT_SCALE - f64::from(w)).abs() < 1e-7);
        }
    }

    type Pairs = Vec<(u64, u64)>;

    /// The band entries and postings of an index: the tables' and the recent layer's.
    fn entries(dir: &Path) -> (Pairs, Pairs, u64) {
        entries_of(&IndexReader::open(dir).unwrap())
    }

    /// The band entries and postings `reader` finds: the tables' and its layer's, brought up
    /// to date.
    fn entries_of(reader: &IndexReader) -> (Pairs, Pairs, u64) {
        reader.query(&[]).unwrap();
        let txn = reader.db.usable().unwrap().begin_read().unwrap();
        let table = |def| -> Vec<(u64, u64)> {
            let t = txn.open_multimap_table(def).unwrap();
            let mut out = Vec::new();
            for row in t.iter().unwrap() {
                let (k, values) = row.unwrap();
                for v in values {
                    out.push((k.value(), v.unwrap().value()));
                }
            }
            out
        };
        let (mut bands, mut postings) = (table(BANDS), table(POSTINGS));
        let in_tables = bands.len() as u64;
        let layer = reader.recent.lock().unwrap();
        let [b, p] = layer.as_ref().unwrap().entries();
        bands.extend(b);
        postings.extend(p);
        bands.sort_unstable();
        postings.sort_unstable();
        (bands, postings, in_tables)
    }

    /// Every representative's band entries and postings, computed afresh from what the index
    /// holds: `(bands, postings)`, sorted.
    fn afresh(dir: &Path, fingerprints: &AHashMap<String, Fingerprint>) -> (Pairs, Pairs) {
        let reader = IndexReader::open(dir).unwrap();
        let txn = reader.db.usable().unwrap().begin_read().unwrap();
        let docs = txn.open_table(DOCUMENTS).unwrap();
        let (mut bands, mut postings) = (Vec::new(), Vec::new());
        for (entry, row) in reader.documents().unwrap().iter().zip(docs.iter().unwrap()) {
            let number = row.unwrap().0.value();
            if entry.document.duplicate_of.is_some() {
                continue;
            }
            let fingerprint = &fingerprints[&entry.document.id];
            let keys = band_keys(&fingerprint.signature, &params().matching().lsh).unwrap();
            for (band, &key) in keys.iter().enumerate() {
                bands.push((band_entry(band, key), number));
            }
            postings.extend(postings_of(number, entry.story_vector.as_ref().unwrap()));
        }
        bands.sort_unstable();
        postings.sort_unstable();
        (bands, postings)
    }

    /// `n` generated articles: id, fingerprint and story terms.
    fn synth_corpus(n: usize, seed: u64) -> Vec<(String, Fingerprint, TermCounts)> {
        use crate::synth::{Synth, SynthConfig};
        let mut f = Fingerprinter::new(params().signature()).unwrap();
        Synth::new(SynthConfig {
            documents: n,
            seed,
            ..SynthConfig::default()
        })
        .map(|d| {
            let terms = crate::analysis::story_terms(&d.text, None);
            (d.id, f.fingerprint(&d.text).unwrap(), terms)
        })
        .collect()
    }

    fn inputs_of(corpus: &[(String, Fingerprint, TermCounts)]) -> Vec<IndexInput<'_>> {
        corpus
            .iter()
            .map(|(id, fingerprint, terms)| IndexInput {
                terms,
                ..input(id, fingerprint)
            })
            .collect()
    }

    /// Whether a representative's entries are in the tables or held in memory, and whenever
    /// the folds and removals come, a lookup finds the same ones: exactly those of every
    /// representative, computed afresh. Postings of a term held by more than
    /// [`MAX_POSTINGS`] representatives may be left out, since no lookup reads them.
    #[test]
    fn band_entries_and_postings_are_the_same_folded_or_not() {
        let corpus = synth_corpus(420, 11);
        let fingerprints: AHashMap<String, Fingerprint> = corpus
            .iter()
            .map(|(id, fingerprint, _)| (id.clone(), fingerprint.clone()))
            .collect();
        // The entries found, and the postings no lookup reads left out of both sides.
        let check = |dir: &Path, what: &str| -> (Pairs, Pairs) {
            let (bands, postings, _) = entries(dir);
            let (want_bands, want_postings) = afresh(dir, &fingerprints);
            assert_eq!(bands, want_bands, "{what}");
            let reader = IndexReader::open(dir).unwrap();
            let txn = reader.db.usable().unwrap().begin_read().unwrap();
            let df = txn.open_table(DF).unwrap();
            let read = |p: &(u64, u64)| {
                df.get(p.0).unwrap().map_or(0, |v| u64::from(v.value())) <= MAX_POSTINGS
            };
            let filtered = |p: &Pairs| p.iter().copied().filter(read).collect::<Pairs>();
            assert_eq!(filtered(&postings), filtered(&want_postings), "{what}");
            assert!(
                postings
                    .iter()
                    .all(|p| want_postings.binary_search(p).is_ok()),
                "{what}: a posting of no representative"
            );
            assert!(
                want_postings.iter().any(|p| !read(p)),
                "some term is past the postings cap"
            );
            (bands, filtered(&postings))
        };
        let mut seen = Vec::new();
        for fold_at in [1, 40, u64::MAX] {
            let dir = tempfile::tempdir().unwrap();
            let mut index = Index::create(dir.path(), params()).unwrap();
            index.set_fold_at(fold_at);
            let inputs = inputs_of(&corpus);
            for chunk in inputs.chunks(25) {
                index.add(chunk).unwrap();
            }
            let unfolded = index.stats().unwrap().unfolded_documents;
            let (_, _, in_tables) = entries(dir.path());
            if fold_at == u64::MAX {
                assert_eq!((unfolded, in_tables), (420, 0), "none folded");
            } else {
                assert!(in_tables > 0 && unfolded > 0, "some bands folded, some not");
            }
            let added = check(dir.path(), &format!("fold at {fold_at}"));
            // Remove every seventh document (representatives among them), then fold all.
            let gone: Vec<&str> = corpus.iter().step_by(7).map(|d| d.0.as_str()).collect();
            index.remove(&gone).unwrap();
            let removed = check(dir.path(), &format!("fold at {fold_at}, removed"));
            assert!(removed.0.len() < added.0.len());
            assert!(index.compact().unwrap());
            assert_eq!(index.stats().unwrap().unfolded_documents, 0);
            let (b, _, in_tables) = entries(dir.path());
            assert_eq!(in_tables as usize, b.len(), "all folded");
            let compacted = check(dir.path(), &format!("fold at {fold_at}, compacted"));
            assert_eq!(compacted, removed);
            let documents = IndexReader::open(dir.path()).unwrap().documents().unwrap();
            seen.push((documents, added, compacted));
        }
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[0], seen[2]);
    }

    /// An index of format 3 (no fold counter: everything in the tables) is read as it is, and a
    /// writer upgrades it; what it answers does not change.
    #[test]
    fn an_index_of_format_3_is_read_and_upgraded() {
        let (dir, mut index, mut f) = fresh();
        let a = f.fingerprint(TEXT).unwrap();
        index.add(&[input("a", &a)]).unwrap();
        index.compact().unwrap();
        {
            let txn = index.db.usable().unwrap().begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                let mut stamp = index.stamp.clone();
                stamp.format_version = 3;
                meta.insert("stamp", serde_json::to_vec(&stamp).unwrap().as_slice())
                    .unwrap();
                meta.remove(FOLDED).unwrap();
            }
            txn.commit().unwrap();
        }
        drop(index);
        let copy = f.fingerprint(&format!("{TEXT} Shares fell.")).unwrap();
        let reader = IndexReader::open(dir.path()).unwrap();
        assert_eq!(reader.stats().unwrap().format_version, 3);
        assert_eq!(reader.stats().unwrap().unfolded_documents, 0);
        let asked = reader.query(&[input("copy", &copy)]).unwrap();
        assert!(
            matches!(asked[0], Verdict::Duplicate { of: 0, .. }),
            "{asked:?}"
        );
        drop(reader);
        let mut index = Index::open(dir.path()).unwrap();
        assert_eq!(index.stats().unwrap().format_version, FORMAT_VERSION);
        assert_eq!(index.add(&[input("copy", &copy)]).unwrap(), asked);
        assert_eq!(index.stats().unwrap().unfolded_documents, 1);
    }

    #[test]
    fn an_existing_index_is_not_overwritten_and_a_foreign_stamp_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Index::create(dir.path(), params()).unwrap();
        assert!(Index::create(dir.path(), params()).is_err());
        let path = file_of(dir.path());
        let stamp_with = |format_version: u32, params: IndexParams| {
            let db = builder().open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                let stamp = Stamp {
                    format_version,
                    scheme: SCHEME.to_string(),
                    params,
                };
                meta.insert("stamp", serde_json::to_vec(&stamp).unwrap().as_slice())
                    .unwrap();
            }
            txn.commit().unwrap();
        };
        // A stamp from a future format is refused with a clear message.
        stamp_with(FORMAT_VERSION + 1, params());
        let message = Index::open(dir.path()).err().unwrap().to_string();
        assert!(message.contains("newer reprint"), "{message}");
        assert!(Index::open(&dir.path().join("missing")).is_err());
        // Damaged parameters are an error, not an attempt to size tables by them.
        let bands = 40_000_000_000;
        stamp_with(FORMAT_VERSION, IndexParams { bands, ..params() });
        let message = IndexReader::open(dir.path()).err().unwrap().to_string();
        assert!(message.contains("corrupt index parameters"), "{message}");
    }

    /// A reader kept open while a writer folds band by band finds exactly the entries a fresh
    /// one does (it keeps its layer, emptying the bands folded since); a writer given batches
    /// much larger than its fold spacing folds every band holding twice the threshold.
    #[test]
    fn a_reader_kept_open_follows_folds_and_batches_cannot_outgrow_them() {
        let corpus = synth_corpus(120, 5);
        let inputs = inputs_of(&corpus);
        let (dir, mut index, _) = fresh();
        index.set_fold_at(3);
        let reader = IndexReader::open(dir.path()).unwrap();
        for chunk in inputs[..60].chunks(6) {
            index.add(chunk).unwrap();
            assert_eq!(entries_of(&reader), entries(dir.path()));
        }
        // 60 documents in one batch, after which every band holds more than twice 3: the next
        // batch (here one document already indexed) folds them all first.
        index.add(&inputs[60..]).unwrap();
        index.add(&inputs[..1]).unwrap();
        assert_eq!(index.stats().unwrap().unfolded_documents, 0);
        assert_eq!(entries_of(&reader), entries(dir.path()));
    }
}
