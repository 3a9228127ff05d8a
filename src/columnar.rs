//! Parquet in and out: documents from a table's columns, cluster assignments to a table.
//!
//! Archives kept for Spark, DuckDB or pandas are Parquet tables. Reading takes only the columns
//! the field names pick (`id`, `text`, `outlet`/`source`/`site`, `date`, or as renamed), one row
//! group at a time, so a wide table costs no more than its text. Numbers written are signed
//! 64-bit integers (`INT64`), the type every engine reads without a cast; unsigned types would
//! read back negative or fail in some. The crate is `parquet` without Arrow: rows and column
//! writers are all reprint needs, and Arrow would double the build. That crate panics on some
//! corrupt files, so every call into it runs contained (see `contained`): the panic becomes the
//! file's reported problem, and a panic hook, installed once, keeps it off the terminal.

use crate::document::{Origin, Skipped};
use crate::read::{FieldNames, RawRecord};
use crate::report::ClusterLine;
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// Rows of one Parquet file as records, read one row group at a time.
pub struct ParquetSource {
    file: Arc<str>,
    reader: SerializedFileReader<File>,
    /// The columns read.
    projection: Type,
    fields: FieldNames,
    next_group: usize,
    /// Rows read so far (the 1-based row number of the last one).
    row: u64,
    pending: VecDeque<RawRecord>,
}

