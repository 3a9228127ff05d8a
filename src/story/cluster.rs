//! Story clustering: rewrites of one story, or reports of one event, in one cluster.
//!
//! Rewrites keep names, figures and the rarer content words, so each document becomes a TF-IDF
//! vector over its content terms ([`crate::story::terms::Term`]) (names and figures weigh more, years
//! less), truncated to its heaviest terms. Candidates come from an inverted index over those
//! terms in which very common terms are skipped (they cannot tell stories apart); each
//! candidate's cosine is then computed exactly, and pairs published further apart than the date
//! window are dropped. Clustering is average-link agglomeration over the verified edges with
//! missing edges counting as zero, so one strong link cannot chain two stories together: two
//! clusters merge only when their members are similar on average. Two corrections frame it:
//! in a dense neighbourhood (many reports of one kind of event) a pair must beat the
//! neighbourhood, not only the threshold; and a piece of a few articles left just under the
//! bar joins the one larger story it clearly resembles. [`cluster_story_edges`] is that rule.

use crate::story::terms::{term_hash, Term, TermKind};
use ahash::AHashMap;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

/// How stories are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryConfig {
    /// Average cosine similarity at which two clusters merge.
    pub threshold: f64,
    /// Documents dated further apart than this many seconds are never one story.
    pub window: Option<i64>,
    /// Terms kept per document vector.
    pub max_terms: usize,
}

/// The default story threshold, chosen on the ECB+ train split of real same-event reports
/// (and checked on its dev split): see `docs/quality.md`.
pub const DEFAULT_THRESHOLD: f64 = 0.15;

/// The default date window: a week.
pub const DEFAULT_WINDOW_SECS: i64 = 7 * 24 * 3600;

impl Default for StoryConfig {
    fn default() -> Self {
        StoryConfig {
            threshold: DEFAULT_THRESHOLD,
            window: Some(DEFAULT_WINDOW_SECS),
            max_terms: 100,
        }
    }
}

impl StoryConfig {
    /// Check the parameters.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(crate::Error::invalid(
                "story_threshold",
                format!("must be above 0 and at most 1, got {}", self.threshold),
            ));
        }
        if self.window.is_some_and(|w| w < 0) {
            return Err(crate::Error::invalid(
                "window",
                format!("must not be negative, got {:?} seconds", self.window),
            ));
        }
        if self.max_terms == 0 {
            return Err(crate::Error::invalid(
                "max_terms",
                "must be at least 1, got 0",
            ));
        }
        Ok(())
    }
}

/// A document's term counts, the input of story clustering.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermCounts {
    /// Distinct terms with their counts, sorted by hash.
    pub terms: Vec<(Term, u32)>,
}

impl TermCounts {
    /// Count `terms` (any order, repeats allowed).
    pub fn from_terms(terms: Vec<Term>) -> Self {
        TermCounts {
            terms: count_terms(terms, |a, b| a.hash == b.hash),
        }
    }
}

/// `terms` sorted by hash (the most specific kind first) and counted, neighbours that are
/// `same` counting as one.
fn count_terms(mut terms: Vec<Term>, same: impl Fn(&Term, &Term) -> bool) -> Vec<(Term, u32)> {
    terms.sort_unstable_by(|a, b| a.hash.cmp(&b.hash).then(b.kind.cmp(&a.kind)));
    let mut out: Vec<(Term, u32)> = Vec::with_capacity(terms.len());
    for t in terms {
        match out.last_mut() {
            Some((last, n)) if same(last, &t) => *n += 1,
            _ => out.push((t, 1)),
        }
    }
    out
}

impl crate::spill::Spillable for TermCounts {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::spill::codec::Plain;
        (self.terms.len() as u64).put(out);
        for (t, n) in &self.terms {
            t.hash.put(out);
            (t.kind as u8).put(out);
            n.put(out);
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut c = crate::spill::codec::Cursor::new(bytes);
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let mut terms = Vec::with_capacity(n.min(bytes.len() / 13));
        for _ in 0..n {
            let hash = c.value::<u64>()?;
            let kind = TermKind::from_u8(c.value::<u8>()?)?;
            terms.push((Term { hash, kind }, c.value::<u32>()?));
        }
        c.is_done().then_some(TermCounts { terms })
    }
}

/// Word document frequencies of a general news corpus (see `examples/background_df.rs`).
const BACKGROUND: &str = include_str!("background_df.txt");

/// The background table: (documents, df per term hash).
fn background() -> &'static (usize, AHashMap<u64, u32>) {
    static TABLE: OnceLock<(usize, AHashMap<u64, u32>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut documents = 0;
        let mut df = AHashMap::new();
        for line in BACKGROUND.lines() {
            if let Some(n) = line.strip_prefix("# documents ") {
                documents = n.trim().parse().unwrap_or(0);
            } else if let Some((word, n)) = line.split_once('\t') {
                if let Ok(n) = n.trim().parse::<u32>() {
                    df.insert(term_hash(word), n);
                }
            }
        }
        (documents, df)
    })
}

/// Inverse document frequencies of a corpus, counted on top of a background news corpus so
/// that five articles of one story still know that "company" is common and "Jassy" is not.
#[derive(Debug, Clone, Default)]
pub struct Idf {
    df: DfTable,
    documents: usize,
    /// The weight of each document frequency up to the highest (or [`WEIGHT_TABLE_MAX`]), made
    /// at the first lookup after the last document was added: a logarithm per lookup was a
    /// thirtieth of reading sentence terms. The common terms, whose frequencies are high, are
    /// few, so the few places of the table they read stay in cache.
    weights: std::sync::OnceLock<Vec<f32>>,
}

/// Most document frequencies whose weight [`Idf`]'s table holds (16 MiB of weights): past it,
/// a weight is worked out at each lookup.
const WEIGHT_TABLE_MAX: u32 = 1 << 22;

