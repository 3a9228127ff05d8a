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

/// Documents by a `u32` key. A key with a single document, by far the most common case in
/// LSH tables, holds it inline in its map slot; more go to a side list, whose place is reused
/// once the key is removed. Lookups never iterate the map, so its hashing order cannot leak
/// into results.
#[derive(Debug, Clone)]
pub struct DocLists {
    map: AHashMap<u32, u32>,
    lists: Vec<Vec<DocIndex>>,
    free: Vec<u32>,
}

impl Default for DocLists {
    fn default() -> Self {
        // Fixed seeds: lookups never depend on them, but fixed seeds make runs repeatable down
        // to memory layout, which helps when profiling.
        DocLists {
            map: AHashMap::with_hasher(RandomState::with_seeds(1, 2, 3, 4)),
            lists: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl DocLists {
    /// Add `doc` (below 2^31) under `key`, after the documents already there; adding the
    /// document a key last received again does nothing.
    pub fn push(&mut self, key: u32, doc: DocIndex) -> Result<()> {
        if doc >= MANY {
            return Err(Error::InvalidParameter(format!(
                "an LSH table holds at most {MANY} documents"
            )));
        }
        let slot = self.map.entry(key).or_insert(doc);
        if *slot == doc {
            return Ok(());
        }
        if *slot & MANY == 0 {
            let pair = vec![*slot, doc];
            let list = match self.free.pop() {
                Some(list) => {
                    self.lists[list as usize] = pair;
                    list
                }
                None => {
                    self.lists.push(pair);
                    (self.lists.len() - 1) as u32
                }
            };
            *slot = MANY | list;
        } else if let Some(list) = self.lists.get_mut((*slot & !MANY) as usize) {
            list.push(doc);
        }
        Ok(())
    }

    /// Append the documents under `key` to `out`.
    pub fn extend_into(&self, key: u32, out: &mut Vec<DocIndex>) {
        match self.map.get(&key) {
            Some(&slot) if slot & MANY == 0 => out.push(slot),
            Some(&slot) => {
                if let Some(list) = self.lists.get((slot & !MANY) as usize) {
                    out.extend_from_slice(list);
                }
            }
            None => {}
        }
    }

    /// Forget `key` and its documents.
    pub fn remove(&mut self, key: u32) {
        if let Some(slot) = self.map.remove(&key) {
            if slot & MANY != 0 {
                let list = slot & !MANY;
                if let Some(l) = self.lists.get_mut(list as usize) {
                    *l = Vec::new();
                    self.free.push(list);
                }
            }
        }
    }
}

/// An LSH index: per band, band key → documents.
///
/// Tables key on the low 32 bits of each band key: a stray collision only adds a candidate,
/// which verification rejects, and it halves the index (about 8 bytes per document and band
/// plus the tables' slack).
#[derive(Debug, Clone)]
pub struct BandIndex {
    params: LshParams,
    tables: Vec<DocLists>,
    len: usize,
}

impl BandIndex {
    /// An empty index with these bands × rows.
    pub fn new(params: LshParams) -> Self {
        BandIndex {
            params,
            tables: (0..params.bands).map(|_| DocLists::default()).collect(),
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
        for (table, key) in self.tables.iter_mut().zip(keys) {
            table.push(table_key(*key), doc)?;
        }
        self.len += 1;
        Ok(())
    }

    /// Every document sharing at least one band key with `keys`, sorted, without repeats.
    pub fn candidates<K: Copy + Into<u64>>(&self, keys: &[K]) -> Vec<DocIndex> {
        let mut out = Vec::new();
        for (table, key) in self.tables.iter().zip(keys) {
            table.extend_into(table_key(*key), &mut out);
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
