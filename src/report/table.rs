//! Flat tables for people who work in R, pandas, DuckDB or a spreadsheet: rows of named, typed,
//! nullable cells, written as CSV or Parquet as they come.
//!
//! Main choice: one list of columns describes a table in both formats, so a column has the
//! same name and type in CSV and in Parquet, and rows stream: a writer holds at most one
//! Parquet row group, never the table.

use crate::tables::{output_error, write_optional, ROWS_PER_GROUP};
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::io::Write;
use std::sync::Arc;

/// How a table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row (RFC 4180 quoting); a missing value is an
    /// empty field.
    Csv,
    /// A Parquet file; a missing value is null.
    Parquet,
}

impl Column {
    /// A text column.
    pub const fn text(name: &'static str) -> Self {
        Column {
            name,
            kind: Kind::Text,
        }
    }

    /// An integer column.
    pub const fn integer(name: &'static str) -> Self {
        Column {
            name,
            kind: Kind::Integer,
        }
    }

    /// A float column.
    pub const fn float(name: &'static str) -> Self {
        Column {
            name,
            kind: Kind::Float,
        }
    }
}

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (Parquet `BYTE_ARRAY` annotated `STRING`).
    Text,
    /// A signed 64-bit integer (Parquet `INT64`).
    Integer,
    /// A 64-bit float (Parquet `DOUBLE`).
    Float,
}

/// One column: its name and type. Every column may hold missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's name, in the CSV header and the Parquet schema alike.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
}

/// One cell of a row, of its column's kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// A text cell.
    Text(Option<&'a str>),
    /// An integer cell.
    Integer(Option<i64>),
    /// A float cell.
    Float(Option<f64>),
}

/// The cells of one column of the row group being gathered.
enum Buffered {
    Text(Vec<Option<String>>),
    Integer(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
}

enum Sink<W: Write + Send> {
    Csv(csv::Writer<W>),
    Parquet {
        writer: SerializedFileWriter<W>,
        columns: Vec<Buffered>,
        rows: usize,
    },
}

/// A table being written, row by row.
pub struct TableWriter<W: Write + Send> {
    sink: Sink<W>,
    columns: &'static [Column],
    name: String,
}

fn csv_error(name: &str, e: csv::Error) -> crate::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => crate::Error::io(name, io),
        other => crate::Error::io(name, std::io::Error::other(format!("{other:?}"))),
    }
}

impl<W: Write + Send> TableWriter<W> {
    /// Start a table of `columns` on `out`, named `name` in errors (the output path).
    pub fn new(
        out: W,
        name: &str,
        format: TableFormat,
        table: &str,
        columns: &'static [Column],
    ) -> crate::Result<Self> {
        let sink = match format {
            TableFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer
                    .write_record(columns.iter().map(|c| c.name))
                    .map_err(|e| csv_error(name, e))?;
                Sink::Csv(writer)
            }
            TableFormat::Parquet => {
                let err = |e: parquet::errors::ParquetError| output_error(name, e);
                let fields = columns
                    .iter()
                    .map(|c| {
                        let (physical, logical) = match c.kind {
                            Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                            Kind::Integer => (PhysicalType::INT64, None),
                            Kind::Float => (PhysicalType::DOUBLE, None),
                        };
                        Type::primitive_type_builder(c.name, physical)
                            .with_repetition(Repetition::OPTIONAL)
                            .with_logical_type(logical)
                            .build()
                            .map(Arc::new)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?;
                let schema = Type::group_type_builder(table)
                    .with_fields(fields)
                    .build()
                    .map_err(err)?;
                let properties = WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
                    .map_err(err)?;
                Sink::Parquet {
                    writer,
                    columns: columns.iter().map(|c| Buffered::new(c.kind)).collect(),
                    rows: 0,
                }
            }
        };
        Ok(TableWriter {
            sink,
            columns,
            name: name.to_string(),
        })
    }

    /// Write one row: one cell per column, each of its column's kind.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> crate::Result<()> {
        let kinds_match = cells.len() == self.columns.len()
            && cells.iter().zip(self.columns).all(|(cell, column)| {
                matches!(
                    (cell, column.kind),
                    (Cell::Text(_), Kind::Text)
                        | (Cell::Integer(_), Kind::Integer)
                        | (Cell::Float(_), Kind::Float)
                )
            });
        if !kinds_match {
            return Err(crate::Error::invalid(
                "row",
                format!("does not match the columns of {}", self.name),
            ));
        }
        match &mut self.sink {
            Sink::Csv(writer) => {
                let fields = cells.iter().map(|cell| match *cell {
                    Cell::Text(v) => v.unwrap_or("").to_string(),
                    Cell::Integer(v) => v.map(|v| v.to_string()).unwrap_or_default(),
                    Cell::Float(v) => v.map(|v| v.to_string()).unwrap_or_default(),
                });
                writer
                    .write_record(fields)
                    .map_err(|e| csv_error(&self.name, e))?;
            }
            Sink::Parquet { columns, rows, .. } => {
                for (buffer, cell) in columns.iter_mut().zip(cells) {
                    buffer.push(cell);
                }
                *rows += 1;
                if *rows == ROWS_PER_GROUP {
                    self.flush_group()?;
                }
            }
        }
        Ok(())
    }

