//! Stories and passages of a corpus read from inputs: read, cluster near-duplicates (the first
//! copy represents), then the story and passage stages over the representatives.
//!
//! Main choice: the corpus is held in memory, compactly, except its texts: once near-duplicates
//! are found they go to a temporary file and are read back one at a time by the stages that
//! read them (a report that quotes them keeps them in memory instead). Every content
//! sentence's terms stay packed per document until the alignment, and each document's
//! passages are labelled only when it is read. The work is linear in the corpus; memory grows
//! with it too, by about 21 KB an article at the peak on news-length text with dense sentence
//! reuse, and is not yet bounded by a limit.

use crate::error::Result;
use crate::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig, Membership};
use crate::pipeline::analysis::{
    read_corpus_terms, read_corpus_terms_from, AnalysisConfig, ArticleInput, CorpusAnalysis,
};
use crate::pipeline::ingest::{read_corpus, Entry, FingerprintedDocument, StreamOptions};
use crate::pipeline::texts::SpilledTexts;
use crate::pipeline::Observer;
use crate::read::document::Skipped;
use std::path::PathBuf;

/// Whether [`analyze_inputs`] keeps the texts for its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    /// Keep every text in [`Analyzed::documents`]: for a report that quotes them.
    Keep,
    /// Let them go once near-duplicates are found: for a report that gives byte spans (JSON,
    /// rows, tables). The stages that read texts read them back, one at a time, from a
    /// temporary file, so no text is in memory while stories are found, partners aligned and
    /// passages listed.
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
    let terms = match texts {
        Texts::Keep => {
            let text_of: Vec<&str> = documents
                .iter()
                .map(|d| d.text.as_deref().unwrap_or(""))
                .collect();
            let articles = ArticleInput::of_documents(&documents, &memberships, &text_of);
            read_corpus_terms(&articles, config)?
        }
        Texts::Drop => {
            // The texts go to a temporary file, read back one at a time by the stages that
            // read them: the story stage's memory then holds no text.
            let spilled = SpilledTexts::new(documents.iter().map(|d| d.text.as_deref()))?;
            for d in &mut documents {
                d.text = None;
            }
            let none = vec![""; documents.len()];
            let articles = ArticleInput::of_documents(&documents, &memberships, &none);
            read_corpus_terms_from(&articles, &spilled, config)?
        }
    };
    let analysis = terms.analyze()?;
    Ok(Analyzed {
        documents,
        memberships,
        analysis,
        skipped: corpus.skipped,
        order: corpus.order,
    })
}
