//! `reprint index`: a persistent near-duplicate index in one directory (see `reprint::index`).
//!
//! `add` and `query` read like `cluster`: documents are fingerprinted in parallel and handled in
//! input order, one batch at a time. Each batch of `add` is one transaction, committed before its
//! lines are written, so every line printed describes a committed state.

use crate::cli::args::{
    Format, IndexAddArgs, IndexArgs, IndexCommand, IndexCompactArgs, IndexCreateArgs, IndexFormat,
    IndexRemoveArgs, IndexStatsArgs,
};
use crate::cli::outputs::check_output;
use crate::cli::{
    match_config, open_output, signature_params, story_config, stream_options, write_json, Ui,
    Watch,
};
use anyhow::Result;
use reprint::index::{Index, IndexParams, IndexReader, Removal, Verdict};
use reprint::pipeline::index::{index_inputs, IndexHandle, Indexed};
use reprint::report::index::IndexSummary;
use serde::Serialize;
use std::io::Write;

pub fn run(args: IndexArgs, ui: &Ui) -> Result<()> {
    match args.command {
        IndexCommand::Create(args) => create(args, ui),
        IndexCommand::Add(args) => add_or_query(args, ui, true),
        IndexCommand::Query(args) => add_or_query(args, ui, false),
        IndexCommand::Stats(args) => stats(args),
        IndexCommand::Remove(args) => remove(args, ui),
        IndexCommand::Compact(args) => compact(args, ui),
    }
}

fn create(args: IndexCreateArgs, ui: &Ui) -> Result<()> {
    if args.matching.containment {
        return Err(crate::cli::usage(
            "an index matches by Jaccard; --containment is not available",
        ));
    }
    let signature = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &signature)?;
    let story = story_config(&args.story)?;
    let params = IndexParams {
        stories: !args.no_stories,
        ..IndexParams::new(&signature, &matching, &story)
    };
    Index::create(&args.dir, params)?;
    let stories = if params.stories {
        format!(
            "stories at {} within {}",
            params.story_threshold,
            window_text(params.story_window)
        )
    } else {
        "no stories".into()
    };
    ui.summary(&format!(
        "reprint: created an index in {} (threshold {}, {} permutations, {}-word shingles, \
         seed {}, {} bands x {} rows; {stories})",
        args.dir.display(),
        params.threshold,
        params.num_perm,
        params.shingle_size,
        params.seed,
        params.bands,
        params.rows,
    ));
    Ok(())
}

/// A story window as `create` was given it.
fn window_text(window: Option<i64>) -> String {
    match window {
        None => "any span".into(),
        Some(w) if w % 86_400 == 0 => format!("{}d", w / 86_400),
        Some(w) if w % 3_600 == 0 => format!("{}h", w / 3_600),
        Some(w) => format!("{w}s"),
    }
}

/// One line of `add` or `query` output.
#[derive(Serialize)]
struct VerdictLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nearest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    similarity: Option<f64>,
    /// Older stories this document showed to be its story, merged into it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    merged: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Default)]
struct Counts {
    new: usize,
    story: usize,
    duplicate: usize,
    exists: usize,
    skipped: usize,
}

fn add_or_query(args: IndexAddArgs, ui: &Ui, write: bool) -> Result<()> {
    // The index's own files count as inputs: an output on them would destroy the index.
    let inputs = args.inputs.iter().chain(std::iter::once(&args.dir));
    check_output(
        args.output.as_deref(),
        inputs.map(std::path::PathBuf::as_path),
    )?;
    if !write && args.fold_at.is_some() {
        return Err(crate::cli::usage(
            "--fold-at is for `reprint index add`; a query writes nothing",
        ));
    }
    let mut handle = IndexHandle::open(&args.dir, write)?;
    if let (IndexHandle::Writer(index), Some(n)) = (&mut handle, args.fold_at) {
        index.set_fold_at(n);
    }
    let read = stream_options(&args.input, handle.params().signature());
    let mut out = open_output(args.output.as_deref())?;
    let out_name = args
        .output
        .as_ref()
        .map_or_else(|| "-".to_string(), |p| p.display().to_string());
    let mut watch = Watch::new(ui, args.input.on_error, "--format jsonl lists all");
    let mut counts = Counts::default();
    index_inputs(
        &mut handle,
        &args.inputs,
        &read,
        &mut watch,
        |outcome, end_of_batch| {
            let line = match outcome {
                Indexed::Skipped(s) => {
                    counts.skipped += 1;
                    VerdictLine {
                        id: s.id.as_deref(),
                        status: None,
                        story: None,
                        duplicate_of: None,
                        nearest: None,
                        similarity: None,
                        merged: Vec::new(),
                        source: Some(&s.source),
                        reason: Some(&s.reason),
                    }
                }
                Indexed::Verdict { id, verdict } => line_of(id, verdict, &mut counts),
            };
            write_line(&mut out, &line, args.format)
                .map_err(|e| reprint::Error::io(&out_name, e))?;
            if end_of_batch {
                out.flush().map_err(|e| reprint::Error::io(&out_name, e))?;
            }
            Ok(())
        },
    )?;
    out.finish()?;
    ui.summary(&format!(
        "reprint: {} documents {}: {} new stories, {} in an indexed story, {} near-duplicates, \
         {} already indexed, {} skipped",
        counts.new + counts.story + counts.duplicate + counts.exists,
        if write { "added" } else { "queried" },
        counts.new,
        counts.story,
        counts.duplicate,
        counts.exists,
        counts.skipped
    ));
    Ok(())
}

