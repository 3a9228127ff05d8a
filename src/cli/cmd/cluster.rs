//! `reprint cluster`: every document's near-duplicate cluster, as a table, JSON or JSONL.

use crate::cli::args::{ClusterArgs, ClusterFormat};
use crate::cli::{
    input_names, match_config, open_output, signature_params, stream_options, write_json, SkipLog,
    Ui,
};
use anyhow::Result;
use reprint::cluster::{cluster, ClusterItem, Keep};
use reprint::corpus::{fingerprint_inputs, FingerprintedDocument, Outcome};
use reprint::report::{ClusterLine, ClusterParams, ClusterReport};
use std::io::Write;

/// An input record's place in the outputs, in input order.
enum Entry {
    Document(usize),
    Skipped(usize),
}

pub fn run(args: ClusterArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let options = stream_options(&args.input, params);
    let keep: Keep = args.keep.into();

    let mut documents: Vec<FingerprintedDocument> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let mut bytes = 0;
    fingerprint_inputs(&args.inputs, &options, |outcome, _| {
        match outcome {
            Outcome::Document(doc) => {
                bytes += doc.bytes;
                entries.push(Entry::Document(documents.len()));
                documents.push(*doc);
            }
            Outcome::Skipped(skipped) => {
                entries.push(Entry::Skipped(skips.skipped.len()));
                skips.record(skipped)?;
            }
        }
        ui.progress(entries.len(), bytes);
        Ok(())
    })?;

    let undated = documents
        .iter()
        .filter(|d| d.date.is_some() && d.timestamp.is_none())
        .count();
    if keep == Keep::Earliest && undated > 0 {
        ui.line(&format!(
            "reprint: warning: {undated} documents have a date that is not ISO 8601; \
             --keep earliest treats them as undated"
        ));
    }
    let items: Vec<ClusterItem> = documents
        .iter()
        .map(|d| ClusterItem {
            id: &d.id,
            fingerprint: &d.fingerprint,
            bytes: d.bytes,
            timestamp: d.timestamp,
        })
        .collect();
    let memberships = cluster(&items, &matching, keep)?;
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let report = ClusterReport::new(
        ClusterParams::new(&params, &matching, weights, keep, input_names(&args.inputs)),
        &documents,
        &memberships,
        skips.skipped,
    );

    let mut out = open_output(args.output.as_deref())?;
    match args.format {
        ClusterFormat::Text => report.write_text(&mut out)?,
        ClusterFormat::Json => write_json(&mut out, &report)?,
        ClusterFormat::Jsonl => {
            for entry in &entries {
                let line = match *entry {
                    Entry::Document(i) => ClusterLine {
                        id: Some(&report.documents[i].id),
                        cluster: Some(report.documents[i].cluster),
                        source: None,
                        skipped: None,
                    },
                    Entry::Skipped(i) => {
                        let s = &report.skipped[i];
                        ClusterLine {
                            id: s.id.as_deref(),
                            cluster: None,
                            source: Some(&s.source),
                            skipped: Some(&s.reason),
                        }
                    }
                };
                serde_json::to_writer(&mut out, &line)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    ui.summary(&format!(
        "reprint: {} documents in {} clusters ({} near-duplicates), {} skipped",
        report.documents.len(),
        report.clusters.len(),
        report.duplicates(),
        report.skipped.len()
    ));
    Ok(())
}
