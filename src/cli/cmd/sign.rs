//! `reprint sign`: signatures and LSH band keys of every document, one Parquet table per input
//! (a shard), for long jobs that continue from them and for other engines (see
//! [`reprint::pipeline::sign`]).

use crate::cli::args::SignArgs;
use crate::cli::{match_config, signature_params, stream_options, Ui, Watch};
use anyhow::Result;
use reprint::pipeline::sign::sign_inputs;

pub fn run(args: SignArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let options = stream_options(&args.input, params);
    let mut watch = Watch::new(
        ui,
        args.input.on_error,
        "each table's `reason` column lists all",
    );
    let summary = sign_inputs(&args.inputs, &args.output, &options, &matching, &mut watch)?;
    ui.summary(&format!(
        "reprint sign: {} shards signed ({} documents), {} already done",
        summary.signed, summary.documents, summary.reused
    ));
    Ok(())
}
