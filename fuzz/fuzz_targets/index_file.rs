//! A damaged index file: a small valid index with bytes overwritten (or, for inputs that start
//! with 0, the bytes themselves as the file). Opening it, querying, listing, adding, removing
//! and compacting must each work or return an error naming the file; a panic is a failure.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::near_dup::cluster::MatchConfig;
use reprint::sketch::fingerprint::{Fingerprint, Fingerprinter};
use reprint::index::{Index, IndexInput, IndexParams, IndexReader};
use reprint::story::cluster::{StoryConfig, TermCounts};
use reprint::near_dup::verify::Measure;
use reprint::SignatureParams;
use std::sync::OnceLock;

const FILE: &str = "index.redb";

/// Article-like texts: pairs of near-copies and loners, so the index holds representatives,
/// near-duplicates and stories.
fn texts() -> Vec<String> {
    (0..24)
        .map(|i| {
            format!(
                "Report {} from the coast: officials said on Monday that the storm had moved \
                 {} miles inland, closing {} schools and leaving {} homes without power, while \
                 crews worked through the night to clear the roads near the harbour.",
                i / 2,
                i / 2 * 7,
                i / 2 + 3,
                i / 2 * 100 + 50
            ) + if i % 2 == 1 { " Shares fell." } else { "" }
        })
        .collect()
}

fn fingerprints() -> &'static (Vec<String>, Vec<Fingerprint>) {
    static PRINTS: OnceLock<(Vec<String>, Vec<Fingerprint>)> = OnceLock::new();
    PRINTS.get_or_init(|| {
        let mut f = Fingerprinter::new(SignatureParams::default()).expect("default parameters");
        let prints = texts().iter().map(|t| f.fingerprint(t).expect("text")).collect();
        ((0..24).map(|i| format!("d{i}")).collect(), prints)
    })
}

fn inputs<'a>(ids: &'a [String], prints: &'a [Fingerprint]) -> Vec<IndexInput<'a>> {
    ids.iter()
        .zip(prints)
        .map(|(id, fingerprint)| IndexInput {
            id,
            outlet: None,
            date: None,
            fingerprint,
            timestamp: None,
            terms: no_terms(),
        })
        .collect()
}

/// No story terms: the documents form stories by near-duplication alone.
fn no_terms() -> &'static TermCounts {
    static NONE: OnceLock<TermCounts> = OnceLock::new();
    NONE.get_or_init(TermCounts::default)
}

/// The bytes of a valid index holding the first 16 texts.
fn base() -> &'static Vec<u8> {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let signature = SignatureParams::default();
        let matching = MatchConfig::new(0.8, Measure::Jaccard, signature.num_perm, 0.05, 0.95)
            .expect("matching");
        let params = IndexParams::new(&signature, &matching, &StoryConfig::default());
        let mut index = Index::create(dir.path(), params).expect("create");
        let (ids, prints) = fingerprints();
        index.add(&inputs(&ids[..16], &prints[..16])).expect("add");
        drop(index);
        std::fs::read(dir.path().join(FILE)).expect("index file")
    })
}

fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((0, raw)) => raw.to_vec(),
        _ => {
            // Patches of four bytes: a 24-bit offset into the file and the byte written there.
            let mut bytes = base().clone();
            for patch in data.get(1..).unwrap_or_default().chunks_exact(4) {
                let at = u32::from_le_bytes([patch[0], patch[1], patch[2], 0]) as usize;
                let len = bytes.len();
                bytes[at % len] = patch[3];
            }
            bytes
        }
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    if std::fs::write(dir.path().join(FILE), &bytes).is_err() {
        return;
    }
    let (ids, prints) = fingerprints();
    let all = inputs(ids, prints);
    let named = |e: reprint::Error| assert!(e.to_string().contains(FILE), "{e}");
    match IndexReader::open(dir.path()) {
        Ok(reader) => {
            let _ = reader.query(&all[12..20]).map_err(named);
            let _ = reader.documents().map_err(named);
            let _ = reader.stats().map_err(named);
        }
        Err(e) => named(e),
    }
    match Index::open(dir.path()) {
        Ok(mut writer) => {
            let _ = writer.add(&all[16..]).map_err(named);
            let _ = writer.remove(&["d2", "d5"]).map_err(named);
            let _ = writer.compact().map_err(named);
        }
        Err(e) => named(e),
    }
});
