//! Segment a document into blocks (lines or paragraphs) and sentences, as byte spans.
//!
//! Boilerplate is judged per block and sharing per sentence, so both levels are kept. A block is
//! a line; a line that continues a hard-wrapped sentence (the previous line ends without closing
//! punctuation and this one starts in lower case) joins the block before it. Sentences are the
//! UAX #29 sentence bounds of each block (`unicode-segmentation`) with the usual repairs: no
//! break after a title or a company abbreviation ("Dr.", "Inc." before a lower-case word), none
//! before an attribution dash ("… want." — Marcus Chen), and every span trimmed of white space.
//! Spans never overlap and together cover every non-blank byte of the text.

use std::ops::Range;
use unicode_segmentation::UnicodeSegmentation;

/// A byte range `start..end` of a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span's bytes as a string slice of `text`.
    pub fn of<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty span.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A block: one line, or several lines of one hard-wrapped paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's bytes, trimmed.
    pub span: Span,
    /// Its sentences, as indices into [`Segmentation::sentences`].
    pub sentences: Range<usize>,
}

/// A document cut into blocks and sentences.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segmentation {
    /// Blocks in text order.
    pub blocks: Vec<Block>,
    /// Sentences in text order; each lies inside one block.
    pub sentences: Vec<Span>,
}

impl Segmentation {
    /// The index of the block holding sentence `sentence`.
    pub fn block_of(&self, sentence: usize) -> usize {
        self.blocks
            .partition_point(|b| b.sentences.end <= sentence)
            .min(self.blocks.len().saturating_sub(1))
    }
}

/// A [`Segmentation`] held in a third of the memory, for a corpus that keeps every document's:
/// offsets as 32-bit numbers in two boxed slices (no spare capacity), unpacked when a
/// document's passages are labelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedSegmentation {
    /// Per block: its span's start and end, and its sentences' first and one past the last.
    blocks: Box<[[u32; 4]]>,
    /// Per sentence: its span's start and end.
    sentences: Box<[[u32; 2]]>,
}

impl PackedSegmentation {
    /// Pack `seg`; `None` when an offset does not fit in 32 bits (a text over 4 GiB).
    pub fn new(seg: &Segmentation) -> Option<Self> {
        let small = |v: usize| u32::try_from(v).ok();
        let blocks = seg
            .blocks
            .iter()
            .map(|b| {
                Some([
                    small(b.span.start)?,
                    small(b.span.end)?,
                    small(b.sentences.start)?,
                    small(b.sentences.end)?,
                ])
            })
            .collect::<Option<_>>()?;
        let sentences = seg
            .sentences
            .iter()
            .map(|s| Some([small(s.start)?, small(s.end)?]))
            .collect::<Option<_>>()?;
        Some(PackedSegmentation { blocks, sentences })
    }

    /// The segmentation it packs.
    pub fn unpack(&self) -> Segmentation {
        Segmentation {
            blocks: self
                .blocks
                .iter()
                .map(|&[start, end, first, last]| Block {
                    span: Span {
                        start: start as usize,
                        end: end as usize,
                    },
                    sentences: first as usize..last as usize,
                })
                .collect(),
            sentences: (0..self.sentences.len())
                .filter_map(|s| self.sentence(s))
                .collect(),
        }
    }

    /// Number of sentences.
    pub fn sentence_count(&self) -> usize {
        self.sentences.len()
    }

    /// Sentence `s`'s span.
    pub fn sentence(&self, s: usize) -> Option<Span> {
        let [start, end] = *self.sentences.get(s)?;
        Some(Span {
            start: start as usize,
            end: end as usize,
        })
    }

    /// Block `b`'s span.
    pub fn block(&self, b: usize) -> Option<Span> {
        let [start, end, _, _] = *self.blocks.get(b)?;
        Some(Span {
            start: start as usize,
            end: end as usize,
        })
    }

    /// Each block's sentences, as indices into the sentences, in block order.
    pub fn block_sentences(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.blocks
            .iter()
            .map(|&[_, _, first, last]| first as usize..last as usize)
    }

    /// The index of the block holding sentence `sentence` (as [`Segmentation::block_of`]).
    pub fn block_of(&self, sentence: usize) -> usize {
        self.blocks
            .partition_point(|b| b[3] as usize <= sentence)
            .min(self.blocks.len().saturating_sub(1))
    }
}

