//! Comparing two documents: exact similarities, the MinHash estimate, and the word runs they share.
//!
//! A shared run is a maximal stretch of consecutive shingles that occurs in both documents in the
//! same order, reported as byte spans in each text. Runs are found greedily from the start of the
//! first document: at each position whose shingle occurs in the second, the longest extension
//! over (at most [`MAX_ALTERNATIVES`]) occurrences in the second is taken, and the scan resumes
//! after it. Cost is linear in the documents' lengths.

use crate::error::Result;
use crate::sketch::fingerprint::{Fingerprint, Fingerprinter};
use crate::sketch::tokenize::Token;
use ahash::AHashMap;
use serde::Serialize;

/// How many occurrences of a shingle in the second document are tried as run starts.
pub const MAX_ALTERNATIVES: usize = 16;

/// A byte span in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A run of words both documents share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedRun {
    /// Number of words in the run.
    pub words: usize,
    /// Where it stands in the first document.
    pub a: Span,
    /// Where it stands in the second document.
    pub b: Span,
}

/// Everything `reprint compare` reports about two documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Exact Jaccard of the shingle sets.
    pub jaccard: f64,
    /// Share of the first document's shingles found in the second.
    pub containment_a_in_b: f64,
    /// Share of the second document's shingles found in the first.
    pub containment_b_in_a: f64,
    /// MinHash estimate of the Jaccard similarity (`None` if a document has no words).
    pub minhash_estimate: Option<f64>,
    /// Distinct shingles in each document.
    pub shingles: (usize, usize),
    /// Words in each document.
    pub words: (usize, usize),
    /// Shared runs, in the order they occur in the first document.
    pub shared_runs: Vec<SharedRun>,
}

/// Compare `a` and `b` with `fingerprinter`'s parameters.
pub fn compare(fingerprinter: &mut Fingerprinter, a: &str, b: &str) -> Result<Comparison> {
    let (tokens_a, shingles_a) = fingerprinter.shingles_with_tokens(a);
    let (tokens_b, shingles_b) = fingerprinter.shingles_with_tokens(b);
    let fa = fingerprinter.fingerprint_shingles(&shingles_a, tokens_a.len());
    let fb = fingerprinter.fingerprint_shingles(&shingles_b, tokens_b.len());
    let (jaccard, ab, ba, estimate) = match (&fa, &fb) {
        (Some(x), Some(y)) => (
            x.shingles.jaccard(&y.shingles),
            x.shingles.containment_in(&y.shingles),
            y.shingles.containment_in(&x.shingles),
            Some(x.signature.jaccard(&y.signature)?),
        ),
        _ => (0.0, 0.0, 0.0, None),
    };
    let k = fingerprinter.params().shingle_size;
    let count = |f: &Option<Fingerprint>| f.as_ref().map_or(0, |f| f.shingles.len());
    Ok(Comparison {
        jaccard,
        containment_a_in_b: ab,
        containment_b_in_a: ba,
        minhash_estimate: estimate,
        shingles: (count(&fa), count(&fb)),
        words: (tokens_a.len(), tokens_b.len()),
        shared_runs: shared_runs(&tokens_a, &shingles_a, &tokens_b, &shingles_b, k),
    })
}

/// The shared runs of two shingled documents (shingle `i` starts at token `i`).
pub fn shared_runs(
    tokens_a: &[Token],
    shingles_a: &[u64],
    tokens_b: &[Token],
    shingles_b: &[u64],
    k: usize,
) -> Vec<SharedRun> {
    let mut positions: AHashMap<u64, Vec<usize>> = AHashMap::with_capacity(shingles_b.len());
    for (j, h) in shingles_b.iter().enumerate() {
        let list = positions.entry(*h).or_default();
        if list.len() < MAX_ALTERNATIVES {
            list.push(j);
        }
    }
    // A document shorter than k words has one shingle spanning all its tokens.
    let width = |tokens: &[Token]| k.min(tokens.len());
    let mut runs = Vec::new();
    let mut i = 0;
    while i < shingles_a.len() {
        let Some(starts) = positions.get(&shingles_a[i]) else {
            i += 1;
            continue;
        };
        let (mut best_j, mut best_len) = (0, 0);
        for &j in starts {
            let mut len = 1;
            while i + len < shingles_a.len()
                && j + len < shingles_b.len()
                && shingles_a[i + len] == shingles_b[j + len]
            {
                len += 1;
            }
            if len > best_len {
                (best_j, best_len) = (j, len);
            }
        }
        let last_a = i + best_len - 1 + width(tokens_a) - 1;
        let last_b = best_j + best_len - 1 + width(tokens_b) - 1;
        runs.push(SharedRun {
            words: last_a - i + 1,
            a: Span {
                start: tokens_a[i].start,
                end: tokens_a[last_a].end,
            },
            b: Span {
                start: tokens_b[best_j].start,
                end: tokens_b[last_b].end,
            },
        });
        i += best_len;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::signature::SignatureParams;

    #[test]
    fn finds_the_shared_run_with_spans() {
        let mut f = Fingerprinter::new(SignatureParams {
            shingle_size: 3,
            ..SignatureParams::default()
        })
        .unwrap();
        let a = "Breaking: the negotiations are being led by Andy Jassy. Other words here.";
        let b = "As reported, THE negotiations are being led by Andy Jassy, sources said.";
        let c = compare(&mut f, a, b).unwrap();
        assert_eq!(c.shared_runs.len(), 1);
        let run = &c.shared_runs[0];
        assert_eq!(
            &a[run.a.start..run.a.end],
            "the negotiations are being led by Andy Jassy"
        );
        assert_eq!(
            &b[run.b.start..run.b.end],
            "THE negotiations are being led by Andy Jassy"
        );
        assert_eq!(run.words, 8);
        assert!(c.jaccard > 0.0 && c.jaccard < 1.0);
        assert!(c.containment_a_in_b > c.jaccard);
    }

    #[test]
    fn identical_and_empty() {
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let c = compare(&mut f, "one two three", "one two three").unwrap();
        assert_eq!(c.jaccard, 1.0);
        assert_eq!(c.shared_runs.len(), 1);
        assert_eq!(c.shared_runs[0].words, 3);
        let c = compare(&mut f, "", "one two").unwrap();
        assert_eq!(c.minhash_estimate, None);
        assert!(c.shared_runs.is_empty());
    }
}
