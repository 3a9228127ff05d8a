//! Clustering near-duplicates: leader ("star") clustering over verified LSH candidates.
//!
//! Main choice: no connected components. Documents are visited in representative order (input
//! order, earliest date, or longest first); each one is compared, through the LSH index, with the
//! representatives chosen so far, and joins the most similar one whose exact similarity reaches
//! the threshold, or else becomes a representative itself. Only representatives are indexed.
//! Every member is therefore within the threshold of its own representative, and A≈B, B≈C can
//! never pull A and C together when A and C are not near-duplicates: there is no chaining.
//! The same [`LeaderIndex`] drives streaming deduplication, where the order is the stream's.
//!
//! Batch clustering then takes a second look: each member moves to the most similar
//! representative, which may be one chosen after it (still within the threshold, so still no
//! chaining). This recovers pairs of close copies split across two representatives.
//! The visit is sequential (each decision depends on the earlier ones) but cheap: a few hash
//! lookups and a handful of set intersections per document. The expensive part, fingerprinting,
//! runs in parallel before it. Results depend only on the input and the options.

use crate::candidates::band_index::{band_keys, BandIndex, DocIndex, DocLists};
use crate::candidates::buckets::{BucketGrouper, PairSorter};
use crate::candidates::lsh::LshParams;
use crate::error::{Error, Result};
use crate::near_dup::shingle_store::{StoreReader, StoredSet};
use crate::near_dup::verify::Measure;
use crate::sketch::fingerprint::Fingerprint;
use crate::sketch::shingle_set::ShingleSet;
use crate::sketch::signature::estimated_jaccard;
use rayon::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;

/// What makes two documents near-duplicates, and how candidates are found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MatchConfig {
    /// Minimum exact similarity for an edge.
    pub threshold: f64,
    /// Which similarity.
    pub measure: Measure,
    /// LSH bands × rows used to find candidates.
    pub lsh: LshParams,
}

/// Shortest copy, relative to the longer document, that containment matching is tuned for.
pub const CONTAINMENT_MIN_LENGTH_RATIO: f64 = 0.5;

impl MatchConfig {
    /// A configuration whose LSH bands × rows are derived for `threshold` under `measure`.
    ///
    /// LSH finds pairs by Jaccard. For containment, a copy that is fully contained but half as
    /// long has a Jaccard of only about 0.5, so the bands are tuned for the Jaccard that a pair at
    /// the containment threshold has when the shorter document is
    /// [`CONTAINMENT_MIN_LENGTH_RATIO`] of the longer one; shorter excerpts may be missed.
    pub fn new(
        threshold: f64,
        measure: Measure,
        num_perm: usize,
        fp_weight: f64,
        fn_weight: f64,
    ) -> Result<Self> {
        let lsh = LshParams::for_threshold(
            Self::candidate_threshold(threshold, measure),
            num_perm,
            fp_weight,
            fn_weight,
        )?;
        let config = MatchConfig {
            threshold,
            measure,
            lsh,
        };
        config.validate()?;
        Ok(config)
    }

    /// The Jaccard similarity LSH is tuned for.
    pub fn candidate_threshold(threshold: f64, measure: Measure) -> f64 {
        match measure {
            Measure::Jaccard => threshold,
            Measure::Containment => {
                let r = CONTAINMENT_MIN_LENGTH_RATIO;
                // |A∩B| = t|A| with |A| = r|B|: J = t r / (1 + r - t r).
                threshold * r / (1.0 + r - threshold * r)
            }
        }
    }

    /// Check that the threshold is in (0, 1].
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::invalid(
                "threshold",
                format!("must be above 0 and at most 1, got {}", self.threshold),
            ));
        }
        Ok(())
    }
}

/// Which document of a cluster represents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// The first in input order.
    #[default]
    First,
    /// The one with the earliest date (undated last; ties by id).
    Earliest,
    /// The longest text (ties by id).
    Longest,
}

