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
//! Each stage is a folder, in data-flow order; a stage uses only the stages above it in this
//! table (and [`error`], [`spill`] for what goes to temporary files, and the private `prefetch`,
//! which reads a partner's data into cache before a merge waits on it):
//!
//! | stage | folder | what it answers | main types |
//! |---|---|---|---|
//! | read | [`read`] | where do documents come from? (directories, JSONL, HTML pages, WARC, Parquet, stdin) | [`Document`], [`Skipped`], [`read::InputReader`] |
//! | sketch | [`sketch`] | what is a text made of? (UAX #29 words, shingles, MinHash, shingle sets) | [`Fingerprinter`], [`Signature`] |
//! | candidates | [`candidates`] | which pairs are worth comparing? (LSH bands, in memory or by external sort) | [`LshParams`], [`candidates::band_index::BandIndex`] |
//! | near-duplicates | [`near_dup`] | which documents are copies of which? (exact verification, leader clustering) | [`near_dup::cluster::MatchConfig`], [`near_dup::cluster::Membership`] |
//! | stories and passages | [`story`] | which articles tell one story, and what does each share? | [`story::cluster::StoryConfig`], [`story::passage::Passage`] |
//! | tables | [`tables`] | what does a long job keep for its next step? (signature and bucket tables) | [`tables::SignatureRow`], [`tables::BucketRow`] |
//! | index | [`index`] | what has been seen before? (a persistent near-duplicate and story index) | [`index::Index`], [`index::Verdict`] |
//! | pipelines | [`pipeline`] | how do the stages run over a whole corpus? | [`cluster_inputs`], [`Deduplicator`], [`pipeline::stories::analyze_inputs`], [`pipeline::sign::sign_inputs`] |
//! | report | [`report`] | what is written out? (cluster and story reports: text, JSON, HTML, Parquet) | [`report::PassageReport`] |
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
//! Clustering a corpus within a memory budget, as `reprint cluster --memory-limit 2G` does:
//!
//! ```
//! use reprint::{cluster_inputs, ClusterConfig, Keep, MatchConfig, Measure, StreamOptions};
//! use reprint::pipeline::Unobserved;
//!
//! let read = StreamOptions::default();
//! let matching = MatchConfig::new(0.8, Measure::Jaccard, read.params.num_perm, 0.05, 0.95)?;
//! let config = ClusterConfig {
//!     read,
//!     matching,
//!     keep: Keep::First,
//!     story: None,
//!     memory_limit: Some(2 << 30),
//! };
//! let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/seeds");
//! let clustering = cluster_inputs(&[seeds], &config, &mut Unobserved)?;
//! assert_eq!(clustering.documents.len(), 5);
//! assert_eq!(clustering.cluster_sizes(), vec![1; 5], "five rewrites, no copies");
//! # Ok::<(), reprint::Error>(())
//! ```
//!
//! # Quirks
//!
//! - Similarity is over word shingles of normalized text: case, Unicode width, curly quotes and
//!   punctuation do not matter; word order does.
//! - A document with no words has no fingerprint: it is reported as skipped and matches nothing.
//! - LSH finds pairs by Jaccard. With [`near_dup::verify::Measure::Containment`] (how much of a document
//!   its representative contains, one way) the bands are tuned for copies at least half as long
//!   as their original; a short excerpt of a much longer text may never become a candidate.
//! - Clustering never chains: every member is within the threshold of its representative.

pub mod candidates;
pub mod error;
pub mod index;
pub mod near_dup;
pub mod pipeline;
mod prefetch;
pub mod read;
pub mod report;
pub mod sketch;
pub mod spill;
pub mod story;
pub mod synth;
pub mod tables;

pub use candidates::lsh::LshParams;
pub use error::{Error, Result};
pub use index::{Index, IndexParams, IndexReader, Verdict};
pub use near_dup::cluster::{Keep, MatchConfig, Membership};
pub use near_dup::verify::Measure;
pub use pipeline::cluster::{
    cluster_inputs, cluster_signed, ClusterConfig, Clustering, SignedClusterConfig,
};
pub use pipeline::dedup::{Decision, Deduplicator};
pub use pipeline::ingest::StreamOptions;
pub use pipeline::Observer;
pub use read::document::{Document, Skipped};
pub use read::FieldNames;
pub use sketch::fingerprint::{Fingerprint, Fingerprinter};
pub use sketch::signature::{Signature, SignatureParams};
pub use story::cluster::StoryConfig;
