//! `reprint dedup`: a streaming near-duplicate filter over JSONL.
//!
//! Lines go out in input order as soon as their batch is decided: the first document of a
//! near-duplicate group is kept, later ones are dropped (or, with `--annotate`, kept and tagged
//! with `duplicate_of` and `similarity`). JSONL lines are written back byte for byte, so unknown
//! fields pass through. Memory holds the band keys and shingle sets of kept documents only,
//! never the text read.

use crate::cli::args::DedupArgs;
use crate::cli::outputs::check_outputs;
use crate::cli::{match_config, open_output, signature_params, stream_options, Ui, Watch};
use anyhow::Result;
use reprint::pipeline::dedup::{Decision, Deduplicator};
use reprint::pipeline::ingest::{fingerprint_inputs, FingerprintedDocument, Outcome};
use reprint::pipeline::Observer;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(args: DedupArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let mut options = stream_options(&args.input, params);
    options.keep_raw = true;
    options.keep_text = true;

    let outputs: Vec<(&str, &Path)> = [("--output", &args.output), ("--skipped", &args.skipped)]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
        .collect();
    let inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    check_outputs(&outputs, &inputs)?;
    let mut out = open_output(args.output.as_deref())?;
    let mut skipped_out = match &args.skipped {
        Some(path) => Some(open_output(Some(path))?),
        None => None,
    };
    let mut dedup = Deduplicator::new(matching);
    let hint = if args.skipped.is_some() {
        "--skipped lists all"
    } else {
        "--skipped FILE lists all"
    };
    let mut watch = Watch::new(ui, args.input.on_error, hint);
    let (mut read, mut bytes) = (0usize, 0usize);
    let notes = fingerprint_inputs(&args.inputs, &options, |outcome, end_of_batch| {
        read += 1;
        match outcome {
            Outcome::Skipped(skipped) => {
                if let Some(file) = &mut skipped_out {
                    let line = serde_json::to_string(&skipped)
                        .map_err(|e| reprint::Error::io("--skipped", e.into()))?;
                    writeln!(file, "{line}").map_err(|e| reprint::Error::io("--skipped", e))?;
                }
                watch.skipped(&skipped)?
            }
            Outcome::Document(mut doc) => {
                bytes += doc.bytes;
                let shingles = std::mem::take(&mut doc.fingerprint.shingles);
                match dedup.add(&doc.id, &doc.fingerprint.signature, shingles)? {
                    Decision::Kept => write_record(&mut out, &doc, None)?,
                    Decision::Duplicate { of, similarity } => {
                        if args.annotate {
                            write_record(&mut out, &doc, Some((of, similarity)))?;
                        }
                    }
                }
            }
        }
        watch.progress(read, bytes);
        if end_of_batch {
            out.flush().map_err(|e| reprint::Error::io("-", e))?;
        }
        Ok(())
    })?;
    watch.read_notes(&notes);
    out.finish()?;
    if let Some(file) = skipped_out {
        file.finish()?;
    }
    ui.summary(&format!(
        "reprint dedup: {read} read, {} kept, {} near-duplicates {}, {} skipped",
        dedup.kept(),
        dedup.duplicates(),
        if args.annotate {
            "annotated"
        } else {
            "dropped"
        },
        watch.skips()
    ));
    Ok(())
}

/// A document read from a file or an archive rather than a JSONL line: the text reprint read
/// (an HTML page's article text), which every offset reprint reports refers to.
#[derive(Serialize)]
struct FileRecord<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outlet: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    text: &'a str,
}

/// Write a document's line, with `duplicate_of` and `similarity` added when given.
fn write_record(
    out: &mut impl Write,
    doc: &FingerprintedDocument,
    duplicate_of: Option<(&str, f64)>,
) -> reprint::Result<()> {
    let io = |e| reprint::Error::io("-", e);
    let owned;
    let line = match &doc.raw {
        Some(raw) => raw.trim_end(),
        None => {
            owned = serde_json::to_string(&FileRecord {
                id: &doc.id,
                outlet: doc.outlet.as_deref(),
                date: doc.date.as_deref(),
                text: doc.text.as_deref().unwrap_or_default(),
            })
            .map_err(|e| reprint::Error::io("-", e.into()))?;
            &owned
        }
    };
    match duplicate_of {
        None => writeln!(out, "{line}").map_err(io),
        Some((id, similarity)) => {
            // The line parsed as a JSON object, so it ends with `}`: splice the fields in.
            let body = line.strip_suffix('}').unwrap_or(line);
            let id = serde_json::to_string(id).map_err(|e| reprint::Error::io("-", e.into()))?;
            writeln!(
                out,
                "{body},\"duplicate_of\":{id},\"similarity\":{}}}",
                (similarity * 1e4).round() / 1e4
            )
            .map_err(io)
        }
    }
}
