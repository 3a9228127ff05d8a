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
//!
//! The files, from the store up: `store` (redb made safe to call, the compaction lock),
//! `schema` (file, tables, format version, stamp), `codec` (how values are encoded), `recent`
//! (entries held in memory until folded), `stories` (story matching), `query` (the read path)
//! and `write` (add, remove, compact).

use crate::candidates::lsh::LshParams;
use crate::near_dup::cluster::MatchConfig;
use crate::near_dup::verify::Measure;
use crate::sketch::fingerprint::Fingerprint;
use crate::sketch::signature::SignatureParams;
use crate::story::cluster::{StoryConfig, StoryVector, TermCounts};
use recent::Recent;
pub use recent::FOLD_AT as DEFAULT_FOLD_AT;
use redb::{Database, ReadOnlyDatabase};
use schema::Stamp;
pub use schema::FORMAT_VERSION;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use store::Store;

mod codec;
mod query;
mod recent;
mod schema;
mod store;
mod stories;
mod write;

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
    /// Its content terms ([`crate::story::article_terms::story_terms`]); empty terms never join a story.
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

#[cfg(test)]
mod tests {
    use super::codec::*;

    use super::schema::*;
    use super::store::*;
    use super::stories::*;
    use super::*;
    use crate::candidates::band_index::band_keys;
    use crate::error::Error;
    use crate::sketch::fingerprint::Fingerprinter;
    use crate::sketch::signature::SCHEME;
    use ahash::AHashMap;
    use redb::{ReadableDatabase, ReadableMultimapTable, ReadableTable};
    use std::path::Path;

    fn params() -> IndexParams {
        let signature = SignatureParams::default();
        let matching = MatchConfig::new(
            0.8,
            Measure::Jaccard,
            signature.num_perm,
            crate::candidates::lsh::DEFAULT_FP_WEIGHT,
            crate::candidates::lsh::DEFAULT_FN_WEIGHT,
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
                panicked_before += usize::from(matches!(
                    e,
                    Error::Corrupt { what: "index", detail, .. }
                        if detail.starts_with("the store stopped")
                ));
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
            let terms = crate::story::article_terms::story_terms(&d.text, None);
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
        let stamp_scheme_with = |scheme: &str, format_version: u32, params: IndexParams| {
            let db = builder().open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut meta = txn.open_table(META).unwrap();
                let stamp = Stamp {
                    format_version,
                    scheme: scheme.to_string(),
                    params,
                };
                meta.insert("stamp", serde_json::to_vec(&stamp).unwrap().as_slice())
                    .unwrap();
            }
            txn.commit().unwrap();
        };
        let stamp_with = |format_version: u32, params: IndexParams| {
            stamp_scheme_with(SCHEME, format_version, params)
        };
        // Another signing scheme is refused as such.
        stamp_scheme_with("minhash-classic", FORMAT_VERSION, params());
        let e = Index::open(dir.path()).err().unwrap();
        assert!(matches!(e, Error::SchemeMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("minhash-classic"), "{e}");
        // A stamp from a future format is refused with a clear message.
        stamp_with(FORMAT_VERSION + 1, params());
        let e = Index::open(dir.path()).err().unwrap();
        assert!(
            matches!(e, Error::FormatVersion { found, newest: FORMAT_VERSION, .. } if found == FORMAT_VERSION + 1),
            "{e:?}"
        );
        assert!(e.to_string().contains("newer reprint"), "{e}");
        assert!(Index::open(&dir.path().join("missing")).is_err());
        // Damaged parameters are an error, not an attempt to size tables by them.
        let bands = 40_000_000_000;
        stamp_with(FORMAT_VERSION, IndexParams { bands, ..params() });
        let e = IndexReader::open(dir.path()).err().unwrap();
        assert!(matches!(e, Error::Corrupt { what: "index", .. }), "{e:?}");
        assert!(e.to_string().contains("corrupt index: parameters"), "{e}");
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
