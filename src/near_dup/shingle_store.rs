//! Shingle sets spilled to a temporary file, so that batch clustering keeps only the LSH index
//! in memory.
//!
//! Exact verification needs every document's shingle set (about 2.5 KB for a news article),
//! which is five times what the index itself takes. Sets are appended to an anonymous temporary
//! file as they are computed and read back with positioned reads when a candidate is verified;
//! the page cache, not the process, holds them while they are hot, and the file disappears when
//! the store is dropped (or the process dies).

use crate::error::Result;
use crate::sketch::shingle_set::ShingleSet;
use crate::spill::{Record, RecordReader, RecordWriter};

/// Where one set lives in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredSet {
    record: Record,
}

impl StoredSet {
    /// Number of values in the set.
    pub fn len(&self) -> usize {
        self.record.len() / 4
    }

    /// True for an empty set.
    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }
}

/// Appends shingle sets to a temporary file; [`ShingleStore::finish`] makes it readable.
#[derive(Debug)]
pub struct ShingleStore {
    writer: RecordWriter,
    bytes: Vec<u8>,
}

/// Description used in error messages: the file has no name.
const WHAT: &str = "temporary shingle store (in TMPDIR)";

impl ShingleStore {
    /// A new store in the system's temporary directory (`TMPDIR`).
    pub fn new() -> Result<Self> {
        Ok(ShingleStore {
            writer: RecordWriter::new(WHAT)?,
            bytes: Vec::new(),
        })
    }

    /// Append `set`.
    pub fn push(&mut self, set: &ShingleSet) -> Result<StoredSet> {
        self.push_values(set.values())
    }

    /// Append any sequence of values (a MinHash signature, say); they are read back in order.
    pub fn push_values(&mut self, values: &[u32]) -> Result<StoredSet> {
        self.bytes.clear();
        for v in values {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        Ok(StoredSet {
            record: self.writer.push(&self.bytes)?,
        })
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.writer.bytes()
    }

    /// Flush and switch to reading.
    pub fn finish(self) -> Result<StoreReader> {
        Ok(StoreReader {
            file: self.writer.finish()?,
        })
    }
}

/// Reads sets back from a finished [`ShingleStore`]; shareable between threads.
#[derive(Debug)]
pub struct StoreReader {
    file: RecordReader,
}

impl StoreReader {
    /// Read `set` into `values` (replacing its contents), using `bytes` as scratch.
    pub fn read(&self, set: StoredSet, bytes: &mut Vec<u8>, values: &mut Vec<u32>) -> Result<()> {
        self.file.read(set.record, bytes)?;
        values.clear();
        values.extend(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_come_back_as_they_went_in() {
        let mut store = ShingleStore::new().unwrap();
        let a = ShingleSet::from_hashes([5, 1, 9, 1 << 40]);
        let b = ShingleSet::default();
        let c = ShingleSet::from_hashes(0..1000);
        let stored: Vec<StoredSet> = [&a, &b, &c]
            .iter()
            .map(|s| store.push(s).unwrap())
            .collect();
        assert_eq!(store.bytes(), 4 * (4 + 1000));
        let reader = store.finish().unwrap();
        let (mut bytes, mut values) = (Vec::new(), Vec::new());
        for (set, original) in stored.iter().zip([&a, &b, &c]) {
            reader.read(*set, &mut bytes, &mut values).unwrap();
            assert_eq!(values.as_slice(), original.values());
        }
    }
}
