//! Shingling: every run of k consecutive tokens becomes one 64-bit hash.
//!
//! A shingle's hash is seeded xxh3 over the little-endian bytes of its k token hashes, copied
//! into a stack buffer: no string is ever joined and nothing is allocated per shingle. A document
//! with fewer than k tokens still gets one shingle (all of its tokens), so it has a fingerprint
//! and can match an identical short document; a document with no token has no shingle.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The largest shingle size accepted (the stack buffer holds this many token hashes).
pub const MAX_SHINGLE_SIZE: usize = 32;

/// Call `f(first_token_index, hash)` for every shingle of `token_hashes`, in order.
///
/// `k` must be between 1 and [`MAX_SHINGLE_SIZE`]; callers validate it once up front.
#[inline]
pub fn for_each_shingle(token_hashes: &[u64], k: usize, seed: u64, mut f: impl FnMut(usize, u64)) {
    debug_assert!((1..=MAX_SHINGLE_SIZE).contains(&k));
    if token_hashes.is_empty() {
        return;
    }
    let k = k.clamp(1, MAX_SHINGLE_SIZE).min(token_hashes.len());
    let mut buf = [0u8; 8 * MAX_SHINGLE_SIZE];
    for (i, window) in token_hashes.windows(k).enumerate() {
        f(i, hash_window(window, seed, &mut buf));
    }
}

#[inline]
fn hash_window(window: &[u64], seed: u64, buf: &mut [u8; 8 * MAX_SHINGLE_SIZE]) -> u64 {
    for (chunk, h) in buf.chunks_exact_mut(8).zip(window) {
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    xxh3_64_with_seed(&buf[..8 * window.len()], seed)
}

/// The number of shingles a document of `tokens` tokens has.
pub fn shingle_count(tokens: usize, k: usize) -> usize {
    match tokens {
        0 => 0,
        n if n < k => 1,
        n => n - k + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shingles(tokens: &[u64], k: usize) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        for_each_shingle(tokens, k, 9, |i, h| out.push((i, h)));
        out
    }

    #[test]
    fn counts_and_positions() {
        let tokens: Vec<u64> = (0..10).collect();
        let s = shingles(&tokens, 5);
        assert_eq!(s.len(), shingle_count(10, 5));
        assert_eq!(
            s.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(shingles(&tokens[..3], 5).len(), 1);
        assert!(shingles(&[], 5).is_empty());
    }

    #[test]
    fn same_window_same_hash_wherever_it_stands() {
        let a = shingles(&[1, 2, 3, 4, 5, 6], 3);
        let b = shingles(&[9, 2, 3, 4, 7], 3);
        assert_eq!(a[1].1, b[1].1); // [2,3,4] in both
        assert_ne!(a[0].1, a[1].1);
        let reordered = shingles(&[3, 2, 4], 3);
        assert_ne!(reordered[0].1, b[1].1, "order inside a shingle matters");
    }
}
