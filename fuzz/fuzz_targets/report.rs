//! Up to four articles (the input split at NUL bytes) through near-duplicate clustering, story
//! and passage analysis and every report writer. Passages must lie inside their text on
//! character boundaries, in order, without overlap, and cover every byte that is not white
//! space; the JSON must read back; article text must never close the HTML report's scripts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig};
use reprint::pipeline::ingest::FingerprintedDocument;
use reprint::read::document::Origin;
use reprint::report::{ClusterParams, PassageReport, ReportParams};
use reprint::near_dup::verify::Measure;
use reprint::{Fingerprinter, SignatureParams};
use std::sync::OnceLock;

/// The report's outputs: text, JSON and HTML.
fn outputs(texts: &[String]) -> Option<(String, Vec<u8>, String)> {
    let params = SignatureParams::default();
    let matching = MatchConfig::new(0.8, Measure::Jaccard, params.num_perm, 0.05, 0.95).ok()?;
    let mut fingerprinter = Fingerprinter::new(params).ok()?;
    let mut documents = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let Some(fingerprint) = fingerprinter.fingerprint(text) else {
            continue;
        };
        documents.push(FingerprintedDocument {
            id: format!("d{i}"),
            outlet: Some(format!("outlet{}", i % 2)),
            date: None,
            timestamp: None,
            title: None,
            bytes: text.len(),
            origin: Origin {
                file: "fuzz".into(),
                line: Some(i as u64 + 1),
            },
            text: Some(text.clone()),
            raw: None,
            fingerprint,
            story_terms: None,
            stand_ins: Vec::new(),
        });
    }
    let items: Vec<ClusterItem> = documents
        .iter()
        .map(FingerprintedDocument::cluster_item)
        .collect();
    let memberships = cluster(&items, &matching, Keep::First).expect("cluster");
    let texts: Vec<&str> = documents
        .iter()
        .map(|d| d.text.as_deref().unwrap_or(""))
        .collect();
    let inputs = ArticleInput::of_documents(&documents, &memberships, &texts);
    let config = AnalysisConfig::default();
    let analyses = analyze(&inputs, &config).expect("analyze");
    for (analysis, text) in analyses.iter().zip(&texts) {
        let mut end = 0;
        for p in &analysis.passages {
            let s = p.span;
            assert!(
                s.start >= end && s.start < s.end && s.end <= text.len(),
                "{s:?}"
            );
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            assert!(
                text[end..s.start].chars().all(char::is_whitespace),
                "bytes {end}..{} are in no passage",
                s.start
            );
            end = s.end;
        }
        assert!(
            text[end..].chars().all(char::is_whitespace),
            "the tail is in no passage"
        );
    }
    let near = ClusterParams::new(&params, &matching, (0.05, 0.95), Keep::First, vec![]);
    let report = PassageReport::new(
        ReportParams::new(&config, near),
        &documents,
        &memberships,
        &analyses,
        Vec::new(),
    );
    let (mut text, mut html) = (Vec::new(), Vec::new());
    report.write_text(&mut text, &texts).expect("text");
    report.write_html(&mut html, &texts).expect("html");
    let json = serde_json::to_vec(&report).expect("json");
    Some((
        String::from_utf8(text).expect("text report is UTF-8"),
        json,
        String::from_utf8(html).expect("HTML report is UTF-8"),
    ))
}

fn closing_scripts(html: &str) -> usize {
    html.to_ascii_lowercase().matches("</script").count()
}

fuzz_target!(|data: &[u8]| {
    static BASELINE: OnceLock<usize> = OnceLock::new();
    let baseline = *BASELINE.get_or_init(|| {
        let (_, _, html) = outputs(&["one two three four five six".to_string()]).expect("baseline");
        closing_scripts(&html)
    });
    let texts: Vec<String> = data
        .split(|&b| b == 0)
        .take(4)
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();
    let Some((_, json, html)) = outputs(&texts) else {
        return;
    };
    let value: serde_json::Value = serde_json::from_slice(&json).expect("JSON reads back");
    assert!(value["documents"].is_array());
    assert_eq!(
        closing_scripts(&html),
        baseline,
        "article text closed a script"
    );
});
