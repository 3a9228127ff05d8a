//! Content terms of a span of text: the features that survive a rewrite.
//!
//! Rewrites of one story keep names, figures and the rarer content words while changing the
//! words around them, so a term is a stemmed content word (stopwords dropped, case folded) or a
//! number with its unit made canonical: "$50 billion", "$50B", "50 billion dollars" and
//! "50 bln dlrs" are all the term `#5e10usd`; "16,000" and "16000" are `#16000`; "4.5 pct" and
//! "4.5%" are `#4.5%`. A short table of near-exact news synonyms ("talks", "discussions",
//! "negotiations") maps each group to one stem. A figure that differs ("14 billion dollars" against "14,000 layoffs") is a
//! different term, which is what keeps same-topic sentences with different facts apart.

use crate::sketch::tokenize::{for_each_word, normalize_into};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// What kind of term a [`Term`] is; names and figures identify an event better than words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TermKind {
    /// A content word.
    Word,
    /// A capitalised word inside a sentence: a name.
    Name,
    /// A number (with its unit, if any).
    Number,
    /// A four-digit year without a unit.
    Year,
}

impl TermKind {
    /// The kind whose `as u8` is `byte`.
    pub(crate) fn from_u8(byte: u8) -> Option<Self> {
        [
            TermKind::Word,
            TermKind::Name,
            TermKind::Number,
            TermKind::Year,
        ]
        .into_iter()
        .find(|k| *k as u8 == byte)
    }
}

/// One content term: a hash of its canonical form, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Term {
    /// xxh3 of the canonical form.
    pub hash: u64,
    /// Its kind.
    pub kind: TermKind,
}

const TERM_SEED: u64 = 0x7265_7072_696e_7431;

/// Common English words that carry no content (function words, reporting verbs, generic
/// quantifiers); dropping them is what lets a reworded sentence keep its terms.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "same",
    "says",
    "said",
    "say",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "to",
    "too",
    "told",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "according",
    "around",
    "approximately",
    "roughly",
    "about",
    "nearly",
    "almost",
    "some",
    "another",
    "many",
    "several",
    "still",
    "already",
    "well",
    "mr",
    "mrs",
    "ms",
    "s",
    "t",
    "re",
    "ve",
    "ll",
    "d",
    "m",
    "don",
    "didn",
    "doesn",
    "isn",
    "wasn",
    "weren",
    "won",
    "wouldn",
    "can't",
    "it's",
    "that's",
    "there's",
    "they're",
    "we're",
    "he's",
    "she's",
    "i'm",
    "i've",
    "you're",
    "reportedly",
    "report",
    "reports",
    "reported",
    "new",
    "last",
    "next",
    "first",
    "two",
    "three",
];

/// Capitalised words that name no one in particular ("Diamond Shamrock Corp", "Union Oil Co").
const COMPANY_SUFFIXES: &[&str] = &[
    "corp",
    "inc",
    "co",
    "ltd",
    "llc",
    "plc",
    "group",
    "ag",
    "sa",
    "nv",
    "compan",
    "holding",
    "oil",
    "bank",
    "ceo",
    "chief",
    "president",
    "minister",
    "mr",
    "mrs",
    "dr",
];

/// Groups of news words that rewrites swap for one another, as stems; each maps to the first.
/// Kept to near-exact substitutes: a synonym that changes the fact ("rose" for "soared" is
/// fine, "bought" for "sold" is not) does not belong here.
const SYNONYMS: &[&[&str]] = &[
    &["talk", "discussion", "negotiation"],
    &["cut", "slash", "trim", "reduc", "lower"],
    &["buy", "acquir", "purchas"],
    &["acquisition", "takeover"],
    &["rise", "rose", "increas", "climb", "gain", "jump"],
    &["fall", "fell", "drop", "declin", "slid", "slide"],
    &["kill", "dead", "death", "die", "died"],
    &["injur", "wound", "hurt"],
    &["company", "firm"],
    &["employe", "worker", "staff"],
    &["earthquak", "quak", "tremor"],
    &["car", "vehicl", "automobil"],
    &["lawmaker", "legislator"],
    &["ban", "prohibit"],
    &["start", "begin", "began"],
    &["end", "finish", "conclud"],
];