/// The outcome of offering one document to a [`LeaderIndex`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assignment {
    /// The document became representative number `leader`.
    Leader(usize),
    /// The document is a near-duplicate of representative `leader`.
    Member {
        /// Which representative.
        leader: usize,
        /// Its exact similarity to that representative.
        similarity: f64,
    },
}

/// The representatives seen so far, indexed by their band keys.
///
/// `S` is how a representative's shingle set is held: owned (`ShingleSet`) when documents go
/// away after their decision, as in streaming, or borrowed (`&ShingleSet`) when the caller keeps
/// every fingerprint anyway, as batch clustering does.
#[derive(Debug, Clone)]
pub struct LeaderIndex<S = ShingleSet> {
    config: MatchConfig,
    index: BandIndex,
    leaders: Vec<S>,
}

impl<S: AsRef<ShingleSet>> LeaderIndex<S> {
    /// An empty index.
    pub fn new(config: MatchConfig) -> Self {
        LeaderIndex {
            config,
            index: BandIndex::new(config.lsh),
            leaders: Vec::new(),
        }
    }

    /// Number of representatives.
    pub fn leaders(&self) -> usize {
        self.leaders.len()
    }

    /// The matching configuration.
    pub fn config(&self) -> &MatchConfig {
        &self.config
    }

    /// The band keys of `fingerprint` under this index's LSH parameters.
    pub fn keys(&self, fingerprint: &Fingerprint) -> Result<Vec<u64>> {
        band_keys(&fingerprint.signature, &self.config.lsh)
    }

    /// The best matching representative for a document with these keys and shingles, if any
    /// reaches the threshold; ties go to the earlier representative.
    pub fn best_match(&self, keys: &[u64], shingles: &ShingleSet) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for leader in self.index.candidates(keys) {
            let leader = leader as usize;
            let similarity = self
                .config
                .measure
                .similarity(shingles, self.leaders[leader].as_ref());
            if similarity >= self.config.threshold && best.is_none_or(|(_, s)| similarity > s) {
                best = Some((leader, similarity));
            }
        }
        best
    }

    /// Offer a document (with keys from [`LeaderIndex::keys`]): it joins its best representative
    /// or becomes one. `shingles` is kept only if it becomes a representative. Fails only past
    /// 2^31 representatives.
    pub fn assign(&mut self, keys: &[u64], shingles: S) -> Result<Assignment> {
        Ok(match self.best_match(keys, shingles.as_ref()) {
            Some((leader, similarity)) => Assignment::Member { leader, similarity },
            None => {
                let leader = self.leaders.len();
                self.index.insert(doc_index(leader)?, keys)?;
                self.leaders.push(shingles);
                Assignment::Leader(leader)
            }
        })
    }
}

/// One document to cluster.
#[derive(Debug, Clone, Copy)]
pub struct ClusterItem<'a> {
    /// Its id (ties in `earliest`/`longest` order are broken by id).
    pub id: &'a str,
    /// Its fingerprint.
    pub fingerprint: &'a Fingerprint,
    /// Length of its text in bytes (for `longest`).
    pub bytes: usize,
    /// Publication time in seconds since the epoch, when known (for `earliest`).
    pub timestamp: Option<i64>,
}

/// Where one document landed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Membership {
    /// Cluster number: clusters are numbered 0, 1, … in the input order of their first member.
    pub cluster: usize,
    /// Position (in the input) of the cluster's representative.
    pub representative: usize,
    /// Exact similarity to the representative (1 for the representative itself).
    pub similarity: f64,
}

/// One document as batch clustering sees it: band keys instead of a whole fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct ClusterInput<'a> {
    /// Its id (ties in `earliest`/`longest` order are broken by id).
    pub id: &'a str,
    /// Its LSH band keys (see [`band_keys`]), cut to the 32 bits the index uses.
    pub keys: &'a [u32],
    /// Length of its text in bytes (for `longest`).
    pub bytes: usize,
    /// Publication time in seconds since the epoch, when known (for `earliest`).
    pub timestamp: Option<i64>,
}

