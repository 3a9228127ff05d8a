//! `reprint cluster`: every document's near-duplicate (or story) cluster, as a table, JSON or
//! JSONL. Shingle sets go to a temporary file as documents are read; memory holds the band keys
//! and the index.

use crate::cli::args::{ClusterArgs, ClusterFormat, KeepArg, Level};
use crate::cli::cmd::bucket::DEFAULT_SORT_BUDGET;
use crate::cli::cmd::sign::{
    bucket_keys_match, grouped, has_keys, read_shards, table_params, Grouped, KeysDigest,
    BUCKET_TABLE,
};
use crate::cli::outputs::{check_output, refuse_binary_on_terminal};
use crate::cli::{
    input_names, match_config, open_output, read_documents, signature_params, story_config,
    story_summary, stream_options, usage, write_json, Entry, SkipLog, Ui,
};
use anyhow::{bail, Result};
use reprint::candidates::band_index::band_keys;
use reprint::candidates::buckets::{BucketGrouper, KeySorter};
use reprint::near_dup::cluster::{
    cluster_buckets, cluster_sets, short_keys, visit_order, ClusterInput, Estimated, Keep,
    MatchConfig, Membership, OnDisk,
};
use reprint::near_dup::shingle_store::{ShingleStore, StoredSet};
use reprint::near_dup::verify::Measure;
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::pipeline::ingest::parse_timestamp;
use reprint::report::parquet::write_clusters;
use reprint::report::{ClusterLine, ClusterParams, ClusterReport, DocumentMeta, StoryParams};
use reprint::sketch::signature::SignatureParams;
use reprint::tables::read_bucket_table;
use reprint::Skipped;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A signature table row that is no document (skipped, or a repeated id).
const NO_DOCUMENT: u32 = u32::MAX;
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
    let inputs = args.inputs.iter().chain(&args.from_signatures);
    check_output(args.output.as_deref(), inputs.map(PathBuf::as_path))?;
    if args.format == ClusterFormat::Parquet {
        refuse_binary_on_terminal(args.output.as_deref(), "--format parquet")?;
    }
    if let Some(dir) = &args.from_signatures {
        return run_from_signatures(&args, dir, (params, matching), ui);
    }
    let story = story_config(&args.story)?;
    if args.memory_limit.is_some() && args.level == Level::Story {
        return Err(usage(
            "--memory-limit bounds near-duplicate clustering; --level story holds every text in memory",
        ));
    }
    let mut options = stream_options(&args.input, params);
    options.keep_text = args.level == Level::Story;
    if let (Some(limit), None) = (args.memory_limit, args.input.max_record_size) {
        // Several records are in flight at once: each gets a fraction of the limit.
        options.max_record_bytes = options.max_record_bytes.min(limit / 8);
    }
    let keep: Keep = args.keep.into();

    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let mut store = ShingleStore::new()?;
    let bands = matching.lsh.bands;
    let keep_text = options.keep_text;
    // Band keys go to an external sort under --memory-limit, else to one flat array.
    let mut spill = args
        .memory_limit
        .map(|limit| KeySorter::new(limit / 2))
        .transpose()?;
    let mut documents = 0usize;
    let mut all_keys: Vec<u32> = Vec::new();
    let mut outlets: HashSet<Arc<str>> = HashSet::new();
    let mut texts: Vec<String> = Vec::new();
    let mut titles: Vec<Option<String>> = Vec::new();
    let (records, entries) = read_documents(&args.inputs, &options, ui, &mut skips, |doc| {
        let keys = short_keys(&band_keys(&doc.fingerprint.signature, &matching.lsh)?);
        let start = all_keys.len();
        match spill.as_mut() {
            Some(sorter) => sorter.push(documents, &keys)?,
            None => all_keys.extend(keys),
        }
        documents += 1;
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
            titles.push(doc.title);
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
            keys: all_keys.get(r.keys..r.keys + bands).unwrap_or_default(),
            bytes: r.bytes,
            timestamp: r.timestamp,
        })
        .collect();
    let sets: Vec<StoredSet> = records.iter().map(|r| r.set).collect();
    let reader = store.finish()?;
    let sets = OnDisk {
        reader: &reader,
        sets: &sets,
    };
    let mut memberships = match (spill, args.memory_limit) {
        (Some(sorter), Some(limit)) => {
            let sorted = sorter.finish()?;
            let spilled = sorted.spilled_files();
            let grouped = |g: &mut BucketGrouper| sorted.for_each_shared(|_, _, d| g.add(d));
            let m = cluster_buckets(&inputs, grouped, &sets, &matching, keep, limit / 2)?;
            ui.note(&format!(
                "reprint: within --memory-limit, the band-key sort spilled {spilled} runs"
            ));
            m
        }
        _ => cluster_sets(&inputs, &sets, &matching, keep)?,
    };
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
        memberships = story_memberships(
            &inputs,
            &records,
            (&texts, &titles),
            &memberships,
            &config,
            keep,
        )?;
        cluster_params.level = "story";
        cluster_params.story = Some(StoryParams::new(&config.story));
    }
    drop(inputs);
    let metas: Vec<DocumentMeta> = records.into_iter().map(|r| r.meta).collect();
    let result = Clustered {
        params: cluster_params,
        metas,
        memberships,
        skipped: skips.skipped,
    };
    write_output(&args, result, &entries, ui)
}

