//! `reprint bucket`: the band keys of `reprint sign`'s tables grouped into the buckets that two
//! or more documents share, as one more table (`buckets.parquet`) in the same directory.
//!
//! This is the candidate-finding stage of a long job on its own, through an external sort held
//! to `--memory-limit`. `cluster --from-signatures` continues from the table while its stamp
//! (the stamps of every signature table, in order) still matches the tables; a rerun keeps a
//! table that is still current.

use crate::cli::args::BucketArgs;
use crate::cli::cmd::sign::{
    bucket_stamp, read_shards, shard_tables, stamp_fits, table_params, BUCKET_TABLE,
};
use crate::cli::{match_config, signature_params, Ui};
use anyhow::{Context, Result};
use reprint::bucket::KeySorter;
use reprint::cluster::short_keys;
use reprint::columnar::{read_stamp, BucketRow, BucketWriter};
use std::fs::File;
use std::io::BufWriter;

/// Sort budget when no `--memory-limit` is given: nothing spills.
pub const UNBOUNDED: usize = usize::MAX / 4;

pub fn run(args: BucketArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let expected = table_params(&params, &matching.lsh);
    let target = args.dir.join(BUCKET_TABLE);

    // Current already? The stamps alone say, without reading a row.
    let stamps: Vec<Option<String>> = shard_tables(&args.dir)?
        .iter()
        .map(|(_, p)| File::open(p).ok().and_then(read_stamp))
        .collect();
    if let Some(stamps) = stamps.iter().cloned().collect::<Option<Vec<String>>>() {
        let current = File::open(&target).ok().and_then(read_stamp);
        if !stamps.is_empty()
            && stamps.iter().all(|s| stamp_fits(s, &expected).is_ok())
            && current.as_deref() == Some(bucket_stamp(stamps.iter().map(String::as_str)).as_str())
        {
            ui.summary(&format!(
                "reprint: {}: already grouped from these {} tables, kept",
                target.display(),
                stamps.len()
            ));
            return Ok(());
        }
    }

    let budget = args.memory_limit.map_or(UNBOUNDED, |m| m / 2);
    let mut sorter = KeySorter::new(budget);
    let bands = matching.lsh.bands;
    let (mut rows, mut keyed) = (0usize, 0usize);
    let tables = read_shards(&args.dir, &expected, |_, _, row| {
        if row.skipped.is_none() && row.band_keys.len() == bands {
            sorter.push(rows, &short_keys(&row.band_keys))?;
            keyed += 1;
        }
        rows += 1;
        ui.progress(rows, 0);
        Ok(())
    })?;
    let stamp = bucket_stamp(tables.iter().map(|(_, s)| s.as_str()));

    let partial = args.dir.join(format!("{BUCKET_TABLE}.partial"));
    let file =
        File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let name = partial.display().to_string();
    let mut writer = BucketWriter::new(BufWriter::new(file), &name, &stamp)?;
    let sorted = sorter.finish()?;
    let spilled = sorted.spilled_files();
    let mut buckets = 0usize;
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
        .with_context(|| format!("cannot rename {} into place", partial.display()))?;
    ui.summary(&format!(
        "reprint: {rows} rows in {} tables ({keyed} signed), {buckets} shared buckets -> {}{}",
        tables.len(),
        target.display(),
        if spilled > 0 {
            format!(" ({spilled} sorted runs spilled)")
        } else {
            String::new()
        }
    ));
    Ok(())
}
