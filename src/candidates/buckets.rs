//! Finding candidates within a memory budget: band keys grouped into buckets by an external
//! sort instead of held in an in-memory index.
//!
//! Main choice: sort, then replay. Every document's band keys go to a [`KeySorter`] (a
//! budgeted buffer sorted and spilled to temporary files, merged back in order by `extsort`),
//! which yields the buckets, documents sharing a band key. Only buckets of two or more
//! documents can ever produce a candidate, and on news archives they are a small part of the
//! whole, so only those are kept: a [`BucketGrouper`] numbers them, writes their members to a
//! temporary file, and sorts (again within the budget) each document's shared buckets into
//! the order in which clustering visits documents. Clustering then replays that stream and
//! keeps in memory only the representatives of buckets still open: a bucket is dropped once
//! its last member has been visited.
//!
//! Tables key on the low 32 bits of band keys, as [`BandIndex`](crate::candidates::band_index::BandIndex)
//! does, so both find exactly the same candidates and give the same clusters.

use crate::error::{Error, Result};
use extsort::{ExternalSorter, PushExternalSorter, Sortable, SortedIterator};
use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use tempfile::TempDir;

/// Description used in error messages: the sort's files have no names a user would know.
const WHAT: &str = "temporary sort file";

/// Smallest sort buffer, in records, whatever the budget: below this the files multiply.
const MIN_SEGMENT: usize = 1 << 12;

/// How many records of `T` one sort buffer may hold within `bytes`: the buffer is a vector
/// that may double as it grows, so half of it.
fn segment_items<T>(bytes: usize) -> usize {
    (bytes / 2 / std::mem::size_of::<T>()).max(MIN_SEGMENT)
}

type Order<T> = fn(&T, &T) -> Ordering;

/// A budgeted external sort of fixed-size records ordered by `Ord`, spilling into its own
/// temporary directory. The directory must outlive the sort and what it returns: its owner
/// holds it after them, so that the files are closed before it is removed.
fn sorter<T: Sortable + Ord>(bytes: usize) -> Result<(PushExternalSorter<T, Order<T>>, TempDir)> {
    let dir = tempfile::Builder::new()
        .prefix("reprint-sort")
        .tempdir()
        .map_err(sort_error)?;
    let sorter = ExternalSorter::new()
        .with_segment_size(segment_items::<T>(bytes))
        .with_sort_dir(dir.path().to_path_buf())
        .with_parallel_sort()
        .pushed_by(T::cmp as Order<T>);
    Ok((sorter, dir))
}

/// An error of the sorts' temporary files. Every spilled run stays open until the merge, so a
/// small budget over a large input can run out of file descriptors: that one says what to do.
fn sort_error(e: std::io::Error) -> Error {
    const TOO_MANY_OPEN_FILES: i32 = 24;
    if cfg!(unix) && e.raw_os_error() == Some(TOO_MANY_OPEN_FILES) {
        return Error::io(
            format!("{WHAT} (in TMPDIR)"),
            std::io::Error::other(format!(
                "{e}: the sort spilled more runs than can be open at once; give a larger \
                 --memory-limit, or raise `ulimit -n`"
            )),
        );
    }
    Error::io(format!("{WHAT} (in TMPDIR)"), e)
}

fn write_u32s<W: Write>(w: &mut W, values: &[u32]) -> std::io::Result<()> {
    let mut bytes = [0u8; 12];
    for (chunk, v) in bytes.chunks_exact_mut(4).zip(values) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    w.write_all(&bytes[..values.len() * 4])
}

fn read_u32s<R: Read, const N: usize>(r: &mut R) -> std::io::Result<[u32; N]> {
    let mut bytes = [0u8; 12];
    r.read_exact(&mut bytes[..N * 4])?;
    let mut out = [0u32; N];
    for (v, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Ok(out)
}

/// A sort record of `u32` fields, ordered field by field and written as little-endian words.
macro_rules! sort_record {
    ($(#[$doc:meta])* $name:ident { $($field:ident),+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        struct $name {
            $($field: u32),+
        }

        impl Sortable for $name {
            fn encode<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
                write_u32s(w, &[$(self.$field),+])
            }

            fn decode<R: Read>(r: &mut R) -> std::io::Result<Self> {
                let [$($field),+] = read_u32s(r)?;
                Ok($name { $($field),+ })
            }
        }
    };
}

sort_record! {
    /// One band key of one document, ordered by bucket (band, key), then document.
    KeyEntry { band, key, doc }
}

