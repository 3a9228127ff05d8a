//! Generate a syndicated corpus, cluster it, and report recall of the planted near-duplicates
//! and the time taken: `cargo run --release --example planted_recall -- 100000 0.8 [HASH_SEED]`.

use reprint::near_dup::cluster::{cluster, ClusterItem, Keep, MatchConfig};
use reprint::near_dup::verify::Measure;
use reprint::sketch::fingerprint::fingerprint_all;
use reprint::synth::{planted_recall, Synth, SynthConfig};
use reprint::{LshParams, SignatureParams};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let documents: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let threshold: f64 = args.next().map_or(Ok(0.8), |a| a.parse())?;
    let hash_seed: u64 = args.next().map_or(Ok(0), |a| a.parse())?;
    let docs: Vec<_> = Synth::new(SynthConfig {
        documents,
        seed: 1,
        copy_share: 0.3,
    })
    .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let params = SignatureParams {
        seed: hash_seed,
        ..SignatureParams::default()
    };
    let config = MatchConfig {
        threshold,
        measure: Measure::Jaccard,
        lsh: LshParams::for_threshold(
            threshold,
            params.num_perm,
            reprint::candidates::lsh::DEFAULT_FP_WEIGHT,
            reprint::candidates::lsh::DEFAULT_FN_WEIGHT,
        )?,
    };
    let started = Instant::now();
    let texts: Vec<&str> = docs.iter().map(|d| d.text.as_str()).collect();
    let fingerprints: Vec<_> = fingerprint_all(&texts, params)?
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or("a generated document has no words")?;
    let signed = started.elapsed();
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
    let memberships = cluster(&items, &config, Keep::First)?;
    let total = started.elapsed();
    let clusters: Vec<usize> = memberships.iter().map(|m| m.cluster).collect();
    let similarities: Vec<f64> = memberships.iter().map(|m| m.similarity).collect();
    let recall = planted_recall(&docs, &clusters, &similarities, threshold, |a, b| {
        fingerprints[a].shingles.jaccard(&fingerprints[b].shingles)
    });
    println!(
        "{documents} documents, {:.1} MB: fingerprint {:.2} s ({:.0} MB/s), cluster {:.2} s, total {:.2} s",
        bytes as f64 / 1e6,
        signed.as_secs_f64(),
        bytes as f64 / 1e6 / signed.as_secs_f64(),
        (total - signed).as_secs_f64(),
        total.as_secs_f64()
    );
    println!(
        "planted pairs with Jaccard >= {:.2}: {}, in one cluster: {} (recall {:.4}); \
         lowest member-to-representative similarity {:.4}",
        threshold + 0.05,
        recall.pairs,
        recall.found,
        recall.recall,
        recall.min_member_similarity
    );
    Ok(())
}
