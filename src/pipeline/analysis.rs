//! From documents to stories and labelled passages: the stages after near-duplicate clustering.
//!
//! 1. Segment every document into blocks and sentences and judge each block's boilerplate on
//!    its own evidence ([`crate::story::boilerplate`]).
//! 2. Cluster stories over the near-duplicate representatives ([`crate::story::cluster`]); copies follow
//!    their representative, so ten thousand copies cost one vector.
//! 3. Learn templates: a block found in several stories, or in two stories of one outlet, is
//!    boilerplate wherever it occurs.
//! 4. Align sentences among the representatives of each story, and each copy with its
//!    representative ([`crate::story::align`]); a copy inherits its representative's partners. Sentences
//!    repeated verbatim across stories are found through a hash of their wording, so `unique`
//!    means found in no other document of the input.
//! 5. Label and merge passages ([`crate::story::passage`]) when a document is read
//!    ([`CorpusAnalysis::article`]), so a report written as it goes holds partner lists, not
//!    every labelled passage.
//!
//! Everything runs in parallel per document or per story and is collected in input order, so
//! the result does not depend on the number of threads. A text's words are read once: the
//! terms the boilerplate judging finds in each content block (with where each starts) make
//! its story counts and, wherever reading a sentence alone would give the same, its
//! sentences' terms ([`SentenceTerms::of_block`]). Each stage's data is let go when the next
//! no longer needs it (fingerprints, block terms, texts, sentence terms), texts can be read
//! from a file one at a time ([`read_corpus_terms_from`]), and sentence terms are packed per
//! document with the index that compares two documents ([`DocumentTerms`]): they are most of
//! what the corpus holds.

use crate::pipeline::texts::TextSource;
use crate::spill::{SpillWriter, Spillable, Spilled};
use crate::story::align::{
    align_group, DocumentTerms, PairKeys, SentenceMatch, SentenceTerms, SharedSentences,
};
use crate::story::article_terms::{content_terms, title_terms};
use crate::story::boilerplate::{
    judge_blocks, BlockJudgement, BlockTerms, BoilerplateReason, TemplateCounter,
};
use crate::story::cluster::{
    cluster_story_edges, passage_evidence, story_edges, Idf, StoryConfig, StoryVector, TermCounts,
    FULL_EVIDENCE_SENTENCES,
};
use crate::story::partners::{cap, PartnerRules, PartnerSources, SentenceLinks, VerbatimGroups};
use crate::story::passage::{build_passages, Passage};
use crate::story::segment::{segment, PackedSegmentation, Segmentation};
use crate::story::terms::{Term, TermExtractor};
use ahash::{AHashMap, AHashSet};
use rayon::prelude::*;
use std::borrow::Cow;

/// One document to analyse.
#[derive(Debug, Clone, Copy)]
pub struct ArticleInput<'a> {
    /// Its text.
    pub text: &'a str,
    /// Its headline, when given apart from the text: it counts in the story terms (a headline
    /// names the event in the fewest words), not in the passages.
    pub title: Option<&'a str>,
    /// Its outlet, when known.
    pub outlet: Option<&'a str>,
    /// Its publication time (seconds since the epoch), when known.
    pub timestamp: Option<i64>,
    /// Index of its near-duplicate representative (itself when it is one).
    pub representative: usize,
}

impl<'a> ArticleInput<'a> {
    /// The inputs for fingerprinted documents: their texts (`texts`, in the same order), outlets
    /// and dates, and the near-duplicate representatives `memberships` gives them.
    pub fn of_documents(
        documents: &'a [crate::pipeline::ingest::FingerprintedDocument],
        memberships: &[crate::near_dup::cluster::Membership],
        texts: &[&'a str],
    ) -> Vec<Self> {
        documents
            .iter()
            .zip(memberships)
            .zip(texts)
            .map(|((d, m), text)| ArticleInput {
                text,
                title: d.title.as_deref(),
                outlet: d.outlet.as_deref(),
                timestamp: d.timestamp,
                representative: m.representative,
            })
            .collect()
    }
}

/// Parameters of the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisConfig {
    /// Story clustering.
    pub story: StoryConfig,
    /// Most partners listed per passage (the best ones).
    pub max_partners: usize,
    /// Align and label passages. Off: stories only, and a near-duplicate copy is not read at
    /// all (its story is its representative's; its segmentation and boilerplate are left
    /// empty).
    pub passages: bool,
    /// Work within about this many bytes: block terms and sentence terms wait in temporary
    /// files rather than in memory, and a corpus read from inputs sorts its band keys within
    /// half of it ([`crate::pipeline::stories::analyze_inputs`]). `None`: in memory, faster.
    pub memory_limit: Option<usize>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            story: StoryConfig::default(),
            max_partners: 10,
            passages: true,
            memory_limit: None,
        }
    }
}

/// The analysis of one document.
#[derive(Debug, Clone)]
pub struct ArticleAnalysis {
    /// Its story cluster (numbered by first member in input order).
    pub story: usize,
    /// Its blocks and sentences.
    pub segmentation: Segmentation,
    /// Why each block is boilerplate (`None` for content).
    pub boilerplate: Vec<Option<BoilerplateReason>>,
    /// Its passages, in text order (empty when passages were not asked for).
    pub passages: Vec<Passage>,
    /// Its story vector, for a near-duplicate representative (copies share theirs).
    pub story_vector: Option<StoryVector>,
}

/// Per-document work of stage 1.
#[derive(Debug, Default)]
struct Prepared {
    segmentation: PackedSegmentation,
    boilerplate: Vec<Option<BoilerplateReason>>,
    block_keys: Vec<Option<u64>>,
    /// The headline's terms, counted with the content terms.
    title_terms: Vec<Term>,
}

/// Per sentence, a hash of its wording and its word count, from [`STORY_VERBATIM_MIN_WORDS`]
/// words up: what matches sentences word for word.
#[derive(Debug, Clone, Default)]
struct SentenceKeys(Vec<Option<(u64, u32)>>);

