//! `reprint cluster`: every document's near-duplicate (or story) cluster, as a table, JSON,
//! JSONL or Parquet. The clustering itself is [`reprint::pipeline::cluster`]'s; this command
//! turns the flags into its configuration and writes what it found.

use crate::cli::args::{ClusterArgs, ClusterFormat, Level};
use crate::cli::outputs::{check_output, refuse_binary_on_terminal};
use crate::cli::{
    input_names, match_config, open_output, signature_params, story_config, story_summary,
    stream_options, usage, write_json, Ui, Watch,
};
use anyhow::Result;
use reprint::near_dup::cluster::Keep;
use reprint::pipeline::cluster::{
    cluster_inputs, cluster_signed, ClusterConfig, Clustering, SignedClusterConfig,
};
use reprint::pipeline::ingest::Entry;
use reprint::report::table::TableFormat;
use reprint::report::{
    write_cluster_table, ClusterLine, ClusterParams, ClusterReport, StoryParams,
};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: ClusterArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let inputs = args.inputs.iter().chain(&args.from_signatures);
    check_output(args.output.as_deref(), inputs.map(PathBuf::as_path))?;
    if args.format == ClusterFormat::Parquet {
        refuse_binary_on_terminal(args.output.as_deref(), "--format parquet")?;
    }
    let keep: Keep = args.keep.into();
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let mut watch = Watch::new(
        ui,
        args.input.on_error,
        "--format json, jsonl, csv or parquet lists all",
    );
    let (clustering, cluster_params) = if let Some(dir) = &args.from_signatures {
        if args.level == Level::Story {
            return Err(usage(
                "--from-signatures clusters near-duplicates: stories need the texts",
            ));
        }
        let config = SignedClusterConfig {
            params,
            matching,
            keep,
            memory_limit: args.memory_limit,
        };
        let clustering = cluster_signed(dir, &config, &mut watch)?;
        let names = clustering
            .tables
            .iter()
            .map(|t| t.display().to_string())
            .collect();
        let mut cluster_params = ClusterParams::new(&params, &matching, weights, keep, names);
        cluster_params.verified_by = "minhash-estimate";
        (clustering, cluster_params)
    } else {
        let story = story_config(&args.story)?;
        let config = ClusterConfig {
            read: stream_options(&args.input, params),
            matching,
            keep,
            story: (args.level == Level::Story).then_some(story),
            memory_limit: args.memory_limit,
        };
        let clustering = cluster_inputs(&args.inputs, &config, &mut watch)?;
        let mut cluster_params =
            ClusterParams::new(&params, &matching, weights, keep, input_names(&args.inputs));
        if let Some(story) = &config.story {
            cluster_params.level = "story";
            cluster_params.story = Some(StoryParams::new(story));
        }
        (clustering, cluster_params)
    };
    if keep == Keep::Earliest && clustering.unparsed_dates > 0 {
        ui.line(&format!(
            "reprint: warning: {} documents have a date that is not ISO 8601; \
             --keep earliest treats them as undated",
            clustering.unparsed_dates
        ));
    }
    if let Some(runs) = clustering.spilled_runs {
        ui.note(&format!(
            "reprint: within --memory-limit, the band-key sort spilled {runs} runs"
        ));
    }
    write_output(&args, clustering, cluster_params, ui)
}

/// Write the clusters as `args.format` asks, and the summary line. Only the text and JSON
/// reports are assembled whole (ids repeated per cluster); a line per record is written
/// straight from the memberships, so archives stay within their memory.
fn write_output(
    args: &ClusterArgs,
    result: Clustering,
    params: ClusterParams,
    ui: &Ui,
) -> Result<()> {
    let documents = result.memberships.len();
    let skipped = result.skipped.len();
    let sizes = result.cluster_sizes();
    let duplicates = result.duplicates();
    let mut out = open_output(args.output.as_deref())?;
    match args.format {
        ClusterFormat::Text | ClusterFormat::Json => {
            let report = ClusterReport::new(
                params,
                result.documents,
                &result.memberships,
                result.skipped,
            );
            if args.format == ClusterFormat::Text {
                report.write_text(&mut out)?;
            } else {
                write_json(&mut out, &report)?;
            }
        }
        ClusterFormat::Jsonl => {
            for entry in &result.order {
                serde_json::to_writer(&mut out, &line(&result, *entry))?;
                writeln!(out)?;
            }
        }
        ClusterFormat::Csv | ClusterFormat::Parquet => {
            let format = if args.format == ClusterFormat::Csv {
                TableFormat::Csv
            } else {
                TableFormat::Parquet
            };
            let name = args
                .output
                .as_ref()
                .map_or_else(|| "-".to_string(), |p| p.display().to_string());
            let lines = result.order.iter().map(|entry| line(&result, *entry));
            write_cluster_table(&mut out, &name, format, lines)?;
        }
    }
    out.finish()?;
    let summary = match args.level {
        Level::NearDuplicate => format!(
            "reprint: {documents} documents in {} clusters ({duplicates} near-duplicates), \
             {skipped} skipped",
            sizes.len(),
        ),
        Level::Story => story_summary(documents, sizes.into_iter(), skipped),
    };
    ui.summary(&summary);
    Ok(())
}

/// The output line of one input record.
fn line(result: &Clustering, entry: Entry) -> ClusterLine<'_> {
    match entry {
        Entry::Document(i) => {
            let doc = &result.documents[i];
            let m = &result.memberships[i];
            ClusterLine {
                id: Some(&doc.id),
                cluster: Some(m.cluster),
                representative: result
                    .documents
                    .get(m.representative)
                    .map(|r| r.id.as_str()),
                similarity: Some(m.similarity),
                outlet: doc.outlet.as_deref(),
                date: doc.date.as_deref(),
                source: None,
                reason: None,
            }
        }
        Entry::Skipped(i) => ClusterLine::skipped(&result.skipped[i]),
    }
}