/// The canonical stem of a stem's synonym group and its [`term_hash`], given the stem and its
/// hash; the stem itself when it is in no group.
#[inline]
fn canonical_synonym(stem: &str, hash: u64) -> (&str, u64) {
    // Asked of every content word, whose term hash is made anyway: looked up by that hash
    // (then confirmed by the text), so no second hash of the stem is made.
    static CANONICAL: std::sync::OnceLock<HashedWords<(&'static str, u64)>> =
        std::sync::OnceLock::new();
    let canonical = CANONICAL.get_or_init(|| {
        // The first group that holds a word decides, as the scan it replaces did: the table
        // keeps the first of a word given twice.
        let words = SYNONYMS.iter().flat_map(|group| {
            group[1..]
                .iter()
                .map(|&word| (word, (group[0], term_hash(group[0]))))
        });
        HashedWords::new(words.collect(), term_hash)
    });
    canonical.get(stem, hash).copied().unwrap_or((stem, hash))
}

/// A small fixed set of words, each with a value, looked up by a hash of the word made by the
/// caller (who needs it anyway) and confirmed by the word itself, so a lookup costs no hashing
/// and, for most words, one comparison of two integers.
struct HashedWords<V> {
    /// Open addressing by the hash's top bits, at most a quarter full: (hash, word, value), an
    /// empty word marking a free slot.
    slots: Vec<(u64, &'static str, V)>,
    /// Bits of the hash that pick the first slot.
    bits: u32,
}

impl<V: Copy + Default> HashedWords<V> {
    /// The set of `words` (none empty; of a word given twice, the first), hashed by `hash`.
    fn new(words: Vec<(&'static str, V)>, hash: fn(&str) -> u64) -> Self {
        let bits = (words.len() * 4)
            .next_power_of_two()
            .trailing_zeros()
            .max(4);
        let mut slots = vec![(0, "", V::default()); 1 << bits];
        for (word, value) in words {
            let h = hash(word);
            let mut k = (h >> (64 - bits)) as usize;
            while !slots[k].1.is_empty() && slots[k].1 != word {
                k = (k + 1) & (slots.len() - 1);
            }
            if slots[k].1.is_empty() {
                slots[k] = (h, word, value);
            }
        }
        HashedWords { slots, bits }
    }

    /// The value of `word`, whose hash is `hash`.
    #[inline]
    fn get(&self, word: &str, hash: u64) -> Option<&V> {
        let mut k = (hash >> (64 - self.bits)) as usize;
        loop {
            let (h, w, ref value) = self.slots[k];
            if w.is_empty() {
                return None;
            }
            if h == hash && w == word {
                return Some(value);
            }
            k = (k + 1) & (self.slots.len() - 1);
        }
    }
}

/// Scale words and suffixes, as powers of ten.
#[inline]
fn scale_of(word: &str) -> Option<i32> {
    // Asked of every word: the first letter rules most out before any comparison.
    if !matches!(word.as_bytes().first(), Some(b't' | b'k' | b'm' | b'b')) {
        return None;
    }
    Some(match word {
        "thousand" | "k" => 3,
        "million" | "millions" | "mln" | "mn" | "m" | "mio" => 6,
        "billion" | "billions" | "bln" | "bn" | "b" => 9,
        "trillion" | "trillions" | "tn" | "trn" => 12,
        _ => return None,
    })
}

/// Currency words and codes.
fn currency_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "dollar" | "dollars" | "dlr" | "dlrs" | "usd" | "us$" => "usd",
        "euro" | "euros" | "eur" => "eur",
        "pound" | "pounds" | "sterling" | "stg" | "gbp" => "gbp",
        "yen" | "jpy" => "jpy",
        "yuan" | "cny" | "renminbi" => "cny",
        "rupee" | "rupees" | "inr" | "rs" => "inr",
        _ => return None,
    })
}

