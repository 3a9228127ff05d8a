//! Near-duplicates: which documents are copies of which, verified exactly.
//!
//! Main choice: every LSH candidate is checked on exact shingle sets ([`verify`]) before it
//! becomes an edge, and clustering never chains ([`cluster`]): every member is within the
//! threshold of its representative.

pub mod cluster;
pub mod compare;
pub mod shingle_store;
pub mod verify;
