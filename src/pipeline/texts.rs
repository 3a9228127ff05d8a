//! Where the stages that read texts find them: in memory, or in a temporary file.
//!
//! Main choice: a corpus's texts are the largest thing it holds while stories are found (as
//! much again as the input), and the stages after near-duplicate clustering read each text
//! twice, one document at a time. So a caller that does not quote texts can write them to a
//! temporary file once and have each read back, by position, into a buffer the reading
//! thread reuses.

use crate::error::{Error, Result};
use crate::spill::{Record, RecordReader, RecordWriter};

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
    file: RecordReader,
    /// Per document, where its text is.
    records: Vec<Record>,
}

/// What the temporary file is called in errors.
const SPILL_NAME: &str = "temporary file of texts";

/// Writes texts to a temporary file as they come, in document order: a reader can spill each
/// text as soon as it is read. [`TextSpiller::finish`] makes them readable.
#[derive(Debug)]
pub struct TextSpiller {
    writer: RecordWriter,
    records: Vec<Record>,
}

impl TextSpiller {
    /// A new, empty file.
    pub fn new() -> Result<Self> {
        Ok(TextSpiller {
            writer: RecordWriter::new(SPILL_NAME)?,
            records: Vec::new(),
        })
    }

    /// Append the next document's text (`None` is an empty text).
    pub fn push(&mut self, text: Option<&str>) -> Result<()> {
        let record = self.writer.push(text.unwrap_or("").as_bytes())?;
        self.records.push(record);
        Ok(())
    }

    /// Flush and switch to reading.
    pub fn finish(self) -> Result<SpilledTexts> {
        Ok(SpilledTexts {
            file: self.writer.finish()?,
            records: self.records,
        })
    }
}

impl SpilledTexts {
    /// Write `texts` (`None` is an empty text) to a new temporary file.
    pub fn new<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> Result<Self> {
        let mut spiller = TextSpiller::new()?;
        for text in texts {
            spiller.push(text)?;
        }
        spiller.finish()
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there are no texts.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl TextSource for SpilledTexts {
    fn load(&self, i: usize, buf: &mut String) -> Result<()> {
        let record = self.records.get(i).copied().unwrap_or_default();
        let mut bytes = std::mem::take(buf).into_bytes();
        self.file.read(record, &mut bytes)?;
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
