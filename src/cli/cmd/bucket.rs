//! `reprint bucket`: the band keys of `reprint sign`'s tables grouped into the buckets that two
//! or more documents share, as one more table (`buckets.parquet`) in the same directory.
//!
//! This is the candidate-finding stage of a long job on its own, through an external sort held
//! to `--memory-limit`. `cluster --from-signatures` continues from the table while its stamp
//! (the stamps of every signature table, in order) still matches the tables; a rerun keeps a
//! table that is still current.

use crate::cli::args::BucketArgs;
use crate::cli::cmd::sign::{
    bucket_stamp, grouped, has_keys, read_shards, table_params, KeysDigest, BUCKET_TABLE,
};
use crate::cli::outputs::{register_partial, unregister_partial};
use crate::cli::{match_config, signature_params, Ui};
use anyhow::{Context, Result};
use reprint::candidates::buckets::KeySorter;
use reprint::near_dup::cluster::short_keys;
use reprint::tables::{read_bucket_table, BucketRow, BucketWriter};
use std::fs::File;
use std::io::BufWriter;

/// Sort budget when no `--memory-limit` is given: enough that an archive of millions sorts in
/// memory, few enough that a hostile bucket table cannot take all of it.
pub const DEFAULT_SORT_BUDGET: usize = 1 << 30;

pub fn run(args: BucketArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let expected = table_params(&params, &matching.lsh);
    let target = args.dir.join(BUCKET_TABLE);

    // Current already? The stamps say, and the table must read back whole.
    let state = grouped(&args.dir, &expected)?;
    if state.current {
        match read_bucket_table(&target, |_| Ok(()), |_| Ok(())) {
            Ok(()) => {
                ui.summary(&format!(
                    "reprint: {}: already grouped from these {} tables, kept",
                    target.display(),
                    state.tables.len()
                ));
                return Ok(());
            }
            Err(e) => ui.note(&format!("reprint: {e}; grouping again")),
        }
    }

    let budget = args.memory_limit.map_or(DEFAULT_SORT_BUDGET, |m| m / 2);
    let mut sorter = KeySorter::new(budget)?;
    let bands = matching.lsh.bands;
    let (mut rows, mut keyed) = (0usize, 0usize);
    let mut digest = KeysDigest::default();
    let tables = read_shards(&args.dir, &expected, |_, _, row| {
        if has_keys(&row, bands) {
            sorter.push(rows, &short_keys(&row.band_keys))?;
            digest.add(rows as u64, &row.band_keys);
            keyed += 1;
        }
        rows += 1;
        ui.progress(rows, 0);
        Ok(())
    })?;
    let stamps: Vec<String> = tables.into_iter().map(|(_, s)| s).collect();
    let stamp = bucket_stamp(&stamps, &digest);

    let partial = args.dir.join(format!("{BUCKET_TABLE}.partial"));
    let (mut buckets, mut spilled) = (0usize, 0usize);
    let write = || -> Result<()> {
        let file = File::create(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        register_partial(&partial);
        let name = partial.display().to_string();
        let mut writer = BucketWriter::new(BufWriter::new(file), &name, &stamp)?;
        let sorted = sorter.finish()?;
        spilled = sorted.spilled_files();
        sorted.for_each_shared(|band, key, docs| {
            buckets += 1;
            writer.push(BucketRow {
                band,
                key,
                rows: docs.iter().map(|&d| u64::from(d)).collect(),
            })
        })?;
        writer.finish()?;
        std::fs::rename(&partial, &target)
            .with_context(|| format!("cannot rename {} into place", partial.display()))
    };
    let written = write();
    if written.is_err() {
        // A half-written table is never left to look like a result.
        let _ = std::fs::remove_file(&partial);
    }
    unregister_partial(&partial);
    written?;
    ui.summary(&format!(
        "reprint: {rows} rows in {} tables ({keyed} signed), {buckets} shared buckets -> {}{}",
        stamps.len(),
        target.display(),
        if spilled > 0 {
            format!(" (the band-key sort spilled {spilled} runs)")
        } else {
            String::new()
        }
    ));
    Ok(())
}
