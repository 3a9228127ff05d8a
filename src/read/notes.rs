//! What reading noticed beyond skips: documents kept, but with something lost (a date that
//! could not be read) or guessed (a field read under another name).
//!
//! Main choice: one entry per input file and kind, not one per document, so that a feed of a
//! million records with unreadable dates gives one line, not a million.

use crate::read::document::Origin;

/// What reading noticed that is not a skip: documents kept, but with something lost or
/// guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadNotes {
    /// Per input file (in the order first met), the documents whose date could not be read:
    /// they are kept, undated.
    pub unreadable_dates: Vec<UnreadableDates>,
    /// Per input file and field, a common name read in place of the field asked for (see
    /// [`crate::read::record::COMMON_NAMES`]).
    pub stand_ins: Vec<StandIn>,
}

/// A field of an input read under a common name (`body` for `text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandIn {
    /// The input file.
    pub file: String,
    /// The field asked for.
    pub field: &'static str,
    /// The name it was found under.
    pub name: &'static str,
    /// Where it was first found (`file:line`).
    pub first: String,
}

/// Documents of one file whose date could not be read (see [`crate::pipeline::ingest::parse_timestamp`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableDates {
    /// The input file.
    pub file: String,
    /// How many documents.
    pub count: usize,
    /// Where the first is (`file:line`, or the file).
    pub first: String,
    /// Its date as given.
    pub example: String,
}

impl ReadNotes {
    pub(crate) fn stand_in(&mut self, origin: &Origin, field: &'static str, name: &'static str) {
        let known = self
            .stand_ins
            .iter()
            .rev()
            .take_while(|s| *s.file == *origin.file)
            .any(|s| s.field == field);
        if !known {
            self.stand_ins.push(StandIn {
                file: origin.file.to_string(),
                field,
                name,
                first: origin.to_string(),
            });
        }
    }

    pub(crate) fn date_unreadable(&mut self, origin: &Origin, date: &str) {
        // Inputs are read one after another, so a file's documents come together: only the
        // last entry can be this file's (a file given twice gets an entry per reading).
        match self
            .unreadable_dates
            .last_mut()
            .filter(|u| *u.file == *origin.file)
        {
            Some(entry) => entry.count += 1,
            None => self.unreadable_dates.push(UnreadableDates {
                file: origin.file.to_string(),
                count: 1,
                first: origin.to_string(),
                example: date.chars().take(40).collect(),
            }),
        }
    }
}
