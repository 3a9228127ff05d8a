//! The quality harness: reprint's story and boilerplate figures on real labelled development
//! sets, beside the simple baselines computed in the same run, and the project's own fixtures.
//!
//! ```text
//! cargo run --release --example quality -- ../shared/dev-data
//! cargo run --release --example quality -- ../shared/dev-data --threshold 0.12 --threshold 0.15
//! ```
//!
//! The dev-data folder holds `stories/ecbplus-traindev/` (ECB+ train and dev splits: articles,
//! gold events, split) and `boilerplate/scrapinghub-aeb/` (pages with gold line labels); each
//! is skipped with a message when absent. The fixtures (`data/seeds`, `data/dev`,
//! `data/stories.jsonl`) are always scored. `--errors` lists the story errors by gold label.

// A harness fails loudly on a broken data set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod eval;

use eval::*;
use reprint::pipeline::analysis::AnalysisConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn row(name: &str, gold: &[&str], predicted: &[Option<usize>]) {
    let (p, r, f) = bcubed(gold, predicted);
    let clusters: BTreeSet<usize> = predicted.iter().flatten().copied().collect();
    println!(
        "  {name:<40} {:>5} clusters  B3 P {p:.3}  R {r:.3}  F1 {f:.3}",
        clusters.len()
    );
}

fn boilerplate_row(name: &str, f: &BoilerplateFigures) {
    let (p, r, f1) = f.all.prf();
    println!(
        "  {name:<26} P {p:.3}  R {r:.3}  F1 {f1:.3}  content lost {:.1}%  \
         alone on host F1 {:.3}  without headlines F1 {:.3}",
        100.0 * f.all.content_lost(),
        f.alone.prf().2,
        f.without_headline.prf().2
    );
}

/// Print the story errors: gold stories split, and clusters mixing gold stories.
fn errors(gold: &[&str], predicted: &[Option<usize>], articles: &[Article]) {
    let mut by_pred: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut by_gold: BTreeMap<&str, BTreeSet<Option<usize>>> = BTreeMap::new();
    for (i, p) in predicted.iter().enumerate() {
        if let Some(p) = p {
            by_pred.entry(*p).or_default().push(i);
        }
        by_gold.entry(gold[i]).or_default().insert(*p);
    }
    for (k, members) in &by_pred {
        let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in members {
            *labels.entry(gold[i]).or_default() += 1;
        }
        if labels.len() > 1 {
            println!("    mixed cluster {k}: {labels:?}");
        }
    }
    for (g, clusters) in &by_gold {
        if clusters.len() > 1 {
            let sizes: Vec<usize> = clusters
                .iter()
                .map(|c| {
                    predicted
                        .iter()
                        .zip(gold)
                        .filter(|(p, gg)| *p == c && *gg == g)
                        .count()
                })
                .collect();
            let titles: Vec<&str> = predicted
                .iter()
                .zip(articles)
                .zip(gold)
                .filter(|(_, gg)| *gg == g)
                .map(|((_, a), _)| a.title.as_deref().unwrap_or("(no title)"))
                .take(3)
                .collect();
            println!("    split story {g}: pieces {sizes:?}  e.g. {titles:?}");
        }
    }
}

