//! Tell site furniture from content, one block (line or paragraph) at a time.
//!
//! A block is judged on its own evidence first, which is all there is in a handful of articles:
//! a separator with no words; a short block with a furniture cue ("Also Read:", "Leave a Reply",
//! "Advertisement", a newsletter pitch, share buttons); a headline-shaped line repeated within
//! the document; a run of very short lines or of items between bars (a menu).
//!
//! Then every block still open is judged in its context, the way jusText does it, because on a
//! page of text the shape of the lines around a block says more than its words: each block is
//! first classed by length and stop-word density (good prose, near-good, short, or bad: long
//! but with few function words, or marked by a rule above), then a short block takes the class
//! of its nearest non-short neighbours (the page's edge counts as furniture), a near-good block
//! is prose unless furniture lies on both sides, and a heading shortly before prose is kept.
//! Sites that cut every paragraph short are read by runs: closed near-good sentences next to
//! each other that together reach a paragraph's length are prose, and a short run of short
//! lines that no cue marks, standing between prose, is part of the article (an interview's
//! name-and-question lines, a product's name and price).
//! This catches navigation runs, "most read" lists and headline lists wherever they stand,
//! while a heading, a byline next to prose or a short quote between paragraphs stays content.
//! A page in a language the stop-word list does not cover is judged by length alone, and a
//! text without a single prose block is left to the rules, so short articles are not emptied.
//!
//! A list of facts that follows a paragraph (tour dates, a meal plan, results: items sharing
//! their first word, most with a figure and many with a detail after a comma) is then taken
//! back as a whole, since link lists seldom look like that.
//!
//! A comment section after the article's first paragraph is marked next, prose and all: it
//! shows as comment lines recurring ("Name says:", "3 hours ago", "12 comments", a date with
//! a clock time, "Reply"), at least three with at most a dozen blocks between them.
//!
//! Last, headline-shaped blocks after the article's last paragraph (related stories) are
//! marked. A headline-shaped line followed by a paragraph is a section heading and stays
//! content: the judgement is per block, never per sentence. On a corpus, [`TemplateCounter`]
//! adds what only repetition shows: a block found in several stories, or in two stories of one
//! outlet, is a template.

use crate::sketch::tokenize::{for_each_word, normalize_into};
use crate::story::segment::Segmentation;
use crate::story::terms::{
    dedup_terms, has_clause_cut, is_negation, number_value, word_hash, ReadWord, Term,
    TermExtractor, TermKind,
};
use ahash::{AHashMap, AHashSet};
use serde::Serialize;
use std::ops::Range;
use xxhash_rust::xxh3::Xxh3;

/// Why a block is boilerplate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoilerplateReason {
    /// No letters or digits: a separator or a stray mark.
    Separator,
    /// A short block with a furniture cue (teaser, widget, ad, newsletter, share buttons).
    Cue,
    /// A headline-shaped block after the last paragraph, or among separators: related stories.
    RelatedHeadlines,
    /// The same short block twice in one document.
    Repeated,
    /// A navigation menu or tag list: a run of very short lines, or items between bars.
    Menu,
    /// The same block in several stories across the corpus, or in two stories of one outlet.
    Template,
    /// A block long enough to read but with few function words: a list of names, headlines or
    /// tags rather than running prose.
    NotProse,
    /// A short or borderline block whose nearest prose neighbours on both sides are furniture
    /// (or the page's edge): it belongs to the page around the article, not to the article.
    AmongFurniture,
    /// A reader comment section after the article: lines like "Name says:", "3 hours ago",
    /// "Reply" or "12 comments" recur, and the comments between them are furniture even
    /// when they read as prose.
    Comments,
}

impl BoilerplateReason {
    /// The reason as reports write it (the JSON's snake_case name).
    pub fn as_str(self) -> &'static str {
        match self {
            BoilerplateReason::Separator => "separator",
            BoilerplateReason::Cue => "cue",
            BoilerplateReason::RelatedHeadlines => "related_headlines",
            BoilerplateReason::Repeated => "repeated",
            BoilerplateReason::Menu => "menu",
            BoilerplateReason::Template => "template",
            BoilerplateReason::NotProse => "not_prose",
            BoilerplateReason::AmongFurniture => "among_furniture",
            BoilerplateReason::Comments => "comments",
        }
    }
}

