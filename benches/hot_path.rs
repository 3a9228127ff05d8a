//! The hot path, stage by stage, in bytes per second of English news text (the five seed
//! articles, real text with curly quotes and boilerplate). Each loop checks a checksum so the
//! work cannot be optimized away.

// A benchmark's fixtures are fixed; failing to build them is a broken benchmark, not user input.
#![allow(clippy::expect_used, missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use reprint::sketch::shingle::for_each_shingle;
use reprint::sketch::tokenize::{for_each_word, Tokenizer};
use reprint::story::article_terms::story_terms;
use reprint::{Fingerprinter, SignatureParams};
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64;

fn seeds() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("data/seeds exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("seed is UTF-8"))
        .collect()
}

fn hot_path(c: &mut Criterion) {
    let docs = seeds();
    let bytes: usize = docs.iter().map(String::len).sum();
    let params = SignatureParams::default();
    let mut group = c.benchmark_group("hot_path");
    group.throughput(Throughput::Bytes(bytes as u64));

    let expected_words: usize = docs
        .iter()
        .map(|d| {
            let mut n = 0;
            for_each_word(d, |_, _| n += 1);
            n
        })
        .sum();
    group.bench_function("segment_words", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                for_each_word(black_box(d), |_, _| n += 1);
            }
            assert_eq!(n, expected_words);
        })
    });

    let mut tokenizer = Tokenizer::new(0);
    group.bench_function("tokenize_normalize_hash", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let mut sum = 0u64;
            for d in &docs {
                tokenizer.for_each_token(black_box(d), |t| {
                    n += 1;
                    sum = sum.wrapping_add(t.hash);
                });
            }
            assert_eq!(n, expected_words);
            sum
        })
    });

    let mut hashes = Vec::new();
    group.bench_function("tokenize_shingle_hash", |b| {
        b.iter(|| {
            let mut shingles = 0usize;
            for d in &docs {
                hashes.clear();
                tokenizer.for_each_token(black_box(d), |t| hashes.push(t.hash));
                for_each_shingle(&hashes, 5, 1, |_, h| {
                    shingles += 1;
                    black_box(h);
                });
            }
            assert_eq!(shingles, expected_words - 4 * docs.len());
        })
    });

    let mut fingerprinter = Fingerprinter::new(params).expect("valid params");
    group.bench_function("signature_128", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                let s = fingerprinter
                    .signature(black_box(d))
                    .expect("seed has words");
                n += s.values().len();
            }
            assert_eq!(n, 128 * docs.len());
        })
    });

    // The baseline to beat: a straightforward implementation. Lower-cased `unicode_words`,
    // shingles as joined strings, and 128 multiply-add hash functions applied to every shingle.
    let mut rng = reprint::synth::Rng::new(42);
    let mults: Vec<u64> = (0..128).map(|_| rng.next_u64() | 1).collect();
    let adds: Vec<u64> = (0..128).map(|_| rng.next_u64()).collect();
    group.bench_function("baseline_naive_minhash_128", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                let words: Vec<String> = black_box(d)
                    .unicode_words()
                    .map(str::to_lowercase)
                    .collect();
                let mut signature = vec![u64::MAX; 128];
                for window in words.windows(5) {
                    let h = xxh3_64(window.join(" ").as_bytes());
                    for ((s, m), a) in signature.iter_mut().zip(&mults).zip(&adds) {
                        *s = (*s).min(m.wrapping_mul(h).wrapping_add(*a));
                    }
                }
                n += signature.len();
            }
            assert_eq!(n, 128 * docs.len());
        })
    });

    group.bench_function("fingerprint_128_with_shingle_set", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                let f = fingerprinter
                    .fingerprint(black_box(d))
                    .expect("seed has words");
                n += f.tokens;
            }
            assert_eq!(n, expected_words);
        })
    });

    // What `index add` computes per document besides its fingerprint: the story terms of the
    // text its own evidence does not call boilerplate.
    let expected_terms: usize = docs.iter().map(|d| story_terms(d, None).terms.len()).sum();
    group.bench_function("story_terms", |b| {
        b.iter(|| {
            let n: usize = docs
                .iter()
                .map(|d| story_terms(black_box(d), None).terms.len())
                .sum();
            assert_eq!(n, expected_terms);
        })
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
