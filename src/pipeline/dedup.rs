//! Streaming deduplication: each document, as it comes, is kept or named a near-duplicate of
//! one kept before it.
//!
//! Main choice: the leader scheme of batch clustering ([`LeaderIndex`]), decided one document
//! at a time in input order, so the decisions are those `cluster --keep first` makes, and
//! memory holds the band keys and shingle sets of the kept documents only.

use crate::candidates::band_index::band_keys;
use crate::error::Result;
use crate::near_dup::cluster::{Assignment, LeaderIndex, MatchConfig};
use crate::sketch::shingle_set::ShingleSet;
use crate::sketch::signature::Signature;

/// What became of one document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision<'a> {
    /// Kept: nothing before it is similar enough.
    Kept,
    /// A near-duplicate of the kept document `of`, at this similarity.
    Duplicate {
        /// The id of the kept document it copies.
        of: &'a str,
        /// Their similarity.
        similarity: f64,
    },
}

/// Decides, one document at a time, which are near-duplicates of documents kept before.
#[derive(Debug)]
pub struct Deduplicator {
    leaders: LeaderIndex,
    kept: Vec<String>,
    duplicates: usize,
}

impl Deduplicator {
    /// A deduplicator with nothing kept yet.
    pub fn new(matching: MatchConfig) -> Self {
        Deduplicator {
            leaders: LeaderIndex::new(matching),
            kept: Vec::new(),
            duplicates: 0,
        }
    }

    /// Decide document `id` from its signature and shingle set (kept when the document is).
    pub fn add(
        &mut self,
        id: &str,
        signature: &Signature,
        shingles: ShingleSet,
    ) -> Result<Decision<'_>> {
        let keys = band_keys(signature, &self.leaders.config().lsh)?;
        Ok(match self.leaders.assign(&keys, shingles)? {
            Assignment::Leader(_) => {
                self.kept.push(id.to_string());
                Decision::Kept
            }
            Assignment::Member { leader, similarity } => {
                self.duplicates += 1;
                Decision::Duplicate {
                    of: &self.kept[leader],
                    similarity,
                }
            }
        })
    }

    /// Documents kept so far.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    /// Near-duplicates found so far.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }
}
