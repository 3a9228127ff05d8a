//! Where the band entries and term postings of representatives live: in the `bands` and
//! `postings` tables, or, for those added since the last fold, in memory.
//!
//! Main choice: a write-optimised layer in front of the two tables whose keys are hashes.
//! Entering a representative in `bands` is sixteen inserts at random places of a B-tree of
//! tens of millions of entries: at a million documents each commit rewrote some 100,000 pages
//! of it, two thirds of all an `add` wrote. The same entries can be recomputed from the
//! `documents`, `keys` and `vectors` rows that every add appends anyway, in number order. So
//! they are kept out of the tables, whoever opens the index rebuilds them from those rows, and
//! they are folded into the tables in sorted passes, so that each leaf is rewritten once per
//! fold instead of once per commit.
//!
//! Folds go a slot at a time: each band is one slot (a band's entries share the band number
//! in their top bits, so they fill a range of their own in `bands`) and the postings are the
//! last. A slot has its own fold counter: the representatives numbered from it on have their
//! entries of that slot in memory. A batch that finds a slot holding [`FOLD_AT`]
//! representatives first folds that one slot, about a seventeenth of the pages a whole fold
//! would rewrite, so no `add` pays for a whole fold (a slot holding twice as many is folded at
//! once, and one holding no entries, the postings without stories, costs nothing to fold).
//!
//! Lookups read the tables and this layer together. What a document is compared with is the
//! same whichever side of a counter its candidates are on, so the verdicts do not depend on
//! when folds happen, and a crash (which can only lose the transaction under way) changes
//! nothing.

use super::codec::MAX_POSTINGS;
use super::codec::{band_entry, decode_keys, decode_vector, postings_of};
use super::schema::{read_counter, write_folded, BANDS, DF, EDITS, FOLDED, META, NEXT, POSTINGS};
use super::store::Multimap;
use super::store::StoreResult;
use crate::candidates::band_index::InlineLists;
use crate::story::cluster::StoryVector;
use ahash::AHashMap;
use redb::{ReadableTable, WriteTransaction};

/// Representatives a slot holds in memory before it is folded into its table, unless the
/// writer asks for another number: enough that a whole fold (every slot, which rewrites most
/// leaves of `bands`) comes once every several `add`s of 10,000 articles, few enough that
/// rebuilding the layer on opening takes at most about half a second (measured at a million
/// documents: 0.24 s with 40,000 documents unfolded, 0.45-0.5 s with 75,000-85,000) and
/// about 40 MB for the entries, plus the pages read on the way.
pub const FOLD_AT: u64 = 65_536;

/// The counters that say which rows the layer is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Counters {
    /// Per slot, numbers below are in the tables.
    folded: Vec<u64>,
    /// Numbers below have been given.
    next: u64,
    /// `remove`s so far.
    edits: u64,
}

impl Counters {
    /// The counters of a committed index (or of the transaction under way) with `bands` bands.
    pub fn read<M: ReadableTable<&'static str, &'static [u8]>>(
        meta: &M,
        bands: usize,
    ) -> StoreResult<Self> {
        let next = read_counter(meta, NEXT)?;
        let slots = bands + 1;
        let folded = match meta.get(FOLDED)? {
            None => vec![next; slots],
            Some(bytes) if bytes.value().len() == slots * 8 => bytes
                .value()
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
            Some(_) => Vec::new(),
        };
        if folded.is_empty() || folded.iter().any(|&f| f > next) {
            return Err("corrupt fold counters".into());
        }
        Ok(Counters {
            folded,
            next,
            edits: read_counter(meta, EDITS)?,
        })
    }

    /// Numbers from here on may have entries in memory.
    pub fn lowest(&self) -> u64 {
        self.folded.iter().copied().min().unwrap_or(self.next)
    }

    /// Documents with entries in memory: from the lowest counter to the last number given.
    pub fn unfolded(&self) -> u64 {
        self.next.saturating_sub(self.lowest())
    }
}

/// The band entries and postings held in memory: per slot, those of the representatives
/// numbered from the slot's counter up to `counters.next`.
#[derive(Debug, Clone)]
pub(super) struct Recent {
    counters: Counters,
    /// Per band, its entries held.
    bands: Vec<InlineLists<u64, u64>>,
    postings: InlineLists<u64, u64>,
    /// Per slot, the representatives whose entries it holds.
    held: Vec<u64>,
}

/// Whether a term's postings are still read, by term, from the `df` table: a term held by more
/// than [`MAX_POSTINGS`] representatives never is again (frequencies only grow).
#[derive(Default)]
struct LookedUp(AHashMap<u64, bool>);

impl LookedUp {
    fn term<F: ReadableTable<u64, u32>>(&mut self, df: &F, term: u64) -> StoreResult<bool> {
        if let Some(&read) = self.0.get(&term) {
            return Ok(read);
        }
        let read = df.get(term)?.map_or(0, |v| u64::from(v.value())) <= MAX_POSTINGS;
        self.0.insert(term, read);
        Ok(read)
    }
}