/// A document's number as the sorts carry it.
fn doc_number(doc: usize) -> Result<u32> {
    u32::try_from(doc).map_err(|_| Error::capacity("documents in one run", u64::from(u32::MAX)))
}

/// Collects band keys, one set per document, for grouping by an external sort.
pub struct KeySorter {
    sorter: PushExternalSorter<KeyEntry, Order<KeyEntry>>,
    dir: TempDir,
}

impl KeySorter {
    /// A sorter that holds at most about `bytes` of keys in memory before spilling them into
    /// a temporary directory (in `TMPDIR`).
    pub fn new(bytes: usize) -> Result<Self> {
        let (sorter, dir) = sorter(bytes)?;
        Ok(KeySorter { sorter, dir })
    }

    /// Add document `doc`'s band keys (as the index keys them: see
    /// [`short_keys`](crate::near_dup::cluster::short_keys)), band by band.
    pub fn push(&mut self, doc: usize, keys: &[u32]) -> Result<()> {
        let doc = doc_number(doc)?;
        for (band, &key) in keys.iter().enumerate() {
            let band = doc_number(band)?;
            self.sorter
                .push(KeyEntry { band, key, doc })
                .map_err(sort_error)?;
        }
        Ok(())
    }

    /// Sort what was pushed.
    pub fn finish(self) -> Result<SortedKeys> {
        let sorted = self.sorter.done().map_err(sort_error)?;
        Ok(SortedKeys {
            sorted,
            _dir: self.dir,
        })
    }
}

/// Band keys in bucket order, from [`KeySorter::finish`].
pub struct SortedKeys {
    sorted: SortedIterator<KeyEntry, Order<KeyEntry>>,
    _dir: TempDir,
}

impl SortedKeys {
    /// Temporary files the sort spilled to (0 when everything fit in its budget).
    pub fn spilled_files(&self) -> usize {
        self.sorted.disk_segment_count()
    }

    /// Call `f(band, key, documents)` for every bucket that two or more documents share, in
    /// order of band and key; documents in increasing order.
    pub fn for_each_shared(self, mut f: impl FnMut(u32, u32, &[u32]) -> Result<()>) -> Result<()> {
        let mut docs: Vec<u32> = Vec::new();
        let mut bucket: Option<(u32, u32)> = None;
        let SortedKeys { sorted, _dir } = self;
        for entry in sorted {
            let entry = entry.map_err(sort_error)?;
            let this = (entry.band, entry.key);
            if bucket != Some(this) {
                if let Some((band, key)) = bucket {
                    if docs.len() > 1 {
                        f(band, key, &docs)?;
                    }
                }
                docs.clear();
                bucket = Some(this);
            }
            docs.push(entry.doc);
        }
        if let Some((band, key)) = bucket {
            if docs.len() > 1 {
                f(band, key, &docs)?;
            }
        }
        Ok(())
    }
}

sort_record! {
    /// One shared bucket of one document, ordered by the document's visit position: `bucket`
    /// carries the bucket number shifted left, and a low bit set when no later-visited
    /// document is in the bucket.
    SharedEntry { position, bucket }
}

/// Numbers shared buckets and sorts each document's buckets into visit order.
pub struct BucketGrouper<'a> {
    positions: &'a [u32],
    sorter: PushExternalSorter<SharedEntry, Order<SharedEntry>>,
    members: BufWriter<File>,
    buckets: u32,
    scratch: Vec<u32>,
    dir: TempDir,
}

/// Most shared buckets one run can number (one bit of the sort record is a flag).
const MAX_BUCKETS: u32 = 1 << 31;

impl<'a> BucketGrouper<'a> {
    /// A grouper for documents whose visit positions are `positions` (indexed by document),
    /// holding at most about `bytes` of records in memory before spilling them.
    pub fn new(positions: &'a [u32], bytes: usize) -> Result<Self> {
        let file = tempfile::tempfile().map_err(sort_error)?;
        let (sorter, dir) = sorter(bytes)?;
        Ok(BucketGrouper {
            positions,
            sorter,
            members: BufWriter::with_capacity(1 << 20, file),
            buckets: 0,
            scratch: Vec::new(),
            dir,
        })
    }

