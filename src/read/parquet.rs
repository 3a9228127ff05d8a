//! Parquet tables as input: documents from a table's columns.
//!
//! Archives kept for Spark, DuckDB or pandas are Parquet tables. Reading takes only the columns
//! the field names pick (`id`, `text`, `outlet`/`source`/`site`, `date`, or as renamed), one row
//! group at a time, so a wide table costs no more than its text. The crate is `parquet` without
//! Arrow: rows and column writers are all reprint needs, and Arrow would double the build. That
//! crate panics on some corrupt files, so every call into it runs contained (see `contained`):
//! the panic becomes the file's reported problem, never a crash.

use crate::read::document::{Origin, Skipped};
use crate::read::record::{FieldNames, RawRecord};
use parquet::basic::Type as PhysicalType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::Type;
use std::collections::VecDeque;
use std::fs::File;
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
pub(crate) fn shorten(message: &str) -> String {
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

/// Run `f`, turning a panic inside the parquet crate (which has some on corrupt files) into
/// an error carrying the panic's message: a corrupt file is that file's problem, reported like
/// any bad input, never a crash or the end of the whole run.
pub(crate) fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    crate::error::contain_panic(f)
        .map_err(|m| m.unwrap_or_else(|| "the Parquet reader failed".into()))
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