/// Only the field a rebuild needs of a document's record.
#[derive(serde::Deserialize)]
struct RepresentativeOf {
    #[serde(default)]
    duplicate_of: Option<u64>,
}

/// The tables a representative's entries go to when a slot does not hold them.
pub(super) type Tables<'a, 'b, 'c> = (&'a mut Multimap<'b>, &'a mut Multimap<'c>);

impl Recent {
    fn empty(counters: &Counters) -> Self {
        let bands = counters.folded.len() - 1;
        Recent {
            counters: Counters {
                next: counters.lowest(),
                ..counters.clone()
            },
            bands: vec![InlineLists::default(); bands],
            postings: InlineLists::default(),
            held: vec![0; bands + 1],
        }
    }

    fn postings_slot(&self) -> usize {
        self.bands.len()
    }

    /// Whether `slot` holds `number`'s entries in memory.
    fn holds(&self, slot: usize, number: u64) -> bool {
        self.counters
            .folded
            .get(slot)
            .is_some_and(|&folded| number >= folded)
    }

    /// Documents with entries in memory.
    pub fn unfolded(&self) -> u64 {
        self.counters.unfolded()
    }

    /// The slot holding the most representatives, if it holds at least `at`.
    pub fn fullest(&self, at: u64) -> Option<usize> {
        let (slot, &held) = self
            .held
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
        (held >= at).then_some(slot)
    }

