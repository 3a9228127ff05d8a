//! Finding candidates: an LSH index of band keys, so that only likely pairs are ever compared.
//!
//! Each signature is cut into `bands` slices of `rows` values; each slice is hashed (seeded xxh3,
//! the band number as seed) to a u64 band key. A [`BandIndex`] holds one ahash map per band from
//! key to the documents that have it. A bucket with a single document, by far the most common
//! case, is stored inline without a heap allocation. Lookups never iterate a map, so the
//! maps' hashing order cannot leak into results.

use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::signature::Signature;
use ahash::{AHashMap, RandomState};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Documents in the index are numbered by the caller (dense, starting at 0).
pub type DocIndex = u32;

#[derive(Debug, Clone)]
enum Bucket {
    One(DocIndex),
    Many(Vec<DocIndex>),
}

impl Bucket {
    fn as_slice(&self) -> &[DocIndex] {
        match self {
            Bucket::One(d) => std::slice::from_ref(d),
            Bucket::Many(v) => v,
        }
    }

    fn push(&mut self, doc: DocIndex) {
        match self {
            Bucket::One(first) => *self = Bucket::Many(vec![*first, doc]),
            Bucket::Many(v) => v.push(doc),
        }
    }
}

/// The band keys of `signature`, one per band; an error if the signature has fewer values than
/// the bands use (it was made with other parameters).
pub fn band_keys(signature: &Signature, params: &LshParams) -> Result<Vec<u64>> {
    let values = signature.values();
    if values.len() < params.used() {
        return Err(Error::IncompatibleSignatures(format!(
            "{} bands of {} rows need {} values, the signature has {}",
            params.bands,
            params.rows,
            params.used(),
            values.len()
        )));
    }
    let mut bytes = Vec::with_capacity(params.rows * 4);
    Ok(values
        .chunks_exact(params.rows)
        .take(params.bands)
        .enumerate()
        .map(|(band, rows)| {
            bytes.clear();
            for v in rows {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            xxh3_64_with_seed(&bytes, band as u64)
        })
        .collect())
}

/// An LSH index: per band, band key → documents.
#[derive(Debug, Clone)]
pub struct BandIndex {
    params: LshParams,
    tables: Vec<AHashMap<u64, Bucket>>,
    len: usize,
}

impl BandIndex {
    /// An empty index with these bands × rows.
    pub fn new(params: LshParams) -> Self {
        // Fixed seeds: lookups never depend on them, but fixed seeds make runs repeatable down
        // to memory layout, which helps when profiling.
        let state = RandomState::with_seeds(1, 2, 3, 4);
        BandIndex {
            params,
            tables: (0..params.bands)
                .map(|_| AHashMap::with_hasher(state.clone()))
                .collect(),
            len: 0,
        }
    }

    /// The bands × rows of this index.
    pub fn params(&self) -> &LshParams {
        &self.params
    }

    /// Number of documents inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Insert `doc` under its band keys (as made by [`band_keys`]).
    pub fn insert(&mut self, doc: DocIndex, keys: &[u64]) {
        for (table, key) in self.tables.iter_mut().zip(keys) {
            table
                .entry(*key)
                .and_modify(|b| b.push(doc))
                .or_insert(Bucket::One(doc));
        }
        self.len += 1;
    }

    /// Every document sharing at least one band key with `keys`, sorted, without repeats.
    pub fn candidates(&self, keys: &[u64]) -> Vec<DocIndex> {
        let mut out = Vec::new();
        for (table, key) in self.tables.iter().zip(keys) {
            if let Some(bucket) = table.get(key) {
                out.extend_from_slice(bucket.as_slice());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Fingerprinter;
    use crate::signature::SignatureParams;

    #[test]
    fn identical_documents_collide_and_strangers_do_not() {
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let lsh = LshParams::for_threshold(0.8, 128, 0.5, 0.5).unwrap();
        let a = f
            .signature("the quick brown fox jumps over the lazy dog again and again")
            .unwrap();
        let b = f
            .signature("completely different words make up this other sentence here")
            .unwrap();
        let mut index = BandIndex::new(lsh);
        index.insert(0, &band_keys(&a, &lsh).unwrap());
        index.insert(1, &band_keys(&b, &lsh).unwrap());
        assert_eq!(index.candidates(&band_keys(&a, &lsh).unwrap()), [0]);
        assert_eq!(index.candidates(&band_keys(&b, &lsh).unwrap()), [1]);
        index.insert(2, &band_keys(&a, &lsh).unwrap());
        assert_eq!(index.candidates(&band_keys(&a, &lsh).unwrap()), [0, 2]);
        assert_eq!(index.len(), 3);
    }
}
