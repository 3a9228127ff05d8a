//! Pipelines: the stages composed over a whole corpus, as the commands run them.
//!
//! Main choice: reading and fingerprinting overlap on all cores with bounded memory in flight
//! ([`ingest`]); the story and passage stages run after near-duplicate clustering, over its
//! representatives ([`analysis`]).

pub mod analysis;
pub mod ingest;