#[cfg(test)]
#[test]
fn reason_names_are_the_json_names() {
    use BoilerplateReason::*;
    for r in [
        Separator,
        Cue,
        RelatedHeadlines,
        Repeated,
        Menu,
        Template,
        NotProse,
        AmongFurniture,
        Comments,
    ] {
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
}

/// Cues at the start of a short block (normalized, lower case).
const LEADING_CUES: &[&str] = &[
    "also read",
    "read also",
    "read more",
    "read next",
    "related:",
    "related stories",
    "related articles",
    "related news",
    "related coverage",
    "recommended",
    "more from",
    "more on this",
    "see also",
    "advertisement",
    "sponsored",
    "share:",
    "share this",
    "share on",
    "share article",
    "follow us",
    "subscribe",
    "sign up",
    "click here",
    "tags:",
    "filed under",
    "photo:",
    "image:",
    "copyright",
    "©",
    "leave a reply",
    "leave a comment",
    "no comments",
    "this post has",
    "comments (",
    "you may also like",
    "you might also like",
    "trending",
    "don't miss",
    "watch:",
    "listen:",
    "download the",
    "get the app",
    "previous article",
    "next article",
    "print this",
    "email this",
    "loading",
    "skip to",
    "back to top",
    "related topics",
    "more stories",
    "most popular",
    "image source",
    "photograph:",
    "caption:",
];

/// Cues anywhere in a short block: phrases that news prose does not use.
const INNER_CUES: &[&str] = &[
    "be the first to comment",
    "all rights reserved",
    "scroll to continue",
    "your email address will not be published",
    "comments are closed",
    "log in to comment",
    "share this article",
    "share this story",
    "follow us on",
    "sign up for our",
    "subscribe to our",
    "our newsletter",
    "your inbox",
    "click here",
    "image caption",
    "getty images",
    "privacy policy",
    "terms of use",
    "most read",
    "top stories",
];

/// Pairs of words that together make a pitch or a notice ("subscribe to the daily AI
/// Newsletter", "for all AI coverage", "we use cookies"), while either alone can be news.
const PAIRED_CUES: &[(&str, &[&str])] = &[
    ("newsletter", &["subscribe", "sign up", "sign-up", "inbox"]),
    ("coverage", &["for all", "for more"]),
    ("cookies", &["accept", "we use", "policy"]),
    ("comments", &["post has", "no comments", "view"]),
];

/// Words above which a block is too long for a cue alone to make it furniture.
const CUE_MAX_WORDS: usize = 30;
/// Words up to which a block can be an item of a menu.
const MENU_ITEM_WORDS: usize = 4;
/// Words up to which a block can be a headline.
const HEADLINE_MAX_WORDS: usize = 25;
/// A paragraph: at least this many words, or a closed sentence of at least [`CLOSED_MIN_WORDS`].
const PARAGRAPH_MIN_WORDS: usize = 20;
const CLOSED_MIN_WORDS: usize = 8;
/// Words of a block read for its stop-word density.
const DENSITY_MAX_WORDS: usize = 120;

/// Characters below which a block is too short to judge on its own (jusText's 70).
const SHORT_MAX_CHARS: usize = 70;
/// Characters above which a block dense in stop words is prose for sure. jusText takes 200;
/// news sites cut paragraphs shorter, and a run of 150-character paragraphs is still prose.
const GOOD_MIN_CHARS: usize = 140;
/// Stop-word share below which a block is not prose (a list of names, headlines, tags).
/// reprint's stop-word list is shorter than jusText's, so its shares run lower: prose sits at
/// 0.3–0.5, lists and headline runs below 0.2.
const PROSE_MIN_DENSITY: f64 = 0.2;
/// Stop-word share from which a long block is good prose.
const GOOD_MIN_DENSITY: f64 = 0.3;
/// Near-good blocks, and their characters together, that make a run of short paragraphs prose.
const RUN_MIN_BLOCKS: usize = 2;
const RUN_MIN_CHARS: usize = 300;
/// Characters up to which a run of furniture-like blocks between prose is taken back.
const INNER_RUN_MAX_CHARS: usize = 200;
/// Characters within which a heading must be followed by good prose to stay content.
const HEADING_MAX_DISTANCE: usize = 100;
/// A list of facts after a paragraph: at least this many items, this share of them with a
/// figure, this share with a comma, and this share starting with a word another item starts
/// with.
const DATA_LIST_MIN_ITEMS: usize = 4;
const DATA_LIST_MIN_DIGIT_SHARE: f64 = 0.6;
const DATA_LIST_MIN_COMMA_SHARE: f64 = 0.3;
const DATA_LIST_MIN_SHARED_SHARE: f64 = 0.5;
/// Words up to which a block can be a comment's furniture ("Name says:", "3 hours ago").
const COMMENT_META_MAX_WORDS: usize = 8;
/// Blocks from one comment line to the next within one comment section (a comment's text can
/// run to several paragraphs).
const COMMENT_MAX_GAP: usize = 12;
/// Comment lines that make a comment section.
const COMMENT_MIN_META: usize = 3;
/// Stop-word share of a whole page below which its language is not one the list covers.
const LANGUAGE_MIN_DENSITY: f64 = 0.12;
/// Words a block needs to count towards the page's stop-word share.
const LANGUAGE_MIN_WORDS: usize = 10;

/// What the classifier measured of one block.
#[derive(Debug, Clone)]
struct BlockShape {
    words: usize,
    /// Stop words among the first [`DENSITY_MAX_WORDS`] words.
    stopwords: usize,
    /// Characters (not bytes: a CJK character is one).
    chars: usize,
    has_word: bool,
    closed: bool,
    /// Holds a digit (a date, a figure, a price).
    digit: bool,
    /// Holds a comma that parts a detail from a name.
    comma: bool,
    /// A key for the block's first word, lower case with every digit as `0` ("June",
    /// "0.", "eat"), or `None` for a block without one.
    lead: Option<u64>,
    lower: String,
}

impl BlockShape {
    /// The shape of block `text`, whose words, normalized, are `normalized`.
    fn of_words<'w>(text: &str, read: impl Iterator<Item = ReadWord<'w>>) -> Self {
        let mut words = 0;
        let mut stopwords = 0;
        let mut lower = String::new();
        for w in read {
            words += 1;
            // The density of stop words is read from the block's start; a long block's start
            // is as good a sample as its whole.
            if words <= DENSITY_MAX_WORDS && w.stopword {
                stopwords += 1;
            }
        }
        // Normalized lower case keeps cue matching simple ("ALSO READ:", curly quotes). Only
        // short blocks are matched against cues.
        if words <= CUE_MAX_WORDS {
            for c in text.chars().take(400) {
                let c = match c {
                    '’' | '‘' => '\'',
                    c => c,
                };
                lower.extend(c.to_lowercase());
            }
        }
        let closed = text
            .trim_end_matches(['"', '”', '’', ')', '*'])
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, '.' | '!' | '…'));
        BlockShape {
            words,
            stopwords,
            chars: text.chars().count(),
            has_word: words > 0,
            closed,
            digit: text.chars().any(|c| c.is_ascii_digit()),
            // A comma before a space parts a detail from a name ("Denver, CO"); one between
            // digits is a number ("12,000").
            comma: text.contains(", ") || text.contains('，'),
            lead: lead_key(text),
            lower,
        }
    }

    fn is_paragraph(&self) -> bool {
        self.words >= PARAGRAPH_MIN_WORDS || (self.closed && self.words >= CLOSED_MIN_WORDS)
    }

    /// Short, unclosed, and not mostly function words ("What happens next" is a heading of
    /// the article, not a teaser).
    fn is_headline(&self) -> bool {
        self.has_word
            && !self.closed
            && self.words <= HEADLINE_MAX_WORDS
            && self.stopwords * 2 <= self.words
    }

    /// Share of stop words among the sampled words.
    fn density(&self) -> f64 {
        self.stopwords as f64 / self.words.clamp(1, DENSITY_MAX_WORDS) as f64
    }

    fn has_cue(&self) -> bool {
        if self.words > CUE_MAX_WORDS {
            return false;
        }
        let start = self
            .lower
            .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '©');
        LEADING_CUES.iter().any(|cue| start.starts_with(cue))
            || INNER_CUES.iter().any(|cue| self.lower.contains(cue))
            || PAIRED_CUES.iter().any(|(word, with)| {
                self.lower.contains(word) && with.iter().any(|w| self.lower.contains(w))
            })
    }
}

/// A key for the first word of `text`: lower case, every digit as `0`, marks around it trimmed.
fn lead_key(text: &str) -> Option<u64> {
    let word = text
        .split_whitespace()
        .next()?
        .trim_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return None;
    }
    let mut hasher = Xxh3::new();
    let mut buf = [0u8; 4];
    for c in word.chars().take(32).flat_map(char::to_lowercase) {
        let c = if c.is_ascii_digit() { '0' } else { c };
        hasher.update(c.encode_utf8(&mut buf).as_bytes());
    }
    Some(hasher.digest())
}

/// Judge every block of a document on its own evidence: `Some(reason)` for boilerplate.
pub fn classify_blocks(text: &str, seg: &Segmentation) -> Vec<Option<BoilerplateReason>> {
    judge_blocks(text, seg).verdicts
}

/// The terms of a document's blocks, as [`TermExtractor::for_each_term_at`] gives them, with
/// where each starts and each figure's value: kept so that later stages need not read the
/// blocks again (a document's story terms, and the terms of a sentence read with its block).
/// Hashes and kinds apart (9 bytes a term, where a [`Term`] takes 16): a corpus holds these
/// for every document between reading and weighing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockTerms {
    hashes: Vec<u64>,
    kinds: Vec<TermKind>,
    /// Byte offset in the text where each term's (first) word starts.
    starts: Vec<u32>,
    /// Value and unit hash of each term of kind [`TermKind::Number`], in order.
    figures: Vec<(f64, u64)>,
    /// Per block, its terms' range and where its figures start, when its terms are kept.
    ranges: Vec<Option<(Range<u32>, u32)>>,
    /// Per sentence: are its terms, read alone, its block's terms that start in it, as far as
    /// its words tell (none crosses its ends, none negates, none holds a clause cut)? What is
    /// left to tell (what stands just outside it) is told where it is read
    /// ([`crate::story::align::SentenceTerms::of_block`]).
    plain: Vec<bool>,
}

/// One term of a block, as kept in [`BlockTerms`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeptTerm {
    /// The term.
    pub term: Term,
    /// Byte offset in the text where its (first) word starts.
    pub start: usize,
    /// Its value and unit hash, for a term of kind [`TermKind::Number`].
    pub figure: Option<(f64, u64)>,
}

