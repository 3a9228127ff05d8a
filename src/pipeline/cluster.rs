//! Clustering a corpus: every document's near-duplicate cluster (or story), from inputs or from
//! a directory of signature tables, in memory or within a memory budget.
//!
//! Main choice: what is held per document is small and flat. Shingle sets (or, from signature
//! tables, MinHash values) go to a temporary file as documents are read; memory holds their
//! band keys in one array, or, within a budget, an external sort of them; texts are kept only
//! for story clustering. The clusters do not depend on which mode found the candidates.

use crate::candidates::band_index::band_keys;
use crate::candidates::buckets::{BucketGrouper, KeySorter};
use crate::error::{Error, Result};
use crate::near_dup::cluster::{
    cluster_buckets, cluster_sets, short_keys, visit_order, ClusterInput, Estimated, Keep,
    MatchConfig, Membership, OnDisk,
};
use crate::near_dup::shingle_store::{ShingleStore, StoredSet};
use crate::near_dup::verify::Measure;
use crate::pipeline::analysis::{read_corpus_terms_from, AnalysisConfig, ArticleInput};
use crate::pipeline::bucket::DEFAULT_SORT_BUDGET;
use crate::pipeline::ingest::{
    parse_timestamp, read_corpus, Entry, FingerprintedDocument, StreamOptions,
};
use crate::pipeline::texts::{SpilledTexts, TextSpiller};
use crate::pipeline::Observer;
use crate::read::document::Skipped;
use crate::read::DEFAULT_MAX_RECORD_BYTES;
use crate::sketch::signature::SignatureParams;
use crate::story::cluster::StoryConfig;
use crate::tables::read_bucket_table;
use crate::tables::shards::{
    bucket_keys_match, grouped, has_keys, read_shards, table_params, Grouped, KeysDigest,
    BUCKET_TABLE,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a cluster report says of a document besides its cluster.
#[derive(Debug, Clone, Default)]
pub struct DocumentMeta {
    /// Document id.
    pub id: String,
    /// Outlet, when known (shared: an archive has few outlets and many documents).
    pub outlet: Option<Arc<str>>,
    /// Date as given, when known.
    pub date: Option<String>,
}

/// How to cluster a corpus read from inputs.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// How inputs are read and fingerprinted.
    pub read: StreamOptions,
    /// When two documents are near-duplicates.
    pub matching: MatchConfig,
    /// Which document represents a cluster.
    pub keep: Keep,
    /// Cluster stories instead of near-duplicates, with these parameters.
    pub story: Option<StoryConfig>,
    /// Sort band keys within about this many bytes instead of holding them in an in-memory
    /// index; story clustering keeps its term counts and sentence terms in temporary files too
    /// ([`AnalysisConfig::memory_limit`]). A record limit left at its default is lowered to an
    /// eighth of it, since several records are in flight.
    pub memory_limit: Option<usize>,
}

/// What a clustering run found.
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// Every document, in input order.
    pub documents: Vec<DocumentMeta>,
    /// Each document's cluster, in the same order.
    pub memberships: Vec<Membership>,
    /// Every record skipped, in input order.
    pub skipped: Vec<Skipped>,
    /// Documents and skipped records interleaved as they were read.
    pub order: Vec<Entry>,
    /// Documents whose date is given but not ISO 8601 (the earliest rule treats them as
    /// undated).
    pub unparsed_dates: usize,
    /// Runs the band-key sort spilled to temporary files, under a memory limit.
    pub spilled_runs: Option<usize>,
    /// The signature tables read, in order (when clustering from them).
    pub tables: Vec<PathBuf>,
}

impl Clustering {
    /// How many documents are near-duplicates of another (not representatives).
    pub fn duplicates(&self) -> usize {
        self.memberships
            .iter()
            .enumerate()
            .filter(|(i, m)| m.representative != *i)
            .count()
    }

    /// Size of every cluster, by cluster number.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        let clusters = self.memberships.iter().map(|m| m.cluster + 1).max();
        let mut sizes = vec![0usize; clusters.unwrap_or(0)];
        for m in &self.memberships {
            sizes[m.cluster] += 1;
        }
        sizes
    }
}

/// What clustering keeps of a document besides what its caller holds: its LSH band keys and
/// where its shingle set went, never the set or the signature themselves.
struct Held<T> {
    document: T,
    /// Where its band keys start in the flat array of all keys.
    keys: usize,
    set: StoredSet,
}

