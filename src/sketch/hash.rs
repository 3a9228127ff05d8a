//! Hashing helpers shared by the sketching stages (and the corpus generator).
//!
//! Main choice: SplitMix64's finalizer where a cheap, well-mixed hash of a 64-bit key is
//! enough; text itself is hashed with seeded xxh3 in [`crate::sketch::tokenize`].

/// SplitMix64's finalizer: a cheap, well-mixed 64-bit hash of a 64-bit key.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