    /// Add one bucket: the documents that share a band key, in any order. Repeats count once;
    /// a number past the documents is an error. A bucket of fewer than two is ignored.
    pub fn add(&mut self, docs: &[u32]) -> Result<()> {
        self.scratch.clear();
        self.scratch.extend_from_slice(docs);
        self.scratch.sort_unstable();
        self.scratch.dedup();
        if self.scratch.len() < 2 {
            return Ok(());
        }
        if self.buckets >= MAX_BUCKETS {
            return Err(Error::capacity(
                "shared buckets in one run",
                u64::from(MAX_BUCKETS),
            ));
        }
        let mut last = 0u32;
        for &doc in &self.scratch {
            let position = *self
                .positions
                .get(doc as usize)
                .ok_or_else(|| Error::BadInput {
                    origin: "bucket table".into(),
                    reason: format!("a bucket names document {doc}, past the last"),
                })?;
            last = last.max(position);
        }
        let bucket = self.buckets;
        self.buckets += 1;
        write_group(&mut self.members, &self.scratch).map_err(sort_error)?;
        for &doc in &self.scratch {
            let position = self.positions[doc as usize];
            let flag = u32::from(position == last);
            self.sorter
                .push(SharedEntry {
                    position,
                    bucket: bucket << 1 | flag,
                })
                .map_err(sort_error)?;
        }
        Ok(())
    }

    /// Number of shared buckets added so far.
    pub fn buckets(&self) -> usize {
        self.buckets as usize
    }

    /// Sort what was added.
    pub fn finish(self) -> Result<SharedBuckets> {
        let mut file = self
            .members
            .into_inner()
            .map_err(|e| sort_error(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(sort_error)?;
        let by_position = self.sorter.done().map_err(sort_error)?;
        Ok(SharedBuckets {
            by_position,
            pending: None,
            members: file,
            buckets: self.buckets as usize,
            _dir: self.dir,
        })
    }
}

fn write_group<W: Write>(w: &mut W, docs: &[u32]) -> std::io::Result<()> {
    let len = u32::try_from(docs.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_le_bytes())?;
    for d in docs {
        w.write_all(&d.to_le_bytes())?;
    }
    Ok(())
}

/// Shared buckets, ready to be replayed in visit order ([`SharedBuckets::next_document`]) and
/// then read back whole ([`SharedBuckets::for_each_bucket`]).
pub struct SharedBuckets {
    by_position: SortedIterator<SharedEntry, Order<SharedEntry>>,
    pending: Option<SharedEntry>,
    members: File,
    buckets: usize,
    _dir: TempDir,
}

/// A shared bucket of the document being visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenBucket {
    /// Its number.
    pub bucket: u32,
    /// True when no document visited later is in it: it can be forgotten after this one.
    pub closes: bool,
}

impl SharedBuckets {
    /// Number of shared buckets.
    pub fn len(&self) -> usize {
        self.buckets
    }

    /// Whether no bucket is shared.
    pub fn is_empty(&self) -> bool {
        self.buckets == 0
    }

    /// Temporary files the visit-order sort spilled to.
    pub fn spilled_files(&self) -> usize {
        self.by_position.disk_segment_count()
    }

    /// Replace `out` with the shared buckets of the document at visit `position`. Positions
    /// must be asked in increasing order.
    pub fn next_document(&mut self, position: usize, out: &mut Vec<OpenBucket>) -> Result<()> {
        out.clear();
        loop {
            let entry = match self.pending.take() {
                Some(e) => e,
                None => match self.by_position.next() {
                    Some(e) => e.map_err(sort_error)?,
                    None => return Ok(()),
                },
            };
            match (entry.position as usize).cmp(&position) {
                Ordering::Less => continue,
                Ordering::Greater => {
                    self.pending = Some(entry);
                    return Ok(());
                }
                Ordering::Equal => out.push(OpenBucket {
                    bucket: entry.bucket >> 1,
                    closes: entry.bucket & 1 == 1,
                }),
            }
        }
    }

    /// Call `f(documents)` for every shared bucket, in the order they were added.
    pub fn for_each_bucket(&mut self, mut f: impl FnMut(&[u32]) -> Result<()>) -> Result<()> {
        self.members.seek(SeekFrom::Start(0)).map_err(sort_error)?;
        let mut reader = BufReader::with_capacity(1 << 20, &self.members);
        let mut docs: Vec<u32> = Vec::new();
        for _ in 0..self.buckets {
            let [len] = read_u32s(&mut reader).map_err(sort_error)?;
            docs.clear();
            for _ in 0..len {
                let [d] = read_u32s(&mut reader).map_err(sort_error)?;
                docs.push(d);
            }
            f(&docs)?;
        }
        Ok(())
    }
}

sort_record! {
    /// A candidate pair for the second look: a member and a representative (by visit
    /// position) sharing a bucket, ordered by member, then representative.
    PairEntry { member, leader_position }
}

/// Member–representative pairs, sorted within a budget and read back by member.
pub struct PairSorter {
    sorter: PushExternalSorter<PairEntry, Order<PairEntry>>,
    dir: TempDir,
}

impl PairSorter {
    /// A sorter holding at most about `bytes` of pairs in memory before spilling them.
    pub fn new(bytes: usize) -> Result<Self> {
        let (sorter, dir) = sorter(bytes)?;
        Ok(PairSorter { sorter, dir })
    }

