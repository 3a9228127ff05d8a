//! MinHash signatures by one-permutation hashing (OPH) with optimal densification.
//!
//! Main choice: classic MinHash applies `num_perm` hash functions to every shingle, which costs
//! `num_perm` multiply-and-min steps per shingle. OPH (Li, Owen & Zhang 2012) hashes each shingle
//! once: the high 32 bits of its hash pick one of `num_perm` bins, the low 32 bits are the value,
//! and each bin keeps its minimum. That is one compare per shingle whatever `num_perm` is. Bins
//! that no shingle fell into are filled by optimal densification (Shrivastava 2017): an empty bin
//! probes a seeded sequence of bins and copies the value of the first non-empty one. Two documents
//! probe in the same order, so the probability that a position agrees stays equal to the Jaccard
//! similarity, which is all LSH banding needs. The estimate is the share of agreeing positions.
//!
//! Every [`Signature`] carries the parameters that made it; comparing signatures made with
//! different parameters is an error rather than a meaningless number. An empty document (no
//! shingle) has no signature at all, so it can never match anything.

use crate::error::{Error, Result};
use crate::sketch::hash::mix;
use crate::sketch::shingle::MAX_SHINGLE_SIZE;
use serde::Serialize;

/// Name of the scheme, recorded in every report's parameters.
pub const SCHEME: &str = "oph-optimal-densification-xxh3-rolling";

/// Largest number of permutations (bins) accepted.
pub const MAX_NUM_PERM: usize = 4096;

/// Everything that shapes a signature; two signatures are comparable only if these are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SignatureParams {
    /// Number of MinHash values (bins).
    pub num_perm: usize,
    /// Words per shingle.
    pub shingle_size: usize,
    /// Seed of every hash function.
    pub seed: u64,
}

impl Default for SignatureParams {
    fn default() -> Self {
        SignatureParams {
            num_perm: 128,
            shingle_size: 5,
            seed: 0,
        }
    }
}

impl SignatureParams {
    /// Check the ranges: 1..=4096 permutations, shingles of 1..=32 words.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_NUM_PERM).contains(&self.num_perm) {
            return Err(Error::invalid(
                "num_perm",
                format!(
                    "must be between 1 and {MAX_NUM_PERM}, got {}",
                    self.num_perm
                ),
            ));
        }
        if !(1..=MAX_SHINGLE_SIZE).contains(&self.shingle_size) {
            return Err(Error::invalid(
                "shingle_size",
                format!(
                    "must be between 1 and {MAX_SHINGLE_SIZE}, got {}",
                    self.shingle_size
                ),
            ));
        }
        Ok(())
    }

    /// Seed of token hashes.
    pub(crate) fn token_seed(&self) -> u64 {
        self.seed
    }

    /// Seed of shingle hashes (distinct from the token seed so the two never line up).
    pub(crate) fn shingle_seed(&self) -> u64 {
        self.seed ^ 0x9E37_79B9_7F4A_7C15
    }

    fn densify_seed(&self) -> u64 {
        self.seed ^ 0xD1B5_4A32_D192_ED03
    }

    /// Fail unless `other` equals `self`.
    pub fn check_compatible(&self, other: &SignatureParams) -> Result<()> {
        if self == other {
            Ok(())
        } else {
            Err(Error::IncompatibleSignatures(format!(
                "num_perm {}/{}, shingle_size {}/{}, seed {}/{}",
                self.num_perm,
                other.num_perm,
                self.shingle_size,
                other.shingle_size,
                self.seed,
                other.seed
            )))
        }
    }
}

/// A MinHash signature: `num_perm` 32-bit values and the parameters that made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    params: SignatureParams,
    values: Box<[u32]>,
}

impl Signature {
    /// The parameters the signature was made with.
    pub fn params(&self) -> &SignatureParams {
        &self.params
    }

    /// The values, one per bin.
    pub fn values(&self) -> &[u32] {
        &self.values
    }

    /// Let go of the values once they have been used (the parameters stay): a long job that has
    /// found its near-duplicates keeps only what its later stages read. The signature then
    /// agrees with no other.
    pub fn release(&mut self) {
        self.values = Box::default();
    }

    /// Estimated Jaccard similarity: the share of positions where both signatures agree.
    pub fn jaccard(&self, other: &Signature) -> Result<f64> {
        self.params.check_compatible(&other.params)?;
        Ok(estimated_jaccard(&self.values, &other.values))
    }
}

/// The Jaccard estimate of two signatures' values made with the same parameters: the share of
/// positions where they agree (0 for empty values).
pub fn estimated_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len().max(1) as f64
}

/// Builds signatures; reused across documents so that signing allocates only the result.
#[derive(Debug, Clone)]
pub struct SignatureBuilder {
    params: SignatureParams,
    /// Minimum value per bin; `EMPTY` where no shingle fell.
    bins: Vec<u64>,
    filled: usize,
}

const EMPTY: u64 = u64::MAX;