impl BlockTerms {
    /// The terms of block `block`, if they were kept.
    pub fn of(&self, block: usize) -> Option<impl Iterator<Item = Term> + '_> {
        let (range, _) = self.ranges.get(block)?.clone()?;
        let range = range.start as usize..range.end as usize;
        Some(
            self.hashes[range.clone()]
                .iter()
                .zip(&self.kinds[range])
                .map(|(&hash, &kind)| Term { hash, kind }),
        )
    }

    /// The terms of block `block` (if kept) with where they start and their figures.
    pub fn kept(&self, block: usize) -> Option<impl Iterator<Item = KeptTerm> + '_> {
        let (range, figures_from) = self.ranges.get(block)?.clone()?;
        let mut figure = figures_from as usize;
        Some((range.start as usize..range.end as usize).map(move |k| {
            let term = Term {
                hash: self.hashes[k],
                kind: self.kinds[k],
            };
            let figure = (term.kind == TermKind::Number).then(|| {
                figure += 1;
                self.figures
                    .get(figure - 1)
                    .copied()
                    .unwrap_or((f64::NAN, 0))
            });
            KeptTerm {
                term,
                start: self.starts[k] as usize,
                figure,
            }
        }))
    }

    /// Whether sentence `s`'s words allow its terms to be taken from its block's: none of
    /// them crosses its ends, negates or holds a clause cut.
    pub fn plain(&self, s: usize) -> bool {
        self.plain.get(s).copied().unwrap_or(false)
    }

    /// Only the blocks `keep` names: the others' terms let go.
    pub fn keep_blocks(&self, keep: impl Fn(usize) -> bool) -> BlockTerms {
        let mut out = BlockTerms {
            plain: self.plain.clone(),
            ..BlockTerms::default()
        };
        for (b, range) in self.ranges.iter().enumerate() {
            let kept = range
                .as_ref()
                .filter(|_| keep(b))
                .map(|(range, figures_from)| {
                    let from = out.hashes.len() as u32;
                    let figures = out.figures.len() as u32;
                    let (r, f) = (
                        range.start as usize..range.end as usize,
                        *figures_from as usize,
                    );
                    let numbers = self.kinds[r.clone()]
                        .iter()
                        .filter(|&&k| k == TermKind::Number)
                        .count();
                    out.hashes.extend_from_slice(&self.hashes[r.clone()]);
                    out.kinds.extend_from_slice(&self.kinds[r.clone()]);
                    out.starts.extend_from_slice(&self.starts[r]);
                    out.figures.extend_from_slice(&self.figures[f..f + numbers]);
                    (from..out.hashes.len() as u32, figures)
                });
            out.ranges.push(kept);
        }
        out
    }

    fn push(&mut self, start: usize, term: Term, canonical: &str) {
        self.hashes.push(term.hash);
        self.kinds.push(term.kind);
        self.starts.push(u32::try_from(start).unwrap_or(u32::MAX));
        if term.kind == TermKind::Number {
            self.figures.push(number_value(canonical));
        }
    }
}

impl crate::spill::Spillable for BlockTerms {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::spill::codec::{put_slice, Plain};
        put_slice(out, &self.hashes);
        (self.kinds.len() as u64).put(out);
        out.extend(self.kinds.iter().map(|&k| k as u8));
        put_slice(out, &self.starts);
        (self.figures.len() as u64).put(out);
        for &(value, unit) in &self.figures {
            value.put(out);
            unit.put(out);
        }
        (self.ranges.len() as u64).put(out);
        for r in &self.ranges {
            let (range, figures) = r.clone().unwrap_or((0..0, 0));
            u8::from(r.is_some()).put(out);
            for v in [range.start, range.end, figures] {
                v.put(out);
            }
        }
        (self.plain.len() as u64).put(out);
        out.extend(self.plain.iter().map(|&p| u8::from(p)));
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut c = crate::spill::codec::Cursor::new(bytes);
        let hashes = c.slice::<u64>()?;
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let kinds = (0..n.min(bytes.len()))
            .map(|_| TermKind::from_u8(c.value::<u8>()?))
            .collect::<Option<Vec<_>>>()?;
        let starts = c.slice::<u32>()?;
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let figures = (0..n.min(bytes.len()))
            .map(|_| Some((c.value::<f64>()?, c.value::<u64>()?)))
            .collect::<Option<Vec<_>>>()?;
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let ranges = (0..n.min(bytes.len()))
            .map(|_| {
                let some = c.value::<u8>()? == 1;
                let (start, end, figures) =
                    (c.value::<u32>()?, c.value::<u32>()?, c.value::<u32>()?);
                Some(some.then_some((start..end, figures)))
            })
            .collect::<Option<Vec<_>>>()?;
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        let plain = (0..n.min(bytes.len()))
            .map(|_| Some(c.value::<u8>()? == 1))
            .collect::<Option<Vec<_>>>()?;
        // Every block's terms and figures within the arrays, so that no later slice of them
        // can fail on a damaged file.
        let fits = kinds.len() == hashes.len()
            && starts.len() == hashes.len()
            && ranges.iter().flatten().all(|(r, f)| {
                let (r, f) = (r.start as usize..r.end as usize, *f as usize);
                r.start <= r.end && r.end <= hashes.len() && {
                    let numbers = kinds[r].iter().filter(|&&k| k == TermKind::Number).count();
                    f.checked_add(numbers)
                        .is_some_and(|end| end <= figures.len())
                }
            });
        (c.is_done() && fits).then_some(BlockTerms {
            hashes,
            kinds,
            starts,
            figures,
            ranges,
            plain,
        })
    }
}

/// A document's blocks judged: [`classify_blocks`]'s verdicts, and what the judging read of
/// every block (its terms and its key), so that a later stage need not read it again.
#[derive(Debug, Clone, Default)]
pub struct BlockJudgement {
    /// Per block, why it is boilerplate, or `None` for content.
    pub verdicts: Vec<Option<BoilerplateReason>>,
    /// The terms of every block.
    pub terms: BlockTerms,
    /// Per block, its [`block_key`].
    pub keys: Vec<Option<u64>>,
    /// Per sentence, its [`block_key`] (of the sentence's text).
    pub sentence_keys: Vec<Option<u64>>,
}

/// Every block read once: its shape, its [`block_key`] and its terms, from one pass over its
/// words (shapes, keys and terms each read them apart, three passes of the tokenizer).
fn read_blocks(text: &str, seg: &Segmentation) -> BlockReading {
    let mut extractor = TermExtractor::new();
    let mut shapes = Vec::with_capacity(seg.blocks.len());
    let mut keys = Vec::with_capacity(seg.blocks.len());
    let mut sentence_keys = Vec::with_capacity(seg.sentences.len());
    let mut terms = BlockTerms {
        ranges: Vec::with_capacity(seg.blocks.len()),
        plain: Vec::with_capacity(seg.sentences.len()),
        ..BlockTerms::default()
    };
    for b in &seg.blocks {
        let block = b.span.of(text);
        let (start, figures) = (terms.hashes.len() as u32, terms.figures.len() as u32);
        extractor.for_each_term_at(block, |at, t, canonical| {
            terms.push(b.span.start + at, t, canonical);
        });
        terms
            .ranges
            .push(Some((start..terms.hashes.len() as u32, figures)));
        let mut key = WordingKey::default();
        let words = extractor.last_words().inspect(|w| key.add(w.hash));
        shapes.push(BlockShape::of_words(block, words));
        keys.push(key.finish());
        // Words and sentences are both in text order: one walk keys every sentence. A
        // sentence with a word of its block across one of its ends ("end.The") is keyed
        // alone: read alone, it has other words there.
        let mut words = extractor.last_words().peekable();
        for sentence in b.sentences.clone() {
            let span = seg.sentences[sentence];
            let first = span.start.saturating_sub(b.span.start);
            let last = span.end.saturating_sub(b.span.start);
            let mut key = WordingKey::default();
            let (mut whole, mut plain) = (true, true);
            while let Some(&w) = words.peek() {
                let (s, e) = (w.start, w.end);
                if s >= last {
                    break;
                }
                if e > first {
                    whole &= first <= s && e <= last;
                    key.add(w.hash);
                    plain &= !is_negation(w.normalized) && !has_clause_cut(&block[s..e]);
                }
                if e > last {
                    // It reaches into the next sentence too.
                    break;
                }
                words.next();
            }
            sentence_keys.push(match whole {
                true => key.finish(),
                false => block_key(span.of(text)),
            });
            terms.plain.push(whole && plain);
        }
    }
    BlockReading {
        shapes,
        keys,
        sentence_keys,
        terms,
    }
}

/// What [`read_blocks`] found.
struct BlockReading {
    shapes: Vec<BlockShape>,
    keys: Vec<Option<u64>>,
    sentence_keys: Vec<Option<u64>>,
    terms: BlockTerms,
}