impl Idf {
    /// Count document frequencies over `docs`, on top of the background corpus.
    pub fn new<'a>(docs: impl IntoIterator<Item = &'a TermCounts>) -> Self {
        let mut idf = Idf::background();
        for d in docs {
            idf.add(d);
        }
        idf
    }

    /// The background corpus's frequencies alone, to [`Idf::add`] documents to one at a time.
    pub fn background() -> Self {
        let (documents, df) = background();
        Idf {
            df: DfTable::of(df),
            documents: *documents,
            weights: std::sync::OnceLock::new(),
        }
    }

    /// Count one more document.
    pub fn add(&mut self, doc: &TermCounts) {
        self.weights = std::sync::OnceLock::new();
        self.documents += 1;
        for (t, _) in &doc.terms {
            self.df.add(t.hash, 1);
        }
    }

    /// Documents holding `term`.
    pub fn df(&self, term: u64) -> u32 {
        self.df.get(term)
    }

    /// `ln((N + 1) / (df + 0.5)) + 1`: always positive, so a term every document shares still
    /// counts a little.
    pub fn weight(&self, term: u64) -> f32 {
        let df = self.df(term);
        let table = self.weights.get_or_init(|| {
            let highest = self.df.highest();
            (0..=highest.min(WEIGHT_TABLE_MAX))
                .map(|df| idf_weight(df, self.documents))
                .collect()
        });
        match table.get(df as usize) {
            Some(&weight) => weight,
            None => idf_weight(df, self.documents),
        }
    }
}

/// Document frequencies by term hash, in one open-addressing list of (hash, frequency) placed
/// by the hash's top bits: a lookup reads one place. (A hash map reads its control bytes and
/// then its entry, two waits for memory in a table of a corpus's terms, tens of megabytes;
/// the sentence stage asks it for every term of every sentence.)
#[derive(Debug, Clone, Default)]
struct DfTable {
    /// (term hash, frequency); frequency 0 marks a free place, since a term held is held by
    /// one document or more.
    slots: Vec<(u64, u32)>,
    /// Terms held.
    len: usize,
}

impl DfTable {
    /// The table of `df`'s frequencies (none of them 0).
    fn of(df: &AHashMap<u64, u32>) -> Self {
        let mut table = DfTable::default();
        // In hash order: the table is the same whatever the map's order.
        let mut terms: Vec<(u64, u32)> = df.iter().map(|(&h, &n)| (h, n)).collect();
        terms.sort_unstable();
        for (hash, n) in terms {
            table.add(hash, n);
        }
        table
    }

    /// Where `hash` is, or the free place where it would go.
    #[inline]
    fn place(&self, hash: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut k = (hash >> (64 - self.slots.len().trailing_zeros())) as usize;
        while self.slots[k].1 != 0 && self.slots[k].0 != hash {
            k = (k + 1) & mask;
        }
        k
    }

    /// Documents holding the term `hash`.
    #[inline]
    fn get(&self, hash: u64) -> u32 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[self.place(hash)].1
    }

    /// `n` more documents hold the term `hash`.
    fn add(&mut self, hash: u64, n: u32) {
        if n == 0 {
            return;
        }
        // At most seven tenths full: a lookup seldom reads past its first place's line.
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(0, 0); (old.len() * 2).max(1024)];
            for (h, n) in old.into_iter().filter(|&(_, n)| n > 0) {
                let k = self.place(h);
                self.slots[k] = (h, n);
            }
        }
        let k = self.place(hash);
        if self.slots[k].1 == 0 {
            self.len += 1;
            self.slots[k].0 = hash;
        }
        self.slots[k].1 += n;
    }

    /// The highest frequency held (0 when none is).
    fn highest(&self) -> u32 {
        self.slots.iter().map(|s| s.1).max().unwrap_or(0)
    }
}

/// The inverse document frequency of a term held by `df` of `documents` documents:
/// `ln((N + 1) / (df + 0.5)) + 1`.
pub fn idf_weight(df: u32, documents: usize) -> f32 {
    let n = documents as f64;
    (((n + 1.0) / (df as f64 + 0.5)).ln() + 1.0) as f32
}

/// Document frequency of `term` in the background news corpus, and that corpus's size: what
/// every IDF starts from.
pub fn background_df(term: u64) -> u32 {
    background().1.get(&term).copied().unwrap_or(0)
}

/// Number of documents of the background news corpus.
pub fn background_documents() -> usize {
    background().0
}

/// How much a term kind says about which event a text reports.
pub fn kind_weight(kind: TermKind) -> f32 {
    match kind {
        TermKind::Word => 1.0,
        TermKind::Name => 1.5,
        TermKind::Number => 2.0,
        TermKind::Year => 0.5,
    }
}

/// A document's unit-length TF-IDF vector over its heaviest terms, sorted by term hash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryVector {
    /// (term hash, weight) sorted by hash.
    pub terms: Vec<(u64, f32)>,
}

impl StoryVector {
    /// Build the vector of `counts`, keeping the `max_terms` heaviest terms.
    pub fn new(counts: &TermCounts, idf: &Idf, max_terms: usize) -> Self {
        Self::with_idf(counts, |term| idf.weight(term), max_terms)
    }

    /// Build the vector of `counts` with `idf` giving each term's inverse document frequency,
    /// keeping the `max_terms` heaviest terms.
    pub fn with_idf(
        counts: &TermCounts,
        mut idf: impl FnMut(u64) -> f32,
        max_terms: usize,
    ) -> Self {
        let mut terms: Vec<(u64, f32)> = counts
            .terms
            .iter()
            .map(|(t, n)| {
                let tf = 1.0 + (*n as f32).ln();
                (t.hash, tf * idf(t.hash) * kind_weight(t.kind))
            })
            .collect();
        if terms.len() > max_terms {
            terms.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(max_terms);
            terms.sort_unstable_by_key(|t| t.0);
        }
        // Every vector is kept to the end of the story stage: no room for the terms cut.
        terms.shrink_to_fit();
        let norm = terms.iter().map(|t| t.1 * t.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            terms.iter_mut().for_each(|t| t.1 /= norm);
        }
        StoryVector { terms }
    }

    /// Cosine similarity with `other` (both unit length).
    pub fn cosine(&self, other: &StoryVector) -> f64 {
        let (mut i, mut j, mut dot) = (0, 0, 0.0f64);
        let (a, b) = (&self.terms, &other.terms);
        while i < a.len() && j < b.len() {
            cosine_step((a, b), (&mut i, &mut j), &mut dot);
        }
        dot.min(1.0)
    }

