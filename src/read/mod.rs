//! Reading documents: directories of text files and HTML pages (see [`crate::read::html`]), JSONL
//! (plain, `.gz`, `.zst`), web archives (WARC/WET, see [`crate::read::warc`]), Parquet tables (see
//! [`crate::read::parquet`]) and standard input.
//!
//! Reading is split in two so that the expensive half runs in parallel: [`InputReader`] walks the
//! inputs in order on one thread and yields cheap [`RawRecord`]s (a JSONL line, a file's bytes);
//! [`RawRecord::into_document`] parses and validates one record and may run on any thread. Every
//! record ends as a [`Document`](document::Document) or a [`Skipped`] with a reason: nothing is dropped silently.
//! JSONL lines are parsed by picking only the configured fields; every other field is skipped
//! without being built, which keeps parsing cheap for wide records.

pub mod document;
pub mod html;
pub mod notes;
pub mod parquet;
pub mod record;
pub mod warc;

use record::too_large;
pub use record::{FieldNames, RawRecord, DEFAULT_MAX_RECORD_BYTES};

use crate::read::document::{Origin, Skipped};
use crate::read::parquet::ParquetSource;
use crate::read::warc::WarcSource;
use ahash::AHashMap;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Buffer size for reading files: large reads keep system calls off the profile.
const READ_BUFFER: usize = 1 << 20;

/// How an input path is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Stdin,
    Directory,
    Jsonl(Compression),
    Warc(Compression),
    Parquet,
    TextFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

