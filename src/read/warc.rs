//! Reading web archives: WARC and WET files (Common Crawl), plain or gzipped, record by record.
//!
//! A WET file holds one `conversion` record per crawled page: the page's text, as extracted by
//! the crawler. Each becomes one document, with the record's `WARC-Target-URI` as its id, that
//! URI's host as its outlet and `WARC-Date` as its date. A WARC file's `response` records are
//! pages as fetched: one that is an HTTP 2xx answer with a UTF-8 (or unlabelled) HTML page,
//! sent plain, chunked or gzip/deflate-compressed, becomes a document the same way, its text
//! the page's article text (see [`crate::read::html`]); any other response is reported as skipped
//! with the reason (a 404, an image, another charset). `warcinfo`, `request`, `metadata`,
//! `revisit` and `continuation` records are not articles and are passed over; a record of no
//! or another type is reported. Common Crawl compresses each record as its own gzip member;
//! the reader decodes every member (`MultiGzDecoder`).
//!
//! The format is read as the WARC 1.0/1.1 standard lays it out: a version line, header lines up
//! to an empty line, exactly `Content-Length` bytes of block, then two line ends. A record that
//! breaks that layout ends the file with one skip naming the line, since nothing after it can be
//! found reliably.

use crate::read::document::{Origin, Skipped};
use crate::read::record::RawRecord;
use memchr::memmem;
use std::io::{self, BufRead, Read};
use std::sync::Arc;

/// Longest header line read.
const MAX_LINE: usize = 64 << 10;

/// Records of one WARC or WET input, in order.
pub struct WarcSource {
    file: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    /// Lines read so far, so that a record or a problem can be named by its line.
    line_no: u64,
    /// Largest record block (and decompressed page) read; a larger one is read past and skipped.
    max_record: usize,
}

/// The headers of one record that reading needs.
#[derive(Debug, Default)]
struct Headers {
    kind: Option<String>,
    target: Option<String>,
    date: Option<String>,
    record_id: Option<String>,
    length: Option<String>,
    content_type: Option<String>,
}

impl WarcSource {
    /// Records from `reader` (already decompressed), for the input named `file`.
    pub fn new(file: Arc<str>, reader: Box<dyn BufRead + Send>) -> Self {
        WarcSource {
            file,
            reader,
            line_no: 0,
            max_record: crate::read::record::DEFAULT_MAX_RECORD_BYTES,
        }
    }

    /// Read record blocks, and pages once decompressed, of at most `bytes` bytes; a larger
    /// record is read past, not held, and skipped with its reason.
    pub fn with_max_record_bytes(mut self, bytes: usize) -> Self {
        self.max_record = bytes.max(1);
        self
    }

    /// Read `length` bytes and drop them, counting lines; returns the bytes there were.
    fn read_past(&mut self, length: u64) -> io::Result<u64> {
        let mut left = length;
        while left > 0 {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let n = available
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            self.line_no += memchr::memchr_iter(b'\n', &available[..n]).count() as u64;
            self.reader.consume(n);
            left -= n as u64;
        }
        Ok(length - left)
    }

    /// The next document or skip; `None` at the end of the input.
    pub fn next_record(&mut self) -> Option<RawRecord> {
        match self.read_record() {
            Ok(record) => record,
            Err(skipped) => {
                // Nothing after a broken record can be found reliably: end this input.
                self.reader = Box::new(io::empty());
                Some(RawRecord::Unreadable(skipped))
            }
        }
    }

    fn origin(&self, line: u64) -> Origin {
        Origin {
            file: Arc::clone(&self.file),
            line: Some(line),
        }
    }

    fn broken(&self, line: u64, reason: impl Into<String>) -> Skipped {
        let reason = reason.into();
        Skipped::new(
            self.origin(line),
            None,
            format!("{reason}; nothing after this was read"),
        )
    }