pub(crate) fn currency_symbol(c: char) -> Option<&'static str> {
    Some(match c {
        '$' => "usd",
        '€' => "eur",
        '£' => "gbp",
        '¥' => "jpy",
        '₹' => "inr",
        _ => return None,
    })
}

/// Is `word` a stopword (already normalized)?
pub fn is_stopword(word: &str) -> bool {
    is_stopword_hashed(word, word_hash(word))
}

/// [`is_stopword`] of a word whose [`word_hash`] is `hash`.
#[inline]
pub(crate) fn is_stopword_hashed(word: &str, hash: u64) -> bool {
    // Asked for every word of every block, whose hash is made anyway.
    static SET: std::sync::OnceLock<HashedWords<()>> = std::sync::OnceLock::new();
    SET.get_or_init(|| HashedWords::new(STOPWORDS.iter().map(|&w| (w, ())).collect(), word_hash))
        .get(word, hash)
        .is_some()
}

/// The hash of a normalized word, made once for each word read: stopwords are looked up by it
/// and wording keys are made of it.
#[inline]
pub fn word_hash(normalized: &str) -> u64 {
    xxh3_64(normalized.as_bytes())
}

/// A light English stemmer: plural, past and gerund endings and "-ly", enough for rewrites
/// ("negotiations" ~ "negotiation", "invested" ~ "invest") without Porter's cost.
#[inline]
pub fn stem(word: &str) -> &str {
    let mut w = word;
    if w.len() > 4 && w.ends_with("ies") {
        // "companies" and "company" meet at "compan".
        return &w[..w.len() - 3];
    }
    if w.len() > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
    {
        w = &w[..w.len() - 1];
    }
    if w.len() > 5 && w.ends_with("ly") {
        w = &w[..w.len() - 2];
    }
    if w.len() > 5 && w.ends_with("ing") {
        w = &w[..w.len() - 3];
    } else if w.len() > 4 && w.ends_with("ed") {
        w = &w[..w.len() - 2];
    }
    if w.len() > 3 && w.ends_with('y') {
        return &w[..w.len() - 1];
    }
    if w.len() > 4 && w.ends_with('e') {
        w = &w[..w.len() - 1];
    }
    w
}

/// A number parsed from a word: its value and whether it carried a percent sign.
fn parse_number(word: &str) -> Option<f64> {
    let first = word.chars().next()?;
    if !first.is_ascii_digit() {
        return None;
    }
    let digits: String = word.chars().filter(|&c| c != ',').collect();
    digits.parse::<f64>().ok()
}

/// Split a word such as "50B" or "2.5bn" into a number and a scale.
#[inline]
fn number_with_suffix(word: &str) -> Option<(f64, Option<i32>)> {
    let split = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(word.len());
    let (num, suffix) = word.split_at(split);
    let value = parse_number(num)?;
    if suffix.is_empty() {
        return Some((value, None));
    }
    scale_of(&suffix.to_ascii_lowercase()).map(|s| (value, Some(s)))
}

/// The canonical form of a value with its unit: three significant digits of the mantissa.
fn canonical_number(value: f64, unit: &str, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    if value == 0.0 || !value.is_finite() {
        let _ = write!(out, "#0{unit}");
        return;
    }
    let exp = value.abs().log10().floor() as i32;
    let mantissa = (value / 10f64.powi(exp) * 100.0).round() / 100.0;
    let _ = write!(out, "#{mantissa}e{exp}{unit}");
}