/// Titles after which a full stop never ends a sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "st",
    "mt", "no", "vs", "rev", "hon", "pres", "supt", "cmdr", "adm", "maj", "messrs", "fig",
    "approx",
];

/// Abbreviations that end a sentence only when a capitalised word follows.
const ABBREVIATIONS: &[&str] = &[
    "inc", "corp", "co", "ltd", "llc", "plc", "jr", "sr", "etc", "e.g", "i.e", "u.s", "u.k", "u.n",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m",
    "p.m", "est", "dept", "univ", "assn", "bros", "mln", "bln", "pct", "dlrs",
];

/// Cut `text` into blocks and sentences.
pub fn segment(text: &str) -> Segmentation {
    segment_with(text, true)
}

/// Cut `text` into blocks only: the blocks of [`segment`], each with an empty sentence range.
/// Judging boilerplate needs no sentences, and the sentence bounds cost as much as the rest.
pub fn segment_blocks(text: &str) -> Segmentation {
    segment_with(text, false)
}

fn segment_with(text: &str, with_sentences: bool) -> Segmentation {
    let mut seg = Segmentation::default();
    let mut scratch = BoundScratch::default();
    for line in lines(text) {
        let line_text = line.of(text);
        let joins_previous = seg.blocks.last().is_some_and(|b| {
            let prev = b.span.of(text);
            continues(prev, line_text)
        });
        let first_sentence = seg.sentences.len();
        if with_sentences {
            sentences(text, line, &mut seg.sentences, &mut scratch);
        }
        match seg.blocks.last_mut() {
            Some(block) if joins_previous => {
                // The wrapped line's first piece finishes the previous line's last sentence.
                if first_sentence < seg.sentences.len() && first_sentence > block.sentences.start {
                    let piece = seg.sentences.remove(first_sentence);
                    if let Some(prev) = seg.sentences.get_mut(first_sentence - 1) {
                        prev.end = piece.end;
                    }
                }
                block.span.end = line.end;
                block.sentences.end = seg.sentences.len();
            }
            _ => seg.blocks.push(Block {
                span: line,
                sentences: first_sentence..seg.sentences.len(),
            }),
        }
    }
    seg
}

/// Non-blank lines as trimmed spans.
fn lines(text: &str) -> impl Iterator<Item = Span> + '_ {
    let mut offset = 0;
    text.split_inclusive('\n').filter_map(move |raw| {
        let start = offset;
        offset += raw.len();
        trim(
            text,
            Span {
                start,
                end: start + raw.len(),
            },
        )
    })
}

/// `span` without leading and trailing white space; `None` when nothing is left.
fn trim(text: &str, span: Span) -> Option<Span> {
    let s = span.of(text);
    let lead = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| Span {
        start: span.start + lead,
        end: span.start + lead + trimmed.len(),
    })
}

/// Does `next` continue a sentence that `prev` (a hard-wrapped line) left open?
fn continues(prev: &str, next: &str) -> bool {
    let closed = prev
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | ':' | ';' | '"' | '”' | '’' | ')' | '…'));
    !closed && next.chars().next().is_some_and(char::is_lowercase)
}

/// Buffers for [`sentence_bounds`], kept from line to line.
#[derive(Debug, Default)]
struct BoundScratch {
    bounds: Vec<(usize, usize)>,
    classes: Vec<(u32, SentenceClass)>,
}

/// Push the sentences of the line `line` onto `out`.
fn sentences(text: &str, line: Span, out: &mut Vec<Span>, scratch: &mut BoundScratch) {
    let line_text = line.of(text);
    let first = out.len();
    let BoundScratch { bounds, classes } = scratch;
    if !sentence_bounds(line_text, bounds, classes) {
        bounds.clear();
        bounds.extend(
            line_text
                .split_sentence_bound_indices()
                .map(|(start, piece)| (start, start + piece.len())),
        );
    }
    for (offset, piece) in bounds
        .iter()
        .map(|&(start, end)| (start, &line_text[start..end]))
    {
        let Some(span) = trim(
            text,
            Span {
                start: line.start + offset,
                end: line.start + offset + piece.len(),
            },
        ) else {
            continue;
        };
        let glue = out.len() > first && {
            let prev = out[out.len() - 1].of(text);
            should_join(prev, span.of(text))
        };
        match out.last_mut() {
            Some(prev) if glue => prev.end = span.end,
            _ => out.push(span),
        }
    }
}

