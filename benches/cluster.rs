//! End to end in the library: fingerprint a generated syndicated corpus in parallel and cluster
//! it; then stories and passages over it; in bytes per second of article text.

// A benchmark's fixtures are fixed; failing to build them is a broken benchmark, not user input.
#![allow(clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig};
use reprint::near_dup::verify::Measure;
use reprint::pipeline::analysis::{analyze, AnalysisConfig, ArticleInput};
use reprint::sketch::fingerprint::fingerprint_all;
use reprint::synth::{Synth, SynthConfig};
use reprint::{LshParams, SignatureParams};

fn clustering(c: &mut Criterion) {
    let docs: Vec<_> = Synth::new(SynthConfig {
        documents: 5_000,
        seed: 7,
        copy_share: 0.3,
    })
    .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let params = SignatureParams::default();
    let config = MatchConfig {
        threshold: 0.8,
        measure: Measure::Jaccard,
        lsh: LshParams::for_threshold(
            0.8,
            128,
            reprint::candidates::lsh::DEFAULT_FP_WEIGHT,
            reprint::candidates::lsh::DEFAULT_FN_WEIGHT,
        )
        .expect("valid threshold"),
    };
    let mut group = c.benchmark_group("cluster");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("fingerprint_and_cluster_5000_docs", |b| {
        b.iter(|| {
            let fingerprints: Vec<_> = fingerprint_all(&texts, params)
                .expect("valid params")
                .into_iter()
                .map(|f| f.expect("generated text has words"))
                .collect();
            let items: Vec<ClusterItem> = docs
                .iter()
                .zip(&fingerprints)
                .map(|(d, f)| ClusterItem {
                    id: &d.id,
                    fingerprint: f,
                    bytes: d.text.len(),
                    timestamp: None,
                })
                .collect();
            let memberships = cluster(&items, &config, Keep::First).expect("compatible parameters");
            let clusters = memberships.iter().map(|m| m.cluster).max().unwrap_or(0) + 1;
            // Copies with heavy trims fall below 0.8, but most copies join their original.
            assert!(clusters < docs.len(), "{clusters} clusters");
            clusters
        })
    });
    group.finish();
}

/// Stories and passages (what `reprint report` adds after near-duplicate clustering): segment,
/// judge boilerplate, cluster stories, align sentences, label passages.
fn stories_and_passages(c: &mut Criterion) {
    let docs: Vec<_> = Synth::new(SynthConfig {
        documents: 2_000,
        seed: 11,
        copy_share: 0.3,
    })
    .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let inputs: Vec<ArticleInput> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| ArticleInput {
            text: &d.text,
            title: None,
            outlet: Some(&d.outlet),
            timestamp: None,
            representative: i,
        })
        .collect();
    let config = AnalysisConfig::default();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("analyze_2000_docs", |b| {
        b.iter(|| analyze(&inputs, &config).expect("valid config").len())
    });
    group.finish();
}

criterion_group!(benches, clustering, stories_and_passages);
criterion_main!(benches);