    /// Cosine similarities with `b` and with `c`: the same figures as two calls of
    /// [`StoryVector::cosine`], the two merges interleaved so that neither waits alone on the
    /// other vector's terms coming from memory (a document is weighed against up to a hundred
    /// others scattered over the corpus).
    pub fn cosine_pair(&self, b: &StoryVector, c: &StoryVector) -> (f64, f64) {
        let a = &self.terms;
        let (x, y) = (&b.terms, &c.terms);
        let (mut i, mut j, mut dot_b) = (0, 0, 0.0f64);
        let (mut k, mut l, mut dot_c) = (0, 0, 0.0f64);
        while i < a.len() && j < x.len() && k < a.len() && l < y.len() {
            cosine_step((a, x), (&mut i, &mut j), &mut dot_b);
            cosine_step((a, y), (&mut k, &mut l), &mut dot_c);
        }
        while i < a.len() && j < x.len() {
            cosine_step((a, x), (&mut i, &mut j), &mut dot_b);
        }
        while k < a.len() && l < y.len() {
            cosine_step((a, y), (&mut k, &mut l), &mut dot_c);
        }
        (dot_b.min(1.0), dot_c.min(1.0))
    }
}

/// A story vector's term: its hash and weight.
type WeightedHash = (u64, f32);

/// One step of the merge of two vectors' terms (sorted by hash) at `i` and `j`: their product
/// added to `dot` when the terms are one, so products are summed in hash order, and the lesser
/// side moved on (both when equal), without a branch on the order (half of them would be
/// mispredicted).
#[inline(always)]
fn cosine_step(
    (a, b): (&[WeightedHash], &[WeightedHash]),
    (i, j): (&mut usize, &mut usize),
    dot: &mut f64,
) {
    let (x, y) = (a[*i].0, b[*j].0);
    if x == y {
        *dot += a[*i].1 as f64 * b[*j].1 as f64;
    }
    *i += usize::from(x <= y);
    *j += usize::from(y <= x);
}

/// A verified similarity between documents `a < b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryEdge {
    /// The first document (index).
    pub a: usize,
    /// The second document (index), `a < b`.
    pub b: usize,
    /// Cosine similarity of their story vectors.
    pub similarity: f64,
}

/// Lowest cosine kept as an edge: below it a pair only dilutes averages.
pub const MIN_EDGE: f64 = 0.1;

/// The story edge of two dated story vectors before passage evidence: their cosine, `None`
/// when they are dated further apart than the window or the cosine is below [`MIN_EDGE`]. Batch
/// clustering and the persistent index both ask this, so they agree on every pair.
pub fn dated_cosine(
    config: &StoryConfig,
    (a, a_date): (&StoryVector, Option<i64>),
    (b, b_date): (&StoryVector, Option<i64>),
) -> Option<f64> {
    if !within_window(config, a_date, b_date) {
        return None;
    }
    edge_cosine(a.cosine(b))
}

/// Are two documents dated `a_date` and `b_date` close enough in time to share a story (always,
/// when either is undated or there is no window)?
pub fn within_window(config: &StoryConfig, a_date: Option<i64>, b_date: Option<i64>) -> bool {
    match (config.window, a_date, b_date) {
        (Some(window), Some(x), Some(y)) => x.abs_diff(y) <= window.unsigned_abs(),
        _ => true,
    }
}

/// A cosine kept as a story edge: `None` below [`MIN_EDGE`].
pub fn edge_cosine(cosine: f64) -> Option<f64> {
    Some(cosine).filter(|&c| c >= MIN_EDGE)
}

/// Aligned sentences a pair needs for its story similarity to count in full.
pub const FULL_EVIDENCE_SENTENCES: usize = 3;

/// The factor on a story similarity with no aligned sentence. Independent reports of one event
/// (most of a real multi-outlet story) share facts but rarely a sentence, so a missing
/// alignment weakens a pair without halving it.
pub const NO_EVIDENCE_FACTOR: f64 = 0.75;

/// The factor on a pair's story similarity for `shared` aligned sentences:
/// [`NO_EVIDENCE_FACTOR`] with none, rising to one at [`FULL_EVIDENCE_SENTENCES`].
pub fn passage_evidence(shared: usize) -> f64 {
    let share = shared.min(FULL_EVIDENCE_SENTENCES) as f64 / FULL_EVIDENCE_SENTENCES as f64;
    NO_EVIDENCE_FACTOR + (1.0 - NO_EVIDENCE_FACTOR) * share
}

/// Terms held by more documents than this are never used to find story candidates, however
/// large the corpus: a term in hundreds of articles cannot tell their stories apart, and reading
/// its postings would cost more than everything else. The persistent index uses the same bar.
pub const MAX_STORY_POSTINGS: usize = 250;

/// Most candidates per document whose full cosine is computed, strongest partial score first:
/// in a corpus where every article shares some wording with thousands of others, the story
/// stage stays linear. The persistent index uses the same bound.
pub const MAX_STORY_CANDIDATES: usize = 100;

