//! reprint finds near-duplicate and syndicated news text.
//!
//! News outlets republish wire copy verbatim, trimmed, or rewritten, wrapped in their own
//! boilerplate. reprint fingerprints every article and finds which ones are near-duplicates of
//! which, fast enough for scraped feeds and archives of millions of documents; then which ones
//! rewrite the same story, and, passage by passage, what each article shares with which other,
//! what is its own, and what is site furniture.
//!
//! # Pipeline
//!
//! Each stage is a module, in data-flow order:
//!
//! | stage | module | main type |
//! |---|---|---|
//! | read documents (directories, JSONL, `.gz`, `.zst`, stdin) | [`read`], [`document`] | [`Document`], [`Skipped`] |
//! | normalize and tokenize (UAX #29 words, byte spans kept) | [`tokenize`] | [`tokenize::Token`] |
//! | shingle and hash (k-word shingles, seeded xxh3) | [`shingle`] | — |
//! | sign (MinHash by one-permutation hashing) | [`signature`] | [`Signature`] |
//! | tokenize → shingle → sign in one pass | [`fingerprint`] | [`Fingerprint`] |
//! | all of the above over inputs, in parallel | [`corpus`] | [`corpus::Outcome`] |
//! | choose LSH bands × rows from a threshold | [`lsh`] | [`LshParams`] |
//! | find candidates (LSH band index) | [`candidates`] | [`candidates::BandIndex`] |
//! | find candidates within a memory budget (external sort) | [`bucket`] | [`bucket::SharedBuckets`] |
//! | verify (exact Jaccard or containment) | [`verify`] | [`verify::ShingleSet`] |
//! | cluster (leader clustering, no chaining) | [`cluster`] | [`cluster::LeaderIndex`] |
//! | segment into blocks and sentences | [`segment`] | [`segment::Segmentation`] |
//! | judge boilerplate per block | [`boilerplate`] | [`boilerplate::BoilerplateReason`] |
//! | content terms: stems, names, figures with units | [`terms`] | [`terms::Term`] |
//! | story vectors, candidates, average-link clustering | [`story`] | [`story::StoryVector`] |
//! | align sentences within a story | [`align`] | [`align::SentenceMatch`] |
//! | label and merge passages, originality | [`passage`] | [`passage::PassageStatus`] |
//! | all of the story and passage stages in order | [`analysis`] | [`analysis::ArticleAnalysis`] |
//! | reports (cluster, story and passage) | [`report`] | [`report::PassageReport`] |
//! | compare two documents (shared word runs) | [`compare`] | [`compare::Comparison`] |
//! | persistent near-duplicate and story index (redb) | [`index`] | [`index::Verdict`] |
//!
//! [`synth`] generates syndicated corpora with known ground truth for tests and benchmarks.
//!
//! # Example
//!
//! ```
//! use reprint::{Fingerprinter, SignatureParams};
//!
//! let mut f = Fingerprinter::new(SignatureParams::default())?;
//! let wire = "Amazon is in talks to invest up to $50 billion in OpenAI, people familiar \
//!             with the matter said on Thursday, as the company cuts 16,000 jobs.";
//! let copy = "AMAZON is in talks to invest up to $50 billion in OpenAI, people familiar \
//!             with the matter said on Thursday, as the company cuts 16,000 jobs. Read more.";
//! let (a, b) = (f.fingerprint(wire).unwrap(), f.fingerprint(copy).unwrap());
//! assert!(a.shingles.jaccard(&b.shingles) > 0.8);
//! assert!(a.signature.jaccard(&b.signature)? > 0.6);
//! # Ok::<(), reprint::Error>(())
//! ```
//!
//! # Quirks
//!
//! - Similarity is over word shingles of normalized text: case, Unicode width, curly quotes and
//!   punctuation do not matter; word order does.
//! - A document with no words has no fingerprint: it is reported as skipped and matches nothing.
//! - LSH finds pairs by Jaccard. With [`verify::Measure::Containment`] (how much of a document
//!   its representative contains, one way) the bands are tuned for copies at least half as long
//!   as their original; a short excerpt of a much longer text may never become a candidate.
//! - Clustering never chains: every member is within the threshold of its representative.

pub mod align;
pub mod analysis;
pub mod boilerplate;
pub mod bucket;
pub mod candidates;
pub mod cluster;
pub mod columnar;
pub mod compare;
pub mod corpus;
pub mod document;
pub mod error;
pub mod fingerprint;
pub mod html;
pub mod index;
pub mod lsh;
pub mod passage;
pub mod read;
pub mod report;
pub mod segment;
pub mod shingle;
pub mod shingle_store;
pub mod signature;
pub mod story;
pub mod synth;
pub mod terms;
pub mod tokenize;
pub mod verify;
pub mod warc;

pub use document::{Document, Skipped};
pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, Fingerprinter};
pub use lsh::LshParams;
pub use signature::{Signature, SignatureParams};