fn line_of<'a>(id: &'a str, verdict: Verdict, counts: &mut Counts) -> VerdictLine<'a> {
    let round = |x: f64| (x * 1e4).round() / 1e4;
    let mut line = VerdictLine {
        id: Some(id),
        status: None,
        story: None,
        duplicate_of: None,
        nearest: None,
        similarity: None,
        merged: Vec::new(),
        source: None,
        reason: None,
    };
    match verdict {
        Verdict::New { story } => {
            counts.new += 1;
            line.status = Some("new");
            line.story = story;
        }
        Verdict::Story {
            story,
            similarity,
            nearest_id,
            merged,
            ..
        } => {
            counts.story += 1;
            line.status = Some("story");
            line.story = Some(story);
            line.nearest = Some(nearest_id);
            line.similarity = Some(round(similarity));
            line.merged = merged;
        }
        Verdict::Exists { .. } => {
            counts.exists += 1;
            line.status = Some("exists");
        }
        Verdict::Duplicate {
            of_id,
            similarity,
            story,
            ..
        } => {
            counts.duplicate += 1;
            line.status = Some("duplicate");
            line.story = Some(story);
            line.duplicate_of = Some(of_id);
            line.similarity = Some(round(similarity));
        }
    }
    line
}

fn write_line(
    out: &mut impl Write,
    line: &VerdictLine<'_>,
    format: IndexFormat,
) -> std::io::Result<()> {
    match format {
        IndexFormat::Jsonl => {
            serde_json::to_writer(&mut *out, line)?;
            writeln!(out)
        }
        IndexFormat::Text => match (line.status, line.reason) {
            (Some("duplicate"), _) => writeln!(
                out,
                "duplicate  {}  of {} ({:.4}), story {}",
                line.id.unwrap_or(""),
                line.duplicate_of.as_deref().unwrap_or(""),
                line.similarity.unwrap_or(0.0),
                line.story.unwrap_or(0)
            ),
            (Some("story"), _) => {
                write!(
                    out,
                    "story      {}  in story {}, nearest {} (average {:.4})",
                    line.id.unwrap_or(""),
                    line.story.unwrap_or(0),
                    line.nearest.as_deref().unwrap_or(""),
                    line.similarity.unwrap_or(0.0)
                )?;
                if !line.merged.is_empty() {
                    let merged: Vec<String> = line.merged.iter().map(u64::to_string).collect();
                    write!(out, ", merging stories {}", merged.join(", "))?;
                }
                writeln!(out)
            }
            (Some(status), _) => match line.story {
                Some(story) => writeln!(
                    out,
                    "{status:<9}  {}  starts story {story}",
                    line.id.unwrap_or("")
                ),
                None => writeln!(out, "{status:<9}  {}", line.id.unwrap_or("")),
            },
            (None, reason) => writeln!(
                out,
                "skipped    {}: {}",
                line.source.unwrap_or(""),
                reason.unwrap_or("")
            ),
        },
    }
}

fn stats(args: IndexStatsArgs) -> Result<()> {
    let reader = IndexReader::open(&args.dir)?;
    let stats = reader.stats()?;
    let mut out = open_output(None)?;
    let summary = IndexSummary::new(&stats);
    match args.format {
        Format::Json => write_json(&mut out, &summary)?,
        Format::Text => {
            writeln!(out, "{:<19} {}", "index", args.dir.display())?;
            summary.write_text(&mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn remove(args: IndexRemoveArgs, ui: &Ui) -> Result<()> {
    let mut index = Index::open(&args.dir)?;
    let ids: Vec<&str> = args.ids.iter().map(String::as_str).collect();
    let removals = index.remove(&ids)?;
    let mut out = open_output(None)?;
    let (mut removed, mut absent) = (0, 0);
    for (id, removal) in ids.iter().zip(&removals) {
        match removal {
            Removal::Absent => {
                absent += 1;
                writeln!(out, "absent     {id}")?;
            }
            Removal::Removed { redecided } => {
                removed += 1;
                writeln!(out, "removed    {id}")?;
                for (copy, verdict) in redecided {
                    match verdict {
                        Verdict::Duplicate {
                            of_id, similarity, ..
                        } => writeln!(
                            out,
                            "  {copy} is now a near-duplicate of {of_id} ({similarity:.4})"
                        )?,
                        _ => writeln!(out, "  {copy} is now a representative")?,
                    }
                }
            }
        }
    }
    out.flush()?;
    ui.summary(&format!(
        "reprint: {removed} removed, {absent} not in the index"
    ));
    Ok(())
}

fn compact(args: IndexCompactArgs, ui: &Ui) -> Result<()> {
    let mut index = Index::open(&args.dir)?;
    let before = index.stats()?;
    index.compact()?;
    let after = index.stats()?.file_bytes;
    let unfolded = before.unfolded_documents;
    ui.summary(&format!(
        "reprint: compacted {}: {unfolded} document{} folded into the band and postings \
         tables, {} -> {after} bytes",
        args.dir.display(),
        if unfolded == 1 { "" } else { "s" },
        before.file_bytes
    ));
    Ok(())
}
