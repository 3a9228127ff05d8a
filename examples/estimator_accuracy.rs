//! How accurate the MinHash estimate is on planted near-duplicates: for every generated copy whose
//! exact shingle Jaccard with its original is at least 0.5, the estimate's mean bias and its mean
//! squared error relative to J(1-J)/num_perm (what classic MinHash would give: 1.0).
//! `cargo run --release --example estimator_accuracy -- [DOCUMENTS]`.

use reprint::synth::{Synth, SynthConfig};
use reprint::{Fingerprinter, SignatureParams};
use std::collections::HashMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let documents: usize = std::env::args().nth(1).map_or(Ok(20_000), |a| a.parse())?;
    let docs: Vec<_> = Synth::new(SynthConfig {
        documents,
        seed: 1,
        copy_share: 0.3,
    })
    .collect();
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let params = SignatureParams::default();
    let mut fingerprinter = Fingerprinter::new(params)?;
    let fingerprints = docs
        .iter()
        .map(|d| fingerprinter.fingerprint(&d.text))
        .collect::<Option<Vec<_>>>()
        .ok_or("a generated document has no words")?;
    let (mut pairs, mut bias, mut error) = (0usize, 0.0, 0.0);
    for (i, d) in docs.iter().enumerate() {
        let Some(j) = d.copy_of.as_deref().and_then(|o| index.get(o)) else {
            continue;
        };
        let (a, b) = (&fingerprints[i], &fingerprints[*j]);
        let exact = a.shingles.jaccard(&b.shingles);
        if !(0.5..1.0).contains(&exact) {
            continue;
        }
        let estimate = a.signature.jaccard(&b.signature)?;
        pairs += 1;
        bias += estimate - exact;
        error += (estimate - exact).powi(2) / (exact * (1.0 - exact) / params.num_perm as f64);
    }
    println!(
        "{pairs} planted pairs with 0.5 <= J < 1: mean bias {:+.5}, MSE / (J(1-J)/{}) = {:.3}",
        bias / pairs as f64,
        params.num_perm,
        error / pairs as f64
    );
    Ok(())
}
