//! A directory of signature tables, one per input shard, and the bucket table grouped from
//! them: their names, their stamps, and whether a table is current.
//!
//! Main choice: a table's stamp says how it was made (table format, signing scheme, signature
//! and LSH parameters) and from what (the input's path, size and modification time, or those
//! of every file in an input directory, and which fields were read). A rerun keeps a table
//! whose stamp is the one it would write; a later stage reads only tables whose parameters are
//! its own; a bucket table is used only while its stamp lists the stamps of the signature
//! tables now in the directory and the band keys they hold.

use crate::candidates::lsh::LshParams;
use crate::error::{Error, Result};
use crate::read::FieldNames;
use crate::sketch::signature::{SignatureParams, SCHEME};
use crate::tables::{read_signature_table, read_stamp, SignatureRow};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Version of the signature table layout; a change makes every table stale.
pub const TABLE_FORMAT: u32 = 2;

/// The file name of shard `n`'s table.
pub fn shard_name(n: usize) -> String {
    format!("shard-{n:05}.parquet")
}

/// The signature tables in `dir` (`shard-NNNNN.parquet`), with their shard numbers, in order.
pub fn shard_tables(dir: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let mut tables: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let n = p
                .file_name()?
                .to_str()?
                .strip_prefix("shard-")?
                .strip_suffix(".parquet")?
                .parse()
                .ok()?;
            Some((n, p))
        })
        .collect();
    tables.sort();
    Ok(tables)
}

/// Every signature table in `dir`, in shard order, each stamp checked against `expected` (see
/// [`table_params`]) before its rows: `f(table number, table, row)` per row. Returns each
/// table with its stamp.
pub fn read_shards(
    dir: &Path,
    expected: &serde_json::Value,
    mut f: impl FnMut(usize, &Path, SignatureRow) -> Result<()>,
) -> Result<Vec<(PathBuf, String)>> {
    let tables = shard_tables(dir)?;
    if tables.is_empty() {
        return Err(Error::BadInput {
            origin: dir.display().to_string(),
            reason: "no signature tables (shard-*.parquet) here; sign the inputs into it first"
                .into(),
        });
    }
    let mut stamped = Vec::with_capacity(tables.len());
    for (table_no, (_, table)) in tables.into_iter().enumerate() {
        let mut stamp = String::new();
        let check = |made: &str| -> Result<()> {
            stamp_fits(made, expected).map_err(|found| Error::SchemeMismatch {
                path: table.clone(),
                found,
                expected: format!("{expected} (sign again, or give the same parameters)"),
            })?;
            stamp = made.to_string();
            Ok(())
        };
        read_signature_table(&table, check, |row| f(table_no, &table, row))?;
        stamped.push((table, stamp));
    }
    Ok(stamped)
}

/// Whether a signature table's stamp says it was made with the parameters `expected` (see
/// [`table_params`]); if not, what it was made with.
pub fn stamp_fits(stamp: &str, expected: &serde_json::Value) -> std::result::Result<(), String> {
    let mut params: serde_json::Value =
        serde_json::from_str(stamp).map_err(|e| format!("an unreadable stamp ({e})"))?;
    if let Some(params) = params.as_object_mut() {
        params.remove("input");
    }
    if &params != expected {
        return Err(params.to_string());
    }
    Ok(())
}

/// The file `reprint bucket` writes beside the signature tables.
pub const BUCKET_TABLE: &str = "buckets.parquet";

