//! One record as read, before it is parsed: a JSONL line, a file's bytes, a web page, a table
//! row; and the parse that turns it into a document or a skip with its reason.
//!
//! Main choice: parsing is separate from reading, so the reader stays one cheap thread and the
//! parse (JSON, HTML, decoding) runs on every core. A JSONL line is parsed by picking only the
//! configured fields; every other field is skipped without being built.

use crate::read::document::{Document, Origin, Skipped};
use crate::read::html::{article_page, page_text, ArticlePage};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Largest record read unless told otherwise: a JSONL line, a whole file, a WARC record or a
/// Parquet text, as read (decompressed). No article comes near it; a decompression bomb or a
/// file without line ends does. The reader may run four such records ahead of the work that
/// consumes them (see [`crate::pipeline::ingest`]).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// Why a record over `max` bytes (`bytes` when known) is skipped.
pub(crate) fn too_large(bytes: Option<u64>, max: usize) -> String {
    let size = |b: u64| {
        if b >= 1 << 20 {
            format!("{:.1} MiB", b as f64 / f64::from(1 << 20))
        } else {
            format!("{b} bytes")
        }
    };
    match bytes {
        Some(b) => format!(
            "record of {}, over the limit of {} per record",
            size(b),
            size(max as u64)
        ),
        None => format!("record over the limit of {} per record", size(max as u64)),
    }
}

/// Which JSONL fields hold what.
///
/// A field left at its default name also accepts the common name other tools write for it,
/// when a record lacks the default one ([`COMMON_NAMES`]): `url` for the id, `body` or
/// `content` for the text (a record with both and no `text` is ambiguous and skipped), and
/// `published_at` for the date; `publisher` comes last among the outlet fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    /// The id field (default `id`, else `url`); a string or an integer.
    pub id: String,
    /// The text field (default `text`, else `body` or `content`).
    pub text: String,
    /// The outlet field; when `None`, `outlet`, then `source`, `site` and `publisher` are tried.
    pub outlet: Option<String>,
    /// The date field (default `date`, else `published_at`).
    pub date: String,
    /// The headline field (default `title`).
    pub title: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            id: "id".into(),
            text: "text".into(),
            outlet: None,
            date: "date".into(),
            title: "title".into(),
        }
    }
}

/// The common names a field at its default name also accepts: (default name, other names).
pub const COMMON_NAMES: [(&str, &[&str]); 3] = [
    ("id", &["url"]),
    ("text", &["body", "content"]),
    ("date", &["published_at"]),
];

/// The outlet fields tried, best first, when none is named.
const OUTLET_NAMES: [&str; 4] = ["outlet", "source", "site", "publisher"];

/// A field of a record that a document is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Text,
    Id,
    Date,
    Title,
    Outlet,
}

impl FieldNames {
    /// Priority of `key` as an outlet field: lower is better; `None` if it is not one.
    pub(crate) fn outlet_rank(&self, key: &str) -> Option<u8> {
        match &self.outlet {
            Some(name) => (name == key).then_some(0),
            None => OUTLET_NAMES.iter().position(|k| *k == key).map(|p| p as u8),
        }
    }

    /// Rank of `key` among the names a field set to `name` accepts: 0 for `name` itself, 1
    /// for a common name when `name` is the default.
    fn rank_of(name: &str, key: &str) -> Option<u8> {
        if key == name {
            return Some(0);
        }
        let (_, others) = COMMON_NAMES.iter().find(|(default, _)| *default == name)?;
        others.iter().position(|k| *k == key).map(|p| p as u8 + 1)
    }