fn classify(path: &Path) -> InputKind {
    if path.as_os_str() == "-" {
        return InputKind::Stdin;
    }
    if path.is_dir() {
        return InputKind::Directory;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (stem, compression) = if let Some(stem) = name.strip_suffix(".gz") {
        (stem, Compression::Gzip)
    } else if let Some(stem) = name.strip_suffix(".zst") {
        (stem, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    if compression == Compression::None && (stem.ends_with(".parquet") || stem.ends_with(".pq")) {
        return InputKind::Parquet;
    }
    if stem.ends_with(".warc") || stem.ends_with(".wet") {
        return InputKind::Warc(compression);
    }
    let jsonl = [".jsonl", ".ndjson", ".json"]
        .iter()
        .any(|ext| stem.ends_with(ext));
    if jsonl || compression != Compression::None {
        InputKind::Jsonl(compression)
    } else {
        InputKind::TextFile
    }
}

/// Reads every input in order and yields its records; inputs are opened lazily, one at a time.
///
/// A directory yields its regular files recursively, sorted by path, skipping hidden entries and
/// not following symbolic links to directories (so a link loop cannot trap it). Each file is one
/// document whose id is its path below the directory without the extension. A JSONL file yields
/// one record per non-blank line. A missing or unreadable path yields one
/// [`RawRecord::Unreadable`] and reading goes on with the next input.
pub struct InputReader {
    inputs: VecDeque<PathBuf>,
    current: Option<Source>,
    /// Parquet columns are picked as the file is opened, by these names.
    fields: FieldNames,
    /// Largest record read; a longer one is skipped with its reason and reading goes on.
    max_record_bytes: usize,
}

enum Source {
    Lines(LineSource),
    Warc(WarcSource),
    Parquet(Box<ParquetSource>),
    /// A directory's entries in path order; files are read only when their turn comes.
    Directory(VecDeque<DirEntry>),
    Pending(VecDeque<RawRecord>),
}

/// One entry of a directory listing: a file to read, or something that cannot be a document.
enum DirEntry {
    File { path: PathBuf, id: String },
    Problem(Skipped),
}

struct LineSource {
    file: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    line_no: u64,
    max_bytes: usize,
}

impl InputReader {
    /// A reader over `inputs` (paths, or `-` for standard input), read in the order given;
    /// `fields` names the columns of Parquet inputs.
    pub fn new<P: AsRef<Path>>(inputs: &[P], fields: &FieldNames) -> Self {
        InputReader {
            inputs: inputs.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            current: None,
            fields: fields.clone(),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }

    /// Read records of at most `bytes` bytes (as read, after decompression; the default is
    /// [`DEFAULT_MAX_RECORD_BYTES`]): a longer line, file or WARC record is skipped, with a
    /// reason, without being held in memory, and reading goes on after it.
    pub fn with_max_record_bytes(mut self, bytes: usize) -> Self {
        self.max_record_bytes = bytes.max(1);
        self
    }

    fn open(path: &Path, fields: &FieldNames, max_bytes: usize) -> Source {
        let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let unreadable = |reason: String| {
            Source::Pending(VecDeque::from([RawRecord::Unreadable(Skipped::new(
                &*name, None, reason,
            ))]))
        };
        match classify(path) {
            InputKind::Stdin => Source::Lines(LineSource {
                file: name,
                reader: Box::new(BufReader::with_capacity(READ_BUFFER, io::stdin())),
                line_no: 0,
                max_bytes,
            }),
            InputKind::Directory => match list_directory(path) {
                Ok(entries) => Source::Directory(entries),
                Err(e) => unreadable(describe_io(&e)),
            },
            InputKind::Jsonl(compression) => match open_decoded(path, compression) {
                Err(reason) => unreadable(reason),
                Ok(reader) => Source::Lines(LineSource {
                    file: name,
                    reader,
                    line_no: 0,
                    max_bytes,
                }),
            },
            InputKind::Warc(compression) => match open_decoded(path, compression) {
                Err(reason) => unreadable(reason),
                Ok(reader) => {
                    Source::Warc(WarcSource::new(name, reader).with_max_record_bytes(max_bytes))
                }
            },
            InputKind::Parquet => match File::open(path) {
                Err(e) => unreadable(describe_io(&e)),
                Ok(file) => match ParquetSource::open(Arc::clone(&name), file, fields) {
                    Ok(source) => Source::Parquet(Box::new(source)),
                    Err(reason) => unreadable(reason),
                },
            },
            InputKind::TextFile => {
                let id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| name.to_string());
                Source::Pending(VecDeque::from([read_file(path, id, max_bytes)]))
            }
        }
    }
}

impl Iterator for InputReader {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            let record = match &mut self.current {
                None => {
                    let path = self.inputs.pop_front()?;
                    self.current = Some(Self::open(&path, &self.fields, self.max_record_bytes));
                    continue;
                }
                Some(Source::Pending(records)) => records.pop_front(),
                Some(Source::Directory(entries)) => entries.pop_front().map(|entry| match entry {
                    DirEntry::File { path, id } => read_file(&path, id, self.max_record_bytes),
                    DirEntry::Problem(skipped) => RawRecord::Unreadable(skipped),
                }),
                Some(Source::Lines(lines)) => lines.next_record(),
                Some(Source::Warc(records)) => records.next_record(),
                Some(Source::Parquet(rows)) => rows.next_record(),
            };
            match record {
                // Each source skips what is too long before holding it where it can; a Parquet
                // text is only known once read.
                Some(record) if record.len() > self.max_record_bytes => {
                    let reason = too_large(Some(record.len() as u64), self.max_record_bytes);
                    return Some(RawRecord::Unreadable(match record {
                        RawRecord::JsonLine { origin, .. } => Skipped::new(origin, None, reason),
                        RawRecord::File { origin, id, .. }
                        | RawRecord::Fields { origin, id, .. } => {
                            Skipped::new(origin, Some(id), reason)
                        }
                        RawRecord::Unreadable(skipped) => skipped,
                    }));
                }
                Some(record) => return Some(record),
                None => self.current = None,
            }
        }
    }
}

impl LineSource {
    /// The next non-blank line; after a read error, one `Unreadable` and then the end. A line
    /// over the size limit is read past, not held, and skipped.
    fn next_record(&mut self) -> Option<RawRecord> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match read_line_within(&mut *self.reader, &mut buf, self.max_bytes) {
                Ok(Line::End) => return None,
                Ok(Line::TooLong(bytes)) => {
                    self.line_no += 1;
                    let origin = Origin {
                        file: Arc::clone(&self.file),
                        line: Some(self.line_no),
                    };
                    let reason = too_large(Some(bytes), self.max_bytes);
                    return Some(RawRecord::Unreadable(Skipped::new(origin, None, reason)));
                }
                Ok(Line::Read) => {
                    self.line_no += 1;
                    let origin = Origin {
                        file: Arc::clone(&self.file),
                        line: Some(self.line_no),
                    };
                    // Editors on some systems start files with a byte-order mark.
                    if self.line_no == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                        buf.drain(..3);
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    return Some(match String::from_utf8(buf) {
                        Ok(line) => RawRecord::JsonLine { origin, line },
                        Err(e) => RawRecord::Unreadable(Skipped::new(
                            origin,
                            None,
                            format!(
                                "line is not valid UTF-8 (first bad byte at column {})",
                                e.utf8_error().valid_up_to() + 1
                            ),
                        )),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let origin = Origin {
                        file: Arc::clone(&self.file),
                        line: Some(self.line_no + 1),
                    };
                    // Nothing after a decoding error can be trusted: end this input here.
                    self.reader = Box::new(io::empty());
                    let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
                        "input ends early (truncated or corrupt compressed file); nothing after \
                         this line was read"
                            .to_string()
                    } else {
                        format!("read error, nothing after this line was read: {e}")
                    };
                    return Some(RawRecord::Unreadable(Skipped::new(origin, None, reason)));
                }
            }
        }
    }
}

