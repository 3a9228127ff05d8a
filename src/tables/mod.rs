//! Tables reprint writes for a later run to continue from: signature tables (one per input
//! shard) and bucket tables, each stamped with what made it.
//!
//! Main choice: Parquet, so that the same tables feed `cluster` on one machine and a cluster
//! engine on many. Numbers are signed 64-bit integers (`INT64`), the type every engine reads
//! without a cast; unsigned types would read back negative or fail in some. A table's stamp
//! (the parameters and the input it was made from) sits in its key-value metadata, so a rerun
//! can tell a current table from a stale one without reading its rows.

pub mod shards;

use crate::read::parquet::{contained, shorten};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// Rows written per row group: large enough for good compression, small enough that readers
/// can work in parallel on a million rows.
pub(crate) const ROWS_PER_GROUP: usize = 1 << 17;

/// One row of a signature table: a document's signature and band keys, or a skipped record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignatureRow {
    /// The document id (`None` for a skipped record that had none).
    pub id: Option<String>,
    /// The outlet, when known.
    pub outlet: Option<String>,
    /// The date as given, when known.
    pub date: Option<String>,
    /// LSH band keys, one per band (empty for a skipped record).
    pub band_keys: Vec<u64>,
    /// MinHash values (empty for a skipped record).
    pub minhash: Vec<u32>,
    /// Where a skipped record came from.
    pub source: Option<String>,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// The key of the stamp in a signature table's key-value metadata.
pub const STAMP_KEY: &str = "reprint.stamp";

/// A row of a table that reprint writes with a stamp: its schema, and how a column of a row
/// group is written.
pub trait TableRow: Sized {
    /// The Parquet schema, in the message-type syntax.
    const SCHEMA: &'static str;
    /// Rows per row group.
    const ROWS_PER_GROUP: usize;
    /// Write column number `column` of `rows`.
    fn write_column(
        rows: &[Self],
        column: usize,
        writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()>;
}

/// A stamped table being written: `stamp` goes into the file's metadata under [`STAMP_KEY`],
/// rows are written a row group at a time.
pub struct StampedWriter<W: Write + Send, R: TableRow> {
    writer: SerializedFileWriter<W>,
    name: String,
    rows: Vec<R>,
}

/// A signature table being written: `id`, `outlet`, `date`, `band_keys` and `minhash`
/// (repeated `INT64`: band keys as their two's-complement bits, MinHash values widened), and
/// `source` and `reason` for a skipped record.
pub type SignatureWriter<W> = StampedWriter<W, SignatureRow>;

/// A bucket table being written: `band`, `key` (`INT64`) and `rows` (repeated `INT64`), one
/// row per bucket that two or more documents share.
pub type BucketWriter<W> = StampedWriter<W, BucketRow>;

impl<W: Write + Send, R: TableRow> StampedWriter<W, R> {
    /// Start a table on `out` (named `name` in messages), stamped with `stamp`.
    pub fn new(out: W, name: &str, stamp: &str) -> crate::Result<Self> {
        let err = |e| output_error(name, e);
        let schema = parquet::schema::parser::parse_message_type(R::SCHEMA).map_err(err)?;
        let properties = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
                STAMP_KEY.to_string(),
                stamp.to_string(),
            )]))
            .build();
        let writer =
            SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties)).map_err(err)?;
        Ok(StampedWriter {
            writer,
            name: name.to_string(),
            rows: Vec::new(),
        })
    }

    /// Add a row.
    pub fn push(&mut self, row: R) -> crate::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= R::ROWS_PER_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> crate::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let name = self.name.clone();
        let err = |e| output_error(&name, e);
        let rows = std::mem::take(&mut self.rows);
        let mut group = self.writer.next_row_group().map_err(err)?;
        let mut column = 0;
        while let Some(mut writer) = group.next_column().map_err(err)? {
            R::write_column(&rows, column, &mut writer).map_err(err)?;
            writer.close().map_err(err)?;
            column += 1;
        }
        group.close().map_err(err)?;
        Ok(())
    }

    /// Write what is left and the footer.
    pub fn finish(mut self) -> crate::Result<()> {
        self.flush()?;
        let name = self.name.clone();
        self.writer.close().map_err(|e| output_error(&name, e))?;
        Ok(())
    }
}