    /// The common name of rank `rank` (from 1) for a field set to `name`.
    fn common_name(name: &str, rank: u8) -> Option<&'static str> {
        let (_, others) = COMMON_NAMES.iter().find(|(default, _)| *default == name)?;
        others.get(usize::from(rank).checked_sub(1)?).copied()
    }

    /// Which field `key` is, and its rank there. Names the caller gave win over common names
    /// (a text field named `url` is the text, not a stand-in for the id).
    fn slot_of(&self, key: &str) -> Option<(Slot, u8)> {
        if key == self.text {
            Some((Slot::Text, 0))
        } else if key == self.id {
            Some((Slot::Id, 0))
        } else if key == self.date {
            Some((Slot::Date, 0))
        } else if key == self.title {
            Some((Slot::Title, 0))
        } else if let Some(rank) = self.outlet_rank(key) {
            Some((Slot::Outlet, rank))
        } else if let Some(rank) = Self::rank_of(&self.text, key) {
            Some((Slot::Text, rank))
        } else if let Some(rank) = Self::rank_of(&self.id, key) {
            Some((Slot::Id, rank))
        } else {
            Self::rank_of(&self.date, key).map(|rank| (Slot::Date, rank))
        }
    }
}

/// One input record before parsing: cheap to produce, parsed later (possibly in parallel).
#[derive(Debug)]
pub enum RawRecord {
    /// One non-blank line of a JSONL input.
    JsonLine {
        /// Where the line is.
        origin: Origin,
        /// The line, without its line ending.
        line: String,
    },
    /// A whole file that is one document.
    File {
        /// The file.
        origin: Origin,
        /// The document id derived from the path.
        id: String,
        /// The file's bytes, not yet checked for UTF-8.
        bytes: Vec<u8>,
        /// An HTML page (`.html`, `.htm`, `.xhtml`), whose article text is the document.
        html: bool,
    },
    /// A record whose fields come separated: a web archive's `conversion` record (id its
    /// target URI, outlet that URI's host, date its `WARC-Date`) or a Parquet row.
    Fields {
        /// Where the record is (its first line, or its row).
        origin: Origin,
        /// The document id.
        id: String,
        /// The outlet, when known.
        outlet: Option<String>,
        /// The date as given, when known.
        date: Option<String>,
        /// The headline, when known.
        title: Option<String>,
        /// The text's bytes, not yet checked for UTF-8.
        bytes: Vec<u8>,
        /// The bytes are an HTML page (a WARC `response` record), whose article text is the
        /// document.
        html: bool,
    },
    /// Something that could not be read at all (a missing path, a truncated archive).
    Unreadable(Skipped),
}

