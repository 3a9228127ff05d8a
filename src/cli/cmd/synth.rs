//! `reprint synth`: write a synthetic syndicated corpus as JSONL (optionally compressed).

use crate::cli::args::SynthArgs;
use anyhow::{Context, Result};
use reprint::synth::{Synth, SynthConfig};
use std::fs::File;
use std::io::{self, BufWriter, Write};

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
    let mut out: Box<dyn Write> = match &args.output {
        None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
        Some(path) => {
            let file = File::create(path).with_context(|| format!("{}", path.display()))?;
            let name = path.to_string_lossy();
            if name.ends_with(".gz") {
                Box::new(flate2::write::GzEncoder::new(
                    BufWriter::new(file),
                    flate2::Compression::default(),
                ))
            } else if name.ends_with(".zst") {
                Box::new(zstd::Encoder::new(BufWriter::new(file), 3)?.auto_finish())
            } else {
                Box::new(BufWriter::with_capacity(1 << 20, file))
            }
        }
    };
    for doc in Synth::new(config) {
        serde_json::to_writer(&mut out, &doc)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
