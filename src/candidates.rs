//! Finding candidates: an LSH index of band keys, so that only likely pairs are ever compared.
//!
//! Each signature is cut into `bands` slices of `rows` values; each slice is hashed (seeded xxh3,
//! the band number as seed) to a u64 band key. A [`BandIndex`] holds one ahash map per band from
//! key to the documents that have it. A bucket with a single document, by far the most common
//! case, is stored inline as one `u32`; larger ones live in a side list. Lookups never iterate
//! a map, so the maps' hashing order cannot leak into results.

use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::signature::Signature;
use ahash::{AHashMap, RandomState};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Documents in the index are numbered by the caller (dense, starting at 0).
pub type DocIndex = u32;

/// A bucket in one `u32`: a document index, or (high bit set) the position of a list of
/// documents in the index's overflow lists. Most buckets hold one document, so this keeps an
/// entry of a band table at 8 bytes.
const MANY: u32 = 1 << 31;

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

/// The part of a band key a table keys on (keys may be given whole or already cut to `u32`).
fn table_key<K: Into<u64>>(key: K) -> u32 {
    key.into() as u32
}

/// An LSH index: per band, band key → documents.
///
/// Tables key on the low 32 bits of each band key: a stray collision only adds a candidate,
/// which verification rejects, and it halves the index (about 8 bytes per document and band
/// plus the tables' slack).
#[derive(Debug, Clone)]
pub struct BandIndex {
    params: LshParams,
    tables: Vec<AHashMap<u32, u32>>,
    overflow: Vec<Vec<DocIndex>>,
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
            overflow: Vec::new(),
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

    /// Insert `doc` (below 2^31) under its band keys (as made by [`band_keys`]).
    pub fn insert<K: Copy + Into<u64>>(&mut self, doc: DocIndex, keys: &[K]) -> Result<()> {
        if doc >= MANY {
            return Err(Error::InvalidParameter(format!(
                "the LSH index holds at most {MANY} documents"
            )));
        }
        for (table, key) in self.tables.iter_mut().zip(keys) {
            let slot = table.entry(table_key(*key)).or_insert(doc);
            if *slot == doc {
                continue;
            }
            if *slot & MANY == 0 {
                let list = self.overflow.len() as u32;
                self.overflow.push(vec![*slot, doc]);
                *slot = MANY | list;
            } else if let Some(list) = self.overflow.get_mut((*slot & !MANY) as usize) {
                list.push(doc);
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Every document sharing at least one band key with `keys`, sorted, without repeats.
    pub fn candidates<K: Copy + Into<u64>>(&self, keys: &[K]) -> Vec<DocIndex> {
        let mut out = Vec::new();
        for (table, key) in self.tables.iter().zip(keys) {
            match table.get(&table_key(*key)) {
                Some(&slot) if slot & MANY == 0 => out.push(slot),
                Some(&slot) => {
                    if let Some(list) = self.overflow.get((slot & !MANY) as usize) {
                        out.extend_from_slice(list);
                    }
                }
                None => {}
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
        index.insert(0, &band_keys(&a, &lsh).unwrap()).unwrap();
        index.insert(1, &band_keys(&b, &lsh).unwrap()).unwrap();
        assert_eq!(index.candidates(&band_keys(&a, &lsh).unwrap()), [0]);
        assert_eq!(index.candidates(&band_keys(&b, &lsh).unwrap()), [1]);
        index.insert(2, &band_keys(&a, &lsh).unwrap()).unwrap();
        assert_eq!(index.candidates(&band_keys(&a, &lsh).unwrap()), [0, 2]);
        index.insert(5, &band_keys(&a, &lsh).unwrap()).unwrap();
        assert_eq!(index.candidates(&band_keys(&a, &lsh).unwrap()), [0, 2, 5]);
        assert_eq!(index.len(), 4);
        assert!(index
            .insert(1 << 31, &band_keys(&a, &lsh).unwrap())
            .is_err());
    }
}
