//! Where the stages that read texts find them: in memory, or in a temporary file.
//!
//! Main choice: a corpus's texts are the largest thing it holds while stories are found (as
//! much again as the input), and the stages after near-duplicate clustering read each text
//! twice, one document at a time. So a caller that does not quote texts can write them to a
//! temporary file once and have each read back, by position, into a buffer the reading
//! thread reuses.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

/// Document texts by index, each copied into a buffer when a stage reads it.
pub trait TextSource: Sync {
    /// Put document `i`'s text in `buf`, replacing what it held.
    fn load(&self, i: usize, buf: &mut String) -> Result<()>;
}

/// Texts held in memory, in document order.
impl TextSource for [&str] {
    fn load(&self, i: usize, buf: &mut String) -> Result<()> {
        buf.clear();
        buf.push_str(self.get(i).copied().unwrap_or(""));
        Ok(())
    }
}

/// Texts written to an anonymous temporary file (removed when dropped), read back by position.
#[derive(Debug)]
pub struct SpilledTexts {
    file: Mutex<File>,
    /// Per document: where its text starts in the file, and its length in bytes.
    spans: Vec<(u64, u32)>,
}

/// What the temporary file is called in errors.
const SPILL_NAME: &str = "temporary file of texts";

impl SpilledTexts {
    /// Write `texts` (`None` is an empty text) to a new temporary file.
    pub fn new<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> Result<Self> {
        let file = tempfile::tempfile().map_err(|e| Error::io(SPILL_NAME, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut spans = Vec::new();
        let mut at = 0u64;
        for text in texts {
            let bytes = text.unwrap_or("").as_bytes();
            // A text longer than 4 GiB cannot be held in memory to read it back either.
            let len = u32::try_from(bytes.len()).map_err(|_| {
                Error::io(
                    SPILL_NAME,
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "a text over 4 GiB"),
                )
            })?;
            out.write_all(bytes).map_err(|e| Error::io(SPILL_NAME, e))?;
            spans.push((at, len));
            at += u64::from(len);
        }
        let file = out
            .into_inner()
            .map_err(|e| Error::io(SPILL_NAME, e.into_error()))?;
        Ok(SpilledTexts {
            file: Mutex::new(file),
            spans,
        })
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no texts.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl TextSource for SpilledTexts {
    fn load(&self, i: usize, buf: &mut String) -> Result<()> {
        let (at, len) = self.spans.get(i).copied().unwrap_or((0, 0));
        let mut bytes = std::mem::take(buf).into_bytes();
        bytes.clear();
        bytes.resize(len as usize, 0);
        {
            // A poisoned lock only means another reader panicked; the file is still whole.
            let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
            file.seek(SeekFrom::Start(at))
                .and_then(|_| file.read_exact(&mut bytes))
                .map_err(|e| Error::io(SPILL_NAME, e))?;
        }
        *buf = String::from_utf8(bytes).map_err(|e| {
            Error::io(
                SPILL_NAME,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_texts_read_back_as_written() -> Result<()> {
        let texts = [Some("first text"), None, Some("— ünïcode —"), Some("")];
        let spilled = SpilledTexts::new(texts)?;
        assert_eq!(spilled.len(), 4);
        let mut buf = String::from("left over");
        for (i, t) in texts.iter().enumerate().rev() {
            spilled.load(i, &mut buf)?;
            assert_eq!(buf, t.unwrap_or(""));
        }
        let in_memory: &[&str] = &["a", "b"];
        in_memory.load(1, &mut buf)?;
        assert_eq!(buf, "b");
        Ok(())
    }
}
