//! Write the background document frequencies that story IDF starts from
//! (`src/background_df.txt`): `cargo run --release --example background_df -- FILE.jsonl...`.
//!
//! A corpus of five articles cannot tell a common word from a rare one, so story weights start
//! from word document frequencies of a general news corpus. Only words found in at least two
//! documents are kept; figures are left out (they identify events, not vocabulary).
use reprint::story::terms::TermExtractor;
use std::collections::{BTreeMap, BTreeSet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ex = TermExtractor::new();
    let mut df: BTreeMap<String, u32> = BTreeMap::new();
    let mut documents = 0;
    for path in std::env::args().skip(1) {
        for line in std::fs::read_to_string(&path)?.lines() {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let Some(text) = v.get("text").and_then(|t| t.as_str()) else {
                continue;
            };
            documents += 1;
            let mut seen = BTreeSet::new();
            ex.for_each_term_text(text, |_, canonical| {
                if !canonical.starts_with('#') {
                    seen.insert(canonical.to_string());
                }
            });
            for w in seen {
                *df.entry(w).or_default() += 1;
            }
        }
    }
    println!("# documents {documents}");
    for (w, n) in df.iter().filter(|(_, &n)| n >= 2) {
        println!("{w}\t{n}");
    }
    Ok(())
}