/// [`classify_blocks`], keeping what it read of each block.
pub fn judge_blocks(text: &str, seg: &Segmentation) -> BlockJudgement {
    let BlockReading {
        shapes,
        keys,
        sentence_keys,
        terms,
    } = read_blocks(text, seg);
    let mut verdicts: Vec<Option<BoilerplateReason>> = shapes
        .iter()
        .map(|s| {
            if !s.has_word {
                Some(BoilerplateReason::Separator)
            } else if s.has_cue() {
                Some(BoilerplateReason::Cue)
            } else {
                None
            }
        })
        .collect();

    // Short blocks repeated verbatim within the document. Equal keys mean equal word counts,
    // so long blocks need no key.
    let mut seen: AHashMap<u64, usize> = AHashMap::new();
    let short_keys = keys
        .iter()
        .zip(&shapes)
        .filter(|(_, shape)| shape.words <= HEADLINE_MAX_WORDS)
        .filter_map(|(k, _)| *k);
    for k in short_keys {
        *seen.entry(k).or_default() += 1;
    }
    for (i, &key) in keys.iter().enumerate() {
        if verdicts[i].is_none()
            && shapes[i].words <= HEADLINE_MAX_WORDS
            && key.is_some_and(|k| seen.get(&k).copied().unwrap_or(0) > 1)
        {
            verdicts[i] = Some(BoilerplateReason::Repeated);
        }
    }

    // Menus and tag lists: three or more very short headline-shaped blocks in a row (section
    // headings never come three in a row), or one line of short items between bars or bullets.
    let short: Vec<bool> = (0..shapes.len())
        .map(|i| {
            verdicts[i].is_none() && shapes[i].is_headline() && shapes[i].words <= MENU_ITEM_WORDS
        })
        .collect();
    let mut i = 0;
    while i < shapes.len() {
        let mut j = i;
        while j < shapes.len() && short[j] {
            j += 1;
        }
        // The last short line before the article's text is its title or heading.
        let end = if j > i && j < shapes.len() && verdicts[j].is_none() {
            j - 1
        } else {
            j
        };
        if end >= i + 3 {
            for v in &mut verdicts[i..end] {
                *v = Some(BoilerplateReason::Menu);
            }
        }
        i = j.max(i + 1);
    }
    for (i, block) in seg.blocks.iter().enumerate() {
        if verdicts[i].is_none()
            && shapes[i].words <= HEADLINE_MAX_WORDS
            && is_item_list(block.span.of(text))
        {
            verdicts[i] = Some(BoilerplateReason::Menu);
        }
    }

    judge_in_context(&shapes, &mut verdicts);
    let last_list_item = keep_data_lists(&shapes, &mut verdicts);
    mark_comment_sections(&shapes, &mut verdicts);

    // Headline-shaped blocks after the last paragraph, or between separators.
    let last_paragraph = shapes
        .iter()
        .enumerate()
        .filter(|(i, s)| s.is_paragraph() && verdicts[*i].is_none())
        .map(|(i, _)| i)
        .next_back()
        .max(last_list_item);
    // Made when a headline first asks: no headline is marked before then, so it is made from
    // the verdicts as they stand before the loop.
    let mut body: Option<Vec<u64>> = None;
    let mut distinct: Vec<Term> = Vec::new();
    // Counted once: marking a headline below does not change its shape.
    let tail_count = tail_headlines(&shapes, &verdicts, last_paragraph);
    for i in 0..shapes.len() {
        // The context pass may have marked a related headline already; its reason is the
        // more telling one.
        let open = matches!(
            verdicts[i],
            None | Some(BoilerplateReason::NotProse) | Some(BoilerplateReason::AmongFurniture)
        );
        if !open || !shapes[i].is_headline() {
            continue;
        }
        let in_tail = last_paragraph.is_none_or(|p| i > p);
        let next_is_paragraph = (i + 1..shapes.len())
            .find(|&j| verdicts[j] != Some(BoilerplateReason::Separator))
            .is_some_and(|j| shapes[j].is_paragraph() && verdicts[j].is_none());
        let beside_separator = [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .any(|j| verdicts.get(j).copied().flatten() == Some(BoilerplateReason::Separator));
        let unrelated = {
            distinct.clear();
            distinct.extend(terms.of(i).into_iter().flatten());
            dedup_terms(&mut distinct);
            let body = body.get_or_insert_with(|| body_terms(&terms, &verdicts, last_paragraph));
            let known = distinct
                .iter()
                .filter(|t| body.binary_search(&t.hash).is_ok())
                .count();
            !distinct.is_empty() && (known as f64) < 0.5 * distinct.len() as f64
        };
        let tail_list = in_tail
            && last_paragraph.is_some()
            && (beside_separator || unrelated || tail_count >= 2);
        if tail_list || (beside_separator && !next_is_paragraph && unrelated) {
            verdicts[i] = Some(BoilerplateReason::RelatedHeadlines);
        }
    }
    BlockJudgement {
        verdicts,
        terms,
        keys,
        sentence_keys,
    }
}

/// A block's class before and during the neighbour rules (jusText's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Prose: long, with the function words of running text.
    Good,
    /// Furniture, by a rule above or by its shape.
    Bad,
    /// Too short to judge alone.
    Short,
    /// Prose-like but not long enough to be sure.
    NearGood,
}

/// For every block, the nearest class before it and after it that is not short (nor
/// near-good, with `skip_near`), or `edge` past the first or last block. One sweep each way,
/// so a page of many short lines costs no more than its length.
fn neighbours(classes: &[Class], skip_near: bool, edge: [Class; 2]) -> (Vec<Class>, Vec<Class>) {
    let skipped = |c: Class| c == Class::Short || (skip_near && c == Class::NearGood);
    let mut before = Vec::with_capacity(classes.len());
    let mut last = edge[0];
    for &c in classes {
        before.push(last);
        if !skipped(c) {
            last = c;
        }
    }
    let mut after = vec![edge[1]; classes.len()];
    let mut last = edge[1];
    for (i, &c) in classes.iter().enumerate().rev() {
        after[i] = last;
        if !skipped(c) {
            last = c;
        }
    }
    (before, after)
}

