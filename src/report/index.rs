//! What `index stats` writes: the index's counts and parameters, with the same field names in
//! the text and the JSON, and the same names as the cluster and story reports use for the same
//! things (`threshold`, `num_perm`, `shingle_size`, `seed`, `scheme`, `bands`, `rows`, and a
//! `story` object with `threshold`, `window_days` and `max_terms`).

use super::StoryParams;
use crate::index::IndexStats;
use serde::Serialize;
use std::io::{self, Write};

/// The statistics of an index, as written.
#[derive(Debug, Clone, Serialize)]
pub struct IndexSummary {
    /// Indexed documents.
    pub documents: u64,
    /// Of which representatives.
    pub representatives: u64,
    /// Of which near-duplicates of a representative.
    pub near_duplicates: u64,
    /// Stories.
    pub stories: u64,
    /// The index file's size in bytes.
    pub file_bytes: u64,
    /// Documents added since the last fold (held in memory by whoever opens the index).
    pub unfolded_documents: u64,
    /// The index's format version.
    pub format_version: u32,
    /// The hashing scheme.
    pub scheme: String,
    /// The parameters fixed at creation.
    pub params: IndexSummaryParams,
}

/// The parameters of an index, named as in the cluster and story reports.
#[derive(Debug, Clone, Serialize)]
pub struct IndexSummaryParams {
    /// Minimum exact Jaccard similarity of a near-duplicate.
    pub threshold: f64,
    /// MinHash values per signature.
    pub num_perm: usize,
    /// Words per shingle.
    pub shingle_size: usize,
    /// Hash seed.
    pub seed: u64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Story matching (`null`: the index was created without stories).
    pub story: Option<StoryParams>,
}

impl IndexSummary {
    /// The summary of `stats`.
    pub fn new(stats: &IndexStats) -> Self {
        let p = &stats.params;
        let story = p.stories.then(|| StoryParams::new(&p.story()));
        IndexSummary {
            documents: stats.documents,
            representatives: stats.representatives,
            near_duplicates: stats.documents.saturating_sub(stats.representatives),
            stories: stats.stories,
            file_bytes: stats.file_bytes,
            unfolded_documents: stats.unfolded_documents,
            format_version: stats.format_version,
            scheme: stats.scheme.clone(),
            params: IndexSummaryParams {
                threshold: p.threshold,
                num_perm: p.num_perm,
                shingle_size: p.shingle_size,
                seed: p.seed,
                bands: p.bands,
                rows: p.rows,
                story,
            },
        }
    }

    /// The summary as text: one field a line, named as in the JSON.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let per_document = self.file_bytes.checked_div(self.documents).unwrap_or(0);
        let p = &self.params;
        let rows: [(&str, String); 15] = [
            ("documents", self.documents.to_string()),
            ("representatives", self.representatives.to_string()),
            ("near_duplicates", self.near_duplicates.to_string()),
            ("stories", self.stories.to_string()),
            (
                "file_bytes",
                format!("{} ({per_document} per document)", self.file_bytes),
            ),
            (
                "unfolded_documents",
                format!(
                    "{} (held in memory by whoever opens the index until the next fold; \
                     compacting folds them)",
                    self.unfolded_documents
                ),
            ),
            ("format_version", self.format_version.to_string()),
            ("scheme", self.scheme.clone()),
            ("threshold", p.threshold.to_string()),
            ("num_perm", p.num_perm.to_string()),
            ("shingle_size", p.shingle_size.to_string()),
            ("seed", p.seed.to_string()),
            ("bands", p.bands.to_string()),
            ("rows", p.rows.to_string()),
            (
                "story",
                match &p.story {
                    None => "none (created without stories)".into(),
                    Some(s) => format!(
                        "threshold {}, window_days {}, max_terms {}",
                        s.threshold,
                        s.window_days.map_or("none".into(), |d| d.to_string()),
                        s.max_terms
                    ),
                },
            ),
        ];
        for (name, value) in rows {
            writeln!(out, "{name:<19} {value}")?;
        }
        Ok(())
    }
}
