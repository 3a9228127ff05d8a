//! Invariants of clustering on generated syndicated corpora: planted near-duplicates are found,
//! results do not depend on thread count, and with an order-free representative rule they do not
//! depend on input order either.

// Test helpers unwrap: a failure there is a failed test.
use proptest::prelude::*;
use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig, Membership};
use reprint::near_dup::verify::Measure;
use reprint::sketch::fingerprint::fingerprint_all;
use reprint::synth::{planted_recall, Synth, SynthConfig, SynthDocument};
use reprint::{Fingerprint, LshParams, SignatureParams};
use std::collections::BTreeSet;

fn corpus(documents: usize, seed: u64) -> Vec<SynthDocument> {
    Synth::new(SynthConfig {
        documents,
        seed,
        copy_share: 0.4,
    })
    .collect()
}

fn config(threshold: f64) -> MatchConfig {
    MatchConfig {
        threshold,
        measure: Measure::Jaccard,
        lsh: LshParams::for_threshold(
            threshold,
            128,
            reprint::candidates::lsh::DEFAULT_FP_WEIGHT,
            reprint::candidates::lsh::DEFAULT_FN_WEIGHT,
        )
        .unwrap(),
    }
}

fn fingerprints(docs: &[SynthDocument]) -> Vec<Fingerprint> {
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    fingerprint_all(&texts, SignatureParams::default())
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

fn run(docs: &[SynthDocument], fps: &[Fingerprint], threshold: f64, keep: Keep) -> Vec<Membership> {
    let items: Vec<ClusterItem> = docs
        .iter()
        .zip(fps)
        .map(|(d, f)| ClusterItem {
            id: &d.id,
            fingerprint: f,
            bytes: d.text.len(),
            timestamp: reprint::pipeline::ingest::parse_timestamp(&d.date),
        })
        .collect();
    cluster(&items, &config(threshold), keep).unwrap()
}

/// Clusters as sets of ids, independent of numbering and order.
fn partition(docs: &[SynthDocument], memberships: &[Membership]) -> BTreeSet<BTreeSet<String>> {
    let mut groups: std::collections::BTreeMap<usize, BTreeSet<String>> = Default::default();
    for (d, m) in docs.iter().zip(memberships) {
        groups.entry(m.cluster).or_default().insert(d.id.clone());
    }
    groups.into_values().collect()
}

#[test]
fn planted_near_duplicates_are_recalled() {
    let docs = corpus(3000, 11);
    let fps = fingerprints(&docs);
    for threshold in [0.7, 0.8] {
        let m = run(&docs, &fps, threshold, Keep::First);
        let clusters: Vec<usize> = m.iter().map(|m| m.cluster).collect();
        let sims: Vec<f64> = m.iter().map(|m| m.similarity).collect();
        let r = planted_recall(&docs, &clusters, &sims, threshold, |a, b| {
            fps[a].shingles.jaccard(&fps[b].shingles)
        });
        assert!(r.pairs > 300, "too few planted pairs to judge: {r:?}");
        assert!(r.recall >= 0.99, "threshold {threshold}: {r:?}");
        // Every member is within the threshold of its representative (stricter than t - 0.1).
        assert!(r.min_member_similarity >= threshold, "{r:?}");
        for (i, m) in m.iter().enumerate() {
            let exact = fps[i].shingles.jaccard(&fps[m.representative].shingles);
            assert!((exact - m.similarity).abs() < 1e-12);
        }
    }
}

#[test]
fn unrelated_stories_never_share_a_cluster() {
    let docs = corpus(2000, 5);
    let fps = fingerprints(&docs);
    let m = run(&docs, &fps, 0.8, Keep::First);
    for (i, mi) in m.iter().enumerate() {
        let rep = &docs[mi.representative];
        assert_eq!(docs[i].story, rep.story, "{} joined {}", docs[i].id, rep.id);
    }
}

#[test]
fn parallel_equals_serial() {
    let docs = corpus(1500, 3);
    let serial_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let parallel_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let serial = serial_pool.install(|| {
        let fps = fingerprints(&docs);
        (
            fps.iter().map(|f| f.signature.clone()).collect::<Vec<_>>(),
            run(&docs, &fps, 0.8, Keep::First),
        )
    });
    let parallel = parallel_pool.install(|| {
        let fps = fingerprints(&docs);
        (
            fps.iter().map(|f| f.signature.clone()).collect::<Vec<_>>(),
            run(&docs, &fps, 0.8, Keep::First),
        )
    });
    assert_eq!(serial.0, parallel.0);
    assert_eq!(serial.1, parallel.1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// With an order-free representative rule, shuffling the input leaves the partition as it was.
    #[test]
    fn shuffled_input_gives_the_same_partition(
        order in Just((0..400).collect::<Vec<usize>>()).prop_shuffle(),
        keep in prop_oneof![Just(Keep::Longest), Just(Keep::Earliest)],
    ) {
        let docs = corpus(400, 21);
        let fps = fingerprints(&docs);
        let expected = partition(&docs, &run(&docs, &fps, 0.8, keep));
        let shuffled_docs: Vec<SynthDocument> = order.iter().map(|&i| docs[i].clone()).collect();
        let shuffled_fps: Vec<Fingerprint> = order.iter().map(|&i| fps[i].clone()).collect();
        let got = partition(&shuffled_docs, &run(&shuffled_docs, &shuffled_fps, 0.8, keep));
        prop_assert_eq!(got, expected);
    }
}
