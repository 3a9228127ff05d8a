//! Records spilled to an anonymous temporary file and read back by position: what lets a stage
//! keep per-document data (shingle sets, texts, term counts, sentence terms) out of memory.
//!
//! Main choice: records are appended once, in any order, and read back with positioned reads
//! (`pread` where the platform has it), so any number of threads read at once without a lock
//! and the page cache, not the process, holds what is hot. Memory holds only a [`Record`] (12
//! bytes) per record; the file disappears when the reader is dropped or the process dies.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};

/// Where one record lives in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    offset: u64,
    len: u32,
}

impl Record {
    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True for an empty record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Appends records to a temporary file; [`RecordWriter::finish`] makes it readable.
#[derive(Debug)]
pub struct RecordWriter {
    writer: BufWriter<File>,
    offset: u64,
    what: &'static str,
}

impl RecordWriter {
    /// A new file in the system's temporary directory (`TMPDIR`); `what` names it in errors
    /// ("temporary file of texts").
    pub fn new(what: &'static str) -> Result<Self> {
        let file = tempfile::tempfile().map_err(|e| Error::io(what, e))?;
        Ok(RecordWriter {
            writer: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
            what,
        })
    }

    /// Append `bytes` as one record (at most 4 GiB).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Record> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| Error::capacity("bytes in one spilled record", u64::from(u32::MAX)))?;
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(self.what, e))?;
        let record = Record {
            offset: self.offset,
            len,
        };
        self.offset += u64::from(len);
        Ok(record)
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.offset
    }

    /// Flush and switch to reading.
    pub fn finish(self) -> Result<RecordReader> {
        let what = self.what;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(what, e.into_error()))?;
        Ok(RecordReader {
            file: Reader::new(file),
            what,
        })
    }
}

/// Reads records back from a finished [`RecordWriter`]; shareable between threads.
#[derive(Debug)]
pub struct RecordReader {
    file: Reader,
    what: &'static str,
}

impl RecordReader {
    /// Read `record` into `bytes`, replacing what it held.
    pub fn read(&self, record: Record, bytes: &mut Vec<u8>) -> Result<()> {
        bytes.clear();
        bytes.resize(record.len(), 0);
        self.file
            .read_at(bytes, record.offset)
            .map_err(|e| Error::io(self.what, e))
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
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.read_exact_at(buf, offset)
    }

    #[cfg(not(unix))]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        // A poisoned lock only means another reader panicked; the file is still whole.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(buf))
    }
}

/// A value that can wait in a record: encoded to bytes and decoded back the same.
pub(crate) trait Spillable: Sized {
    /// Append the encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Decode what [`Spillable::encode`] wrote; `None` when the bytes are not such an encoding.
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// Values of one type, one per document, written to a temporary file in any order (a later
/// write for a document replaces the earlier one) and read back by document.
#[derive(Debug)]
pub(crate) struct SpillWriter<T> {
    writer: RecordWriter,
    records: Vec<Record>,
    what: &'static str,
    _values: std::marker::PhantomData<fn(T)>,
}

impl<T: Spillable> SpillWriter<T> {
    /// A new file for `documents` values (each empty until written), named `what` in errors.
    pub(crate) fn new(what: &'static str, documents: usize) -> Result<Self> {
        Ok(SpillWriter {
            writer: RecordWriter::new(what)?,
            records: vec![Record::default(); documents],
            what,
            _values: std::marker::PhantomData,
        })
    }

    /// Write document `i`'s value, already encoded (by another thread, say).
    pub(crate) fn put_encoded(&mut self, i: usize, bytes: &[u8]) -> Result<()> {
        let record = self.writer.push(bytes)?;
        match self.records.get_mut(i) {
            Some(slot) => *slot = record,
            None => {
                return Err(Error::invalid(
                    "document",
                    format!("{i} is past the {} of {}", self.records.len(), self.what),
                ))
            }
        }
        Ok(())
    }

    /// Flush and switch to reading.
    pub(crate) fn finish(self) -> Result<Spilled<T>> {
        Ok(Spilled {
            file: self.writer.finish()?,
            records: self.records,
            what: self.what,
            _values: std::marker::PhantomData,
        })
    }
}

/// Values written by a [`SpillWriter`], read back by document from any thread.
#[derive(Debug)]
pub(crate) struct Spilled<T> {
    file: RecordReader,
    records: Vec<Record>,
    what: &'static str,
    _values: std::marker::PhantomData<fn() -> T>,
}

impl<T: Spillable> Spilled<T> {
    /// Document `i`'s value, decoded from the file (`bytes` is scratch).
    pub(crate) fn get(&self, i: usize, bytes: &mut Vec<u8>) -> Result<T> {
        let record = self.records.get(i).copied().unwrap_or_default();
        self.file.read(record, bytes)?;
        T::decode(bytes).ok_or_else(|| {
            Error::io(
                self.what,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("document {i}'s record does not decode"),
                ),
            )
        })
    }
}

