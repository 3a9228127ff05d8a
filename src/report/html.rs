//! The HTML rendering of a story report: one self-contained file to read in a browser.
//!
//! The file is a small page, its stylesheet and script inline, and the report's data as one
//! JSON block that the script draws from: story overview, articles with their passages
//! highlighted, two articles side by side, and outlet charts. Drawing from data rather than
//! writing every article as markup keeps a report of 10,000 articles usable, since only the page
//! being looked at is ever built.
//!
//! Safety is structural rather than a matter of escaping each string correctly:
//! - article text only ever reaches the page as JSON inside a non-executable
//!   `<script type="application/json">`, with `<`, `>` and `&` written as `\u003c`, `\u003e` and
//!   `\u0026`, so no byte sequence of an article can close that element;
//! - the script puts text into the page with `textContent`, never as markup;
//! - a Content-Security-Policy allows exactly one script, ours, by its SHA-256 hash, and no
//!   network access of any kind (`default-src 'none'`), so even an injection that got through
//!   could neither run nor call home.

use super::stories::PassageReport;
use super::{OutletEntry, ReportParams, ReuseEntry};
use crate::read::document::Skipped;
use crate::story::boilerplate::BoilerplateReason;
use crate::story::passage::{ByteCounts, PassageStatus};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The page's stylesheet.
const STYLE: &str = include_str!("html/report.css");
/// The page's script: it draws every view from the data block.
const SCRIPT: &str = include_str!("html/report.js");

/// The data block the script reads: the report with texts, and offsets the browser can use.
#[derive(Serialize)]
struct PageData<'a> {
    version: &'static str,
    params: &'a ReportParams,
    docs: Vec<PageDocument<'a>>,
    clusters: Vec<PageCluster>,
    outlets: &'a [OutletEntry],
    reuse: &'a [ReuseEntry],
    skipped: &'a [Skipped],
}

/// One article. Offsets are in UTF-16 code units, as JavaScript strings count; the passage's
/// byte span is kept for citing against the JSON report.
#[derive(Serialize)]
struct PageDocument<'a> {
    id: &'a str,
    outlet: Option<&'a str>,
    date: Option<&'a str>,
    cluster: usize,
    /// Index of the document it is a near-duplicate of.
    copy_of: Option<usize>,
    #[serde(serialize_with = "super::stories::round4_opt")]
    originality: Option<f64>,
    bytes: ByteCounts,
    text: &'a str,
    passages: Vec<PagePassage>,
}

/// One passage: `[start, end]` in UTF-16 units, its byte span, label, reason and partners.
#[derive(Serialize)]
struct PagePassage {
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    status: PassageStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<BoilerplateReason>,
    /// `[document index, start, end, similarity]`, offsets in UTF-16 units of that document.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    partners: Vec<(usize, usize, usize, f64)>,
}

/// One story, its members as document indices.
#[derive(Serialize)]
struct PageCluster {
    id: usize,
    docs: Vec<usize>,
    outlets: usize,
    first: Option<usize>,
}

/// Byte offsets into one text, answered in UTF-16 units. Requests are gathered first, then
/// answered in one pass over the text, so the cost is linear whatever the number of partners.
#[derive(Default)]
struct Utf16Offsets {
    requests: Vec<usize>,
    answers: Vec<usize>,
}

impl Utf16Offsets {
    fn request(&mut self, byte: usize) {
        self.requests.push(byte);
    }

    fn resolve(&mut self, text: &str) {
        self.requests.sort_unstable();
        self.requests.dedup();
        if text.is_ascii() {
            self.answers = self.requests.iter().map(|&b| b.min(text.len())).collect();
            return;
        }
        self.answers = Vec::with_capacity(self.requests.len());
        let mut units = 0;
        let mut chars = text.char_indices().peekable();
        for &byte in &self.requests {
            // An offset inside a character (never produced, but not trusted) maps to its start.
            while let Some(&(at, c)) = chars.peek() {
                if at + c.len_utf8() > byte {
                    break;
                }
                units += c.len_utf16();
                chars.next();
            }
            self.answers.push(units);
        }
    }

    fn get(&self, byte: usize) -> usize {
        match self.requests.binary_search(&byte) {
            Ok(i) => self.answers[i],
            // Every offset asked for was requested first; fall back to the nearest below.
            Err(0) => 0,
            Err(i) => self.answers[i - 1],
        }
    }
}