impl TableRow for SignatureRow {
    const SCHEMA: &'static str = "message signatures {
        OPTIONAL BYTE_ARRAY id (UTF8);
        OPTIONAL BYTE_ARRAY outlet (UTF8);
        OPTIONAL BYTE_ARRAY date (UTF8);
        REPEATED INT64 band_keys;
        REPEATED INT64 minhash;
        OPTIONAL BYTE_ARRAY source (UTF8);
        OPTIONAL BYTE_ARRAY reason (UTF8);
    }";
    // Each row holds about a kilobyte: groups smaller than cluster tables' bound what is
    // buffered.
    const ROWS_PER_GROUP: usize = 1 << 15;

    fn write_column(
        rows: &[Self],
        column: usize,
        writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()> {
        let text = |f: fn(&SignatureRow) -> Option<&str>| -> Vec<Option<&str>> {
            rows.iter().map(f).collect()
        };
        let bytes = |s: &&str| ByteArray::from(s.as_bytes().to_vec());
        match column {
            0 => write_optional::<ByteArrayType, _>(writer, &text(|r| r.id.as_deref()), bytes),
            1 => write_optional::<ByteArrayType, _>(writer, &text(|r| r.outlet.as_deref()), bytes),
            2 => write_optional::<ByteArrayType, _>(writer, &text(|r| r.date.as_deref()), bytes),
            3 => write_repeated(
                writer,
                rows.iter().map(|r| r.band_keys.iter().map(|&k| k as i64)),
            ),
            4 => write_repeated(
                writer,
                rows.iter().map(|r| r.minhash.iter().map(|&v| i64::from(v))),
            ),
            5 => write_optional::<ByteArrayType, _>(writer, &text(|r| r.source.as_deref()), bytes),
            _ => write_optional::<ByteArrayType, _>(writer, &text(|r| r.reason.as_deref()), bytes),
        }
    }
}

/// One bucket of a bucket table: the documents (by row across the signature tables, in order)
/// that share a band key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketRow {
    /// The band.
    pub band: u32,
    /// The band key's low 32 bits, which buckets are grouped by.
    pub key: u32,
    /// The rows that share it, counted over every row of the signature tables in table order
    /// from 0 (skipped records included), increasing.
    pub rows: Vec<u64>,
}

impl TableRow for BucketRow {
    const SCHEMA: &'static str = "message buckets {
        REQUIRED INT64 band;
        REQUIRED INT64 key;
        REPEATED INT64 rows;
    }";
    // Most buckets hold two or three rows.
    const ROWS_PER_GROUP: usize = 1 << 16;

    fn write_column(
        rows: &[Self],
        column: usize,
        writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()> {
        match column {
            0 | 1 => {
                let values: Vec<i64> = rows
                    .iter()
                    .map(|b| i64::from(if column == 0 { b.band } else { b.key }))
                    .collect();
                writer
                    .typed::<Int64Type>()
                    .write_batch(&values, None, None)
                    .map(|_| ())
            }
            _ => write_repeated(
                writer,
                rows.iter().map(|b| b.rows.iter().map(|&r| r as i64)),
            ),
        }
    }
}

/// Read a bucket table written by [`BucketWriter`]: its stamp goes to `check` first, then its
/// buckets to `f`, in order. `path` names the table in errors.
pub fn read_bucket_table(
    path: &std::path::Path,
    check: impl FnOnce(&str) -> crate::Result<()>,
    mut f: impl FnMut(BucketRow) -> crate::Result<()>,
) -> crate::Result<()> {
    read_stamped(path, "bucket table", check, &mut |row, bad| {
        let mut out = BucketRow::default();
        let columns: Vec<&str> = row.get_column_iter().map(|(n, _)| n.as_str()).collect();
        if !["band", "key", "rows"].iter().all(|c| columns.contains(c)) {
            return Err(bad(format!(
                "a bucket needs columns band, key and rows, not {}",
                columns.join(", ")
            )));
        }
        for (name, value) in row.get_column_iter() {
            let number =
                |v: i64| u32::try_from(v).map_err(|_| bad(format!("{name} {v} out of range")));
            match (name.as_str(), value) {
                ("band", Field::Long(v)) => out.band = number(*v)?,
                ("key", Field::Long(v)) => out.key = number(*v)?,
                ("rows", _) => {
                    out.rows = longs(value, name, bad)?
                        .into_iter()
                        .map(|r| u64::try_from(r).map_err(|_| bad(format!("row {r} out of range"))))
                        .collect::<crate::Result<_>>()?
                }
                _ => {}
            }
        }
        if out.rows.len() < 2 {
            return Err(bad(format!(
                "a bucket of {} rows: only buckets two or more rows share are written",
                out.rows.len()
            )));
        }
        f(out)
    })
}

/// The stamp a signature table carries, if it is one.
pub fn read_stamp(file: File) -> Option<String> {
    let reader = contained(|| SerializedFileReader::new(file)).ok()?.ok()?;
    let metadata = reader.metadata().file_metadata().key_value_metadata()?;
    metadata
        .iter()
        .find(|kv| kv.key == STAMP_KEY)
        .and_then(|kv| kv.value.clone())
}