/// Every pair with cosine at least [`MIN_EDGE`] and within the date window among each
/// document's [`MAX_STORY_CANDIDATES`] strongest candidates (by the partial cosine over the
/// terms that find them), found through an inverted index; terms held by more than
/// `max(64, N/10)` documents, or by more than [`MAX_STORY_POSTINGS`], are not used to find
/// candidates (they still count in the cosine). A document's candidates are the later
/// documents, so each pair is weighed once. Edges come in order of `a`, and a document's in
/// order of `b` (the passage evidence relies on it).
pub fn story_edges(
    vectors: &[StoryVector],
    timestamps: &[Option<i64>],
    config: &StoryConfig,
) -> Vec<StoryEdge> {
    let n = vectors.len();
    let cap = (n / 10).clamp(64, MAX_STORY_POSTINGS);
    // A term in more than `cap` vectors finds no candidates, so its list is never built; the
    // others are allocated to their size. (Built and left unread, the long lists were most of
    // this stage's memory.)
    let mut df: AHashMap<u64, u32> = AHashMap::new();
    for v in vectors {
        for &(t, _) in &v.terms {
            *df.entry(t).or_default() += 1;
        }
    }
    let mut postings: AHashMap<u64, Vec<(u32, f32)>> = df
        .into_iter()
        .filter(|&(_, count)| count as usize <= cap)
        .map(|(t, count)| (t, Vec::with_capacity(count as usize)))
        .collect();
    for (i, v) in vectors.iter().enumerate() {
        for &(t, w) in &v.terms {
            if let Some(list) = postings.get_mut(&t) {
                list.push((i as u32, w));
            }
        }
    }
    let per_doc: Vec<Vec<StoryEdge>> = (0..n)
        .into_par_iter()
        .map_init(PartialScores::default, |acc, i| {
            acc.start(n);
            for &(t, w) in &vectors[i].terms {
                let Some(list) = postings.get(&t) else {
                    continue;
                };
                // Lists are in document order: the later documents are a suffix.
                let later = list.partition_point(|&(j, _)| j as usize <= i);
                for &(j, wj) in &list[later..] {
                    acc.add(j, w * wj);
                }
            }
            let mut candidates: Vec<(u32, f32)> = acc
                .drain()
                .filter(|&(_, partial)| partial as f64 >= MIN_EDGE * 0.5)
                .collect();
            if candidates.len() > MAX_STORY_CANDIDATES {
                candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                candidates.truncate(MAX_STORY_CANDIDATES);
            }
            // In document order (the order edges are kept in), within the date window, and
            // weighed two at a time: each cosine is what `dated_cosine` gives.
            let mut later: Vec<usize> = candidates
                .into_iter()
                .map(|(j, _)| j as usize)
                .filter(|&j| within_window(config, timestamps[i], timestamps[j]))
                .collect();
            later.sort_unstable();
            // The candidates are spread over the corpus: their terms are asked for at once,
            // rather than waited for line by line in the merges (a sixth less time).
            for &j in &later {
                crate::prefetch::fetch(&vectors[j].terms);
            }
            let v = &vectors[i];
            let mut edges: Vec<StoryEdge> = Vec::with_capacity(later.len());
            let mut keep = |j: usize, cosine: f64| {
                if let Some(similarity) = edge_cosine(cosine) {
                    edges.push(StoryEdge {
                        a: i,
                        b: j,
                        similarity,
                    });
                }
            };
            for two in later.chunks(2) {
                match *two {
                    [j, k] => {
                        let (cj, ck) = v.cosine_pair(&vectors[j], &vectors[k]);
                        keep(j, cj);
                        keep(k, ck);
                    }
                    [j] => keep(j, v.cosine(&vectors[j])),
                    _ => {}
                }
            }
            edges
        })
        .collect();
    per_doc.into_iter().flatten().collect()
}

/// One document's partial cosines with its candidates, summed in a dense array indexed by
/// document (a hash map per document was most of the story-edge stage), with the documents
/// touched listed in the order they were first reached.
#[derive(Default)]
struct PartialScores {
    scores: Vec<f32>,
    reached: Vec<bool>,
    touched: Vec<u32>,
}

impl PartialScores {
    /// Ready for a document among `n`.
    fn start(&mut self, n: usize) {
        if self.scores.len() < n {
            self.scores = vec![0.0; n];
            self.reached = vec![false; n];
        }
        self.touched.clear();
    }

    fn add(&mut self, j: u32, score: f32) {
        let k = j as usize;
        if !self.reached[k] {
            self.reached[k] = true;
            self.touched.push(j);
        }
        self.scores[k] += score;
    }

    /// Every document reached with its summed score, each let go for the next document.
    fn drain(&mut self) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (scores, reached) = (&mut self.scores, &mut self.reached);
        self.touched.drain(..).map(move |j| {
            let k = j as usize;
            reached[k] = false;
            (j, std::mem::take(&mut scores[k]))
        })
    }
}

/// Which neighbour's similarity measures how dense a document's neighbourhood is: the second
/// nearest, so that one close copy or rewrite alone does not make a neighbourhood dense.
pub const DENSITY_NEIGHBOUR: usize = 2;

/// Share of the neighbourhood similarity that a pair's similarity must reach to count in full.
pub const DENSITY_RATIO: f64 = 0.5;

/// Discount similarities in dense neighbourhoods. Reports of one kind of event (two
/// earthquakes, two celebrities in rehab) share much vocabulary, so where a document's second
/// nearest neighbour is at similarity `s`, a pair of documents at `a` and `b` has to reach
/// `DENSITY_RATIO * sqrt(s_a * s_b)`, not only `threshold`, to count in full: each similarity is
/// scaled by `threshold / max(threshold, DENSITY_RATIO * sqrt(s_a * s_b))`. Sparse
/// neighbourhoods (a story told by two or three outlets among unrelated news) keep their
/// similarities as they are, so the threshold still means what it says there.
pub fn discount_dense_neighbourhoods(n: usize, edges: &mut [StoryEdge], threshold: f64) {
    let mut top = vec![NeighbourTop::default(); n];
    for e in edges.iter() {
        for d in [e.a, e.b] {
            if let Some(t) = top.get_mut(d) {
                t.push(e.similarity);
            }
        }
    }
    let density = |d: usize| top.get(d).map_or(0.0, NeighbourTop::density);
    for e in edges.iter_mut() {
        e.similarity *= density_factor(density(e.a), density(e.b), threshold);
    }
}

/// The factor on the similarity of two documents whose neighbourhood densities (second-nearest
/// similarities) are `a` and `b`: 1 in a sparse neighbourhood, `threshold / bar` where the bar
/// `DENSITY_RATIO * sqrt(a * b)` rises over the threshold. The one place the dense-neighbourhood
/// rule lives.
pub fn density_factor(a: f64, b: f64, threshold: f64) -> f64 {
    let bar = DENSITY_RATIO * (a * b).sqrt();
    if bar > threshold {
        threshold / bar
    } else {
        1.0
    }
}

/// The [`DENSITY_NEIGHBOUR`] highest similarities seen of one document.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeighbourTop([f64; DENSITY_NEIGHBOUR]);

impl NeighbourTop {
    /// Count a similarity of this document with another.
    pub fn push(&mut self, similarity: f64) {
        if let Some(k) = self.0.iter().position(|&x| similarity > x) {
            self.0[k..].rotate_right(1);
            self.0[k] = similarity;
        }
    }

    /// The neighbourhood's density: the [`DENSITY_NEIGHBOUR`]-th highest similarity (0 when
    /// fewer were seen).
    pub fn density(&self) -> f64 {
        self.0[DENSITY_NEIGHBOUR - 1]
    }
}