    /// Write the gathered Parquet rows as a row group.
    fn flush_group(&mut self) -> crate::Result<()> {
        let name = self.name.clone();
        let err = |e: parquet::errors::ParquetError| output_error(&name, e);
        let Sink::Parquet {
            writer,
            columns,
            rows,
        } = &mut self.sink
        else {
            return Ok(());
        };
        if *rows == 0 {
            return Ok(());
        }
        let mut group = writer.next_row_group().map_err(err)?;
        let mut k = 0;
        while let Some(mut column) = group.next_column().map_err(err)? {
            match &mut columns[k] {
                Buffered::Text(cells) => {
                    write_optional::<ByteArrayType, _>(&mut column, cells, |s| {
                        ByteArray::from(s.as_bytes().to_vec())
                    })
                    .map_err(err)?;
                    cells.clear();
                }
                Buffered::Integer(cells) => {
                    write_optional::<Int64Type, _>(&mut column, cells, |&v| v).map_err(err)?;
                    cells.clear();
                }
                Buffered::Float(cells) => {
                    write_optional::<DoubleType, _>(&mut column, cells, |&v| v).map_err(err)?;
                    cells.clear();
                }
            }
            column.close().map_err(err)?;
            k += 1;
        }
        group.close().map_err(err)?;
        *rows = 0;
        Ok(())
    }

    /// Write what is left, close the table and give back the writer it was written to.
    pub fn finish(mut self) -> crate::Result<W> {
        self.flush_group()?;
        match self.sink {
            Sink::Csv(writer) => writer
                .into_inner()
                .map_err(|e| crate::Error::io(&self.name, e.into_error())),
            Sink::Parquet { writer, .. } => {
                writer.into_inner().map_err(|e| output_error(&self.name, e))
            }
        }
    }
}

impl Buffered {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text => Buffered::Text(Vec::new()),
            Kind::Integer => Buffered::Integer(Vec::new()),
            Kind::Float => Buffered::Float(Vec::new()),
        }
    }

    fn push(&mut self, cell: &Cell<'_>) {
        match (self, cell) {
            (Buffered::Text(v), Cell::Text(x)) => v.push(x.map(str::to_string)),
            (Buffered::Integer(v), Cell::Integer(x)) => v.push(*x),
            (Buffered::Float(v), Cell::Float(x)) => v.push(*x),
            // `row` checked every cell against its column.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[Column::text("id"), Column::integer("n"), Column::float("x")];

    /// A full row (with text that needs quoting in CSV) and an empty one.
    fn two_rows<W: Write + Send>(table: &mut TableWriter<W>) {
        table
            .row(&[
                Cell::Text(Some("a, \"b\"")),
                Cell::Integer(Some(3)),
                Cell::Float(Some(0.25)),
            ])
            .unwrap();
        table
            .row(&[Cell::Text(None), Cell::Integer(None), Cell::Float(None)])
            .unwrap();
    }

    #[test]
    fn csv_quotes_text_and_leaves_missing_values_empty() {
        let mut out = Vec::new();
        let mut table =
            TableWriter::new(&mut out, "t.csv", TableFormat::Csv, "t", COLUMNS).unwrap();
        two_rows(&mut table);
        assert!(table.row(&[Cell::Integer(Some(1))]).is_err());
        table.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,n,x\n\"a, \"\"b\"\"\",3,0.25\n,,\n"
        );
    }

    #[test]
    fn parquet_reads_back_with_nulls() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let path =
            std::env::temp_dir().join(format!("reprint-table-{}.parquet", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let mut table =
            TableWriter::new(file, "t.parquet", TableFormat::Parquet, "t", COLUMNS).unwrap();
        two_rows(&mut table);
        table.finish().unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let rows: Vec<String> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap().to_string())
            .collect();
        assert_eq!(
            rows,
            [
                "{id: \"a, \"b\"\", n: 3, x: 0.25}",
                "{id: null, n: null, x: null}"
            ]
        );
        std::fs::remove_file(&path).unwrap();
    }
}