impl SignatureBuilder {
    /// A builder for `params` (validated by the caller).
    pub fn new(params: SignatureParams) -> Self {
        SignatureBuilder {
            params,
            bins: vec![EMPTY; params.num_perm],
            filled: 0,
        }
    }

    /// Forget the previous document.
    #[inline]
    pub fn reset(&mut self) {
        self.bins.fill(EMPTY);
        self.filled = 0;
    }

    /// Add one shingle hash.
    #[inline]
    pub fn push(&mut self, hash: u64) {
        let n = self.bins.len() as u64;
        // Lemire's multiply-shift maps the high half uniformly onto 0..n without a division.
        let bin = (((hash >> 32) * n) >> 32) as usize;
        let value = hash & 0xFFFF_FFFF;
        if let Some(slot) = self.bins.get_mut(bin) {
            if *slot == EMPTY {
                self.filled += 1;
                *slot = value;
            } else if value < *slot {
                *slot = value;
            }
        }
    }

    /// The signature of the shingles pushed since the last reset; `None` when there were none.
    pub fn finish(&self) -> Option<Signature> {
        if self.filled == 0 {
            return None;
        }
        let n = self.bins.len();
        let seed = self.params.densify_seed();
        let values: Box<[u32]> = (0..n)
            .map(|i| {
                let mut value = self.bins[i];
                let mut attempt = 0u64;
                while value == EMPTY {
                    let probe = mix(seed ^ ((i as u64) << 32) ^ attempt);
                    let j = ((u128::from(probe) * n as u128) >> 64) as usize;
                    value = self.bins[j];
                    attempt += 1;
                }
                value as u32
            })
            .collect();
        Some(Signature {
            params: self.params,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn sign(params: SignatureParams, items: impl IntoIterator<Item = u64>) -> Option<Signature> {
        let mut b = SignatureBuilder::new(params);
        for x in items {
            b.push(xxhash_rust::xxh3::xxh3_64_with_seed(
                &x.to_le_bytes(),
                params.seed,
            ));
        }
        b.finish()
    }

    #[test]
    fn empty_input_has_no_signature() {
        assert!(sign(SignatureParams::default(), []).is_none());
    }

    #[test]
    fn one_shingle_fills_every_bin() {
        let s = sign(SignatureParams::default(), [42]).unwrap();
        assert!(s.values().iter().all(|v| *v == s.values()[0]));
    }

    #[test]
    fn incompatible_signatures_are_an_error() {
        let a = sign(SignatureParams::default(), 0..100).unwrap();
        let b = sign(
            SignatureParams {
                seed: 1,
                ..SignatureParams::default()
            },
            0..100,
        )
        .unwrap();
        assert!(matches!(
            a.jaccard(&b),
            Err(Error::IncompatibleSignatures(_))
        ));
        assert_eq!(a.jaccard(&a).unwrap(), 1.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Two sets with a planted overlap: the estimate stays within five standard deviations
        /// of the exact Jaccard J, σ = sqrt(J(1-J)/128), the binomial spread that OPH matches
        /// (measured: 0.041 against 0.041 at J = 0.33). A fixed bound of 0.15 (3.6σ there) made a
        /// correct estimator fail about one run of 200 cases in ten; five σ, about one in ten
        /// thousand. The saved case in proptest-regressions/signature.txt is such a 3.6σ draw.
        #[test]
        fn estimate_is_close_to_exact(
            shared in 0usize..1500,
            only_a in 0usize..1500,
            only_b in 0usize..1500,
            base in any::<u32>(),
        ) {
            prop_assume!(shared + only_a > 0 && shared + only_b > 0);
            let base = u64::from(base) << 20;
            let a: Vec<u64> = (0..shared).chain(10_000..10_000 + only_a).map(|x| base + x as u64).collect();
            let b: Vec<u64> = (0..shared).chain(20_000..20_000 + only_b).map(|x| base + x as u64).collect();
            let exact = {
                let sa: HashSet<_> = a.iter().collect();
                let sb: HashSet<_> = b.iter().collect();
                sa.intersection(&sb).count() as f64 / sa.union(&sb).count() as f64
            };
            let params = SignatureParams::default();
            let est = sign(params, a).unwrap().jaccard(&sign(params, b).unwrap()).unwrap();
            let sigma = (exact * (1.0 - exact) / params.num_perm as f64).sqrt();
            prop_assert!(
                (est - exact).abs() <= 5.0 * sigma + 0.01,
                "estimate {est} exact {exact} (σ {sigma})"
            );
        }
    }

    #[test]
    fn estimate_is_unbiased_on_average() {
        // Over many seeds, the mean estimate for J = 1/3 is within 0.01 of it.
        let mut sum = 0.0;
        let runs = 200;
        for seed in 0..runs {
            let params = SignatureParams {
                seed,
                ..SignatureParams::default()
            };
            let a = sign(params, 0..300).unwrap();
            let b = sign(params, 150..450).unwrap();
            sum += a.jaccard(&b).unwrap();
        }
        let mean = sum / runs as f64;
        assert!((mean - 1.0 / 3.0).abs() < 0.01, "mean estimate {mean}");
    }
}