/// A digest of every band key a bucket table is grouped from, row by row: the table's stamp
/// carries it, so a table is never used with signature tables whose keys differ, whatever
/// their stamps say.
#[derive(Default)]
pub struct KeysDigest {
    rows: u64,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl KeysDigest {
    /// Add the band keys of signature table row `row` (counted across tables from 0).
    pub fn add(&mut self, row: u64, keys: &[u64]) {
        self.rows += 1;
        self.hasher.update(&row.to_le_bytes());
        for k in keys {
            self.hasher.update(&k.to_le_bytes());
        }
    }

    fn value(&self) -> serde_json::Value {
        serde_json::json!({ "rows": self.rows, "xxh3": format!("{:016x}", self.hasher.digest()) })
    }
}

/// Whether a row of a signature table has band keys to group: a signed document whose keys
/// are whole.
pub fn has_keys(row: &SignatureRow, bands: usize) -> bool {
    row.reason.is_none() && row.band_keys.len() == bands
}

/// The stamp of a bucket table grouped from tables with these stamps (in shard order) and
/// these keys.
pub fn bucket_stamp(table_stamps: &[String], keys: &KeysDigest) -> String {
    serde_json::json!({
        "format": TABLE_FORMAT,
        "tables": stamps_value(table_stamps),
        "keys": keys.value(),
    })
    .to_string()
}

fn stamps_value(table_stamps: &[String]) -> serde_json::Value {
    table_stamps
        .iter()
        .map(|s| serde_json::from_str::<serde_json::Value>(s).unwrap_or_else(|_| s.as_str().into()))
        .collect()
}

/// Whether a bucket table's stamp says it was grouped from signature tables with these stamps
/// (the keys are checked once they are read: see [`bucket_keys_match`]).
fn bucket_tables_match(bucket_stamp: &str, table_stamps: &[String]) -> bool {
    serde_json::from_str::<serde_json::Value>(bucket_stamp)
        .is_ok_and(|v| v["format"] == TABLE_FORMAT && v["tables"] == stamps_value(table_stamps))
}

/// A directory of signature tables, as a stage continuing from its bucket table sees it.
pub struct Grouped {
    /// The signature tables, in shard order.
    pub tables: Vec<PathBuf>,
    /// Their stamps (`None` if one has none).
    pub table_stamps: Option<Vec<String>>,
    /// The bucket table's stamp, if there is a readable one.
    pub bucket_stamp: Option<String>,
    /// Whether the bucket table was grouped from these tables, made with the parameters
    /// `expected` (its keys are checked once read: see [`bucket_keys_match`]).
    pub current: bool,
}

/// How `dir`'s bucket table stands against its signature tables.
pub fn grouped(dir: &Path, expected: &serde_json::Value) -> Result<Grouped> {
    let tables: Vec<PathBuf> = shard_tables(dir)?.into_iter().map(|(_, p)| p).collect();
    let table_stamps: Option<Vec<String>> = tables
        .iter()
        .map(|p| File::open(p).ok().and_then(read_stamp))
        .collect();
    let bucket_stamp = File::open(dir.join(BUCKET_TABLE)).ok().and_then(read_stamp);
    let current = match (&bucket_stamp, &table_stamps) {
        (Some(grouped), Some(stamps)) => {
            !stamps.is_empty()
                && stamps.iter().all(|s| stamp_fits(s, expected).is_ok())
                && bucket_tables_match(grouped, stamps)
        }
        _ => false,
    };
    Ok(Grouped {
        tables,
        table_stamps,
        bucket_stamp,
        current,
    })
}

/// Whether a bucket table's stamp names these keys.
pub fn bucket_keys_match(bucket_stamp: &str, keys: &KeysDigest) -> bool {
    serde_json::from_str::<serde_json::Value>(bucket_stamp).is_ok_and(|v| v["keys"] == keys.value())
}

/// What a signature table's stamp says of how it was made, apart from its input: tables are
/// comparable when these are equal.
pub fn table_params(params: &SignatureParams, lsh: &LshParams) -> serde_json::Value {
    serde_json::json!({
        "format": TABLE_FORMAT,
        "scheme": SCHEME,
        "signature": params,
        "lsh": lsh,
    })
}

/// What identifies an input between runs: its path as given, its size and modification time
/// (for a directory, those of every file reading it would read, with their names, folded into
/// a digest, so that an edit, an added or a removed file inside it is seen), and which fields
/// were read as id, text, outlet and date.
pub fn input_identity(path: &Path, fields: &FieldNames) -> serde_json::Value {
    let meta = std::fs::metadata(path).ok();
    let mut identity = serde_json::json!({
        "path": path.display().to_string(),
        "fields": {
            "id": fields.id,
            "text": fields.text,
            "outlet": fields.outlet,
            "date": fields.date,
        },
    });
    if meta.as_ref().is_some_and(std::fs::Metadata::is_dir) {
        // Unlistable: no digest, so the stamp never matches and the input is signed again.
        if let Ok(files) = crate::read::document_files(path) {
            let mut digest = xxhash_rust::xxh3::Xxh3Default::new();
            for file in &files {
                let name = file.strip_prefix(path).unwrap_or(file);
                let meta = std::fs::metadata(file).ok();
                digest.update(name.as_os_str().as_encoded_bytes());
                digest.update(&[0]);
                digest.update(
                    &meta
                        .as_ref()
                        .map_or(u64::MAX, std::fs::Metadata::len)
                        .to_le_bytes(),
                );
                digest.update(modified(meta.as_ref()).unwrap_or_default().as_bytes());
                digest.update(&[0]);
            }
            identity["files"] = files.len().into();
            identity["listing"] = format!("{:032x}", digest.digest128()).into();
        }
    } else {
        identity["bytes"] = meta.as_ref().map(std::fs::Metadata::len).into();
        identity["modified"] = modified(meta.as_ref()).into();
    }
    identity
}

/// A file's modification time, to the nanosecond, as text.
fn modified(meta: Option<&std::fs::Metadata>) -> Option<String> {
    meta.and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
}
