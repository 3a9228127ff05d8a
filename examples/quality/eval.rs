//! The quality harness's measurements, shared by `examples/quality` and the test that keeps
//! its figures from falling (`tests/it/quality.rs`).
//!
//! Everything runs through the library the way the command line does: near-duplicates first,
//! then stories over their representatives (`cluster --level story`), or stories and passages
//! (`report`). The simple baselines are computed here too, in the same run, so that reprint's
//! figures are always read beside them.

// A harness fails loudly on a broken data set.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use reprint::candidates::lsh::{DEFAULT_FN_WEIGHT, DEFAULT_FP_WEIGHT};
use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig};
use reprint::near_dup::verify::Measure;
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::pipeline::ingest::parse_timestamp;
use reprint::sketch::fingerprint::fingerprint_all;
use reprint::story::cluster::{average_link, StoryEdge};
use reprint::story::passage::PassageStatus;
use reprint::SignatureParams;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One labelled article.
#[derive(Debug, Clone, Default)]
pub struct Article {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Its headline, when given apart.
    pub title: Option<String>,
    /// Its outlet.
    pub outlet: Option<String>,
    /// Its publication time.
    pub timestamp: Option<i64>,
}

/// The JSON objects of a JSONL file.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// Articles from JSONL objects with `id`, `text` and optional `title`, `outlet`, `date`.
pub fn articles(values: &[Value]) -> Vec<Article> {
    values
        .iter()
        .map(|v| Article {
            id: string(v, "id").unwrap_or_default(),
            text: v["text"].as_str().unwrap_or("").to_string(),
            title: string(v, "title"),
            outlet: string(v, "outlet"),
            timestamp: string(v, "date").as_deref().and_then(parse_timestamp),
        })
        .collect()
}

/// `(id → label)` from JSONL objects with `id` and `key`.
pub fn labels(values: &[Value], key: &str) -> HashMap<String, String> {
    values
        .iter()
        .map(|v| (string(v, "id").unwrap(), string(v, key).unwrap()))
        .collect()
}

/// Each article's story as `reprint cluster --level story` finds it; `None` for an article
/// reprint skips (no words).
pub fn stories(articles: &[Article], config: &AnalysisConfig) -> Vec<Option<usize>> {
    let analysed = analyse(
        articles,
        &AnalysisConfig {
            passages: false,
            ..*config
        },
    );
    let mut out = vec![None; articles.len()];
    for (i, a) in analysed {
        out[i] = Some(a.story);
    }
    out
}

/// Near-duplicates, then the analysis, over the articles that have words: `(position, analysis)`.
pub fn analyse(
    articles: &[Article],
    config: &AnalysisConfig,
) -> Vec<(usize, reprint::pipeline::analysis::ArticleAnalysis)> {
    let texts: Vec<&str> = articles.iter().map(|a| a.text.as_str()).collect();
    let fingerprints = fingerprint_all(&texts, SignatureParams::default()).unwrap();
    let kept: Vec<usize> = (0..articles.len())
        .filter(|&i| fingerprints[i].is_some())
        .collect();
    let items: Vec<ClusterItem> = kept
        .iter()
        .map(|&i| ClusterItem {
            id: &articles[i].id,
            fingerprint: fingerprints[i].as_ref().unwrap(),
            bytes: articles[i].text.len(),
            timestamp: articles[i].timestamp,
        })
        .collect();
    let matching = MatchConfig::new(
        0.8,
        Measure::Jaccard,
        SignatureParams::default().num_perm,
        DEFAULT_FP_WEIGHT,
        DEFAULT_FN_WEIGHT,
    )
    .unwrap();
    let near = cluster(&items, &matching, Keep::First).unwrap();
    let inputs: Vec<ArticleInput> = kept
        .iter()
        .zip(&near)
        .map(|(&i, m)| ArticleInput {
            text: &articles[i].text,
            title: articles[i].title.as_deref(),
            outlet: articles[i].outlet.as_deref(),
            timestamp: articles[i].timestamp,
            representative: m.representative,
        })
        .collect();
    let analyses = analyze(&inputs, config).unwrap();
    kept.into_iter().zip(analyses).collect()
}

