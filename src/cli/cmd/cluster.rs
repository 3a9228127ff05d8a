//! `reprint cluster`: every document's near-duplicate cluster, as a table, JSON or JSONL.

use crate::cli::args::{ClusterArgs, ClusterFormat, Level};
use crate::cli::{
    cluster_items, input_names, match_config, open_output, read_documents, signature_params,
    story_config, story_summary, stream_options, write_json, Entry, SkipLog, Ui,
};
use anyhow::Result;
use reprint::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::cluster::{cluster, visit_order, ClusterItem, Keep, Membership};
use reprint::report::{ClusterLine, ClusterParams, ClusterReport, StoryParams};
use std::io::Write;

pub fn run(args: ClusterArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let story = story_config(&args.story)?;
    let mut options = stream_options(&args.input, params);
    options.keep_text = args.level == Level::Story;
    let keep: Keep = args.keep.into();

    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let (documents, entries) = read_documents(&args.inputs, &options, ui, &mut skips)?;

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
    let items = cluster_items(&documents);
    let mut memberships = cluster(&items, &matching, keep)?;
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let mut cluster_params =
        ClusterParams::new(&params, &matching, weights, keep, input_names(&args.inputs));
    if args.level == Level::Story {
        let config = AnalysisConfig {
            story,
            passages: false,
            ..AnalysisConfig::default()
        };
        memberships = story_memberships(
            &items,
            &memberships,
            &documents_texts(&documents),
            &documents
                .iter()
                .map(|d| d.outlet.as_deref())
                .collect::<Vec<_>>(),
            &config,
            keep,
        )?;
        cluster_params.level = "story";
        cluster_params.story = Some(StoryParams::new(&config.story));
    }
    let report = ClusterReport::new(cluster_params, &documents, &memberships, skips.skipped);

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
    let summary = match args.level {
        Level::NearDuplicate => format!(
            "reprint: {} documents in {} clusters ({} near-duplicates), {} skipped",
            report.documents.len(),
            report.clusters.len(),
            report.duplicates(),
            report.skipped.len()
        ),
        Level::Story => story_summary(
            report.documents.len(),
            report.clusters.iter().map(|c| c.documents.len()),
            report.skipped.len(),
        ),
    };
    ui.summary(&summary);
    Ok(())
}

fn documents_texts(documents: &[reprint::corpus::FingerprintedDocument]) -> Vec<&str> {
    documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect()
}

/// Story clusters as memberships: the representative is the first member in `keep` order and
/// the similarity is the story-vector cosine to it.
fn story_memberships(
    items: &[ClusterItem<'_>],
    near: &[Membership],
    texts: &[&str],
    outlets: &[Option<&str>],
    config: &AnalysisConfig,
    keep: Keep,
) -> Result<Vec<Membership>> {
    let inputs: Vec<ArticleInput> = items
        .iter()
        .zip(near)
        .zip(texts)
        .zip(outlets)
        .map(|(((item, m), text), outlet)| ArticleInput {
            text,
            outlet: *outlet,
            timestamp: item.timestamp,
            representative: m.representative,
        })
        .collect();
    let analyses = analyze(&inputs, config)?;
    let stories = analyses.iter().map(|a| a.story + 1).max().unwrap_or(0);
    let mut representative = vec![usize::MAX; stories];
    for i in visit_order(items, keep) {
        let s = analyses[i].story;
        if representative[s] == usize::MAX {
            representative[s] = i;
        }
    }
    let vector = |i: usize| analyses[near[i].representative].story_vector.as_ref();
    Ok(analyses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let r = representative[a.story];
            let similarity = match (vector(i), vector(r)) {
                _ if i == r => 1.0,
                (Some(x), Some(y)) => x.cosine(y),
                _ => 0.0,
            };
            Membership {
                cluster: a.story,
                representative: r,
                similarity,
            }
        })
        .collect())
}