/// What a clustering run found, before it is written.
struct Clustered {
    params: ClusterParams,
    metas: Vec<DocumentMeta>,
    memberships: Vec<Membership>,
    skipped: Vec<Skipped>,
}

/// Write the clusters as `args.format` asks, and the summary line. Only the text and JSON
/// reports are assembled whole (ids repeated per cluster); a line per record is written
/// straight from the memberships, so archives stay within their memory.
fn write_output(args: &ClusterArgs, result: Clustered, entries: &[Entry], ui: &Ui) -> Result<()> {
    let documents = result.memberships.len();
    let skipped = result.skipped.len();
    let clusters = result.memberships.iter().map(|m| m.cluster + 1).max();
    let mut sizes = vec![0usize; clusters.unwrap_or(0)];
    for m in &result.memberships {
        sizes[m.cluster] += 1;
    }
    let duplicates = result
        .memberships
        .iter()
        .enumerate()
        .filter(|(i, m)| m.representative != *i)
        .count();
    let mut out = open_output(args.output.as_deref())?;
    match args.format {
        ClusterFormat::Text | ClusterFormat::Json => {
            let report = ClusterReport::new(
                result.params,
                result.metas,
                &result.memberships,
                result.skipped,
            );
            if args.format == ClusterFormat::Text {
                report.write_text(&mut out)?;
            } else {
                write_json(&mut out, &report)?;
            }
        }
        ClusterFormat::Jsonl | ClusterFormat::Parquet => {
            let lines = entries.iter().map(|entry| match *entry {
                Entry::Document(i) => ClusterLine {
                    id: Some(&result.metas[i].id),
                    cluster: Some(result.memberships[i].cluster),
                    source: None,
                    skipped: None,
                },
                Entry::Skipped(i) => {
                    let s = &result.skipped[i];
                    ClusterLine {
                        id: s.id.as_deref(),
                        cluster: None,
                        source: Some(&s.source),
                        skipped: Some(&s.reason),
                    }
                }
            });
            if args.format == ClusterFormat::Parquet {
                // The writer needs a sendable sink; the table is small beside the input.
                let lines: Vec<ClusterLine> = lines.collect();
                let mut table = Vec::new();
                let name = args
                    .output
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |p| p.display().to_string());
                write_clusters(&mut table, &name, &lines)?;
                out.write_all(&table)?;
            } else {
                for line in lines {
                    serde_json::to_writer(&mut out, &line)?;
                    writeln!(out)?;
                }
            }
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

/// Story clusters as memberships: the representative is the first member in `keep` order and
/// the similarity is the story-vector cosine to it.
fn story_memberships(
    items: &[ClusterInput<'_>],
    records: &[Record],
    (texts, titles): (&[String], &[Option<String>]),
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
            title: titles.get(i).and_then(Option::as_deref),
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
        return Err(usage("--from-signatures clusters near-duplicates by Jaccard: stories and containment need the texts"));
    }
    if args.keep == KeepArg::Longest {
        return Err(usage(
            "--keep longest needs the texts' lengths, which signature tables do not keep",
        ));
    }
    let expected = table_params(&params, &matching.lsh);
    let budget = args.memory_limit.map_or(DEFAULT_SORT_BUDGET, |m| m / 2);
    // Continue from `reprint bucket`'s table while it is current: its stamp lists the stamps
    // of the signature tables it was grouped from (and their keys, checked once read).
    let bucket_table = dir.join(BUCKET_TABLE);
    let Grouped {
        tables: names,
        table_stamps,
        bucket_stamp: grouped_stamp,
        current: from_table,
    } = grouped(dir, &expected)?;
    if !from_table && !names.is_empty() && bucket_table.exists() {
        let why = if grouped_stamp.is_some() {
            "was grouped from other signature tables"
        } else {
            "is not a bucket table reprint can read"
        };
        ui.note(&format!(
            "reprint: {} {why}, not used (run reprint bucket again)",
            bucket_table.display()
        ));
    }
    // Band keys: none kept when the bucket table has them, else sorted within the memory
    // limit, else in memory.
    let mut spill = (!from_table && args.memory_limit.is_some())
        .then(|| KeySorter::new(budget))
        .transpose()?;
    let mut digest = KeysDigest::default();
    let keep_keys = !from_table && spill.is_none();
    let mut skips = SkipLog::new(ui, args.input.on_error, "--format json or jsonl lists all");
    let (mut metas, mut timestamps, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    // Signatures wait in a temporary file, like shingle sets, not in memory.
    let mut store = ShingleStore::new()?;
    let mut stored: Vec<StoredSet> = Vec::new();
    let mut entries = Vec::new();
    // Each table row's document (NO_DOCUMENT for a skipped row), for a bucket table's rows.
    let mut row_document: Vec<u32> = Vec::new();
    // Where each id was first seen, as (table, row): formatted only for a repeat.
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    let (mut row_no, mut this_table) = (0u64, 0usize);
    let tables = read_shards(dir, &expected, |table_no, table, row| {
        if this_table != table_no {
            (row_no, this_table) = (0, table_no);
        }
        row_no += 1;
        if has_keys(&row, matching.lsh.bands) {
            digest.add(row_document.len() as u64, &row.band_keys);
        }
        row_document.push(NO_DOCUMENT);
        // The row's place, formatted only for a row that is skipped.
        let here = || format!("{}:{row_no}", table.display());
        let skip =
            |id: Option<String>, source: String, reason: String| Skipped::new(source, id, reason);
        let problem = match (&row.skipped, &row.id) {
            (Some(reason), _) => Some(skip(
                row.id.clone(),
                row.source.clone().unwrap_or_else(here),
                reason.clone(),
            )),
            (None, None) => Some(skip(None, here(), "row without an id".into())),
            (None, Some(id)) => match seen.get(id).map(|&(t, r)| (names[t].display(), r)) {
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
        if let Some(last) = row_document.last_mut() {
            *last = u32::try_from(metas.len()).unwrap_or(NO_DOCUMENT);
        }
        entries.push(Entry::Document(metas.len()));
        match spill.as_mut() {
            Some(sorter) => sorter.push(metas.len(), &short_keys(&row.band_keys))?,
            None if keep_keys => keys.extend(short_keys(&row.band_keys)),
            None => {}
        }
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
    drop(seen);
    let bands = matching.lsh.bands;
    let inputs: Vec<ClusterInput> = metas
        .iter()
        .enumerate()
        .map(|(i, m)| ClusterInput {
            id: &m.id,
            keys: keys.get(i * bands..(i + 1) * bands).unwrap_or_default(),
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
    let read_stamps: Vec<String> = tables.iter().map(|(_, s)| s.clone()).collect();
    let read_names: Vec<&PathBuf> = tables.iter().map(|(p, _)| p).collect();
    if read_names != names.iter().collect::<Vec<_>>()
        || (from_table && table_stamps.as_ref() != Some(&read_stamps))
    {
        bail!(
            "{}: the signature tables changed while they were read",
            dir.display()
        );
    }
    let memberships = if from_table {
        let grouped_stamp = grouped_stamp.unwrap_or_default();
        if !bucket_keys_match(&grouped_stamp, &digest) {
            bail!(
                "{}: grouped from other band keys than the signature tables now hold; run \
                 reprint bucket again, or remove it",
                bucket_table.display()
            );
        }
        ui.note(&format!(
            "reprint: candidates from {}",
            bucket_table.display()
        ));
        let mut docs: Vec<u32> = Vec::new();
        let grouped = |g: &mut BucketGrouper| {
            read_bucket_table(
                &bucket_table,
                |_| Ok(()),
                |bucket| {
                    docs.clear();
                    for &row in &bucket.rows {
                        match usize::try_from(row).ok().and_then(|r| row_document.get(r)) {
                            Some(&NO_DOCUMENT) => {}
                            Some(&d) => docs.push(d),
                            None => {
                                return Err(reprint::Error::BadInput {
                                    origin: bucket_table.display().to_string(),
                                    reason: format!("row {row} is past the signature tables"),
                                })
                            }
                        }
                    }
                    g.add(&docs)
                },
            )
            .map_err(|e| match e {
                reprint::Error::BadInput { origin, reason } => reprint::Error::BadInput {
                    origin,
                    reason: format!("{reason}; remove it, or run reprint bucket again"),
                },
                other => other,
            })
        };
        cluster_buckets(&inputs, grouped, &signatures, &matching, keep, budget)?
    } else if let Some(sorter) = spill {
        let sorted = sorter.finish()?;
        let grouped = |g: &mut BucketGrouper| sorted.for_each_shared(|_, _, d| g.add(d));
        cluster_buckets(&inputs, grouped, &signatures, &matching, keep, budget)?
    } else {
        cluster_sets(&inputs, &signatures, &matching, keep)?
    };
    drop(reader);
    drop(inputs);
    let weights = (args.matching.fp_weight, args.matching.fn_weight);
    let names = names.iter().map(|t| t.display().to_string()).collect();
    let mut cluster_params = ClusterParams::new(&params, &matching, weights, keep, names);
    cluster_params.verified_by = "minhash-estimate";
    let result = Clustered {
        params: cluster_params,
        metas,
        memberships,
        skipped: skips.skipped,
    };
    write_output(args, result, &entries, ui)
}
