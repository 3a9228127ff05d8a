//! Stories and passages of a corpus read from inputs: read, cluster near-duplicates (the first
//! copy represents), then the story and passage stages over the representatives.
//!
//! Main choice: the corpus is held in memory, compactly, except what is read back one document
//! at a time: shingle sets go to a temporary file as documents are read (as in
//! [`crate::cluster_inputs`]), and so do texts, unless the report quotes them; within a memory
//! limit ([`AnalysisConfig::memory_limit`]) term counts, sentence terms and sentence keys do
//! too. Each document's passages are labelled only when it is read. The work is linear in the
//! corpus; what stays in memory grows with it by a few kilobytes an article (segments, story
//! vectors, partner lists), within a limit or not.

use crate::error::Result;
use crate::near_dup::cluster::{Keep, MatchConfig, Membership};
use crate::pipeline::analysis::{
    read_corpus_terms, read_corpus_terms_from, AnalysisConfig, ArticleInput, CorpusAnalysis,
};
use crate::pipeline::cluster::read_near_duplicates;
use crate::pipeline::ingest::{Entry, FingerprintedDocument, StreamOptions};
use crate::pipeline::texts::TextSpiller;
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
    /// Each document's story, and its passages when it is read (no story vectors: they have
    /// made the stories).
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
    // Texts a caller does not keep go to a temporary file as they are read; the stages that
    // read them read them back one at a time, so no text is in memory after reading.
    let mut spiller = match texts {
        Texts::Keep => None,
        Texts::Drop => Some(TextSpiller::new()?),
    };
    let found = read_near_duplicates(
        inputs,
        &options,
        (matching, Keep::First, config.memory_limit),
        observer,
        |mut doc| {
            if let Some(spiller) = spiller.as_mut() {
                spiller.push(doc.text.as_deref())?;
                doc.text = None;
            }
            // Near-duplicates are found from the band keys and the stored shingle sets: what
            // remains needs the texts, not the fingerprints.
            doc.fingerprint.release();
            Ok(doc)
        },
        |d| (d.id.as_str(), d.bytes, d.timestamp),
    )?;
    let (documents, memberships) = (found.documents, found.memberships);
    let terms = match spiller {
        None => {
            let text_of: Vec<&str> = documents
                .iter()
                .map(|d| d.text.as_deref().unwrap_or(""))
                .collect();
            let articles = ArticleInput::of_documents(&documents, &memberships, &text_of);
            read_corpus_terms(&articles, config)?
        }
        Some(spiller) => {
            let spilled = spiller.finish()?;
            let none = vec![""; documents.len()];
            let articles = ArticleInput::of_documents(&documents, &memberships, &none);
            read_corpus_terms_from(&articles, &spilled, config)?
        }
    };
    // A report reads stories and passages, not the vectors that made the stories.
    let analysis = terms.without_story_vectors().analyze()?;
    Ok(Analyzed {
        documents,
        memberships,
        analysis,
        skipped: found.skipped,
        order: found.order,
    })
}
