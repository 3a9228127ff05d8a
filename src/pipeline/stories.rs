//! Stories and passages of a corpus read from inputs: read, cluster near-duplicates (the first
//! copy represents), then the story and passage stages over the representatives.
//!
//! Main choice: everything is held in memory (texts and every sentence's terms included), which
//! is what the passage stage needs today: the work is linear in the corpus, but memory is not
//! yet bounded (about 30 KB an article on news-length text with dense sentence reuse).

use crate::error::Result;
use crate::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig, Membership};
use crate::pipeline::analysis::{analyze_corpus, AnalysisConfig, ArticleInput, CorpusAnalysis};
use crate::pipeline::ingest::{read_corpus, Entry, FingerprintedDocument, StreamOptions};
use crate::pipeline::Observer;
use crate::read::document::Skipped;
use std::path::PathBuf;

/// What the story and passage stages found in a corpus.
#[derive(Debug)]
pub struct Analyzed {
    /// Every document, in input order, with its text.
    pub documents: Vec<FingerprintedDocument>,
    /// Each document's near-duplicate cluster.
    pub memberships: Vec<Membership>,
    /// Each document's story, and its passages when it is read.
    pub analysis: CorpusAnalysis,
    /// Every record skipped, in input order.
    pub skipped: Vec<Skipped>,
    /// Documents and skipped records interleaved as they were read.
    pub order: Vec<Entry>,
}

/// Read `inputs`, cluster near-duplicates by `matching`, and run the story and passage stages
/// with `config`.
pub fn analyze_inputs(
    inputs: &[PathBuf],
    read: &StreamOptions,
    matching: &MatchConfig,
    config: &AnalysisConfig,
    observer: &mut dyn Observer,
) -> Result<Analyzed> {
    config.story.validate()?;
    let mut options = read.clone();
    options.keep_text = true;
    let corpus = read_corpus(inputs, &options, observer, Ok)?;
    let mut documents = corpus.documents;
    let items: Vec<ClusterItem> = documents
        .iter()
        .map(FingerprintedDocument::cluster_item)
        .collect();
    let memberships = cluster(&items, matching, Keep::First)?;
    drop(items);
    // Near-duplicates are found: what remains needs the texts, not the fingerprints.
    for d in &mut documents {
        d.fingerprint.release();
    }
    let texts: Vec<&str> = documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect();
    let articles = ArticleInput::of_documents(&documents, &memberships, &texts);
    let analysis = analyze_corpus(&articles, config)?;
    drop(articles);
    drop(texts);
    Ok(Analyzed {
        documents,
        memberships,
        analysis,
        skipped: corpus.skipped,
        order: corpus.order,
    })
}