/// What [`cluster_inputs`] holds of a document: about 100 bytes plus its id and date (band
/// keys live in one flat array, outlets are shared, texts are kept apart and only for story
/// clustering).
struct Record {
    meta: DocumentMeta,
    timestamp: Option<i64>,
    bytes: usize,
}

/// Documents read from inputs and clustered into near-duplicates, each held as its caller
/// chose (see [`read_near_duplicates`]).
pub(crate) struct NearDuplicates<T> {
    /// What the caller holds of every document, in input order.
    pub documents: Vec<T>,
    /// Each document's cluster, in the same order.
    pub memberships: Vec<Membership>,
    /// Every record skipped, in input order.
    pub skipped: Vec<Skipped>,
    /// Documents and skipped records interleaved as they were read.
    pub order: Vec<Entry>,
    /// Runs the band-key sort spilled to temporary files, under a memory limit.
    pub spilled_runs: Option<usize>,
}

/// How a held document takes part in clustering: (id, text length, time) for the visit order.
pub(crate) type VisitKey<'a> = (&'a str, usize, Option<i64>);

/// Read and fingerprint `inputs`, cluster near-duplicates (the representative chosen by `keep`),
/// and hold of each document what `hold` makes of it: shingle sets go to a temporary file and
/// band keys to one array (or, within `memory_limit`, an external sort), so the fingerprints
/// need not be held. `visit_key` tells the clustering a held document's id, length and time.
pub(crate) fn read_near_duplicates<T>(
    inputs: &[PathBuf],
    options: &StreamOptions,
    (matching, keep, memory_limit): (&MatchConfig, Keep, Option<usize>),
    observer: &mut dyn Observer,
    mut hold: impl FnMut(FingerprintedDocument) -> Result<T>,
    visit_key: impl Fn(&T) -> VisitKey<'_>,
) -> Result<NearDuplicates<T>> {
    let mut options = options.clone();
    if let Some(limit) = memory_limit {
        // Several records are in flight at once: each gets a fraction of the limit, unless
        // the caller chose the record limit itself.
        if options.max_record_bytes == DEFAULT_MAX_RECORD_BYTES {
            options.max_record_bytes = options.max_record_bytes.min(limit / 8);
        }
    }
    let mut store = ShingleStore::new()?;
    let bands = matching.lsh.bands;
    // Band keys go to an external sort under a memory limit, else to one flat array.
    let mut spill = memory_limit
        .map(|limit| KeySorter::new(limit / 2))
        .transpose()?;
    let mut documents = 0usize;
    let mut all_keys: Vec<u32> = Vec::new();
    let corpus = read_corpus(inputs, &options, observer, |doc| {
        let keys = short_keys(&band_keys(&doc.fingerprint.signature, &matching.lsh)?);
        let start = all_keys.len();
        match spill.as_mut() {
            Some(sorter) => sorter.push(documents, &keys)?,
            None => all_keys.extend(keys),
        }
        documents += 1;
        let set = store.push(&doc.fingerprint.shingles)?;
        Ok(Held {
            document: hold(doc)?,
            keys: start,
            set,
        })
    })?;
    let held = corpus.documents;
    let inputs: Vec<ClusterInput> = held
        .iter()
        .map(|h| {
            let (id, bytes, timestamp) = visit_key(&h.document);
            ClusterInput {
                id,
                keys: all_keys.get(h.keys..h.keys + bands).unwrap_or_default(),
                bytes,
                timestamp,
            }
        })
        .collect();
    let sets: Vec<StoredSet> = held.iter().map(|h| h.set).collect();
    let reader = store.finish()?;
    let sets = OnDisk {
        reader: &reader,
        sets: &sets,
    };
    let mut spilled_runs = None;
    let memberships = match (spill, memory_limit) {
        (Some(sorter), Some(limit)) => {
            let sorted = sorter.finish()?;
            spilled_runs = Some(sorted.spilled_files());
            let grouped = |g: &mut BucketGrouper| sorted.for_each_shared(|_, _, d| g.add(d));
            cluster_buckets(&inputs, grouped, &sets, matching, keep, limit / 2)?
        }
        _ => cluster_sets(&inputs, &sets, matching, keep)?,
    };
    drop(inputs);
    Ok(NearDuplicates {
        documents: held.into_iter().map(|h| h.document).collect(),
        memberships,
        skipped: corpus.skipped,
        order: corpus.order,
        spilled_runs,
    })
}

