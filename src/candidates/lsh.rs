//! LSH parameters: how many bands of how many rows, derived from the similarity threshold.
//!
//! A pair with Jaccard `s` shares at least one of `b` bands of `r` rows with probability
//! `P(s) = 1 - (1 - s^r)^b`, an S-curve. The false-positive mass is the area under `P` below the
//! threshold, the false-negative mass the area above `P` beyond it; [`LshParams::for_threshold`]
//! tries every `b × r ≤ num_perm` and keeps the pair that minimizes the weighted sum of the two
//! (the method datasketch popularized), integrating with Simpson's rule so the choice is
//! deterministic and needs no numerical library. Every candidate is verified exactly, so a false
//! positive costs one set intersection (about a microsecond) while a false negative is a lost
//! duplicate: the default weights (0.05 / 0.95) lean hard towards recall. At threshold 0.8 and
//! 128 permutations they choose 16 bands × 8 rows: a pair at Jaccard 0.85 becomes a candidate
//! with probability 0.994, one at 0.5 with 0.06 (datasketch's equal weights give 0.69 and 0.001).

use crate::error::{Error, Result};
use crate::sketch::signature::MAX_NUM_PERM;
use serde::Serialize;

/// Default weight of the false-positive mass.
pub const DEFAULT_FP_WEIGHT: f64 = 0.05;
/// Default weight of the false-negative mass.
pub const DEFAULT_FN_WEIGHT: f64 = 0.95;

/// Bands × rows of an LSH index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LshParams {
    /// Number of bands; a pair is a candidate if any band agrees.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
}

/// Jaccard similarity of two unrelated articles that share only site furniture (a footer of a few
/// dozen words, a related-links list).
pub const NOISE_SIMILARITY: f64 = 0.05;
/// Highest probability with which such a pair may become a candidate. Without this bound a low
/// threshold picks bands of one or two rows, and every pair of articles of one site, sharing a
/// footer, becomes a candidate: verification turns quadratic in the site's size.
pub const NOISE_CANDIDATE_PROBABILITY: f64 = 1e-3;

impl LshParams {
    /// The bands × rows (with `bands * rows <= num_perm`) that minimize
    /// `fp_weight * false_positive_mass + fn_weight * false_negative_mass` at `threshold`,
    /// among those that let a pair at [`NOISE_SIMILARITY`] through with probability at most
    /// [`NOISE_CANDIDATE_PROBABILITY`] (when the threshold is high enough for any to do so).
    pub fn for_threshold(
        threshold: f64,
        num_perm: usize,
        fp_weight: f64,
        fn_weight: f64,
    ) -> Result<Self> {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(Error::invalid(
                "threshold",
                format!("must be above 0 and at most 1, got {threshold}"),
            ));
        }
        if !(fp_weight >= 0.0 && fn_weight >= 0.0 && fp_weight + fn_weight > 0.0) {
            return Err(Error::invalid(
                "fp_weight",
                format!(
                    "the false-positive and false-negative weights must be non-negative, not \
                     both zero, got {fp_weight} and {fn_weight}"
                ),
            ));
        }
        if !(1..=MAX_NUM_PERM).contains(&num_perm) {
            return Err(Error::invalid(
                "num_perm",
                format!("must be between 1 and {MAX_NUM_PERM}, got {num_perm}"),
            ));
        }
        let choose = |bounded: bool| {
            let mut best: Option<(LshParams, f64)> = None;
            for bands in 1..=num_perm {
                for rows in 1..=num_perm / bands {
                    let p = LshParams { bands, rows };
                    if bounded
                        && (threshold <= NOISE_SIMILARITY
                            || p.probability(NOISE_SIMILARITY) > NOISE_CANDIDATE_PROBABILITY)
                    {
                        continue;
                    }
                    let error = fp_weight * p.false_positive_mass(threshold)
                        + fn_weight * p.false_negative_mass(threshold);
                    // Strictly smaller: ties keep the first (fewest bands) for a stable choice.
                    if best.is_none_or(|(_, e)| error < e - 1e-12) {
                        best = Some((p, error));
                    }
                }
            }
            best.map(|(p, _)| p)
        };
        Ok(choose(true)
            .or_else(|| choose(false))
            .unwrap_or(LshParams { bands: 1, rows: 1 }))
    }

    /// Probability that a pair with Jaccard `s` becomes a candidate.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Area under the S-curve below `threshold`: how much dissimilar mass gets through.
    pub fn false_positive_mass(&self, threshold: f64) -> f64 {
        simpson(|s| self.probability(s), 0.0, threshold)
    }

    /// Area above the S-curve beyond `threshold`: how much similar mass is missed.
    pub fn false_negative_mass(&self, threshold: f64) -> f64 {
        simpson(|s| 1.0 - self.probability(s), threshold, 1.0)
    }

    /// Number of signature values the bands use.
    pub fn used(&self) -> usize {
        self.bands * self.rows
    }
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const STEPS: usize = 256; // even
    let h = (b - a) / STEPS as f64;
    let mut sum = f(a) + f(b);
    for i in 1..STEPS {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s_curve_is_steep_around_the_threshold() {
        for t in [0.5, 0.7, 0.8, 0.9] {
            let p = LshParams::for_threshold(t, 128, 0.5, 0.5).unwrap();
            assert!(p.used() <= 128);
            assert!(p.probability(t - 0.3) < 0.1, "{t}: {p:?}");
            assert!(p.probability((t + 0.15).min(1.0)) > 0.9, "{t}: {p:?}");
            // The curve rises through the threshold: the halfway point is near it.
            let half = (1.0 / p.bands as f64).powf(1.0 / p.rows as f64);
            assert!((half - t).abs() < 0.12, "{t}: {p:?} halfway at {half}");
        }
    }

    #[test]
    fn weights_move_the_curve() {
        let recall = LshParams::for_threshold(0.8, 128, 0.1, 0.9).unwrap();
        let precision = LshParams::for_threshold(0.8, 128, 0.9, 0.1).unwrap();
        assert!(recall.false_negative_mass(0.8) < precision.false_negative_mass(0.8));
        assert!(recall.false_positive_mass(0.8) > precision.false_positive_mass(0.8));
    }

    #[test]
    fn footer_sharing_pairs_rarely_become_candidates() {
        for t in [0.2, 0.3636, 0.5, 0.8] {
            let p = LshParams::for_threshold(t, 128, 0.05, 0.95).unwrap();
            assert!(
                p.probability(NOISE_SIMILARITY) <= NOISE_CANDIDATE_PROBABILITY,
                "{t}: {p:?}"
            );
        }
        // Unbounded, the recall-leaning weights would take two-row bands at 0.36.
        let p = LshParams::for_threshold(0.05, 128, 0.05, 0.95).unwrap();
        assert!(p.used() <= 128);
    }

    #[test]
    fn integrates_exactly_on_a_cubic() {
        assert!((simpson(|x| x * x * x, 0.0, 1.0) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_thresholds() {
        assert!(LshParams::for_threshold(1.01, 128, 0.5, 0.5).is_err());
        assert!(LshParams::for_threshold(0.8, 100_000, 0.5, 0.5).is_err());
        // Exact copies only: one band of every value.
        let exact = LshParams::for_threshold(1.0, 128, 0.5, 0.5).unwrap();
        assert_eq!(exact.used(), 128);
        assert!(LshParams::for_threshold(0.0, 128, 0.5, 0.5).is_err());
        assert!(LshParams::for_threshold(f64::NAN, 128, 0.5, 0.5).is_err());
    }
}