    /// Add a pair: document `member` and the representative visited at `leader_position`.
    pub fn push(&mut self, member: u32, leader_position: u32) -> Result<()> {
        self.sorter
            .push(PairEntry {
                member,
                leader_position,
            })
            .map_err(sort_error)
    }

    /// Call `f(member, leader positions)` per member with pairs, in increasing member order;
    /// the positions increasing, without repeats.
    pub fn for_each_member(self, mut f: impl FnMut(u32, &[u32]) -> Result<()>) -> Result<()> {
        let PairSorter { sorter, dir } = self;
        let sorted = sorter.done().map_err(sort_error)?;
        let mut member: Option<u32> = None;
        let mut leaders: Vec<u32> = Vec::new();
        for entry in sorted {
            let entry = entry.map_err(sort_error)?;
            if member != Some(entry.member) {
                if let Some(m) = member {
                    f(m, &leaders)?;
                }
                member = Some(entry.member);
                leaders.clear();
            }
            if leaders.last() != Some(&entry.leader_position) {
                leaders.push(entry.leader_position);
            }
        }
        if let Some(m) = member {
            f(m, &leaders)?;
        }
        // The runs were closed as the merge ended; only now does their directory go.
        drop(dir);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shared_buckets_come_out_in_key_order_across_spills() {
        // A tiny budget forces many spilled files.
        let mut keys = KeySorter::new(1).unwrap();
        let docs = 3 * MIN_SEGMENT;
        for doc in 0..docs {
            // Band 0: pairs of documents share a key; band 1: every key is unique.
            keys.push(doc, &[(doc / 2) as u32, 1_000_000 + doc as u32])
                .unwrap();
        }
        let sorted = keys.finish().unwrap();
        assert!(sorted.spilled_files() > 1);
        let mut seen = Vec::new();
        sorted
            .for_each_shared(|band, key, docs| {
                seen.push((band, key, docs.to_vec()));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen.len(), docs / 2);
        for (i, (band, key, members)) in seen.iter().enumerate() {
            assert_eq!((*band, *key), (0, i as u32));
            assert_eq!(members, &[2 * i as u32, 2 * i as u32 + 1]);
        }
    }

    #[test]
    fn buckets_replay_in_visit_order_and_close_at_their_last_member() {
        // Visit order reverses document order.
        let positions: Vec<u32> = (0..5).rev().collect();
        let mut grouper = BucketGrouper::new(&positions, 1).unwrap();
        grouper.add(&[0, 1]).unwrap(); // positions 4, 3
        grouper.add(&[3, 2, 3]).unwrap(); // positions 1, 2 (a repeat ignored)
        grouper.add(&[4]).unwrap(); // alone: ignored
        assert!(grouper.add(&[0, 9]).is_err());
        let mut shared = grouper.finish().unwrap();
        assert_eq!(shared.len(), 2);
        let mut open = Vec::new();
        let mut replay = Vec::new();
        for position in 0..5 {
            shared.next_document(position, &mut open).unwrap();
            replay.push(open.clone());
        }
        let b = |bucket, closes| OpenBucket { bucket, closes };
        assert_eq!(
            replay,
            [
                vec![],
                vec![b(1, false)],
                vec![b(1, true)],
                vec![b(0, false)],
                vec![b(0, true)],
            ]
        );
        let mut groups = Vec::new();
        shared
            .for_each_bucket(|docs| {
                groups.push(docs.to_vec());
                Ok(())
            })
            .unwrap();
        assert_eq!(groups, [vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn pairs_come_back_by_member_without_repeats() {
        let mut pairs = PairSorter::new(1).unwrap();
        for round in 0..3 {
            for member in (0..2 * MIN_SEGMENT as u32).rev() {
                pairs.push(member, member % 7 + round % 2).unwrap();
            }
        }
        let mut members = 0;
        pairs
            .for_each_member(|member, leaders| {
                assert_eq!(member, members);
                assert_eq!(leaders, [member % 7, member % 7 + 1]);
                members += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(members, 2 * MIN_SEGMENT as u32);
    }
}