impl ParquetSource {
    /// Open `file` (named `name` in messages) and check that it has the text and id columns.
    pub fn open(name: Arc<str>, file: File, fields: &FieldNames) -> Result<Self, String> {
        let reader = contained(|| SerializedFileReader::new(file))
            .map_err(|panic| format!("corrupt Parquet file: {}", shorten(&panic)))?
            .map_err(|e| format!("not Parquet: {}", shorten(&e.to_string())))?;
        let schema = reader.metadata().file_metadata().schema();
        let columns: Vec<_> = schema
            .get_fields()
            .iter()
            .filter(|f| {
                let name = f.name();
                name == fields.id
                    || name == fields.text
                    || name == fields.date
                    || name == fields.title
                    || fields.outlet_rank(name).is_some()
            })
            .cloned()
            .collect();
        for needed in [&fields.id, &fields.text] {
            if !columns.iter().any(|c| c.name() == needed) {
                let all: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
                return Err(format!(
                    "no column `{needed}` (columns: {}); name it with --{}-field",
                    all.join(", "),
                    if needed == &fields.id { "id" } else { "text" }
                ));
            }
        }
        // String columns are read as plain bytes, so that one bad cell is one skipped row
        // (checked as JSONL lines are), not a row group the reader gives up on.
        let columns = columns
            .into_iter()
            .map(|c| match c.as_ref() {
                Type::PrimitiveType {
                    basic_info,
                    physical_type: PhysicalType::BYTE_ARRAY,
                    ..
                } => Type::primitive_type_builder(basic_info.name(), PhysicalType::BYTE_ARRAY)
                    .with_repetition(basic_info.repetition())
                    .build()
                    .map(Arc::new),
                _ => Ok(c),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let projection = Type::group_type_builder(schema.name())
            .with_fields(columns)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ParquetSource {
            file: name,
            reader,
            projection,
            fields: fields.clone(),
            next_group: 0,
            row: 0,
            pending: VecDeque::new(),
        })
    }

    /// The next row's record; `None` after the last row group.
    pub fn next_record(&mut self) -> Option<RawRecord> {
        while self.pending.is_empty() {
            if self.next_group >= self.reader.metadata().num_row_groups() {
                return None;
            }
            let group = self.next_group;
            self.next_group += 1;
            // The parquet crate panics on some corrupt files: a panic there is that file's
            // problem, reported as one, never the end of the whole run.
            let read = contained(|| self.read_group(group))
                .unwrap_or_else(|panic| Err(format!("corrupt data: {panic}")));
            if let Err(reason) = read {
                // A broken row group: say so after the rows read before the break, and end the
                // file, as the rest cannot be counted.
                self.next_group = usize::MAX;
                self.pending.push_back(RawRecord::Unreadable(Skipped::new(
                    self.origin(self.row + 1),
                    None,
                    format!(
                        "row group {group}: {}; nothing after this was read",
                        shorten(&reason)
                    ),
                )));
            }
        }
        self.pending.pop_front()
    }

    fn origin(&self, row: u64) -> Origin {
        Origin {
            file: Arc::clone(&self.file),
            line: Some(row),
        }
    }

    fn read_group(&mut self, group: usize) -> Result<(), String> {
        let reader = self
            .reader
            .get_row_group(group)
            .map_err(|e| e.to_string())?;
        let rows = reader
            .get_row_iter(Some(self.projection.clone()))
            .map_err(|e| e.to_string())?;
        for row in rows {
            self.row += 1;
            let origin = self.origin(self.row);
            let row = match row {
                Ok(row) => row,
                // A cell the reader cannot convert (text that is not UTF-8). The reader cannot
                // step past it, so the rows after it are counted, not read.
                Err(e) => {
                    let total = self.reader.metadata().file_metadata().num_rows();
                    let rest = u64::try_from(total).unwrap_or(0).saturating_sub(self.row);
                    self.pending.push_back(RawRecord::Unreadable(Skipped::new(
                        origin,
                        None,
                        format!(
                            "{}; the {rest} rows after it were not read (the Parquet reader \
                             cannot go on past a bad cell)",
                            shorten(&e.to_string())
                        ),
                    )));
                    self.next_group = usize::MAX;
                    return Ok(());
                }
            };
            let (mut id, mut text, mut date, mut title) = (None, None, None, None);
            let mut outlet: Option<(u8, String)> = None;
            for (name, value) in row.get_column_iter() {
                if *name == self.fields.id {
                    id = Some(scalar(value));
                } else if *name == self.fields.text {
                    text = Some(match value {
                        Field::Str(s) => Ok(s.clone().into_bytes()),
                        Field::Bytes(b) => Ok(b.data().to_vec()),
                        Field::Null => Err("is null"),
                        _ => Err("is not a string"),
                    });
                } else if *name == self.fields.date {
                    date = date_of(value);
                } else if *name == self.fields.title {
                    title = match value {
                        Field::Str(s) if !s.trim().is_empty() => Some(s.clone()),
                        _ => None,
                    };
                } else if let Some(rank) = self.fields.outlet_rank(name) {
                    if let Ok(o) = scalar(value) {
                        if outlet.as_ref().is_none_or(|(r, _)| rank < *r) {
                            outlet = Some((rank, o));
                        }
                    }
                }
            }
            let id = match id {
                Some(Ok(id)) if id.is_empty() => Err("is empty"),
                Some(Ok(id)) => Ok(id),
                Some(Err(what)) => Err(what),
                None => Err("is missing"),
            };
            let record = match (id, text) {
                (Err(what), _) => RawRecord::Unreadable(Skipped::new(
                    origin,
                    None,
                    format!("column `{}` {what}", self.fields.id),
                )),
                (Ok(id), Some(Ok(bytes))) => RawRecord::Fields {
                    origin,
                    id,
                    outlet: outlet.map(|(_, o)| o),
                    date,
                    title,
                    bytes,
                    html: false,
                },
                (Ok(id), problem) => {
                    let what = match problem {
                        Some(Err(what)) => what,
                        _ => "is missing",
                    };
                    RawRecord::Unreadable(Skipped::new(
                        origin,
                        Some(id),
                        format!("column `{}` {what}", self.fields.text),
                    ))
                }
            };
            self.pending.push_back(record);
        }
        Ok(())
    }
}

/// A string or integer cell as text, or what is wrong with it.
fn scalar(value: &Field) -> Result<String, &'static str> {
    match value {
        Field::Str(s) => Ok(s.clone()),
        Field::Bytes(b) => std::str::from_utf8(b.data())
            .map(str::to_string)
            .map_err(|_| "is not valid UTF-8"),
        Field::Byte(n) => Ok(n.to_string()),
        Field::Short(n) => Ok(n.to_string()),
        Field::Int(n) => Ok(n.to_string()),
        Field::Long(n) => Ok(n.to_string()),
        Field::UByte(n) => Ok(n.to_string()),
        Field::UShort(n) => Ok(n.to_string()),
        Field::UInt(n) => Ok(n.to_string()),
        Field::ULong(n) => Ok(n.to_string()),
        Field::Null => Err("is null"),
        _ => Err("is not a string or an integer"),
    }
}

/// An error message cut to a readable length (some quote a whole cell).
fn shorten(message: &str) -> String {
    const MAX: usize = 120;
    match message.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_string(),
    }
}

/// A date cell as ISO 8601: a string as it is, a timestamp in UTC, a date as a day.
fn date_of(value: &Field) -> Option<String> {
    let utc = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    };
    match value {
        Field::Str(s) => Some(s.clone()),
        Field::Bytes(b) => std::str::from_utf8(b.data()).ok().map(str::to_string),
        Field::TimestampMillis(ms) => utc(chrono::DateTime::from_timestamp_millis(*ms)),
        Field::TimestampMicros(us) => utc(chrono::DateTime::from_timestamp_micros(*us)),
        Field::Date(days) => chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(*days))))
            .map(|d| d.to_string()),
        _ => None,
    }
}

