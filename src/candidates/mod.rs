//! Candidates: which pairs of documents are worth comparing, found by locality-sensitive hashing
//! of their signatures, without comparing every pair.
//!
//! Main choice: bands × rows are derived from the threshold ([`lsh`]); the band keys are looked
//! up in memory ([`band_index`]) or, within a memory budget, grouped by an external sort
//! ([`buckets`]). Both give the same candidates.

pub mod band_index;
pub mod buckets;
pub mod lsh;
