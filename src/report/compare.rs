//! What `compare` writes: two documents' similarities and the word runs they share, as text or
//! as JSON (`schema_version` like every report).

use super::{round4, SCHEMA_VERSION};
use crate::near_dup::compare::{Comparison, Span};
use crate::sketch::signature::SignatureParams;
use serde::Serialize;
use std::io::{self, Write};

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The file or document id compared.
    pub path: String,
    /// Length of its text in bytes.
    pub bytes: usize,
    /// Its words.
    pub words: usize,
    /// Its distinct shingles.
    pub shingles: usize,
}

/// A run of words both documents carry.
#[derive(Debug, Clone, Serialize)]
pub struct Run<'a> {
    /// Words in the run.
    pub words: usize,
    /// Where it is in `a`.
    pub a: Span,
    /// Where it is in `b`.
    pub b: Span,
    /// Its text in `a`.
    pub text: &'a str,
}

/// The comparison of two documents, as written.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The signature parameters.
    pub params: SignatureParams,
    /// The first document.
    pub a: Side,
    /// The second document.
    pub b: Side,
    /// Exact Jaccard similarity of their shingle sets.
    #[serde(serialize_with = "round4")]
    pub jaccard: f64,
    /// Share of `a`'s shingles found in `b`.
    #[serde(serialize_with = "round4")]
    pub containment_a_in_b: f64,
    /// Share of `b`'s shingles found in `a`.
    #[serde(serialize_with = "round4")]
    pub containment_b_in_a: f64,
    /// The MinHash estimate of Jaccard (`None` when a document has no words).
    pub minhash_estimate: Option<f64>,
    /// Every maximal run of words both carry, in `a`'s order.
    pub shared_runs: Vec<Run<'a>>,
}

impl<'a> CompareReport<'a> {
    /// The report of `comparison` between `a` and `b` (each a name and its text).
    pub fn new(
        params: SignatureParams,
        (a_name, a): (&str, &'a str),
        (b_name, b): (&str, &str),
        comparison: &Comparison,
    ) -> Self {
        let c = comparison;
        CompareReport {
            schema_version: SCHEMA_VERSION,
            params,
            a: Side {
                path: a_name.to_string(),
                bytes: a.len(),
                words: c.words.0,
                shingles: c.shingles.0,
            },
            b: Side {
                path: b_name.to_string(),
                bytes: b.len(),
                words: c.words.1,
                shingles: c.shingles.1,
            },
            jaccard: c.jaccard,
            containment_a_in_b: c.containment_a_in_b,
            containment_b_in_a: c.containment_b_in_a,
            minhash_estimate: c.minhash_estimate.map(|x| (x * 1e4).round() / 1e4),
            shared_runs: c
                .shared_runs
                .iter()
                .map(|r| Run {
                    words: r.words,
                    a: r.a,
                    b: r.b,
                    text: &a[r.a.start..r.a.end],
                })
                .collect(),
        }
    }

    /// The report as text, for people.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        for (label, side) in [("a", &self.a), ("b", &self.b)] {
            writeln!(
                out,
                "{label}: {} ({} bytes, {} words, {} shingles)",
                side.path, side.bytes, side.words, side.shingles
            )?;
        }
        writeln!(out, "jaccard               {:.4}", self.jaccard)?;
        writeln!(out, "containment a in b    {:.4}", self.containment_a_in_b)?;
        writeln!(out, "containment b in a    {:.4}", self.containment_b_in_a)?;
        match self.minhash_estimate {
            Some(e) => writeln!(
                out,
                "minhash estimate      {e:.4} ({} permutations, {}-word shingles)",
                self.params.num_perm, self.params.shingle_size
            )?,
            None => writeln!(out, "minhash estimate      - (a document has no words)")?,
        }
        writeln!(out, "shared runs           {}", self.shared_runs.len())?;
        for (i, r) in self.shared_runs.iter().enumerate() {
            let snippet: String = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let snippet = if snippet.chars().count() > 100 {
                format!("{}…", snippet.chars().take(100).collect::<String>())
            } else {
                snippet
            };
            writeln!(
                out,
                "{:>4}. {:>4} words  a {}..{}  b {}..{}  \"{snippet}\"",
                i + 1,
                r.words,
                r.a.start,
                r.a.end,
                r.b.start,
                r.b.end
            )?;
        }
        Ok(())
    }
}