/// jusText's judgement of the blocks the rules above left open, by their shape and then by
/// their neighbours. Blocks the rules marked are furniture here too, and a `Repeated` or `Menu`
/// block alone between two prose blocks, or a short run of them, is taken back: a few lines
/// are a thin ground for cutting an article in two (an interview question asked of each
/// guest, a row of figures).
fn judge_in_context(shapes: &[BlockShape], verdicts: &mut [Option<BoilerplateReason>]) {
    // A page in a language the stop-word list does not cover has no density to read: judge
    // its blocks by length alone.
    let (mut sw, mut words) = (0, 0);
    for (s, v) in shapes.iter().zip(verdicts.iter()) {
        if v.is_none() && s.words >= LANGUAGE_MIN_WORDS {
            sw += s.stopwords;
            words += s.words.min(DENSITY_MAX_WORDS);
        }
    }
    let has_density = words > 0 && sw as f64 >= LANGUAGE_MIN_DENSITY * words as f64;
    let initial: Vec<Class> = shapes
        .iter()
        .zip(verdicts.iter())
        .map(|(s, v)| {
            let density = if has_density { s.density() } else { 1.0 };
            if v.is_some() {
                Class::Bad
            } else if s.chars < SHORT_MAX_CHARS {
                Class::Short
            } else if density < PROSE_MIN_DENSITY {
                Class::Bad
            } else if density >= GOOD_MIN_DENSITY && s.chars > GOOD_MIN_CHARS {
                Class::Good
            } else {
                Class::NearGood
            }
        })
        .collect();
    let initial = promote_near_good_runs(initial, shapes);
    // Without one prose block there is nothing to tell the article by: a short text is left
    // to the rules above.
    if !initial.contains(&Class::Good) {
        return;
    }
    // The page's edge counts as furniture (jusText) on a side that has some: a plain article
    // that ends on a short line ("He declined to comment.") keeps it.
    let first_good = initial.iter().position(|c| *c == Class::Good).unwrap_or(0);
    let last_good = initial.iter().rposition(|c| *c == Class::Good).unwrap_or(0);
    let edge_of = |range: &[Class]| {
        if range.contains(&Class::Bad) {
            Class::Bad
        } else {
            Class::Good
        }
    };
    let edge = [
        edge_of(&initial[..first_good]),
        edge_of(initial.get(last_good..).unwrap_or(&[])),
    ];
    let mut classes = initial.clone();
    // Headings: a short headline-shaped block shortly before prose.
    for i in 0..classes.len() {
        if classes[i] == Class::Short
            && shapes[i].is_headline()
            && good_within(&classes, shapes, i, HEADING_MAX_DISTANCE)
        {
            classes[i] = Class::NearGood;
        }
    }
    // Short blocks take the class of their neighbours; between prose and furniture, a
    // near-good block on the furniture side tips them to prose.
    let (before, after) = neighbours(&classes, true, edge);
    let (before_near, after_near) = neighbours(&classes, false, edge);
    let revised: Vec<Class> = (0..classes.len())
        .map(|i| {
            if classes[i] != Class::Short {
                return classes[i];
            }
            let (prev, next) = (before[i], after[i]);
            let near_good_between = (prev == Class::Bad && before_near[i] == Class::NearGood)
                || (next == Class::Bad && after_near[i] == Class::NearGood);
            if prev == Class::Good && next == Class::Good || (prev != next && near_good_between) {
                Class::Good
            } else {
                Class::Bad
            }
        })
        .collect();
    classes = revised;
    // Near-good blocks are prose unless furniture lies on both sides (in order: a revised
    // block counts for the next).
    // No short block is left, and every block before `i` is decided when `i` is: the one
    // before it is its neighbour; the ones after it are as they were.
    let (_, after) = neighbours(&classes, true, edge);
    for i in 0..classes.len() {
        if classes[i] == Class::NearGood {
            let prev = i.checked_sub(1).map_or(edge[0], |p| classes[p]);
            let next = after[i];
            classes[i] = if prev == Class::Bad && next == Class::Bad {
                Class::Bad
            } else {
                Class::Good
            };
        }
    }
    // Headings again: one that the neighbours made furniture is kept when prose follows.
    for i in 0..classes.len() {
        if classes[i] == Class::Bad
            && initial[i] != Class::Bad
            && shapes[i].is_headline()
            && good_within(&classes, shapes, i, HEADING_MAX_DISTANCE)
        {
            classes[i] = Class::Good;
        }
    }
    // A lone furniture block between two prose blocks is taken back, and so is a short run of
    // short lines that no cue or separator marks: the name, home town and question that open
    // each guest of an interview, a product's name and price in a buying guide. A run holding
    // a longer line (a teaser headline, a repeated summary) stays furniture: between comments
    // or teasers such runs are the furniture. Decided on
    // the classes before any is taken back, so that a run is never eaten from its ends.
    let mut between_prose = vec![false; classes.len()];
    let mut i = 0;
    while i < classes.len() {
        if classes[i] != Class::Bad {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < classes.len() && classes[j] == Class::Bad {
            j += 1;
        }
        let chars: usize = shapes[i..j].iter().map(|s| s.chars).sum();
        let unmarked = verdicts[i..j].iter().zip(&shapes[i..j]).all(|(v, s)| {
            s.chars < SHORT_MAX_CHARS
                && matches!(
                    v,
                    None | Some(BoilerplateReason::Repeated) | Some(BoilerplateReason::Menu)
                )
        });
        // Every block is good or bad by now: the neighbours are the blocks around the run.
        let prev = i.checked_sub(1).map_or(edge[0], |p| classes[p]);
        let next = classes.get(j).copied().unwrap_or(edge[1]);
        if prev == Class::Good
            && next == Class::Good
            && (j == i + 1 || (unmarked && chars <= INNER_RUN_MAX_CHARS))
        {
            for b in &mut between_prose[i..j] {
                *b = true;
            }
        }
        i = j;
    }
    for (i, v) in verdicts.iter_mut().enumerate() {
        match *v {
            None | Some(BoilerplateReason::Repeated) | Some(BoilerplateReason::Menu)
                if between_prose[i] =>
            {
                *v = None;
            }
            None if classes[i] == Class::Bad => {
                *v = Some(if initial[i] == Class::Bad {
                    BoilerplateReason::NotProse
                } else {
                    BoilerplateReason::AmongFurniture
                });
            }
            _ => {}
        }
    }
}

/// A run of near-good blocks (short ones may stand between them) that together pass
/// [`RUN_MIN_CHARS`] is prose: sites that cut every paragraph under [`GOOD_MIN_CHARS`]
/// (one or two sentences each) still write running text, and a caption or a repeated credit
/// line between such paragraphs would otherwise leave each one among furniture.
fn promote_near_good_runs(mut classes: Vec<Class>, shapes: &[BlockShape]) -> Vec<Class> {
    let mut i = 0;
    while i < classes.len() {
        if classes[i] != Class::NearGood {
            i += 1;
            continue;
        }
        let (mut j, mut near, mut chars) = (i, 0, 0);
        // Only closed sentences next to each other: a list of headlines, each with a line of
        // summary, is not prose.
        while j < classes.len() && classes[j] == Class::NearGood && shapes[j].closed {
            near += 1;
            chars += shapes[j].chars;
            j += 1;
        }
        if near >= RUN_MIN_BLOCKS && chars >= RUN_MIN_CHARS {
            for (c, shape) in classes[i..j].iter_mut().zip(&shapes[i..j]) {
                if *c == Class::NearGood && shape.closed {
                    *c = Class::Good;
                }
            }
        }
        i = j.max(i + 1);
    }
    classes
}

/// Is there a good block within `dist` characters after block `i`, with no furniture before
/// it? A heading is followed by its text, not by a menu.
fn good_within(classes: &[Class], shapes: &[BlockShape], i: usize, dist: usize) -> bool {
    let mut seen = 0;
    for j in i + 1..classes.len() {
        if seen > dist || classes[j] == Class::Bad {
            return false;
        }
        if classes[j] == Class::Good {
            return true;
        }
        seen += shapes[j].chars;
    }
    false
}

/// Is `text` a line of three or more short items between bars or bullets ("Home | World | Sport")?
fn is_item_list(text: &str) -> bool {
    let items: Vec<&str> = text.split(['|', '•', '·', '»']).map(str::trim).collect();
    items.len() >= 3
        && items
            .iter()
            .all(|item| item.split_whitespace().count() <= MENU_ITEM_WORDS)
}

/// Lists of facts after a paragraph of the article are content. An article can hold or end on
/// a list of data: tour dates, a meal plan, results, a product's specifications. Its items
/// are short and would read as furniture or related headlines, but most carry a figure (a
/// date, an amount, a score) and many a detail after a comma, which a list of links rarely
/// does: headlines seldom hold a number each. A list runs from a paragraph to the next
/// paragraph, cue or separator, and is judged as a whole, so a few footer lines after it do
/// not break it and a comment thread's dates alone do not make one; its items share their
/// first word ("June 9", "June 10"; "Eat", "Drink"), where a list of headlines starts each
/// one differently. Returns the last block of the last list kept: the article runs at least
/// that far.
fn keep_data_lists(
    shapes: &[BlockShape],
    verdicts: &mut [Option<BoilerplateReason>],
) -> Option<usize> {
    let mut last = None;
    let is_prose = |v: &Option<BoilerplateReason>, s: &BlockShape| v.is_none() && s.is_paragraph();
    let mut i = 0;
    while i < shapes.len() {
        if !is_prose(&verdicts[i], &shapes[i]) {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = (start..shapes.len())
            .find(|&j| {
                is_prose(&verdicts[j], &shapes[j])
                    || matches!(
                        verdicts[j],
                        Some(BoilerplateReason::Cue)
                            | Some(BoilerplateReason::Separator)
                            | Some(BoilerplateReason::Template)
                    )
            })
            .unwrap_or(shapes.len());
        let items = &shapes[start.min(end)..end];
        let digits = items.iter().filter(|s| s.digit).count();
        let commas = items.iter().filter(|s| s.comma).count();
        let mut leads: AHashMap<u64, usize> = AHashMap::new();
        for lead in items.iter().filter_map(|s| s.lead) {
            *leads.entry(lead).or_default() += 1;
        }
        let shared = items
            .iter()
            .filter(|s| {
                s.lead
                    .is_some_and(|l| leads.get(&l).copied().unwrap_or(0) > 1)
            })
            .count();
        if items.len() >= DATA_LIST_MIN_ITEMS
            && digits as f64 >= DATA_LIST_MIN_DIGIT_SHARE * items.len() as f64
            && commas as f64 >= DATA_LIST_MIN_COMMA_SHARE * items.len() as f64
            && shared as f64 >= DATA_LIST_MIN_SHARED_SHARE * items.len() as f64
        {
            for v in &mut verdicts[start..end] {
                *v = None;
            }
            last = Some(end - 1);
        }
        i = end.max(start);
    }
    last
}

/// What kind of comment furniture a short block is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommentMeta {
    /// A bare action link ("Reply", "Report"): embedded posts carry these too.
    Action,
    /// A byline, a time or a count: "Name says:", "3 hours ago", "12 comments",
    /// "Rating: 9 votes", "May 4, 2019 at 6:34 pm".
    Stamp,
}

/// Is this short block a comment's furniture, and of which kind?
fn comment_meta(shape: &BlockShape) -> Option<CommentMeta> {
    if shape.words == 0 || shape.words > COMMENT_META_MAX_WORDS {
        return None;
    }
    let line = shape.lower.trim();
    let words: Vec<&str> = line
        .split(|c: char| !c.is_alphanumeric() && c != ':')
        .filter(|w| !w.is_empty())
        .collect();
    let bare: Vec<&str> = words.iter().map(|w| w.trim_matches(':')).collect();
    let is_number = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit());
    let is_clock = |w: &str| {
        w.split_once(':')
            .is_some_and(|(h, m)| is_number(h) && h.len() <= 2 && m.len() == 2 && is_number(m))
    };
    const UNITS: &[&str] = &[
        "second", "seconds", "min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs",
        "day", "days", "week", "weeks", "month", "months", "year", "years",
    ];
    const ACTIONS: &[&str] = &[
        "reply",
        "like",
        "report",
        "flag",
        "permalink",
        "report abuse",
    ];
    const COUNTED: &[&str] = &[
        "comment", "comments", "reply", "replies", "like", "likes", "vote", "votes", "point",
        "points",
    ];
    // "Name says:", "Name wrote:"
    let says = line.ends_with("says:") || line.ends_with("says") || line.ends_with("wrote:");
    // "3 hours ago", "a day ago"
    let ago = bare.windows(3).any(|w| {
        (is_number(w[0]) || w[0] == "a" || w[0] == "an") && UNITS.contains(&w[1]) && w[2] == "ago"
    });
    // "Reply", "Report abuse"
    let action = ACTIONS.contains(&bare.join(" ").as_str());
    // "12 comments", "Rating: 9 votes"
    let count = shape.words <= 4 && shape.digit && bare.last().is_some_and(|w| COUNTED.contains(w));
    // "May 4, 2019 at 6:34 pm"
    let stamp = words
        .windows(2)
        .any(|w| is_clock(w[0]) && (w[1] == "am" || w[1] == "pm"));
    if says || ago || count || stamp {
        Some(CommentMeta::Stamp)
    } else if action {
        Some(CommentMeta::Action)
    } else {
        None
    }
}

