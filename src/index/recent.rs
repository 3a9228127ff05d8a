//! The band entries and term postings of the representatives added since the last fold, held
//! in memory instead of in the `bands` and `postings` tables.
//!
//! Main choice: a write-optimised layer in front of the two tables whose keys are hashes.
//! Entering a representative in `bands` is sixteen inserts at random places of a B-tree of
//! tens of millions of entries: at a million documents each commit rewrote some 100,000 pages
//! of it, two thirds of all an `add` wrote. The same entries can be recomputed from the
//! `documents`, `keys` and `vectors` rows that every add appends anyway, in number order. So
//! the representatives numbered from the `folded` counter on are kept out of the two tables;
//! whoever opens the index rebuilds their entries from those rows, and once there are
//! [`FOLD_AT`] of them they are folded into the tables in one sorted pass (one transaction,
//! which moves the counter), so that each leaf is rewritten once per fold instead of once per
//! commit.
//!
//! Lookups read the tables and this layer together. What a document is compared with is the
//! same whichever side of the counter its candidates are on, so the verdicts do not depend on
//! when folds happen, and a crash (which can only lose the transaction under way) changes
//! nothing.

use super::{
    band_entry, decode_keys, decode_vector, postings_of, read_counter, StoreResult, MAX_POSTINGS,
    META,
};
use crate::candidates::InlineLists;
use crate::story::StoryVector;
use ahash::AHashMap;
use redb::{ReadableTable, WriteTransaction};

/// Representatives kept out of the tables before they are folded in, unless the writer asks
/// for another number: enough that a fold (which
/// rewrites most leaves of `bands`) comes once every several `add`s of 10,000 articles, few
/// enough that rebuilding their entries on opening takes a fraction of a second and tens of MB.
pub const FOLD_AT: u64 = 65_536;

/// Meta key of the fold counter: representatives numbered below it are in `bands` and
/// `postings`, the others only in this layer. An index of format 3 has none: everything is in
/// the tables.
pub(super) const FOLDED: &str = "folded";
/// Meta key of the count of `remove`s, which can change which documents above the counter are
/// representatives: a reader whose layer saw another count rebuilds it.
pub(super) const EDITS: &str = "edits";

/// The counters that say which rows the layer is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counters {
    /// Numbers below are in the tables.
    pub folded: u64,
    /// Numbers below have been given.
    pub next: u64,
    /// `remove`s so far.
    pub edits: u64,
}

impl Counters {
    /// The counters of a committed index (or of the transaction under way).
    pub fn read<M: ReadableTable<&'static str, &'static [u8]>>(meta: &M) -> StoreResult<Self> {
        let next = read_counter(meta, super::NEXT)?;
        let folded = match meta.get(FOLDED)? {
            Some(_) => read_counter(meta, FOLDED)?,
            None => next,
        };
        Ok(Counters {
            folded,
            next,
            edits: read_counter(meta, EDITS)?,
        })
    }
}

/// Band entries and postings of the representatives numbered from `counters.folded` up to
/// `counters.next`.
#[derive(Debug, Clone)]
pub(super) struct Recent {
    counters: Counters,
    bands: InlineLists<u64, u64>,
    postings: InlineLists<u64, u64>,
    representatives: u64,
}

/// Only the field a rebuild needs of a document's record.
#[derive(serde::Deserialize)]
struct RepresentativeOf {
    #[serde(default)]
    duplicate_of: Option<u64>,
}

impl Recent {
    fn empty(folded: u64) -> Self {
        Recent {
            counters: Counters {
                folded,
                next: folded,
                edits: 0,
            },
            bands: InlineLists::default(),
            postings: InlineLists::default(),
            representatives: 0,
        }
    }

    /// Numbers below this are in the tables; this layer holds the representatives from here.
    pub fn folded(&self) -> u64 {
        self.counters.folded
    }

    /// Representatives held.
    pub fn representatives(&self) -> u64 {
        self.representatives
    }

