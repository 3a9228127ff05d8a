//! What a document is once read: its id, text, outlet and date, and where it came from.
//!
//! A [`Skipped`] is the other possible outcome of reading: every input record becomes either a
//! [`Document`] or a `Skipped` with a reason, so no input is ever silently lost.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Where a record came from: a file (or `-` for standard input) and, for JSONL, a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it, or `-`.
    pub file: Arc<str>,
    /// The 1-based line within a JSONL file; `None` for a whole-file document.
    pub line: Option<u64>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => f.write_str(&self.file),
        }
    }
}

/// One article as read: the text is kept exactly as it was (offsets point into it).
#[derive(Debug, Clone)]
pub struct Document {
    /// Unique id: the JSONL `id` field, or a file's path below its directory without extension.
    pub id: String,
    /// The text exactly as read.
    pub text: String,
    /// The publishing outlet (`outlet`, else `source`, else `site`), when known.
    pub outlet: Option<String>,
    /// The publication date as given (ISO 8601), when known.
    pub date: Option<String>,
    /// The headline, when the input gives it apart from the text (the `title` field or
    /// column); it counts in story matching, not in passages.
    pub title: Option<String>,
    /// Where it came from.
    pub origin: Origin,
    /// The original JSONL line, kept only when a caller asked for it (to carry unknown fields
    /// through, as `dedup` does).
    pub raw: Option<String>,
    /// Fields the record gave under a common name instead of the one asked for, as (the field,
    /// the name found): `("text", "body")` (see [`crate::read::record::COMMON_NAMES`]).
    pub stand_ins: Vec<(&'static str, &'static str)>,
}

/// A record that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `file:line` or a file path.
    pub source: String,
    /// The document id, when the record had a usable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A one-line reason, e.g. "missing field `text`".
    pub reason: String,
    /// When the record lacks the id or text field: which, and the fields it has. Not part of
    /// the outputs; it lets a reader see that an input names its fields otherwise.
    #[serde(skip)]
    pub missing_field: Option<Box<MissingField>>,
}

/// A field a record lacks, and the fields it has instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    /// The input file.
    pub file: String,
    /// The field looked for.
    pub field: String,
    /// The record's fields, in order.
    pub present: Vec<String>,
}

impl Skipped {
    /// A skipped record at `origin`.
    pub fn new(origin: impl ToString, id: Option<String>, reason: impl Into<String>) -> Self {
        Skipped {
            source: origin.to_string(),
            id,
            reason: reason.into(),
            missing_field: None,
        }
    }

    /// The same, saying that the record lacks `field` and has `present` instead.
    pub fn with_missing_field(mut self, file: &str, field: &str, present: Vec<String>) -> Self {
        self.missing_field = Some(Box::new(MissingField {
            file: file.to_string(),
            field: field.to_string(),
            present,
        }));
        self
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}: document `{}`: {}", self.source, id, self.reason),
            None => write!(f, "{}: {}", self.source, self.reason),
        }
    }
}