/// What [`read_line_within`] found.
enum Line {
    /// A line (its line end included, if it had one) is in the buffer.
    Read,
    /// A line of this many bytes, over the limit: read past, the buffer left empty.
    TooLong(u64),
    /// The end of the input.
    End,
}

/// Read one line into `buf`, as `read_until(b'\n')` does, holding at most `max` bytes of it
/// (its line end apart): a longer line is read to its end and dropped, so that a line without
/// end (a decompression bomb) costs time but not memory.
fn read_line_within(reader: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    let (mut total, mut over) = (0u64, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (total, over) {
                (0, _) => Line::End,
                (_, true) => Line::TooLong(total),
                (_, false) => Line::Read,
            });
        }
        let (taken, ends) = match memchr::memchr(b'\n', available) {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        if !over {
            let content = buf.len() + taken - usize::from(ends);
            // A carriage return before the line end is not content either.
            let content = if ends && available[..taken].ends_with(b"\r\n") {
                content - 1
            } else {
                content
            };
            if content > max {
                over = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&available[..taken]);
            }
        }
        total += taken as u64;
        reader.consume(taken);
        if ends {
            return Ok(if over {
                Line::TooLong(total)
            } else {
                Line::Read
            });
        }
    }
}

/// `path` opened and decompressed as its name says; the reason when it cannot be.
fn open_decoded(path: &Path, compression: Compression) -> Result<Box<dyn BufRead + Send>, String> {
    let file = File::open(path).map_err(|e| describe_io(&e))?;
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(READ_BUFFER, file)),
        // Concatenated members, as `cat a.gz b.gz` and per-record WARC compression make.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            READ_BUFFER,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(READ_BUFFER, file)),
        )),
        Compression::Zstd => match zstd::Decoder::new(file) {
            Ok(decoder) => Box::new(BufReader::with_capacity(READ_BUFFER, decoder)),
            Err(e) => return Err(format!("cannot start zstd: {e}")),
        },
    })
}

