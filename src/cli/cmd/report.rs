//! `reprint report`: story clusters, every passage labelled, originality per article and outlet.

use crate::cli::args::{ReportArgs, ReportFormat};
use crate::cli::outputs::check_output;
use crate::cli::{
    cluster_items, input_names, match_config, open_output, read_documents, signature_params,
    story_config, story_summary, stream_options, write_json, SkipLog, Ui,
};
use anyhow::Result;
use reprint::near_dup::cluster::{cluster, Keep};
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::report::{ClusterParams, PassageReport, ReportParams};

pub fn run(args: ReportArgs, ui: &Ui) -> Result<()> {
    check_output(
        args.output.as_deref(),
        args.inputs.iter().map(std::path::PathBuf::as_path),
    )?;
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let config = AnalysisConfig {
        story: story_config(&args.story)?,
        max_partners: args.max_partners,
        passages: true,
    };
    let mut options = stream_options(&args.input, params);
    options.keep_text = true;
    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json lists all");
    let (documents, _) = read_documents(&args.inputs, &options, ui, &mut skips, Ok)?;

    let items = cluster_items(&documents);
    let memberships = cluster(&items, &matching, Keep::First)?;
    let texts: Vec<&str> = documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect();
    let inputs = ArticleInput::of_documents(&documents, &memberships, &texts);
    let analyses = analyze(&inputs, &config)?;
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let near = ClusterParams::new(
        &params,
        &matching,
        weights,
        Keep::First,
        input_names(&args.inputs),
    );
    let report = PassageReport::new(
        ReportParams::new(&config, near),
        &documents,
        &memberships,
        &analyses,
        skips.skipped,
    );
    let mut out = open_output(args.output.as_deref())?;
    match args.format {
        ReportFormat::Text => report.write_text(&mut out, &texts)?,
        ReportFormat::Json => write_json(&mut out, &report)?,
        ReportFormat::Html => report.write_html(&mut out, &texts)?,
    }
    out.finish()?;
    ui.summary(&story_summary(
        report.documents.len(),
        report.clusters.iter().map(|c| c.documents.len()),
        report.skipped.len(),
    ));
    Ok(())
}
