//! `reprint bucket`: the band keys of `reprint sign`'s tables grouped into the buckets that two
//! or more documents share, as one more table (`buckets.parquet`) in the same directory (see
//! [`reprint::pipeline::bucket`]).

use crate::cli::args::{BucketArgs, OnError};
use crate::cli::{match_config, signature_params, Ui, Watch};
use anyhow::Result;
use reprint::pipeline::bucket::{bucket_tables, DEFAULT_SORT_BUDGET};

pub fn run(args: BucketArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let budget = args.memory_limit.map_or(DEFAULT_SORT_BUDGET, |m| m / 2);
    let mut watch = Watch::new(ui, OnError::Skip, "");
    let summary = bucket_tables(&args.dir, &params, &matching, budget, &mut watch)?;
    if summary.kept {
        ui.summary(&format!(
            "reprint: {}: already grouped from these {} tables, kept",
            summary.table.display(),
            summary.tables
        ));
        return Ok(());
    }
    ui.summary(&format!(
        "reprint: {} rows in {} tables ({} signed), {} shared buckets -> {}{}",
        summary.rows,
        summary.tables,
        summary.keyed,
        summary.buckets,
        summary.table.display(),
        if summary.spilled > 0 {
            format!(" (the band-key sort spilled {} runs)", summary.spilled)
        } else {
            String::new()
        }
    ));
    Ok(())
}