/// The largest piece of a story that [`attach_small_pieces`] moves: a few articles.
pub const PIECE_MAX_ARTICLES: usize = 4;

/// The smallest story a piece may join. Average link's strictness grows with a story: in a
/// story of many reports, one from another angle falls under the average of the core, while a
/// story of a few is left to the plain threshold. At three, a lone report of one company's
/// layoffs joined a five-article story about the same company when nothing else was near; on
/// the ECB+ train split any size from three to seven gives the same figure.
pub const PIECE_TARGET_MIN_ARTICLES: usize = 6;

/// Share of the threshold that a small piece's average similarity to a larger story must reach.
pub const PIECE_BAR_RATIO: f64 = 0.7;

/// How many times the next-best story's average similarity the best one must reach, so that a
/// report between two stories of one kind stays alone; on the ECB+ train split 1.5 and 2 give
/// the same figure.
pub const PIECE_MARGIN: f64 = 2.0;

/// After average link, attach each small piece (at most [`PIECE_MAX_ARTICLES`] articles) to the
/// one larger story (of at least [`PIECE_TARGET_MIN_ARTICLES`] articles) it clearly belongs to. Average link is strictest on the few reports that
/// tell a big story from another angle (a brief, a follow-up, a local view): each resembles
/// the story's core a little less than the core resembles itself, and a missing edge counts
/// as zero, so they stay apart just under the bar. A piece joins story `S` when its average
/// similarity to `S` is at least `PIECE_BAR_RATIO * threshold` and at least `PIECE_MARGIN`
/// times its average to any other story, so a piece between two stories of the same kind
/// stays alone. Every decision is taken on the clusters as average link left them (pieces do
/// not chain through each other), and ids stay those of the targets. Returns how many pieces
/// moved.
pub fn attach_small_pieces(ids: &mut [usize], edges: &[StoryEdge], threshold: f64) -> usize {
    // Clusters numbered densely in order of first member, so that sizes are a list, not a map
    // asked four times an edge; `original` turns them back into ids.
    let mut dense_of: AHashMap<usize, usize> = AHashMap::new();
    let mut original: Vec<usize> = Vec::new();
    let dense: Vec<usize> = ids
        .iter()
        .map(|&c| {
            *dense_of.entry(c).or_insert_with(|| {
                original.push(c);
                original.len() - 1
            })
        })
        .collect();
    let mut size = vec![0usize; original.len()];
    for &c in &dense {
        size[c] += 1;
    }
    // Each similarity from a small piece to another cluster, grouped by piece (a counting
    // sort: one pass counts, one places) and then by cluster, in edge order within each (stable
    // sorts), so that each sum is added in edge order. (A map of maps, one entry at a time,
    // took longer than this.)
    let cross = |e: &StoryEdge| match (dense.get(e.a), dense.get(e.b)) {
        (Some(&ca), Some(&cb)) if ca != cb => [(ca, cb), (cb, ca)]
            .map(|(piece, other)| (size[piece] <= PIECE_MAX_ARTICLES).then_some((piece, other))),
        _ => [None, None],
    };
    let mut starts = vec![0usize; original.len() + 1];
    for e in edges {
        for (piece, _) in cross(e).into_iter().flatten() {
            starts[piece + 1] += 1;
        }
    }
    for c in 0..original.len() {
        starts[c + 1] += starts[c];
    }
    let mut next = starts.clone();
    let mut links: Vec<(usize, f64)> = vec![(0, 0.0); starts[original.len()]];
    for e in edges {
        for (piece, other) in cross(e).into_iter().flatten() {
            links[next[piece]] = (other, e.similarity);
            next[piece] += 1;
        }
    }
    drop(next);
    let mut target: AHashMap<usize, usize> = AHashMap::new();
    for (piece, range) in starts.windows(2).enumerate() {
        let to = &mut links[range[0]..range[1]];
        if to.is_empty() {
            continue;
        }
        to.sort_by_key(|x| x.0);
        // (average, cluster id, dense number): ties go to the lower id.
        let mut averages: Vec<(f64, usize, usize)> = to
            .chunk_by(|x, y| x.0 == y.0)
            .map(|run| {
                let (c, sum) = (run[0].0, run.iter().fold(0.0, |sum, x| sum + x.1));
                (sum / (size[c] * size[piece]) as f64, original[c], c)
            })
            .collect();
        averages.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let Some(&(best, story, dense_story)) = averages.first() else {
            continue;
        };
        let next = averages.get(1).map_or(0.0, |x| x.0);
        if size[dense_story] > size[piece]
            && size[dense_story] >= PIECE_TARGET_MIN_ARTICLES
            && best >= PIECE_BAR_RATIO * threshold
            && best >= PIECE_MARGIN * next
        {
            target.insert(original[piece], story);
        }
    }
    // A target may itself be a piece that moves: follow to the end (sizes grow strictly, so
    // there is no cycle).
    let resolve = |mut c: usize| {
        while let Some(&t) = target.get(&c) {
            c = t;
        }
        c
    };
    let moved = target.len();
    for id in ids.iter_mut() {
        *id = resolve(*id);
    }
    moved
}

/// Stories of `n` documents from their story edges, by the one rule every story path uses:
/// discount dense neighbourhoods ([`discount_dense_neighbourhoods`]), merge by average link at
/// `threshold` ([`average_link`]), then attach small pieces ([`attach_small_pieces`]).
/// Returns each document's story id, numbered by first member.
pub fn cluster_story_edges(n: usize, edges: &mut [StoryEdge], threshold: f64) -> Vec<usize> {
    discount_dense_neighbourhoods(n, edges, threshold);
    let mut ids = average_link(n, edges, threshold);
    attach_small_pieces(&mut ids, edges, threshold);
    renumber_by_first(&ids)
}

/// Cluster ids renumbered 0, 1, … in order of each cluster's first member.
fn renumber_by_first(ids: &[usize]) -> Vec<usize> {
    let mut seen: AHashMap<usize, usize> = AHashMap::new();
    ids.iter()
        .map(|&c| {
            let next = seen.len();
            *seen.entry(c).or_insert(next)
        })
        .collect()
}