/// The text of a file named by the caller, which must be UTF-8.
pub fn text_file(path: &Path) -> crate::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| crate::Error::BadInput {
        origin: path.display().to_string(),
        reason: format!(
            "not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// The texts of the documents with ids `a` and `b` in `inputs`, read in one pass that stops
/// once both are found; records that are no document are passed over.
pub fn find_texts<P: AsRef<Path>>(
    inputs: &[P],
    fields: &FieldNames,
    max_record_bytes: usize,
    (a_id, b_id): (&str, &str),
) -> crate::Result<(String, String)> {
    check_named_inputs(inputs)?;
    let (mut a, mut b) = (None, None);
    let reader = InputReader::new(inputs, fields).with_max_record_bytes(max_record_bytes);
    for record in reader {
        if a.is_some() && b.is_some() {
            break;
        }
        // Cheap test before parsing: a line that does not mention the id is not it. Only for
        // ids that no JSON writer escapes (a `/` may be written `\/`, non-ASCII as `\uXXXX`).
        let line_mentions = |id: &str| match &record {
            RawRecord::JsonLine { line, .. }
                if id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
            {
                line.contains(id)
            }
            _ => true,
        };
        let wanted = (a.is_none() && line_mentions(a_id)) || (b.is_none() && line_mentions(b_id));
        if !wanted {
            continue;
        }
        let Ok(doc) = record.into_document(fields, false) else {
            continue;
        };
        if a.is_none() && doc.id == a_id {
            a = Some(doc.text.clone());
        }
        if b.is_none() && doc.id == b_id {
            b = Some(doc.text);
        }
    }
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        (a, _) => {
            let missing = if a.is_none() { a_id } else { b_id };
            let names: Vec<String> = inputs
                .iter()
                .map(|p| p.as_ref().display().to_string())
                .collect();
            Err(crate::Error::BadInput {
                origin: names.join(", "),
                reason: format!("no document with id `{missing}`"),
            })
        }
    }
}

/// Check that every input named by the caller (not `-`) exists and can be read: a file opens,
/// a directory lists. A path given by name that is not there is a mistake to stop on (a typo
/// must not read as "one input skipped"); files found inside a directory that cannot be read
/// are skipped with their reason, as reading goes.
pub fn check_named_inputs<P: AsRef<Path>>(inputs: &[P]) -> crate::Result<()> {
    for input in inputs {
        let path = input.as_ref();
        if path.as_os_str() == "-" {
            continue;
        }
        let readable = std::fs::metadata(path).and_then(|meta| {
            if meta.is_dir() {
                std::fs::read_dir(path).map(drop)
            } else {
                File::open(path).map(drop)
            }
        });
        readable.map_err(|e| crate::Error::io(path, io::Error::new(e.kind(), describe_io(&e))))?;
    }
    Ok(())
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Is `path` named as an HTML page?
fn is_html(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["html", "htm", "xhtml"]
            .iter()
            .any(|h| e.eq_ignore_ascii_case(h))
    })
}

fn read_file(path: &Path, id: String, max_bytes: usize) -> RawRecord {
    let origin = Origin {
        file: Arc::from(path.to_string_lossy().as_ref()),
        line: None,
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > max_bytes as u64 {
        return RawRecord::Unreadable(Skipped::new(
            origin,
            Some(id),
            too_large(Some(size), max_bytes),
        ));
    }
    let mut bytes = Vec::new();
    // The file may have grown since it was measured.
    let read = File::open(path).and_then(|f| f.take(max_bytes as u64 + 1).read_to_end(&mut bytes));
    if bytes.len() > max_bytes {
        return RawRecord::Unreadable(Skipped::new(origin, Some(id), too_large(None, max_bytes)));
    }
    match read {
        Ok(_) => RawRecord::File {
            origin,
            id,
            bytes,
            html: is_html(path),
        },
        Err(e) => RawRecord::Unreadable(Skipped::new(origin, Some(id), describe_io(&e))),
    }
}

/// The files below directory `root` that reading it would read as documents, sorted by path
/// (hidden entries and links to directories left out, as reading a directory leaves them).
pub fn document_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(list_directory(root)?
        .into_iter()
        .filter_map(|entry| match entry {
            DirEntry::File { path, .. } => Some(path),
            DirEntry::Problem(_) => None,
        })
        .collect())
}

