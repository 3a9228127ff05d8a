//! Shingle sets: the exact distinct shingles of a document, for verifying candidates.
//!
//! Main choice: a shingle set keeps the low 32 bits of each shingle hash, sorted and deduplicated: half the memory of 64-bit
//! hashes, and for news-length documents (hundreds to thousands of shingles) the chance of a
//! spurious 32-bit match moves a similarity by far less than any threshold step.

/// The distinct shingles of one document (low 32 bits of their hashes), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShingleSet(Box<[u32]>);

impl ShingleSet {
    /// Build a set from shingle hashes in any order, with repeats.
    pub fn from_hashes(hashes: impl IntoIterator<Item = u64>) -> Self {
        let mut values: Vec<u32> = hashes.into_iter().map(|h| h as u32).collect();
        Self::from_values(&mut values)
    }

    /// Build a set from already truncated values; `values` is sorted in place.
    pub fn from_values(values: &mut Vec<u32>) -> Self {
        // A radix sort: four counting passes over ~700 keys beat a comparison sort's ~10.
        radsort::sort(values);
        values.dedup();
        ShingleSet(values.as_slice().into())
    }

    /// Number of distinct shingles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the document had no shingle.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the set holds `value` (a shingle hash truncated to 32 bits).
    pub fn contains(&self, value: u32) -> bool {
        self.0.binary_search(&value).is_ok()
    }

    /// Size of the intersection with `other`.
    pub fn intersection(&self, other: &ShingleSet) -> usize {
        intersection(&self.0, &other.0)
    }

    /// Jaccard similarity |A∩B| / |A∪B| (0 when both are empty).
    pub fn jaccard(&self, other: &ShingleSet) -> f64 {
        jaccard(&self.0, &other.0)
    }

    /// Share of `self`'s shingles found in `other`: |A∩B| / |A|.
    pub fn containment_in(&self, other: &ShingleSet) -> f64 {
        containment(&self.0, &other.0)
    }

    /// The sorted values.
    pub fn values(&self) -> &[u32] {
        &self.0
    }

    /// A set from values already sorted and distinct (as [`ShingleSet::values`] gives them).
    pub fn from_sorted(values: Vec<u32>) -> Self {
        debug_assert!(values.windows(2).all(|w| w[0] < w[1]));
        ShingleSet(values.into_boxed_slice())
    }
}

/// Size of the intersection of two sorted, distinct slices.
pub fn intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity of two sorted, distinct slices (0 when both are empty).
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let inter = intersection(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Share of `document` found in `representative` (0 for an empty document).
pub fn containment(document: &[u32], representative: &[u32]) -> f64 {
    if document.is_empty() {
        0.0
    } else {
        intersection(document, representative) as f64 / document.len() as f64
    }
}

impl AsRef<ShingleSet> for ShingleSet {
    fn as_ref(&self) -> &ShingleSet {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_similarities() {
        let a = ShingleSet::from_hashes([1, 2, 3, 4, 4]);
        let b = ShingleSet::from_hashes([3, 4, 5, 6, 7, 8]);
        assert_eq!(a.len(), 4);
        assert_eq!(a.intersection(&b), 2);
        assert!((a.jaccard(&b) - 2.0 / 8.0).abs() < 1e-12);
        assert!((a.containment_in(&b) - 0.5).abs() < 1e-12);
        assert!((b.containment_in(&a) - 2.0 / 6.0).abs() < 1e-12);
        let empty = ShingleSet::default();
        assert_eq!(empty.jaccard(&empty), 0.0);
    }
}