/// Little-endian encoding of the plain values records are made of.
pub(crate) mod codec {
    /// Values with a fixed-size little-endian encoding.
    pub(crate) trait Plain: Copy {
        /// Encoded size in bytes.
        const SIZE: usize;
        /// Append the encoding to `out`.
        fn put(self, out: &mut Vec<u8>);
        /// Decode from exactly [`Plain::SIZE`] bytes.
        fn get(bytes: &[u8]) -> Self;
    }

    macro_rules! plain {
        ($($t:ty),*) => {$(
            impl Plain for $t {
                const SIZE: usize = std::mem::size_of::<$t>();
                fn put(self, out: &mut Vec<u8>) {
                    out.extend_from_slice(&self.to_le_bytes());
                }
                fn get(bytes: &[u8]) -> Self {
                    let mut b = [0u8; std::mem::size_of::<$t>()];
                    b.copy_from_slice(bytes);
                    <$t>::from_le_bytes(b)
                }
            }
        )*};
    }
    plain!(u8, u16, u32, u64, f32, f64);

    /// Append `values` with their count.
    pub(crate) fn put_slice<T: Plain>(out: &mut Vec<u8>, values: &[T]) {
        (values.len() as u64).put(out);
        for v in values {
            v.put(out);
        }
    }

    /// Reads back what [`put_slice`] wrote, in order.
    pub(crate) struct Cursor<'a> {
        bytes: &'a [u8],
    }

    impl<'a> Cursor<'a> {
        /// Read from the start of `bytes`.
        pub(crate) fn new(bytes: &'a [u8]) -> Self {
            Cursor { bytes }
        }

        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            if n > self.bytes.len() {
                return None;
            }
            let (head, rest) = self.bytes.split_at(n);
            self.bytes = rest;
            Some(head)
        }

        /// The next value, or `None` past the end.
        pub(crate) fn value<T: Plain>(&mut self) -> Option<T> {
            self.take(T::SIZE).map(T::get)
        }

        /// The next slice written by [`put_slice`], or `None` when the bytes are cut short.
        pub(crate) fn slice<T: Plain>(&mut self) -> Option<Vec<T>> {
            let n = usize::try_from(self.value::<u64>()?).ok()?;
            let bytes = self.take(n.checked_mul(T::SIZE)?)?;
            Some(bytes.chunks_exact(T::SIZE).map(T::get).collect())
        }

        /// True when every byte has been read.
        pub(crate) fn is_done(&self) -> bool {
            self.bytes.is_empty()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::codec::{put_slice, Cursor};
    use super::*;

    #[test]
    fn records_come_back_as_they_went_in_from_any_thread() -> Result<()> {
        let mut writer = RecordWriter::new("test file")?;
        let items: Vec<Vec<u8>> = (0..200u32)
            .map(|i| (0..i * 7).map(|b| (b ^ i) as u8).collect())
            .collect();
        let records: Vec<Record> = items
            .iter()
            .map(|b| writer.push(b))
            .collect::<Result<_>>()?;
        assert_eq!(
            writer.bytes(),
            items.iter().map(|b| b.len() as u64).sum::<u64>()
        );
        let reader = writer.finish()?;
        std::thread::scope(|scope| {
            for part in 0..2 {
                let (reader, records, items) = (&reader, &records, &items);
                scope.spawn(move || {
                    let mut buf = vec![1, 2, 3];
                    for i in (part..records.len()).step_by(2).rev() {
                        reader.read(records[i], &mut buf).unwrap();
                        assert_eq!(buf, items[i]);
                    }
                });
            }
        });
        Ok(())
    }

    #[test]
    fn slices_decode_as_encoded_and_short_bytes_are_refused() {
        let mut out = Vec::new();
        put_slice(&mut out, &[1u64, u64::MAX]);
        put_slice(&mut out, &[0.5f32, -2.0]);
        put_slice::<u16>(&mut out, &[]);
        let mut cursor = Cursor::new(&out);
        assert_eq!(cursor.slice::<u64>(), Some(vec![1, u64::MAX]));
        assert_eq!(cursor.slice::<f32>(), Some(vec![0.5, -2.0]));
        assert_eq!(cursor.slice::<u16>(), Some(vec![]));
        assert!(cursor.is_done());
        assert_eq!(
            Cursor::new(&out[..out.len() - 9]).slice::<u64>(),
            Some(vec![1, u64::MAX])
        );
        let mut short = Cursor::new(&out[..12]);
        assert_eq!(short.slice::<u64>(), None);
    }
}
