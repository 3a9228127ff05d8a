//! From inputs to fingerprinted documents: the read → parse → fingerprint stage, in parallel.
//!
//! Three stages overlap: a reader thread walks the inputs and sends raw records through a bounded
//! channel (so memory stays bounded); a fingerprinting thread takes whatever has arrived, up to a
//! batch, and parses and fingerprints the batch on rayon's pool with one [`Fingerprinter`] per
//! worker; the caller's thread takes finished batches in input order, checks ids for repeats,
//! and hands each outcome to its sink (clustering, writing) while the next batch is hashed. Taking "whatever has arrived" keeps a slow stream (a pipe that
//! trickles) flowing document by document, while a fast file fills whole batches.
//! Text is dropped as soon as a document is fingerprinted unless the caller asks to keep it.

use crate::error::Result;
use crate::near_dup::cluster::ClusterItem;
use crate::pipeline::Observer;
use crate::read::document::{Document, MissingField, Origin, Skipped};
pub use crate::read::notes::{ReadNotes, StandIn, UnreadableDates};
use crate::read::{check_named_inputs, FieldNames, IdRegistry, InputReader, RawRecord};
use crate::sketch::fingerprint::{Fingerprint, Fingerprinter};
use crate::sketch::signature::SignatureParams;
use crate::story::article_terms::story_terms;
use crate::story::cluster::TermCounts;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Condvar, Mutex};

/// Most records fingerprinted in one parallel batch.
const BATCH_RECORDS: usize = 2048;
/// Most payload bytes in one batch.
const BATCH_BYTES: usize = 16 << 20;
/// Records the reader thread may run ahead.
const CHANNEL_RECORDS: usize = 4096;
/// Payload bytes the reader thread may run ahead (a larger single record still goes through):
/// four records of the largest size read by default.
const IN_FLIGHT_BYTES: usize = 4 * crate::read::DEFAULT_MAX_RECORD_BYTES;

/// Bounds the bytes read but not yet processed, so that a directory of huge files cannot fill
/// memory through a queue that counts records.
#[derive(Default)]
struct ByteBudget {
    state: Mutex<BudgetState>,
    changed: Condvar,
}

#[derive(Default)]
struct BudgetState {
    in_flight: usize,
    closed: bool,
}

impl ByteBudget {
    /// Wait until `bytes` more may be in flight; `false` once the consumer has gone.
    fn acquire(&self, bytes: usize) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while !state.closed && state.in_flight > 0 && state.in_flight + bytes > IN_FLIGHT_BYTES {
            state = match self.changed.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        state.in_flight += bytes;
        !state.closed
    }

    fn release(&self, bytes: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.in_flight = state.in_flight.saturating_sub(bytes);
        }
        self.changed.notify_all();
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
        }
        self.changed.notify_all();
    }
}

/// Closes the budget when the consumer leaves, however it leaves, so the reader never waits on
/// a consumer that is gone.
struct CloseOnDrop(Arc<ByteBudget>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A document after fingerprinting, without its text (unless asked for).
#[derive(Debug, Clone)]
pub struct FingerprintedDocument {
    /// The document's id.
    pub id: String,
    /// Its outlet, when known.
    pub outlet: Option<String>,
    /// Its date as given.
    pub date: Option<String>,
    /// Its headline, when the input gives one apart from the text.
    pub title: Option<String>,
    /// Its date as seconds since the epoch, when it parses.
    pub timestamp: Option<i64>,
    /// Length of its text in bytes.
    pub bytes: usize,
    /// Where it came from.
    pub origin: Origin,
    /// Its text, when [`StreamOptions::keep_text`] is set and it has no raw line.
    pub text: Option<String>,
    /// Its original JSONL line, when [`StreamOptions::keep_raw`] is set.
    pub raw: Option<String>,
    /// The fingerprint.
    pub fingerprint: Fingerprint,
    /// Its content terms for story matching, when [`StreamOptions::story_terms`] is set.
    pub story_terms: Option<TermCounts>,
    /// Fields read under a common name (see [`Document::stand_ins`]).
    pub stand_ins: Vec<(&'static str, &'static str)>,
}

/// What happened to one input record.
#[derive(Debug)]
pub enum Outcome {
    /// A usable document.
    Document(Box<FingerprintedDocument>),
    /// A record that was set aside, with the reason.
    Skipped(Skipped),
}

/// Options of [`fingerprint_inputs`].
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Field names for JSONL.
    pub fields: FieldNames,
    /// Signature parameters.
    pub params: SignatureParams,
    /// Keep each JSONL document's original line.
    pub keep_raw: bool,
    /// Keep the text of each document that has no raw line kept (a whole-file document), so
    /// that it can be written out again; a JSONL document is written from its raw line.
    pub keep_text: bool,
    /// Also count each document's content terms (see [`crate::story::article_terms::story_terms`]), in
    /// parallel with fingerprinting.
    pub story_terms: bool,
    /// Largest record read (see [`InputReader::with_max_record_bytes`]).
    pub max_record_bytes: usize,
}