impl RawRecord {
    /// Size of the record's payload in bytes (for progress and throughput).
    pub fn len(&self) -> usize {
        match self {
            RawRecord::JsonLine { line, .. } => line.len(),
            RawRecord::File { bytes, .. } | RawRecord::Fields { bytes, .. } => bytes.len(),
            RawRecord::Unreadable(_) => 0,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parse and validate the record. With `keep_raw`, a JSONL document keeps its original line.
    pub fn into_document(self, fields: &FieldNames, keep_raw: bool) -> Result<Document, Skipped> {
        match self {
            RawRecord::Unreadable(skipped) => Err(skipped),
            RawRecord::File {
                origin,
                id,
                bytes,
                html,
            } => {
                let (text, title) = if html {
                    let page = page(&origin, &id, bytes)?;
                    (page.text, page.headline)
                } else {
                    (text_of(&origin, &id, bytes, "file")?, None)
                };
                Ok(Document {
                    id,
                    text,
                    outlet: None,
                    date: None,
                    title,
                    origin,
                    raw: None,
                    stand_ins: Vec::new(),
                })
            }
            RawRecord::Fields {
                origin,
                id,
                outlet,
                date,
                title,
                bytes,
                html,
            } => {
                if id.is_empty() {
                    return Err(Skipped::new(origin, None, "the record's id is empty"));
                }
                // A headline the record gives apart wins over the page's own.
                let (text, title) = if html {
                    let page = page(&origin, &id, bytes)?;
                    (page.text, title.or(page.headline))
                } else {
                    (text_of(&origin, &id, bytes, "record")?, title)
                };
                Ok(Document {
                    id,
                    text,
                    outlet,
                    date,
                    title,
                    origin,
                    raw: None,
                    stand_ins: Vec::new(),
                })
            }
            RawRecord::JsonLine { origin, line } => {
                let picked = parse_fields(&line, fields)
                    .map_err(|reason| Skipped::new(&origin, None, reason))?;
                let missing = |id: Option<String>, field: &str| {
                    Skipped::new(&origin, id, format!("missing field `{field}`"))
                        .with_missing_field(&origin.file, field, keys_of(&line))
                };
                let mut stand_ins = Vec::new();
                let (id_rank, id) = picked.id.ok_or_else(|| missing(None, &fields.id))?;
                let id = id.map_err(|reason| Skipped::new(&origin, None, reason))?;
                stand_ins.extend(FieldNames::common_name(&fields.id, id_rank).map(|n| ("id", n)));
                if picked.text.as_ref().is_none_or(|(rank, _)| *rank > 0) && picked.common_texts > 1
                {
                    let names = COMMON_NAMES[1].1.join("`, `");
                    return Err(Skipped::new(
                        &origin,
                        Some(id),
                        format!("no field `{}`, and more than one of `{names}`: which is the text is ambiguous", fields.text),
                    ));
                }
                let (text_rank, text) = match picked.text {
                    None => return Err(missing(Some(id), &fields.text)),
                    Some((rank, text)) => (rank, text),
                };
                let text_name = FieldNames::common_name(&fields.text, text_rank);
                let Some(text) = text else {
                    return Err(Skipped::new(
                        &origin,
                        Some(id),
                        format!(
                            "field `{}` is not a string",
                            text_name.unwrap_or(&fields.text)
                        ),
                    ));
                };
                stand_ins.extend(text_name.map(|n| ("text", n)));
                let date = picked.date.map(|(rank, date)| {
                    stand_ins
                        .extend(FieldNames::common_name(&fields.date, rank).map(|n| ("date", n)));
                    date
                });
                Ok(Document {
                    id,
                    text,
                    outlet: picked.outlet.map(|(_, o)| o),
                    date,
                    title: picked.title,
                    origin,
                    raw: keep_raw.then_some(line),
                    stand_ins,
                })
            }
        }
    }
}

/// An HTML page's article text and headline: no NUL bytes, decoded from the charset it
/// declares.
fn page(origin: &Origin, id: &str, bytes: Vec<u8>) -> Result<ArticlePage, Skipped> {
    let skip = |reason: String| Skipped::new(origin, Some(id.to_string()), reason);
    if bytes.contains(&0) {
        return Err(skip("binary page (contains NUL bytes)".into()));
    }
    let text = page_text(bytes, None).map_err(skip)?;
    article_page(&text).map_err(|e| skip(e.to_string()))
}

/// A whole-file or archived document's text: valid UTF-8 without NUL bytes.
fn text_of(origin: &Origin, id: &str, bytes: Vec<u8>, what: &str) -> Result<String, Skipped> {
    if bytes.contains(&0) {
        return Err(Skipped::new(
            origin,
            Some(id.to_string()),
            format!("binary {what} (contains NUL bytes)"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Skipped::new(
            origin,
            Some(id.to_string()),
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The fields picked out of one JSONL object, each with the rank of the name it was found
/// under (0: the name asked for; from 1: a common name, see [`COMMON_NAMES`]); the best rank
/// wins.
#[derive(Default)]
struct Picked {
    /// `None`: absent; `Some((_, Err))`: present but unusable.
    id: Option<(u8, Result<String, String>)>,
    /// `None`: absent; `Some((_, None))`: present but not a string.
    text: Option<(u8, Option<String>)>,
    /// How many common names of the text the record has.
    common_texts: u8,
    /// The best-ranked outlet field seen so far, with its rank.
    outlet: Option<(u8, String)>,
    date: Option<(u8, String)>,
    title: Option<String>,
}

/// Whether a value found under rank `rank` replaces what `slot` holds.
fn better<T>(slot: &Option<(u8, T)>, rank: u8) -> bool {
    slot.as_ref().is_none_or(|(held, _)| rank < *held)
}

/// The keys of a JSON object line, in order (empty when it is not one): for the message that
/// says which fields an input has, read only on the way to skipping a record.
fn keys_of(line: &str) -> Vec<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                map.next_value::<IgnoredAny>()?;
                if !keys.iter().any(|k| *k == key) {
                    keys.push(key.into_owned());
                }
            }
            Ok(keys)
        }
    }
    let mut de = serde_json::Deserializer::from_str(line);
    de::Deserializer::deserialize_map(&mut de, Keys).unwrap_or_default()
}

/// Parse one JSONL line, building only the configured fields.
fn parse_fields(line: &str, fields: &FieldNames) -> Result<Picked, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    let picked = de::Deserializer::deserialize_any(&mut de, PickVisitor { fields })
        .map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))?;
    Ok(picked)
}

fn json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => e.to_string(),
        _ => format!("malformed JSON: {e}"),
    }
}

