//! Cluster assignments as a Parquet table, for DuckDB, pandas or Spark.

use crate::report::ClusterLine;
use crate::tables::{output_error, write_optional, ROWS_PER_GROUP};
use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::io::Write;
use std::sync::Arc;

/// Write cluster assignments as a Parquet table, one row per input record in input order:
/// `id` (string), `cluster` (`INT64`), and for a skipped record `source` and `reason` (why it
/// was skipped), null otherwise, like the JSONL lines.
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
            string("reason").map_err(err)?,
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
            group.iter().map(|l| l.reason).collect(),
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