    /// Bring `layer` up to `counters`, read from the same transaction as `documents`, `keys`,
    /// `vectors` and `df`: only the rows added since it was last brought up, unless a fold or
    /// a removal (or a transaction that was never committed) makes it start again.
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
        match layer.as_mut() {
            Some(l) if l.can_catch_up(&counters) => l.forget_folded(&counters),
            _ => *layer = Some(Recent::empty(&counters)),
        }
        let Some(recent) = layer.as_mut() else {
            return Ok(());
        };
        let from = recent.counters.next;
        let mut looked_up = LookedUp::default();
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
            recent.hold(number, &band_keys, &vector, &mut |t| looked_up.term(df, t))?;
        }
        recent.counters = counters;
        Ok(())
    }

    /// Whether the layer is exactly as of `counters`.
    pub fn is_at(&self, counters: &Counters) -> bool {
        self.counters == *counters
    }

    /// Whether the layer can be brought up to `counters` by reading only the rows added since
    /// it was last brought up: no removal since, and every slot either as it was or folded
    /// past every row the layer has read (a fold moves a counter to the last number given then,
    /// so a layer read before the fold has only entries the tables now hold).
    pub fn can_catch_up(&self, counters: &Counters) -> bool {
        self.counters.edits == counters.edits
            && self.counters.next <= counters.next
            && self.counters.folded.len() == counters.folded.len()
            && self
                .counters
                .folded
                .iter()
                .zip(&counters.folded)
                .all(|(&was, &is)| is == was || is >= self.counters.next)
    }

    /// Empty the slots `counters` shows folded since the layer was read.
    fn forget_folded(&mut self, counters: &Counters) {
        for (slot, (&was, &is)) in self
            .counters
            .folded
            .iter()
            .zip(&counters.folded)
            .enumerate()
        {
            if is == was {
                continue;
            }
            match self.bands.get_mut(slot) {
                Some(lists) => *lists = InlineLists::default(),
                None => self.postings = InlineLists::default(),
            }
            self.held[slot] = 0;
        }
        self.counters.folded.clone_from(&counters.folded);
    }

    /// Slots that hold representatives but no entries (the postings of an index without
    /// stories): folding them writes nothing, so they can be folded whenever they are due.
    pub fn due_without_entries(&self, at: u64) -> Vec<usize> {
        (0..self.held.len())
            .filter(|&slot| self.held[slot] >= at && self.entries_held(slot) == 0)
            .collect()
    }

    fn entries_held(&self, slot: usize) -> usize {
        match self.bands.get(slot) {
            Some(lists) => lists.len(),
            None => self.postings.len(),
        }
    }

    /// Note that documents up to `next` have been given numbers (by the transaction under way).
    pub fn advance(&mut self, next: u64) {
        self.counters.next = self.counters.next.max(next);
    }

    /// Note one more `remove` (by the transaction under way).
    pub fn edited(&mut self) {
        self.counters.edits += 1;
    }

    /// Hold, in the slots that hold `number`, its band entries and its postings of the terms
    /// `keep` says are still looked up.
    fn hold(
        &mut self,
        number: u64,
        keys: &[u64],
        vector: &StoryVector,
        keep: &mut impl FnMut(u64) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        for (band, &key) in keys.iter().enumerate() {
            if self.holds(band, number) {
                if let Some(lists) = self.bands.get_mut(band) {
                    lists.push(band_entry(band, key), number)?;
                    self.held[band] += 1;
                }
            }
        }
        let slot = self.postings_slot();
        if self.holds(slot, number) {
            for (term, value) in postings_of(number, vector) {
                if keep(term)? {
                    self.postings.push(term, value)?;
                }
            }
            self.held[slot] += 1;
        }
        Ok(())
    }

    /// Enter representative `number`: its band entries and its postings of the terms `keep`
    /// says are still looked up, in memory for the slots that hold it, in the tables for the
    /// others.
    ///
    /// A term held by more than [`MAX_POSTINGS`] representatives is never looked up again
    /// (frequencies only grow), and its later postings are left out. Whoever leaves one out,
    /// here, on rebuilding or at a fold, has seen a frequency at least as high as when the
    /// document was added, so it only leaves out postings that no lookup reads.
    pub fn enter(
        &mut self,
        (bands, postings): Tables<'_, '_, '_>,
        number: u64,
        keys: &[u64],
        vector: &StoryVector,
        keep: &mut impl FnMut(u64) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        self.hold(number, keys, vector, keep)?;
        for (band, &key) in keys.iter().enumerate() {
            if !self.holds(band, number) {
                bands.insert(band_entry(band, key), number)?;
            }
        }
        if !self.holds(self.postings_slot(), number) {
            for (term, value) in postings_of(number, vector) {
                if keep(term)? {
                    postings.insert(term, value)?;
                }
            }
        }
        Ok(())
    }

    /// Take representative `number`, entered with these keys and vector, out of memory and the
    /// tables.
    pub fn withdraw(
        &mut self,
        (bands, postings): Tables<'_, '_, '_>,
        number: u64,
        keys: &[u64],
        vector: &StoryVector,
    ) -> StoreResult<()> {
        for (band, &key) in keys.iter().enumerate() {
            let entry = band_entry(band, key);
            if !self.holds(band, number) {
                bands.remove(entry, number)?;
            } else if let Some(lists) = self.bands.get_mut(band) {
                lists.remove_value(entry, number);
                self.held[band] = self.held[band].saturating_sub(1);
            }
        }
        let slot = self.postings_slot();
        let held = self.holds(slot, number);
        for (term, value) in postings_of(number, vector) {
            if held {
                self.postings.remove_value(term, value);
            } else {
                postings.remove(term, value)?;
            }
        }
        if held {
            self.held[slot] = self.held[slot].saturating_sub(1);
        }
        Ok(())
    }

    /// Append the representatives held under band entry `entry`.
    pub fn band(&self, band: usize, entry: u64, out: &mut Vec<u64>) {
        if let Some(lists) = self.bands.get(band) {
            lists.extend_into(entry, out);
        }
    }

    /// Append the postings held for `term`.
    pub fn postings(&self, term: u64, out: &mut Vec<u64>) {
        self.postings.extend_into(term, out);
    }

    /// Move the entries `slot` holds into its table, in key order, within `txn`, and move the
    /// slot's counter past the last number given. If the transaction is not committed, drop
    /// the layer so that it is rebuilt.
    pub fn fold(&mut self, txn: &WriteTransaction, slot: usize) -> StoreResult<()> {
        let mut meta = txn.open_table(META)?;
        let counters = Counters::read(&meta, self.bands.len())?;
        if counters != self.counters {
            return Err("the index changed under its band layer".into());
        }
        if let Some(lists) = self.bands.get_mut(slot) {
            let mut bands = txn.open_multimap_table(BANDS)?;
            for (entry, number) in std::mem::take(lists).sorted_pairs() {
                bands.insert(entry, number)?;
            }
        } else if slot == self.postings_slot() {
            let mut postings = txn.open_multimap_table(POSTINGS)?;
            let df = txn.open_table(DF)?;
            let mut looked_up = LookedUp::default();
            for (term, value) in std::mem::take(&mut self.postings).sorted_pairs() {
                if looked_up.term(&df, term)? {
                    postings.insert(term, value)?;
                }
            }
        } else {
            return Err(format!("no fold slot {slot}").into());
        }
        self.held[slot] = 0;
        self.counters.folded[slot] = self.counters.next;
        write_folded(&mut meta, &self.counters.folded)?;
        Ok(())
    }

    /// Fold every slot.
    pub fn fold_all(&mut self, txn: &WriteTransaction) -> StoreResult<()> {
        for slot in 0..self.held.len() {
            self.fold(txn, slot)?;
        }
        Ok(())
    }
}

#[cfg(test)]
impl Recent {
    /// Every band entry and posting held, sorted.
    pub fn entries(&self) -> [Vec<(u64, u64)>; 2] {
        let mut bands: Vec<(u64, u64)> = self.bands.iter().flat_map(|b| b.sorted_pairs()).collect();
        bands.sort_unstable();
        [bands, self.postings.sorted_pairs()]
    }
}
