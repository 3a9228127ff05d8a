//! Bytes as a file of each kind the reader opens (JSONL plain, gzip, zstd; WARC; HTML):
//! every record is a document or a skip with a reason, and reading ends.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::read::{FieldNames, InputReader};

const NAMES: &[&str] = &[
    "in.jsonl",
    "in.jsonl.gz",
    "in.jsonl.zst",
    "in.warc",
    "in.warc.gz",
    "in.html",
];

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(NAMES[kind as usize % NAMES.len()]);
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let fields = FieldNames::default();
    let mut records = 0usize;
    for record in InputReader::new(&[&path], &fields) {
        records += 1;
        // Compressed input may expand (deflate at most about 1032 to 1), but never without end.
        assert!(
            records <= 1100 * bytes.len() + 1,
            "more records than the bytes could hold"
        );
        if let Err(skipped) = record.into_document(&fields, false) {
            assert!(!skipped.reason.is_empty(), "a skip says why");
        }
    }
});
