//! Signing inputs into a directory of signature tables, one per input (a shard), for long jobs
//! that continue from them and for other engines.
//!
//! Main choice: a shard's table is written beside its final name and renamed into place once
//! complete, so a table that exists is whole; a rerun skips every shard whose table carries
//! the stamp it would write (see [`crate::tables::shards`]) and signs again one whose input or
//! parameters changed.

use crate::candidates::band_index::band_keys;
use crate::error::{Error, Result};
use crate::near_dup::cluster::MatchConfig;
use crate::pipeline::ingest::{fingerprint_inputs, Outcome, StreamOptions};
use crate::pipeline::Observer;
use crate::tables::shards::{input_identity, shard_name, shard_tables, table_params};
use crate::tables::{read_stamp, SignatureRow, SignatureWriter};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// What signing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignSummary {
    /// Shards signed in this run.
    pub signed: usize,
    /// Shards whose table was current and kept.
    pub reused: usize,
    /// Documents in the shards signed.
    pub documents: usize,
    /// Records skipped in the shards signed (each is a row of its table, with its reason).
    pub skipped: usize,
}

/// Sign every input (a file or a directory, never standard input: a rerun must find each
/// shard's input again) into `dir`, as `shard-00000.parquet`, … in input order, with the
/// signature parameters of `options` and the LSH bands of `matching`. Tables past the last
/// input, left by an earlier run with more, are removed.
pub fn sign_inputs(
    inputs: &[PathBuf],
    dir: &Path,
    options: &StreamOptions,
    matching: &MatchConfig,
    observer: &mut dyn Observer,
) -> Result<SignSummary> {
    if inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::invalid(
            "inputs",
            "signing reads files, not standard input: a rerun must find each shard's input again",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // Tables past this run's inputs are left from an earlier run with more: clustering from
    // the directory reads every table in it, so they must go.
    let stale = shard_tables(dir)?
        .into_iter()
        .filter(|&(n, _)| n >= inputs.len());
    for (_, path) in stale {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        observer.note(&format!(
            "{}: left from an earlier run with more inputs, removed",
            path.display()
        ));
    }
    let params = options.params;
    let mut summary = SignSummary::default();
    for (shard, input) in inputs.iter().enumerate() {
        let table = dir.join(shard_name(shard));
        let mut stamp = table_params(&params, &matching.lsh);
        stamp["input"] = input_identity(input, &options.fields);
        let stamp = stamp.to_string();
        let existing = File::open(&table).ok().and_then(read_stamp);
        if existing.as_deref() == Some(stamp.as_str()) {
            summary.reused += 1;
            observer.note(&format!(
                "{}: {} already signed with these parameters, kept",
                table.display(),
                input.display()
            ));
            continue;
        }
        if existing.is_some() {
            observer.note(&format!(
                "{}: its input or the parameters changed, signing again",
                table.display()
            ));
        }
        let partial = table.with_extension("parquet.partial");
        let file = File::create(&partial).map_err(|e| Error::io(&partial, e))?;
        observer.temporary_file(&partial, true);
        let signed = sign_shard(
            input, file, &partial, &stamp, options, matching, observer, &summary,
        )
        .and_then(|counts| {
            std::fs::rename(&partial, &table).map_err(|e| Error::io(&table, e))?;
            Ok(counts)
        });
        if signed.is_err() {
            // An unfinished table must not be mistaken for one later.
            let _ = std::fs::remove_file(&partial);
        }
        observer.temporary_file(&partial, false);
        let (rows, skipped) = signed?;
        summary.signed += 1;
        summary.documents += rows - skipped;
        summary.skipped += skipped;
        observer.note(&format!(
            "{}: {} ({} documents, {} skipped)",
            table.display(),
            input.display(),
            rows - skipped,
            skipped
        ));
    }
    Ok(summary)
}

/// Sign one input into `file` (the table's temporary name `partial`); returns its rows and
/// how many of them are skipped records.
#[allow(clippy::too_many_arguments)]
fn sign_shard(
    input: &Path,
    file: File,
    partial: &Path,
    stamp: &str,
    options: &StreamOptions,
    matching: &MatchConfig,
    observer: &mut dyn Observer,
    so_far: &SignSummary,
) -> Result<(usize, usize)> {
    let name = partial.display().to_string();
    let mut writer = SignatureWriter::new(BufWriter::new(file), &name, stamp)?;
    let (mut rows, mut skipped) = (0usize, 0usize);
    let notes = fingerprint_inputs(
        std::slice::from_ref(&input.to_path_buf()),
        options,
        |outcome, _| {
            let row = match outcome {
                Outcome::Document(doc) => SignatureRow {
                    band_keys: band_keys(&doc.fingerprint.signature, &matching.lsh)?,
                    minhash: doc.fingerprint.signature.values().to_vec(),
                    id: Some(doc.id),
                    outlet: doc.outlet,
                    date: doc.date,
                    source: None,
                    reason: None,
                },
                Outcome::Skipped(s) => {
                    skipped += 1;
                    observer.skipped(&s)?;
                    SignatureRow {
                        id: s.id,
                        source: Some(s.source),
                        reason: Some(s.reason),
                        ..SignatureRow::default()
                    }
                }
            };
            rows += 1;
            observer.progress(so_far.documents + rows, 0);
            writer.push(row)
        },
    )?;
    observer.read_notes(&notes);
    writer.finish()?;
    Ok((rows, skipped))
}