/// The UAX #29 sentence break class of a character, for the characters [`sentence_bounds`]
/// knows: ASCII, curly quotes and the two dashes of news text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentenceClass {
    ParaSep,
    Sp,
    Lower,
    Upper,
    Numeric,
    ATerm,
    STerm,
    Close,
    SContinue,
    Other,
}

const fn sentence_class(c: char) -> Option<SentenceClass> {
    use SentenceClass::*;
    Some(match c {
        '\r' | '\n' => ParaSep,
        ' ' | '\t' | '\u{b}' | '\u{c}' => Sp,
        'a'..='z' => Lower,
        'A'..='Z' => Upper,
        '0'..='9' => Numeric,
        '.' => ATerm,
        '!' | '?' => STerm,
        '"' | '\'' | '(' | ')' | '[' | ']' | '{' | '}' | '‘' | '’' | '“' | '”' => Close,
        ',' | '-' | ':' | ';' | '–' | '—' => SContinue,
        c if c.is_ascii() && !c.is_ascii_control() => Other,
        _ => return None,
    })
}

/// [`sentence_class`] of every ASCII character, looked up rather than matched: asked of every
/// character of every line.
const ASCII_CLASSES: [Option<SentenceClass>; 128] = {
    let mut table = [None; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = sentence_class(b as u8 as char);
        b += 1;
    }
    table
};

/// The UAX #29 sentence pieces of `text` as `(start, end)` byte offsets into `bounds`, as
/// `unicode-segmentation` gives them, when every character is one [`sentence_class`] knows;
/// `false` (and `bounds` unspecified) otherwise. The crate looks every character up in its
/// tables, which made sentence bounds a quarter of reading a document; news text is almost
/// all ASCII, where the rules are a few comparisons.
/// `classes` is a buffer: each character's offset and class.
fn sentence_bounds(
    text: &str,
    bounds: &mut Vec<(usize, usize)>,
    classes: &mut Vec<(u32, SentenceClass)>,
) -> bool {
    use SentenceClass::*;
    bounds.clear();
    classes.clear();
    if u32::try_from(text.len()).is_err() {
        return false;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (class, width) = match bytes[i] {
            b if b.is_ascii() => (ASCII_CLASSES[usize::from(b)], 1),
            _ => {
                let c = text[i..].chars().next().unwrap_or_default();
                (sentence_class(c), c.len_utf8())
            }
        };
        match class {
            Some(class) => classes.push((i as u32, class)),
            None => return false,
        }
        i += width;
    }
    let classes = &classes[..];
    let n = classes.len();
    let class = |k: usize| classes.get(k).map(|c| c.1);
    let offset = |k: usize| classes.get(k).map_or(text.len(), |c| c.0 as usize);
    let mut start = 0;
    let mut k = 0;
    while k < n {
        let c = classes[k].1;
        match c {
            // SB3, SB4: after a paragraph separator (CR LF as one).
            ParaSep => {
                let text_ch = text[offset(k)..].starts_with('\r');
                k += 1;
                if text_ch && text[offset(k)..].starts_with('\n') {
                    k += 1;
                }
                bounds.push((offset(start), offset(k)));
                start = k;
            }
            ATerm | STerm => {
                let next = k + 1;
                // SB6: ATerm × Numeric; SB7: (Upper | Lower) ATerm × Upper.
                if c == ATerm
                    && (class(next) == Some(Numeric)
                        || (k > 0
                            && matches!(class(k - 1), Some(Upper | Lower))
                            && class(next) == Some(Upper)))
                {
                    k = next;
                    continue;
                }
                // SATerm Close* Sp*: no break inside (SB9, SB10).
                let mut m = next;
                while class(m) == Some(Close) {
                    m += 1;
                }
                while class(m) == Some(Sp) {
                    m += 1;
                }
                // SB8: ATerm Close* Sp* × (¬(OLetter | Upper | Lower | ParaSep | SATerm))* Lower.
                if c == ATerm {
                    let mut p = m;
                    while matches!(class(p), Some(Numeric | Sp | Close | SContinue | Other)) {
                        p += 1;
                    }
                    if class(p) == Some(Lower) {
                        k = m;
                        continue;
                    }
                }
                // SB8a: SATerm Close* Sp* × (SContinue | SATerm).
                if matches!(class(m), Some(SContinue | ATerm | STerm)) {
                    k = m;
                    continue;
                }
                // SB11: SATerm Close* Sp* ParaSep? ÷.
                if class(m) == Some(ParaSep) {
                    let cr = text[offset(m)..].starts_with('\r');
                    m += 1;
                    if cr && text[offset(m)..].starts_with('\n') {
                        m += 1;
                    }
                }
                if m < n {
                    bounds.push((offset(start), offset(m)));
                    start = m;
                }
                k = m;
            }
            _ => k += 1,
        }
    }
    if start < n {
        bounds.push((offset(start), text.len()));
    }
    true
}