/// Read a signature table written by [`SignatureWriter`]: its stamp goes to `check` first,
/// then its rows to `f`, in order. `path` names the table in errors.
pub fn read_signature_table(
    path: &std::path::Path,
    check: impl FnOnce(&str) -> crate::Result<()>,
    mut f: impl FnMut(SignatureRow) -> crate::Result<()>,
) -> crate::Result<()> {
    read_stamped(path, "signature table", check, &mut |row, bad| {
        let mut out = SignatureRow::default();
        for (name, value) in row.get_column_iter() {
            let text = match value {
                Field::Str(s) => Some(s.clone()),
                _ => None,
            };
            match name.as_str() {
                "id" => out.id = text,
                "outlet" => out.outlet = text,
                "date" => out.date = text,
                "source" => out.source = text,
                "reason" => out.reason = text,
                "band_keys" => {
                    out.band_keys = longs(value, name, bad)?
                        .into_iter()
                        .map(|k| k as u64)
                        .collect()
                }
                "minhash" => {
                    out.minhash = longs(value, name, bad)?
                        .into_iter()
                        .map(|v| {
                            u32::try_from(v)
                                .map_err(|_| bad(format!("MinHash value {v} out of range")))
                        })
                        .collect::<crate::Result<_>>()?
                }
                _ => {}
            }
        }
        f(out)
    })
}

/// How a row reader reports a problem: as bad input on the table.
type Bad<'a> = &'a dyn Fn(String) -> crate::Error;

/// The values of a repeated `INT64` cell (none for any other cell).
fn longs(value: &Field, name: &str, bad: Bad<'_>) -> crate::Result<Vec<i64>> {
    match value {
        Field::ListInternal(list) => (0..list.len())
            .map(|i| {
                parquet::record::ListAccessor::get_long(list, i)
                    .map_err(|e| bad(format!("column `{name}`: {e}")))
            })
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// Read a table that reprint wrote (`what` names its kind): its stamp to `check`, then every
/// row to `f`, with panics of the parquet crate contained as errors on the table.
fn read_stamped(
    path: &std::path::Path,
    what: &str,
    check: impl FnOnce(&str) -> crate::Result<()>,
    f: &mut dyn FnMut(&parquet::record::Row, Bad<'_>) -> crate::Result<()>,
) -> crate::Result<()> {
    contained(|| read_table(path, what, check, f)).unwrap_or_else(|panic| {
        Err(crate::Error::BadInput {
            origin: path.display().to_string(),
            reason: format!("corrupt table: {}", shorten(&panic)),
        })
    })
}

fn read_table(
    path: &std::path::Path,
    what: &str,
    check: impl FnOnce(&str) -> crate::Result<()>,
    f: &mut dyn FnMut(&parquet::record::Row, Bad<'_>) -> crate::Result<()>,
) -> crate::Result<()> {
    let bad = |reason: String| crate::Error::BadInput {
        origin: path.display().to_string(),
        reason: shorten(&reason),
    };
    let file = File::open(path).map_err(|e| crate::Error::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| bad(format!("not a {what}: {e}")))?;
    let stamp = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == STAMP_KEY))
        .and_then(|kv| kv.value.clone())
        .ok_or_else(|| bad(format!("no reprint stamp: not a {what} written by reprint")))?;
    check(&stamp)?;
    for group in 0..reader.metadata().num_row_groups() {
        let group_reader = reader
            .get_row_group(group)
            .map_err(|e| bad(format!("row group {group}: {e}")))?;
        let rows = group_reader
            .get_row_iter(None)
            .map_err(|e| bad(format!("row group {group}: {e}")))?;
        for row in rows {
            let row = row.map_err(|e| bad(format!("row group {group}: {e}")))?;
            f(&row, &bad)?;
        }
    }
    Ok(())
}

/// Write one repeated `INT64` column: per row, its values (a row without values is one empty
/// list, written as a single undefined level).
fn write_repeated<R, V>(
    writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    rows: R,
) -> parquet::errors::Result<()>
where
    R: Iterator<Item = V>,
    V: Iterator<Item = i64>,
{
    let (mut values, mut definition, mut repetition) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let before = values.len();
        values.extend(row);
        if values.len() == before {
            definition.push(0);
            repetition.push(0);
        } else {
            for i in 0..values.len() - before {
                definition.push(1);
                repetition.push(i16::from(i > 0));
            }
        }
    }
    writer
        .typed::<Int64Type>()
        .write_batch(&values, Some(&definition), Some(&repetition))?;
    Ok(())
}

/// Write one optional column: the present values, and a definition level per row.
pub(crate) fn write_optional<T, V>(
    writer: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    cells: &[Option<V>],
    value: impl Fn(&V) -> T::T,
) -> parquet::errors::Result<()>
where
    T: parquet::data_type::DataType,
{
    let values: Vec<T::T> = cells.iter().flatten().map(value).collect();
    let levels: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
    writer
        .typed::<T>()
        .write_batch(&values, Some(&levels), None)?;
    Ok(())
}

/// A Parquet writing error as an output error on `name`.
pub(crate) fn output_error(name: &str, e: parquet::errors::ParquetError) -> crate::Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            crate::Error::io(name, std::io::Error::other(inner))
        }
        other => crate::Error::io(name, std::io::Error::other(other.to_string())),
    }
}