    /// Bring `layer` up to `counters`, read from the same transaction as `documents`, `keys`
    /// and `vectors`: only the rows added since it was last brought up, unless a fold or a
    /// removal (or a transaction that was never committed) makes it start again.
    pub fn catch_up<D, K, V, F>(
        layer: &mut Option<Recent>,
        counters: Counters,
        (documents, keys, vectors): (&D, &K, &V),
        df: &F,
    ) -> StoreResult<()>
    where
        D: ReadableTable<u64, &'static [u8]>,
        K: ReadableTable<u64, &'static [u8]>,
        V: ReadableTable<u64, &'static [u8]>,
        F: ReadableTable<u64, u32>,
    {
        let current = layer.as_ref().is_some_and(|l| {
            l.counters.folded == counters.folded
                && l.counters.edits == counters.edits
                && l.counters.next <= counters.next
        });
        if !current {
            *layer = Some(Recent::empty(counters.folded));
        }
        let Some(recent) = layer.as_mut() else {
            return Ok(());
        };
        let from = recent.counters.next;
        // Whether a term is still looked up, by term: most terms recur across documents.
        let mut looked_up: AHashMap<u64, bool> = AHashMap::new();
        for row in documents.range(from..counters.next)? {
            let (number, record) = row?;
            let number = number.value();
            let record: RepresentativeOf = serde_json::from_slice(record.value())?;
            if record.duplicate_of.is_some() {
                continue;
            }
            let band_keys = keys
                .get(number)?
                .map(|k| decode_keys(k.value()))
                .ok_or_else(|| format!("document {number} has no band keys"))?;
            let vector = match vectors.get(number)? {
                Some(v) => decode_vector(v.value())?.vector,
                None => StoryVector::default(),
            };
            let mut keep = |term: u64| -> StoreResult<bool> {
                if let Some(&keep) = looked_up.get(&term) {
                    return Ok(keep);
                }
                let keep = df.get(term)?.map_or(0, |v| u64::from(v.value())) <= MAX_POSTINGS;
                looked_up.insert(term, keep);
                Ok(keep)
            };
            recent.enter(number, &band_keys, &vector, &mut keep)?;
        }
        recent.counters = counters;
        Ok(())
    }

    /// Note that documents up to `next` have been given numbers (by the transaction under way).
    pub fn advance(&mut self, next: u64) {
        self.counters.next = self.counters.next.max(next);
    }

    /// Note one more `remove` (by the transaction under way).
    pub fn edited(&mut self) {
        self.counters.edits += 1;
    }

    /// Hold representative `number`'s band entries and its postings of the terms `keep`
    /// says are still looked up.
    ///
    /// A term held by more than [`MAX_POSTINGS`] representatives is never looked up again
    /// (frequencies only grow), and the tables leave its later postings out. Whoever leaves
    /// out a posting here, or at the fold, has seen a frequency at least as high as the table
    /// path would have, so it only leaves out postings that no lookup reads.
    pub fn enter(
        &mut self,
        number: u64,
        keys: &[u64],
        vector: &StoryVector,
        keep: &mut impl FnMut(u64) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        for (band, &key) in keys.iter().enumerate() {
            self.bands.push(band_entry(band, key), number)?;
        }
        for (term, value) in postings_of(number, vector) {
            if keep(term)? {
                self.postings.push(term, value)?;
            }
        }
        self.representatives += 1;
        Ok(())
    }

    /// Forget representative `number`, entered with these keys and vector.
    pub fn withdraw(&mut self, number: u64, keys: &[u64], vector: &StoryVector) {
        for (band, &key) in keys.iter().enumerate() {
            self.bands.remove_value(band_entry(band, key), number);
        }
        for (term, value) in postings_of(number, vector) {
            self.postings.remove_value(term, value);
        }
        self.representatives = self.representatives.saturating_sub(1);
    }

    /// Append the representatives held under band entry `entry`.
    pub fn band(&self, entry: u64, out: &mut Vec<u64>) {
        self.bands.extend_into(entry, out);
    }

    /// Append the postings held for `term`.
    pub fn postings(&self, term: u64, out: &mut Vec<u64>) {
        self.postings.extend_into(term, out);
    }

    /// Move every entry held into the tables, in key order, within `txn`, and move the fold
    /// counter past the last number given. The layer is empty afterwards; if the transaction
    /// is not committed, drop it so that it is rebuilt.
    pub fn fold(&mut self, txn: &WriteTransaction) -> StoreResult<()> {
        let mut meta = txn.open_table(META)?;
        let counters = Counters::read(&meta)?;
        if counters != self.counters {
            return Err("the index changed under its band layer".into());
        }
        {
            let mut bands = txn.open_multimap_table(super::BANDS)?;
            for (entry, number) in self.bands.sorted_pairs() {
                bands.insert(entry, number)?;
            }
        }
        {
            let mut postings = txn.open_multimap_table(super::POSTINGS)?;
            let df = txn.open_table(super::DF)?;
            let mut last: Option<(u64, bool)> = None;
            for (term, value) in self.postings.sorted_pairs() {
                let wanted = match last {
                    Some((t, wanted)) if t == term => wanted,
                    _ => df.get(term)?.map_or(0, |v| u64::from(v.value())) <= MAX_POSTINGS,
                };
                last = Some((term, wanted));
                if wanted {
                    postings.insert(term, value)?;
                }
            }
        }
        meta.insert(FOLDED, counters.next.to_le_bytes().as_slice())?;
        *self = Recent::empty(counters.next);
        self.counters.edits = counters.edits;
        Ok(())
    }
}

#[cfg(test)]
impl Recent {
    /// Every band entry and posting held, sorted.
    pub fn entries(&self) -> [Vec<(u64, u64)>; 2] {
        [self.bands.sorted_pairs(), self.postings.sorted_pairs()]
    }
}
