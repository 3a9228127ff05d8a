//! Adding documents read from inputs to a persistent index, or querying it with them.
//!
//! Main choice: documents are fingerprinted in parallel and handled in input order, one batch
//! at a time; each batch of an add is one transaction, committed before its outcomes are
//! handed on, so every outcome a caller sees describes a committed state.

use crate::error::{Error, Result};
use crate::index::{Index, IndexInput, IndexParams, IndexReader, Verdict};
use crate::pipeline::ingest::{fingerprint_inputs, FingerprintedDocument, Outcome, StreamOptions};
use crate::pipeline::Observer;
use crate::read::document::Skipped;
use crate::story::cluster::TermCounts;
use std::path::{Path, PathBuf};

/// An index opened to add to (one writer at a time), or only to query (beside any writer).
pub enum IndexHandle {
    /// Read-write: verdicts are committed.
    Writer(Box<Index>),
    /// Read-only: what adding would say, nothing written.
    Reader(Box<IndexReader>),
}

impl IndexHandle {
    /// The index at `dir`, opened for adding (`write`) or for queries.
    pub fn open(dir: &Path, write: bool) -> Result<Self> {
        Ok(if write {
            IndexHandle::Writer(Box::new(Index::open(dir)?))
        } else {
            IndexHandle::Reader(Box::new(IndexReader::open(dir)?))
        })
    }

    /// The parameters fixed when the index was created.
    pub fn params(&self) -> IndexParams {
        match self {
            IndexHandle::Writer(w) => w.params(),
            IndexHandle::Reader(r) => r.params(),
        }
    }

    /// The index's file.
    pub fn path(&self) -> &Path {
        match self {
            IndexHandle::Writer(w) => w.path(),
            IndexHandle::Reader(r) => r.path(),
        }
    }

    /// Add (or query) one batch, in order.
    fn decide(&mut self, inputs: &[IndexInput<'_>]) -> Result<Vec<Verdict>> {
        match self {
            IndexHandle::Writer(w) => w.add(inputs),
            IndexHandle::Reader(r) => r.query(inputs),
        }
    }
}

/// What became of one input record.
#[derive(Debug)]
pub enum Indexed<'a> {
    /// A document and the index's verdict on it.
    Verdict {
        /// The document's id.
        id: &'a str,
        /// What the index says of it.
        verdict: Verdict,
    },
    /// A record that is no document.
    Skipped(&'a Skipped),
}

/// Input records of one batch, in order.
enum Pending {
    Document(Box<FingerprintedDocument>),
    Skipped(Skipped),
}

/// Read `inputs` and add every document to the index (or query it), in input order; `each`
/// gets every record's outcome in order, with `true` after the last of a batch (a good moment
/// to flush output). The index's own signature parameters and story setting are used; `read`
/// gives the field names and the record limit.
pub fn index_inputs(
    handle: &mut IndexHandle,
    inputs: &[PathBuf],
    read: &StreamOptions,
    observer: &mut dyn Observer,
    mut each: impl FnMut(Indexed<'_>, bool) -> Result<()>,
) -> Result<()> {
    let params = handle.params();
    let options = StreamOptions {
        params: params.signature(),
        story_terms: params.stories,
        ..read.clone()
    };
    let no_terms = TermCounts::default();
    let mut pending: Vec<Pending> = Vec::new();
    let (mut seen, mut bytes) = (0usize, 0usize);
    let notes = fingerprint_inputs(inputs, &options, |outcome, end_of_batch| {
        match outcome {
            Outcome::Document(doc) => {
                bytes += doc.bytes;
                pending.push(Pending::Document(doc));
            }
            Outcome::Skipped(s) => {
                observer.skipped(&s)?;
                pending.push(Pending::Skipped(s));
            }
        }
        seen += 1;
        observer.progress(seen, bytes);
        if !end_of_batch {
            return Ok(());
        }
        let batch = std::mem::take(&mut pending);
        let documents: Vec<IndexInput> = batch
            .iter()
            .filter_map(|p| match p {
                Pending::Document(d) => Some(IndexInput {
                    id: &d.id,
                    outlet: d.outlet.as_deref(),
                    date: d.date.as_deref(),
                    fingerprint: &d.fingerprint,
                    timestamp: d.timestamp,
                    terms: d.story_terms.as_ref().unwrap_or(&no_terms),
                }),
                Pending::Skipped(_) => None,
            })
            .collect();
        let mut verdicts = handle.decide(&documents)?.into_iter();
        let last = batch.len().saturating_sub(1);
        for (i, p) in batch.iter().enumerate() {
            let outcome = match p {
                Pending::Skipped(s) => Indexed::Skipped(s),
                Pending::Document(d) => {
                    // One verdict per document, in order, by construction of `decide`.
                    let verdict = verdicts.next().ok_or_else(|| Error::Index {
                        path: handle.path().to_path_buf(),
                        message: format!("the index gave no verdict for `{}`", d.id),
                    })?;
                    Indexed::Verdict { id: &d.id, verdict }
                }
            };
            each(outcome, i == last)?;
        }
        Ok(())
    })?;
    observer.read_notes(&notes);
    Ok(())
}
