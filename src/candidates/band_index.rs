//! Finding candidates: an LSH index of band keys, so that only likely pairs are ever compared.
//!
//! Each signature is cut into `bands` slices of `rows` values; each slice is hashed (seeded xxh3,
//! the band number as seed) to a u64 band key. A [`BandIndex`] holds one ahash map per band from
//! key to the documents that have it. A bucket with a single document, by far the most common
//! case, is stored inline as one `u32`; larger ones live in a side list. Lookups never iterate
//! a map, so the maps' hashing order cannot leak into results.

use crate::candidates::lsh::LshParams;
use crate::error::{Error, Result};
use crate::sketch::signature::Signature;
use ahash::{AHashMap, RandomState};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Documents in the index are numbered by the caller (dense, starting at 0).
pub type DocIndex = u32;

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

/// A value an [`InlineLists`] slot can hold: either one value inline or, with the top bit set,
/// the position of a side list. Values must stay below that bit.
pub trait Slot: Copy + Eq + std::fmt::Debug {
    /// The top bit: set in a slot that points to a side list.
    const MANY: Self;
    /// Whether the top bit is set.
    fn is_many(self) -> bool;
    /// A slot pointing to side list `list`, if the number fits below the top bit.
    fn of_list(list: usize) -> Option<Self>;
    /// The side list a slot with the top bit points to.
    fn list(self) -> usize;
    /// How many values fit below the top bit.
    const CAPACITY: u64;
}

macro_rules! slot {
    ($t:ty) => {
        impl Slot for $t {
            const MANY: $t = 1 << (<$t>::BITS - 1);
            const CAPACITY: u64 = 1 << (<$t>::BITS - 1);
            fn is_many(self) -> bool {
                self & Self::MANY != 0
            }
            fn of_list(list: usize) -> Option<Self> {
                <$t>::try_from(list)
                    .ok()
                    .filter(|l| l & Self::MANY == 0)
                    .map(|l| l | Self::MANY)
            }
            fn list(self) -> usize {
                // Below the top bit, so it fits a `usize` on every target reprint builds for.
                (self & !Self::MANY) as usize
            }
        }
    };
}
slot!(u32);
slot!(u64);

/// Values by key. A key with a single value, by far the most common case in LSH tables, holds
/// it inline in its map slot; more go to a side list, whose place is reused once the key is
/// removed. Lookups never iterate the map, so its hashing order cannot leak into results.
#[derive(Debug, Clone)]
pub struct InlineLists<K, V> {
    map: AHashMap<K, V>,
    lists: Vec<Vec<V>>,
    free: Vec<usize>,
}

/// Documents by the low 32 bits of a band key (see [`InlineLists`]).
pub type DocLists = InlineLists<u32, DocIndex>;

impl<K, V> Default for InlineLists<K, V> {
    fn default() -> Self {
        // Fixed seeds: lookups never depend on them, but fixed seeds make runs repeatable down
        // to memory layout, which helps when profiling.
        InlineLists {
            map: AHashMap::with_hasher(RandomState::with_seeds(1, 2, 3, 4)),
            lists: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy + Ord, V: Slot> InlineLists<K, V> {
    /// Add `value` (below the top bit) under `key`, after the values already there; adding the
    /// value a key holds inline again does nothing.
    pub fn push(&mut self, key: K, value: V) -> Result<()> {
        if value.is_many() {
            return Err(Error::capacity("documents in one LSH table", V::CAPACITY));
        }
        let slot = self.map.entry(key).or_insert(value);
        if *slot == value {
            return Ok(());
        }
        if !slot.is_many() {
            let pair = vec![*slot, value];
            let list = match self.free.pop() {
                Some(list) => {
                    self.lists[list] = pair;
                    list
                }
                None => {
                    self.lists.push(pair);
                    self.lists.len() - 1
                }
            };
            *slot = V::of_list(list)
                .ok_or_else(|| Error::capacity("shared keys in one LSH table", V::CAPACITY))?;
        } else if let Some(list) = self.lists.get_mut(slot.list()) {
            list.push(value);
        }
        Ok(())
    }

    /// Append the values under `key` to `out`.
    pub fn extend_into(&self, key: K, out: &mut Vec<V>) {
        match self.map.get(&key) {
            Some(&slot) if !slot.is_many() => out.push(slot),
            Some(&slot) => {
                if let Some(list) = self.lists.get(slot.list()) {
                    out.extend_from_slice(list);
                }
            }
            None => {}
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Forget `key` and its values.
    pub fn remove(&mut self, key: K) {
        if let Some(slot) = self.map.remove(&key) {
            if slot.is_many() {
                self.release(slot.list());
            }
        }
    }

    /// Forget `value` under `key`, leaving the key's other values in their order.
    pub fn remove_value(&mut self, key: K, value: V) {
        let Some(&slot) = self.map.get(&key) else {
            return;
        };
        if !slot.is_many() {
            if slot == value {
                self.map.remove(&key);
            }
            return;
        }
        let Some(list) = self.lists.get_mut(slot.list()) else {
            return;
        };
        list.retain(|&v| v != value);
        match list[..] {
            [] => self.remove(key),
            [only] => {
                self.release(slot.list());
                self.map.insert(key, only);
            }
            _ => {}
        }
    }

    fn release(&mut self, list: usize) {
        if let Some(l) = self.lists.get_mut(list) {
            *l = Vec::new();
            self.free.push(list);
        }
    }

    /// Every (key, value), sorted: the same order whatever the map's hashing.
    pub fn sorted_pairs(&self) -> Vec<(K, V)>
    where
        V: Ord,
    {
        let mut out = Vec::with_capacity(self.map.len());
        for (&key, &slot) in &self.map {
            if slot.is_many() {
                if let Some(list) = self.lists.get(slot.list()) {
                    out.extend(list.iter().map(|&v| (key, v)));
                }
            } else {
                out.push((key, slot));
            }
        }
        out.sort_unstable();
        out
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

    #[test]
    fn inline_lists_remove_values_and_list_pairs_in_order() {
        let mut lists: InlineLists<u64, u64> = InlineLists::default();
        for (k, v) in [(9, 1), (3, 2), (9, 5), (9, 4), (7, 6)] {
            lists.push(k, v).unwrap();
        }
        assert!(
            lists.push(1, u64::MANY).is_err(),
            "the top bit is not a value"
        );
        assert_eq!(
            lists.sorted_pairs(),
            [(3, 2), (7, 6), (9, 1), (9, 4), (9, 5)]
        );
        let values = |lists: &InlineLists<u64, u64>, k| {
            let mut out = Vec::new();
            lists.extend_into(k, &mut out);
            out
        };
        lists.remove_value(9, 5);
        assert_eq!(values(&lists, 9), [1, 4]);
        lists.remove_value(9, 1);
        assert_eq!(values(&lists, 9), [4], "back inline");
        lists.remove_value(3, 8);
        assert_eq!(values(&lists, 3), [2], "another value leaves it");
        lists.remove_value(3, 2);
        lists.remove_value(9, 4);
        assert!(values(&lists, 3).is_empty() && values(&lists, 9).is_empty());
        // Freed side lists are reused.
        lists.push(5, 1).unwrap();
        lists.push(5, 2).unwrap();
        assert_eq!(lists.lists.len(), 1);
        assert_eq!(lists.sorted_pairs(), [(5, 1), (5, 2), (7, 6)]);
    }
    use crate::sketch::fingerprint::Fingerprinter;
    use crate::sketch::signature::SignatureParams;

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
