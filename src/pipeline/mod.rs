//! Pipelines: the stages composed over a whole corpus, as the commands run them.
//!
//! Main choice: reading and fingerprinting overlap on all cores with bounded memory in flight
//! ([`ingest`]); the story and passage stages run after near-duplicate clustering, over its
//! representatives ([`analysis`]).

pub mod analysis;
pub mod bucket;
pub mod cluster;
pub mod dedup;
pub mod index;
pub mod ingest;
pub mod sign;
pub mod stories;
pub mod texts;

use crate::error::Result;
use crate::read::document::Skipped;
use crate::read::notes::ReadNotes;
use std::path::Path;

/// What a long run tells its caller as it goes. Every method has a default that ignores the
/// news, so a caller implements only what it shows; whatever it ignores is still in the run's
/// result (skipped records, for one).
pub trait Observer {
    /// A record was skipped (it is also in the result). Return an error to stop the run
    /// there, as a caller that must not lose any record does.
    fn skipped(&mut self, skipped: &Skipped) -> Result<()> {
        let _ = skipped;
        Ok(())
    }

    /// How far reading has come: records read, bytes of text (0 when unknown). Called for
    /// every record; keep it cheap.
    fn progress(&mut self, records: usize, bytes: usize) {
        let _ = (records, bytes);
    }

    /// A decision the run made that a user may want to know of (a table kept, a stale one
    /// removed, how much a sort spilled), as one line.
    fn note(&mut self, note: &str) {
        let _ = note;
    }

    /// What reading an input noticed beyond skips (unreadable dates, fields read under
    /// another name).
    fn read_notes(&mut self, notes: &ReadNotes) {
        let _ = notes;
    }

    /// A file is being written under a temporary name beside its target (`true`), or is
    /// gone or renamed into place (`false`): a caller that can be interrupted removes the
    /// live ones on its way out.
    fn temporary_file(&mut self, path: &Path, live: bool) {
        let _ = (path, live);
    }
}

/// An observer that takes no notice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl Observer for Unobserved {}