/// Reader comments after the article are furniture, prose or not. A comment section is known
/// by its furniture recurring: from a comment line ([`comment_meta`]) after the article's
/// first paragraph, on through every next one within [`COMMENT_MAX_GAP`] blocks. It needs
/// [`COMMENT_MIN_META`] such lines, one of them more than a bare "Reply" or "Report" (an
/// embedded post carries those), so a byline's date or one link does not start one. The last
/// comment's text after its last line runs no longer than the longest stretch between two
/// comment lines of the section, and stops at the next furniture block. Teaser lists with
/// "2 hours ago" and "8 comments" under each headline are caught the same way.
fn mark_comment_sections(shapes: &[BlockShape], verdicts: &mut [Option<BoilerplateReason>]) {
    let Some(first_paragraph) =
        (0..shapes.len()).find(|&i| verdicts[i].is_none() && shapes[i].is_paragraph())
    else {
        return;
    };
    let metas: Vec<(usize, CommentMeta)> = (first_paragraph + 1..shapes.len())
        .filter_map(|i| comment_meta(&shapes[i]).map(|m| (i, m)))
        .collect();
    let mut k = 0;
    while k < metas.len() {
        let mut m = k;
        let mut longest_gap = 1;
        while m + 1 < metas.len() && metas[m + 1].0 - metas[m].0 <= COMMENT_MAX_GAP {
            longest_gap = longest_gap.max(metas[m + 1].0 - metas[m].0);
            m += 1;
        }
        let section = &metas[k..=m];
        if section.len() >= COMMENT_MIN_META
            && section.iter().any(|(_, kind)| *kind == CommentMeta::Stamp)
        {
            let (start, last) = (metas[k].0, metas[m].0);
            let mut end = last + 1;
            while end < shapes.len() && end - last < longest_gap && verdicts[end].is_none() {
                end += 1;
            }
            for v in &mut verdicts[start..end] {
                if v.is_none() {
                    *v = Some(BoilerplateReason::Comments);
                }
            }
        }
        k = m + 1;
    }
}

/// Headline-shaped blocks after the last paragraph.
fn tail_headlines(
    shapes: &[BlockShape],
    verdicts: &[Option<BoilerplateReason>],
    last_paragraph: Option<usize>,
) -> usize {
    let from = last_paragraph.map_or(0, |p| p + 1);
    (from..shapes.len())
        .filter(|&i| shapes[i].is_headline() && verdicts[i] != Some(BoilerplateReason::Separator))
        .count()
}

