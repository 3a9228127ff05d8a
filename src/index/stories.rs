//! Story matching in the index: the batch average-link scheme made incremental.
//!
//! Main choice: term statistics grow only with what came before a document, so its story never
//! depends on how the input was cut into batches; candidates come from postings of each
//! representative's heaviest terms, capped, so one add reads a bounded number of stories.

use super::codec::MAX_POSTINGS;
use super::codec::{
    decode_set, decode_vector, encode_vector, heaviest_terms, read_record, StoredVector,
    WEIGHT_SCALE,
};
use super::recent::Recent;
use super::store::Multimap;
use super::store::StoreResult;
use super::Verdict;
use crate::sketch::shingle_set::intersection;
use crate::story::cluster::{
    background_df, background_documents, dated_cosine, idf_weight, passage_evidence, StoryConfig,
    StoryVector, TermCounts, MAX_STORY_CANDIDATES, MIN_EDGE,
};
use ahash::AHashMap;
use redb::{ReadableMultimapTable, ReadableTable};

/// Shared shingles that count as one shared sentence in the passage evidence. Batch
/// clustering aligns sentences; the index keeps no sentences, so the shingles two articles
/// share stand in for them: four five-word shingles are eight words kept in a row. (On
/// `data/dev`, 2, 4, 8 and 16 give B-cubed F1 0.946, 0.963, 0.968 and 0.973, and the five
/// seeds one story only at 2 and 4: rewrites keep little verbatim.)
pub(super) const SHINGLES_PER_SENTENCE: usize = 4;
/// Most pairs compared to decide whether two stories are one (larger stories stay apart).
pub(super) const MAX_MERGE_PAIRS: usize = 1000;

/// The terms of every document of an index without stories.
pub(super) static NO_TERMS: TermCounts = TermCounts { terms: Vec::new() };

/// Document frequencies as a batch sees them: the committed table, read once per term, plus
/// the representatives added earlier in the batch; written back when the batch ends.
#[derive(Default)]
pub(super) struct TermStats {
    pub(super) df: AHashMap<u64, u32>,
    pub(super) changed: Vec<u64>,
    pub(super) documents: u64,
}

impl TermStats {
    pub(super) fn load<T: ReadableTable<u64, u32>>(
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
    pub(super) fn vector(&self, terms: &TermCounts, max_terms: usize) -> StoryVector {
        let documents = background_documents() + self.documents as usize;
        StoryVector::with_idf(
            terms,
            |h| idf_weight(background_df(h) + self.index_df(h), documents),
            max_terms,
        )
    }

    pub(super) fn index_df(&self, term: u64) -> u32 {
        self.df.get(&term).copied().unwrap_or(0)
    }

    /// Count one more representative holding `terms` (loaded).
    pub(super) fn count(&mut self, terms: &TermCounts) {
        self.documents += 1;
        for (t, _) in &terms.terms {
            let df = self.df.entry(t.hash).or_insert(0);
            *df = df.saturating_add(1);
            self.changed.push(t.hash);
        }
    }

    pub(super) fn save(&mut self, table: &mut redb::Table<u64, u32>) -> StoreResult<()> {
        self.changed.sort_unstable();
        self.changed.dedup();
        for &t in &self.changed {
            table.insert(t, self.index_df(t))?;
        }
        self.changed.clear();
        Ok(())
    }
}

/// The tables story matching reads, from a write or a read transaction.
pub(super) struct StoryTables<'t, P, V, S, T, M> {
    pub(super) postings: (&'t P, &'t Recent),
    pub(super) vectors: &'t V,
    pub(super) stories: &'t S,
    pub(super) sets: &'t T,
    pub(super) members: &'t M,
}

/// What story matching needs of one article: its story vector, date and shingle set.
#[derive(Clone, Copy)]
pub(super) struct StoryDocument<'d> {
    pub(super) vector: &'d StoryVector,
    pub(super) timestamp: Option<i64>,
    pub(super) values: &'d [u32],
}

/// A representative as loaded for story matching: its stored vector and its shingle set.
pub(super) type Loaded = (StoredVector, Vec<u32>);

pub(super) fn view(loaded: &Loaded) -> StoryDocument<'_> {
    StoryDocument {
        vector: &loaded.0.vector,
        timestamp: loaded.0.timestamp,
        values: &loaded.1,
    }
}

/// The similarity of two articles as story clustering weighs it: the cosine of their story
/// vectors times the passage evidence, 0 when they are dated outside the window or their cosine
/// is below the lowest edge.
pub(super) fn story_similarity(
    config: &StoryConfig,
    a: StoryDocument<'_>,
    b: StoryDocument<'_>,
) -> f64 {
    dated_cosine(config, (a.vector, a.timestamp), (b.vector, b.timestamp))
        .map_or(0.0, |cosine| cosine * shared_text(a.values, b.values))
}

/// The passage evidence of two shingle sets. Rewrites of one story carry some of the same
/// sentences, stories of one kind do not: the cosine is weighed by that evidence as in batch
/// clustering, with the shingles two articles share standing in for sentences.
pub(super) fn shared_text(a: &[u32], b: &[u32]) -> f64 {
    passage_evidence(intersection(a, b) / SHINGLES_PER_SENTENCE)
}

/// Where a document goes among the stories: the story it joins, its average similarity with
/// that story's representatives, the nearest of them, and older stories that it shows to be
/// the same story (merged into the lowest number).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StoryMatch {
    pub(super) story: u64,
    pub(super) similarity: f64,
    pub(super) nearest: u64,
    pub(super) merged: Vec<u64>,
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
    pub(super) fn load(&self, number: u64) -> StoreResult<Option<Loaded>> {
        let Some(stored) = self.vector(number)? else {
            return Ok(None);
        };
        Ok(Some((stored, self.set(number)?)))
    }

    pub(super) fn vector(&self, number: u64) -> StoreResult<Option<StoredVector>> {
        match self.vectors.get(number)? {
            Some(stored) => Ok(Some(decode_vector(stored.value())?)),
            None => Ok(None),
        }
    }

    pub(super) fn set(&self, number: u64) -> StoreResult<Vec<u32>> {
        Ok(self
            .sets
            .get(number)?
            .map(|s| decode_set(s.value()))
            .unwrap_or_default())
    }

    pub(super) fn size(&self, story: u64) -> StoreResult<u64> {
        Ok(self.stories.get(story)?.map_or(0, |v| v.value()))
    }

    /// Where `document` goes: see [`StoryMatch`]; `None` when it starts a story.
    pub(super) fn decide(
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
    pub(super) fn merges(
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
    pub(super) fn representatives(&self, story: u64) -> StoreResult<Vec<Loaded>> {
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

/// The verdict of a document that joins an indexed story.
pub(super) fn story_verdict<D: ReadableTable<u64, &'static [u8]>>(
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
pub(super) fn merge_story(
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