impl PassageReport<'_> {
    /// A self-contained HTML page of the report (inline style and script, no network access).
    /// `texts` are the documents' texts, in report order.
    pub fn write_html(&self, w: &mut impl Write, texts: &[&str]) -> io::Result<()> {
        let data = self.page_data(texts);
        let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
        let stories_with_more = self
            .clusters
            .iter()
            .filter(|c| c.documents.len() > 1)
            .count();
        writeln!(w, "<!DOCTYPE html>")?;
        writeln!(w, "<html lang=\"en\">")?;
        writeln!(w, "<head>")?;
        writeln!(w, "<meta charset=\"utf-8\">")?;
        writeln!(
            w,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; img-src data:; \
             base-uri 'none'; form-action 'none'\">"
        )?;
        writeln!(
            w,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        )?;
        writeln!(
            w,
            "<meta name=\"generator\" content=\"reprint {}\">",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(
            w,
            "<title>reprint report: {} documents, {} stories with more than one article</title>",
            self.documents.len(),
            stories_with_more
        )?;
        writeln!(w, "<style>\n{STYLE}</style>")?;
        writeln!(w, "</head>")?;
        writeln!(w, "<body>")?;
        writeln!(
            w,
            "<header id=\"top\"><a class=\"brand\" href=\"#\">reprint report</a>\
             <nav id=\"nav\"></nav><p id=\"summary\"></p></header>"
        )?;
        writeln!(
            w,
            "<main id=\"app\"><noscript><p>This report is drawn by its own inline script, \
             which makes no network request. Allow JavaScript for this file to read it, or \
             run <code>reprint report --format text</code> or <code>--format json</code> \
             for the same report without a browser.</p></noscript></main>"
        )?;
        writeln!(w, "<aside id=\"panel\" hidden></aside>")?;
        write!(w, "<script type=\"application/json\" id=\"reprint-data\">")?;
        let mut escaped = ScriptSafe(&mut *w);
        serde_json::to_writer(&mut escaped, &data).map_err(io::Error::other)?;
        writeln!(w, "</script>")?;
        writeln!(w, "<script>{SCRIPT}</script>")?;
        writeln!(w, "</body>")?;
        writeln!(w, "</html>")
    }

    fn page_data<'a>(&'a self, texts: &'a [&'a str]) -> PageData<'a> {
        let index = self.index_by_id();
        let mut offsets: Vec<Utf16Offsets> = (0..self.documents.len())
            .map(|_| Utf16Offsets::default())
            .collect();
        for (i, d) in self.documents.iter().enumerate() {
            for p in &d.passages {
                offsets[i].request(p.start);
                offsets[i].request(p.end);
                for s in &p.shared_with {
                    if let Some(&j) = index.get(s.id) {
                        offsets[j].request(s.start);
                        offsets[j].request(s.end);
                    }
                }
            }
        }
        for (i, o) in offsets.iter_mut().enumerate() {
            o.resolve(texts.get(i).copied().unwrap_or(""));
        }
        let docs = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| PageDocument {
                id: d.id,
                outlet: d.outlet,
                date: d.date,
                cluster: d.cluster,
                copy_of: d.near_duplicate_of.and_then(|id| index.get(id).copied()),
                originality: d.originality,
                bytes: d.bytes,
                text: texts.get(i).copied().unwrap_or(""),
                passages: d
                    .passages
                    .iter()
                    .map(|p| PagePassage {
                        start: offsets[i].get(p.start),
                        end: offsets[i].get(p.end),
                        byte_start: p.start,
                        byte_end: p.end,
                        status: p.status,
                        reason: p.reason,
                        partners: p
                            .shared_with
                            .iter()
                            .filter_map(|s| {
                                let j = *index.get(s.id)?;
                                Some((
                                    j,
                                    offsets[j].get(s.start),
                                    offsets[j].get(s.end),
                                    (s.similarity * 1e4).round() / 1e4,
                                ))
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        let clusters = self
            .clusters
            .iter()
            .map(|c| PageCluster {
                id: c.id,
                docs: c
                    .documents
                    .iter()
                    .filter_map(|id| index.get(id.as_str()).copied())
                    .collect(),
                outlets: c.outlets.len(),
                first: c.first.as_deref().and_then(|id| index.get(id).copied()),
            })
            .collect();
        PageData {
            version: env!("CARGO_PKG_VERSION"),
            params: &self.params,
            docs,
            clusters,
            outlets: &self.outlets,
            reuse: &self.reuse,
            skipped: &self.skipped,
        }
    }
}

/// Writes JSON so that it can sit inside a `<script>` element: `<`, `>` and `&` (which JSON only
/// has inside strings) become `\u003c`, `\u003e` and `\u0026`, so nothing in the data can end
/// the element or open a comment.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|b| matches!(b, b'<' | b'>' | b'&')) {
            self.0.write_all(&rest[..at])?;
            let escape: &[u8] = match rest[at] {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                _ => b"\\u0026",
            };
            self.0.write_all(escape)?;
            rest = &rest[at + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_cannot_close_its_element() {
        let mut out = Vec::new();
        let text = "a </script><script>alert(1)</script> & <!-- b";
        serde_json::to_writer(ScriptSafe(&mut out), &text).unwrap();
        let written = String::from_utf8(out).unwrap();
        assert!(!written.contains('<') && !written.contains('>') && !written.contains('&'));
        let back: String = serde_json::from_str(&written).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn utf16_offsets_count_as_javascript_does() {
        // "é" is 2 bytes and 1 unit, "😀" 4 bytes and 2 units.
        let text = "é😀ab";
        let mut o = Utf16Offsets::default();
        for b in [0, 2, 6, 7, 8] {
            o.request(b);
        }
        o.resolve(text);
        assert_eq!(
            [0, 2, 6, 7, 8].map(|b| o.get(b)),
            [0, 1, 3, 4, 5],
            "byte offsets map to UTF-16 units"
        );
        let mut ascii = Utf16Offsets::default();
        ascii.request(3);
        ascii.resolve("abcdef");
        assert_eq!(ascii.get(3), 3);
    }
}
