//! Grouping the band keys of a directory of signature tables into the buckets that two or more
//! documents share, as one more table (`buckets.parquet`) in the same directory: the
//! candidate-finding stage of a long job on its own.
//!
//! Main choice: an external sort held to a memory budget; clustering from the directory
//! continues from the table while its stamp (the stamps of every signature table, in order,
//! and a digest of their band keys) still matches the tables, and a rerun keeps a table that
//! is still current.

use crate::candidates::buckets::KeySorter;
use crate::error::{Error, Result};
use crate::near_dup::cluster::{short_keys, MatchConfig};
use crate::pipeline::Observer;
use crate::sketch::signature::SignatureParams;
use crate::tables::shards::{
    bucket_stamp, grouped, has_keys, read_shards, table_params, KeysDigest, BUCKET_TABLE,
};
use crate::tables::{read_bucket_table, BucketRow, BucketWriter};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Sort budget when none is given: enough that an archive of millions sorts in memory, few
/// enough that a hostile bucket table cannot take all of it.
pub const DEFAULT_SORT_BUDGET: usize = 1 << 30;

/// What grouping did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSummary {
    /// The bucket table.
    pub table: PathBuf,
    /// `true` when the table was current and kept (the counts below are then 0).
    pub kept: bool,
    /// Signature tables read.
    pub tables: usize,
    /// Rows read, and how many of them have band keys.
    pub rows: usize,
    /// Rows with band keys (signed documents).
    pub keyed: usize,
    /// Buckets shared by two or more documents.
    pub buckets: usize,
    /// Sorted runs spilled to temporary files.
    pub spilled: usize,
}

/// Group the band keys of the signature tables in `dir` (made with `params` and `matching`'s
/// bands) into `dir/buckets.parquet`, sorting within about `sort_budget` bytes of memory.
pub fn bucket_tables(
    dir: &Path,
    params: &SignatureParams,
    matching: &MatchConfig,
    sort_budget: usize,
    observer: &mut dyn Observer,
) -> Result<BucketSummary> {
    let expected = table_params(params, &matching.lsh);
    let target = dir.join(BUCKET_TABLE);
    let mut summary = BucketSummary {
        table: target.clone(),
        kept: false,
        tables: 0,
        rows: 0,
        keyed: 0,
        buckets: 0,
        spilled: 0,
    };
    // Current already? The stamps say, and the table must read back whole.
    let state = grouped(dir, &expected)?;
    if state.current {
        match read_bucket_table(&target, |_| Ok(()), |_| Ok(())) {
            Ok(()) => {
                summary.kept = true;
                summary.tables = state.tables.len();
                return Ok(summary);
            }
            Err(e) => observer.note(&format!("{e}; grouping again")),
        }
    }
    let mut sorter = KeySorter::new(sort_budget)?;
    let bands = matching.lsh.bands;
    let mut digest = KeysDigest::default();
    let (mut rows, mut keyed) = (0usize, 0usize);
    let tables = read_shards(dir, &expected, |_, _, row| {
        if has_keys(&row, bands) {
            sorter.push(rows, &short_keys(&row.band_keys))?;
            digest.add(rows as u64, &row.band_keys);
            keyed += 1;
        }
        rows += 1;
        observer.progress(rows, 0);
        Ok(())
    })?;
    summary.rows = rows;
    summary.keyed = keyed;
    summary.tables = tables.len();
    let stamps: Vec<String> = tables.into_iter().map(|(_, s)| s).collect();
    let stamp = bucket_stamp(&stamps, &digest);

    let partial = dir.join(format!("{BUCKET_TABLE}.partial"));
    let file = File::create(&partial).map_err(|e| Error::io(&partial, e))?;
    observer.temporary_file(&partial, true);
    let write = || -> Result<()> {
        let name = partial.display().to_string();
        let mut writer = BucketWriter::new(BufWriter::new(file), &name, &stamp)?;
        let sorted = sorter.finish()?;
        summary.spilled = sorted.spilled_files();
        sorted.for_each_shared(|band, key, docs| {
            summary.buckets += 1;
            writer.push(BucketRow {
                band,
                key,
                rows: docs.iter().map(|&d| u64::from(d)).collect(),
            })
        })?;
        writer.finish()?;
        std::fs::rename(&partial, &target).map_err(|e| Error::io(&target, e))
    };
    let written = write();
    if written.is_err() {
        // A half-written table is never left to look like a result.
        let _ = std::fs::remove_file(&partial);
    }
    observer.temporary_file(&partial, false);
    written?;
    Ok(summary)
}
