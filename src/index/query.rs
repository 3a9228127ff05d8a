//! The read path: matching documents against the index without writing, and its statistics.
//!
//! Main choice: a reader opens the file read-only and holds the compaction lock shared while
//! it reads, so it can query while another process adds.

use super::codec::{band_entry, decode_set, decode_vector, read_record};
use super::recent::{Counters, Recent};
use super::schema::{
    builder, existing_file, file_of, read_counter, read_stamp, Stamp, BANDS, DF, DOCUMENTS, IDS,
    KEYS, MEMBERS, META, POSTINGS, SETS, STORIES, STORY_DOCUMENTS, STORY_MEMBERS, VECTORS,
};
use super::store::{compaction_lock, guarded, store_error, CompactionHold, Store, StoreResult};
use super::stories::{story_verdict, StoryDocument, StoryTables, TermStats, NO_TERMS};
use super::{
    IndexEntry, IndexInput, IndexParams, IndexReader, IndexStats, IndexedDocument, Verdict,
};
use crate::candidates::band_index::band_keys;
use crate::error::{Error, Result};
use crate::near_dup::verify::Measure;
use redb::{ReadOnlyDatabase, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use std::path::Path;
use std::sync::{Arc, Mutex};

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

    /// The index's file.
    pub fn path(&self) -> &Path {
        &self.path
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
            let (tables, story_documents, recent) = open().map_err(|e| e.at(&self.path))?;
            let mut stats = TermStats {
                documents: story_documents,
                ..TermStats::default()
            };
            documents
                .iter()
                .map(|doc| {
                    decide(&tables, &recent, &mut stats, &self.stamp.params, doc)
                        .map_err(|e| e.at(&self.path))
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
        self.db.run(|db| read(db).map_err(|e| e.at(&self.path)))
    }
}

pub(super) fn stats_of(
    path: &Path,
    db: &impl ReadableDatabase,
    stamp: &Stamp,
) -> Result<IndexStats> {
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
        .and_then(|meta| Counters::read(&meta, stamp.params.bands).map_err(|e| e.at(path)))?;
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
pub(super) struct QueryTables {
    pub(super) ids: redb::ReadOnlyTable<&'static str, u64>,
    pub(super) docs: redb::ReadOnlyTable<u64, &'static [u8]>,
    pub(super) sets: redb::ReadOnlyTable<u64, &'static [u8]>,
    pub(super) bands: redb::ReadOnlyMultimapTable<u64, u64>,
    pub(super) vectors: redb::ReadOnlyTable<u64, &'static [u8]>,
    pub(super) postings: redb::ReadOnlyMultimapTable<u64, u64>,
    pub(super) df: redb::ReadOnlyTable<u64, u32>,
    pub(super) stories: redb::ReadOnlyTable<u64, u64>,
    pub(super) story_members: redb::ReadOnlyMultimapTable<u64, u64>,
}

/// The verdict on `doc` against the committed index; `stats` caches its term frequencies.
pub(super) fn decide(
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
pub(super) fn match_representative<D, S, B>(
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
