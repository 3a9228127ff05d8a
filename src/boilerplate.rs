//! Tell site furniture from content, one block (line or paragraph) at a time.
//!
//! A block is judged on its own evidence first, which is all there is in a handful of articles:
//! a separator with no words; a short block with a furniture cue ("Also Read:", "Leave a Reply",
//! "Advertisement", a newsletter pitch, share buttons); a headline-shaped line repeated within
//! the document; a run of headline-shaped lines after the article's last paragraph (related
//! stories). A headline-shaped line followed by a paragraph is a section heading and stays
//! content, and so does a short sentence inside a paragraph of quotes: the judgement is per
//! block, never per sentence. On a corpus, [`TemplateCounter`] adds what only repetition shows:
//! a block found in several stories, or in two stories of one outlet, is a template.

use crate::segment::Segmentation;
use crate::terms::{is_stopword, Term, TermExtractor};
use crate::tokenize::{for_each_word, normalize_into};
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

/// What the classifier measured of one block.
#[derive(Debug, Clone)]
struct BlockShape {
    words: usize,
    stopwords: usize,
    has_word: bool,
    closed: bool,
    lower: String,
}

impl BlockShape {
    fn of(text: &str) -> Self {
        let mut words = 0;
        let mut stopwords = 0;
        let mut buf = String::new();
        let mut lower = String::new();
        for_each_word(text, |_, w| {
            words += 1;
            // Stop words only matter to headlines, which are short.
            if words <= HEADLINE_MAX_WORDS {
                normalize_into(w, &mut buf);
                if is_stopword(&buf) {
                    stopwords += 1;
                }
            }
        });
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
            has_word: words > 0,
            closed,
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

/// Judge every block of a document on its own evidence: `Some(reason)` for boilerplate.
pub fn classify_blocks(text: &str, seg: &Segmentation) -> Vec<Option<BoilerplateReason>> {
    judge_blocks(text, seg).verdicts
}

/// The terms of some blocks of a document, as [`TermExtractor::for_each_term`] gives them,
/// kept so that a later stage need not extract them again.
#[derive(Debug, Clone, Default)]
pub struct BlockTerms {
    terms: Vec<Term>,
    /// Per block, its range in `terms` when it was extracted.
    ranges: Vec<Option<Range<usize>>>,
}

impl BlockTerms {
    /// The terms of block `block`, if they were kept.
    pub fn of(&self, block: usize) -> Option<&[Term]> {
        let range = self.ranges.get(block)?.clone()?;
        self.terms.get(range)
    }
}

/// A document's blocks judged: [`classify_blocks`]'s verdicts, and the terms the judging
/// extracted (the article body's).
#[derive(Debug, Clone, Default)]
pub struct BlockJudgement {
    /// Per block, why it is boilerplate, or `None` for content.
    pub verdicts: Vec<Option<BoilerplateReason>>,
    /// The terms of the body blocks, extracted on the way.
    pub terms: BlockTerms,
}

/// [`classify_blocks`], keeping the terms it extracted.
pub fn judge_blocks(text: &str, seg: &Segmentation) -> BlockJudgement {
    let shapes: Vec<BlockShape> = seg
        .blocks
        .iter()
        .map(|b| BlockShape::of(b.span.of(text)))
        .collect();
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
    let keys: Vec<Option<u64>> = seg
        .blocks
        .iter()
        .zip(&shapes)
        .map(|(b, shape)| {
            (shape.words <= HEADLINE_MAX_WORDS)
                .then(|| block_key(b.span.of(text)))
                .flatten()
        })
        .collect();
    for k in keys.iter().flatten() {
        *seen.entry(*k).or_default() += 1;
    }
    for (i, key) in keys.iter().enumerate() {
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

    // Headline-shaped blocks after the last paragraph, or between separators.
    let last_paragraph = shapes
        .iter()
        .enumerate()
        .filter(|(i, s)| s.is_paragraph() && verdicts[*i].is_none())
        .map(|(i, _)| i)
        .next_back();
    let terms = body_terms(text, seg, &verdicts, last_paragraph);
    let body_terms: AHashSet<u64> = terms.terms.iter().map(|t| t.hash).collect();
    let mut extractor = TermExtractor::new();
    // Counted once: marking a headline below does not change its shape.
    let tail_count = tail_headlines(&shapes, &verdicts, last_paragraph);
    for i in 0..shapes.len() {
        if verdicts[i].is_some() || !shapes[i].is_headline() {
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
            let terms = extractor.distinct_terms(seg.blocks[i].span.of(text));
            let known = terms
                .iter()
                .filter(|t| body_terms.contains(&t.hash))
                .count();
            !terms.is_empty() && (known as f64) < 0.5 * terms.len() as f64
        };
        let tail_list = in_tail
            && last_paragraph.is_some()
            && (beside_separator || unrelated || tail_count >= 2);
        if tail_list || (beside_separator && !next_is_paragraph && unrelated) {
            verdicts[i] = Some(BoilerplateReason::RelatedHeadlines);
        }
    }
    BlockJudgement { verdicts, terms }
}

/// Is `text` a line of three or more short items between bars or bullets ("Home | World | Sport")?
fn is_item_list(text: &str) -> bool {
    let items: Vec<&str> = text.split(['|', '•', '·', '»']).map(str::trim).collect();
    items.len() >= 3
        && items
            .iter()
            .all(|item| item.split_whitespace().count() <= MENU_ITEM_WORDS)
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

/// Terms of the article body: content blocks up to the last paragraph.
fn body_terms(
    text: &str,
    seg: &Segmentation,
    verdicts: &[Option<BoilerplateReason>],
    last_paragraph: Option<usize>,
) -> BlockTerms {
    let mut extractor = TermExtractor::new();
    let mut out = BlockTerms {
        terms: Vec::new(),
        ranges: vec![None; seg.blocks.len()],
    };
    let end = last_paragraph.map_or(0, |p| p + 1);
    for (i, block) in seg.blocks.iter().enumerate().take(end) {
        if verdicts[i].is_none() {
            let start = out.terms.len();
            extractor.for_each_term(block.span.of(text), |t| out.terms.push(t));
            out.ranges[i] = Some(start..out.terms.len());
        }
    }
    out
}

/// A key for a block's wording (normalized words, in order); `None` for fewer than two words.
pub fn block_key(text: &str) -> Option<u64> {
    let mut hasher = Xxh3::new();
    let mut buf = String::new();
    let mut words = 0;
    for_each_word(text, |_, w| {
        normalize_into(w, &mut buf);
        hasher.update(buf.as_bytes());
        hasher.update(b" ");
        words += 1;
    });
    (words >= 2).then(|| hasher.digest())
}

/// Counts where each block's wording occurs across a corpus, to find templates.
#[derive(Debug, Default)]
pub struct TemplateCounter {
    /// Per block key: (story, outlet) pairs it was seen in, deduplicated.
    seen: AHashMap<u64, Vec<(usize, Option<u32>)>>,
}

impl TemplateCounter {
    /// A new, empty counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record that a block with `key` occurs in a document of `story` from `outlet`.
    pub fn add(&mut self, key: u64, story: usize, outlet: Option<u32>) {
        let places = self.seen.entry(key).or_default();
        if !places.contains(&(story, outlet)) {
            places.push((story, outlet));
        }
    }

    /// Is the block with `key` a template: found in three or more stories, or in two stories
    /// of one outlet?
    pub fn is_template(&self, key: u64) -> bool {
        let Some(places) = self.seen.get(&key) else {
            return false;
        };
        let mut stories: Vec<usize> = places.iter().map(|p| p.0).collect();
        stories.sort_unstable();
        stories.dedup();
        if stories.len() >= 3 {
            return true;
        }
        if stories.len() < 2 {
            return false;
        }
        // Two stories: a template only if one outlet carries it in both.
        let mut by_outlet: AHashMap<u32, Vec<usize>> = AHashMap::new();
        for &(story, outlet) in places {
            if let Some(o) = outlet {
                by_outlet.entry(o).or_default().push(story);
            }
        }
        by_outlet.values().any(|s| {
            let mut s = s.clone();
            s.sort_unstable();
            s.dedup();
            s.len() >= 2
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::segment;

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

    #[test]
    fn templates_need_several_stories_or_one_outlet_twice() {
        let mut t = TemplateCounter::new();
        t.add(1, 0, Some(7));
        t.add(1, 0, Some(8));
        assert!(
            !t.is_template(1),
            "one story: shared wire copy, not a template"
        );
        t.add(1, 1, Some(9));
        assert!(
            !t.is_template(1),
            "two stories, different outlets: coincidence"
        );
        t.add(1, 2, None);
        assert!(t.is_template(1));
        t.add(2, 0, Some(3));
        t.add(2, 5, Some(3));
        assert!(t.is_template(2));
        assert!(block_key("a").is_none());
        assert_eq!(block_key("Leave a Reply"), block_key("LEAVE a  reply"));
    }
}