/// Cluster the documents of `inputs` (files, directories, `-` for standard input).
pub fn cluster_inputs(
    inputs: &[PathBuf],
    config: &ClusterConfig,
    observer: &mut dyn Observer,
) -> Result<Clustering> {
    let mut options = config.read.clone();
    options.keep_text = config.story.is_some();
    let mut outlets: HashSet<Arc<str>> = HashSet::new();
    // Story clustering reads texts twice more: they wait in a temporary file, read back one
    // at a time.
    let mut texts = config.story.map(|_| TextSpiller::new()).transpose()?;
    let mut titles: Vec<Option<String>> = Vec::new();
    let found = read_near_duplicates(
        inputs,
        &options,
        (&config.matching, config.keep, config.memory_limit),
        observer,
        |doc| {
            let outlet = doc.outlet.map(|o| match outlets.get(o.as_str()) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<str> = o.into();
                    outlets.insert(Arc::clone(&shared));
                    shared
                }
            });
            if let Some(texts) = texts.as_mut() {
                // Indexed like the records: one text per document.
                texts.push(doc.text.as_deref())?;
                titles.push(doc.title);
            }
            Ok(Record {
                meta: DocumentMeta {
                    id: doc.id,
                    outlet,
                    date: doc.date,
                },
                timestamp: doc.timestamp,
                bytes: doc.bytes,
            })
        },
        |r| (r.meta.id.as_str(), r.bytes, r.timestamp),
    )?;
    let records = found.documents;
    let unparsed_dates = records
        .iter()
        .filter(|r| r.meta.date.is_some() && r.timestamp.is_none())
        .count();
    let mut memberships = found.memberships;
    if let (Some(story), Some(texts)) = (config.story, texts) {
        let analysis = AnalysisConfig {
            story,
            passages: false,
            memory_limit: config.memory_limit,
            ..AnalysisConfig::default()
        };
        let texts = texts.finish()?;
        let inputs: Vec<ClusterInput> = records
            .iter()
            .map(|r| ClusterInput {
                id: &r.meta.id,
                keys: &[],
                bytes: r.bytes,
                timestamp: r.timestamp,
            })
            .collect();
        memberships = story_memberships(
            &inputs,
            &records,
            (&texts, &titles),
            &memberships,
            &analysis,
            config.keep,
        )?;
    }
    Ok(Clustering {
        documents: records.into_iter().map(|r| r.meta).collect(),
        memberships,
        skipped: found.skipped,
        order: found.order,
        unparsed_dates,
        spilled_runs: found.spilled_runs,
        tables: Vec::new(),
    })
}

