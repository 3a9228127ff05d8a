//! `reprint synth`: write a synthetic syndicated corpus as JSONL (optionally compressed).

use crate::cli::args::SynthArgs;
use anyhow::Result;
use reprint::synth::{Synth, SynthConfig};
use std::io::Write;

pub fn run(args: SynthArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.copy_share) {
        return Err(crate::cli::usage(format!(
            "--copy-share must be between 0 and 1, got {}",
            args.copy_share
        )));
    }
    let config = SynthConfig {
        documents: args.documents,
        seed: args.seed,
        copy_share: args.copy_share,
    };
    let output = args.output.as_deref();
    let mut out = crate::cli::open_output(output)?;
    let name = output
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".gz") {
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
        write_corpus(&mut gz, config)?;
        out = gz.finish()?;
    } else if name.ends_with(".zst") {
        let mut zst = zstd::Encoder::new(out, 3)?;
        write_corpus(&mut zst, config)?;
        out = zst.finish()?;
    } else {
        write_corpus(&mut out, config)?;
    }
    out.finish()
}

/// The generated corpus as JSONL on `out`.
fn write_corpus(out: &mut impl Write, config: SynthConfig) -> Result<()> {
    for doc in Synth::new(config) {
        serde_json::to_writer(&mut *out, &doc)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