impl FingerprintedDocument {
    /// The document as clustering sees it.
    pub fn cluster_item(&self) -> ClusterItem<'_> {
        ClusterItem {
            id: &self.id,
            fingerprint: &self.fingerprint,
            bytes: self.bytes,
            timestamp: self.timestamp,
        }
    }
}

impl Default for StreamOptions {
    /// The default fields and signature parameters, nothing extra kept, the default record
    /// limit.
    fn default() -> Self {
        StreamOptions {
            fields: FieldNames::default(),
            params: SignatureParams::default(),
            keep_raw: false,
            keep_text: false,
            story_terms: false,
            max_record_bytes: crate::read::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Records of one file with no document among them are held back at most this many: when
/// they all lack the id or text field, the input names its fields otherwise, and the run
/// stops with one message instead of a skip per record.
const FIELD_CHECK_RECORDS: usize = 100;

/// The records of the file being read, held back while none of them is a document (see
/// [`FIELD_CHECK_RECORDS`]).
#[derive(Default)]
struct FieldCheck {
    file: Option<String>,
    documents: usize,
    held: Vec<Outcome>,
    first_missing: Option<Box<MissingField>>,
}

impl FieldCheck {
    /// Take `outcome`; push onto `out` what may go on to the sink now, in order.
    fn take(&mut self, outcome: Outcome, out: &mut Vec<Outcome>) -> Result<()> {
        let file = match &outcome {
            Outcome::Document(doc) => Some(&*doc.origin.file),
            Outcome::Skipped(s) => s.missing_field.as_ref().map(|m| m.file.as_str()),
        };
        if let Some(file) = file.filter(|f| self.file.as_deref() != Some(*f)) {
            self.end_of_file(out)?;
            self.file = Some(file.to_string());
        }
        match outcome {
            Outcome::Document(doc) => {
                self.documents += 1;
                out.append(&mut self.held);
                out.push(Outcome::Document(doc));
            }
            Outcome::Skipped(skipped) if self.documents == 0 => {
                if self.first_missing.is_none() {
                    self.first_missing = skipped.missing_field.clone();
                }
                self.held.push(Outcome::Skipped(skipped));
                if self.held.len() >= FIELD_CHECK_RECORDS {
                    self.verdict()?;
                    out.append(&mut self.held);
                }
            }
            skipped => out.push(skipped),
        }
        Ok(())
    }

    /// The file is done: an error if it held only records without the fields, else what it
    /// held goes onto `out`.
    fn end_of_file(&mut self, out: &mut Vec<Outcome>) -> Result<()> {
        self.verdict()?;
        self.documents = 0;
        self.first_missing = None;
        out.append(&mut self.held);
        Ok(())
    }

    /// Stop when every record held lacks the id or text field.
    fn verdict(&self) -> Result<()> {
        let all_missing = !self.held.is_empty()
            && self
                .held
                .iter()
                .all(|o| matches!(o, Outcome::Skipped(s) if s.missing_field.is_some()));
        match (&self.first_missing, all_missing) {
            (Some(missing), true) => Err(crate::Error::FieldNotFound {
                file: missing.file.clone(),
                field: missing.field.clone(),
                seen: missing.present.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// Read `inputs` in order, fingerprint every document in parallel, and hand each outcome to
/// `sink` in input order, with `true` for the last outcome of a batch (a good moment to flush
/// output). `sink` may stop the run by returning an error. Returns what reading noticed
/// beyond skips.
pub fn fingerprint_inputs(
    inputs: &[PathBuf],
    options: &StreamOptions,
    mut sink: impl FnMut(Outcome, bool) -> Result<()>,
) -> Result<ReadNotes> {
    // Fail on bad parameters, and on inputs named that are not there, before starting any
    // thread.
    Fingerprinter::new(options.params)?;
    check_named_inputs(inputs)?;
    let (sender, receiver) = mpsc::sync_channel::<RawRecord>(CHANNEL_RECORDS);
    let reader =
        InputReader::new(inputs, &options.fields).with_max_record_bytes(options.max_record_bytes);
    let budget = Arc::new(ByteBudget::default());
    let _close = CloseOnDrop(Arc::clone(&budget));
    let reader_budget = Arc::clone(&budget);
    // The reader thread ends when the inputs do or when the consumer is gone.
    let reading = std::thread::Builder::new()
        .name("reprint-reader".into())
        .spawn(move || {
            for record in reader {
                if !reader_budget.acquire(record.len()) || sender.send(record).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| crate::error::Error::io("reader thread", e))?;

    // Fingerprinting runs on its own thread (feeding rayon's pool) one batch ahead of the sink,
    // so that clustering or writing one batch overlaps with hashing the next.
    let (done_sender, done) = mpsc::sync_channel::<Vec<Outcome>>(1);
    let batch_options = options.clone();
    let batch_budget = Arc::clone(&budget);
    let fingerprinting = std::thread::Builder::new()
        .name("reprint-fingerprint".into())
        .spawn(move || {
            let mut batch: Vec<RawRecord> = Vec::with_capacity(BATCH_RECORDS);
            while let Ok(first) = receiver.recv() {
                let mut bytes = first.len();
                batch.push(first);
                while batch.len() < BATCH_RECORDS && bytes < BATCH_BYTES {
                    match receiver.try_recv() {
                        Ok(record) => {
                            bytes += record.len();
                            batch.push(record);
                        }
                        Err(_) => break,
                    }
                }
                let outcomes = process_batch(std::mem::take(&mut batch), &batch_options);
                batch_budget.release(bytes);
                if done_sender.send(outcomes).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| crate::error::Error::io("fingerprinting thread", e))?;

    let mut ids = IdRegistry::default();
    let mut notes = ReadNotes::default();
    let mut check = FieldCheck::default();
    while let Ok(outcomes) = done.recv() {
        let mut ready = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let outcome = match outcome {
                Outcome::Document(doc) => match ids.register(&doc.id, &doc.origin) {
                    Ok(()) => {
                        if let (Some(date), None) = (doc.date.as_deref(), doc.timestamp) {
                            if !date.trim().is_empty() {
                                notes.date_unreadable(&doc.origin, date);
                            }
                        }
                        for &(field, name) in &doc.stand_ins {
                            notes.stand_in(&doc.origin, field, name);
                        }
                        Outcome::Document(doc)
                    }
                    Err(skipped) => Outcome::Skipped(skipped),
                },
                skipped => skipped,
            };
            check.take(outcome, &mut ready)?;
        }
        let last = ready.len().saturating_sub(1);
        for (i, outcome) in ready.into_iter().enumerate() {
            sink(outcome, i == last)?;
        }
    }
    let mut held = Vec::new();
    check.end_of_file(&mut held)?;
    let last = held.len().saturating_sub(1);
    for (i, outcome) in held.into_iter().enumerate() {
        sink(outcome, i == last)?;
    }
    // The channels also close if a thread failed; never mistake that for the end of input.
    let stopped = |what: &str| {
        crate::error::Error::io(
            format!("{what} thread"),
            std::io::Error::other(format!(
                "{what} stopped unexpectedly; the output is incomplete"
            )),
        )
    };
    fingerprinting
        .join()
        .map_err(|_| stopped("fingerprinting"))?;
    reading.join().map_err(|_| stopped("reading"))?;
    Ok(notes)
}

/// An input record's place among a run's outcomes, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The n-th document read.
    Document(usize),
    /// The n-th skipped record.
    Skipped(usize),
}

/// A corpus as read: what the caller kept of each document, the records skipped, and the
/// order of both in the input.
#[derive(Debug, Clone)]
pub struct Corpus<T> {
    /// What was kept of each document, in input order.
    pub documents: Vec<T>,
    /// Every record skipped, in input order.
    pub skipped: Vec<Skipped>,
    /// Documents and skipped records interleaved as they were read.
    pub order: Vec<Entry>,
}

/// Read and fingerprint every input (see [`fingerprint_inputs`]), telling `observer` of every
/// skip, of progress and of what reading noticed; `keep` turns each document into what the
/// caller holds on to (the whole document, or less).
pub fn read_corpus<T>(
    inputs: &[PathBuf],
    options: &StreamOptions,
    observer: &mut dyn Observer,
    mut keep: impl FnMut(FingerprintedDocument) -> Result<T>,
) -> Result<Corpus<T>> {
    let mut corpus = Corpus {
        documents: Vec::new(),
        skipped: Vec::new(),
        order: Vec::new(),
    };
    let mut bytes = 0;
    let notes = fingerprint_inputs(inputs, options, |outcome, _| {
        match outcome {
            Outcome::Document(doc) => {
                bytes += doc.bytes;
                corpus.order.push(Entry::Document(corpus.documents.len()));
                corpus.documents.push(keep(*doc)?);
            }
            Outcome::Skipped(skipped) => {
                corpus.order.push(Entry::Skipped(corpus.skipped.len()));
                observer.skipped(&skipped)?;
                corpus.skipped.push(skipped);
            }
        }
        observer.progress(corpus.order.len(), bytes);
        Ok(())
    })?;
    observer.read_notes(&notes);
    Ok(corpus)
}

fn process_batch(batch: Vec<RawRecord>, options: &StreamOptions) -> Vec<Outcome> {
    batch
        .into_par_iter()
        .map_init(
            || Fingerprinter::new(options.params),
            |fingerprinter, record| {
                let doc = match record.into_document(&options.fields, options.keep_raw) {
                    Ok(doc) => doc,
                    Err(skipped) => return Outcome::Skipped(skipped),
                };
                // Parameters were validated before the batch started.
                let Ok(fingerprinter) = fingerprinter.as_mut() else {
                    return Outcome::Skipped(Skipped::new(
                        &doc.origin,
                        Some(doc.id),
                        "invalid signature parameters",
                    ));
                };
                let terms = options
                    .story_terms
                    .then(|| story_terms(&doc.text, doc.title.as_deref()));
                let mut outcome = fingerprint_document(fingerprinter, doc, options.keep_text);
                if let Outcome::Document(d) = &mut outcome {
                    d.story_terms = terms;
                }
                outcome
            },
        )
        .collect()
}

/// Fingerprint one document; a document without words is skipped.
pub fn fingerprint_document(
    fingerprinter: &mut Fingerprinter,
    doc: Document,
    keep_text: bool,
) -> Outcome {
    match fingerprinter.fingerprint(&doc.text) {
        None => Outcome::Skipped(Skipped::new(
            &doc.origin,
            Some(doc.id),
            if doc.text.trim().is_empty() {
                "empty document"
            } else {
                "document has no words"
            },
        )),
        Some(fingerprint) => Outcome::Document(Box::new(FingerprintedDocument {
            timestamp: doc.date.as_deref().and_then(parse_timestamp),
            bytes: doc.text.len(),
            text: (keep_text && doc.raw.is_none()).then_some(doc.text),
            id: doc.id,
            outlet: doc.outlet,
            date: doc.date,
            title: doc.title,
            origin: doc.origin,
            raw: doc.raw,
            fingerprint,
            story_terms: None,
            stand_ins: doc.stand_ins,
        })),
    }
}

/// Seconds since the epoch of an ISO 8601 date or date-time (`2026-01-29`,
/// `2026-01-29T10:00:00Z`, `2026-01-29T10:00:00+02:00`, `2026-01-29 10:00:00`); local times
/// without an offset are taken as UTC. `None` if it does not parse.
pub fn parse_timestamp(date: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let date = date.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(date) {
        return Some(t.timestamp());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(date, format) {
            return Some(t.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_date_forms() {
        let day = parse_timestamp("2026-01-29").unwrap();
        assert_eq!(parse_timestamp("2026-01-29T00:00:00Z"), Some(day));
        assert_eq!(parse_timestamp("2026-01-29T02:00:00+02:00"), Some(day));
        assert_eq!(parse_timestamp("2026-01-29 00:00:00"), Some(day));
        assert_eq!(parse_timestamp("2026-01-29T01:00"), Some(day + 3600));
        assert_eq!(parse_timestamp("last Tuesday"), None);
    }
}
