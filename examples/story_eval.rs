//! B-cubed precision, recall and F1 of story clustering on labelled JSONL corpora.
//!
//! Every line needs `id`, `text` and a gold `story` label; `date` is used when present. Text
//! files given as directories are read too and labelled by directory name. Usage:
//! `cargo run --release --example story_eval -- [--threshold T]... data/dev/*.jsonl data/seeds`
//!
//! With `--index`, stories come from a persistent index (`reprint index add`) fed the articles
//! in the order given, one at a time, instead of from a batch `report`.
#[path = "quality/eval.rs"]
mod eval;

use reprint::candidates::lsh::{DEFAULT_FN_WEIGHT, DEFAULT_FP_WEIGHT};
use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig};
use reprint::near_dup::verify::Measure;
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::pipeline::ingest::parse_timestamp;
use reprint::sketch::fingerprint::fingerprint_all;
use reprint::SignatureParams;
use std::collections::HashMap;

struct Doc {
    text: String,
    outlet: Option<String>,
    story: String,
    timestamp: Option<i64>,
}

fn load(path: &str, docs: &mut Vec<Doc>) -> Result<(), Box<dyn std::error::Error>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.extension().is_some_and(|e| e == "txt") {
                docs.push(Doc {
                    text: std::fs::read_to_string(&p)?,
                    outlet: None,
                    story: path.to_string(),
                    timestamp: None,
                });
            }
        }
        return Ok(());
    }
    for line in std::fs::read_to_string(path)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        docs.push(Doc {
            text: s("text").unwrap_or_default(),
            outlet: s("outlet"),
            story: s("story").ok_or("missing story")?,
            timestamp: s("date").as_deref().and_then(parse_timestamp),
        });
    }
    Ok(())
}

/// Each document's story after adding them all, in order, one per transaction, to a new index.
fn index_stories(
    docs: &[Doc],
    fingerprints: &[Option<reprint::Fingerprint>],
    threshold: f64,
) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    use reprint::index::{Index, IndexInput, IndexParams, IndexReader};
    let dir = tempfile::tempdir()?;
    let signature = SignatureParams::default();
    let matching = MatchConfig::new(
        0.8,
        Measure::Jaccard,
        signature.num_perm,
        DEFAULT_FP_WEIGHT,
        DEFAULT_FN_WEIGHT,
    )?;
    let story = reprint::story::cluster::StoryConfig {
        threshold,
        ..Default::default()
    };
    let mut index = Index::create(dir.path(), IndexParams::new(&signature, &matching, &story))?;
    for (i, (d, f)) in docs.iter().zip(fingerprints).enumerate() {
        let terms = reprint::story::article_terms::story_terms(&d.text, None);
        let id = format!("{i:08}");
        index.add(&[IndexInput {
            id: &id,
            outlet: d.outlet.as_deref(),
            date: None,
            fingerprint: f.as_ref().ok_or("a document without words")?,
            timestamp: d.timestamp,
            terms: &terms,
        }])?;
    }
    drop(index);
    // Ids sort as numbers, so the entries come in input order.
    Ok(IndexReader::open(dir.path())?
        .documents()?
        .into_iter()
        .map(|e| e.document.story as usize)
        .collect())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut thresholds = Vec::new();
    let mut docs = Vec::new();
    let mut use_index = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--threshold" {
            thresholds.push(
                args.next()
                    .ok_or("--threshold needs a value")?
                    .parse::<f64>()?,
            );
        } else if a == "--index" {
            use_index = true;
        } else {
            load(&a, &mut docs)?;
        }
    }
    if thresholds.is_empty() {
        thresholds.push(AnalysisConfig::default().story.threshold);
    }
    // As `reprint report` does: near-duplicates first, stories over their representatives.
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let fingerprints = fingerprint_all(&texts, SignatureParams::default())?;
    let items: Vec<ClusterItem> = fingerprints
        .iter()
        .zip(&docs)
        .map(|(f, d)| {
            Ok(ClusterItem {
                id: "",
                fingerprint: f.as_ref().ok_or("a document without words")?,
                bytes: d.text.len(),
                timestamp: d.timestamp,
            })
        })
        .collect::<Result<_, &str>>()?;
    let matching = MatchConfig::new(
        0.8,
        Measure::Jaccard,
        128,
        DEFAULT_FP_WEIGHT,
        DEFAULT_FN_WEIGHT,
    )?;
    let near = cluster(&items, &matching, Keep::First)?;
    let inputs: Vec<ArticleInput> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| ArticleInput {
            text: &d.text,
            title: None,
            outlet: d.outlet.as_deref(),
            timestamp: d.timestamp,
            representative: near[i].representative,
        })
        .collect();
    let gold: Vec<&str> = docs.iter().map(|d| d.story.as_str()).collect();
    for t in thresholds {
        if use_index {
            let predicted = index_stories(&docs, &fingerprints, t)?;
            let stories: Vec<Option<usize>> = predicted.iter().copied().map(Some).collect();
            let (p, r, f) = eval::bcubed(&gold, &stories);
            let stories: std::collections::BTreeSet<usize> = predicted.iter().copied().collect();
            println!(
                "index, threshold {t:.2}: {} documents, {} stories; B-cubed P {p:.4} R {r:.4} F1 {f:.4}",
                docs.len(),
                stories.len()
            );
            continue;
        }
        let mut config = AnalysisConfig {
            passages: false,
            ..AnalysisConfig::default()
        };
        config.story.threshold = t;
        let analyses = analyze(&inputs, &config)?;
        let predicted: Vec<usize> = analyses.iter().map(|a| a.story).collect();
        let stories: Vec<Option<usize>> = predicted.iter().copied().map(Some).collect();
        let (p, r, f) = eval::bcubed(&gold, &stories);
        let clusters = predicted.iter().max().map_or(0, |m| m + 1);
        println!("threshold {t:.2}: {} documents, {clusters} clusters; B-cubed P {p:.4} R {r:.4} F1 {f:.4}", docs.len());
        if std::env::var_os("SHOW_ERRORS").is_some() {
            let mut by: HashMap<usize, Vec<usize>> = HashMap::new();
            for (i, &c) in predicted.iter().enumerate() {
                by.entry(c).or_default().push(i);
            }
            let mut ks: Vec<_> = by.keys().copied().collect();
            ks.sort();
            for k in ks {
                let m = &by[&k];
                let labels: std::collections::BTreeSet<&str> = m.iter().map(|&i| gold[i]).collect();
                if labels.len() > 1 {
                    println!(
                        "  mixed cluster {k}: {:?}",
                        m.iter().map(|&i| gold[i]).collect::<Vec<_>>()
                    );
                }
            }
            let mut gs: HashMap<&str, std::collections::BTreeSet<usize>> = HashMap::new();
            for i in 0..gold.len() {
                gs.entry(gold[i]).or_default().insert(predicted[i]);
            }
            let mut gk: Vec<_> = gs
                .iter()
                .filter(|(_, s)| s.len() > 1)
                .map(|(k, s)| (*k, s.len()))
                .collect();
            gk.sort();
            for (k, n) in gk {
                println!("  split story {k}: {n} clusters");
            }
        }
    }
    Ok(())
}
