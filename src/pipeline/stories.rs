//! Stories and passages of a corpus read from inputs: read, cluster near-duplicates (the first
//! copy represents), then the story and passage stages over the representatives.
//!
//! Main choice: the corpus is held in memory, compactly: texts until the stages that read them
//! are done (longer only for a report that quotes them), every content sentence's terms packed
//! per document until the alignment, and each document's passages labelled only when it is
//! read. The work is linear in the corpus; memory grows with it too, by about 28 KB an article
//! on news-length text with dense sentence reuse, and is not yet bounded.

use crate::error::Result;
use crate::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig, Membership};
use crate::pipeline::analysis::{read_corpus_terms, AnalysisConfig, ArticleInput, CorpusAnalysis};
use crate::pipeline::ingest::{read_corpus, Entry, FingerprintedDocument, StreamOptions};
use crate::pipeline::Observer;
use crate::read::document::Skipped;
use std::path::PathBuf;

/// Whether [`analyze_inputs`] keeps the texts for its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    /// Keep every text in [`Analyzed::documents`]: for a report that quotes them.
    Keep,
    /// Let them go once the stages that read them are done: for a report that gives byte
    /// spans (JSON, rows, tables). The texts are then no longer in memory while partners are
    /// aligned and listed.
    Drop,
}

/// What the story and passage stages found in a corpus.
#[derive(Debug)]
pub struct Analyzed {
    /// Every document, in input order, with its text unless [`Texts::Drop`] was asked for.
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
/// with `config`; `texts` says whether the caller needs the texts afterwards.
pub fn analyze_inputs(
    inputs: &[PathBuf],
    read: &StreamOptions,
    matching: &MatchConfig,
    (config, texts): (&AnalysisConfig, Texts),
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
    let terms = {
        let text_of: Vec<&str> = documents
            .iter()
            .map(|d| d.text.as_deref().unwrap_or(""))
            .collect();
        let articles = ArticleInput::of_documents(&documents, &memberships, &text_of);
        read_corpus_terms(&articles, config)?
    };
    if texts == Texts::Drop {
        for d in &mut documents {
            d.text = None;
        }
    }
    let analysis = terms.analyze()?;
    Ok(Analyzed {
        documents,
        memberships,
        analysis,
        skipped: corpus.skipped,
        order: corpus.order,
    })
}