/// Rows written per row group: large enough for good compression, small enough that readers
/// can work in parallel on a million rows.
const ROWS_PER_GROUP: usize = 1 << 17;

/// Write cluster assignments as a Parquet table, one row per input record in input order:
/// `id` (string), `cluster` (`INT64`), and for a skipped record `source` and `skipped` (the
/// reason), null otherwise, like the JSONL lines.
pub fn write_clusters<W: Write + Send>(
    out: W,
    name: &str,
    lines: &[ClusterLine<'_>],
) -> crate::Result<()> {
    let err = |e: parquet::errors::ParquetError| output_error(name, e);
    let string = |name: &str| {
        Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::String))
            .build()
            .map(Arc::new)
    };
    let cluster = Type::primitive_type_builder("cluster", PhysicalType::INT64)
        .with_repetition(Repetition::OPTIONAL)
        .build()
        .map(Arc::new)
        .map_err(err)?;
    let schema = Type::group_type_builder("clusters")
        .with_fields(vec![
            string("id").map_err(err)?,
            cluster,
            string("source").map_err(err)?,
            string("skipped").map_err(err)?,
        ])
        .build()
        .map_err(err)?;
    let properties = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut writer =
        SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties)).map_err(err)?;
    for group in lines.chunks(ROWS_PER_GROUP) {
        let mut rows = writer.next_row_group().map_err(err)?;
        let strings: [Vec<Option<&str>>; 3] = [
            group.iter().map(|l| l.id).collect(),
            group.iter().map(|l| l.source).collect(),
            group.iter().map(|l| l.skipped).collect(),
        ];
        let clusters: Vec<Option<i64>> = group
            .iter()
            .map(|l| l.cluster.and_then(|c| i64::try_from(c).ok()))
            .collect();
        let mut column = 0;
        while let Some(mut writer) = rows.next_column().map_err(err)? {
            if column == 1 {
                write_optional::<Int64Type, _>(&mut writer, &clusters, |&c| c).map_err(err)?;
            } else {
                let cells = &strings[if column == 0 { 0 } else { column - 1 }];
                write_optional::<ByteArrayType, _>(&mut writer, cells, |s| {
                    ByteArray::from(s.as_bytes().to_vec())
                })
                .map_err(err)?;
            }
            writer.close().map_err(err)?;
            column += 1;
        }
        rows.close().map_err(err)?;
    }
    writer.close().map_err(err)?;
    Ok(())
}

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
    pub skipped: Option<String>,
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
/// `source` and `skipped` for a skipped record.
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
        OPTIONAL BYTE_ARRAY skipped (UTF8);
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
            _ => write_optional::<ByteArrayType, _>(writer, &text(|r| r.skipped.as_deref()), bytes),
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

/// Run `f`, turning a panic inside the parquet crate (which has some on corrupt files) into
/// an error carrying the panic's message: a corrupt file is that file's problem, reported like
/// any bad input, never a crash or the end of the whole run.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    crate::error::contain_panic(f)
        .map_err(|m| m.unwrap_or_else(|| "the Parquet reader failed".into()))
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
                "skipped" => out.skipped = text,
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
fn write_optional<T, V>(
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
fn output_error(name: &str, e: parquet::errors::ParquetError) -> crate::Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            crate::Error::io(name, std::io::Error::other(inner))
        }
        other => crate::Error::io(name, std::io::Error::other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_as_text_and_dates_as_iso_8601() {
        assert_eq!(scalar(&Field::Long(-7)).as_deref(), Ok("-7"));
        assert_eq!(scalar(&Field::Str("a".into())).as_deref(), Ok("a"));
        assert_eq!(scalar(&Field::Null), Err("is null"));
        assert_eq!(
            scalar(&Field::Double(1.5)),
            Err("is not a string or an integer")
        );
        let bytes = |b: &[u8]| Field::Bytes(parquet::data_type::ByteArray::from(b.to_vec()));
        assert_eq!(scalar(&bytes(b"x1")).as_deref(), Ok("x1"));
        assert_eq!(scalar(&bytes(b"\xff")), Err("is not valid UTF-8"));
        assert_eq!(shorten(&"é".repeat(500)).chars().count(), 121);
        assert_eq!(
            date_of(&Field::TimestampMicros(1_795_161_600_000_001)).as_deref(),
            Some("2026-11-20T08:00:00.000001Z")
        );
        assert_eq!(date_of(&Field::Date(20_412)).as_deref(), Some("2025-11-20"));
        assert_eq!(date_of(&Field::Bool(true)), None);
    }
}