/// Extracts [`Term`]s from text; keeps its buffers between calls.
#[derive(Debug, Default)]
pub struct TermExtractor {
    words: Vec<(usize, usize)>,
    /// Every word's normalized form, one after the other (a string per word cost an
    /// allocation per word of each text's first read).
    normalized: String,
    /// Each word's facts, made once for everyone who reads the words
    /// ([`TermExtractor::last_words`]).
    facts: Vec<WordFacts>,
    /// A word normalized on the general path, before it joins `normalized`.
    scratch: String,
    canonical: String,
}

/// What a [`TermExtractor`] knows of each word it read, besides where it is.
#[derive(Debug, Clone, Copy)]
struct WordFacts {
    /// Where its normalized form ends in the extractor's `normalized` (it starts where the
    /// word before's ends).
    end: u32,
    /// The [`word_hash`] of its normalized form.
    hash: u64,
    /// Whether it is a stopword.
    stopword: bool,
}

/// The normalized form of word `i` among those whose `facts` are given, in `normalized`.
#[inline]
fn normalized_word<'a>(normalized: &'a str, facts: &[WordFacts], i: usize) -> &'a str {
    let start = i.checked_sub(1).map_or(0, |p| facts[p].end as usize);
    &normalized[start..facts[i].end as usize]
}

impl TermExtractor {
    /// A new extractor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Call `f` with every content term of `text` in order (repeats included).
    pub fn for_each_term(&mut self, text: &str, mut f: impl FnMut(Term)) {
        self.for_each_term_text(text, |t, _| f(t));
    }

    /// Like [`TermExtractor::for_each_term`], with each term's canonical text (a stem, or a
    /// number such as `#5e10usd`).
    pub fn for_each_term_text(&mut self, text: &str, mut f: impl FnMut(Term, &str)) {
        self.for_each_term_at(text, |_, t, canonical| f(t, canonical));
    }

    /// Like [`TermExtractor::for_each_term_text`], with the byte offset in `text` where each
    /// term's (first) word starts.
    pub fn for_each_term_at(&mut self, text: &str, mut f: impl FnMut(usize, Term, &str)) {
        self.words.clear();
        for_each_word(text, |start, word| {
            self.words.push((start, start + word.len()))
        });
        self.normalized.clear();
        self.facts.clear();
        for &(s, e) in &self.words {
            let (word, before) = (&text[s..e], self.normalized.len());
            // What `normalize_into` gives, written in place for the common case.
            if word.is_ascii() {
                self.normalized.push_str(word);
                self.normalized[before..].make_ascii_lowercase();
            } else {
                normalize_into(word, &mut self.scratch);
                self.normalized.push_str(&self.scratch);
            }
            let norm = &self.normalized[before..];
            let hash = word_hash(norm);
            self.facts.push(WordFacts {
                end: self.normalized.len() as u32,
                hash,
                stopword: is_stopword_hashed(norm, hash),
            });
        }
        let norm_of = |i: usize| normalized_word(&self.normalized, &self.facts, i);
        let mut i = 0;
        while i < self.words.len() {
            let (s, e) = self.words[i];
            let word = &text[s..e];
            let norm = norm_of(i);
            if let Some((value, suffix_scale)) = number_with_suffix(word) {
                // A currency symbol just before ("$50", "$ 50", "US$50").
                let before = text[..s].trim_end();
                let mut currency = before.chars().next_back().and_then(currency_symbol);
                let mut percent = text[e..].starts_with('%') || text[e..].starts_with(" %");
                let mut scale = suffix_scale.unwrap_or(0);
                let mut j = i + 1;
                // Scale and unit words that follow ("50 billion dollars", "4.5 pct").
                while j < self.words.len() && j <= i + 3 {
                    let (ns, _) = self.words[j];
                    let gap = &text[self.words[j - 1].1..ns];
                    if gap.chars().any(|c| !c.is_whitespace()) {
                        break;
                    }
                    let next = norm_of(j);
                    if let Some(s) = scale_of(next).filter(|_| suffix_scale.is_none() && scale == 0)
                    {
                        scale = s;
                    } else if let Some(c) = currency_of(next).filter(|_| currency.is_none()) {
                        currency = Some(c);
                    } else if matches!(next, "pct" | "percent") && !percent {
                        percent = true;
                    } else if next == "per" && j + 1 < self.words.len() && norm_of(j + 1) == "cent"
                    {
                        percent = true;
                        j += 1;
                    } else {
                        break;
                    }
                    j += 1;
                    if percent && text[self.words[j - 1].1..].starts_with('%') {
                        break;
                    }
                }
                let unit = if percent { "%" } else { currency.unwrap_or("") };
                let value = value * 10f64.powi(scale);
                let is_year = unit.is_empty()
                    && scale == 0
                    && word.len() == 4
                    && (1800.0..=2100.0).contains(&value);
                canonical_number(value, unit, &mut self.canonical);
                f(
                    s,
                    Term {
                        hash: term_hash(&self.canonical),
                        kind: if is_year {
                            TermKind::Year
                        } else {
                            TermKind::Number
                        },
                    },
                    &self.canonical,
                );
                i = j;
                continue;
            }
            let stopword = self.facts[i].stopword;
            i += 1;
            // One character is at most four bytes: only a short word needs counting.
            let one_char = norm.len() <= 4 && norm.chars().count() < 2;
            if stopword || one_char || scale_of(norm).is_some() {
                continue;
            }
            if norm.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            // Possessives: "OpenAI's" is OpenAI.
            let base = norm
                .strip_suffix("'s")
                .or_else(|| norm.strip_suffix('\''))
                .unwrap_or(norm);
            let stemmed = stem(base);
            let (stemmed, hash) = canonical_synonym(stemmed, term_hash(stemmed));
            // A capital inside a sentence marks a name; the first word of a line or sentence
            // may be capitalised for other reasons.
            let sentence_start = text[..s]
                .trim_end()
                .chars()
                .next_back()
                .is_none_or(|c| matches!(c, '.' | '!' | '?' | '"' | '“' | '\n' | ':' | '—'));
            let capital = word.chars().next().is_some_and(char::is_uppercase);
            let kind = if capital && !sentence_start && !COMPANY_SUFFIXES.contains(&stemmed) {
                TermKind::Name
            } else {
                TermKind::Word
            };
            f(s, Term { hash, kind }, stemmed);
        }
    }