/// Reusable buffers for reading shingle sets.
#[derive(Debug, Default)]
pub struct Scratch {
    bytes: Vec<u8>,
    values: Vec<u32>,
}

/// Where batch clustering reads each document's shingle set: memory or a
/// [`ShingleStore`](crate::near_dup::shingle_store::ShingleStore) on disk.
pub trait ShingleSource: Sync {
    /// Call `f` with the sorted values of document `i`'s set, read into `scratch` if need be.
    fn with_values<R>(
        &self,
        i: usize,
        scratch: &mut Scratch,
        f: impl FnOnce(&[u32]) -> R,
    ) -> Result<R>;

    /// The similarity, under `measure`, of a document whose values are `document` with
    /// document `j`: by default the measure of the two sets.
    fn similarity_to(
        &self,
        measure: Measure,
        document: &[u32],
        j: usize,
        scratch: &mut Scratch,
    ) -> Result<f64> {
        self.with_values(j, scratch, |other| measure.of_values(document, other))
    }
}

/// MinHash signatures standing in for shingle sets, when only signatures were kept (`reprint
/// sign`): `S` gives each document's signature values in order, and the similarity is their
/// estimate of Jaccard, the share of equal values. Its standard deviation is
/// `sqrt(J(1-J)/values)`: near a threshold of 0.8 with 128 values, two standard deviations are
/// ±0.07. Containment cannot be estimated from them.
#[derive(Debug, Clone, Copy)]
pub struct Estimated<S>(pub S);

impl<S: ShingleSource> ShingleSource for Estimated<S> {
    fn with_values<R>(
        &self,
        i: usize,
        scratch: &mut Scratch,
        f: impl FnOnce(&[u32]) -> R,
    ) -> Result<R> {
        self.0.with_values(i, scratch, f)
    }

    fn similarity_to(
        &self,
        _measure: Measure,
        document: &[u32],
        j: usize,
        scratch: &mut Scratch,
    ) -> Result<f64> {
        self.0
            .with_values(j, scratch, |other| estimated_jaccard(document, other))
    }
}

/// Shingle sets held in memory, by document.
#[derive(Debug, Clone, Copy)]
pub struct InMemory<'a>(pub &'a [&'a ShingleSet]);

impl ShingleSource for InMemory<'_> {
    fn with_values<R>(&self, i: usize, _: &mut Scratch, f: impl FnOnce(&[u32]) -> R) -> Result<R> {
        Ok(f(self.0[i].values()))
    }
}

/// Shingle sets in a finished store, by document.
#[derive(Debug, Clone, Copy)]
pub struct OnDisk<'a> {
    /// The store.
    pub reader: &'a StoreReader,
    /// Each document's place in it.
    pub sets: &'a [StoredSet],
}

impl ShingleSource for OnDisk<'_> {
    fn with_values<R>(
        &self,
        i: usize,
        scratch: &mut Scratch,
        f: impl FnOnce(&[u32]) -> R,
    ) -> Result<R> {
        self.reader
            .read(self.sets[i], &mut scratch.bytes, &mut scratch.values)?;
        Ok(f(&scratch.values))
    }
}

/// The order in which documents are visited: representatives first.
pub fn visit_order(items: &[ClusterInput<'_>], keep: Keep) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    match keep {
        Keep::First => {}
        Keep::Earliest => order.sort_by(|&a, &b| {
            let (x, y) = (&items[a], &items[b]);
            match (x.timestamp, y.timestamp) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
            .then_with(|| x.id.cmp(y.id))
        }),
        Keep::Longest => order.sort_by(|&a, &b| {
            let (x, y) = (&items[a], &items[b]);
            y.bytes.cmp(&x.bytes).then_with(|| x.id.cmp(y.id))
        }),
    }
    order
}