/// A merge candidate in the agglomeration heap: highest average first, then lowest ids. Ids
/// are a component's places, under four billion as every document number is; kept small, the
/// heap that the merges of a large story churn through stays in cache.
#[derive(Debug, PartialEq)]
struct Merge {
    average: f64,
    a: u32,
    b: u32,
    versions: (u32, u32),
}

impl Eq for Merge {}

impl Ord for Merge {
    fn cmp(&self, other: &Self) -> Ordering {
        self.average
            .total_cmp(&other.average)
            .then_with(|| other.a.cmp(&self.a))
            .then_with(|| other.b.cmp(&self.b))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Average-link clustering of `n` items over `edges`: repeatedly merge the two clusters with
/// the highest mean similarity over all their cross pairs (a missing edge counts as 0) while it
/// is at least `threshold`. Returns each item's cluster id, numbered by first member.
///
/// Two clusters merge only when their mean is at least `threshold`, so some pair between them
/// sums to at least that: no cluster grows beyond a component of the pairs that do, and each
/// component is agglomerated on its own, in parallel, with the merges it would have in one
/// run (ids keep their order within a component, so ties break alike, and every sum is added
/// in the same order).
pub fn average_link(n: usize, edges: &[StoryEdge], threshold: f64) -> Vec<usize> {
    let valid = |e: &&StoryEdge| e.a != e.b && e.a < n && e.b < n;
    let mut components = UnionFind::new(n);
    // A pair named once (as story edges name them, in order) needs no sums to be joined.
    let once = edges
        .iter()
        .filter(valid)
        .map(|e| (e.a.min(e.b), e.a.max(e.b)))
        .is_sorted_by(|x, y| x < y);
    if once {
        for e in edges.iter().filter(valid) {
            if e.similarity >= threshold {
                components.union(e.a, e.b);
            }
        }
    } else {
        let mut sums: AHashMap<(usize, usize), f64> = AHashMap::new();
        for e in edges.iter().filter(valid) {
            *sums.entry((e.a.min(e.b), e.a.max(e.b))).or_default() += e.similarity;
        }
        let mut joined: Vec<(usize, usize)> = sums
            .into_iter()
            .filter(|&(_, sum)| sum >= threshold)
            .map(|(pair, _)| pair)
            .collect();
        joined.sort_unstable();
        for (a, b) in joined {
            components.union(a, b);
        }
    }
    // Members of each component of two or more, in order, and each item's place among them;
    // components come in order of their first member.
    let root: Vec<usize> = (0..n).map(|i| components.find(i)).collect();
    let mut group_of = vec![usize::MAX; n];
    let mut place = vec![0usize; n];
    let mut groups: Vec<(Vec<usize>, Vec<StoryEdge>)> = Vec::new();
    for (i, &r) in root.iter().enumerate() {
        if components.size[r] < 2 {
            continue;
        }
        if group_of[r] == usize::MAX {
            group_of[r] = groups.len();
            groups.push((Vec::new(), Vec::new()));
        }
        let members = &mut groups[group_of[r]].0;
        place[i] = members.len();
        members.push(i);
    }
    for e in edges.iter().filter(valid) {
        if root[e.a] == root[e.b] && group_of[root[e.a]] != usize::MAX {
            groups[group_of[root[e.a]]].1.push(StoryEdge {
                a: place[e.a],
                b: place[e.b],
                similarity: e.similarity,
            });
        }
    }
    let merged: Vec<Vec<usize>> = groups
        .par_iter()
        .map(|(m, local)| agglomerate(m.len(), local, threshold))
        .collect();
    let mut first: Vec<usize> = (0..n).collect();
    for ((m, _), roots) in groups.iter().zip(merged) {
        for (k, &r) in roots.iter().enumerate() {
            first[m[k]] = m[r];
        }
    }
    renumber_by_first(&first)
}

/// Disjoint sets of `0..n`, by union by size with path halving.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// [`average_link`] of one component's `n` items: each item's cluster root (its first member).
fn agglomerate(n: usize, edges: &[StoryEdge], threshold: f64) -> Vec<usize> {
    let mut size = vec![1usize; n];
    let mut version = vec![0u32; n];
    let mut alive = vec![true; n];
    let mut parent: Vec<usize> = (0..n).collect();
    // Sum of similarities between clusters, keyed by the other cluster's root.
    let mut links: Vec<AHashMap<usize, f64>> = vec![AHashMap::new(); n];
    for e in edges {
        if e.a == e.b || e.a >= n || e.b >= n {
            continue;
        }
        *links[e.a].entry(e.b).or_default() += e.similarity;
        *links[e.b].entry(e.a).or_default() += e.similarity;
    }
    let merge = |average: f64, (a, b): (usize, usize), versions: (u32, u32)| Merge {
        average,
        a: a as u32,
        b: b as u32,
        versions,
    };
    // Built at once rather than pushed one by one: no two first candidates are equal, so the
    // order they leave in is the same.
    let mut heap: BinaryHeap<Merge> = links
        .iter()
        .enumerate()
        .flat_map(|(a, l)| {
            l.iter()
                .filter(move |&(&b, &sum)| a < b && sum >= threshold)
                .map(move |(&b, &sum)| merge(sum, (a, b), (0, 0)))
        })
        .collect();
    // Buffers kept from merge to merge: (other cluster, sum).
    let mut moved: Vec<(usize, f64)> = Vec::new();
    let mut neighbours: Vec<(usize, f64)> = Vec::new();
    while let Some(m) = heap.pop() {
        if m.average < threshold {
            break;
        }
        let (a, b) = (m.a as usize, m.b as usize);
        if !alive[a] || !alive[b] || version[a] != m.versions.0 || version[b] != m.versions.1 {
            continue;
        }
        let (keep, gone) = (a.min(b), a.max(b));
        alive[gone] = false;
        parent[gone] = keep;
        size[keep] += size[gone];
        version[keep] += 1;
        // In key order: float sums must not depend on hash-map iteration order.
        moved.clear();
        moved.extend(std::mem::take(&mut links[gone]));
        moved.sort_unstable_by_key(|x| x.0);
        links[keep].remove(&gone);
        for &(other, sum) in &moved {
            if other == keep {
                continue;
            }
            *links[keep].entry(other).or_default() += sum;
            if let Some(s) = links[other].remove(&gone) {
                *links[other].entry(keep).or_default() += s;
            }
        }
        neighbours.clear();
        neighbours.extend(links[keep].iter().map(|(&o, &s)| (o, s)));
        neighbours.sort_unstable_by_key(|x| x.0);
        for &(other, sum) in &neighbours {
            let average = sum / (size[keep] * size[other]) as f64;
            if average >= threshold {
                let (a, b) = (keep.min(other), keep.max(other));
                heap.push(merge(average, (a, b), (version[a], version[b])));
            }
        }
    }
    // Each item's root: its cluster's first member (the kept one is always the earlier).
    (0..n)
        .map(|i| {
            let mut r = i;
            while parent[r] != r {
                r = parent[r];
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::terms::TermExtractor;
    use proptest::prelude::*;

    proptest! {
        /// Agglomerating each component apart gives what one run over every edge gives, with
        /// pairs named twice, in either order, and edges that point nowhere.
        #[test]
        fn components_agglomerated_apart_cluster_as_one_run(
            raw in prop::collection::vec((0usize..14, 0usize..14, 0u8..=20), 0..40),
            threshold in prop::sample::select(vec![0.15, 0.3, 0.5, 0.8]),
            once in any::<bool>(),
        ) {
            let n = 12;
            let mut edges: Vec<StoryEdge> = raw
                .iter()
                .map(|&(a, b, s)| StoryEdge { a, b, similarity: f64::from(s) / 20.0 })
                .collect();
            if once {
                // As story edges come: each pair once, in order, the earlier first.
                edges.retain(|e| e.a < e.b && e.b < n);
                edges.sort_by_key(|e| (e.a, e.b));
                edges.dedup_by_key(|e| (e.a, e.b));
            }
            let one_run = renumber_by_first(&agglomerate(n, &edges, threshold));
            prop_assert_eq!(average_link(n, &edges, threshold), one_run);
        }
    }

    /// A story vector of distinct hashes, ascending (few, so vectors share many).
    fn story_vector() -> impl Strategy<Value = StoryVector> {
        prop::collection::btree_map(0u64..60, 0.0f32..0.5, 0..30).prop_map(|terms| StoryVector {
            terms: terms.into_iter().collect(),
        })
    }

    proptest! {
        /// Two cosines weighed at once are, to the bit, the cosines weighed one at a time.
        #[test]
        fn a_pair_of_cosines_is_two_cosines(
            a in story_vector(),
            b in story_vector(),
            c in story_vector(),
        ) {
            let (x, y) = a.cosine_pair(&b, &c);
            prop_assert_eq!(x.to_bits(), a.cosine(&b).to_bits());
            prop_assert_eq!(y.to_bits(), a.cosine(&c).to_bits());
        }
    }

    #[test]
    fn term_counts_read_back_from_a_file_are_the_same() {
        use crate::spill::Spillable;
        let mut ex = TermExtractor::new();
        let text = "Amazon is in talks to invest up to $50 billion in OpenAI in 2026, Amazon said.";
        let mut terms = Vec::new();
        ex.for_each_term(text, |t| terms.push(t));
        let counts = TermCounts::from_terms(terms);
        assert!(counts.terms.iter().any(|(_, n)| *n > 1), "{counts:?}");
        let kinds: ahash::AHashSet<TermKind> = counts.terms.iter().map(|(t, _)| t.kind).collect();
        assert!(kinds.len() >= 3, "{kinds:?}");
        let mut bytes = Vec::new();
        counts.encode(&mut bytes);
        assert_eq!(TermCounts::decode(&bytes), Some(counts.clone()));
        assert_eq!(TermCounts::decode(&bytes[..bytes.len() - 1]), None);
        let with_bad_kind = {
            let mut b = bytes.clone();
            b[16] = 9;
            b
        };
        assert_eq!(TermCounts::decode(&with_bad_kind), None);
        assert_eq!(
            TermKind::from_u8(TermKind::Year as u8),
            Some(TermKind::Year)
        );
    }

    /// Story clusters from vectors alone (the analysis adds passage evidence between the two
    /// steps); enough to test the clustering itself.
    fn cluster_stories(
        counts: &[TermCounts],
        timestamps: &[Option<i64>],
        config: &StoryConfig,
    ) -> Vec<usize> {
        let idf = Idf::new(counts);
        let vectors: Vec<StoryVector> = counts
            .par_iter()
            .map(|c| StoryVector::new(c, &idf, config.max_terms))
            .collect();
        let edges = story_edges(&vectors, timestamps, config);
        average_link(counts.len(), &edges, config.threshold)
    }

    fn counts(text: &str) -> TermCounts {
        let mut ex = TermExtractor::new();
        let mut terms = Vec::new();
        ex.for_each_term(text, |t| terms.push(t));
        TermCounts::from_terms(terms)
    }

    #[test]
    fn document_frequencies_survive_growth_and_count_every_addition() {
        let mut table = DfTable::default();
        let mut expected: AHashMap<u64, u32> = AHashMap::new();
        // Hash 0, hashes that share their top bits, and spread ones, each added a few times.
        let hashes: Vec<u64> = (0..5000u64)
            .map(|i| match i % 3 {
                0 => i,
                1 => (i << 40) | 7,
                _ => i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            })
            .collect();
        for (k, &h) in hashes.iter().enumerate() {
            let n = (k % 4) as u32;
            table.add(h, n);
            *expected.entry(h).or_default() += n;
        }
        for &h in &hashes {
            assert_eq!(table.get(h), expected[&h], "{h}");
        }
        assert_eq!(table.get(u64::MAX), 0);
        assert_eq!(
            table.highest(),
            expected.values().copied().max().unwrap_or(0)
        );
        assert_eq!(table.len, expected.values().filter(|&&n| n > 0).count());
    }

    #[test]
    fn weights_follow_every_added_document() {
        let doc = counts("Valparaiso earthquake");
        let t = doc.terms[0].0.hash;
        let mut idf = Idf::background();
        let before = idf.weight(t);
        assert_eq!(before, idf_weight(idf.df(t), background_documents()));
        idf.add(&doc);
        idf.add(&doc);
        assert_eq!(
            idf.weight(t),
            idf_weight(idf.df(t), background_documents() + 2)
        );
        assert!(idf.weight(t) < before);
    }

    #[test]
    fn average_link_does_not_chain() {
        // 0-1 strong, 1-2 strong, 0-2 missing: average of {0,1} to 2 is 0.45 < 0.5.
        let edges = [
            StoryEdge {
                a: 0,
                b: 1,
                similarity: 0.9,
            },
            StoryEdge {
                a: 1,
                b: 2,
                similarity: 0.9,
            },
            StoryEdge {
                a: 3,
                b: 4,
                similarity: 0.6,
            },
        ];
        assert_eq!(average_link(5, &edges, 0.5), [0, 0, 1, 2, 2]);
        assert_eq!(average_link(5, &edges, 0.4), [0, 0, 0, 1, 1]);
        assert_eq!(average_link(3, &[], 0.4), [0, 1, 2]);
    }

    #[test]
    fn rewrites_cluster_and_other_events_of_the_same_kind_do_not() {
        let docs = [
            "A magnitude 7.1 earthquake struck off the coast of Chile on Monday, killing 12 people in Valparaiso.",
            "Twelve dead as 7.1 quake hits Chile: the earthquake struck off the coast near Valparaiso, killing 12.",
            "A magnitude 6.4 earthquake hit eastern Turkey on Friday, killing 41 people in Elazig province.",
            "Amazon cut 16,000 corporate jobs in its second round of layoffs, the company said.",
        ];
        let c: Vec<TermCounts> = docs.iter().map(|d| counts(d)).collect();
        let ids = cluster_stories(&c, &[None; 4], &StoryConfig::default());
        assert_eq!(ids, [0, 0, 1, 2]);
    }

    /// Every pair of `members` at `similarity`, and `piece` at `to_piece` from each.
    fn story_and_piece(
        members: std::ops::Range<usize>,
        similarity: f64,
        piece: usize,
        to_piece: f64,
    ) -> Vec<StoryEdge> {
        let mut edges = Vec::new();
        for a in members.clone() {
            for b in a + 1..members.end {
                edges.push(StoryEdge { a, b, similarity });
            }
            edges.push(StoryEdge {
                a,
                b: piece,
                similarity: to_piece,
            });
        }
        edges
    }

    #[test]
    fn a_small_piece_joins_the_one_story_it_clearly_resembles() {
        // Story 0..6; document 6 resembles all of it at 0.12 (under the bar of 0.15, over 0.7
        // of it); document 7 resembles nothing.
        let edges = story_and_piece(0..6, 0.5, 6, 0.12);
        assert_eq!(average_link(8, &edges, 0.15), [0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(
            cluster_story_edges(8, &mut edges.clone(), 0.15),
            [0, 0, 0, 0, 0, 0, 0, 1]
        );
        // The same document between two such stories, nearly as close to both, stays alone.
        let mut between = edges.clone();
        for e in story_and_piece(8..14, 0.5, 6, 0.11) {
            between.push(e);
        }
        let ids = cluster_story_edges(14, &mut between, 0.15);
        assert_eq!(ids[6], 1);
        assert_eq!(ids.iter().filter(|&&i| i == 1).count(), 1);
        // Too far under the bar: 0.09 < 0.7 * 0.15.
        let mut weak = story_and_piece(0..6, 0.5, 6, 0.09);
        assert_eq!(cluster_story_edges(7, &mut weak, 0.15)[6], 1);
        // A story of a few reports is left to the plain threshold.
        let mut few = story_and_piece(0..5, 0.5, 5, 0.12);
        assert_eq!(cluster_story_edges(6, &mut few, 0.15)[5], 1);
    }

    #[test]
    fn a_piece_never_absorbs_a_larger_story_and_pieces_follow_their_target() {
        let edge = |a, b, similarity| StoryEdge { a, b, similarity };
        // {0, 1} and {2, 3} at 0.12 on average: neither is larger, so nothing moves.
        let mut edges = vec![
            edge(0, 1, 0.9),
            edge(2, 3, 0.9),
            edge(0, 2, 0.12),
            edge(0, 3, 0.12),
            edge(1, 2, 0.12),
            edge(1, 3, 0.12),
        ];
        assert_eq!(cluster_story_edges(4, &mut edges, 0.15), [0, 0, 1, 1]);
        let mut ids = vec![0, 0, 1, 1];
        assert_eq!(attach_small_pieces(&mut ids, &edges, 0.15), 0);
    }

    #[test]
    fn dense_neighbourhoods_need_more_than_the_threshold() {
        let edge = |a, b, similarity| StoryEdge { a, b, similarity };
        // 0, 1, 2 are close to each other (second neighbour at 0.8); 3 and 4 stand alone.
        let mut edges = vec![
            edge(0, 1, 0.8),
            edge(0, 2, 0.8),
            edge(1, 2, 0.9),
            edge(2, 3, 0.3),
            edge(3, 4, 0.3),
        ];
        discount_dense_neighbourhoods(5, &mut edges, 0.15);
        // Within the dense group the bar is 0.5 * 0.8 = 0.4, so 0.8 counts as 0.8 * 0.15 / 0.4.
        assert!((edges[0].similarity - 0.3).abs() < 1e-9);
        // 3's second neighbour is 0.3 and 4 has one neighbour only: their pair keeps 0.3.
        assert!((edges[4].similarity - 0.3).abs() < 1e-9);
        // 2 (dense) to 3: bar 0.5 * sqrt(0.8 * 0.3) = 0.245, above 0.15.
        assert!(edges[3].similarity < 0.3 && edges[3].similarity > 0.15);
        let ids = average_link(5, &edges, 0.15);
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[3], ids[4]);
    }

    #[test]
    fn the_date_window_separates() {
        let text = "Acme Corp agreed to buy Widget Inc for 450 million dollars in cash, the companies said.";
        let c = vec![counts(text), counts(text)];
        let day = 86_400;
        let config = StoryConfig::default();
        assert_eq!(
            cluster_stories(&c, &[Some(0), Some(3 * day)], &config),
            [0, 0]
        );
        assert_eq!(
            cluster_stories(&c, &[Some(0), Some(30 * day)], &config),
            [0, 1]
        );
        assert_eq!(cluster_stories(&c, &[Some(0), None], &config), [0, 0]);
    }
}