    /// The words of the text last read by [`TermExtractor::for_each_term_at`] (or the
    /// functions built on it), in text order.
    pub(crate) fn last_words(&self) -> impl Iterator<Item = ReadWord<'_>> {
        self.words
            .iter()
            .zip(&self.facts)
            .enumerate()
            .map(|(i, (&(start, end), facts))| ReadWord {
                start,
                end,
                normalized: normalized_word(&self.normalized, &self.facts, i),
                hash: facts.hash,
                stopword: facts.stopword,
            })
    }

    /// The distinct terms of `text`, sorted by hash; a term seen once as a name counts as a name.
    pub fn distinct_terms(&mut self, text: &str) -> Vec<Term> {
        let mut terms = Vec::new();
        self.for_each_term(text, |t| terms.push(t));
        dedup_terms(&mut terms);
        terms
    }
}

/// A word of the text a [`TermExtractor`] last read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadWord<'a> {
    /// Where it starts in the text.
    pub start: usize,
    /// Where it ends.
    pub end: usize,
    /// Its normalized form.
    pub normalized: &'a str,
    /// The [`word_hash`] of its normalized form.
    pub hash: u64,
    /// Whether it is a stopword.
    pub stopword: bool,
}

/// Is `word` (normalized) a negation: "not", "never", "n't" and words that deny.
#[inline]
pub(crate) fn is_negation(word: &str) -> bool {
    // Asked of every word of every sentence: the first letter rules most words out before
    // they are compared with the list.
    if word.ends_with("n't") {
        return true;
    }
    matches!(
        word.as_bytes().first(),
        Some(b'n' | b'c' | b'w' | b'd' | b'r')
    ) && matches!(
        word,
        "not"
            | "no"
            | "never"
            | "neither"
            | "nor"
            | "none"
            | "nobody"
            | "nothing"
            | "cannot"
            | "without"
            | "deny"
            | "denies"
            | "denied"
            | "denying"
            | "refuse"
            | "refuses"
            | "refused"
            | "refusing"
    )
}

