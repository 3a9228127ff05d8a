//! Verifying candidates: exact Jaccard or containment on the documents' shingle sets.
//!
//! Main choice: LSH only proposes pairs; every pair becomes an edge only after this exact
//! check on the two [`ShingleSet`]s.

use crate::sketch::shingle_set::{containment, jaccard, ShingleSet};
use serde::Serialize;

/// Which exact similarity decides that a document is a near-duplicate of a representative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// |A∩B| / |A∪B|: copies of about the same length.
    #[default]
    Jaccard,
    /// |D∩R| / |D|: how much of the document D is found in the representative R. Catches a
    /// trimmed copy of a longer original. One-way on purpose: measured both ways, a short text
    /// (a newsletter pitch) would be "contained" in every article that carries it and pull them
    /// all into one cluster.
    Containment,
}

impl Measure {
    /// The similarity of `document` to `representative` under this measure.
    pub fn similarity(self, document: &ShingleSet, representative: &ShingleSet) -> f64 {
        self.of_values(document.values(), representative.values())
    }

    /// The same, on sorted distinct values (as [`ShingleSet::values`] gives them).
    pub fn of_values(self, document: &[u32], representative: &[u32]) -> f64 {
        match self {
            Measure::Jaccard => jaccard(document, representative),
            Measure::Containment => containment(document, representative),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_is_one_way() {
        let a = ShingleSet::from_hashes([1, 2, 3, 4, 4]);
        let b = ShingleSet::from_hashes([3, 4, 5, 6, 7, 8]);
        assert!((Measure::Containment.similarity(&a, &b) - 0.5).abs() < 1e-12);
        assert!((Measure::Containment.similarity(&b, &a) - 2.0 / 6.0).abs() < 1e-12);
        assert!((Measure::Jaccard.similarity(&a, &b) - 2.0 / 8.0).abs() < 1e-12);
        let empty = ShingleSet::default();
        assert_eq!(Measure::Containment.similarity(&a, &empty), 0.0);
        assert_eq!(Measure::Containment.similarity(&empty, &a), 0.0);
    }
}