/// Story clusters as memberships: the representative is the first member in `keep` order and
/// the similarity is the story-vector cosine to it.
fn story_memberships(
    items: &[ClusterInput<'_>],
    records: &[Record],
    (texts, titles): (&SpilledTexts, &[Option<String>]),
    near: &[Membership],
    config: &AnalysisConfig,
    keep: Keep,
) -> Result<Vec<Membership>> {
    let inputs: Vec<ArticleInput> = records
        .iter()
        .zip(near)
        .enumerate()
        .map(|(i, (r, m))| ArticleInput {
            // Read from `texts`.
            text: "",
            title: titles.get(i).and_then(Option::as_deref),
            outlet: r.meta.outlet.as_deref(),
            timestamp: r.timestamp,
            representative: m.representative,
        })
        .collect();
    let analysis = read_corpus_terms_from(&inputs, texts, config)?.analyze()?;
    let stories = analysis.stories();
    let count = stories.iter().map(|&s| s + 1).max().unwrap_or(0);
    let mut representative = vec![usize::MAX; count];
    for i in visit_order(items, keep) {
        let s = stories[i];
        if representative[s] == usize::MAX {
            representative[s] = i;
        }
    }
    let vector = |i: usize| analysis.story_vector(near[i].representative);
    Ok(stories
        .iter()
        .enumerate()
        .map(|(i, &story)| {
            let r = representative[story];
            let similarity = match (vector(i), vector(r)) {
                _ if i == r => 1.0,
                (Some(x), Some(y)) => x.cosine(y),
                _ => 0.0,
            };
            Membership {
                cluster: story,
                representative: r,
                similarity,
            }
        })
        .collect())
}

/// How to cluster the documents of a directory of signature tables.
#[derive(Debug, Clone)]
pub struct SignedClusterConfig {
    /// The signature parameters the tables must have been made with.
    pub params: SignatureParams,
    /// When two documents are near-duplicates (Jaccard only: no text is read again).
    pub matching: MatchConfig,
    /// Which document represents a cluster (not the longest: tables keep no lengths).
    pub keep: Keep,
    /// Sort band keys within about this many bytes (half of it: the other half is for the
    /// clustering that follows).
    pub memory_limit: Option<usize>,
}

/// A signature table row that is no document (skipped, or a repeated id).
const NO_DOCUMENT: u32 = u32::MAX;

/// Cluster the documents signed into `dir`'s tables, verified by the signatures' estimate of
/// Jaccard (no text is read again). Candidates come from the directory's bucket table while it
/// is current, else from the band keys, sorted within the memory limit or held in memory.
pub fn cluster_signed(
    dir: &Path,
    config: &SignedClusterConfig,
    observer: &mut dyn Observer,
) -> Result<Clustering> {
    let (params, matching, keep) = (&config.params, &config.matching, config.keep);
    if matches!(matching.measure, Measure::Containment) {
        return Err(Error::invalid(
            "measure",
            "clustering from signature tables verifies by Jaccard: containment needs the texts",
        ));
    }
    if keep == Keep::Longest {
        return Err(Error::invalid(
            "keep",
            "the longest text cannot be chosen from signature tables, which keep no lengths",
        ));
    }
    let expected = table_params(params, &matching.lsh);
    let budget = config.memory_limit.map_or(DEFAULT_SORT_BUDGET, |m| m / 2);
    // Continue from the bucket table while it is current: its stamp lists the stamps of the
    // signature tables it was grouped from (and their keys, checked once read).
    let bucket_table = dir.join(BUCKET_TABLE);
    let Grouped {
        tables: names,
        table_stamps,
        bucket_stamp: grouped_stamp,
        current: from_table,
    } = grouped(dir, &expected)?;
    if !from_table && !names.is_empty() && bucket_table.exists() {
        let why = if grouped_stamp.is_some() {
            "was grouped from other signature tables"
        } else {
            "is not a bucket table reprint can read"
        };
        observer.note(&format!(
            "{} {why}, not used (group the tables again)",
            bucket_table.display()
        ));
    }
    // Band keys: none kept when the bucket table has them, else sorted within the memory
    // limit, else in memory.
    let mut spill = (!from_table && config.memory_limit.is_some())
        .then(|| KeySorter::new(budget))
        .transpose()?;
    let mut digest = KeysDigest::default();
    let keep_keys = !from_table && spill.is_none();
    let (mut metas, mut timestamps, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    // Signatures wait in a temporary file, like shingle sets, not in memory.
    let mut store = ShingleStore::new()?;
    let mut stored: Vec<StoredSet> = Vec::new();
    let mut order = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    // Each table row's document (NO_DOCUMENT for a skipped row), for a bucket table's rows.
    let mut row_document: Vec<u32> = Vec::new();
    // Where each id was first seen, as (table, row): formatted only for a repeat.
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    let (mut row_no, mut this_table) = (0u64, 0usize);
    let tables = read_shards(dir, &expected, |table_no, table, row| {
        if this_table != table_no {
            (row_no, this_table) = (0, table_no);
        }
        row_no += 1;
        if has_keys(&row, matching.lsh.bands) {
            digest.add(row_document.len() as u64, &row.band_keys);
        }
        row_document.push(NO_DOCUMENT);
        // The row's place, formatted only for a row that is skipped.
        let here = || format!("{}:{row_no}", table.display());
        let problem = match (&row.reason, &row.id) {
            (Some(reason), _) => Some(Skipped::new(
                row.source.clone().unwrap_or_else(here),
                row.id.clone(),
                reason.clone(),
            )),
            (None, None) => Some(Skipped::new(here(), None, "row without an id")),
            (None, Some(id)) => match seen.get(id).map(|&(t, r)| (names[t].display(), r)) {
                Some(first) => Some(Skipped::new(
                    here(),
                    Some(id.clone()),
                    format!("duplicate id (first seen at {}:{})", first.0, first.1),
                )),
                None if row.band_keys.len() != matching.lsh.bands
                    || row.minhash.len() != params.num_perm =>
                {
                    Some(Skipped::new(
                        here(),
                        Some(id.clone()),
                        "row without a whole signature",
                    ))
                }
                None => None,
            },
        };
        if let Some(s) = problem {
            order.push(Entry::Skipped(skipped.len()));
            observer.skipped(&s)?;
            skipped.push(s);
            return Ok(());
        }
        let id = row.id.unwrap_or_default();
        seen.insert(id.clone(), (table_no, row_no));
        if let Some(last) = row_document.last_mut() {
            *last = u32::try_from(metas.len()).unwrap_or(NO_DOCUMENT);
        }
        order.push(Entry::Document(metas.len()));
        match spill.as_mut() {
            Some(sorter) => sorter.push(metas.len(), &short_keys(&row.band_keys))?,
            None if keep_keys => keys.extend(short_keys(&row.band_keys)),
            None => {}
        }
        stored.push(store.push_values(&row.minhash)?);
        timestamps.push(row.date.as_deref().and_then(parse_timestamp));
        metas.push(DocumentMeta {
            id,
            outlet: row.outlet.map(Arc::from),
            date: row.date,
        });
        observer.progress(order.len(), 0);
        Ok(())
    })?;
    drop(seen);
    let bands = matching.lsh.bands;
    let inputs: Vec<ClusterInput> = metas
        .iter()
        .enumerate()
        .map(|(i, m)| ClusterInput {
            id: &m.id,
            keys: keys.get(i * bands..(i + 1) * bands).unwrap_or_default(),
            bytes: 0,
            timestamp: timestamps[i],
        })
        .collect();
    let reader = store.finish()?;
    let signatures = Estimated(OnDisk {
        reader: &reader,
        sets: &stored,
    });
    let read_stamps: Vec<String> = tables.iter().map(|(_, s)| s.clone()).collect();
    let read_names: Vec<&PathBuf> = tables.iter().map(|(p, _)| p).collect();
    if read_names != names.iter().collect::<Vec<_>>()
        || (from_table && table_stamps.as_ref() != Some(&read_stamps))
    {
        return Err(Error::BadInput {
            origin: dir.display().to_string(),
            reason: "the signature tables changed while they were read".into(),
        });
    }
    let mut spilled_runs = None;
    let memberships = if from_table {
        let grouped_stamp = grouped_stamp.unwrap_or_default();
        if !bucket_keys_match(&grouped_stamp, &digest) {
            return Err(Error::BadInput {
                origin: bucket_table.display().to_string(),
                reason: "grouped from other band keys than the signature tables now hold; \
                         group them again, or remove it"
                    .into(),
            });
        }
        observer.note(&format!("candidates from {}", bucket_table.display()));
        let mut docs: Vec<u32> = Vec::new();
        let grouped = |g: &mut BucketGrouper| {
            read_bucket_table(
                &bucket_table,
                |_| Ok(()),
                |bucket| {
                    docs.clear();
                    for &row in &bucket.rows {
                        match usize::try_from(row).ok().and_then(|r| row_document.get(r)) {
                            Some(&NO_DOCUMENT) => {}
                            Some(&d) => docs.push(d),
                            None => {
                                return Err(Error::BadInput {
                                    origin: bucket_table.display().to_string(),
                                    reason: format!("row {row} is past the signature tables"),
                                })
                            }
                        }
                    }
                    g.add(&docs)
                },
            )
            .map_err(|e| match e {
                Error::BadInput { origin, reason } => Error::BadInput {
                    origin,
                    reason: format!("{reason}; remove it, or group the tables again"),
                },
                other => other,
            })
        };
        cluster_buckets(&inputs, grouped, &signatures, matching, keep, budget)?
    } else if let Some(sorter) = spill {
        let sorted = sorter.finish()?;
        spilled_runs = Some(sorted.spilled_files());
        let grouped = |g: &mut BucketGrouper| sorted.for_each_shared(|_, _, d| g.add(d));
        cluster_buckets(&inputs, grouped, &signatures, matching, keep, budget)?
    } else {
        cluster_sets(&inputs, &signatures, matching, keep)?
    };
    drop(reader);
    drop(inputs);
    let unparsed_dates = metas
        .iter()
        .zip(&timestamps)
        .filter(|(m, t)| m.date.is_some() && t.is_none())
        .count();
    Ok(Clustering {
        documents: metas,
        memberships,
        skipped,
        order,
        unparsed_dates,
        spilled_runs,
        tables: names,
    })
}