/// Parse a canonical number (`#1.79e9usd`, `#0%`, `#5e7eur`) into its value and the hash of its
/// unit. The exponent is an `e` followed by digits; an `e` that starts a unit ("eur") is the
/// unit's.
pub(crate) fn number_value(canonical: &str) -> (f64, u64) {
    let body = canonical.strip_prefix('#').unwrap_or(canonical);
    let bytes = body.as_bytes();
    let mantissa = body
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-')))
        .unwrap_or(body.len());
    let mut end = mantissa;
    if bytes.get(mantissa) == Some(&b'e') {
        let digits = usize::from(bytes.get(mantissa + 1) == Some(&b'-'));
        let run = bytes[(mantissa + 1 + digits).min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if run > 0 {
            end = mantissa + 1 + digits + run;
        }
    }
    let (number, unit) = body.split_at(end);
    let value = match number.split_once('e') {
        Some((m, e)) => match (m.parse::<f64>(), e.parse::<i32>()) {
            (Ok(m), Ok(e)) => m * 10f64.powi(e),
            _ => f64::NAN,
        },
        None => number.parse::<f64>().unwrap_or(f64::NAN),
    };
    (value, term_hash(unit))
}

/// Does `c` (between `prev` and `next`) cut a sentence into clauses: a comma, semicolon, colon,
/// dash or parenthesis. A comma between digits is a thousands separator ("250,000"), not a cut.
pub(crate) fn cuts_clause(prev: Option<char>, c: char, next: Option<char>) -> bool {
    match c {
        ',' => {
            !(prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit()))
        }
        ';' | ':' | '—' | '–' | '(' | ')' => true,
        _ => false,
    }
}

/// Does a clause cut fall inside `word` (or at one of its ends, where what stands beside it
/// is not known): then the word belongs to no clause.
#[inline]
pub(crate) fn has_clause_cut(word: &str) -> bool {
    // Most words are letters only: one look at the bytes rules them out.
    word.bytes()
        .any(|b| matches!(b, b',' | b';' | b':' | b'(' | b')' | 0xE2))
        && has_clause_cut_within(word)
}

/// [`has_clause_cut`] of a word with a byte that may cut.
fn has_clause_cut_within(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.iter().enumerate().any(|(k, &c)| {
        // At an end, what stands outside is taken to be no digit: a comma there is a cut.
        let (prev, next) = (
            k.checked_sub(1).map(|p| chars[p]),
            chars.get(k + 1).copied(),
        );
        cuts_clause(prev, c, next)
    })
}

/// The hash of a term's canonical text.
#[inline]
pub fn term_hash(canonical: &str) -> u64 {
    xxh3_64_with_seed(canonical.as_bytes(), TERM_SEED)
}

