//! One JSONL line, as the reader parses it: a document or a skip with a reason, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::read::document::Origin;
use reprint::read::{FieldNames, RawRecord};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data).into_owned();
    let record = RawRecord::JsonLine {
        origin: Origin {
            file: "fuzz.jsonl".into(),
            line: Some(1),
        },
        line: line.clone(),
    };
    match record.into_document(&FieldNames::default(), true) {
        Ok(doc) => {
            assert!(!doc.id.is_empty(), "a document has an id");
            assert_eq!(
                doc.raw.as_deref(),
                Some(line.as_str()),
                "the raw line is kept whole"
            );
        }
        Err(skipped) => assert!(!skipped.reason.is_empty(), "a skip says why"),
    }
});