    /// One line, without its line end; `None` at the end of the input.
    fn line(&mut self) -> Result<Option<Vec<u8>>, Skipped> {
        let mut buf = Vec::new();
        loop {
            // A header line is short; a file without line ends is not read whole to find out.
            match (&mut self.reader)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut buf)
            {
                Ok(0) => return Ok(None),
                Ok(_) if buf.len() >= MAX_LINE && buf.last() != Some(&b'\n') => {
                    return Err(self.broken(
                        self.line_no + 1,
                        format!("a line longer than {MAX_LINE} bytes where WARC headers belong"),
                    ));
                }
                Ok(_) => {
                    self.line_no += 1;
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    return Ok(Some(buf));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.broken(self.line_no + 1, read_error(&e))),
            }
        }
    }

    /// Read records until one is a document or a reported skip.
    fn read_record(&mut self) -> Result<Option<RawRecord>, Skipped> {
        loop {
            // Records are separated by blank lines.
            let first = loop {
                match self.line()? {
                    None => return Ok(None),
                    Some(l) if l.iter().all(u8::is_ascii_whitespace) => continue,
                    Some(l) => break l,
                }
            };
            let start = self.line_no;
            if !first.starts_with(b"WARC/") {
                let shown: String = String::from_utf8_lossy(&first).chars().take(40).collect();
                return Err(self.broken(
                    start,
                    format!("expected a WARC record (a `WARC/1.0` line), found `{shown}`"),
                ));
            }
            let headers = self.headers(start)?;
            let length = headers
                .length
                .as_deref()
                .ok_or_else(|| self.broken(start, "record has no Content-Length header"))?;
            let length: u64 = length.trim().parse().map_err(|_| {
                self.broken(start, format!("Content-Length `{length}` is not a number"))
            })?;
            let too_large = length > self.max_record as u64;
            let mut block = Vec::new();
            let read = if too_large {
                self.read_past(length)
            } else {
                (&mut self.reader)
                    .take(length)
                    .read_to_end(&mut block)
                    .map(|n| n as u64)
            }
            .map_err(|e| self.broken(start, read_error(&e)))?;
            if read < length {
                return Err(self.broken(
                    start,
                    format!(
                        "input ends early: the record announces {length} bytes, {read} are there \
                         (truncated or corrupt file)"
                    ),
                ));
            }
            self.line_no += memchr::memchr_iter(b'\n', &block).count() as u64;
            // The block ends where Content-Length says only if a blank line follows it.
            if let Some(after) = self.line()? {
                if !after.iter().all(u8::is_ascii_whitespace) {
                    return Err(self.broken(
                        start,
                        format!(
                            "the record's block does not end after its Content-Length \
                             ({length} bytes)"
                        ),
                    ));
                }
            }
            let origin = self.origin(start);
            if too_large {
                let id = headers.target.or(headers.record_id);
                let reason = crate::read::record::too_large(Some(length), self.max_record);
                return Ok(Some(RawRecord::Unreadable(Skipped::new(
                    origin, id, reason,
                ))));
            }
            let id = headers
                .target
                .filter(|t| !t.is_empty())
                .or(headers.record_id.filter(|r| !r.is_empty()));
            match headers
                .kind
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("conversion") => {
                    let Some(id) = id else {
                        return Ok(Some(RawRecord::Unreadable(Skipped::new(
                            origin,
                            None,
                            "conversion record without WARC-Target-URI or WARC-Record-ID",
                        ))));
                    };
                    return Ok(Some(RawRecord::Fields {
                        origin,
                        outlet: host_of(&id),
                        id,
                        date: headers.date,
                        title: None,
                        bytes: block,
                        html: false,
                    }));
                }
                Some("response")
                    if headers.content_type.as_deref().is_some_and(|t| {
                        t.to_ascii_lowercase().starts_with("application/http")
                    }) =>
                {
                    let Some(id) = id else {
                        return Ok(Some(RawRecord::Unreadable(Skipped::new(
                            origin,
                            None,
                            "response record without WARC-Target-URI or WARC-Record-ID",
                        ))));
                    };
                    return Ok(Some(match html_page(&block, self.max_record as u64) {
                        Ok(page) => RawRecord::Fields {
                            origin,
                            outlet: host_of(&id),
                            id,
                            date: headers.date,
                            title: None,
                            bytes: page,
                            html: true,
                        },
                        Err(reason) => {
                            RawRecord::Unreadable(Skipped::new(origin, Some(id), reason))
                        }
                    }));
                }
                Some(kind @ ("response" | "resource")) => {
                    return Ok(Some(RawRecord::Unreadable(Skipped::new(
                        origin,
                        id,
                        format!(
                            "WARC {kind} record that is not an HTTP response: only HTTP \
                             responses and conversion records (the text of WET files) are read"
                        ),
                    ))));
                }
                // Not articles, and not mistaken for them.
                Some("warcinfo" | "request" | "metadata" | "revisit" | "continuation") => continue,
                other => {
                    let reason = match other {
                        Some(kind) => format!("WARC record of unknown type `{kind}`"),
                        None => "WARC record without a WARC-Type".to_string(),
                    };
                    return Ok(Some(RawRecord::Unreadable(Skipped::new(
                        origin, id, reason,
                    ))));
                }
            }
        }
    }

    /// Header lines up to the empty line that ends them.
    fn headers(&mut self, start: u64) -> Result<Headers, Skipped> {
        let mut headers = Headers::default();
        loop {
            let Some(line) = self.line()? else {
                return Err(self.broken(start, "input ends inside a record's headers"));
            };
            if line.is_empty() {
                return Ok(headers);
            }
            let line = String::from_utf8_lossy(&line);
            let Some((name, value)) = line.split_once(':') else {
                // Folded continuation lines carry nothing reading needs; anything else means
                // the headers are not what they seem (a missing blank line, a wrong length).
                if line.starts_with([' ', '\t']) {
                    continue;
                }
                return Err(self.broken(
                    self.line_no,
                    format!(
                        "header line without a colon: `{}`",
                        line.chars().take(40).collect::<String>()
                    ),
                ));
            };
            let value = Some(value.trim().to_string());
            match name.trim().to_ascii_lowercase().as_str() {
                "warc-type" => headers.kind = value,
                "warc-target-uri" => headers.target = value.map(|v| unbracket(&v)),
                "warc-date" => headers.date = value,
                "warc-record-id" => headers.record_id = value,
                "content-length" => headers.length = value,
                "content-type" => headers.content_type = value,
                _ => {}
            }
        }
    }
}

