//! `reprint report`: story clusters, every passage labelled, originality per article and outlet.

use crate::cli::args::{ReportArgs, ReportFormat};
use crate::cli::outputs::check_output;
use crate::cli::{
    input_names, match_config, open_output, signature_params, story_config, story_summary,
    stream_options, write_json, Ui, Watch,
};
use anyhow::Result;
use reprint::near_dup::cluster::Keep;
use reprint::pipeline::analysis::AnalysisConfig;
use reprint::pipeline::stories::{analyze_inputs, Analyzed};
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
    let options = stream_options(&args.input, params);
    let mut watch = Watch::new(ui, args.input.on_error, "--format json lists all");
    let Analyzed {
        documents,
        memberships,
        analyses,
        skipped,
    } = analyze_inputs(&args.inputs, &options, &matching, &config, &mut watch)?;
    let texts: Vec<&str> = documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect();
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
        skipped,
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