/// Sort `terms` by hash and keep one per hash (the most specific kind).
pub fn dedup_terms(terms: &mut Vec<Term>) {
    terms.sort_unstable_by(|a, b| a.hash.cmp(&b.hash).then(b.kind.cmp(&a.kind)));
    terms.dedup_by_key(|t| t.hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(text: &str) -> Vec<u64> {
        let mut ex = TermExtractor::new();
        let mut out = Vec::new();
        ex.for_each_term(text, |t| out.push(t.hash));
        out
    }

    fn number_hash(canonical: &str) -> u64 {
        xxh3_64_with_seed(canonical.as_bytes(), TERM_SEED)
    }

    #[test]
    fn money_in_every_spelling_is_one_term() {
        let expected = number_hash("#5e10usd");
        for text in [
            "$50 billion",
            "$ 50 billion",
            "$50B",
            "50 billion dollars",
            "50 bln dlrs",
            "US$50bn",
        ] {
            assert_eq!(hashes(text), vec![expected], "{text}");
        }
        assert_ne!(hashes("$14 billion"), hashes("14,000"));
        assert_eq!(hashes("16,000 employees")[0], hashes("16000 workers")[0]);
    }

    #[test]
    fn percentages_and_years() {
        assert_eq!(hashes("4.5 pct"), hashes("4.5%"));
        assert_eq!(hashes("4.5 per cent"), hashes("4.5 percent"));
        let mut ex = TermExtractor::new();
        let kinds: Vec<TermKind> = {
            let mut v = Vec::new();
            ex.for_each_term("in 2026 it fell 3 pct", |t| v.push(t.kind));
            v
        };
        assert_eq!(kinds, [TermKind::Year, TermKind::Word, TermKind::Number]);
    }

    #[test]
    fn a_stale_buffer_never_reads_past_the_words() {
        let mut ex = TermExtractor::new();
        ex.for_each_term("Up by cent", |_| {});
        // "per" is the last word: the buffer still holds "cent" from the call before.
        assert_eq!(hashes("5 per"), {
            let mut out = Vec::new();
            ex.for_each_term("5 per", |t| out.push(t.hash));
            out
        });
    }

    #[test]
    fn stopwords_drop_and_stems_meet() {
        assert_eq!(
            hashes("The negotiations are being led"),
            hashes("negotiation led")
        );
        assert_eq!(hashes("companies invested"), hashes("company invests"));
        assert_eq!(hashes("OpenAI’s round"), hashes("openai round"));
        assert!(hashes("the of and").is_empty());
    }

    #[test]
    fn every_stopword_is_found_by_its_hash_and_no_other_word() {
        for &w in STOPWORDS {
            assert!(is_stopword(w), "{w}");
        }
        for w in [
            "", "openai", "talks", "abou", "abouts", "the the", "thee", "The",
        ] {
            assert!(!is_stopword(w), "{w}");
        }
    }

    #[test]
    fn near_exact_synonyms_meet() {
        assert_eq!(hashes("talks"), hashes("discussions"));
        assert_eq!(hashes("negotiations"), hashes("talk"));
        assert_eq!(hashes("acquired"), hashes("purchased"));
        assert_eq!(hashes("employees"), hashes("workers"));
        assert_eq!(hashes("earthquake"), hashes("quake"));
        assert_ne!(hashes("bought"), hashes("sold"));
    }

    #[test]
    fn every_synonym_meets_its_group_and_scales_are_found() {
        for group in SYNONYMS {
            for &word in *group {
                let first = SYNONYMS.iter().find(|g| g[1..].contains(&word));
                let canonical = first.map_or(word, |g| g[0]);
                assert_eq!(
                    canonical_synonym(word, term_hash(word)),
                    (canonical, term_hash(canonical)),
                    "{word}"
                );
            }
        }
        let unrelated = term_hash("unrelated");
        assert_eq!(
            canonical_synonym("unrelated", unrelated),
            ("unrelated", unrelated)
        );
        assert_eq!(scale_of("bn"), Some(9));
        assert_eq!(scale_of("thousand"), Some(3));
        assert_eq!(scale_of("trn"), Some(12));
        assert_eq!(scale_of("mio"), Some(6));
        assert_eq!(scale_of("dozen"), None);
        assert_eq!(scale_of(""), None);
    }

    #[test]
    fn names_are_capitals_inside_a_sentence() {
        let mut ex = TermExtractor::new();
        let mut kinds = Vec::new();
        ex.for_each_term("Talks with Amazon began. Shares rose", |t| {
            kinds.push(t.kind)
        });
        assert_eq!(
            kinds,
            [
                TermKind::Word,
                TermKind::Name,
                TermKind::Word,
                TermKind::Word,
                TermKind::Word
            ]
        );
    }
}
