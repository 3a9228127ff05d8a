//! `reprint compare`: two documents side by side (see [`reprint::near_dup::compare`] and
//! [`reprint::report::compare`]).

use crate::cli::args::{CompareArgs, Format};
use crate::cli::{signature_params, stream_options, write_json};
use anyhow::{Context, Result};
use reprint::near_dup::compare::compare;
use reprint::read::{find_texts, text_file};
use reprint::report::compare::CompareReport;
use reprint::Fingerprinter;
use std::io;
use std::path::Path;

pub fn run(args: CompareArgs) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let (a, b) = if args.from.is_empty() {
        (
            text_file(Path::new(&args.a))?,
            text_file(Path::new(&args.b))?,
        )
    } else {
        let read = stream_options(&args.input, params);
        find_texts(
            &args.from,
            &read.fields,
            read.max_record_bytes,
            (&args.a, &args.b),
        )?
    };
    let mut fingerprinter = Fingerprinter::new(params)?;
    let comparison = compare(&mut fingerprinter, &a, &b).context("comparing")?;
    let report = CompareReport::new(params, (&args.a, &a), (&args.b, &b), &comparison);
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Text => report.write_text(&mut out)?,
    }
    Ok(())
}