/// Every entry below `root` that is or should have been a document, sorted by path: regular
/// files (and links to them), plus what cannot be read as one (an unreadable sub-directory, a
/// broken link, a link to a directory, a device or pipe), so that nothing vanishes unreported.
/// Hidden entries are left out.
fn list_directory(root: &Path) -> io::Result<VecDeque<DirEntry>> {
    let mut found: Vec<(PathBuf, Option<&'static str>)> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut first = true;
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if first => return Err(e),
            Err(_) => {
                found.push((dir, Some("directory cannot be listed")));
                continue;
            }
        };
        first = false;
        for entry in entries {
            let Ok(entry) = entry else {
                found.push((dir.clone(), Some("directory cannot be listed completely")));
                continue;
            };
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let problem = match entry.file_type() {
                Err(_) => Some("cannot read file type"),
                Ok(t) if t.is_dir() => {
                    stack.push(path);
                    continue;
                }
                Ok(t) if t.is_file() => None,
                Ok(t) if t.is_symlink() => match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => None,
                    Ok(m) if m.is_dir() => Some("symbolic link to a directory (not followed)"),
                    Ok(_) => Some("symbolic link to something that is not a regular file"),
                    Err(_) => Some("broken symbolic link"),
                },
                Ok(_) => Some("not a regular file"),
            };
            found.push((path, problem));
        }
    }
    found.sort();
    Ok(found
        .into_iter()
        .map(|(path, problem)| match problem {
            None => {
                let id = id_below(root, &path);
                DirEntry::File { path, id }
            }
            Some(reason) => DirEntry::Problem(Skipped::new(path.display(), None, reason)),
        })
        .collect())
}

/// The id of a file below a directory: its relative path with `/` separators, extension removed.
fn id_below(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let (Some(last), Some(stem)) = (parts.last_mut(), relative.file_stem()) {
        *last = stem.to_string_lossy().into_owned();
    }
    parts.join("/")
}

/// Ids seen so far, to report repeats: a repeated id would make two documents one in every
/// output.
///
/// An archive's ids are most of what reading keeps per document, so each is held as its
/// 128-bit xxh3 hash (two ids colliding among a billion has odds of about 10^-21) with where
/// it was first seen as a file number and a line: 32 bytes a document, where the id itself
/// and its `Origin` took about 90.
#[derive(Debug, Default)]
pub struct IdRegistry {
    seen: AHashMap<u128, FirstSeen>,
    files: Vec<Arc<str>>,
}

/// Where an id was first seen: a file of [`IdRegistry::files`] and a line (`NO_LINE` for a
/// whole-file document).
#[derive(Debug, Clone, Copy)]
struct FirstSeen {
    file: u32,
    line: u64,
}

const NO_LINE: u64 = u64::MAX;

