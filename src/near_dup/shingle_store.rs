//! Shingle sets spilled to a temporary file, so that batch clustering keeps only the LSH index
//! in memory.
//!
//! Exact verification needs every document's shingle set (about 2.5 KB for a news article),
//! which is five times what the index itself takes. Sets are appended to an anonymous temporary
//! file as they are computed and read back with positioned reads when a candidate is verified;
//! the page cache, not the process, holds them while they are hot, and the file disappears when
//! the store is dropped (or the process dies).

use crate::error::{Error, Result};
use crate::sketch::shingle_set::ShingleSet;
use std::fs::File;
use std::io::{BufWriter, Write};

/// Where one set lives in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredSet {
    offset: u64,
    len: u32,
}

impl StoredSet {
    /// Number of values in the set.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for an empty set.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Appends shingle sets to a temporary file; [`ShingleStore::finish`] makes it readable.
#[derive(Debug)]
pub struct ShingleStore {
    writer: BufWriter<File>,
    offset: u64,
    bytes: Vec<u8>,
}

/// Description used in error messages: the file has no name.
const WHAT: &str = "temporary shingle store (in TMPDIR)";

impl ShingleStore {
    /// A new store in the system's temporary directory (`TMPDIR`).
    pub fn new() -> Result<Self> {
        let file = tempfile::tempfile().map_err(|e| Error::io(WHAT, e))?;
        Ok(ShingleStore {
            writer: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
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
        self.writer
            .write_all(&self.bytes)
            .map_err(|e| Error::io(WHAT, e))?;
        let stored = StoredSet {
            offset: self.offset,
            len: u32::try_from(values.len())
                .map_err(|_| Error::capacity("values in one stored set", u64::from(u32::MAX)))?,
        };
        self.offset += self.bytes.len() as u64;
        Ok(stored)
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.offset
    }

    /// Flush and switch to reading.
    pub fn finish(self) -> Result<StoreReader> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(WHAT, e.into_error()))?;
        Ok(StoreReader {
            file: Reader::new(file),
        })
    }
}

/// Reads sets back from a finished [`ShingleStore`]; shareable between threads.
#[derive(Debug)]
pub struct StoreReader {
    file: Reader,
}

impl StoreReader {
    /// Read `set` into `values` (replacing its contents), using `bytes` as scratch.
    pub fn read(&self, set: StoredSet, bytes: &mut Vec<u8>, values: &mut Vec<u32>) -> Result<()> {
        bytes.resize(set.len() * 4, 0);
        self.file.read_at(bytes, set.offset)?;
        values.clear();
        values.extend(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        Ok(())
    }
}

/// Positioned reads: `pread` where the platform has it, a locked seek elsewhere.
#[derive(Debug)]
struct Reader {
    #[cfg(unix)]
    file: File,
    #[cfg(not(unix))]
    file: std::sync::Mutex<File>,
}

impl Reader {
    fn new(file: File) -> Self {
        #[cfg(unix)]
        return Reader { file };
        #[cfg(not(unix))]
        return Reader {
            file: std::sync::Mutex::new(file),
        };
    }

    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        use std::os::unix::fs::FileExt;
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| Error::io(WHAT, e))
    }

    #[cfg(not(unix))]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = self
            .file
            .lock()
            .map_err(|_| Error::io(WHAT, std::io::Error::other("poisoned lock")))?;
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(buf))
            .map_err(|e| Error::io(WHAT, e))
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
