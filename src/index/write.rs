//! The write path: adding documents, removing them, compacting the file.
//!
//! Main choice: one write transaction per batch, so a crash loses at most the batch in progress
//! and a rerun of the same `add` completes it with the same decisions.

use super::codec::{
    decode_keys, decode_set, decode_vector, encode_keys, encode_set, encode_vector, read_record,
    StoredVector, MAX_POSTINGS,
};
use super::query::{match_representative, stats_of};
use super::recent::{Counters, Recent, FOLD_AT};
use super::schema::{
    builder, existing_file, file_of, read_counter, read_stamp, upgrade, Stamp, BANDS, DF,
    DOCUMENTS, FORMAT_VERSION, IDS, KEYS, MEMBERS, META, NEXT, NEXT_STORY, POSTINGS, SETS, STORIES,
    STORY_DOCUMENTS, STORY_MEMBERS, VECTORS,
};
use super::schema::{write_folded, EDITS};
use super::store::{
    compaction_lock, guarded, in_write_transaction, store_error, CompactionHold, Multimap, Store,
    StoreResult,
};
use super::stories::{merge_story, story_verdict, StoryDocument, StoryTables, TermStats, NO_TERMS};
use super::{Index, IndexInput, IndexParams, IndexStats, IndexedDocument, Removal, Verdict};
use crate::candidates::band_index::band_keys;
use crate::error::{Error, Result};
use crate::sketch::signature::SCHEME;
use crate::story::cluster::StoryVector;
use redb::{Database, ReadableTable, WriteTransaction};
use std::path::{Path, PathBuf};

impl Index {
    pub(super) fn over(path: PathBuf, db: Store<Database>, stamp: Stamp) -> Self {
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
            init().map_err(|e| e.at(&path))?;
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
                db.run(|db| upgrade(db, &stamp).map_err(|e| e.at(&path)))?;
            }
            Ok(Index::over(path, db, stamp))
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

    /// Fold a band's entries (or the postings) held in memory into its table once it holds
    /// those of `n` representatives (at least 1; the default is [`DEFAULT_FOLD_AT`](super::DEFAULT_FOLD_AT)). Larger
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
    pub(super) fn write<T>(
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
            .map_err(|e| e.at(&self.path))
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

pub(super) fn remove_one(
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

/// Decide on each of `documents` in order, inside one write transaction, and record it. Tables
/// are opened and the counters read once per batch; band keys are computed once per document.
pub(super) fn add_batch(
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
pub(super) fn verdict_story(verdict: &Verdict) -> Option<u64> {
    match verdict {
        Verdict::Duplicate { story, .. } | Verdict::Story { story, .. } => Some(*story),
        Verdict::New { story } => *story,
        Verdict::Exists { .. } => None,
    }
}

/// Enter representative `number` in the band table (`bands`) and the term postings
/// (`postings`), or in memory for the slots whose fold counters it has reached (see `recent`),
/// and in its story (`stories`, `story_members`).
pub(super) fn enter_representative(
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