impl Spillable for SentenceKeys {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::spill::codec::Plain;
        (self.0.len() as u64).put(out);
        for k in &self.0 {
            let (key, words) = k.unwrap_or_default();
            u8::from(k.is_some()).put(out);
            key.put(out);
            words.put(out);
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut c = crate::spill::codec::Cursor::new(bytes);
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let mut keys = Vec::with_capacity(n.min(bytes.len() / 13));
        for _ in 0..n {
            let keyed = c.value::<u8>()? == 1;
            let (key, words) = (c.value::<u64>()?, c.value::<u32>()?);
            keys.push(keyed.then_some((key, words)));
        }
        c.is_done().then_some(SentenceKeys(keys))
    }
}

/// Fewest words for a sentence to be matched across stories by its exact wording.
const VERBATIM_MIN_WORDS: usize = 6;
/// Fewest words for a sentence to be matched within a story by its exact wording: a copy that
/// keeps "They could change, sources indicated." word for word has copied it, though the
/// sentence has too few content terms to be aligned by them.
const STORY_VERBATIM_MIN_WORDS: usize = 4;

/// Stage 1 for one document, with the terms of its content blocks as the judging read them
/// (what its story counts and its sentences' terms are made of); `counted` for a
/// near-duplicate representative (only those make story vectors, so a copy's headline is not
/// read); `keyed` when passages are labelled (only they match sentences by their wording).
fn prepare(
    text: &str,
    title: Option<&str>,
    counted: bool,
    keyed: bool,
) -> crate::Result<(Prepared, BlockTerms, SentenceKeys)> {
    let segmentation = segment(text);
    // The judging reads every block once and keys it and its sentences.
    let BlockJudgement {
        verdicts: boilerplate,
        terms,
        keys: block_keys,
        sentence_keys: keys_read,
    } = judge_blocks(text, &segmentation);
    let sentence_keys = segmentation
        .sentences
        .iter()
        .enumerate()
        .filter(|_| keyed)
        .map(|(k, s)| {
            let t = s.of(text);
            let words = t.split_whitespace().count();
            if words < STORY_VERBATIM_MIN_WORDS {
                return None;
            }
            let key = keys_read.get(k).copied().flatten();
            key.map(|key| (key, words.min(u32::MAX as usize) as u32))
        })
        .collect();
    // Boilerplate blocks (by their own evidence) are neither counted nor aligned.
    let content = terms.keep_blocks(|b| boilerplate[b].is_none());
    let prepared = Prepared {
        segmentation: PackedSegmentation::new(&segmentation)
            .ok_or_else(|| crate::Error::capacity("bytes in a text", u64::from(u32::MAX)))?,
        boilerplate,
        block_keys,
        title_terms: if counted {
            title_terms(title)
        } else {
            Vec::new()
        },
    };
    Ok((prepared, content, SentenceKeys(sentence_keys)))
}

/// Block keys found in two representatives of one outlet, or in more than
/// `max(5, 1%)` of all representatives.
fn suspected_templates(
    prepared: &[Prepared],
    reps: &[usize],
    outlets: &[Option<u32>],
) -> AHashSet<u64> {
    // One flat entry per (content block key, representative holding it): 16 bytes, where a
    // table of keys with their outlets took a hundred (most blocks occur once).
    let mut places: Vec<(u64, u32)> = Vec::new();
    for &r in reps {
        let p = &prepared[r];
        let start = places.len();
        let outlet = outlets[r].unwrap_or(u32::MAX);
        places.extend(
            p.block_keys
                .iter()
                .zip(&p.boilerplate)
                .filter(|(_, b)| b.is_none())
                .filter_map(|(k, _)| k.map(|k| (k, outlet))),
        );
        // A key counts once per representative.
        places[start..].sort_unstable();
        let mut kept = start;
        for k in start..places.len() {
            if kept == start || places[kept - 1].0 != places[k].0 {
                places[kept] = places[k];
                kept += 1;
            }
        }
        places.truncate(kept);
    }
    places.par_sort_unstable();
    let many = (reps.len() / 100).max(5);
    places
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| {
            run.len() > many
                || run
                    .windows(2)
                    .any(|w| w[0].1 == w[1].1 && w[0].1 != u32::MAX)
        })
        .map(|run| run[0].0)
        .collect()
}