fn main() {
    let mut dev: Option<PathBuf> = None;
    let mut thresholds: Vec<f64> = Vec::new();
    let mut show_errors = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threshold" => thresholds.push(args.next().unwrap().parse().unwrap()),
            "--errors" => show_errors = true,
            _ => dev = Some(PathBuf::from(a)),
        }
    }
    let dev = dev.unwrap_or_else(|| PathBuf::from("../shared/dev-data"));
    let default = AnalysisConfig::default();
    let configs: Vec<(String, AnalysisConfig)> = if thresholds.is_empty() {
        vec![("reprint (defaults)".into(), default)]
    } else {
        thresholds
            .iter()
            .map(|&t| {
                let mut c = default;
                c.story.threshold = t;
                (format!("reprint, story threshold {t:.3}"), c)
            })
            .collect()
    };

    let ecb = dev.join("stories/ecbplus-traindev");
    if ecb.join("docs.jsonl").exists() {
        let values = read_jsonl(&ecb.join("docs.jsonl"));
        let articles = articles(&values);
        let truth = labels(&read_jsonl(&ecb.join("truth.jsonl")), "cluster");
        let split = labels(&read_jsonl(&ecb.join("split.jsonl")), "split");
        let gold: Vec<&str> = articles.iter().map(|a| truth[&a.id].as_str()).collect();
        println!(
            "ECB+ train+dev stories: {} articles, {} gold stories",
            articles.len(),
            gold.iter().collect::<BTreeSet<_>>().len()
        );
        let tfidf = tfidf_average_link(&articles, 0.15);
        let mut runs: Vec<(String, Vec<Option<usize>>)> = configs
            .iter()
            .map(|(name, c)| (name.clone(), stories(&articles, c)))
            .collect();
        runs.push(("floor: TF-IDF average link 0.15".into(), tfidf));
        for part in ["all", "train", "dev"] {
            println!(" {part}:");
            let keep: Vec<usize> = (0..articles.len())
                .filter(|&i| part == "all" || split[&articles[i].id] == part)
                .collect();
            let g: Vec<&str> = keep.iter().map(|&i| gold[i]).collect();
            for (name, predicted) in &runs {
                let p: Vec<Option<usize>> = keep.iter().map(|&i| predicted[i]).collect();
                row(name, &g, &p);
            }
        }
        if show_errors {
            for (name, predicted) in runs.iter().take(configs.len()) {
                println!(" errors of {name}:");
                errors(&gold, predicted, &articles);
            }
        }
    } else {
        println!("ECB+ stories: skipped, {} not found", ecb.display());
    }

    let aeb = dev.join("boilerplate/scrapinghub-aeb");
    if aeb.join("docs.jsonl").exists() {
        let pages = labelled_pages(&aeb);
        println!(
            "Boilerplate (Zyte article-extraction benchmark): {} pages",
            pages.len()
        );
        for (name, c) in &configs {
            boilerplate_row(
                name,
                &boilerplate_figures(&pages, &report_boilerplate(&pages, c)),
            );
        }
        for words in [10, 20] {
            boilerplate_row(
                &format!("floor: line < {words} words"),
                &boilerplate_figures(&pages, &short_lines(&pages, words)),
            );
        }
    } else {
        println!("Boilerplate: skipped, {} not found", aeb.display());
    }

    // The project's own fixtures: regression checks, not tuning targets.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut seeds: Vec<Article> = std::fs::read_dir(root.join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| Article {
            id: p.file_stem().unwrap().to_string_lossy().into(),
            text: std::fs::read_to_string(&p).unwrap(),
            ..Article::default()
        })
        .collect();
    seeds.sort_by(|a, b| a.id.cmp(&b.id));
    let mut fixture = seeds.clone();
    let mut gold: Vec<String> = vec!["seeds".into(); seeds.len()];
    for file in [
        "dev/reuters.jsonl",
        "dev/abc.jsonl",
        "dev/rewrites.jsonl",
        "stories.jsonl",
    ] {
        let values = read_jsonl(&root.join(file));
        gold.extend(
            values
                .iter()
                .map(|v| v["story"].as_str().unwrap().to_string()),
        );
        fixture.extend(articles(&values));
    }
    let gold: Vec<&str> = gold.iter().map(String::as_str).collect();
    println!(
        "Fixtures: the seeds, and data/dev + seeds + data/stories.jsonl ({} articles)",
        fixture.len()
    );
    for (name, c) in &configs {
        let seed_stories: BTreeSet<Option<usize>> = stories(&seeds, c).into_iter().collect();
        println!("  {name:<40} seeds in {} story(ies)", seed_stories.len());
        let predicted = stories(&fixture, c);
        row(name, &gold, &predicted);
        if show_errors {
            let mut by: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (i, p) in predicted.iter().enumerate() {
                if let Some(p) = p {
                    by.entry(*p).or_default().push(i);
                }
            }
            for members in by.values() {
                let labels: BTreeSet<&str> = members.iter().map(|&i| gold[i]).collect();
                if labels.len() > 1 {
                    println!("    mixed:");
                    for &i in members {
                        let t: String = fixture[i].text.chars().take(90).collect();
                        println!("      [{}] {}", gold[i], t.replace('\n', " "));
                    }
                }
            }
        }
    }
}