impl IdRegistry {
    /// Record an id seen at `origin`; a repeated id is an error naming where it was first seen.
    pub fn register(&mut self, id: &str, origin: &Origin) -> Result<(), Skipped> {
        let key = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
        if let Some(first) = self.seen.get(&key) {
            let file = self.files.get(first.file as usize).cloned();
            let first = Origin {
                file: file.unwrap_or_else(|| Arc::from("?")),
                line: (first.line != NO_LINE).then_some(first.line),
            };
            return Err(Skipped::new(
                origin,
                Some(id.to_owned()),
                format!("duplicate id (first seen at {first})"),
            ));
        }
        // Records of one file share its name: compare the pointer before the text.
        let same = |f: &Arc<str>| Arc::ptr_eq(f, &origin.file) || **f == *origin.file;
        if !self.files.last().is_some_and(same) {
            self.files.push(Arc::clone(&origin.file));
        }
        let first = FirstSeen {
            file: u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX),
            line: origin.line.unwrap_or(NO_LINE),
        };
        self.seen.insert(key, first);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_or_file_over_the_limit_is_skipped_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.jsonl");
        let long = format!(r#"{{"id":"long","text":"{}"}}"#, "a".repeat(300));
        let short = |id: &str| format!(r#"{{"id":"{id}","text":"Short."}}"#);
        // Exactly at the limit, with a CRLF line end, is still read.
        let at_limit = format!(r#"{{"id":"edge","text":"{}"}}"#, "b".repeat(100 - 23));
        assert_eq!(at_limit.len(), 100);
        std::fs::write(
            &feed,
            format!(
                "{}\n{long}\n{at_limit}\r\n{}\n{long}",
                short("a"),
                short("b")
            ),
        )
        .unwrap();
        let pages = dir.path().join("pages");
        std::fs::create_dir(&pages).unwrap();
        std::fs::write(pages.join("big.txt"), "c".repeat(101)).unwrap();
        std::fs::write(pages.join("small.txt"), "Small.").unwrap();
        let read: Vec<String> = InputReader::new(&[&feed, &pages], &FieldNames::default())
            .with_max_record_bytes(100)
            .map(|record| match record {
                RawRecord::Unreadable(s) => format!("skip {}: {}", s.source, s.reason),
                RawRecord::JsonLine { origin, line } => format!("line {origin}: {}", line.len()),
                RawRecord::File { id, .. } => format!("file {id}"),
                other => format!("{other:?}"),
            })
            .collect();
        let feed = feed.display();
        let big = pages.join("big.txt");
        let big = big.display();
        assert_eq!(
            read,
            [
                format!("line {feed}:1: 26"),
                format!(
                    "skip {feed}:2: record of 324 bytes, over the limit of 100 bytes per record"
                ),
                format!("line {feed}:3: 100"),
                format!("line {feed}:4: 26"),
                format!(
                    "skip {feed}:5: record of 323 bytes, over the limit of 100 bytes per record"
                ),
                format!("skip {big}: record of 101 bytes, over the limit of 100 bytes per record"),
                "file small".to_string(),
            ]
        );
    }

    #[test]
    fn classifies_inputs_by_name() {
        assert_eq!(classify(Path::new("-")), InputKind::Stdin);
        assert_eq!(
            classify(Path::new("a/feed.jsonl.zst")),
            InputKind::Jsonl(Compression::Zstd)
        );
        assert_eq!(
            classify(Path::new("feed.JSONL.gz")),
            InputKind::Jsonl(Compression::Gzip)
        );
        assert_eq!(
            classify(Path::new("feed.jsonl")),
            InputKind::Jsonl(Compression::None)
        );
        assert_eq!(classify(Path::new("story.txt")), InputKind::TextFile);
        assert_eq!(
            classify(Path::new("CC-MAIN-2026-47-00001.warc.wet.gz")),
            InputKind::Warc(Compression::Gzip)
        );
        assert_eq!(
            classify(Path::new("crawl.WARC")),
            InputKind::Warc(Compression::None)
        );
        assert_eq!(classify(Path::new("part-0.parquet")), InputKind::Parquet);
    }

    #[test]
    fn a_repeated_id_names_where_it_was_first_seen() {
        let mut ids = IdRegistry::default();
        let at = |file: &str, line| Origin {
            file: Arc::from(file),
            line,
        };
        assert!(ids.register("a", &at("one.jsonl", Some(3))).is_ok());
        assert!(ids.register("b", &at("dir/b.txt", None)).is_ok());
        assert!(ids.register("c", &at("two.jsonl", Some(1))).is_ok());
        let repeat = ids.register("a", &at("two.jsonl", Some(9))).unwrap_err();
        assert_eq!(repeat.reason, "duplicate id (first seen at one.jsonl:3)");
        assert_eq!(repeat.source, "two.jsonl:9");
        let repeat = ids.register("b", &at("two.jsonl", Some(10))).unwrap_err();
        assert_eq!(repeat.reason, "duplicate id (first seen at dir/b.txt)");
        assert!(ids.register("A", &at("two.jsonl", Some(11))).is_ok());
    }

    #[test]
    fn ids_below_a_directory_drop_the_extension() {
        assert_eq!(
            id_below(Path::new("/r"), Path::new("/r/sub/a.txt")),
            "sub/a"
        );
        assert_eq!(id_below(Path::new("/r"), Path::new("/r/b")), "b");
    }
}