/// Analyse `docs`: story clusters, boilerplate and passages, one result per document in order.
pub fn analyze(
    docs: &[ArticleInput<'_>],
    config: &AnalysisConfig,
) -> crate::Result<Vec<ArticleAnalysis>> {
    let analysis = analyze_corpus(docs, config)?;
    Ok(analysis.articles(0..analysis.len()))
}

/// Analyse `docs` as [`analyze`] does, leaving each document's passages to be labelled when
/// it is read.
pub fn analyze_corpus(
    docs: &[ArticleInput<'_>],
    config: &AnalysisConfig,
) -> crate::Result<CorpusAnalysis> {
    read_corpus_terms(docs, config)?.analyze()
}

/// The stages that read the texts: segments, boilerplate, story vectors and every content
/// sentence's terms. What they return holds no text, so a caller that needs the texts no
/// longer can let them go before [`CorpusTerms::analyze`] runs the rest.
pub fn read_corpus_terms(
    docs: &[ArticleInput<'_>],
    config: &AnalysisConfig,
) -> crate::Result<CorpusTerms> {
    let texts: Vec<&str> = docs.iter().map(|d| d.text).collect();
    read_corpus_terms_from(docs, texts.as_slice(), config)
}

/// [`read_corpus_terms`] with the texts read from `texts` (document `i`'s is `texts.load(i)`)
/// rather than from `docs`, whose `text` is not read: texts kept in a file
/// ([`crate::pipeline::texts::SpilledTexts`]) are read back one at a time, twice.
pub fn read_corpus_terms_from(
    docs: &[ArticleInput<'_>],
    texts: &(impl TextSource + ?Sized),
    config: &AnalysisConfig,
) -> crate::Result<CorpusTerms> {
    config.story.validate()?;
    let n = docs.len();
    for (i, d) in docs.iter().enumerate() {
        if d.representative >= n || docs[d.representative].representative != d.representative {
            return Err(crate::Error::invalid(
                "representative",
                format!(
                    "document {i} names {}, which is not a representative",
                    d.representative
                ),
            ));
        }
    }
    let spill = config.memory_limit.is_some();
    let mut prepared: Vec<Prepared> = Vec::with_capacity(n);
    let mut block_terms = PerDocumentWriter::new(BLOCK_TERMS_FILE, n, spill)?;
    let mut sentence_keys = PerDocumentWriter::new(KEYS_FILE, n, spill)?;
    for chunk in chunks(n) {
        let part: Vec<(Prepared, BlockTerms, SentenceKeys)> = chunk
            .into_par_iter()
            .map_init(String::new, |text, i| {
                let d = &docs[i];
                let representative = d.representative == i;
                // Stories only: a copy's story is its representative's, and nothing of its
                // own is asked for (a third of a syndicated corpus is copies).
                if !config.passages && !representative {
                    return Ok(Default::default());
                }
                texts.load(i, text)?;
                prepare(text, d.title, representative, config.passages)
            })
            .collect::<crate::Result<_>>()?;
        let start = prepared.len();
        let mut part_terms = Vec::with_capacity(part.len());
        let mut part_keys = Vec::with_capacity(part.len());
        for (p, t, k) in part {
            prepared.push(p);
            part_terms.push(t);
            part_keys.push(k);
        }
        block_terms.extend(start, part_terms)?;
        sentence_keys.extend(start, part_keys)?;
    }
    let mut block_terms = block_terms.finish()?;

    // Stage 2: stories over representatives.
    let reps: Vec<usize> = (0..n).filter(|&i| docs[i].representative == i).collect();
    let mut outlets: AHashMap<&str, u32> = AHashMap::new();
    let outlet_ids: Vec<Option<u32>> = docs
        .iter()
        .map(|d| {
            d.outlet.map(|o| {
                let next = outlets.len() as u32;
                *outlets.entry(o).or_insert(next)
            })
        })
        .collect();
    // Blocks that look like templates before stories are known (one outlet's block in two of
    // its articles, or any block in many articles) must not make stories: a shared footer
    // would chain unrelated articles. Their terms leave the story vectors and the evidence;
    // whether they are boilerplate is decided once stories are known.
    let suspects = suspected_templates(&prepared, &reps, &outlet_ids);
    // A representative's content terms counted, its suspected blocks left out.
    let rep_counts = |i: usize, bytes: &mut Vec<u8>| {
        let p = &prepared[i];
        let terms = block_terms.get(i, bytes)?;
        crate::Result::Ok(TermCounts::from_terms(content_terms(
            (&p.boilerplate, &terms),
            (&p.block_keys, &suspects),
            &p.title_terms,
        )))
    };
    let mut idf = Idf::background();
    for chunk in reps.chunks(CHUNK) {
        let part: Vec<TermCounts> = chunk
            .par_iter()
            .map_init(Vec::new, |bytes, &i| rep_counts(i, bytes))
            .collect::<crate::Result<_>>()?;
        part.iter().for_each(|c| idf.add(c));
    }
    let vectors: Vec<StoryVector> = reps
        .par_iter()
        .map_init(Vec::new, |bytes, &i| {
            let c = rep_counts(i, bytes)?;
            Ok(StoryVector::new(&c, &idf, config.story.max_terms))
        })
        .collect::<crate::Result<_>>()?;
    for p in &mut prepared {
        p.title_terms = Vec::new();
    }
    let rep_times: Vec<Option<i64>> = reps.iter().map(|&i| docs[i].timestamp).collect();
    // Sentence terms of every content sentence (own-evidence boilerplate left out), taken from
    // the terms the judging read where they are the same, read again otherwise.
    let mut sentence_terms = PerDocumentWriter::new(TERMS_FILE, n, spill)?;
    for chunk in chunks(n) {
        let start = chunk.start;
        // Each document's block terms are let go as its sentence terms are made: the two
        // are about the same size, and the corpus holds one of them at a time.
        let chunk_terms = block_terms.take(chunk.clone())?;
        let part: Vec<DocumentTerms> = chunk
            .into_par_iter()
            .zip(chunk_terms)
            .map_init(
                || (TermExtractor::new(), String::new()),
                |(ex, text), (i, terms)| {
                    // Without passages, only representatives' terms are read (as story evidence).
                    if !config.passages && docs[i].representative != i {
                        return Ok(DocumentTerms::default());
                    }
                    texts.load(i, text)?;
                    let p = &prepared[i];
                    let seg = &p.segmentation;
                    let text = text.as_str();
                    let sentences = (0..seg.sentence_count()).map(|s| {
                        let b = seg.block_of(s);
                        let span = seg.sentence(s).filter(|_| p.boilerplate[b].is_none())?;
                        let block = seg.block(b)?;
                        let from_block = SentenceTerms::of_block(
                            text,
                            (block.start..block.end, span.start..span.end),
                            (&terms, b, s),
                            &idf,
                        );
                        Some(
                            from_block
                                .unwrap_or_else(|| SentenceTerms::new(ex, span.of(text), &idf)),
                        )
                    });
                    Ok(DocumentTerms::collect(sentences))
                },
            )
            .collect::<crate::Result<_>>()?;
        sentence_terms.extend(start, part)?;
    }
    // The block terms have made the counts and the sentence terms.
    drop(block_terms);
    let sentence_terms = sentence_terms.finish()?;
    let representatives: Vec<usize> = docs.iter().map(|d| d.representative).collect();
    Ok(CorpusTerms {
        config: *config,
        prepared,
        representatives,
        reps,
        outlet_ids,
        suspects,
        vectors,
        rep_times,
        sentence_terms,
        sentence_keys: sentence_keys.finish()?,
        keep_story_vectors: true,
    })
}

/// Documents whose merge keys the passage evidence holds at once (about 4 MB a thousand news
/// articles).
const KEY_WINDOW: usize = 16_384;

/// Documents handled at a time by the stages that may spill: what is in flight at once.
const CHUNK: usize = 4096;

/// `0..n` in ranges of [`CHUNK`].
fn chunks(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..n).step_by(CHUNK).map(move |s| s..(s + CHUNK).min(n))
}

/// What the temporary files are called in errors.
const BLOCK_TERMS_FILE: &str = "temporary file of block terms";
const TERMS_FILE: &str = "temporary file of sentence terms";
const KEYS_FILE: &str = "temporary file of sentence keys";

/// Per-document values being made: in memory, or written to a temporary file as they come
/// (under a memory limit).
enum PerDocumentWriter<T> {
    Memory(Vec<T>),
    Disk(SpillWriter<T>),
}

impl<T: Spillable + Default + Send + Sync> PerDocumentWriter<T> {
    fn new(what: &'static str, documents: usize, spill: bool) -> crate::Result<Self> {
        Ok(if spill {
            PerDocumentWriter::Disk(SpillWriter::new(what, documents)?)
        } else {
            PerDocumentWriter::Memory(Vec::with_capacity(documents))
        })
    }

    /// Add the values of documents `start..` (following those already added).
    fn extend(&mut self, start: usize, values: Vec<T>) -> crate::Result<()> {
        match self {
            PerDocumentWriter::Memory(all) => all.extend(values),
            PerDocumentWriter::Disk(writer) => {
                let encoded: Vec<Vec<u8>> = values
                    .par_iter()
                    .map(|v| {
                        let mut out = Vec::new();
                        v.encode(&mut out);
                        out
                    })
                    .collect();
                for (k, bytes) in encoded.iter().enumerate() {
                    writer.put_encoded(start + k, bytes)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> crate::Result<PerDocument<T>> {
        Ok(match self {
            PerDocumentWriter::Memory(all) => PerDocument::Memory(all),
            PerDocumentWriter::Disk(writer) => PerDocument::Disk(writer.finish()?),
        })
    }
}

/// Per-document values, in memory or in a temporary file.
#[derive(Debug)]
enum PerDocument<T> {
    Memory(Vec<T>),
    Disk(Spilled<T>),
}

impl<T: Spillable + Clone + Default + Send + Sync> PerDocument<T> {
    /// The values of documents `range`, taken out (in memory, each left empty).
    fn take(&mut self, range: std::ops::Range<usize>) -> crate::Result<Vec<T>> {
        match self {
            PerDocument::Memory(all) => Ok(range
                .map(|i| all.get_mut(i).map(std::mem::take).unwrap_or_default())
                .collect()),
            PerDocument::Disk(file) => range
                .into_par_iter()
                .map_init(Vec::new, |bytes, i| file.get(i, bytes))
                .collect(),
        }
    }
}

impl<T: Spillable + Clone + Default> PerDocument<T> {
    /// Document `i`'s value (`bytes` is scratch for reading it back).
    fn get(&self, i: usize, bytes: &mut Vec<u8>) -> crate::Result<Cow<'_, T>> {
        match self {
            PerDocument::Memory(all) => Ok(all.get(i).map_or_else(Cow::default, Cow::Borrowed)),
            PerDocument::Disk(file) => file.get(i, bytes).map(Cow::Owned),
        }
    }
}

/// A corpus after the stages that read texts (see [`read_corpus_terms`]).
#[derive(Debug)]
pub struct CorpusTerms {
    config: AnalysisConfig,
    prepared: Vec<Prepared>,
    representatives: Vec<usize>,
    reps: Vec<usize>,
    outlet_ids: Vec<Option<u32>>,
    suspects: AHashSet<u64>,
    vectors: Vec<StoryVector>,
    rep_times: Vec<Option<i64>>,
    sentence_terms: PerDocument<DocumentTerms>,
    sentence_keys: PerDocument<SentenceKeys>,
    keep_story_vectors: bool,
}

impl CorpusTerms {
    /// Let the story vectors go as soon as they have made the stories, for a caller that does
    /// not read them (a report of passages): about a kilobyte a representative, most of what
    /// the alignment would otherwise hold besides its own work. [`CorpusAnalysis::article`]
    /// then gives none.
    pub fn without_story_vectors(mut self) -> Self {
        self.keep_story_vectors = false;
        self
    }

    /// The remaining stages: story clusters, templates, alignment and partner lists.
    pub fn analyze(self) -> crate::Result<CorpusAnalysis> {
        let CorpusTerms {
            config,
            mut prepared,
            representatives,
            reps,
            outlet_ids,
            suspects,
            mut vectors,
            rep_times,
            mut sentence_terms,
            sentence_keys,
            keep_story_vectors,
        } = self;
        let config = &config;
        let n = representatives.len();
        let mut edges = story_edges(&vectors, &rep_times, &config.story);
        if !keep_story_vectors {
            // They have made the edges: let them go before the passage evidence.
            vectors = Vec::new();
        }
        // Passage evidence: rewrites of one story carry some of the same sentences; stories of the
        // same kind share vocabulary but not sentences with the same facts.
        //
        // A document is compared with dozens of others, and gathering its merge keys for each
        // comparison was a quarter of the stage: when the terms are in memory, the keys of a
        // window of documents are gathered once, and each document's pairs with a later
        // document in the window are weighed (a document's edges are in order of the later
        // one). What is held is one window's keys, whatever the corpus's size; an earlier
        // document's keys are gathered once per window it has pairs in. Read back from a file,
        // a document's keys are gathered as it is read, in one pass.
        let in_memory = matches!(sentence_terms, PerDocument::Memory(_));
        let window = if in_memory {
            KEY_WINDOW
        } else {
            reps.len().max(1)
        };
        // Each document's edges, and where the next to weigh is with the later document it
        // names (`usize::MAX` when none is left): a window passes over the documents whose next
        // edge is not in it without reading their edges.
        let mut groups: Vec<(&mut [_], usize, usize)> = edges
            .chunk_by_mut(|x, y| x.a == y.a)
            .map(|group| {
                let first = group[0].b;
                (group, 0, first)
            })
            .collect();
        for start in (0..reps.len()).step_by(window) {
            let end = (start + window).min(reps.len());
            // With each document's keys, which of its sentences stand in suspected blocks.
            let suspected = |doc: usize| -> Vec<bool> {
                let p = &prepared[doc];
                (0..p.segmentation.sentence_count())
                    .map(|s| {
                        let key = p.block_keys[p.segmentation.block_of(s)];
                        key.is_some_and(|k| suspects.contains(&k))
                    })
                    .collect()
            };
            let keys: Vec<(PairKeys, Vec<bool>)> = match &sentence_terms {
                PerDocument::Memory(all) => (start..end)
                    .into_par_iter()
                    .map(|k| {
                        let keys = all.get(reps[k]).map(DocumentTerms::pair_keys);
                        (keys.unwrap_or_default(), suspected(reps[k]))
                    })
                    .collect(),
                PerDocument::Disk(_) => Vec::new(),
            };
            // A document before the window wraps to an index past its keys: gathered as read.
            let keys_of = |k: usize, terms: &DocumentTerms| match keys.get(k.wrapping_sub(start)) {
                Some((held, marks)) => (Cow::Borrowed(held), Cow::Borrowed(marks.as_slice())),
                None => (
                    Cow::Owned(terms.pair_keys()),
                    Cow::Owned(suspected(reps[k])),
                ),
            };
            groups.par_iter_mut().try_for_each_init(
                || (Vec::new(), SharedSentences::default()),
                |(bytes, counter), (group, next, next_b)| {
                    debug_assert!(group.is_sorted_by_key(|e| e.b));
                    if *next_b >= end {
                        return Ok(());
                    }
                    let from = *next;
                    let to = from + group[from..].partition_point(|e| e.b < end);
                    *next = to;
                    *next_b = group.get(to).map_or(usize::MAX, |e| e.b);
                    let terms_a = sentence_terms.get(reps[group[0].a], bytes)?;
                    let (keys_a, suspect_a) = keys_of(group[0].a, &terms_a);
                    for e in group[from..to].iter_mut() {
                        let terms_b = sentence_terms.get(reps[e.b], bytes)?;
                        let (keys_b, suspect_b) = keys_of(e.b, &terms_b);
                        let shared = counter.count(
                            (&terms_a, &keys_a, &suspect_a),
                            (&terms_b, &keys_b, &suspect_b),
                            FULL_EVIDENCE_SENTENCES,
                        );
                        e.similarity *= passage_evidence(shared);
                    }
                    crate::Result::Ok(())
                },
            )?;
        }
        drop(groups);
        let rep_story = cluster_story_edges(reps.len(), &mut edges, config.story.threshold);
        drop(edges);
        let mut story_of_rep: AHashMap<usize, usize> = AHashMap::new();
        for (k, &r) in reps.iter().enumerate() {
            story_of_rep.insert(r, rep_story[k]);
        }
        // Renumber by first member in input order.
        let mut renumber: AHashMap<usize, usize> = AHashMap::new();
        let stories: Vec<usize> = representatives
            .iter()
            .map(|r| {
                let raw = story_of_rep.get(r).copied().unwrap_or(0);
                let next = renumber.len();
                *renumber.entry(raw).or_insert(next)
            })
            .collect();

        let mut rep_vectors: Vec<Option<StoryVector>> = Vec::new();
        if keep_story_vectors {
            rep_vectors = vec![None; n];
            for (k, &r) in reps.iter().enumerate() {
                rep_vectors[r] = Some(std::mem::take(&mut vectors[k]));
            }
        }
        drop(vectors);
        if !config.passages {
            let (segmentations, boilerplate) = prepared
                .into_iter()
                .map(|p| (p.segmentation, p.boilerplate))
                .unzip();
            return Ok(CorpusAnalysis {
                stories,
                segmentations,
                boilerplate,
                story_vectors: rep_vectors,
                passages: None,
            });
        }

        // Stage 3: templates.
        let mut templates = TemplateCounter::new();
        for &r in &reps {
            for (b, key) in prepared[r].block_keys.iter().enumerate() {
                if let (Some(key), None) = (key, prepared[r].boilerplate[b]) {
                    templates.add(*key, stories[r], outlet_ids[r]);
                }
            }
        }
        let templates = templates.templates();
        prepared.par_iter_mut().for_each(|p| {
            for (b, key) in p.block_keys.iter().enumerate() {
                if p.boilerplate[b].is_none() && key.is_some_and(|k| templates.contains(&k)) {
                    p.boilerplate[b] = Some(BoilerplateReason::Template);
                }
            }
        });
        drop(templates);

        // Stage 4: alignment, template sentences left out: at once in memory, as each
        // document is read back from a temporary file.
        let templates_of = |p: &Prepared| {
            let blocks = p.segmentation.block_sentences().enumerate();
            blocks
                .filter(|(b, _)| p.boilerplate[*b].is_some())
                .flat_map(|(_, sentences)| sentences)
                .collect::<Vec<usize>>()
        };
        if let PerDocument::Memory(all) = &mut sentence_terms {
            prepared
                .par_iter()
                .zip(all.par_iter_mut())
                .for_each(|(p, terms)| terms.forget(templates_of(p)));
        }
        let aligned_terms = |i: usize, bytes: &mut Vec<u8>| {
            let mut terms = sentence_terms.get(i, bytes)?;
            if matches!(terms, Cow::Owned(_)) {
                terms.to_mut().forget(templates_of(&prepared[i]));
            }
            crate::Result::Ok(terms)
        };
        let mut story_reps: Vec<Vec<usize>> = vec![Vec::new(); renumber.len()];
        for &r in &reps {
            story_reps[stories[r]].push(r);
        }
        let mut copies_of: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, &r) in representatives.iter().enumerate() {
            if r != i {
                copies_of[r].push(i);
            }
        }
        let rules = PartnerRules::new(config.max_partners);
        // Story by story: its representatives aligned together, each copy with its representative.
        // Every list is capped before the next story is aligned.
        type Aligned = (usize, SentenceLinks, Vec<Option<(usize, f64)>>);
        let per_story: Vec<Vec<Aligned>> = story_reps
            .par_iter()
            .map_init(Vec::new, |bytes, members| {
                let sentences = |doc: usize| prepared[doc].segmentation.sentence_count();
                let mut lists: AHashMap<usize, SentenceLinks> = AHashMap::new();
                let mut in_representative: AHashMap<usize, Vec<Option<(usize, f64)>>> =
                    AHashMap::new();
                let mut add = |m: &SentenceMatch| {
                    let list = lists
                        .entry(m.from.doc)
                        .or_insert_with(|| vec![Vec::new(); sentences(m.from.doc)]);
                    if let Some(l) = list.get_mut(m.from.sentence) {
                        l.push((m.to, m.similarity));
                    }
                };
                let member_terms: Vec<Cow<DocumentTerms>> = members
                    .iter()
                    .map(|&m| aligned_terms(m, bytes))
                    .collect::<crate::Result<_>>()?;
                if members.len() > 1 {
                    let group: Vec<(usize, &DocumentTerms)> = members
                        .iter()
                        .zip(&member_terms)
                        .map(|(&m, t)| (m, t.as_ref()))
                        .collect();
                    align_group(&group).iter().for_each(&mut add);
                }
                for (&r, terms_r) in members.iter().zip(&member_terms) {
                    for &c in &copies_of[r] {
                        let terms_c = aligned_terms(c, bytes)?;
                        let matches = align_group(&[(c, &terms_c), (r, terms_r)]);
                        let slots = in_representative
                            .entry(c)
                            .or_insert_with(|| vec![None; sentences(c)]);
                        for m in &matches {
                            if m.from.doc == c && m.to.doc == r {
                                if let Some(slot) = slots.get_mut(m.from.sentence) {
                                    *slot = Some((m.to.sentence, m.similarity));
                                }
                            }
                            add(m);
                        }
                    }
                }
                let mut out: Vec<Aligned> = lists
                    .into_iter()
                    .map(|(doc, mut list)| {
                        list.iter_mut().for_each(|l| cap(l, rules.keep));
                        let slots = in_representative.remove(&doc).unwrap_or_default();
                        (doc, list, slots)
                    })
                    .collect();
                out.extend(
                    in_representative
                        .into_iter()
                        .map(|(doc, slots)| (doc, Vec::new(), slots)),
                );
                Ok(out)
            })
            .collect::<crate::Result<_>>()?;
        // What follows reads the aligned lists, not the terms.
        drop(sentence_terms);
        let mut aligned: Vec<SentenceLinks> = vec![Vec::new(); n];
        let mut in_representative: Vec<Vec<Option<(usize, f64)>>> = vec![Vec::new(); n];
        for (doc, lists, slots) in per_story.into_iter().flatten() {
            aligned[doc] = lists;
            in_representative[doc] = slots;
        }
        // Sentences repeated word for word: in documents of different stories from
        // VERBATIM_MIN_WORDS words (shorter ones coincide by chance), within a story from
        // STORY_VERBATIM_MIN_WORDS (alignment by terms misses sentences with few content words).
        // Each document's entries: its content sentences' keys.
        let entries = |doc: usize, bytes: &mut Vec<u8>| {
            let p = &prepared[doc];
            let keys = sentence_keys.get(doc, bytes)?;
            let keyed = keys.0.iter().enumerate().filter_map(|(sentence, key)| {
                let block = p.segmentation.block_of(sentence);
                match (key, p.boilerplate.get(block).copied().flatten()) {
                    (Some((k, words)), None) => VerbatimGroups::entry(
                        (doc, sentence),
                        *k,
                        *words as usize >= VERBATIM_MIN_WORDS,
                    ),
                    _ => None,
                }
            });
            crate::Result::Ok(keyed.collect::<Vec<_>>())
        };
        // Counted first, so the one list is allocated once to its size: grown by doubling, it
        // held up to twice its entries at the moment the corpus's memory peaks.
        let total: usize = (0..n)
            .into_par_iter()
            .map_init(Vec::new, |bytes, doc| Ok(entries(doc, bytes)?.len()))
            .sum::<crate::Result<usize>>()?;
        let mut keyed: Vec<(u64, u32, u32)> = Vec::with_capacity(total);
        for chunk in chunks(n) {
            let part: Vec<Vec<(u64, u32, u32)>> = chunk
                .into_par_iter()
                .map_init(Vec::new, |bytes, doc| entries(doc, bytes))
                .collect::<crate::Result<_>>()?;
            keyed.extend(part.into_iter().flatten());
        }
        drop(sentence_keys);
        let verbatim = VerbatimGroups::from_entries(n, keyed);
        let has_copies: Vec<bool> = copies_of.iter().map(|c| !c.is_empty()).collect();
        let (segmentations, boilerplate) = prepared
            .into_iter()
            .map(|p| (p.segmentation, p.boilerplate))
            .unzip();
        let mut analysis = CorpusAnalysis {
            stories,
            segmentations,
            boilerplate,
            story_vectors: rep_vectors,
            passages: Some(PartnerState {
                aligned,
                in_representative,
                verbatim,
                representatives,
                has_copies,
                rules,
                copies_reached: None,
            }),
        };
        let reached = analysis.partner_sources().map(|s| s.copies_reached());
        if let Some(state) = &mut analysis.passages {
            state.copies_reached = reached;
        }
        Ok(analysis)
    }
}

/// What labels a document's passages: its sentences' aligned partners, and the word-for-word
/// groups.
#[derive(Debug)]
struct PartnerState {
    aligned: Vec<SentenceLinks>,
    in_representative: Vec<Vec<Option<(usize, f64)>>>,
    verbatim: VerbatimGroups,
    representatives: Vec<usize>,
    has_copies: Vec<bool>,
    rules: PartnerRules,
    copies_reached: Option<Vec<SentenceLinks>>,
}

/// The analysis of a corpus, read document by document: stories are decided and partners
/// aligned, and a document's passages are labelled when it is asked for
/// ([`CorpusAnalysis::article`]). A report that writes documents as it goes holds the
/// partner lists and not every labelled passage.
#[derive(Debug)]
pub struct CorpusAnalysis {
    stories: Vec<usize>,
    segmentations: Vec<PackedSegmentation>,
    boilerplate: Vec<Vec<Option<BoilerplateReason>>>,
    story_vectors: Vec<Option<StoryVector>>,
    passages: Option<PartnerState>,
}

impl CorpusAnalysis {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// True when there are no documents.
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    /// Document `i`'s story (numbered by first member in input order).
    pub fn story(&self, i: usize) -> usize {
        self.stories[i]
    }

    /// Every document's story, in input order.
    pub fn stories(&self) -> &[usize] {
        &self.stories
    }

    /// The story vector of document `i`, when it is a near-duplicate representative (and the
    /// vectors were kept).
    pub fn story_vector(&self, i: usize) -> Option<&StoryVector> {
        self.story_vectors.get(i)?.as_ref()
    }

    /// Where passages' partners come from, when passages are labelled.
    fn partner_sources(&self) -> Option<PartnerSources<'_>> {
        let state = self.passages.as_ref()?;
        Some(PartnerSources {
            aligned: &state.aligned,
            in_representative: &state.in_representative,
            verbatim: &state.verbatim,
            representative: &state.representatives,
            story: &self.stories,
            has_copies: &state.has_copies,
            segmentation: &self.segmentations,
            rules: state.rules,
            copies_reached: state.copies_reached.as_deref(),
        })
    }

    /// The analysis of document `i`: its story, blocks, boilerplate and labelled passages.
    pub fn article(&self, i: usize) -> ArticleAnalysis {
        let segmentation = self.segmentations[i].unpack();
        let boilerplate = &self.boilerplate[i];
        let passages = match self.partner_sources() {
            Some(sources) => build_passages(&segmentation, boilerplate, &sources.partners(i)),
            None => Vec::new(),
        };
        ArticleAnalysis {
            story: self.stories[i],
            segmentation,
            boilerplate: boilerplate.clone(),
            passages,
            story_vector: self.story_vectors.get(i).cloned().flatten(),
        }
    }

    /// The analyses of documents `range`, labelled in parallel, in order.
    pub fn articles(&self, range: std::ops::Range<usize>) -> Vec<ArticleAnalysis> {
        self.map_articles(range, |_, a| a)
    }

    /// `f(i, analysis)` for each document `i` of `range`, in parallel, in order: a writer
    /// formats a batch of documents on every core and writes them in input order.
    pub fn map_articles<T: Send>(
        &self,
        range: std::ops::Range<usize>,
        f: impl Fn(usize, ArticleAnalysis) -> T + Sync + Send,
    ) -> Vec<T> {
        range
            .into_par_iter()
            .map(|i| f(i, self.article(i)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::passage::PassageStatus;
    use proptest::prelude::*;

    const POOL: &[&str] = &[
        "Amazon is in talks to invest up to $50 billion in OpenAI, people familiar with the matter said.",
        "The negotiations are being led by Amazon CEO Andy Jassy and OpenAI CEO Sam Altman.",
        "OpenAI is seeking up to $100 billion in new capital at a valuation of $830 billion.",
        "A magnitude 7.1 earthquake struck off the coast of Chile, killing 12 people in Valparaiso.",
        "Rescue teams searched the rubble through the night as aftershocks rattled the port.",
        "Leave a Reply",
        "Also Read: Ten tips for a safer home",
        "-",
        "Analysts said the deal would reshape the cloud market for years to come, for better or worse.",
        "Shares rose 2.1% in early trading.",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        /// Any mix of sentences: passages cover every non-blank byte without overlap, partners are
        /// other documents with spans inside their text, originality is unique over content, and
        /// the result does not depend on document order beyond renumbering.
        #[test]
        fn passages_keep_their_contract(
            docs in proptest::collection::vec(proptest::collection::vec(0..POOL.len(), 1..8), 1..6)
        ) {
            let texts: Vec<String> = docs
                .iter()
                .map(|d| d.iter().map(|&i| POOL[i]).collect::<Vec<_>>().join("\n"))
                .collect();
            let inputs: Vec<ArticleInput> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| ArticleInput { text: t, title: None, outlet: None, timestamp: None, representative: i })
                .collect();
            let analyses = analyze(&inputs, &AnalysisConfig::default()).unwrap();
            // Texts read back from a file give the same analysis as texts in memory.
            let spilled = crate::pipeline::texts::SpilledTexts::new(texts.iter().map(|t| Some(t.as_str()))).unwrap();
            let blank: Vec<ArticleInput> = inputs.iter().map(|a| ArticleInput { text: "", ..*a }).collect();
            let from_file = read_corpus_terms_from(&blank, &spilled, &AnalysisConfig::default())
                .unwrap()
                .analyze()
                .unwrap();
            prop_assert_eq!(format!("{:?}", from_file.articles(0..texts.len())), format!("{analyses:?}"));
            // So do block terms and sentence terms kept in temporary files.
            let limited = AnalysisConfig { memory_limit: Some(1 << 20), ..AnalysisConfig::default() };
            let spilled_terms = read_corpus_terms_from(&blank, &spilled, &limited)
                .unwrap()
                .analyze()
                .unwrap();
            prop_assert_eq!(format!("{:?}", spilled_terms.articles(0..texts.len())), format!("{analyses:?}"));
            for (i, a) in analyses.iter().enumerate() {
                let text = &texts[i];
                let mut covered = vec![false; text.len()];
                let mut last_end = 0;
                for p in &a.passages {
                    prop_assert!(p.span.start >= last_end && p.span.start < p.span.end);
                    last_end = p.span.end;
                    covered[p.span.start..p.span.end].iter_mut().for_each(|c| *c = true);
                    prop_assert_eq!(p.status == PassageStatus::Shared, !p.partners.is_empty());
                    for q in &p.partners {
                        prop_assert!(q.doc != i && q.span.end <= texts[q.doc].len());
                    }
                }
                for (j, ch) in text.char_indices() {
                    prop_assert!(covered[j] || ch.is_whitespace());
                }
            }
        }
    }

    #[test]
    fn identical_documents_share_everything_and_copies_follow_their_representative() {
        let text =
            "A magnitude 7.1 earthquake struck off the coast of Chile, killing 12 people in \
                    Valparaiso.\nRescue teams searched the rubble through the night as aftershocks \
                    rattled the port.";
        let inputs: Vec<ArticleInput> = (0..4)
            .map(|i| ArticleInput {
                text,
                title: None,
                outlet: None,
                timestamp: None,
                representative: usize::from(i > 1) * 2,
            })
            .collect();
        let analyses = analyze(&inputs, &AnalysisConfig::default()).unwrap();
        for a in &analyses {
            assert_eq!(a.story, 0);
            assert!(
                a.passages.iter().all(|p| p.status == PassageStatus::Shared),
                "{a:?}"
            );
        }
        // A copy lists its representative and, through it, the other documents.
        let partners: Vec<usize> = analyses[1].passages[0]
            .partners
            .iter()
            .map(|p| p.doc)
            .collect();
        assert_eq!(partners, [0, 2, 3]);
        let bad = [ArticleInput {
            text,
            title: None,
            outlet: None,
            timestamp: None,
            representative: 5,
        }];
        assert!(analyze(&bad, &AnalysisConfig::default()).is_err());
    }

    #[test]
    fn stories_only_reads_no_copy_and_finds_the_same_stories() {
        let quake = "A magnitude 7.1 earthquake struck off the coast of Chile, killing 12 people \
                     in Valparaiso.\nRescue teams searched the rubble through the night as \
                     aftershocks rattled the port.";
        let rewrite = "Rescue crews searched through rubble overnight in Valparaiso after a \
                       magnitude 7.1 earthquake off Chile killed 12 people.\nAftershocks rattled \
                       the port as teams worked.";
        let budget = "The city council approved a budget of $40 million for new bus lanes on \
                      Tuesday.\nConstruction on the first route begins in the spring, officials \
                      said.";
        let texts = [quake, budget, quake, rewrite, budget];
        let representatives = [0, 1, 0, 3, 1];
        let inputs: Vec<ArticleInput> = texts
            .iter()
            .zip(representatives)
            .map(|(&text, representative)| ArticleInput {
                text,
                title: None,
                outlet: None,
                timestamp: None,
                representative,
            })
            .collect();
        let full = analyze(&inputs, &AnalysisConfig::default()).unwrap();
        let stories_only = AnalysisConfig {
            passages: false,
            ..AnalysisConfig::default()
        };
        let only = analyze(&inputs, &stories_only).unwrap();
        let stories = |a: &[ArticleAnalysis]| a.iter().map(|a| a.story).collect::<Vec<_>>();
        assert_eq!(stories(&only), stories(&full));
        assert_eq!(stories(&only), [0, 1, 0, 0, 1]);
        for (i, a) in only.iter().enumerate() {
            let read = !a.segmentation.sentences.is_empty();
            assert_eq!(read, representatives[i] == i, "document {i}: {a:?}");
            assert!(a.passages.is_empty());
        }
    }

    #[test]
    fn a_short_sentence_kept_word_for_word_within_a_story_is_shared() {
        // "They could change, sources indicated." has three content terms: too few to align by
        // terms, but a rewrite that keeps it word for word has copied it. Across stories the
        // same short sentence is a coincidence and stays unique.
        let a = "A magnitude 7.1 earthquake struck off the coast of Chile, killing 12 people in Valparaiso.\n\
                 They could change, sources indicated.\n\
                 Rescue teams searched the rubble through the night as aftershocks rattled the port.";
        let b = "Rescue crews searched through rubble overnight in Valparaiso after a magnitude 7.1 earthquake off Chile killed 12 people.\n\
                 They could change, sources indicated.\n\
                 Officials in Santiago said schools would reopen on Monday after inspections.";
        let c = "Shares of Acme Corp rose 4% after the company raised its annual forecast on strong demand.\n\
                 They could change, sources indicated.\n\
                 Acme said revenue for the quarter reached $2.3 billion, above analyst estimates.";
        let inputs: Vec<ArticleInput> = [a, b, c]
            .iter()
            .enumerate()
            .map(|(i, text)| ArticleInput {
                text,
                title: None,
                outlet: None,
                timestamp: None,
                representative: i,
            })
            .collect();
        let analyses = analyze(&inputs, &AnalysisConfig::default()).unwrap();
        assert_eq!(analyses[0].story, analyses[1].story);
        assert_ne!(analyses[0].story, analyses[2].story);
        let status_of = |d: usize| {
            let at = inputs[d].text.find("They could").unwrap();
            let p = analyses[d]
                .passages
                .iter()
                .find(|p| p.span.start <= at && at < p.span.end)
                .unwrap();
            (
                p.status,
                p.partners.iter().map(|q| q.doc).collect::<Vec<_>>(),
            )
        };
        assert_eq!(status_of(0), (PassageStatus::Shared, vec![1]));
        assert_eq!(status_of(1), (PassageStatus::Shared, vec![0]));
        assert_eq!(status_of(2), (PassageStatus::Unique, vec![]));
    }
}