/// The hashes of the article body's terms: content blocks up to the last paragraph.
fn body_terms(
    terms: &BlockTerms,
    verdicts: &[Option<BoilerplateReason>],
    last_paragraph: Option<usize>,
) -> Vec<u64> {
    let end = last_paragraph.map_or(0, |p| p + 1);
    let mut hashes: Vec<u64> = (0..end.min(verdicts.len()))
        .filter(|&i| verdicts[i].is_none())
        .flat_map(|i| terms.of(i).into_iter().flatten())
        .map(|t| t.hash)
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// A key for a block's wording (normalized words, in order); `None` for fewer than two words.
pub fn block_key(text: &str) -> Option<u64> {
    let mut key = WordingKey::default();
    let mut buf = String::new();
    for_each_word(text, |_, w| {
        normalize_into(w, &mut buf);
        key.add(word_hash(&buf));
    });
    key.finish()
}

/// [`block_key`] made word by word, from each word's [`word_hash`] (made once for every word
/// read): a word costs one multiplication, where hashing the words' text again, as a stream,
/// was a tenth of reading a block.
#[derive(Default)]
struct WordingKey {
    state: u64,
    words: u64,
}

impl WordingKey {
    /// Add the next word, by the [`word_hash`] of its normalized form.
    fn add(&mut self, word_hash: u64) {
        // The word's position matters: each step mixes the state so far with the word.
        self.state = folded_multiply(self.state ^ word_hash, WORDING_MIX);
        self.words += 1;
    }

    /// The key, when two words or more were added.
    fn finish(self) -> Option<u64> {
        (self.words >= 2).then(|| folded_multiply(self.state ^ self.words, WORDING_FINISH))
    }
}

/// Odd 64-bit constants (from the digits of pi) that [`WordingKey`] mixes with.
const WORDING_MIX: u64 = 0x243f_6a88_85a3_08d3;
const WORDING_FINISH: u64 = 0x1319_8a2e_0370_7345;

/// The two halves of the full product of `x` and `k`, folded together: every bit of `x`
/// reaches every bit of the result.
fn folded_multiply(x: u64, k: u64) -> u64 {
    let product = u128::from(x) * u128::from(k);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Where block wordings occur across a corpus, to find templates: one flat 16-byte entry per
/// (block key, story, outlet) seen, sorted once when the templates are asked for (a table of
/// lists took about a hundred bytes a block, and most blocks occur once).
#[derive(Debug, Default)]
pub struct TemplateCounter {
    /// (block key, story, outlet or [`NO_OUTLET`]).
    places: Vec<(u64, u32, u32)>,
}

/// The outlet of a block whose document has none.
const NO_OUTLET: u32 = u32::MAX;

impl TemplateCounter {
    /// A new, empty counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record that a block with `key` occurs in a document of `story` from `outlet`.
    pub fn add(&mut self, key: u64, story: usize, outlet: Option<u32>) {
        // Stories are numbered below the number of documents, which a corpus held in memory
        // keeps under four billion (as its sentence references do).
        let story = u32::try_from(story).unwrap_or(u32::MAX);
        self.places.push((key, story, outlet.unwrap_or(NO_OUTLET)));
    }

    /// The keys of the templates: blocks found in three or more stories, or in two stories of
    /// one outlet.
    pub fn templates(mut self) -> AHashSet<u64> {
        use rayon::slice::ParallelSliceMut;
        self.places.par_sort_unstable();
        self.places.dedup();
        self.places
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| is_template(run))
            .map(|run| run[0].0)
            .collect()
    }
}

/// Is a block with the places `run` (one key's, sorted by story then outlet, without repeats)
/// a template?
fn is_template(run: &[(u64, u32, u32)]) -> bool {
    let first = run[0].1;
    let Some(second) = run.iter().map(|p| p.1).find(|&s| s != first) else {
        return false;
    };
    if run.iter().any(|p| p.1 != first && p.1 != second) {
        return true;
    }
    // Two stories: a template only if one outlet carries it in both. Each story's outlets are
    // sorted, so the two lists are merged.
    let outlets = |story: u32| {
        run.iter()
            .filter(move |p| p.1 == story && p.2 != NO_OUTLET)
            .map(|p| p.2)
    };
    let (mut a, mut b) = (outlets(first).peekable(), outlets(second).peekable());
    while let (Some(&x), Some(&y)) = (a.peek(), b.peek()) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => {
                a.next();
            }
            std::cmp::Ordering::Greater => {
                b.next();
            }
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::segment::segment;
    use proptest::prelude::*;

    /// Pieces of text where words, sentences and blocks meet in awkward ways.
    const PIECES: &[&str] = &[
        "The",
        "council",
        "approved",
        "it",
        "end.The",
        "U.S.",
        "3.5",
        "1,000",
        "don't",
        "e.g.",
        "Mr. Smith",
        "\"Yes.\"",
        "“Quoted.”",
        "(aside)",
        "—",
        "…",
        "'",
        "’s",
        "#tag",
        "@user",
        "日本語",
        "é",
        "e\u{301}",
        "🙂",
        "$50bn",
        "50%",
        ".",
        "!",
        "?",
        ". ",
        "! ",
        "? ",
        ";",
        ":",
        ",",
        " ",
        " ",
        " ",
        "\n",
        "\n\n",
        "a.b",
        "x1.y2",
        "Inc.",
        "No.",
        "A.",
        "b)",
        "5.Then",
        "c.\"D",
        "end.The",
    ];

    proptest! {
        /// What one reading of each block gives is what reading each part alone gives: its
        /// terms, its key, and the key of every sentence it does not leave to be read alone.
        #[test]
        fn one_reading_of_a_block_keys_its_sentences(
            picks in prop::collection::vec(0..PIECES.len(), 0..60),
        ) {
            let text: String = picks.iter().map(|&k| PIECES[k]).collect::<Vec<_>>().join(" ");
            let seg = segment(&text);
            let judged = judge_blocks(&text, &seg);
            let mut ex = TermExtractor::new();
            for (b, block) in seg.blocks.iter().enumerate() {
                let mut alone = Vec::new();
                ex.for_each_term(block.span.of(&text), |t| alone.push(t));
                prop_assert_eq!(judged.terms.of(b).map(Iterator::collect::<Vec<_>>), Some(alone));
                prop_assert_eq!(judged.keys[b], block_key(block.span.of(&text)));
            }
            prop_assert_eq!(judged.sentence_keys.len(), seg.sentences.len());
            for (k, span) in seg.sentences.iter().enumerate() {
                let alone = block_key(span.of(&text));
                prop_assert_eq!(judged.sentence_keys[k], alone, "sentence {:?}", span.of(&text));
            }
        }
    }

    fn verdicts(text: &str) -> Vec<(String, Option<BoilerplateReason>)> {
        let seg = segment(text);
        let v = classify_blocks(text, &seg);
        seg.blocks
            .iter()
            .map(|b| b.span.of(text).to_string())
            .zip(v)
            .collect()
    }

    const PARAGRAPH: &str = "The company said on Tuesday that it would cut 2,000 jobs at its \
        plants in Ohio and Michigan, blaming weaker demand for its trucks and higher costs.";

    #[test]
    fn block_terms_read_back_from_a_file_are_the_same() {
        use crate::spill::Spillable;
        let text = "Menu | Home\n\nAmazon said it would invest $50 billion, 2% of its cash.\n\nIt was not 1,000.";
        let seg = segment(text);
        let judged = judge_blocks(text, &seg);
        for terms in [judged.terms.clone(), judged.terms.keep_blocks(|b| b != 1)] {
            let mut bytes = Vec::new();
            terms.encode(&mut bytes);
            assert_eq!(BlockTerms::decode(&bytes), Some(terms.clone()));
            assert_eq!(BlockTerms::decode(&bytes[..bytes.len() - 1]), None);
            bytes.push(0);
            assert_eq!(BlockTerms::decode(&bytes), None, "a byte too many");
        }
        // A file that lost a figure is refused, not sliced past its end later.
        let mut damaged = judged.terms.clone();
        damaged.figures.pop();
        let mut bytes = Vec::new();
        damaged.encode(&mut bytes);
        assert_eq!(BlockTerms::decode(&bytes), None);
        // Blocks left out keep no terms; the others keep theirs, figures included.
        let kept = judged.terms.keep_blocks(|b| b != 1);
        assert!(kept.of(1).is_none());
        let figures = |t: &BlockTerms, b: usize| -> Vec<Option<(f64, u64)>> {
            t.kept(b).unwrap().map(|k| k.figure).collect()
        };
        assert_eq!(figures(&kept, 2), figures(&judged.terms, 2));
        assert!(figures(&kept, 2).iter().flatten().any(|f| f.0 == 1000.0));
    }

    #[test]
    fn cues_separators_and_related_headlines() {
        let text = format!(
            "Carmaker cuts jobs\n{PARAGRAPH}\nAlso Read: Stocks slide as bond yields jump\n\
             Quarterly results\n{PARAGRAPH} More later.\n-\nMine collapse in Congo kills 200\n\n-\n\
             Two injured players set to return for derby\nLeave a Reply"
        );
        let v = verdicts(&text);
        use BoilerplateReason::*;
        let got: Vec<Option<BoilerplateReason>> = v.iter().map(|x| x.1).collect();
        assert_eq!(
            got,
            [
                None,
                None,
                Some(Cue),
                None,
                None,
                Some(Separator),
                Some(RelatedHeadlines),
                Some(Separator),
                Some(RelatedHeadlines),
                Some(Cue)
            ],
            "{v:#?}"
        );
    }

    #[test]
    fn menus_and_item_lists_are_furniture_and_bylines_are_not() {
        let text = format!(
            "Home\nWorld\nBusiness\nSport\nCarmakers cut jobs\nBy Jane Doe | Senior Writer\n{PARAGRAPH}\n\
             Jobs\n{PARAGRAPH}\nTags: autos | jobs | Ohio | Michigan\nHome | About us | Contact"
        );
        use BoilerplateReason::*;
        let got: Vec<Option<BoilerplateReason>> = verdicts(&text).iter().map(|x| x.1).collect();
        assert_eq!(
            got,
            [
                Some(Menu),
                Some(Menu),
                Some(Menu),
                Some(Menu),
                None,
                None,
                None,
                None,
                None,
                Some(Cue),
                Some(Menu)
            ]
        );
    }

    #[test]
    fn short_quotes_and_long_paragraphs_mentioning_cues_stay_content() {
        let text = format!(
            "\"This is a masterstroke.\" — Marcus Chen\n{PARAGRAPH} Analysts said the newsletter \
             business and the cookie plant were spared, and the union would subscribe to the plan.\n\
             Investors rushed to subscribe to the offering.\nThe rule applies for all workers.\n\
             The cookie maker said sales rose."
        );
        assert!(verdicts(&text).iter().all(|(_, v)| v.is_none()));
    }

    /// A second paragraph, so that the article has a body of prose around its short lines.
    const PARAGRAPH_2: &str = "Union leaders said they had not been told of the plan before it \
        was announced and that they would meet the company next week to discuss what it means \
        for the workers at both of the plants.";

    #[test]
    fn lines_are_judged_by_their_neighbours() {
        let text = format!(
            "Home | World | Business | Sport\nSign in\n\
             Weather Traffic Video Opinion Markets Technology Autos Jobs Real Estate Classifieds\n\
             Carmaker cuts 2,000 jobs in the Midwest\nBy Jane Doe\n{PARAGRAPH}\n\
             \"We had no choice,\" he said.\n{PARAGRAPH_2}\n\
             Popular now\nRiver floods close the bridge at Grand Forks again\n\
             Senate vote on farm bill delayed until spring session\nAbout Us\n\
             Copyright 2026 Example Media. All rights reserved."
        );
        use BoilerplateReason::*;
        let v = verdicts(&text);
        let got: Vec<Option<BoilerplateReason>> = v.iter().map(|x| x.1).collect();
        assert_eq!(
            got,
            [
                Some(Menu),
                Some(AmongFurniture),
                Some(NotProse),
                None,
                None,
                None,
                None,
                None,
                Some(RelatedHeadlines),
                Some(RelatedHeadlines),
                Some(RelatedHeadlines),
                Some(AmongFurniture),
                Some(Cue)
            ],
            "{v:#?}"
        );
    }

    #[test]
    fn a_line_repeated_between_paragraphs_stays_and_short_texts_are_left_alone() {
        let text = format!(
            "What did you cook first?\n{PARAGRAPH}\nWhat did you cook first?\n{PARAGRAPH_2}"
        );
        let v = verdicts(&text);
        assert_eq!(v[0].1, Some(BoilerplateReason::Repeated), "{v:#?}");
        assert_eq!(v[2].1, None, "{v:#?}");
        // No prose block: nothing to judge the lines by.
        let short = "Storm warning\nSchools closed on Friday\nRoads icy in the north";
        assert!(verdicts(short).iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn short_paragraphs_in_a_row_are_prose_between_captions() {
        // Every paragraph under the good bar; captions and credits repeated between them.
        let text = format!(
            "Home | World | Business | Sport\nSign in\n{PARAGRAPH}\nImage copyright Example Agency\n\
             Photo credit: Example Agency\n\
             The mayor said the bridge would reopen next week, once the repairs to its deck and \
             railings were done.\n\
             Engineers found cracks in two of the steel beams during a routine check at the end \
             of the summer.\n\
             Traffic has been sent through the town centre since the start of the month, and \
             shops there say trade is up.\n\
             Photo credit: Example Agency\n{PARAGRAPH_2}"
        );
        let v = verdicts(&text);
        for k in 5..=7 {
            assert_eq!(v[k].1, None, "{v:#?}");
        }
    }

    #[test]
    fn a_short_run_of_repeated_lines_between_paragraphs_stays() {
        // An interview: each guest opens with a name, a home town and the same question.
        let text = format!(
            "Home | World | Business | Sport\n{PARAGRAPH}\nAnna Berg\nLives in Hamburg\n\
             What made you start cooking?\n{PARAGRAPH_2}\nJonas Weber\nLives in Hamburg\n\
             What made you start cooking?\n{PARAGRAPH}"
        );
        let v = verdicts(&text);
        assert!(v[2..].iter().all(|(_, r)| r.is_none()), "{v:#?}");
    }

    #[test]
    fn a_list_of_facts_after_the_last_paragraph_is_content() {
        let text = format!(
            "Home | World | Business | Sport\n{PARAGRAPH}\n{PARAGRAPH_2}\nThe band plays:\n\
             March 3 - Arena North, Leeds, UK\nMarch 5 - Hall of Song, York, UK\n\
             March 9 - The Dome, Hull, UK\nApril 2 - Old Mill, Bath, UK\n\
             April 6 - Riverside, Exeter, UK\nShare this article\n\
             Storm closes 3 schools in the north\nVoters head to the polls in 2 towns\n\
             Budget deficit widens for 4th month"
        );
        let v = verdicts(&text);
        for k in 3..=8 {
            assert_eq!(v[k].1, None, "{v:#?}");
        }
        // Related headlines after the share line: figures, but no shared start nor commas.
        for k in 10..=12 {
            assert_eq!(v[k].1, Some(BoilerplateReason::RelatedHeadlines), "{v:#?}");
        }
        // The same dates starting each with another word are not a list of facts.
        let text = format!(
            "{PARAGRAPH}\n{PARAGRAPH_2}\nOn March 3, Leeds\nBy March 5, York\nSee March 9, Hull\n\
             Last April 2, Bath"
        );
        let v = verdicts(&text);
        assert!(v[2..].iter().all(|(_, r)| r.is_some()), "{v:#?}");
    }

    #[test]
    fn a_comment_section_is_furniture_even_when_it_reads_as_prose() {
        let comment = "I have driven past that plant every day for twenty years and I never \
            thought they would close the night shift, it is a sad day for the whole town.";
        let text = format!(
            "{PARAGRAPH}\n{PARAGRAPH_2}\n2 comments\njane_d says:\nMay 4, 2026 at 6:34 pm\n\
             {comment}\nReply\ntom77 says:\nMay 4, 2026 at 7:02 pm\n{comment}\nReply"
        );
        let v = verdicts(&text);
        assert_eq!(v[1].1, None, "{v:#?}");
        for k in 2..v.len() {
            assert_eq!(v[k].1, Some(BoilerplateReason::Comments), "{v:#?}");
        }
        // Bare "Report" links under embedded posts do not make a comment section.
        let text = format!(
            "{PARAGRAPH}\nA post by the union\nReport\nA post by the mayor\nReport\n\
             A post by the governor\nReport\n{PARAGRAPH_2}"
        );
        let v = verdicts(&text);
        assert_eq!(v.last().map(|x| x.1), Some(None), "{v:#?}");
        assert!(v
            .iter()
            .all(|(_, r)| *r != Some(BoilerplateReason::Comments)));
    }

    #[test]
    fn templates_need_several_stories_or_one_outlet_twice() {
        let templates = |places: &[(u64, usize, Option<u32>)]| {
            let mut t = TemplateCounter::new();
            for &(key, story, outlet) in places {
                t.add(key, story, outlet);
            }
            let mut keys: Vec<u64> = t.templates().into_iter().collect();
            keys.sort_unstable();
            keys
        };
        let one_story = [(1, 0, Some(7)), (1, 0, Some(8)), (1, 0, Some(8))];
        assert_eq!(
            templates(&one_story),
            [0u64; 0],
            "shared wire copy, not a template"
        );
        let two_outlets = [
            (1, 0, Some(7)),
            (1, 0, Some(8)),
            (1, 1, Some(9)),
            (1, 1, None),
        ];
        assert_eq!(
            templates(&two_outlets),
            [0u64; 0],
            "two stories, different outlets"
        );
        let mut three = two_outlets.to_vec();
        three.push((1, 2, None));
        assert_eq!(templates(&three), [1]);
        let one_outlet_twice = [(2, 5, Some(3)), (2, 0, Some(3)), (4, 0, None), (4, 1, None)];
        assert_eq!(
            templates(&one_outlet_twice),
            [2],
            "no outlet is no outlet in common"
        );
        // Merged outlet lists: the common outlet is the last of one story, the first of the other.
        let late = [
            (6, 0, Some(1)),
            (6, 0, Some(2)),
            (6, 0, Some(9)),
            (6, 1, Some(9)),
        ];
        assert_eq!(templates(&late), [6]);
        assert!(block_key("a").is_none());
        assert_eq!(block_key("Leave a Reply"), block_key("LEAVE a  reply"));
    }
}
