//! `reprint cluster`: every document's near-duplicate (or story) cluster, as a table, JSON or
//! JSONL. Shingle sets go to a temporary file as documents are read; memory holds the band keys
//! and the index.

use crate::cli::args::{ClusterArgs, ClusterFormat, KeepArg, Level};
use crate::cli::cmd::sign::{shard_tables, table_params};
use crate::cli::{
    input_names, match_config, open_output, read_documents, signature_params, story_config,
    story_summary, stream_options, write_json, Entry, SkipLog, Ui,
};
use anyhow::{bail, Result};
use reprint::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::candidates::band_keys;
use reprint::cluster::{
    cluster_sets, short_keys, visit_order, ClusterInput, Estimated, Keep, MatchConfig, Membership,
    OnDisk,
};
use reprint::columnar::{read_signature_table, write_clusters};
use reprint::corpus::parse_timestamp;
use reprint::report::{ClusterLine, ClusterParams, ClusterReport, DocumentMeta, StoryParams};
use reprint::shingle_store::{ShingleStore, StoredSet};
use reprint::signature::SignatureParams;
use reprint::verify::Measure;
use reprint::Skipped;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What clustering keeps of a document once it is fingerprinted: its LSH band keys and where
/// its shingle set went, never the set or the signature themselves.
/// Per document this is about 100 bytes plus its id and date: band keys live in one flat
/// array, outlets are shared, and texts are kept apart (and only for `--level story`).
struct Record {
    meta: DocumentMeta,
    timestamp: Option<i64>,
    bytes: usize,
    /// Where its band keys start in the flat array of all keys.
    keys: usize,
    set: StoredSet,
}

pub fn run(args: ClusterArgs, ui: &Ui) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let matching = match_config(&args.matching, &params)?;
    if let Some(dir) = &args.from_signatures {
        return run_from_signatures(&args, dir, (params, matching), ui);
    }
    let story = story_config(&args.story)?;
    let mut options = stream_options(&args.input, params);
    options.keep_text = args.level == Level::Story;
    let keep: Keep = args.keep.into();

    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let mut store = ShingleStore::new()?;
    let bands = matching.lsh.bands;
    let keep_text = options.keep_text;
    let mut all_keys: Vec<u32> = Vec::new();
    let mut outlets: HashSet<Arc<str>> = HashSet::new();
    let mut texts: Vec<String> = Vec::new();
    let (records, entries) = read_documents(&args.inputs, &options, ui, &mut skips, |doc| {
        let keys = band_keys(&doc.fingerprint.signature, &matching.lsh)?;
        let start = all_keys.len();
        all_keys.extend(short_keys(&keys));
        debug_assert_eq!(all_keys.len() - start, bands);
        let outlet = doc.outlet.map(|o| match outlets.get(o.as_str()) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = o.into();
                outlets.insert(Arc::clone(&shared));
                shared
            }
        });
        if keep_text {
            // Indexed like the records: one text per document.
            texts.push(doc.text.unwrap_or_default());
        }
        Ok(Record {
            set: store.push(&doc.fingerprint.shingles)?,
            keys: start,
            meta: DocumentMeta {
                id: doc.id,
                outlet,
                date: doc.date,
            },
            timestamp: doc.timestamp,
            bytes: doc.bytes,
        })
    })?;

    let undated = records
        .iter()
        .filter(|r| r.meta.date.is_some() && r.timestamp.is_none())
        .count();
    if keep == Keep::Earliest && undated > 0 {
        ui.line(&format!(
            "reprint: warning: {undated} documents have a date that is not ISO 8601; \
             --keep earliest treats them as undated"
        ));
    }
    let inputs: Vec<ClusterInput> = records
        .iter()
        .map(|r| ClusterInput {
            id: &r.meta.id,
            keys: &all_keys[r.keys..r.keys + bands],
            bytes: r.bytes,
            timestamp: r.timestamp,
        })
        .collect();
    let sets: Vec<StoredSet> = records.iter().map(|r| r.set).collect();
    let reader = store.finish()?;
    let mut memberships = cluster_sets(
        &inputs,
        &OnDisk {
            reader: &reader,
            sets: &sets,
        },
        &matching,
        keep,
    )?;
    drop(reader);
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let mut cluster_params =
        ClusterParams::new(&params, &matching, weights, keep, input_names(&args.inputs));
    if args.level == Level::Story {
        let config = AnalysisConfig {
            story,
            passages: false,
            ..AnalysisConfig::default()
        };
        memberships = story_memberships(&inputs, &records, &texts, &memberships, &config, keep)?;
        cluster_params.level = "story";
        cluster_params.story = Some(StoryParams::new(&config.story));
    }
    drop(inputs);
    let metas: Vec<DocumentMeta> = records.into_iter().map(|r| r.meta).collect();
    let report = ClusterReport::new(cluster_params, metas, &memberships, skips.skipped);

    write_output(&args, &report, &entries, ui)
}