/// Cluster `items` into near-duplicate groups; one [`Membership`] per item, in input order.
/// Fails only if a signature has fewer values than `config`'s bands use.
pub fn cluster(
    items: &[ClusterItem<'_>],
    config: &MatchConfig,
    keep: Keep,
) -> Result<Vec<Membership>> {
    let keys: Vec<Vec<u32>> = items
        .par_iter()
        .map(|item| {
            Ok(short_keys(&band_keys(
                &item.fingerprint.signature,
                &config.lsh,
            )?))
        })
        .collect::<Result<_>>()?;
    let inputs: Vec<ClusterInput> = items
        .iter()
        .zip(&keys)
        .map(|(item, keys)| ClusterInput {
            id: item.id,
            keys,
            bytes: item.bytes,
            timestamp: item.timestamp,
        })
        .collect();
    let sets: Vec<&ShingleSet> = items.iter().map(|i| &i.fingerprint.shingles).collect();
    cluster_sets(&inputs, &InMemory(&sets), config, keep)
}

/// Cluster documents given their band keys and a source of their shingle sets: the same
/// decisions as [`cluster`], with only the band index in memory when the sets are on disk.
pub fn cluster_sets<S: ShingleSource>(
    inputs: &[ClusterInput<'_>],
    sets: &S,
    config: &MatchConfig,
    keep: Keep,
) -> Result<Vec<Membership>> {
    let mut index = BandIndex::new(config.lsh);
    let mut leader_item: Vec<usize> = Vec::new();
    // (representative position, similarity) per item.
    let mut placed: Vec<(usize, f64)> = vec![(usize::MAX, 0.0); inputs.len()];
    let mut members = Vec::new();
    let (mut doc, mut rep) = (Scratch::default(), Scratch::default());
    for i in visit_order(inputs, keep) {
        match best_leader(
            i,
            inputs,
            sets,
            &index,
            &leader_item,
            config,
            &mut doc,
            &mut rep,
        )? {
            Some((leader, similarity)) => {
                placed[i] = (leader_item[leader], similarity);
                members.push(i);
            }
            None => {
                index.insert(doc_index(leader_item.len())?, inputs[i].keys)?;
                leader_item.push(i);
                placed[i] = (i, 1.0);
            }
        }
    }
    // Second look: a member placed early may be closer to a representative chosen after it
    // (a copy that barely reached one version of a story, and closely matches a later one).
    // Moving it there keeps every member within the threshold of its representative, and
    // representatives stay as they are: they are pairwise below the threshold by construction.
    let moves: Vec<Option<(usize, (usize, f64))>> = members
        .par_iter()
        .map_init(
            || (Scratch::default(), Scratch::default()),
            |(doc, rep), &i| {
                let found = best_leader(i, inputs, sets, &index, &leader_item, config, doc, rep)?;
                Ok(found.and_then(|(leader, similarity)| {
                    let best = leader_item[leader];
                    (best != placed[i].0 && similarity > placed[i].1)
                        .then_some((i, (best, similarity)))
                }))
            },
        )
        .collect::<Result<_>>()?;
    for (i, place) in moves.into_iter().flatten() {
        placed[i] = place;
    }
    Ok(number_clusters(&placed))
}

/// Cluster documents as [`cluster_sets`] does, with candidates found in buckets grouped on
/// disk instead of an in-memory index (see [`crate::candidates::buckets`]): the same clusters, with the
/// sorts held to about `budget` bytes. `add_buckets` gives the grouper every bucket (band key)
/// that documents share; the inputs' `keys` are not read.
///
/// The first pass visits documents in representative order, as [`cluster_sets`] does, and
/// holds only the representatives of buckets that a document still to come shares. The
/// second look needs every representative a member shares a bucket with, later ones too:
/// those pairs are written out per bucket and sorted by member, then verified in parallel.
pub fn cluster_buckets<S: ShingleSource>(
    inputs: &[ClusterInput<'_>],
    add_buckets: impl FnOnce(&mut BucketGrouper<'_>) -> Result<()>,
    sets: &S,
    config: &MatchConfig,
    keep: Keep,
    budget: usize,
) -> Result<Vec<Membership>> {
    let order = visit_order(inputs, keep);
    let mut positions = vec![0u32; inputs.len()];
    for (position, &i) in order.iter().enumerate() {
        positions[i] = doc_index(position)?;
    }
    let mut grouper = BucketGrouper::new(&positions, budget / 2)?;
    add_buckets(&mut grouper)?;
    let mut shared = grouper.finish()?;

    // The representatives of each shared bucket still open, by bucket number.
    let mut open = DocLists::default();
    let mut leader_item: Vec<usize> = Vec::new();
    let mut placed: Vec<(usize, f64)> = vec![(usize::MAX, 0.0); inputs.len()];
    let (mut doc, mut rep) = (Scratch::default(), Scratch::default());
    let (mut mine, mut candidates) = (Vec::new(), Vec::new());
    for (position, &i) in order.iter().enumerate() {
        shared.next_document(position, &mut mine)?;
        candidates.clear();
        for b in &mine {
            open.extend_into(b.bucket, &mut candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        match best_of(
            i,
            &candidates,
            sets,
            &leader_item,
            config,
            &mut doc,
            &mut rep,
        )? {
            Some((leader, similarity)) => placed[i] = (leader_item[leader], similarity),
            None => {
                let leader = doc_index(leader_item.len())?;
                for b in mine.iter().filter(|b| !b.closes) {
                    open.push(b.bucket, leader)?;
                }
                leader_item.push(i);
                placed[i] = (i, 1.0);
            }
        }
        for b in mine.iter().filter(|b| b.closes) {
            open.remove(b.bucket);
        }
    }
    drop(open);

    // Second look, as in `cluster_sets`: every representative sharing a bucket with a member.
    let mut pairs = PairSorter::new(budget / 2)?;
    let mut leaders_here: Vec<u32> = Vec::new();
    shared.for_each_bucket(|docs| {
        let is_leader = |d: &u32| placed[*d as usize].0 == *d as usize;
        leaders_here.clear();
        leaders_here.extend(
            docs.iter()
                .filter(|d| is_leader(d))
                .map(|&d| positions[d as usize]),
        );
        if leaders_here.is_empty() {
            return Ok(());
        }
        for &member in docs.iter().filter(|d| !is_leader(d)) {
            for &leader in &leaders_here {
                pairs.push(member, leader)?;
            }
        }
        Ok(())
    })?;
    drop(shared);
    let mut batch: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let mut batch_leaders: Vec<DocIndex> = Vec::new();
    let mut moves: Vec<(usize, (usize, f64))> = Vec::new();
    let mut verify = |batch: &mut Vec<(usize, std::ops::Range<usize>)>,
                      leaders: &mut Vec<DocIndex>|
     -> Result<()> {
        let found: Vec<Option<(usize, (usize, f64))>> = batch
            .par_iter()
            .map_init(
                || (Scratch::default(), Scratch::default()),
                |(doc, rep), (i, range)| {
                    let found = best_of(
                        *i,
                        &leaders[range.clone()],
                        sets,
                        &leader_item,
                        config,
                        doc,
                        rep,
                    )?;
                    Ok(found.and_then(|(leader, similarity)| {
                        let best = leader_item[leader];
                        (best != placed[*i].0 && similarity > placed[*i].1)
                            .then_some((*i, (best, similarity)))
                    }))
                },
            )
            .collect::<Result<_>>()?;
        moves.extend(found.into_iter().flatten());
        batch.clear();
        leaders.clear();
        Ok(())
    };
    pairs.for_each_member(|member, leader_positions| {
        let start = batch_leaders.len();
        for &p in leader_positions {
            // Representatives were numbered in visit order: their positions are sorted.
            if let Ok(n) = leader_item.binary_search_by_key(&p, |&i| positions[i]) {
                batch_leaders.push(doc_index(n)?);
            }
        }
        batch.push((member as usize, start..batch_leaders.len()));
        if batch.len() >= SECOND_LOOK_BATCH {
            verify(&mut batch, &mut batch_leaders)?;
        }
        Ok(())
    })?;
    verify(&mut batch, &mut batch_leaders)?;
    for (i, place) in moves {
        placed[i] = place;
    }
    Ok(number_clusters(&placed))
}

/// Members verified together in the second look of [`cluster_buckets`]: enough to keep both
/// cores busy, few enough that their candidate lists stay small.
const SECOND_LOOK_BATCH: usize = 1 << 13;

/// The most similar representative of document `i` at or above the threshold (ties to the
/// earlier representative), among its LSH candidates.
#[allow(clippy::too_many_arguments)]
fn best_leader<S: ShingleSource>(
    i: usize,
    inputs: &[ClusterInput<'_>],
    sets: &S,
    index: &BandIndex,
    leader_item: &[usize],
    config: &MatchConfig,
    doc: &mut Scratch,
    rep: &mut Scratch,
) -> Result<Option<(usize, f64)>> {
    let candidates = index.candidates(inputs[i].keys);
    best_of(i, &candidates, sets, leader_item, config, doc, rep)
}

/// The most similar of `candidates` (representative numbers, increasing) to document `i` at
/// or above the threshold; ties go to the earlier representative.
fn best_of<S: ShingleSource>(
    i: usize,
    candidates: &[DocIndex],
    sets: &S,
    leader_item: &[usize],
    config: &MatchConfig,
    doc: &mut Scratch,
    rep: &mut Scratch,
) -> Result<Option<(usize, f64)>> {
    if candidates.is_empty() {
        return Ok(None);
    }
    sets.with_values(i, doc, |document| {
        let mut best: Option<(usize, f64)> = None;
        for &leader in candidates {
            let leader = leader as usize;
            let similarity =
                sets.similarity_to(config.measure, document, leader_item[leader], rep)?;
            if similarity >= config.threshold && best.is_none_or(|(_, s)| similarity > s) {
                best = Some((leader, similarity));
            }
        }
        Ok(best)
    })?
}

/// Band keys cut to the 32 bits a [`BandIndex`] keys on: half the memory per document.
pub fn short_keys(keys: &[u64]) -> Vec<u32> {
    keys.iter().map(|&k| k as u32).collect()
}

/// A representative's number in the band index.
fn doc_index(n: usize) -> Result<DocIndex> {
    DocIndex::try_from(n)
        .map_err(|_| Error::capacity("representatives in one LSH index", u64::from(u32::MAX)))
}

/// Number clusters by the input position of their first member.
fn number_clusters(placed: &[(usize, f64)]) -> Vec<Membership> {
    let mut cluster_of_rep = ahash::AHashMap::new();
    placed
        .iter()
        .map(|&(representative, similarity)| {
            let next = cluster_of_rep.len();
            let cluster = *cluster_of_rep.entry(representative).or_insert(next);
            Membership {
                cluster,
                representative,
                similarity,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::fingerprint::Fingerprinter;
    use crate::sketch::signature::SignatureParams;

    fn config(threshold: f64) -> MatchConfig {
        MatchConfig {
            threshold,
            measure: Measure::Jaccard,
            lsh: LshParams::for_threshold(threshold, 128, 0.5, 0.5).unwrap(),
        }
    }

    fn words(range: std::ops::Range<usize>) -> String {
        range.map(|i| format!("w{i} ")).collect()
    }

    /// Undated items of equal length, so that only input order and similarity matter.
    fn plain_items<'a>(fps: &'a [Fingerprint], ids: &[&'a str]) -> Vec<ClusterItem<'a>> {
        fps.iter()
            .zip(ids)
            .map(|(fp, id)| ClusterItem {
                id,
                fingerprint: fp,
                bytes: 0,
                timestamp: None,
            })
            .collect()
    }

    #[test]
    fn no_chaining_through_a_middle_document() {
        // B sits between A and C: J(A,B) = J(B,C) = 0.86, J(A,C) = 0.74.
        let a = words(0..400);
        let b = words(30..430);
        let c = words(60..460);
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let fps: Vec<_> = [&a, &b, &c]
            .iter()
            .map(|t| f.fingerprint(t).unwrap())
            .collect();
        let jab = fps[0].shingles.jaccard(&fps[1].shingles);
        let jac = fps[0].shingles.jaccard(&fps[2].shingles);
        assert!(jab > 0.85 && jac < 0.75, "{jab} {jac}");
        let items = |order: [usize; 3]| -> Vec<ClusterItem> {
            order
                .iter()
                .map(|&i| ClusterItem {
                    id: ["a", "b", "c"][i],
                    fingerprint: &fps[i],
                    bytes: 0,
                    timestamp: None,
                })
                .collect()
        };
        // B first: A and C both join B (each within the threshold of B itself).
        let m = cluster(&items([1, 0, 2]), &config(0.75), Keep::First).unwrap();
        assert!(m.iter().all(|m| m.representative == 0), "{m:?}");
        // A first: B joins A; C is not near A and B is no representative, so C stays apart.
        let m = cluster(&items([0, 1, 2]), &config(0.75), Keep::First).unwrap();
        assert_eq!(m[0].cluster, m[1].cluster);
        assert_ne!(m[0].cluster, m[2].cluster);
        assert!(m.iter().all(|m| m.similarity >= 0.75));
    }

    #[test]
    fn containment_does_not_chain_through_a_shared_footer() {
        let pitch =
            "Subscribe to our daily newsletter for the top stories delivered to your inbox \
                     every morning before breakfast, with analysis from our reporters around the \
                     world, exclusive interviews, market data, weather, sport and the puzzles you \
                     love, all free for the first month and cancel any time you like";
        let congo = format!("{} {pitch}", words(0..40));
        let rates = format!("{} {pitch}", words(500..540));
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let fps: Vec<_> = [pitch, congo.as_str(), rates.as_str()]
            .iter()
            .map(|t| f.fingerprint(t).unwrap())
            .collect();
        let items = plain_items(&fps, &["pitch", "congo", "rates"]);
        // The trap: measured against the smaller set, the pitch is "contained" in both articles,
        // and it is similar enough by Jaccard to become their candidate.
        let smaller = |a: usize, b: usize| {
            fps[a].shingles.intersection(&fps[b].shingles) as f64
                / fps[a].shingles.len().min(fps[b].shingles.len()) as f64
        };
        assert!(smaller(0, 1) > 0.95 && smaller(0, 2) > 0.95);
        let config = MatchConfig::new(0.8, Measure::Containment, 128, 0.05, 0.95).unwrap();
        let j = fps[0].shingles.jaccard(&fps[1].shingles);
        assert!(
            config.lsh.probability(j) > 0.9,
            "pitch and article are candidates ({j})"
        );
        let m = cluster(&items, &config, Keep::First).unwrap();
        let clusters: std::collections::BTreeSet<usize> = m.iter().map(|m| m.cluster).collect();
        assert_eq!(clusters.len(), 3, "{m:?}");
    }

    #[test]
    fn a_member_moves_to_a_closer_later_representative() {
        // B reaches A (0.86) before C exists; C is not near A (0.796) and leads its own cluster,
        // and B is closer to C (0.93): the second look moves B to C.
        let texts = [words(0..400), words(30..430), words(45..445)];
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let fps: Vec<_> = texts.iter().map(|t| f.fingerprint(t).unwrap()).collect();
        let items = plain_items(&fps, &["a", "b", "c"]);
        let j = |a: usize, b: usize| fps[a].shingles.jaccard(&fps[b].shingles);
        assert!(j(0, 1) > 0.85 && j(0, 2) < 0.8 && j(1, 2) > 0.92);
        let m = cluster(&items, &config(0.8), Keep::First).unwrap();
        assert_eq!(m[0].representative, 0);
        assert_eq!(m[2].representative, 2, "C is not near A: {m:?}");
        assert_eq!(m[1].representative, 2, "{m:?}");
        assert!(m[1].similarity > 0.9);
        assert_ne!(m[0].cluster, m[1].cluster);
    }

    #[test]
    fn buckets_on_disk_give_the_clusters_of_the_index_in_memory() {
        use crate::candidates::buckets::KeySorter;
        // Families of overlapping word windows: near-duplicates, near misses and strangers.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let texts: Vec<String> = (0..400)
            .map(|_| {
                let family = next(40) as usize * 1000;
                let start = family + next(60) as usize;
                words(start..start + 150 + next(100) as usize)
            })
            .collect();
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let fps: Vec<Fingerprint> = texts.iter().map(|t| f.fingerprint(t).unwrap()).collect();
        let ids: Vec<String> = (0..fps.len()).map(|i| format!("d{i}")).collect();
        for (measure, threshold) in [(Measure::Jaccard, 0.8), (Measure::Containment, 0.7)] {
            let config = MatchConfig::new(threshold, measure, 128, 0.5, 0.5).unwrap();
            let keys: Vec<Vec<u32>> = fps
                .iter()
                .map(|fp| short_keys(&band_keys(&fp.signature, &config.lsh).unwrap()))
                .collect();
            let inputs: Vec<ClusterInput> = (0..fps.len())
                .map(|i| ClusterInput {
                    id: &ids[i],
                    keys: &keys[i],
                    bytes: texts[i].len(),
                    timestamp: Some(next(5) as i64),
                })
                .collect();
            let sets: Vec<&ShingleSet> = fps.iter().map(|fp| &fp.shingles).collect();
            for keep in [Keep::First, Keep::Earliest, Keep::Longest] {
                let in_memory = cluster_sets(&inputs, &InMemory(&sets), &config, keep).unwrap();
                let mut moved = 0;
                for budget in [1, 1 << 30] {
                    let grouped = |grouper: &mut BucketGrouper| {
                        let mut sorter = KeySorter::new(budget)?;
                        for (i, k) in keys.iter().enumerate() {
                            sorter.push(i, k)?;
                        }
                        sorter
                            .finish()?
                            .for_each_shared(|_, _, docs| grouper.add(docs))
                    };
                    let on_disk =
                        cluster_buckets(&inputs, grouped, &InMemory(&sets), &config, keep, budget)
                            .unwrap();
                    assert_eq!(on_disk, in_memory, "{measure:?} {keep:?} budget {budget}");
                    moved += 1;
                }
                let clusters = in_memory.iter().map(|m| m.cluster).max().unwrap() + 1;
                assert!(
                    clusters > 40 && clusters < 350,
                    "{clusters} clusters: a real test"
                );
                assert_eq!(moved, 2);
            }
        }
    }

    #[test]
    fn keep_rules_pick_the_representative() {
        let long = words(0..200);
        let short = words(0..190);
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let fps = [
            f.fingerprint(&short).unwrap(),
            f.fingerprint(&long).unwrap(),
        ];
        let items = [
            ClusterItem {
                id: "s",
                fingerprint: &fps[0],
                bytes: short.len(),
                timestamp: Some(20),
            },
            ClusterItem {
                id: "l",
                fingerprint: &fps[1],
                bytes: long.len(),
                timestamp: Some(10),
            },
        ];
        let c = config(0.8);
        assert_eq!(
            cluster(&items, &c, Keep::First).unwrap()[1].representative,
            0
        );
        assert_eq!(
            cluster(&items, &c, Keep::Longest).unwrap()[0].representative,
            1
        );
        assert_eq!(
            cluster(&items, &c, Keep::Earliest).unwrap()[0].representative,
            1
        );
        // Cluster numbers follow input order, whoever represents the cluster.
        assert_eq!(cluster(&items, &c, Keep::Longest).unwrap()[0].cluster, 0);
    }
}