/// Should the sentence break between `prev` and `next` be undone?
fn should_join(prev: &str, next: &str) -> bool {
    let Some(first) = next.chars().next() else {
        return true;
    };
    // An attribution or a continuation: "… want." — Marcus Chen; "… said." (Reuters) …
    if matches!(first, '—' | '–' | '-' | ')' | ',' | ';' | ':') || first.is_lowercase() {
        return true;
    }
    // A piece without a letter (a stray "**") belongs with what precedes it.
    if !next.chars().any(char::is_alphanumeric) {
        return true;
    }
    let Some(stem) = prev.strip_suffix('.') else {
        return false;
    };
    let last_word = stem
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '“')
        .next()
        .unwrap_or("")
        .to_lowercase();
    if TITLES.contains(&last_word.as_str()) {
        return true;
    }
    // A single initial ("John F. Kennedy") or a dotted abbreviation ("U.S.").
    let is_initial = last_word.chars().count() == 1 && last_word.chars().all(char::is_alphabetic);
    let dotted = last_word.contains('.') && last_word.len() <= 5;
    // "E.F. Hutton", "J.P. Morgan": initials before a name; "the U.S." ends sentences too often.
    let initials = dotted
        && !matches!(last_word.as_str(), "u.s" | "u.k" | "u.n" | "e.u")
        && last_word.split('.').all(|p| p.chars().count() == 1);
    if initials && first.is_uppercase() {
        return true;
    }
    if ABBREVIATIONS.contains(&last_word.as_str()) || is_initial || dotted {
        return first.is_ascii_digit() || first == '(' || (is_initial && first.is_uppercase());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Characters the fast sentence bounds know, and one they do not.
    const SENTENCE_ALPHABET: &[char] = &[
        'a', 'b', 'Z', 'Q', '1', '0', '.', '.', '!', '?', '"', '\'', '(', ')', '[', ']', '{', '}',
        ',', '-', ':', ';', ' ', ' ', ' ', '\t', '\r', '\n', '\u{b}', '\u{c}', '#', '%', '&', '*',
        '/', '@', '_', '~', '‘', '’', '“', '”', '–', '—', '…', 'é',
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The fast sentence bounds are `unicode-segmentation`'s wherever they answer.
        #[test]
        fn fast_sentence_bounds_are_the_crates(
            chars in proptest::collection::vec(0..SENTENCE_ALPHABET.len(), 0..40)
        ) {
            let text: String = chars.iter().map(|&c| SENTENCE_ALPHABET[c]).collect();
            let mut bounds = Vec::new();
            if sentence_bounds(&text, &mut bounds, &mut Vec::new()) {
                let expected: Vec<(usize, usize)> = text
                    .split_sentence_bound_indices()
                    .map(|(start, piece)| (start, start + piece.len()))
                    .collect();
                prop_assert_eq!(bounds, expected, "{:?}", text);
            } else {
                // Only the characters it does not know send it to the crate.
                prop_assert!(text.contains(['…', 'é']));
            }
        }
    }

    fn texts<'t>(text: &'t str, seg: &Segmentation) -> Vec<&'t str> {
        seg.sentences.iter().map(|s| s.of(text)).collect()
    }

    #[test]
    fn packed_segmentations_unpack_to_what_they_pack() {
        let texts = [
            "",
            "Title line\n\n  First one. Second one!  \n-\n",
            "A hard-wrapped sentence that goes\non and on. Then Dr. Smith said so.\n\nLast line",
            "One.\nTwo. Three.\n\n\nFour — five. “Six,” he said.",
        ];
        for text in texts {
            let seg = segment(text);
            let packed = PackedSegmentation::new(&seg).unwrap();
            assert_eq!(packed.unpack(), seg, "{text:?}");
            assert_eq!(packed.sentence_count(), seg.sentences.len());
            for s in 0..seg.sentences.len() {
                assert_eq!(packed.block_of(s), seg.block_of(s), "{text:?} sentence {s}");
                assert_eq!(packed.sentence(s), Some(seg.sentences[s]));
            }
            assert_eq!(packed.sentence(seg.sentences.len()), None);
            let ranges: Vec<Range<usize>> =
                seg.blocks.iter().map(|b| b.sentences.clone()).collect();
            assert_eq!(packed.block_sentences().collect::<Vec<_>>(), ranges);
        }
        let huge = Segmentation {
            blocks: Vec::new(),
            sentences: vec![Span {
                start: 0,
                end: 1 << 33,
            }],
        };
        assert_eq!(PackedSegmentation::new(&huge), None);
    }

    #[test]
    fn lines_are_blocks_and_sentences_are_trimmed() {
        let text = "Title line\n\n  First one. Second one!  \n-\n";
        let seg = segment(text);
        assert_eq!(seg.blocks.len(), 3);
        assert_eq!(
            texts(text, &seg),
            ["Title line", "First one.", "Second one!", "-"]
        );
        assert_eq!(seg.block_of(2), 1);
        assert_eq!(seg.block_of(3), 2);
    }

    #[test]
    fn abbreviations_decimals_and_quotes_do_not_break() {
        let text =
            "Dr. Anya Sharma said shares fell 2.1% on Jan. 28. Amazon.com Inc. (NASDAQ: AMZN) \
                    rose. \"This is a masterstroke.\" — Marcus Chen, Horizon Capital. The U.S. \
                    economy grew. Shares of E.F. Hutton rose. Next one.";
        let seg = segment(text);
        assert_eq!(
            texts(text, &seg),
            [
                "Dr. Anya Sharma said shares fell 2.1% on Jan. 28.",
                "Amazon.com Inc. (NASDAQ: AMZN) rose.",
                "\"This is a masterstroke.\" — Marcus Chen, Horizon Capital.",
                "The U.S. economy grew.",
                "Shares of E.F. Hutton rose.",
                "Next one."
            ]
        );
    }

    #[test]
    fn hard_wrapped_lines_join_one_block() {
        let text =
            "Oil prices rose on\nthursday after OPEC said it\nwould cut output.\nNew paragraph.";
        let seg = segment(text);
        assert_eq!(seg.blocks.len(), 2);
        assert_eq!(
            texts(text, &seg),
            [
                "Oil prices rose on\nthursday after OPEC said it\nwould cut output.",
                "New paragraph."
            ]
        );
    }

    #[test]
    fn spans_cover_every_non_blank_byte_without_overlap() {
        let text = " a. b\n\n\tc?  d…\r\n e — f \n";
        let seg = segment(text);
        let mut covered = vec![false; text.len()];
        let mut last_end = 0;
        for s in &seg.sentences {
            assert!(s.start >= last_end);
            last_end = s.end;
            covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
        }
        for (i, ch) in text.char_indices() {
            if !ch.is_whitespace() {
                assert!(covered[i], "byte {i} ({ch:?}) not covered");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Any text: sentences are in order, inside their blocks, trimmed, and cover every
        /// non-blank character.
        #[test]
        fn sentences_cover_any_text(text in "([A-Za-z.!?\"”’—\\-,;:()0-9é ]{0,12}[\n\r\t ]?){0,30}") {
            let seg = segment(&text);
            let mut last_end = 0;
            for (b, block) in seg.blocks.iter().enumerate() {
                for s in block.sentences.clone() {
                    let span = seg.sentences[s];
                    proptest::prop_assert!(span.start >= last_end && span.start < span.end);
                    proptest::prop_assert!(span.start >= block.span.start && span.end <= block.span.end);
                    proptest::prop_assert_eq!(span.of(&text).trim(), span.of(&text));
                    proptest::prop_assert_eq!(seg.block_of(s), b);
                    last_end = span.end;
                }
            }
            let mut covered = vec![false; text.len()];
            for span in &seg.sentences {
                covered[span.start..span.end].iter_mut().for_each(|c| *c = true);
            }
            for (i, ch) in text.char_indices() {
                proptest::prop_assert!(covered[i] || ch.is_whitespace(), "{:?} at {} not covered", ch, i);
            }
            // Blocks alone are the same blocks.
            let spans = |seg: &Segmentation| seg.blocks.iter().map(|b| b.span).collect::<Vec<_>>();
            let blocks = segment_blocks(&text);
            proptest::prop_assert_eq!(spans(&blocks), spans(&seg));
            proptest::prop_assert!(blocks.sentences.is_empty());
        }
    }
}