struct PickVisitor<'f> {
    fields: &'f FieldNames,
}

impl<'de> Visitor<'de> for PickVisitor<'_> {
    type Value = Picked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Picked, A::Error> {
        let mut picked = Picked::default();
        // Which picked fields were met (a bit each): one given twice is ambiguous (parsers
        // differ on which value wins), so the record is refused rather than read one way.
        let mut seen = 0u16;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let key: &str = &key;
            let Some((slot, rank)) = self.fields.slot_of(key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let base = match slot {
                Slot::Text => 0,
                Slot::Id => 3,
                Slot::Date => 5,
                Slot::Title => 7,
                Slot::Outlet => 8,
            };
            let bit = 1u16 << (base + u16::from(rank));
            if seen & bit != 0 {
                return Err(de::Error::custom(format!(
                    "field `{key}` is given twice in one object"
                )));
            }
            seen |= bit;
            match slot {
                Slot::Text => {
                    picked.common_texts += u8::from(rank > 0);
                    let text = map.next_value::<Scalar>()?.into_string();
                    if better(&picked.text, rank) {
                        picked.text = Some((rank, text));
                    }
                }
                Slot::Id => {
                    let id = match map.next_value::<Scalar>()? {
                        Scalar::String(s) if s.trim().is_empty() => {
                            Err(format!("field `{key}` is empty"))
                        }
                        Scalar::String(s) => Ok(s),
                        Scalar::Integer(s) => Ok(s),
                        Scalar::Other => {
                            Err(format!("field `{key}` is not a string or an integer"))
                        }
                    };
                    if better(&picked.id, rank) {
                        picked.id = Some((rank, id));
                    }
                }
                Slot::Outlet => {
                    if let Some(outlet) = map.next_value::<Scalar>()?.into_string() {
                        if better(&picked.outlet, rank) && !outlet.trim().is_empty() {
                            picked.outlet = Some((rank, outlet));
                        }
                    }
                }
                Slot::Date => {
                    let date = map.next_value::<Scalar>()?.into_string();
                    if let Some(date) = date.filter(|d| !d.trim().is_empty()) {
                        if better(&picked.date, rank) {
                            picked.date = Some((rank, date));
                        }
                    }
                }
                Slot::Title => {
                    // A headline that is not a string (null, a number) is no headline.
                    picked.title = map
                        .next_value::<Scalar>()?
                        .into_string()
                        .filter(|t| !t.trim().is_empty());
                }
            }
        }
        Ok(picked)
    }
}

/// An object key, borrowed from the line when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A field value as far as we care: a string, an integer (kept as its decimal text), or other.
enum Scalar {
    String(String),
    Integer(String),
    Other,
}