/// The HTML page an HTTP response carries, or why it is not read: a page answers 2xx, says it
/// is HTML in a known charset (decoded to UTF-8 here), and is sent plain, chunked, or gzip/deflate
/// compressed. Common Crawl stores payloads decoded and renames the headers that said
/// otherwise (`X-Crawler-Content-Encoding`), which therefore do not count here.
/// A compressed page is read to at most `max_page` bytes: a page is never that big, a
/// decompression bomb is.
fn html_page(block: &[u8], max_page: u64) -> Result<Vec<u8>, String> {
    let split = memmem::find(block, b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| memmem::find(block, b"\n\n").map(|p| (p, 2)))
        .ok_or("HTTP response without the blank line that ends its headers")?;
    let head = String::from_utf8_lossy(&block[..split.0]);
    let body = &block[split.0 + split.1..];
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("");
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            format!(
                "not an HTTP status line: `{}`",
                status.chars().take(40).collect::<String>()
            )
        })?;
    if !(200..300).contains(&code) {
        return Err(format!("HTTP {code} response, not a page"));
    }
    let header = |name: &str| {
        lines
            .clone()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let content_type = header("content-type").unwrap_or_default();
    if !(content_type.starts_with("text/html") || content_type.starts_with("application/xhtml")) {
        return Err(format!("not an HTML page (Content-Type `{content_type}`)"));
    }
    let charset = content_type.split_once("charset=").map(|(_, c)| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
            .to_string()
    });
    let body = match header("transfer-encoding").as_deref() {
        None | Some("identity") => body.to_vec(),
        Some("chunked") => unchunk(body)?,
        Some(other) => return Err(format!("Transfer-Encoding `{other}` is not read")),
    };
    let limited = |reader: &mut dyn Read| -> Result<Vec<u8>, String> {
        let mut page = Vec::new();
        reader
            .take(max_page + 1)
            .read_to_end(&mut page)
            .map_err(|e| format!("compressed page does not decompress: {e}"))?;
        if page.len() as u64 > max_page {
            return Err(format!(
                "page once decompressed: {}",
                crate::read::record::too_large(None, max_page as usize)
            ));
        }
        Ok(page)
    };
    let page = match header("content-encoding").as_deref() {
        None | Some("identity") => body,
        Some("gzip" | "x-gzip") => limited(&mut flate2::read::MultiGzDecoder::new(&body[..]))?,
        Some("deflate") => limited(&mut flate2::read::ZlibDecoder::new(&body[..]))?,
        Some(other) => return Err(format!("Content-Encoding `{other}` is not read")),
    };
    // The server's charset wins over the page's own, as in browsers; UTF-8 bytes go on.
    match charset {
        Some(charset) => Ok(crate::read::html::page_text(page, Some(&charset))?.into_bytes()),
        None => Ok(page),
    }
}

