//! Sketching: what a text is made of, as numbers. Text → normalized words → k-word shingles →
//! a MinHash signature (for finding candidates) and an exact shingle set (for verifying them).
//!
//! Main choice: one pass. [`fingerprint::Fingerprinter`] tokenizes, shingles and signs a text
//! with buffers it reuses, so the hot path allocates nothing per shingle.

pub mod fingerprint;
pub mod hash;
pub mod shingle;
pub mod shingle_set;
pub mod signature;
pub mod tokenize;