impl Scalar {
    fn into_string(self) -> Option<String> {
        match self {
            Scalar::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::String(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Integer(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Integer(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> DeserializeSeed<'de> for PickVisitor<'_> {
    type Value = Picked;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Picked, D::Error> {
        d.deserialize_map(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn origin() -> Origin {
        Origin {
            file: Arc::from("feed.jsonl"),
            line: Some(3),
        }
    }

    fn parse(line: &str) -> Result<Document, Skipped> {
        RawRecord::JsonLine {
            origin: origin(),
            line: line.into(),
        }
        .into_document(&FieldNames::default(), false)
    }

    #[test]
    fn a_picked_field_given_twice_is_refused() {
        let twice = parse(r#"{"id":"a","text":"First.","text":"Second."}"#).unwrap_err();
        assert!(
            twice.reason.contains("field `text` is given twice"),
            "{}",
            twice.reason
        );
        assert!(parse(r#"{"id":"a","date":"2026-01-01","text":"t","date":"2026-01-02"}"#).is_err());
        // Other keys may repeat, and two different outlet fields are the fallback at work.
        let doc = parse(r#"{"x":1,"x":2,"id":"a","text":"t","source":"S","outlet":"O"}"#).unwrap();
        assert_eq!(doc.outlet.as_deref(), Some("O"));
    }

    #[test]
    fn picks_fields_and_falls_back_to_source_for_outlet() {
        let doc = parse(r#"{"id":"a","text":"Hello \"world\"","source":"Wire","x":[1,{"y":2}],"date":"2026-01-29"}"#)
            .unwrap();
        assert_eq!(doc.id, "a");
        assert_eq!(doc.text, "Hello \"world\"");
        assert_eq!(doc.outlet.as_deref(), Some("Wire"));
        assert_eq!(doc.date.as_deref(), Some("2026-01-29"));
        let doc = parse(r#"{"site":"S","outlet":"O","id":7,"text":"t"}"#).unwrap();
        assert_eq!(doc.outlet.as_deref(), Some("O"));
        assert_eq!(doc.id, "7");
        assert_eq!(doc.title, None);
    }

    #[test]
    fn picks_the_headline_and_ignores_one_that_is_no_text() {
        let doc = parse(r#"{"id":"a","text":"t","title":"Quake hits Chile"}"#).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Quake hits Chile"));
        for title in ["null", "5", r#""  ""#, "[1]"] {
            let line = format!(r#"{{"id":"a","text":"t","title":{title}}}"#);
            assert_eq!(parse(&line).unwrap().title, None, "{line}");
        }
        let fields = FieldNames {
            title: "headline".into(),
            ..FieldNames::default()
        };
        let doc = RawRecord::JsonLine {
            origin: origin(),
            line: r#"{"id":"a","text":"t","title":"no","headline":"yes"}"#.into(),
        }
        .into_document(&fields, false)
        .unwrap();
        assert_eq!(doc.title.as_deref(), Some("yes"));
    }

    #[test]
    fn bad_records_name_the_line_and_the_problem() {
        let e = parse(r#"{"id":"a"}"#).unwrap_err();
        assert_eq!(e.source, "feed.jsonl:3");
        assert_eq!(e.reason, "missing field `text`");
        let e = parse(r#"{"id":"a","text":5}"#).unwrap_err();
        assert_eq!(e.reason, "field `text` is not a string");
        let e = parse(r#"{"text":"x"}"#).unwrap_err();
        assert_eq!(e.reason, "missing field `id`");
        let e = parse(r#"{"id":"a","text":"x""#).unwrap_err();
        assert!(e.reason.starts_with("malformed JSON"), "{}", e.reason);
        let e = parse(r#"[1,2]"#).unwrap_err();
        assert!(e.reason.contains("JSON object"), "{}", e.reason);
        let e = parse(r#"{"id":"a","text":"x"} trailing"#).unwrap_err();
        assert!(e.reason.starts_with("malformed JSON"), "{}", e.reason);
    }
}