/// B-cubed precision, recall and F1; an unclustered article (`None`) is a singleton.
pub fn bcubed(gold: &[&str], predicted: &[Option<usize>]) -> (f64, f64, f64) {
    let n = gold.len();
    let predicted: Vec<usize> = predicted
        .iter()
        .enumerate()
        .map(|(i, p)| p.unwrap_or(usize::MAX / 2 + i))
        .collect();
    let mut by_gold: HashMap<&str, usize> = HashMap::new();
    let mut by_pred: HashMap<usize, usize> = HashMap::new();
    let mut both: HashMap<(&str, usize), usize> = HashMap::new();
    for i in 0..n {
        *by_gold.entry(gold[i]).or_default() += 1;
        *by_pred.entry(predicted[i]).or_default() += 1;
        *both.entry((gold[i], predicted[i])).or_default() += 1;
    }
    let (mut p, mut r) = (0.0, 0.0);
    for i in 0..n {
        let b = both[&(gold[i], predicted[i])] as f64;
        p += b / by_pred[&predicted[i]] as f64;
        r += b / by_gold[gold[i]] as f64;
    }
    let (p, r) = (p / n as f64, r / n as f64);
    (
        p,
        r,
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        },
    )
}

/// The floor every story method is read against: TF-IDF over headline and text (lower-cased
/// words of two or more letters or digits, smoothed IDF, unit length), cosine, average link
/// over all pairs stopped at `threshold`.
pub fn tfidf_average_link(articles: &[Article], threshold: f64) -> Vec<Option<usize>> {
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let counts: Vec<BTreeMap<u32, f64>> = articles
        .iter()
        .map(|a| {
            let mut c: BTreeMap<u32, f64> = BTreeMap::new();
            let text = format!("{}\n{}", a.title.as_deref().unwrap_or(""), a.text).to_lowercase();
            for word in text.split(|ch: char| !ch.is_alphanumeric() && ch != '_') {
                if word.chars().count() >= 2 && !reprint::story::terms::is_stopword(word) {
                    let next = vocabulary.len() as u32;
                    let id = *vocabulary.entry(word.to_string()).or_insert(next);
                    *c.entry(id).or_default() += 1.0;
                }
            }
            c
        })
        .collect();
    let n = articles.len() as f64;
    let mut df = vec![0u32; vocabulary.len()];
    for c in &counts {
        for &t in c.keys() {
            df[t as usize] += 1;
        }
    }
    let vectors: Vec<Vec<(u32, f64)>> = counts
        .iter()
        .map(|c| {
            let mut v: Vec<(u32, f64)> = c
                .iter()
                .map(|(&t, &tf)| {
                    (
                        t,
                        (1.0 + f64::ln(tf))
                            * (((1.0 + n) / (1.0 + df[t as usize] as f64)).ln() + 1.0),
                    )
                })
                .collect();
            let norm = v.iter().map(|x| x.1 * x.1).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| x.1 /= norm);
            }
            v
        })
        .collect();
    let mut edges = Vec::new();
    for a in 0..vectors.len() {
        for b in a + 1..vectors.len() {
            let (x, y) = (&vectors[a], &vectors[b]);
            let (mut i, mut j, mut dot) = (0, 0, 0.0);
            while i < x.len() && j < y.len() {
                match x[i].0.cmp(&y[j].0) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => {
                        dot += x[i].1 * y[j].1;
                        i += 1;
                        j += 1;
                    }
                }
            }
            if dot > 0.0 {
                edges.push(StoryEdge {
                    a,
                    b,
                    similarity: dot,
                });
            }
        }
    }
    average_link(vectors.len(), &edges, threshold)
        .into_iter()
        .map(Some)
        .collect()
}

/// Character counts of a boilerplate judgement against gold line labels.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoilerplateCounts {
    /// Boilerplate characters called boilerplate.
    pub true_positive: u64,
    /// Content characters called boilerplate.
    pub false_positive: u64,
    /// Boilerplate characters not called boilerplate.
    pub false_negative: u64,
    /// Content characters.
    pub content: u64,
}

impl BoilerplateCounts {
    /// Add `other`.
    pub fn add(&mut self, other: &BoilerplateCounts) {
        self.true_positive += other.true_positive;
        self.false_positive += other.false_positive;
        self.false_negative += other.false_negative;
        self.content += other.content;
    }

    /// Precision, recall, F1.
    pub fn prf(&self) -> (f64, f64, f64) {
        let tp = self.true_positive as f64;
        let p = tp / (tp + self.false_positive as f64).max(1.0);
        let r = tp / (tp + self.false_negative as f64).max(1.0);
        (
            p,
            r,
            if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            },
        )
    }

    /// Share of content characters called boilerplate.
    pub fn content_lost(&self) -> f64 {
        self.false_positive as f64 / (self.content as f64).max(1.0)
    }
}