/// Write the clusters as `args.format` asks, and the summary line.
fn write_output(
    args: &ClusterArgs,
    report: &ClusterReport,
    entries: &[Entry],
    ui: &Ui,
) -> Result<()> {
    let mut out = open_output(args.output.as_deref())?;
    match args.format {
        ClusterFormat::Text => report.write_text(&mut out)?,
        ClusterFormat::Json => write_json(&mut out, &report)?,
        ClusterFormat::Jsonl | ClusterFormat::Parquet => {
            let lines: Vec<ClusterLine> = entries
                .iter()
                .map(|entry| match *entry {
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
                })
                .collect();
            if args.format == ClusterFormat::Parquet {
                // The writer needs a sendable sink; the table is small beside the input.
                let mut table = Vec::new();
                let name = args
                    .output
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |p| p.display().to_string());
                write_clusters(&mut table, &name, &lines)?;
                out.write_all(&table)?;
            } else {
                for line in &lines {
                    serde_json::to_writer(&mut out, line)?;
                    writeln!(out)?;
                }
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

/// Story clusters as memberships: the representative is the first member in `keep` order and
/// the similarity is the story-vector cosine to it.
fn story_memberships(
    items: &[ClusterInput<'_>],
    records: &[Record],
    texts: &[String],
    near: &[Membership],
    config: &AnalysisConfig,
    keep: Keep,
) -> Result<Vec<Membership>> {
    let inputs: Vec<ArticleInput> = records
        .iter()
        .zip(near)
        .enumerate()
        .map(|(i, (r, m))| ArticleInput {
            text: texts.get(i).map_or("", String::as_str),
            outlet: r.meta.outlet.as_deref(),
            timestamp: r.timestamp,
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

/// `cluster --from-signatures DIR`: the clusters of the documents signed into DIR's tables,
/// verified by the signatures' estimate of Jaccard (no text is read again).
fn run_from_signatures(
    args: &ClusterArgs,
    dir: &Path,
    (params, matching): (SignatureParams, MatchConfig),
    ui: &Ui,
) -> Result<()> {
    if args.level == Level::Story || matches!(matching.measure, Measure::Containment) {
        bail!("--from-signatures clusters near-duplicates by Jaccard: stories and containment need the texts");
    }
    if args.keep == KeepArg::Longest {
        bail!("--keep longest needs the texts' lengths, which signature tables do not keep");
    }
    let tables: Vec<PathBuf> = shard_tables(dir)?.into_iter().map(|(_, p)| p).collect();
    if tables.is_empty() {
        bail!(
            "{}: no signature tables (shard-*.parquet); make them with reprint sign",
            dir.display()
        );
    }
    let expected = table_params(&params, &matching.lsh);
    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let (mut metas, mut timestamps, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    // Signatures wait in a temporary file, like shingle sets, not in memory.
    let mut store = ShingleStore::new()?;
    let mut stored: Vec<StoredSet> = Vec::new();
    let mut entries = Vec::new();
    // Where each id was first seen, as (table, row): formatted only for a repeat.
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    for (table_no, table) in tables.iter().enumerate() {
        let mut row_no = 0u64;
        let check = |stamp: &str| -> reprint::Result<()> {
            let unfit = |reason: String| reprint::Error::BadInput {
                origin: table.display().to_string(),
                reason,
            };
            let mut made: serde_json::Value =
                serde_json::from_str(stamp).map_err(|e| unfit(format!("unreadable stamp: {e}")))?;
            if let Some(made) = made.as_object_mut() {
                made.remove("input");
            }
            if made != expected {
                return Err(unfit(format!(
                    "signed with {made}, but this run asks for {expected}; sign again, or give \
                     the same parameters"
                )));
            }
            Ok(())
        };
        read_signature_table(table, check, |row| {
            row_no += 1;
            // The row's place, formatted only for a row that is skipped.
            let here = || format!("{}:{row_no}", table.display());
            let skip =
                |id: Option<String>, source: String, reason: String| Skipped { source, id, reason };
            let problem = match (&row.skipped, &row.id) {
                (Some(reason), _) => Some(skip(
                    row.id.clone(),
                    row.source.clone().unwrap_or_else(here),
                    reason.clone(),
                )),
                (None, None) => Some(skip(None, here(), "row without an id".into())),
                (None, Some(id)) => match seen.get(id).map(|&(t, r)| (tables[t].display(), r)) {
                    Some(first) => Some(skip(
                        Some(id.clone()),
                        here(),
                        format!("duplicate id (first seen at {}:{})", first.0, first.1),
                    )),
                    None if row.band_keys.len() != matching.lsh.bands
                        || row.minhash.len() != params.num_perm =>
                    {
                        Some(skip(
                            Some(id.clone()),
                            here(),
                            "row without a whole signature".into(),
                        ))
                    }
                    None => None,
                },
            };
            if let Some(s) = problem {
                entries.push(Entry::Skipped(skips.skipped.len()));
                return skips.record(s);
            }
            let id = row.id.unwrap_or_default();
            seen.insert(id.clone(), (table_no, row_no));
            entries.push(Entry::Document(metas.len()));
            keys.extend(short_keys(&row.band_keys));
            stored.push(store.push_values(&row.minhash)?);
            timestamps.push(row.date.as_deref().and_then(parse_timestamp));
            metas.push(DocumentMeta {
                id,
                outlet: row.outlet.map(Arc::from),
                date: row.date,
            });
            ui.progress(entries.len(), 0);
            Ok(())
        })?;
    }
    let bands = matching.lsh.bands;
    let inputs: Vec<ClusterInput> = metas
        .iter()
        .enumerate()
        .map(|(i, m)| ClusterInput {
            id: &m.id,
            keys: &keys[i * bands..(i + 1) * bands],
            bytes: 0,
            timestamp: timestamps[i],
        })
        .collect();
    let reader = store.finish()?;
    let signatures = Estimated(OnDisk {
        reader: &reader,
        sets: &stored,
    });
    let keep: Keep = args.keep.into();
    let memberships = cluster_sets(&inputs, &signatures, &matching, keep)?;
    drop(reader);
    drop(inputs);
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let names = tables.iter().map(|t| t.display().to_string()).collect();
    let mut cluster_params = ClusterParams::new(&params, &matching, weights, keep, names);
    cluster_params.verified_by = "minhash-estimate";
    let report = ClusterReport::new(cluster_params, metas, &memberships, skips.skipped);
    write_output(args, &report, &entries, ui)
}
