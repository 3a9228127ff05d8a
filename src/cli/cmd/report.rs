//! `reprint report`: story clusters, every passage labelled, originality per article and outlet.

use crate::cli::args::{ReportArgs, ReportFormat, TablesFormat};
use crate::cli::outputs::{check_outputs, refuse_binary_on_terminal, Output};
use crate::cli::{
    input_names, match_config, open_output, signature_params, story_config, story_summary,
    stream_options, write_json, Ui, Watch,
};
use anyhow::{Context, Result};
use reprint::near_dup::cluster::Keep;
use reprint::pipeline::analysis::{AnalysisConfig, ArticleAnalysis};
use reprint::pipeline::ingest::Entry;
use reprint::pipeline::stories::{analyze_inputs, Analyzed, Texts};
use reprint::report::table::{TableFormat, TableWriter};
use reprint::report::{
    ClusterLine, ClusterParams, PassageReport, ReportDocument, ReportParams, ReportTotals,
    ARTICLE_COLUMNS, OUTLET_COLUMNS, PASSAGE_COLUMNS, REUSE_COLUMNS,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Input records labelled and written at a time by the row outputs.
const LABEL_BATCH: usize = 2048;

/// The files `--tables` writes, in this order.
const TABLES: [&str; 4] = ["articles", "outlets", "reuse", "passages"];

pub fn run(args: ReportArgs, ui: &Ui) -> Result<()> {
    let format = match (args.format, &args.tables) {
        (Some(format), _) => Some(format),
        (None, Some(_)) => None,
        (None, None) => Some(ReportFormat::Text),
    };
    let table_paths: Vec<PathBuf> = match &args.tables {
        Some(dir) => {
            let ext = match args.tables_format {
                TablesFormat::Csv => "csv",
                TablesFormat::Parquet => "parquet",
            };
            TABLES
                .iter()
                .map(|t| dir.join(format!("{t}.{ext}")))
                .collect()
        }
        None => Vec::new(),
    };
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    if let (Some(path), Some(_)) = (args.output.as_deref(), format) {
        outputs.push(("--output", path));
    }
    outputs.extend(table_paths.iter().map(|p| ("--tables", p.as_path())));
    let inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    check_outputs(&outputs, &inputs)?;
    if format == Some(ReportFormat::Parquet) {
        refuse_binary_on_terminal(args.output.as_deref(), "--format parquet")?;
    }
    if let Some(dir) = &args.tables {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --tables {}", dir.display()))?;
    }
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    let config = AnalysisConfig {
        story: story_config(&args.story)?,
        max_partners: args.max_partners,
        passages: true,
        memory_limit: args.memory_limit,
    };
    let options = stream_options(&args.input, params);
    let mut watch = Watch::new(ui, args.input.on_error, "--format json or jsonl lists all");
    // Only the text and HTML reports quote the texts; the others give byte spans.
    let texts = match format {
        Some(ReportFormat::Text | ReportFormat::Html) => Texts::Keep,
        _ => Texts::Drop,
    };
    let analyzed = analyze_inputs(
        &args.inputs,
        &options,
        &matching,
        (&config, texts),
        &mut watch,
    )?;
    let summary = story_summary(
        analyzed.documents.len(),
        story_sizes(&analyzed).into_iter(),
        analyzed.skipped.len(),
    );
    match format {
        Some(ReportFormat::Text | ReportFormat::Json | ReportFormat::Html) => {
            whole_report(&args, format, &config, &params, &matching, &analyzed)?;
        }
        Some(ReportFormat::Jsonl) | Some(ReportFormat::Parquet) | None => {}
    }
    let table_format = match args.tables_format {
        TablesFormat::Csv => TableFormat::Csv,
        TablesFormat::Parquet => TableFormat::Parquet,
    };
    stream_rows(&args, format, table_format, &table_paths, &analyzed)?;
    ui.summary(&summary);
    Ok(())
}

/// How many documents each story has.
fn story_sizes(analyzed: &Analyzed) -> Vec<usize> {
    let mut sizes: Vec<usize> = Vec::new();
    for &story in analyzed.analysis.stories() {
        if sizes.len() <= story {
            sizes.resize(story + 1, 0);
        }
        sizes[story] += 1;
    }
    sizes
}

/// The text, JSON or HTML report, which needs every document at once.
fn whole_report(
    args: &ReportArgs,
    format: Option<ReportFormat>,
    config: &AnalysisConfig,
    params: &reprint::sketch::signature::SignatureParams,
    matching: &reprint::near_dup::cluster::MatchConfig,
    analyzed: &Analyzed,
) -> Result<()> {
    let texts: Vec<&str> = analyzed
        .documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect();
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let near = ClusterParams::new(
        params,
        matching,
        weights,
        Keep::First,
        input_names(&args.inputs),
    );
    let analyses = analyzed.analysis.articles(0..analyzed.analysis.len());
    let report = PassageReport::new(
        ReportParams::new(config, near),
        &analyzed.documents,
        &analyzed.memberships,
        &analyses,
        analyzed.skipped.clone(),
    );
    let mut out = open_output(args.output.as_deref())?;
    match format {
        Some(ReportFormat::Json) => write_json(&mut out, &report)?,
        Some(ReportFormat::Html) => report.write_html(&mut out, &texts)?,
        _ => report.write_text(&mut out, &texts)?,
    }
    out.finish()
}

/// The outputs written document by document: JSONL lines, the passages table, `--tables`.
struct RowOutputs {
    jsonl: Option<Output>,
    passages: Option<TableWriter<Output>>,
    tables: Option<[TableWriter<Output>; 4]>,
}

/// One batch of documents labelled for the row outputs: the first document's index, and each
/// document's analysis with its JSONL line when one is written.
struct LabelledBatch {
    start: usize,
    articles: Vec<(ArticleAnalysis, serde_json::Result<Option<Vec<u8>>>)>,
}

/// Write one labelled batch of input records (documents and skipped records) to the row
/// outputs, in input order, and add its documents to the totals.
fn write_batch(
    batch: &[Entry],
    labelled: &LabelledBatch,
    analyzed: &Analyzed,
    sinks: &mut RowOutputs,
    totals: &mut ReportTotals,
) -> Result<()> {
    let Analyzed {
        documents,
        memberships,
        skipped,
        ..
    } = analyzed;
    for entry in batch {
        match *entry {
            Entry::Document(i) => {
                let (article, line) = &labelled.articles[i - labelled.start];
                // The JSONL line was formatted while labelling; the row outputs read the
                // entry again here, on the one writing thread, only when there are any.
                let rows = sinks.passages.is_some() || sinks.tables.is_some();
                let doc = rows.then(|| ReportDocument::new(i, documents, memberships, article));
                if let Some(out) = &mut sinks.jsonl {
                    match line {
                        Ok(Some(line)) => out.write_all(line)?,
                        Ok(None) => {}
                        Err(e) => anyhow::bail!("cannot format document {i}'s line: {e}"),
                    }
                    writeln!(out)?;
                }
                if let (Some(table), Some(doc)) = (&mut sinks.passages, &doc) {
                    doc.write_passage_rows(table)?;
                }
                if let (Some([articles, _, _, passages]), Some(doc)) = (&mut sinks.tables, &doc) {
                    articles.row(&doc.article_cells())?;
                    doc.write_passage_rows(passages)?;
                    totals.add(i, documents, article);
                }
            }
            Entry::Skipped(i) => {
                if let Some(out) = &mut sinks.jsonl {
                    let line = ClusterLine::skipped(&skipped[i]);
                    serde_json::to_writer(&mut *out, &line)?;
                    writeln!(out)?;
                }
            }
        }
    }
    Ok(())
}

/// Write the JSONL lines, the passages table and the `--tables` files, one document at a
/// time; outlet totals and reuse are gathered as documents go by.
fn stream_rows(
    args: &ReportArgs,
    format: Option<ReportFormat>,
    table_format: TableFormat,
    table_paths: &[PathBuf],
    analyzed: &Analyzed,
) -> Result<()> {
    let name = |p: Option<&Path>| p.map_or_else(|| "-".to_string(), |p| p.display().to_string());
    let mut sinks = RowOutputs {
        jsonl: None,
        passages: None,
        tables: None,
    };
    match format {
        Some(ReportFormat::Jsonl) => sinks.jsonl = Some(open_output(args.output.as_deref())?),
        Some(ReportFormat::Parquet) => {
            let out = open_output(args.output.as_deref())?;
            let label = name(args.output.as_deref());
            sinks.passages = Some(TableWriter::new(
                out,
                &label,
                TableFormat::Parquet,
                "passages",
                PASSAGE_COLUMNS,
            )?);
        }
        _ => {}
    }
    if !table_paths.is_empty() {
        let columns = [
            ARTICLE_COLUMNS,
            OUTLET_COLUMNS,
            REUSE_COLUMNS,
            PASSAGE_COLUMNS,
        ];
        let mut opened = Vec::with_capacity(4);
        for ((path, table), columns) in table_paths.iter().zip(TABLES).zip(columns) {
            let out = open_output(Some(path))?;
            opened.push(TableWriter::new(
                out,
                &path.display().to_string(),
                table_format,
                table,
                columns,
            )?);
        }
        sinks.tables = opened.try_into().ok();
    }
    if sinks.jsonl.is_none() && sinks.passages.is_none() && sinks.tables.is_none() {
        return Ok(());
    }
    let Analyzed {
        documents,
        memberships,
        analysis,
        order,
        ..
    } = analyzed;
    let mut totals = ReportTotals::default();
    // Documents are labelled a batch at a time, in parallel, and written in input order while
    // the next batch is labelled: at most two batches of labelled passages are held at once.
    let jsonl = sinks.jsonl.is_some();
    let label = |batch: &[Entry]| -> LabelledBatch {
        let first = batch.iter().find_map(|e| match e {
            Entry::Document(i) => Some(*i),
            Entry::Skipped(_) => None,
        });
        let last = batch.iter().rev().find_map(|e| match e {
            Entry::Document(i) => Some(*i + 1),
            Entry::Skipped(_) => None,
        });
        let start = first.unwrap_or(0);
        // Each document is labelled, and its JSONL line formatted, on every core.
        let articles = analysis.map_articles(start..last.unwrap_or(start), |i, article| {
            let line = jsonl.then(|| {
                let doc = ReportDocument::new(i, documents, memberships, &article);
                // Sized once from the passages (about 70 bytes a partner), where growing
                // by doubling copied a 13 KB line a dozen times.
                let partners: usize = doc.passages.iter().map(|p| p.shared_with.len()).sum();
                let mut line = Vec::with_capacity(256 + 64 * doc.passages.len() + 80 * partners);
                serde_json::to_writer(&mut line, &doc).map(|()| line)
            });
            (article, line.transpose())
        });
        LabelledBatch { start, articles }
    };
    let batches: Vec<&[Entry]> = order.chunks(LABEL_BATCH).collect();
    let mut labelled = batches.first().map(|b| label(b));
    for (k, batch) in batches.iter().enumerate() {
        let Some(current) = labelled.take() else {
            break;
        };
        let (written, next) = rayon::join(
            || write_batch(batch, &current, analyzed, &mut sinks, &mut totals),
            || batches.get(k + 1).map(|b| label(b)),
        );
        written?;
        labelled = next;
    }
    if let Some(out) = sinks.jsonl {
        out.finish()?;
    }
    if let Some(table) = sinks.passages {
        table.finish()?.finish()?;
    }
    if let Some([articles, mut outlets, mut reuse, passages]) = sinks.tables {
        let (_, outlet_rows, reuse_rows) = totals.finish(documents);
        for o in &outlet_rows {
            outlets.row(&o.cells())?;
        }
        for r in &reuse_rows {
            reuse.row(&r.cells())?;
        }
        for table in [articles, outlets, reuse, passages] {
            table.finish()?.finish()?;
        }
    }
    Ok(())
}