/// A page with gold lines: `(byte start, byte end, is boilerplate, is the headline)`.
pub struct LabelledPage {
    /// The article (text, outlet).
    pub article: Article,
    /// Its gold lines.
    pub lines: Vec<(usize, usize, bool, bool)>,
}

/// Pages and their gold lines from a folder with `docs.jsonl` and `truth.jsonl` (the
/// boilerplate dev set's layout).
pub fn labelled_pages(dir: &Path) -> Vec<LabelledPage> {
    let docs = read_jsonl(&dir.join("docs.jsonl"));
    let truth: HashMap<String, Value> = read_jsonl(&dir.join("truth.jsonl"))
        .into_iter()
        .map(|v| (string(&v, "id").unwrap(), v))
        .collect();
    articles(&docs)
        .into_iter()
        .map(|article| {
            let lines = truth[&article.id]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["byte_start"].as_u64().unwrap() as usize,
                        l["byte_end"].as_u64().unwrap() as usize,
                        l["label"].as_str() == Some("boilerplate"),
                        l["h1"].as_bool().unwrap_or(false),
                    )
                })
                .collect();
            LabelledPage { article, lines }
        })
        .collect()
}

/// Score `called` (per byte: called boilerplate) against a page's gold lines, per
/// non-whitespace character; headline lines are left out with `skip_h1`.
pub fn score_page(page: &LabelledPage, called: &[bool], skip_h1: bool) -> BoilerplateCounts {
    let text = &page.article.text;
    let mut c = BoilerplateCounts::default();
    for &(start, end, gold, h1) in &page.lines {
        if skip_h1 && h1 {
            continue;
        }
        let Some(line) = text.get(start..end) else {
            continue;
        };
        for (offset, ch) in line.char_indices() {
            if ch.is_whitespace() {
                continue;
            }
            let predicted = called.get(start + offset).copied().unwrap_or(false);
            match (gold, predicted) {
                (true, true) => c.true_positive += 1,
                (false, true) => c.false_positive += 1,
                (true, false) => c.false_negative += 1,
                (false, false) => {}
            }
            if !gold {
                c.content += 1;
            }
        }
    }
    c
}

/// Per page, per byte: does `reprint report` call it boilerplate?
pub fn report_boilerplate(pages: &[LabelledPage], config: &AnalysisConfig) -> Vec<Vec<bool>> {
    let articles: Vec<Article> = pages.iter().map(|p| p.article.clone()).collect();
    let mut called: Vec<Vec<bool>> = articles.iter().map(|a| vec![false; a.text.len()]).collect();
    for (i, analysis) in analyse(
        &articles,
        &AnalysisConfig {
            passages: true,
            ..*config
        },
    ) {
        for p in &analysis.passages {
            if p.status == PassageStatus::Boilerplate {
                for b in &mut called[i][p.span.start..p.span.end] {
                    *b = true;
                }
            }
        }
    }
    called
}

/// Per page, per byte: the floor rule "a line of fewer than `words` words is boilerplate".
pub fn short_lines(pages: &[LabelledPage], words: usize) -> Vec<Vec<bool>> {
    pages
        .iter()
        .map(|p| {
            let text = &p.article.text;
            let mut called = vec![false; text.len()];
            let mut start = 0;
            for line in text.split_inclusive('\n') {
                if line.split_whitespace().count() < words {
                    for b in &mut called[start..start + line.len()] {
                        *b = true;
                    }
                }
                start += line.len();
            }
            called
        })
        .collect()
}

/// Boilerplate figures of one judgement over pages: all pages, and pages alone on their
/// outlet (no second page of the same host to learn templates from).
#[derive(Debug, Clone, Copy, Default)]
pub struct BoilerplateFigures {
    /// All pages.
    pub all: BoilerplateCounts,
    /// All pages, headline lines left out.
    pub without_headline: BoilerplateCounts,
    /// Pages whose outlet has no other page.
    pub alone: BoilerplateCounts,
}

/// Score per-byte judgements of `pages`.
pub fn boilerplate_figures(pages: &[LabelledPage], called: &[Vec<bool>]) -> BoilerplateFigures {
    let mut per_outlet: HashMap<Option<&str>, usize> = HashMap::new();
    for p in pages {
        *per_outlet.entry(p.article.outlet.as_deref()).or_default() += 1;
    }
    let mut f = BoilerplateFigures::default();
    for (page, called) in pages.iter().zip(called) {
        let c = score_page(page, called, false);
        f.all.add(&c);
        f.without_headline.add(&score_page(page, called, true));
        if page.article.outlet.is_none() || per_outlet[&page.article.outlet.as_deref()] == 1 {
            f.alone.add(&c);
        }
    }
    f
}