/// The body of a chunked HTTP message.
fn unchunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = memmem::find(body, b"\r\n").ok_or("chunked body cut short")?;
        let size = String::from_utf8_lossy(&body[..end]);
        let size = size.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| {
            format!(
                "bad chunk size `{}`",
                size.chars().take(20).collect::<String>()
            )
        })?;
        body = &body[end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("chunked body cut short")?;
        out.extend_from_slice(chunk);
        body = body.get(size..).unwrap_or_default();
        body = body.strip_prefix(b"\r\n").unwrap_or(body);
    }
}

fn read_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "input ends early (truncated or corrupt compressed file)".to_string()
    } else {
        format!("read error: {e}")
    }
}

/// WARC 1.0 wrote some URIs in angle brackets.
fn unbracket(uri: &str) -> String {
    uri.strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(uri)
        .to_string()
}

/// The host of a URI (`https://user@News.Example.com:443/a` gives `news.example.com`), or
/// `None` when it has none.
pub fn host_of(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = match host.strip_prefix('[') {
        // An IPv6 literal keeps its colons.
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, body: &str) -> String {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n\
             WARC-Date: 2026-11-20T08:00:00Z\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    }

    fn read_all(text: &str) -> Vec<RawRecord> {
        let mut source = WarcSource::new(
            Arc::from("crawl.warc.wet"),
            Box::new(io::Cursor::new(text.as_bytes().to_vec())),
        );
        std::iter::from_fn(|| source.next_record()).collect()
    }

    #[test]
    fn conversion_records_become_documents_with_uri_host_and_date() {
        let wet = format!(
            "{}{}{}",
            record("warcinfo", "", "software: test\r\n"),
            record(
                "conversion",
                "https://www.Example.com:8443/a?b",
                "Line one.\nLine two é.\n"
            ),
            record("conversion", "http://news.test/x", "Other text."),
        );
        let records = read_all(&wet);
        assert_eq!(records.len(), 2);
        let RawRecord::Fields {
            origin,
            id,
            outlet,
            date,
            bytes,
            html: false,
            ..
        } = &records[0]
        else {
            panic!("expected a document, got {:?}", records[0]);
        };
        assert_eq!(id, "https://www.Example.com:8443/a?b");
        assert_eq!(outlet.as_deref(), Some("www.example.com"));
        assert_eq!(date.as_deref(), Some("2026-11-20T08:00:00Z"));
        assert_eq!(bytes, "Line one.\nLine two é.\n".as_bytes());
        // The warcinfo record and the blank lines after it take lines 1-10.
        assert_eq!(origin.to_string(), "crawl.warc.wet:11");
        assert!(matches!(&records[1], RawRecord::Fields { id, .. } if id == "http://news.test/x"));
    }

    #[test]
    fn a_record_over_the_limit_is_read_past_and_reading_goes_on() {
        let big = "word ".repeat(400);
        let wet = format!(
            "{}{}{}",
            record("conversion", "http://a.test/1", "Short text."),
            record("conversion", "http://a.test/big", &big),
            record("conversion", "http://a.test/2", "Another short text."),
        );
        let unlimited = read_all(&wet);
        let mut source = WarcSource::new(
            Arc::from("crawl.warc.wet"),
            Box::new(io::Cursor::new(wet.into_bytes())),
        )
        .with_max_record_bytes(1000);
        let records: Vec<RawRecord> = std::iter::from_fn(|| source.next_record()).collect();
        assert_eq!(records.len(), 3, "{records:?}");
        let RawRecord::Unreadable(skipped) = &records[1] else {
            panic!("the large record is skipped: {:?}", records[1]);
        };
        assert_eq!(skipped.id.as_deref(), Some("http://a.test/big"));
        assert!(
            skipped.reason.contains("over the limit of 1000 bytes"),
            "{}",
            skipped.reason
        );
        // Lines are still counted through the record read past.
        let RawRecord::Fields { origin, id, .. } = &records[2] else {
            panic!("{:?}", records[2]);
        };
        assert_eq!(id, "http://a.test/2");
        assert_eq!(origin.to_string(), "crawl.warc.wet:19");
        assert!(
            matches!(&unlimited[2], RawRecord::Fields { origin: o, .. } if o == origin),
            "the same line as when the record is read"
        );
    }

    /// A WARC response record carrying `http` (status line, headers, blank line, body).
    fn response(uri: &str, http: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\n\
             Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
            http.len()
        )
        .into_bytes();
        r.extend_from_slice(http);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn read_bytes(bytes: Vec<u8>) -> Vec<RawRecord> {
        let mut source = WarcSource::new(Arc::from("crawl.warc"), Box::new(io::Cursor::new(bytes)));
        std::iter::from_fn(|| source.next_record()).collect()
    }

    #[test]
    fn http_responses_with_html_pages_are_documents() {
        let page = b"<html><body><article><p>Storm hits the coast.</p></article></body></html>";
        let plain = [
            &b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"[..],
            page,
        ]
        .concat();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, page).unwrap();
        let gzipped = [
            &b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"[..],
            &gz.finish().unwrap(),
        ]
        .concat();
        let (a, b) = page.split_at(20);
        let chunked = [
            &b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            format!("{:x}\r\n", a.len()).as_bytes(),
            a,
            b"\r\n",
            format!("{:x};ext=1\r\n", b.len()).as_bytes(),
            b,
            b"\r\n0\r\n\r\n",
        ]
        .concat();
        let missing = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\nGone".to_vec();
        let image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG".to_vec();
        let latin =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\ncaf\xe9"
                .to_vec();
        let klingon =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=klingon\r\n\r\nx".to_vec();
        let archive: Vec<u8> = [
            response("http://a/", &plain),
            response("http://b/", &gzipped),
            response("http://c/", &chunked),
            response("http://d/", &missing),
            response("http://e/", &image),
            response("http://f/", &latin),
            response("http://g/", &klingon),
        ]
        .concat();
        let records = read_bytes(archive);
        assert_eq!(records.len(), 7);
        // Another charset is decoded to UTF-8.
        assert!(
            matches!(&records[5], RawRecord::Fields { bytes, .. } if bytes == "café".as_bytes())
        );
        for record in &records[..3] {
            let RawRecord::Fields { bytes, html, .. } = record else {
                panic!("expected a page, got {record:?}");
            };
            assert!(*html);
            assert_eq!(bytes, page);
        }
        let reasons: Vec<&str> = [&records[3], &records[4], &records[6]]
            .into_iter()
            .map(|r| match r {
                RawRecord::Unreadable(s) => s.reason.as_str(),
                other => panic!("expected a skip, got {other:?}"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "HTTP 404 response, not a page",
                "not an HTML page (Content-Type `image/png`)",
                "unknown charset `klingon`"
            ]
        );
    }

    #[test]
    fn html_records_are_reported_and_requests_passed_over() {
        let warc = format!(
            "{}{}",
            record("request", "https://a.test/", "GET / HTTP/1.1\r\n"),
            record(
                "response",
                "https://a.test/",
                "HTTP/1.1 200 OK\r\n\r\n<p>x</p>"
            ),
        );
        let records = read_all(&warc);
        assert_eq!(records.len(), 1);
        let RawRecord::Unreadable(s) = &records[0] else {
            panic!("expected a skip");
        };
        assert_eq!(s.id.as_deref(), Some("https://a.test/"));
        assert!(s.reason.contains("response record"), "{}", s.reason);
    }

    #[test]
    fn broken_records_end_the_input_with_the_line_named() {
        // A body shorter than announced.
        let truncated = record("conversion", "https://a.test/", "Some text.");
        let truncated = &truncated[..truncated.len() - 8];
        let records = read_all(truncated);
        let [RawRecord::Unreadable(s)] = records.as_slice() else {
            panic!("expected one skip, got {records:?}");
        };
        assert_eq!(s.source, "crawl.warc.wet:1");
        assert!(s.reason.contains("ends early"), "{}", s.reason);

        // Not a WARC file at all, after one good record.
        let text = format!(
            "{}not a record\n",
            record("conversion", "https://a.test/", "Text.")
        );
        let records = read_all(&text);
        assert_eq!(records.len(), 2);
        let RawRecord::Unreadable(s) = &records[1] else {
            panic!("expected a skip");
        };
        assert!(s.reason.contains("expected a WARC record"), "{}", s.reason);

        let no_length = "WARC/1.0\r\nWARC-Type: conversion\r\n\r\nText\r\n\r\n";
        let records = read_all(no_length);
        let [RawRecord::Unreadable(s)] = records.as_slice() else {
            panic!("expected one skip");
        };
        assert!(s.reason.contains("Content-Length"), "{}", s.reason);
    }

    #[test]
    fn records_that_break_the_layout_or_name_no_type_are_reported() {
        // Content-Length shorter than the block: what follows is not a blank line.
        let short = "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://s/\r\n\
                     Content-Length: 3\r\n\r\nhello world\r\n\r\n";
        let [RawRecord::Unreadable(s)] = &read_all(short)[..] else {
            panic!("expected one skip");
        };
        assert!(
            s.reason.contains("does not end after its Content-Length"),
            "{}",
            s.reason
        );
        // No blank line after the headers.
        let unended = "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 5\r\nhello\r\n";
        let [RawRecord::Unreadable(s)] = &read_all(unended)[..] else {
            panic!("expected one skip");
        };
        assert!(
            s.reason.contains("header line without a colon"),
            "{}",
            s.reason
        );
        // A missing or unknown type is reported, not passed over.
        let odd = format!(
            "{}{}",
            record("convresion", "http://typo/", "Text."),
            record("conversion", "http://ok/", "Text.").replace("WARC-Type: conversion\r\n", "")
        );
        let reasons: Vec<String> = read_all(&odd)
            .into_iter()
            .map(|r| match r {
                RawRecord::Unreadable(s) => s.reason,
                other => panic!("expected skips, got {other:?}"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "WARC record of unknown type `convresion`",
                "WARC record without a WARC-Type"
            ]
        );
        // An empty target URI falls back to the record id.
        let empty = record("conversion", "", "Text.").replace(
            "Content-Type",
            "WARC-Record-ID: <urn:uuid:7>\r\nContent-Type",
        );
        assert!(
            matches!(&read_all(&empty)[..], [RawRecord::Fields { id, .. }] if id == "<urn:uuid:7>")
        );
        // A file without line ends is not read whole.
        let endless = "x".repeat(MAX_LINE * 3);
        let [RawRecord::Unreadable(s)] = &read_all(&endless)[..] else {
            panic!("expected one skip");
        };
        assert!(s.reason.contains("longer than"), "{}", s.reason);
    }

    #[test]
    fn hosts_of_uris() {
        assert_eq!(
            host_of("https://u:p@Host.test:80/x").as_deref(),
            Some("host.test")
        );
        assert_eq!(host_of("http://[::1]:8080/").as_deref(), Some("::1"));
        assert_eq!(host_of("urn:uuid:1234"), None);
        assert_eq!(host_of("file:///tmp/x"), None);
    }
}
