//! Align sentences across the documents of a story: which sentence carries the same facts in
//! close wording as which sentence elsewhere.
//!
//! A sentence is compared by its content terms weighted by IDF (see [`crate::story::terms`]), so
//! reordered clauses and light paraphrase still match while a sentence on the same topic with
//! other facts does not. Two sentences match when the terms they share carry most of the weight
//! of the lighter one (a trimmed copy is still a copy), or when a clause of each matches almost
//! whole (a sentence that keeps one clause of the wire copy and adds its own).
//!
//! Overlap alone cannot tell "the Senate passed the bill 62-38 on Tuesday" from the same words
//! with another tally, day or senator, or with "not": the words that differ are few but they
//! are the fact. So a match also needs no contradiction: every figure of the lighter sentence
//! is stated by the other (the same value, rounded another way, or spelled out); no date
//! (weekday, month, year) stated by each and not the other; no shared term negated on one side
//! only ("not", "never", "n't", "denied" reach the next two terms of their clause); and no name
//! of one standing, next to the same term, where the other has a different name (a name
//! dropped or shortened, "Andy Jassy" ~ "Jassy", is fine). A contradiction between the whole
//! sentences also rules out a clause match, except for a figure only one side states: a clause
//! of one's own may add a figure. Candidates come from an inverted index over the group's
//! sentences, never from all pairs.

use crate::sketch::tokenize::{for_each_word, normalize_into};
use crate::story::boilerplate::BlockTerms;
use crate::story::cluster::Idf;
use crate::story::terms::{
    currency_symbol, cuts_clause, dedup_terms, is_negation, number_value, Term, TermExtractor,
    TermKind,
};
use ahash::AHashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// Share of the lighter sentence's weight that matching terms must carry.
pub const SENTENCE_THRESHOLD: f64 = 0.55;
/// Share of the lighter clause's weight that matching terms must carry.
pub const CLAUSE_THRESHOLD: f64 = 0.7;
/// Fewest terms two sentences must share (fewer is a coincidence).
pub const MIN_SHARED_TERMS: usize = 4;
/// Fewest terms two clauses must share.
pub const MIN_CLAUSE_TERMS: usize = 5;
/// Posting lists longer than this are not used to find candidates.
const POSTING_CAP: usize = 512;
/// Clauses kept per sentence: a "sentence" of thousands of comma-separated pieces is a list,
/// and comparing every clause with every clause would be quadratic.
const MAX_CLAUSES: usize = 16;
/// Content terms after a negation that it governs ("did not approve the deal").
const NEGATION_SCOPE: usize = 2;
/// Two figures in the same unit within this relative distance are one figure rounded two
/// ways ("$1.79 billion" ~ "nearly $1.8 billion").
const FIGURE_TOLERANCE: f64 = 0.015;

/// What a term says for the contradiction checks: a figure, a date or a name that differs is
/// another fact, where a different word may be a synonym.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Any other term.
    Word,
    /// A capitalised word inside a sentence that is not a date.
    Name,
    /// A number, with its value and unit.
    Number,
    /// A year, weekday or month.
    Date,
    /// A number spelled as a word ("eighty", "dozen"): a figure in another spelling.
    Spelled,
}

/// One term of a sentence or clause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedTerm {
    /// Hash of the term (see [`crate::story::terms::Term`]).
    pub hash: u64,
    /// IDF weight.
    pub weight: f32,
    /// The term's kind as extracted.
    pub kind: TermKind,
    /// Its role in the contradiction checks.
    pub role: Role,
    /// Governed by a negation ("not", "never", "n't", "denied", ...).
    pub negated: bool,
    /// For a number, its value (else 0).
    pub value: f64,
    /// For a number, the hash of its unit ("usd", "%", or none).
    pub unit: u64,
}

/// A set of weighted terms (sorted by hash).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightedTerms {
    /// The distinct terms, sorted by hash.
    pub terms: Vec<WeightedTerm>,
    /// Term hashes in text order, repeats included: which term stands next to which.
    pub order: Vec<u64>,
    /// Total weight.
    pub weight: f32,
}

/// Per hash of a weekday, a month or a number spelled as a word, which of these it is
/// ([`WEEKDAY`], [`MONTH`], [`SPELLED`]): one lookup a term.
struct Lexicon(AHashMap<u64, u8>);

const WEEKDAY: u8 = 1;
const MONTH: u8 = 2;
const SPELLED: u8 = 4;

impl Lexicon {
    /// The lexicon's flags for `hash` (none: 0).
    fn flags(&self, hash: u64) -> u8 {
        self.0.get(&hash).copied().unwrap_or(0)
    }
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut ex = TermExtractor::new();
        let mut flags = AHashMap::new();
        let mut add = |words: &str, flag: u8| {
            ex.for_each_term(words, |t| *flags.entry(t.hash).or_insert(0) |= flag);
        };
        add(
            "monday tuesday wednesday thursday friday saturday sunday",
            WEEKDAY,
        );
        add(
            "january february march april june july august september october \
             november december jan feb aug sept sep oct nov dec",
            MONTH,
        );
        add(
            "four five six seven eight nine ten eleven twelve thirteen fourteen \
             fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty \
             seventy eighty ninety hundred hundreds dozen dozens",
            SPELLED,
        );
        Lexicon(flags)
    })
}

/// Does `word` (normalized) join two statements, ending the reach of a negation before it?
fn is_conjunction(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "but"
            | "or"
            | "while"
            | "whereas"
            | "because"
            | "although"
            | "though"
            | "after"
            | "before"
            | "when"
            | "since"
            | "until"
            | "so"
            | "as"
    )
}

/// The clauses of a sentence: pieces between commas, semicolons, colons, dashes and
/// parentheses. A comma between digits is a thousands separator ("250,000"), not a cut.
fn clause_pieces(sentence: &str) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let mut from = 0;
    let mut prev: Option<char> = None;
    let mut chars = sentence.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let cut = cuts_clause(prev, c, chars.peek().map(|&(_, n)| n));
        if cut {
            pieces.push(from..i);
            from = i + c.len_utf8();
        }
        prev = Some(c);
    }
    pieces.push(from..sentence.len());
    pieces.retain(|p| !sentence[p.clone()].trim().is_empty());
    pieces
}

/// Every term of `text` in text order, read by `extractor` (which keeps the words it read).
fn find_terms(extractor: &mut TermExtractor, text: &str) -> Vec<FoundTerm> {
    let mut found = Vec::new();
    extractor.for_each_term_at(text, |start, t, canonical| {
        let (value, unit) = if t.kind == TermKind::Number {
            number_value(canonical)
        } else {
            (0.0, 0)
        };
        found.push((t, value, unit, start));
    });
    found
}

/// The negations of `text` and the terms each governs: the next few of its clause, up to a
/// conjunction ("no one was hurt and firefighters ..."). `read` holds the words of `text` as
/// `extractor` has just read them (their start, end, and whether the word is a negation), so
/// they are not read again; `None` reads them. `word` is a scratch buffer.
fn find_negations(
    extractor: &mut TermExtractor,
    text: &str,
    word: &mut String,
    read: Option<&[(usize, usize, bool)]>,
) -> Vec<Negation> {
    let mut ends: Vec<usize> = Vec::new();
    match read {
        Some(words) => ends.extend(words.iter().filter(|w| w.2).map(|w| w.1)),
        None => for_each_word(text, |start, w| {
            normalize_into(w, word);
            if is_negation(word) {
                ends.push(start + w.len());
            }
        }),
    }
    let mut negations = Vec::with_capacity(ends.len());
    for from in ends {
        let rest = &text[from..];
        let end = rest
            .find([',', ';', ':', '—', '–', '(', ')', '.'])
            .unwrap_or(rest.len());
        let mut stop = end;
        for_each_word(&rest[..end], |start, w| {
            if start < stop {
                normalize_into(w, word);
                if is_conjunction(word) {
                    stop = start;
                }
            }
        });
        let mut governed = Vec::new();
        extractor.for_each_term(&rest[..stop], |t| {
            if governed.len() < NEGATION_SCOPE {
                governed.push(t.hash);
            }
        });
        negations.push((from, governed));
    }
    negations
}

/// A term as found in a sentence: the term, its value and unit hash when it is a figure, and
/// the byte offset in the sentence where its word starts.
type FoundTerm = (Term, f64, u64, usize);

/// Where a negation word ends in a sentence, and the hashes of the terms it governs.
type Negation = (usize, Vec<u64>);

/// What weighing a term needs to know of its hash: its inverse document frequency and its
/// [`Lexicon`] flags.
#[derive(Debug, Clone, Copy)]
struct TermFacts {
    idf: f32,
    lexicon: u8,
}

impl TermFacts {
    /// Looked up.
    fn of(hash: u64, idf: &Idf) -> Self {
        TermFacts {
            idf: idf.weight(hash),
            lexicon: lexicon().flags(hash),
        }
    }
}

impl WeightedTerms {
    /// The terms of `text`, read on their own; `word` is a scratch buffer.
    fn new(extractor: &mut TermExtractor, text: &str, idf: &Idf, word: &mut String) -> Self {
        let found = find_terms(extractor, text);
        let negations = find_negations(extractor, text, word, None);
        let negated: Vec<u64> = negations.into_iter().flat_map(|(_, n)| n).collect();
        Self::weigh(&found, &negated, |hash| TermFacts::of(hash, idf))
    }

    /// Terms `found` in text order, weighted; `negated` holds the hashes a negation governs;
    /// `facts` gives each term's [`TermFacts`].
    fn weigh(
        found: &[FoundTerm],
        negated: &[u64],
        mut facts: impl FnMut(u64) -> TermFacts,
    ) -> Self {
        let order: Vec<u64> = found.iter().map(|t| t.0.hash).collect();
        let mut terms: Vec<Term> = found.iter().map(|t| t.0).collect();
        dedup_terms(&mut terms);
        let terms: Vec<WeightedTerm> = terms
            .iter()
            .map(|t| {
                let number = t.kind == TermKind::Number;
                let TermFacts { idf, lexicon } = facts(t.hash);
                let weight = idf * if number { 1.5 } else { 1.0 };
                let (value, unit) = if number {
                    found
                        .iter()
                        .find(|f| f.0.hash == t.hash)
                        .map_or((0.0, 0), |f| (f.1, f.2))
                } else {
                    (0.0, 0)
                };
                let role = match t.kind {
                    TermKind::Number => Role::Number,
                    TermKind::Year => Role::Date,
                    // "march" in lower case is a walk, not a month.
                    _ if lexicon & WEEKDAY != 0
                        || (t.kind == TermKind::Name && lexicon & MONTH != 0) =>
                    {
                        Role::Date
                    }
                    _ if lexicon & SPELLED != 0 => Role::Spelled,
                    TermKind::Name => Role::Name,
                    TermKind::Word => Role::Word,
                };
                WeightedTerm {
                    hash: t.hash,
                    weight,
                    kind: t.kind,
                    role,
                    negated: negated.contains(&t.hash),
                    value,
                    unit,
                }
            })
            .collect();
        let weight = terms.iter().map(|t| t.weight).sum();
        WeightedTerms {
            terms,
            order,
            weight,
        }
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn has(&self, role: Role) -> bool {
        self.terms.iter().any(|t| t.role == role)
    }
}

/// A sentence's terms, whole and per clause.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentenceTerms {
    /// All its terms.
    pub whole: WeightedTerms,
    /// Its clauses (split at commas, semicolons, colons, dashes and parentheses) with enough
    /// terms to be compared alone.
    pub clauses: Vec<WeightedTerms>,
}

impl SentenceTerms {
    /// The terms of `sentence`.
    ///
    /// The sentence is read once: a clause's terms are the sentence's terms whose words lie in
    /// it (the first word of a clause starts it, so a capital there makes no name), and its
    /// negations are the sentence's negations that stand in it. Where a word spans a cut
    /// ("note:the"), the clauses are read on their own.
    pub fn new(extractor: &mut TermExtractor, sentence: &str, idf: &Idf) -> Self {
        let mut clauses = Vec::new();
        let whole = Self::read(extractor, sentence, idf, true, |clause| {
            Self::keep_clause(&mut clauses, clause)
        });
        SentenceTerms { whole, clauses }
    }

    /// The terms of the sentence `text[sentence]` taken from those its block's reading kept
    /// (`terms`, block `block` at `text[block_span]`), as [`SentenceTerms::new`] would read
    /// them; `None` when what the block's words tell, or what stands just outside the
    /// sentence, could make them differ (then it is read alone).
    ///
    /// Read alone, a sentence's first word starts a sentence (a capital there makes no name),
    /// nothing before it can be a figure's currency, and nothing after its last word can be a
    /// figure's scale or unit: so a kept term at its start is made a word, and a sentence is
    /// left to be read alone when a currency symbol stands before it, or when its last word
    /// ends it with more of its block after. Its words must not cross its ends, negate or hold
    /// a clause cut ([`BlockTerms::plain`]): negations and clauses are then read from its terms.
    pub fn of_block(
        text: &str,
        (block_span, sentence): (Range<usize>, Range<usize>),
        (terms, block, s): (&BlockTerms, usize, usize),
        idf: &Idf,
    ) -> Option<Self> {
        if !terms.plain(s) {
            return None;
        }
        let (before, own, after) = (
            text.get(block_span.start..sentence.start)?,
            text.get(sentence.clone())?,
            text.get(sentence.end..block_span.end)?,
        );
        let currency_before = before
            .trim_end()
            .chars()
            .next_back()
            .and_then(currency_symbol)
            .is_some();
        let open_end = !after.trim().is_empty()
            && !own.trim_end().chars().next_back().is_some_and(|c| {
                matches!(
                    c,
                    '.' | '!'
                        | '?'
                        | '"'
                        | '\''
                        | ')'
                        | ']'
                        | '”'
                        | '’'
                        | '»'
                        | '…'
                        | ':'
                        | ';'
                        | ','
                )
            });
        if currency_before || open_end {
            return None;
        }
        let found: Vec<FoundTerm> = terms
            .kept(block)?
            .skip_while(|t| t.start < sentence.start)
            .take_while(|t| t.start < sentence.end)
            .map(|t| {
                let at = t.start - sentence.start;
                let mut term = t.term;
                if term.kind == TermKind::Name && own[..at].trim_end().is_empty() {
                    term.kind = TermKind::Word;
                }
                let (value, unit) = t.figure.unwrap_or((0.0, 0));
                (term, value, unit, at)
            })
            .collect();
        let pieces = clause_pieces(own);
        let mut clauses = Vec::new();
        let whole = Self::assemble(
            (own, &found, &[]),
            (pieces, true),
            (&mut TermExtractor::new(), idf),
            |clause| Self::keep_clause(&mut clauses, clause),
        );
        Some(SentenceTerms { whole, clauses })
    }

    /// Keep `clause` among a sentence's clauses if it has terms enough; whether to go on.
    fn keep_clause(clauses: &mut Vec<WeightedTerms>, clause: WeightedTerms) -> bool {
        if clause.len() + usize::from(clause.has(Role::Number)) >= MIN_CLAUSE_TERMS {
            clauses.push(clause);
        }
        clauses.len() < MAX_CLAUSES
    }

    /// The whole sentence's terms; `clause` is given each piece's terms in text order while it
    /// asks for more (none when the sentence is one piece). `derive`: take the pieces' terms
    /// from the sentence's where that gives the same terms, rather than reading each piece.
    fn read(
        extractor: &mut TermExtractor,
        sentence: &str,
        idf: &Idf,
        derive: bool,
        clause: impl FnMut(WeightedTerms) -> bool,
    ) -> WeightedTerms {
        let mut word = String::new();
        let found = find_terms(extractor, sentence);
        let words: Vec<(usize, usize, bool)> = extractor
            .last_words()
            .map(|w| (w.start, w.end, is_negation(w.normalized)))
            .collect();
        let negations = find_negations(extractor, sentence, &mut word, Some(&words));
        let pieces = clause_pieces(sentence);
        // Words and pieces are both in text order: one walk finds each word's piece.
        let derived = derive && pieces.len() >= 2 && {
            let mut p = 0;
            words.iter().all(|&(s, e, _)| {
                while pieces.get(p).is_some_and(|piece| piece.end <= s) {
                    p += 1;
                }
                pieces
                    .get(p)
                    .is_some_and(|piece| piece.contains(&s) && e <= piece.end)
            })
        };
        Self::assemble(
            (sentence, &found, &negations),
            (pieces, derived),
            (extractor, idf),
            clause,
        )
    }

    /// The whole sentence's terms from those `found` in it and its `negations`, and each of its
    /// clause `pieces`' terms given to `clause` as [`SentenceTerms::read`] describes: taken
    /// from the sentence's when `derived`, read by `extractor` otherwise.
    fn assemble(
        (sentence, found, negations): (&str, &[FoundTerm], &[Negation]),
        (pieces, derived): (Vec<Range<usize>>, bool),
        (extractor, idf): (&mut TermExtractor, &Idf),
        mut clause: impl FnMut(WeightedTerms) -> bool,
    ) -> WeightedTerms {
        let mut word = String::new();
        let negated: Vec<u64> = negations.iter().flat_map(|n| n.1.iter().copied()).collect();
        // Each distinct term's facts are looked up once, for the sentence; its clauses find
        // them there (sorted by hash), rather than looking each term up again.
        let mut known: Vec<(u64, TermFacts)> = Vec::new();
        let whole = WeightedTerms::weigh(found, &negated, |hash| {
            let facts = TermFacts::of(hash, idf);
            known.push((hash, facts));
            facts
        });
        if pieces.len() < 2 {
            return whole;
        }
        for piece in pieces {
            let terms = if derived {
                let text = &sentence[piece.clone()];
                let first = text.len() - text.trim_start().len() + piece.start;
                // Found terms are in text order: the piece's are a run of them.
                let from = found.partition_point(|f| f.3 < piece.start);
                let to = found.partition_point(|f| f.3 < piece.end);
                let found: Vec<FoundTerm> = found[from..to]
                    .iter()
                    .map(|&(mut t, value, unit, start)| {
                        if start == first && t.kind == TermKind::Name {
                            t.kind = TermKind::Word;
                        }
                        (t, value, unit, start)
                    })
                    .collect();
                let negated: Vec<u64> = negations
                    .iter()
                    .filter(|n| piece.contains(&(n.0 - 1)))
                    .flat_map(|n| n.1.iter().copied())
                    .collect();
                WeightedTerms::weigh(&found, &negated, |hash| {
                    match known.binary_search_by_key(&hash, |k| k.0) {
                        Ok(k) => known[k].1,
                        Err(_) => TermFacts::of(hash, idf),
                    }
                })
            } else {
                WeightedTerms::new(extractor, &sentence[piece], idf, &mut word)
            };
            if !clause(terms) {
                break;
            }
        }
        whole
    }
}

/// What two term sets share: weight and count, and whether they contradict each other.
struct Overlap {
    weight: f32,
    count: usize,
    shared_numbers: usize,
    /// The two state different facts of the same kind: another figure, date, name or
    /// polarity, or a figure of the lighter side that the other does not state.
    contradicted: bool,
    /// Like `contradicted`, but a figure counts only when each side states one the other does
    /// not (one replaced by another): a sentence that adds a clause of its own may add a
    /// figure in it, and still share its other clause.
    replaced: bool,
}

/// Is figure `i` of `set` stated by `other`: the same term, the same value rounded another
/// way, or a figure spelled as a word.
fn figure_stated(set: &TermSet<'_>, i: usize, other: &TermSet<'_>) -> bool {
    let (value, unit) = set.figure(i);
    other.find(set.hashes[i]).is_some()
        || (0..other.len()).any(|k| match other.role(k) {
            Role::Spelled => true,
            Role::Number => {
                let (v, u) = other.figure(k);
                (u == unit) && (v - value).abs() <= FIGURE_TOLERANCE * v.abs().max(value.abs())
            }
            _ => false,
        })
}

/// Does a name of `a` that `b` lacks stand where `b` has a name that `a` lacks ("Senator John
/// Kerry said" against "Senator Joe Lieberman said")? A name `b` drops ("Andy Jassy" against
/// "Jassy") or one it adds elsewhere is no contradiction.
fn name_replaced(a: &TermSet<'_>, b: &TermSet<'_>) -> bool {
    let lone_name = |w: &TermSet<'_>, other: &TermSet<'_>, h: u64| {
        w.find(h).is_some_and(|i| w.role(i) == Role::Name) && other.find(h).is_none()
    };
    for i in 0..a.order.len() {
        let Some(x) = a.at(i) else { continue };
        if !lone_name(a, b, x) {
            continue;
        }
        // A shared neighbour of `x`, and what stands on the same side of it in `b`.
        let before = i.checked_sub(1).and_then(|p| a.at(p));
        let after = a.at(i + 1);
        for j in 0..b.order.len() {
            let Some(y) = b.at(j) else { continue };
            if before == Some(y) && b.find(y).is_some() && a.find(y).is_some() {
                if let Some(z) = b.at(j + 1) {
                    if lone_name(b, a, z) {
                        return true;
                    }
                }
            }
            if after == Some(y) && j > 0 && b.at(j - 1).is_some_and(|z| lone_name(b, a, z)) {
                return true;
            }
        }
    }
    false
}

fn overlap(a: &TermSet<'_>, b: &TermSet<'_>) -> Overlap {
    let (mut i, mut j, mut weight, mut count) = (0, 0, 0.0f32, 0);
    let (mut shared_numbers, mut shared_names) = (0, 0);
    let mut polarity = false;
    let (mut lone_dates_a, mut lone_dates_b) = (false, false);
    let (mut lone_names_a, mut lone_names_b) = (false, false);
    let (na, nb) = (a.len(), b.len());
    loop {
        let order = match (i < na, j < nb) {
            (false, false) => break,
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (true, true) => a.hashes[i].cmp(&b.hashes[j]),
        };
        match order {
            std::cmp::Ordering::Less => {
                let role = a.role(i);
                lone_dates_a |= role == Role::Date;
                lone_names_a |= role == Role::Name;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let role = b.role(j);
                lone_dates_b |= role == Role::Date;
                lone_names_b |= role == Role::Name;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                weight += a.weights[i];
                count += 1;
                // A term is a name when either side capitalised it mid-sentence.
                match (a.role(i), b.role(j)) {
                    (Role::Number, _) => shared_numbers += 1,
                    (Role::Date, _) | (_, Role::Date) => {}
                    (Role::Name, _) | (_, Role::Name) => shared_names += 1,
                    _ => {}
                }
                polarity |= a.negated(i) != b.negated(j);
                i += 1;
                j += 1;
            }
        }
    }
    let numbers = a.has(Role::Number) || b.has(Role::Number);
    let names = a.has(Role::Name) && b.has(Role::Name);
    let figures_meet = shared_numbers > 0
        || a.figures().any(|i| figure_stated(a, i, b))
        || b.figures().any(|i| figure_stated(b, i, a));
    let mut replaced = (numbers && !figures_meet) || (names && shared_names == 0);
    // A date each states and the other does not: another day.
    replaced |= lone_dates_a && lone_dates_b;
    // A shared term negated on one side only: the opposite fact.
    replaced |= polarity;
    if !replaced && lone_names_a && lone_names_b {
        replaced = name_replaced(a, b) || name_replaced(b, a);
    }
    let mut contradicted = replaced;
    if !replaced && numbers {
        let figures_missing =
            |l: &TermSet<'_>, h: &TermSet<'_>| l.figures().any(|i| !figure_stated(l, i, h));
        let (lone_a, lone_b) = (figures_missing(a, b), figures_missing(b, a));
        replaced = lone_a && lone_b;
        // Every figure of the lighter side must be stated by the other (when both weigh the
        // same, of each): a figure only one states is a fact only one reports.
        contradicted = (a.weight <= b.weight && lone_a) || (b.weight <= a.weight && lone_b);
    }
    Overlap {
        weight,
        count,
        shared_numbers,
        contradicted,
        replaced,
    }
}

fn coefficient(a: &TermSet<'_>, b: &TermSet<'_>, min_shared: usize) -> Option<f64> {
    coefficient_of(&overlap(a, b), a, b, min_shared)
}

fn coefficient_of(o: &Overlap, a: &TermSet<'_>, b: &TermSet<'_>, min_shared: usize) -> Option<f64> {
    // A shared figure is worth a term: "seeks $100 billion in new capital" is a fact.
    if o.contradicted || o.count + usize::from(o.shared_numbers > 0) < min_shared {
        return None;
    }
    let lighter = a.weight.min(b.weight);
    (lighter > 0.0).then(|| (o.weight / lighter) as f64)
}

/// A sentence's clauses, then the whole sentence (marked `true`).
fn sets_of(v: SentenceView<'_>) -> impl Iterator<Item = (TermSet<'_>, bool)> {
    v.clauses()
        .map(|c| (c, false))
        .chain(std::iter::once((v.whole(), true)))
}

/// How closely two sentences carry the same facts: `Some(similarity)` when they match.
pub fn sentence_similarity(a: SentenceView<'_>, b: SentenceView<'_>) -> Option<f64> {
    weigh_sentences(a, b, false)
}

/// Do two sentences match: `sentence_similarity(a, b).is_some()`, without weighing the clauses
/// once the whole sentences match.
pub fn sentences_match(a: SentenceView<'_>, b: SentenceView<'_>) -> bool {
    weigh_sentences(a, b, true).is_some()
}

/// [`sentence_similarity`]; with `any`, the first match found is given rather than the best.
fn weigh_sentences(a: SentenceView<'_>, b: SentenceView<'_>, any: bool) -> Option<f64> {
    let (aw, bw) = (a.whole(), b.whole());
    let o = overlap(&aw, &bw);
    // A clause in common does not make up for another figure, date, name or polarity
    // elsewhere in the sentence.
    if o.replaced {
        return None;
    }
    let whole = coefficient_of(&o, &aw, &bw, MIN_SHARED_TERMS).filter(|&s| s >= SENTENCE_THRESHOLD);
    if any && whole.is_some() {
        return whole;
    }
    let mut best = whole;
    for (ca, a_whole) in sets_of(a) {
        for (cb, b_whole) in sets_of(b) {
            if a_whole && b_whole {
                continue;
            }
            if let Some(s) =
                coefficient(&ca, &cb, MIN_CLAUSE_TERMS).filter(|&s| s >= CLAUSE_THRESHOLD)
            {
                // A clause match says less about the whole sentence: scale by its share.
                let share = (ca.weight / aw.weight).max(cb.weight / bw.weight).min(1.0) as f64;
                let s = (s * share).max(SENTENCE_THRESHOLD);
                best = Some(best.map_or(s, |b: f64| b.max(s)));
                if any {
                    break;
                }
            }
        }
        if any && best.is_some() {
            break;
        }
    }
    best.map(|s| s.min(1.0))
}

/// Shared weight over the heavier side's weight: 1 for the same terms, less the more either
/// side says besides.
fn closeness(a: &TermSet<'_>, b: &TermSet<'_>) -> f32 {
    let heavier = a.weight.max(b.weight);
    if heavier > 0.0 {
        overlap(a, b).weight / heavier
    } else {
        0.0
    }
}

/// For each sentence, the index of the first sentence of the document with the same terms.
fn first_occurrences(sentences: &DocumentTerms) -> Vec<u32> {
    let mut seen: AHashMap<u64, u32> = AHashMap::new();
    (0..sentences.len() as u32)
        .map(|s| {
            let Some(terms) = sentences.sentence(s as usize) else {
                return s;
            };
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            for t in terms.whole().hashes {
                h.update(&t.to_le_bytes());
            }
            *seen.entry(h.digest()).or_insert(s)
        })
        .collect()
}

/// The aligned sentences of one document, their terms packed in a few flat arrays: a term is
/// its hash, weight and a byte of flags (13 bytes, where [`WeightedTerm`] takes 32), text order
/// is an index into its set, and a figure's value and unit are kept once per document. A
/// corpus keeps every document's terms from the story stage to the alignment, so this is
/// what its memory is made of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentTerms {
    hashes: Vec<u64>,
    weights: Vec<f32>,
    /// The role (low three bits) and negation (bit 3) of each term.
    flags: Vec<u8>,
    /// Per set, its terms in text order, repeats included, as indices into the set.
    order: Vec<u16>,
    sets: Vec<PackedSet>,
    /// Per sentence, its first set (the whole sentence; its clauses follow) and how many
    /// clauses it has, or `None` when it is not aligned.
    sentences: Vec<Option<(u32, u8)>>,
    /// (hash, value, unit hash) of every figure, sorted by hash.
    figures: Vec<(u64, f64, u64)>,
    /// Per sentence, the first sentence with the same terms (itself when none is earlier).
    firsts: Vec<u32>,
}

impl crate::spill::Spillable for DocumentTerms {
    fn encode(&self, out: &mut Vec<u8>) {
        use crate::spill::codec::{put_slice, Plain};
        put_slice(out, &self.hashes);
        put_slice(out, &self.weights);
        put_slice(out, &self.flags);
        put_slice(out, &self.order);
        (self.sets.len() as u64).put(out);
        for p in &self.sets {
            for v in [p.start, p.len, p.order_start, p.order_len] {
                v.put(out);
            }
            p.weight.put(out);
        }
        (self.sentences.len() as u64).put(out);
        for s in &self.sentences {
            let (first, clauses) = s.unwrap_or((u32::MAX, u8::MAX));
            u8::from(s.is_some()).put(out);
            first.put(out);
            clauses.put(out);
        }
        (self.figures.len() as u64).put(out);
        for &(hash, value, unit) in &self.figures {
            hash.put(out);
            value.put(out);
            unit.put(out);
        }
        put_slice(out, &self.firsts);
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut c = crate::spill::codec::Cursor::new(bytes);
        let mut terms = DocumentTerms {
            hashes: c.slice()?,
            weights: c.slice()?,
            flags: c.slice()?,
            order: c.slice()?,
            ..DocumentTerms::default()
        };
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        for _ in 0..n {
            terms.sets.push(PackedSet {
                start: c.value()?,
                len: c.value()?,
                order_start: c.value()?,
                order_len: c.value()?,
                weight: c.value()?,
            });
        }
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        for _ in 0..n {
            let aligned = c.value::<u8>()? == 1;
            let (first, clauses) = (c.value::<u32>()?, c.value::<u8>()?);
            terms.sentences.push(aligned.then_some((first, clauses)));
        }
        let n = usize::try_from(c.value::<u64>()?).ok()?;
        for _ in 0..n {
            terms.figures.push((c.value()?, c.value()?, c.value()?));
        }
        terms.firsts = c.slice()?;
        c.is_done().then_some(terms)
    }
}

/// Where one set of terms lies in a [`DocumentTerms`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedSet {
    start: u32,
    len: u32,
    order_start: u32,
    order_len: u32,
    weight: f32,
}

const NEGATED: u8 = 1 << 3;

fn role_bits(role: Role) -> u8 {
    match role {
        Role::Word => 0,
        Role::Name => 1,
        Role::Number => 2,
        Role::Date => 3,
        Role::Spelled => 4,
    }
}

fn role_of(bits: u8) -> Role {
    match bits & 7 {
        1 => Role::Name,
        2 => Role::Number,
        3 => Role::Date,
        4 => Role::Spelled,
        _ => Role::Word,
    }
}

impl DocumentTerms {
    /// The packed terms of `sentences` (`None` for a sentence that is not aligned).
    pub fn new<'s>(sentences: impl IntoIterator<Item = Option<&'s SentenceTerms>>) -> Self {
        let mut packed = DocumentTerms::default();
        for s in sentences {
            packed.push(s);
        }
        packed.finish()
    }

    /// Pack the terms of `sentences` (`None` for a sentence that is not aligned).
    pub fn collect(sentences: impl IntoIterator<Item = Option<SentenceTerms>>) -> Self {
        let mut packed = DocumentTerms::default();
        for s in sentences {
            packed.push(s.as_ref());
        }
        packed.finish()
    }

    /// Extract and pack the terms of `sentences` (`None` for a sentence that is not aligned).
    pub fn extract<'s>(
        extractor: &mut TermExtractor,
        sentences: impl IntoIterator<Item = Option<&'s str>>,
        idf: &Idf,
    ) -> Self {
        let mut packed = DocumentTerms::default();
        for s in sentences {
            let terms = s.map(|s| SentenceTerms::new(extractor, s, idf));
            packed.push(terms.as_ref());
        }
        packed.finish()
    }

    fn push(&mut self, sentence: Option<&SentenceTerms>) {
        // Text order is kept as 16-bit indices: a "sentence" of more than 65,536 distinct
        // terms is not prose, and is not aligned.
        let fits = |w: &WeightedTerms| w.terms.len() <= usize::from(u16::MAX) + 1;
        let Some(s) = sentence.filter(|s| fits(&s.whole)) else {
            self.sentences.push(None);
            return;
        };
        let first = self.sets.len() as u32;
        self.push_set(&s.whole);
        for clause in &s.clauses {
            self.push_set(clause);
        }
        self.sentences.push(Some((first, s.clauses.len() as u8)));
    }

    fn push_set(&mut self, w: &WeightedTerms) {
        let start = self.hashes.len() as u32;
        let order_start = self.order.len() as u32;
        for t in &w.terms {
            self.hashes.push(t.hash);
            self.weights.push(t.weight);
            self.flags
                .push(role_bits(t.role) | if t.negated { NEGATED } else { 0 });
            if t.role == Role::Number {
                self.figures.push((t.hash, t.value, t.unit));
            }
        }
        for h in &w.order {
            if let Ok(i) = w.terms.binary_search_by_key(h, |t| t.hash) {
                self.order.push(i as u16);
            }
        }
        self.sets.push(PackedSet {
            start,
            len: w.terms.len() as u32,
            order_start,
            order_len: self.order.len() as u32 - order_start,
            weight: w.weight,
        });
    }

    fn finish(mut self) -> Self {
        self.figures.sort_by_key(|f| f.0);
        self.figures.dedup_by_key(|f| f.0);
        self.firsts = first_occurrences(&self);
        self.hashes.shrink_to_fit();
        self.weights.shrink_to_fit();
        self.flags.shrink_to_fit();
        self.order.shrink_to_fit();
        self.sets.shrink_to_fit();
        self.sentences.shrink_to_fit();
        self.figures.shrink_to_fit();
        self.firsts.shrink_to_fit();
        self
    }

    /// Number of sentences, aligned or not.
    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    /// True for a document without sentences.
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// Sentence `s`, when it is aligned.
    pub fn sentence(&self, s: usize) -> Option<SentenceView<'_>> {
        let (first, clauses) = (*self.sentences.get(s)?)?;
        Some(SentenceView {
            doc: self,
            first,
            clauses,
        })
    }

    /// Read into cache ([`crate::prefetch`]) what finds a sentence's terms.
    fn fetch_index(&self) {
        crate::prefetch::fetch(&self.sentences);
        crate::prefetch::fetch(&self.sets);
    }

    /// Read into cache ([`crate::prefetch`]) the terms of sentence `s` as a whole, which
    /// weighing it reads first.
    fn fetch_sentence(&self, s: usize) {
        if let Some(view) = self.sentence(s) {
            let whole = view.whole();
            crate::prefetch::fetch(whole.hashes);
            crate::prefetch::fetch(whole.weights);
            crate::prefetch::fetch(whole.flags);
        }
    }

    /// Stop aligning `sentences` (they turned out to be boilerplate); their terms stay in the
    /// arrays unread, and the merge index is rebuilt without them.
    pub fn forget(&mut self, sentences: impl IntoIterator<Item = usize>) {
        let mut changed = false;
        for s in sentences {
            if let Some(slot) = self.sentences.get_mut(s) {
                changed |= slot.take().is_some();
            }
        }
        if changed {
            self.firsts = first_occurrences(self);
        }
    }

    /// Bytes held on the heap (for measurements).
    pub fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * 8
            + self.weights.capacity() * 4
            + self.flags.capacity()
            + self.order.capacity() * 2
            + self.sets.capacity() * std::mem::size_of::<PackedSet>()
            + self.sentences.capacity() * std::mem::size_of::<Option<(u32, u8)>>()
            + self.figures.capacity() * std::mem::size_of::<(u64, f64, u64)>()
            + self.firsts.capacity() * 4
    }

    fn set(&self, k: u32) -> TermSet<'_> {
        let p = self.sets[k as usize];
        let (start, end) = (p.start as usize, (p.start + p.len) as usize);
        let order = p.order_start as usize..(p.order_start + p.order_len) as usize;
        TermSet {
            hashes: &self.hashes[start..end],
            weights: &self.weights[start..end],
            flags: &self.flags[start..end],
            order: &self.order[order],
            figures: &self.figures,
            weight: p.weight,
        }
    }
}

/// One aligned sentence of a [`DocumentTerms`]: its whole terms and its clauses'.
#[derive(Debug, Clone, Copy)]
pub struct SentenceView<'a> {
    doc: &'a DocumentTerms,
    first: u32,
    clauses: u8,
}

impl<'a> SentenceView<'a> {
    /// All its terms.
    pub fn whole(&self) -> TermSet<'a> {
        self.doc.set(self.first)
    }

    /// Its clauses with enough terms to be compared alone.
    pub fn clauses(&self) -> impl Iterator<Item = TermSet<'a>> + 'a {
        let (doc, first) = (self.doc, self.first);
        (1..=u32::from(self.clauses)).map(move |k| doc.set(first + k))
    }
}

/// One set of weighted terms (a sentence or a clause) as packed in a [`DocumentTerms`], sorted
/// by hash.
#[derive(Debug, Clone, Copy)]
pub struct TermSet<'a> {
    hashes: &'a [u64],
    weights: &'a [f32],
    flags: &'a [u8],
    order: &'a [u16],
    figures: &'a [(u64, f64, u64)],
    weight: f32,
}

impl TermSet<'_> {
    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Total weight.
    pub fn weight(&self) -> f32 {
        self.weight
    }

    /// The term hashes, sorted.
    pub fn hashes(&self) -> &[u64] {
        self.hashes
    }

    fn role(&self, i: usize) -> Role {
        role_of(self.flags[i])
    }

    fn negated(&self, i: usize) -> bool {
        self.flags[i] & NEGATED != 0
    }

    fn find(&self, hash: u64) -> Option<usize> {
        self.hashes.binary_search(&hash).ok()
    }

    /// The hash of the term at text position `p`.
    fn at(&self, p: usize) -> Option<u64> {
        self.order.get(p).map(|&i| self.hashes[usize::from(i)])
    }

    fn has(&self, role: Role) -> bool {
        self.flags.iter().any(|&f| role_of(f) == role)
    }

    /// Value and unit hash of the figure at `i`.
    fn figure(&self, i: usize) -> (f64, u64) {
        let h = self.hashes[i];
        self.figures
            .binary_search_by_key(&h, |f| f.0)
            .map_or((0.0, 0), |k| (self.figures[k].1, self.figures[k].2))
    }

    fn figures(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(|&i| self.role(i) == Role::Number)
    }
}

/// A sentence address: document (index into the caller's list) and sentence index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SentenceRef {
    /// The document.
    pub doc: usize,
    /// The sentence within it.
    pub sentence: usize,
}

/// A match of one sentence with a sentence of another document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentenceMatch {
    /// This sentence.
    pub from: SentenceRef,
    /// The matching sentence in another document.
    pub to: SentenceRef,
    /// Their similarity.
    pub similarity: f64,
}

/// Every sentence match between different documents of `group`: `(document, its sentences)`,
/// where a document's sentences may be `None` (boilerplate, not aligned). Every sentence looks
/// for its best match in every other document, so a sentence is matched even when the sentence
/// it matches found a closer one; each match is also recorded the other way round. For each
/// sentence and each other document, only the best-matching sentence is kept. Matches come
/// sorted by `from`, then by the other document.
pub fn align_group(group: &[(usize, &DocumentTerms)]) -> Vec<SentenceMatch> {
    // A sentence repeated within a document is aligned once, through its first occurrence.
    let firsts: Vec<Vec<usize>> = group
        .iter()
        .map(|(_, sentences)| sentences.firsts.iter().map(|&f| f as usize).collect())
        .collect();
    let mut postings: AHashMap<u64, Vec<(u32, u32)>> = AHashMap::new();
    for (g, (_, sentences)) in group.iter().enumerate() {
        for (s, &first) in firsts[g].iter().enumerate() {
            if first != s {
                continue;
            }
            if let Some(terms) = sentences.sentence(s) {
                for &t in terms.whole().hashes {
                    postings.entry(t).or_default().push((g as u32, s as u32));
                }
            }
        }
    }
    // Each pair of sentences is compared once (from the earlier document of the group), and
    // the result offered to both: every sentence keeps its best match in every other document,
    // by similarity, then by closeness of the whole sentences (of two sentences that both carry
    // this one's facts, the one that says no more is its twin).
    let mut best: AHashMap<(u32, u32, u32), (f64, f32, u32)> = AHashMap::new();
    let mut offer = |key: (u32, u32, u32), sim: f64, close: f32, other: u32| {
        let e = best.entry(key).or_insert((sim, close, other));
        if (sim, close, std::cmp::Reverse(other)) > (e.0, e.1, std::cmp::Reverse(e.2)) {
            *e = (sim, close, other);
        }
    };
    let mut counts: AHashMap<(u32, u32), u32> = AHashMap::new();
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    for (g, (_, sentences)) in group.iter().enumerate() {
        for (s, &first) in firsts[g].iter().enumerate() {
            let Some(terms) = sentences.sentence(s) else {
                continue;
            };
            if first != s {
                continue;
            }
            counts.clear();
            for t in terms.whole().hashes {
                let Some(list) = postings.get(t) else {
                    continue;
                };
                if list.len() > POSTING_CAP {
                    continue;
                }
                for &(og, os) in list {
                    if og as usize > g {
                        *counts.entry((og, os)).or_default() += 1;
                    }
                }
            }
            candidates.clear();
            candidates.extend(
                counts
                    .iter()
                    .filter(|(_, &c)| c as usize >= MIN_SHARED_TERMS.min(MIN_CLAUSE_TERMS))
                    .map(|(&k, _)| k),
            );
            candidates.sort_unstable();
            for &(og, os) in &candidates {
                let Some(other) = group[og as usize].1.sentence(os as usize) else {
                    continue;
                };
                if let Some(sim) = sentence_similarity(terms, other) {
                    let close = closeness(&terms.whole(), &other.whole());
                    offer((g as u32, s as u32, og), sim, close, os);
                    offer((og, os, g as u32), sim, close, s as u32);
                }
            }
        }
    }
    let mut found: Vec<_> = best.into_iter().collect();
    found.sort_unstable_by_key(|x| x.0);
    let mut matches = Vec::with_capacity(found.len() * 2);
    for ((g, s, og), (similarity, _, os)) in found {
        let from = SentenceRef {
            doc: group[g as usize].0,
            sentence: s as usize,
        };
        let to = SentenceRef {
            doc: group[og as usize].0,
            sentence: os as usize,
        };
        matches.push(SentenceMatch {
            from,
            to,
            similarity,
        });
        matches.push(SentenceMatch {
            from: to,
            to: from,
            similarity,
        });
    }
    // Repeats get the matches of their first occurrence.
    let index: AHashMap<usize, usize> = group
        .iter()
        .enumerate()
        .map(|(g, (doc, _))| (*doc, g))
        .collect();
    let aliases: Vec<AHashMap<usize, Vec<usize>>> = firsts
        .iter()
        .map(|f| {
            let mut map: AHashMap<usize, Vec<usize>> = AHashMap::new();
            for (s, &first) in f.iter().enumerate() {
                if s != first {
                    map.entry(first).or_default().push(s);
                }
            }
            map
        })
        .collect();
    let mut repeats = Vec::new();
    for m in &matches {
        let Some(&g) = index.get(&m.from.doc) else {
            continue;
        };
        for &s in aliases[g].get(&m.from.sentence).into_iter().flatten() {
            repeats.push(SentenceMatch {
                from: SentenceRef {
                    doc: m.from.doc,
                    sentence: s,
                },
                ..*m
            });
        }
    }
    matches.extend(repeats);
    // Keep one best match per (sentence, other document), whichever side found it.
    matches.sort_by(|a, b| {
        (a.from, a.to.doc)
            .cmp(&(b.from, b.to.doc))
            .then(b.similarity.total_cmp(&a.similarity))
            .then(a.to.sentence.cmp(&b.to.sentence))
    });
    matches.dedup_by(|next, kept| next.from == kept.from && next.to.doc == kept.to.doc);
    matches
}

/// For each sentence of document `a`, the sentence of document `b` it is matched with and their
/// similarity: exactly what [`align_group`] of the two documents gives for `a`'s sentences, found
/// by merging the two sorted indexes instead of hashing every term.
pub fn align_pair(sa: &DocumentTerms, sb: &DocumentTerms) -> Vec<Option<(usize, f64)>> {
    align_pair_keyed((sa, &sa.pair_keys()), (sb, &sb.pair_keys()))
}

/// A document's postings gathered for [`align_pair_keyed`]: the terms of every aligned sentence
/// that is its own first, each distinct term once in hash order with the sentences that hold
/// it, so that the merge compares neighbours in memory, once per term. A document compared
/// with many others gathers them once; they are not kept with its terms, as they would add a
/// third to what a corpus holds until the alignment.
#[derive(Debug, Clone, Default)]
pub struct PairKeys {
    /// Each distinct term's hash, ascending.
    hashes: Vec<u64>,
    /// Where each term's sentences start in `sentences`, and (last) where the last ends.
    starts: Vec<u32>,
    /// The sentences of each term, term after term, once for each place the term has in them
    /// (in the order of those places).
    sentences: Vec<u32>,
    /// How many hashes lie below the middle hash value, where [`shared_hashes`] cuts.
    middle: u32,
}

impl PairKeys {
    /// The sentences of term `k`.
    fn sentences_of(&self, k: usize) -> &[u32] {
        &self.sentences[self.starts[k] as usize..self.starts[k + 1] as usize]
    }

    /// Read these keys into cache ([`crate::prefetch`]).
    fn fetch(&self) {
        crate::prefetch::fetch(&self.hashes);
        crate::prefetch::fetch(&self.starts);
        crate::prefetch::fetch(&self.sentences);
    }
}

impl DocumentTerms {
    /// Its postings gathered for [`align_pair_keyed`].
    pub fn pair_keys(&self) -> PairKeys {
        // (hash, place in `hashes`, sentence): the place orders a sentence's repeats.
        let mut posted: Vec<(u64, u32, u32)> = Vec::new();
        for (s, &first) in self.firsts.iter().enumerate() {
            if first as usize != s {
                continue;
            }
            if let Some(Some((set, _))) = self.sentences.get(s) {
                let p = self.sets[*set as usize];
                posted.extend(
                    (p.start..p.start + p.len).map(|t| (self.hashes[t as usize], t, s as u32)),
                );
            }
        }
        sort_by_hash_then_place(&mut posted);
        // Sized exactly: a corpus holds these for every document at once.
        let distinct = usize::from(!posted.is_empty())
            + posted.windows(2).filter(|w| w[0].0 != w[1].0).count();
        let mut keys = PairKeys {
            hashes: Vec::with_capacity(distinct),
            starts: Vec::with_capacity(distinct + 1),
            sentences: Vec::with_capacity(posted.len()),
            middle: 0,
        };
        for &(hash, _, sentence) in &posted {
            if keys.hashes.last() != Some(&hash) {
                keys.hashes.push(hash);
                keys.starts.push(keys.sentences.len() as u32);
            }
            keys.sentences.push(sentence);
        }
        keys.starts.push(keys.sentences.len() as u32);
        keys.middle = keys.hashes.partition_point(|&h| h < MIDDLE_HASH) as u32;
        keys
    }
}

/// Sort `posted` by hash, then place: scattered into buckets by the hash's top byte (the hashes
/// are uniform, so a news article's few hundred terms fill each with one or two), then each
/// bucket sorted. A document's keys are gathered once for every window of documents it is
/// compared with, and a comparison sort of them was a tenth of the passage evidence.
fn sort_by_hash_then_place(posted: &mut Vec<(u64, u32, u32)>) {
    const BUCKETS: usize = 256;
    if posted.len() < 64 {
        posted.sort_unstable_by_key(|&(hash, place, _)| (hash, place));
        return;
    }
    let bucket = |hash: u64| (hash >> 56) as usize;
    let mut starts = [0usize; BUCKETS + 1];
    for &(hash, _, _) in posted.iter() {
        starts[bucket(hash) + 1] += 1;
    }
    for b in 0..BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts;
    let mut sorted = vec![(0u64, 0u32, 0u32); posted.len()];
    for &entry in posted.iter() {
        let b = bucket(entry.0);
        sorted[next[b]] = entry;
        next[b] += 1;
    }
    for b in 0..BUCKETS {
        sorted[starts[b]..starts[b + 1]].sort_unstable_by_key(|&(hash, place, _)| (hash, place));
    }
    *posted = sorted;
}

/// Most sentence pairs whose shared terms are counted in a table rather than a hash map:
/// two news articles of forty sentences make 1,600.
const DENSE_PAIRS: usize = 1 << 16;

/// [`align_pair`] with each document's [`PairKeys`] gathered by the caller.
pub fn align_pair_keyed(
    a: (&DocumentTerms, &PairKeys),
    b: (&DocumentTerms, &PairKeys),
) -> Vec<Option<(usize, f64)>> {
    align_pair_counted(a, b, DENSE_PAIRS)
}

/// [`align_pair_keyed`], counting shared terms in a table when there are at most
/// `dense_pairs` sentence pairs.
fn align_pair_counted(
    (sa, ka): (&DocumentTerms, &PairKeys),
    (sb, kb): (&DocumentTerms, &PairKeys),
    dense_pairs: usize,
) -> Vec<Option<(usize, f64)>> {
    let (na, nb) = (sa.len(), sb.len());
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    let mut counts = SharedTermCounts::default();
    counts.count((sa, ka), (sb, kb), dense_pairs, |x, y| {
        candidates.push((x, y))
    });
    candidates.sort_unstable();
    // Each sentence's best match in the other document, by similarity, then closeness, then
    // the earlier sentence (the order `align_group` offers them in).
    type Best = Option<(f64, f32, usize)>;
    let offer = |slot: &mut Best, sim: f64, close: f32, other: usize| {
        let better = match *slot {
            None => true,
            Some((s, c, o)) => {
                (sim, close, std::cmp::Reverse(other)) > (s, c, std::cmp::Reverse(o))
            }
        };
        if better {
            *slot = Some((sim, close, other));
        }
    };
    let mut own: Vec<Best> = vec![None; na];
    let mut back: Vec<Best> = vec![None; nb];
    for (s, os) in candidates {
        let (s, os) = (s as usize, os as usize);
        let (Some(x), Some(y)) = (sa.sentence(s), sb.sentence(os)) else {
            continue;
        };
        if let Some(sim) = sentence_similarity(x, y) {
            let close = closeness(&x.whole(), &y.whole());
            offer(&mut own[s], sim, close, os);
            offer(&mut back[os], sim, close, s);
        }
    }
    // A sentence of `a` also holds every match that chose it from `b`'s side; of all these, the
    // most similar is kept, then the earlier sentence of `b`.
    let mut out: Vec<Option<(usize, f64)>> =
        own.iter().map(|o| o.map(|(s, _, os)| (os, s))).collect();
    for (os, best) in back.iter().enumerate() {
        if let Some((sim, _, s)) = *best {
            let slot = &mut out[s];
            let better = match *slot {
                None => true,
                Some((o, x)) => sim > x || (sim == x && os < o),
            };
            if better {
                *slot = Some((os, sim));
            }
        }
    }
    // Repeats take their first occurrence's match.
    (0..na).map(|s| out[sa.firsts[s] as usize]).collect()
}

/// What counting the terms each sentence pair shares works in, kept from one pair of documents
/// to the next: an article is weighed against dozens of partners, and making these for each
/// (a table of every sentence pair cleared, two lists) cost as much as filling them.
#[derive(Debug, Default)]
struct SharedTermCounts {
    /// The places of the hashes the two documents share.
    both: Vec<(u32, u32)>,
    /// Shared terms per sentence pair, row by row; zero between uses.
    table: Vec<u32>,
    /// The places of `table` counted this time, cleared after.
    touched: Vec<u32>,
    /// Shared terms per sentence pair, for documents too long for a table.
    sparse: AHashMap<(u32, u32), u32>,
}

impl SharedTermCounts {
    /// Count the terms each sentence pair of `a` and `b` shares, over the postings a group of
    /// the two would use (in a table when there are at most `dense_pairs` sentence pairs, in a
    /// map for longer documents), and give `candidate` each pair, once, when its count
    /// reaches the bar for being compared (counts only grow, so the table is never scanned).
    fn count(
        &mut self,
        (sa, ka): (&DocumentTerms, &PairKeys),
        (sb, kb): (&DocumentTerms, &PairKeys),
        dense_pairs: usize,
        mut candidate: impl FnMut(u32, u32),
    ) {
        let (na, nb) = (sa.len(), sb.len());
        let dense = na * nb <= dense_pairs;
        if dense && self.table.len() < na * nb {
            self.table.resize(na * nb, 0);
        }
        self.sparse.clear();
        let need = MIN_SHARED_TERMS.min(MIN_CLAUSE_TERMS) as u32;
        shared_hashes(
            (&ka.hashes, ka.middle as usize),
            (&kb.hashes, kb.middle as usize),
            &mut self.both,
        );
        for &(i, j) in &self.both {
            let (in_a, in_b) = (ka.sentences_of(i as usize), kb.sentences_of(j as usize));
            if in_a.len() + in_b.len() <= POSTING_CAP {
                for &x in in_a {
                    for &y in in_b {
                        let count = if dense {
                            let place = x as usize * nb + y as usize;
                            let count = &mut self.table[place];
                            if *count == 0 {
                                self.touched.push(place as u32);
                            }
                            count
                        } else {
                            self.sparse.entry((x, y)).or_default()
                        };
                        *count += 1;
                        if *count == need {
                            candidate(x, y);
                        }
                    }
                }
            }
        }
        for &place in &self.touched {
            self.table[place as usize] = 0;
        }
        self.touched.clear();
    }
}

/// The middle hash value: [`shared_hashes`] cuts its lists there.
const MIDDLE_HASH: u64 = 1 << 63;

/// The places `(i, j)` where `a[i] == b[j]`, ascending, of two ascending lists of distinct
/// hashes, written to `both`.
///
/// A merge step waits for the one before it (where it reads is the last step's outcome), so a
/// lone merge leaves the core idle most of the time. The hashes are uniform, so cutting at the
/// middle hash value cuts both lists into halves of about the same length, and the two halves
/// are merged in one loop, each step of one independent of the other's (a third of the time a
/// single merge takes; more lanes run out of registers). The upper half's finds follow the
/// lower half's. Each step is without a branch (about half of the comparisons would be
/// mispredicted): it writes where it stands, kept when the two are equal.
///
/// `mid_a` and `mid_b` are where the lists cut ([`PairKeys::middle`]): found once per
/// document, since a search of a list not yet in cache waits for memory at every step, and
/// took a third of the time the merge did.
fn shared_hashes(
    (a, mid_a): (&[u64], usize),
    (b, mid_b): (&[u64], usize),
    both: &mut Vec<(u32, u32)>,
) {
    // Each half has room for one more than it can find: a step writes before it knows.
    let low_room = mid_a.min(mid_b) + 1;
    let high_room = (a.len() - mid_a).min(b.len() - mid_b) + 1;
    both.clear();
    both.resize(low_room + high_room, (0, 0));
    let (low, high) = both.split_at_mut(low_room);
    let (mut i0, mut j0, mut found0) = (0, 0, 0);
    let (mut i1, mut j1, mut found1) = (mid_a, mid_b, 0);
    while i0 < mid_a && j0 < mid_b && i1 < a.len() && j1 < b.len() {
        let (x0, y0, x1, y1) = (a[i0], b[j0], a[i1], b[j1]);
        low[found0] = (i0 as u32, j0 as u32);
        high[found1] = (i1 as u32, j1 as u32);
        found0 += usize::from(x0 == y0);
        found1 += usize::from(x1 == y1);
        i0 += usize::from(x0 <= y0);
        j0 += usize::from(y0 <= x0);
        i1 += usize::from(x1 <= y1);
        j1 += usize::from(y1 <= x1);
    }
    // One half is done: the other finishes alone.
    while i0 < mid_a && j0 < mid_b {
        let (x0, y0) = (a[i0], b[j0]);
        low[found0] = (i0 as u32, j0 as u32);
        found0 += usize::from(x0 == y0);
        i0 += usize::from(x0 <= y0);
        j0 += usize::from(y0 <= x0);
    }
    while i1 < a.len() && j1 < b.len() {
        let (x1, y1) = (a[i1], b[j1]);
        high[found1] = (i1 as u32, j1 as u32);
        found1 += usize::from(x1 == y1);
        i1 += usize::from(x1 <= y1);
        j1 += usize::from(y1 <= x1);
    }
    both.copy_within(low_room..low_room + found1, found0);
    both.truncate(found0 + found1);
}

/// How many of `a`'s sentences [`align_pair_keyed`] matches with a sentence of `b`, counting
/// neither a sentence of `a` marked in `a_left_out` nor a match with a sentence of `b` marked
/// in `b_left_out` (indexed by sentence), up to `enough`: the same count (or `enough` when it
/// is more), found without choosing each sentence's partner where every partner it could be
/// given is alike.
///
/// A sentence's partner is one of the sentences of `b` most similar to it; which one (by
/// closeness, then order, from either side) is worked out only when those differ in being
/// left out, which is rare: then the whole alignment is made.
pub fn shared_sentences(
    a: (&DocumentTerms, &PairKeys, &[bool]),
    b: (&DocumentTerms, &PairKeys, &[bool]),
    enough: usize,
) -> usize {
    SharedSentences::default().count(a, b, enough)
}

/// [`shared_sentences`] with its buffers kept from one pair of documents to the next (the
/// passage evidence weighs each article against dozens of partners).
#[derive(Debug, Default)]
pub struct SharedSentences {
    /// The shared-term counting's buffers.
    counts: SharedTermCounts,
    /// How many sentences each first occurrence of the first document stands for.
    counted: Vec<u32>,
    /// The sentence pairs worth weighing.
    pairs: Vec<(u32, u32)>,
}

impl SharedSentences {
    /// [`shared_sentences`] of `a` and `b` up to `enough`.
    pub fn count(
        &mut self,
        a: (&DocumentTerms, &PairKeys, &[bool]),
        b: (&DocumentTerms, &PairKeys, &[bool]),
        enough: usize,
    ) -> usize {
        let ((sa, ka, a_left_out), (sb, kb, _)) = (a, b);
        // Each first occurrence counts once for every sentence it stands for that is not
        // left out.
        let counted = &mut self.counted;
        counted.clear();
        counted.resize(sa.len(), 0);
        for (s, &first) in sa.firsts.iter().enumerate() {
            if !left_out(a_left_out, s) {
                counted[first as usize] += 1;
            }
        }
        if enough == 0 || counted.iter().all(|&c| c == 0) {
            return 0;
        }
        // An article is weighed against partners from all over the corpus, so `b` is rarely in
        // cache, and the merge would wait for its lines one at a time: its keys, and what finds
        // its sentences, are asked for at once first, and the terms of its sentences worth
        // weighing once they are known (the stage took about a fifth less time).
        kb.fetch();
        sb.fetch_index();
        crate::prefetch::fetch(b.2);
        // The pairs worth weighing, then weighed sentence by sentence of `a`: one whose
        // candidates are all kept counts when any of them matches, so the first match ends its
        // search; only a sentence with a candidate left out needs every similarity, to know
        // whether its most similar candidates are kept.
        let pairs = &mut self.pairs;
        pairs.clear();
        self.counts.count((sa, ka), (sb, kb), DENSE_PAIRS, |s, os| {
            if counted[s as usize] > 0 {
                pairs.push((s, os));
            }
        });
        // Whether a sentence counts does not depend on the order of its candidates.
        pairs.sort_unstable();
        for &(_, os) in pairs.iter() {
            sb.fetch_sentence(os as usize);
        }
        weigh_candidates(a, b, pairs, counted, enough)
    }
}

/// The count of [`shared_sentences`] from the candidate `pairs` (sorted) of `a`'s sentences
/// with `b`'s, each sentence of `a` standing for `counted` of them.
fn weigh_candidates(
    a: (&DocumentTerms, &PairKeys, &[bool]),
    b: (&DocumentTerms, &PairKeys, &[bool]),
    pairs: &[(u32, u32)],
    counted: &[u32],
    enough: usize,
) -> usize {
    let ((sa, _, _), (sb, _, b_left_out)) = (a, b);
    let mut shared = 0;
    for run in pairs.chunk_by(|x, y| x.0 == y.0) {
        let s = run[0].0 as usize;
        let Some(x) = sa.sentence(s) else {
            continue;
        };
        let mut candidates = run.iter().filter_map(|&(_, os)| {
            let os = os as usize;
            sb.sentence(os).map(|y| (left_out(b_left_out, os), y))
        });
        let matched = if run
            .iter()
            .all(|&(_, os)| !left_out(b_left_out, os as usize))
        {
            candidates.any(|(_, y)| sentences_match(x, y))
        } else {
            // The highest similarity, and whether its candidates include kept ones and
            // left-out ones.
            let mut best: Option<(f64, bool, bool)> = None;
            for (out, y) in candidates {
                let Some(similarity) = sentence_similarity(x, y) else {
                    continue;
                };
                best = match best {
                    Some(b) if similarity < b.0 => Some(b),
                    Some((top, kept, left)) if similarity == top => {
                        Some((top, kept || !out, left || out))
                    }
                    _ => Some((similarity, !out, out)),
                };
            }
            match best {
                // Which of them the alignment gives it decides: align the whole pair.
                Some((_, true, true)) => return aligned_and_kept(a, b).min(enough),
                Some((_, kept, _)) => kept,
                None => false,
            }
        };
        if matched {
            shared += counted[s] as usize;
            if shared >= enough {
                return enough;
            }
        }
    }
    shared
}

/// Is sentence `s` marked in `marks` (unmarked past its end)?
fn left_out(marks: &[bool], s: usize) -> bool {
    marks.get(s).copied().unwrap_or(false)
}

/// How many of `a`'s sentences [`align_pair_keyed`] matches with a sentence of `b`, neither
/// marked left out.
fn aligned_and_kept(
    (sa, ka, a_left_out): (&DocumentTerms, &PairKeys, &[bool]),
    (sb, kb, b_left_out): (&DocumentTerms, &PairKeys, &[bool]),
) -> usize {
    align_pair_keyed((sa, ka), (sb, kb))
        .iter()
        .enumerate()
        .filter(|&(s, m)| {
            m.is_some_and(|(os, _)| !left_out(a_left_out, s) && !left_out(b_left_out, os))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::cluster::TermCounts;
    use crate::story::terms::term_hash;

    fn terms_of(sentences: &[&str]) -> (Vec<SentenceTerms>, Idf) {
        let mut ex = TermExtractor::new();
        let counts: Vec<TermCounts> = sentences
            .iter()
            .map(|s| TermCounts::from_terms(ex.distinct_terms(s)))
            .collect();
        let idf = Idf::new(&counts);
        (
            sentences
                .iter()
                .map(|s| SentenceTerms::new(&mut ex, s, &idf))
                .collect(),
            idf,
        )
    }

    /// One document of `sentences` (`None`: not aligned).
    fn packed(sentences: &[Option<&SentenceTerms>]) -> DocumentTerms {
        DocumentTerms::new(sentences.iter().copied())
    }

    /// The similarity of sentences `i` and `j` of `d`.
    fn similarity(d: &DocumentTerms, i: usize, j: usize) -> Option<f64> {
        sentence_similarity(d.sentence(i).unwrap(), d.sentence(j).unwrap())
    }

    #[test]
    fn negations_are_told_from_other_words() {
        for w in [
            "not", "no", "nobody", "cannot", "without", "denied", "refusing", "didn't",
        ] {
            assert!(is_negation(w), "{w}");
        }
        for w in [
            "", "n", "note", "know", "cannon", "with", "den", "refuel", "dont", "said",
        ] {
            assert!(!is_negation(w), "{w}");
        }
    }

    /// Words and marks that make a sentence's terms depend on what stands around it: names
    /// at a sentence's start, figures with their currency, scale and unit, negations, clause
    /// cuts inside words, sentences cut without a full stop.
    const AROUND_SENTENCES: &[&str] = &[
        "The",
        "Council",
        "approved",
        "Amazon",
        "said",
        "it",
        "not",
        "never",
        "don't",
        "and",
        "$",
        "50",
        "$50",
        "billion",
        "dollars",
        "%",
        "50%",
        "1,000",
        "3.5",
        "2024",
        "March",
        "note:the",
        "3;4",
        "a,b",
        "(aside)",
        "—",
        ",",
        ";",
        ":",
        ".",
        ". ",
        "! ",
        "? ",
        "\"",
        "“Quoted.”",
        "’s",
        "U.S.",
        "Mr. Smith",
        "end.The",
        "5.Then",
        "Inc.",
        " ",
        " ",
        " ",
        "\n",
        "\n\n",
        "per",
        "cent",
        "pct",
        "€",
        "£",
    ];

    proptest::proptest! {
        /// A sentence's terms taken from its block's reading, when they are taken, are those
        /// it has read alone.
        #[test]
        fn sentence_terms_from_the_block_are_those_read_alone(
            picks in proptest::collection::vec(0..AROUND_SENTENCES.len(), 0..80),
        ) {
            let text: String = picks.iter().map(|&k| AROUND_SENTENCES[k]).collect::<Vec<_>>().join(" ");
            let seg = crate::story::segment::segment(&text);
            let judged = crate::story::boilerplate::judge_blocks(&text, &seg);
            let idf = Idf::background();
            let mut ex = TermExtractor::new();
            for (b, block) in seg.blocks.iter().enumerate() {
                for s in block.sentences.clone() {
                    let span = seg.sentences[s];
                    let taken = SentenceTerms::of_block(
                        &text,
                        (block.span.start..block.span.end, span.start..span.end),
                        (&judged.terms, b, s),
                        &idf,
                    );
                    if let Some(taken) = taken {
                        let alone = SentenceTerms::new(&mut ex, span.of(&text), &idf);
                        proptest::prop_assert_eq!(taken, alone, "{:?}", span.of(&text));
                    }
                }
            }
        }
    }

    #[test]
    fn plain_sentences_take_their_terms_from_their_block() {
        let text = "Amazon said on Monday it would invest $50 billion in OpenAI. The Council \
                    approved 1,000 new homes, officials said; work starts in March. It was not \
                    approved.\n\nNew paragraph: Smith read the note:it said yes.";
        let seg = crate::story::segment::segment(text);
        let judged = crate::story::boilerplate::judge_blocks(text, &seg);
        let idf = Idf::background();
        let mut ex = TermExtractor::new();
        let taken: Vec<bool> = seg
            .sentences
            .iter()
            .enumerate()
            .map(|(s, span)| {
                let b = seg.block_of(s);
                let block = seg.blocks[b].span;
                let taken = SentenceTerms::of_block(
                    text,
                    (block.start..block.end, span.start..span.end),
                    (&judged.terms, b, s),
                    &idf,
                );
                if let Some(t) = &taken {
                    assert_eq!(t, &SentenceTerms::new(&mut ex, span.of(text), &idf));
                }
                taken.is_some()
            })
            .collect();
        // A negation, and a colon inside a word, leave a sentence to be read alone.
        assert_eq!(taken, [true, true, false, false], "{:?}", seg.sentences);
    }

    #[test]
    fn a_sentence_whose_figure_reaches_outside_it_is_read_alone() {
        // Sentences cut where no sentence mark stands (today's segmenter cuts none there):
        // the block reads "$ 50 billion" as one figure, each part alone reads another.
        let text = "It cost $ 50 billion dollars, officials said.";
        let seg = crate::story::segment::segment(text);
        let judged = crate::story::boilerplate::judge_blocks(text, &seg);
        let idf = Idf::background();
        let of_block = |span: Range<usize>| {
            SentenceTerms::of_block(text, (0..text.len(), span), (&judged.terms, 0, 0), &idf)
        };
        let figure = text.find("50").unwrap();
        let after_figure = text.find(" billion").unwrap();
        // The figure's scale and unit stand after the part; its currency before the part.
        assert_eq!(of_block(0..after_figure), None);
        assert_eq!(of_block(figure..text.len()), None);
        let alone = SentenceTerms::new(&mut TermExtractor::new(), text, &idf);
        assert_eq!(of_block(0..text.len()), Some(alone));
    }

    #[test]
    fn sentences_match_exactly_when_they_have_a_similarity() {
        let (t, _) = terms_of(PAIR_POOL);
        let d = DocumentTerms::new(t.iter().map(Some));
        let mut matched = 0;
        for i in 0..d.len() {
            for j in 0..d.len() {
                let (x, y) = (d.sentence(i).unwrap(), d.sentence(j).unwrap());
                let found = sentence_similarity(x, y).is_some();
                assert_eq!(sentences_match(x, y), found, "{i} and {j}");
                matched += usize::from(found && i != j);
            }
        }
        assert!(matched > 0, "the pool has pairs that match");
    }

    #[test]
    fn reordered_paraphrase_matches_and_other_facts_do_not() {
        let (t, _) = terms_of(&PAIR_POOL[..6]);
        let d = DocumentTerms::new(t.iter().map(Some));
        assert!(similarity(&d, 0, 1).is_some_and(|s| s > 0.8));
        assert!(similarity(&d, 2, 3).is_some());
        assert!(similarity(&d, 4, 5).is_none());
        assert!(similarity(&d, 0, 4).is_none());
    }

    #[test]
    fn packed_terms_read_back_from_a_file_are_the_same() {
        use crate::spill::Spillable;
        let (t, _) = terms_of(PAIR_POOL);
        let mut d = DocumentTerms::new(t.iter().map(Some).chain([None]));
        d.forget([1]);
        let mut bytes = Vec::new();
        d.encode(&mut bytes);
        assert_eq!(DocumentTerms::decode(&bytes), Some(d.clone()));
        assert_eq!(DocumentTerms::decode(&bytes[..bytes.len() - 1]), None);
        bytes.push(0);
        assert_eq!(DocumentTerms::decode(&bytes), None, "a byte too many");
        let mut empty = Vec::new();
        DocumentTerms::default().encode(&mut empty);
        assert_eq!(
            DocumentTerms::decode(&empty),
            Some(DocumentTerms::default())
        );
    }

    #[test]
    fn packed_terms_keep_what_comparison_reads() {
        let (t, _) = terms_of(PAIR_POOL);
        let d = DocumentTerms::new(t.iter().map(Some).chain([None]));
        assert_eq!(d.len(), PAIR_POOL.len() + 1);
        assert!(d.sentence(PAIR_POOL.len()).is_none());
        for (s, terms) in t.iter().enumerate() {
            let view = d.sentence(s).unwrap();
            let whole = view.whole();
            let hashes: Vec<u64> = terms.whole.terms.iter().map(|x| x.hash).collect();
            assert_eq!(whole.hashes(), hashes.as_slice());
            assert_eq!(whole.weight(), terms.whole.weight);
            let order: Vec<u64> = (0..whole.order.len()).filter_map(|p| whole.at(p)).collect();
            assert_eq!(order, terms.whole.order);
            for (i, x) in terms.whole.terms.iter().enumerate() {
                assert_eq!((whole.role(i), whole.negated(i)), (x.role, x.negated));
                if x.role == Role::Number {
                    assert_eq!(whole.figure(i), (x.value, x.unit));
                }
            }
            assert_eq!(view.clauses().count(), terms.clauses.len());
        }
        let mut forgotten = d.clone();
        forgotten.forget([0]);
        assert!(forgotten.sentence(0).is_none() && forgotten.sentence(1).is_some());
        assert!(d.heap_bytes() > 0);
    }

    const PAIR_POOL: &[&str] = &[
        "Negotiations are reportedly being led by Amazon CEO Andy Jassy directly with OpenAI CEO Sam Altman.",
        "The negotiations are being led directly by OpenAI CEO Sam Altman and Amazon CEO Andy Jassy, according to the same sources.",
        "Amazon is reportedly in talks to invest up to 50 billion dollars in OpenAI, a move that would position the e-commerce giant as a dominant force",
        "Amazon is reportedly in early talks to invest up to $50 billion in OpenAI, a day after confirming layoffs of around 16,000 corporate employees.",
        "Internal projections show that OpenAI could face losses of up to 14 billion dollars in 2026 alone.",
        "This follows an earlier round of roughly 14,000 layoffs in October, bringing the total reductions to about 30,000 corporate positions in recent months.",
        "Amazon CEO Andy Jassy is leading the negotiations with OpenAI CEO Sam Altman, sources said.",
        "OpenAI could lose as much as 14 billion dollars in 2026, internal projections show.",
        "Shares rose 2.1% in early trading.",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// The pairwise kernel gives each sentence of the first document the match that
        /// aligning the two as a group gives it, repeats and unaligned sentences included.
        #[test]
        fn align_pair_agrees_with_align_group(
            a in proptest::collection::vec(proptest::option::weighted(0.9, 0..PAIR_POOL.len()), 0..8),
            b in proptest::collection::vec(proptest::option::weighted(0.9, 0..PAIR_POOL.len()), 0..8),
        ) {
            let (terms, _) = terms_of(PAIR_POOL);
            let pick = |d: &[Option<usize>]| -> DocumentTerms {
                DocumentTerms::new(d.iter().map(|k| k.map(|k| &terms[k])))
            };
            let (ta, tb) = (pick(&a), pick(&b));
            let expected: Vec<Option<(usize, f64)>> = {
                let matches = align_group(&[(0, &ta), (1, &tb)]);
                (0..ta.len())
                    .map(|s| {
                        matches
                            .iter()
                            .find(|m| m.from.doc == 0 && m.from.sentence == s)
                            .map(|m| (m.to.sentence, m.similarity))
                    })
                    .collect()
            };
            let got = align_pair(&ta, &tb);
            proptest::prop_assert_eq!(&got, &expected);
            // Counted in a map, as for long documents: the same.
            let sparse = align_pair_counted((&ta, &ta.pair_keys()), (&tb, &tb.pair_keys()), 0);
            proptest::prop_assert_eq!(sparse, expected);
        }

        /// The passage evidence's count is the number of sentences the alignment matches,
        /// leaving out the sentences marked on either side, up to the count asked for.
        #[test]
        fn shared_sentences_count_what_align_pair_matches(
            a in proptest::collection::vec(proptest::option::weighted(0.9, 0..PAIR_POOL.len()), 0..10),
            b in proptest::collection::vec(proptest::option::weighted(0.9, 0..PAIR_POOL.len()), 0..10),
            a_out in proptest::collection::vec(proptest::bool::weighted(0.3), 10),
            b_out in proptest::collection::vec(proptest::bool::weighted(0.3), 10),
        ) {
            let (terms, _) = terms_of(PAIR_POOL);
            let pick = |d: &[Option<usize>]| -> DocumentTerms {
                DocumentTerms::new(d.iter().map(|k| k.map(|k| &terms[k])))
            };
            let (ta, tb) = (pick(&a), pick(&b));
            let (a_out, b_out) = (&a_out[..ta.len()], &b_out[..tb.len()]);
            let expected = align_pair(&ta, &tb)
                .iter()
                .enumerate()
                .filter(|&(s, m)| m.is_some_and(|(os, _)| !a_out[s] && !b_out[os]))
                .count();
            // One counter kept from pair to pair, as the passage evidence keeps it, the other
            // way round in between: its buffers hold nothing over.
            let mut kept = SharedSentences::default();
            for enough in [0, 1, 2, 3, usize::MAX] {
                let got = shared_sentences(
                    (&ta, &ta.pair_keys(), a_out),
                    (&tb, &tb.pair_keys(), b_out),
                    enough,
                );
                proptest::prop_assert_eq!(got, expected.min(enough), "up to {}", enough);
                let again = kept.count(
                    (&ta, &ta.pair_keys(), a_out),
                    (&tb, &tb.pair_keys(), b_out),
                    enough,
                );
                proptest::prop_assert_eq!(again, got, "kept, up to {}", enough);
                kept.count(
                    (&tb, &tb.pair_keys(), b_out),
                    (&ta, &ta.pair_keys(), a_out),
                    enough,
                );
            }
        }

        /// The two-half merge finds every hash the lists share, in order, wherever the
        /// middle falls (lists all on one side of it included).
        #[test]
        fn shared_hashes_are_the_places_of_equal_hashes(
            a in proptest::collection::btree_set(proptest::num::u64::ANY, 0..300),
            b in proptest::collection::btree_set(proptest::num::u64::ANY, 0..300),
            shared in proptest::collection::btree_set(proptest::num::u64::ANY, 0..60),
            low_only in 0u8..3,
        ) {
            // Half the hashes of a whole case below the middle, or above it, or spread.
            let place = |h: u64| match low_only {
                0 => h >> 1,
                1 => h | 1 << 63,
                _ => h,
            };
            let list = |own: &std::collections::BTreeSet<u64>| -> Vec<u64> {
                let all: std::collections::BTreeSet<u64> =
                    own.iter().chain(&shared).map(|&h| place(h)).collect();
                all.into_iter().collect()
            };
            let (a, b) = (list(&a), list(&b));
            let expected: Vec<(u32, u32)> = a
                .iter()
                .enumerate()
                .filter_map(|(i, h)| b.binary_search(h).ok().map(|j| (i as u32, j as u32)))
                .collect();
            let middle = |list: &[u64]| list.partition_point(|&h| h < MIDDLE_HASH);
            // Into a buffer that held a longer answer before.
            let mut both = vec![(7, 7); 700];
            shared_hashes((&a, middle(&a)), (&b, middle(&b)), &mut both);
            proptest::prop_assert_eq!(both, expected);
        }

        /// Bucketed by their top byte, keys come out as a comparison sort puts them.
        #[test]
        fn bucketed_keys_are_sorted_by_hash_then_place(
            keys in proptest::collection::vec((proptest::num::u64::ANY, 0u64..4, 0u32..50), 0..700),
        ) {
            // Few distinct hashes as well as many: equal hashes must keep the place order.
            let mut posted: Vec<(u64, u32, u32)> = keys
                .iter()
                .enumerate()
                .map(|(place, &(hash, few, s))| {
                    let hash = if few == 0 { hash & 0xff00_0000_0000_0003 } else { hash };
                    (hash, place as u32, s)
                })
                .collect();
            posted.reverse();
            let mut expected = posted.clone();
            expected.sort_unstable_by_key(|&(hash, place, _)| (hash, place));
            sort_by_hash_then_place(&mut posted);
            proptest::prop_assert_eq!(posted, expected);
        }

        /// A sentence read once gives each clause the terms that reading the clause on its
        /// own gives: names, figures, negations and all.
        #[test]
        fn clauses_taken_from_the_sentence_equal_clauses_read_alone(
            pieces in proptest::collection::vec((0..CLAUSE_POOL.len(), 0..SEPARATORS.len()), 1..14)
        ) {
            let sentence: String = pieces
                .iter()
                .map(|&(w, s)| format!("{}{}", CLAUSE_POOL[w], SEPARATORS[s]))
                .collect();
            let idf = Idf::new(std::iter::empty());
            let mut ex = TermExtractor::new();
            let mut read = |derive: bool| {
                let mut clauses = Vec::new();
                let whole = SentenceTerms::read(&mut ex, &sentence, &idf, derive, |c| {
                    clauses.push(c);
                    true
                });
                (whole, clauses)
            };
            let (once, apart) = (read(true), read(false));
            proptest::prop_assert_eq!(once, apart, "{}", sentence);
        }
    }

    /// Words and figures for the clause property: names, numbers with units and scales,
    /// negations, conjunctions, possessives, non-ASCII letters and quotes.
    const CLAUSE_POOL: &[&str] = &[
        "Amazon",
        "talks",
        "not",
        "didn't",
        "and",
        "$50",
        "billion",
        "dollars",
        "16,000",
        "2.1",
        "pct",
        "%",
        "2026",
        "March",
        "Monday",
        "eighty",
        "OpenAI's",
        "Zürich",
        "café",
        "“Yes”",
        "’s",
        "U.S.",
        "no",
        "never",
        "but",
        "jobs",
        "rose",
        "Jassy",
        "note",
        "3",
        "1",
        "the",
        "Inc",
        "a",
        "x",
        "É",
        "e\u{301}",
        "10",
        "k",
        "€5",
        "ﬁnance",
        "ΣΑΣ",
    ];

    /// What joins them: spaces, every clause cut, sentence punctuation and nothing at all.
    const SEPARATORS: &[&str] = &[
        " ", " ", " ", ", ", ",", "; ", ";", ": ", ":", " — ", "—", " – ", "–", " (", ") ", "(",
        ")", ". ", "'", "\"", " “", "” ", "", "-", "  ", "\u{301}",
    ];

    /// Does the pair match, in either order (the decision must not depend on it)?
    fn matches(a: &str, b: &str) -> bool {
        let (t, _) = terms_of(&[a, b]);
        let d = packed(&[Some(&t[0]), Some(&t[1])]);
        let forward = similarity(&d, 0, 1);
        assert_eq!(forward, similarity(&d, 1, 0), "{a} | {b}");
        forward.is_some()
    }

    #[test]
    fn a_figure_of_the_lighter_sentence_must_be_stated_by_the_other() {
        let base = "The company said it would cut 1,200 jobs and close three plants in Ohio by the end of the year.";
        assert!(matches(base, "By the end of the year, the company will cut 1,200 jobs and close three plants in Ohio, it said."));
        assert!(!matches(base, "The company said it would cut 2,100 jobs and close three plants in Ohio by the end of the year."));
        // One figure shared is not enough when the other differs, even inside a matching clause.
        assert!(!matches(
            "Apple reported revenue of $90 billion for the quarter, up 8 percent from a year earlier.",
            "Apple reported revenue of $90 billion for the quarter, down 3 percent from a year earlier.",
        ));
        // A thousands separator is not a clause boundary.
        assert!(!matches(
            "The storm knocked out power to 250,000 homes in North Carolina on Sunday.",
            "The storm knocked out power to 80,000 homes in North Carolina on Sunday.",
        ));
        // The same figure rounded, or spelled out, is the same figure.
        assert!(matches(
            "The company earned $1.79 billion in the quarter, beating analysts' expectations.",
            "The company earned nearly $1.8 billion in the quarter, beating analysts' expectations.",
        ));
        assert!(matches(
            "The union said 85 percent of its members voted in favour of strike action.",
            "Eighty-five percent of union members voted for strike action, the union said.",
        ));
    }

    #[test]
    fn another_name_in_the_same_place_is_someone_else() {
        assert!(!matches(
            "Senator John Kerry said on Sunday that the plan would raise taxes on the middle class.",
            "Senator Joe Lieberman said on Sunday that the plan would raise taxes on the middle class.",
        ));
        assert!(!matches(
            "With Lopez scoring twice, Real Madrid beat Sevilla 3-1 on Sunday.",
            "With Lopez scoring twice, Real Madrid beat Valencia 3-1 on Sunday.",
        ));
        // A name dropped or shortened is the same person.
        assert!(matches(
            "Amazon CEO Andy Jassy told employees on Wednesday that the company would cut 9,000 more jobs.",
            "Jassy told staff on Wednesday that Amazon would eliminate an additional 9,000 jobs.",
        ));
        assert!(matches(
            "President George W. Bush signed the bill into law at the White House on Tuesday.",
            "Bush signed the bill into law on Tuesday at the White House.",
        ));
    }

    #[test]
    fn a_negated_shared_statement_is_the_opposite_fact() {
        let yes =
            "The court ruled that the company had violated the law when it fired the workers.";
        assert!(!matches(
            yes,
            "The court ruled that the company had not violated the law when it fired the workers."
        ));
        assert!(!matches(
            "Police said the driver had been drinking before the crash on the highway.",
            "Police said the driver hadn't been drinking before the crash on the highway.",
        ));
        assert!(!matches(
            "A company spokesman confirmed that the two banks were in merger talks.",
            "A company spokesman denied that the two banks were in merger talks.",
        ));
        // Negated on both sides, or only in a clause the other lacks: no contradiction.
        assert!(matches(
            "Firefighters brought the blaze under control after four hours, and no one was injured.",
            "No one was hurt and firefighters had the fire under control within four hours.",
        ));
        assert!(matches(
            "The suspect was charged with two counts of murder and will appear in court on Monday.",
            "The suspect, who has not been named, was charged with two counts of murder and will appear in court on Monday.",
        ));
    }

    #[test]
    fn another_day_month_or_year_is_another_fact() {
        assert!(!matches(
            "The suspect will appear in court on Monday, police said.",
            "The suspect will appear in court on Thursday, police said.",
        ));
        assert!(!matches(
            "The central bank raised interest rates in March for the first time in a decade.",
            "The central bank raised interest rates in June for the first time in a decade.",
        ));
        assert!(!matches(
            "The company was founded in 1998 in Seattle and went public six years later.",
            "The company was founded in 1994 in Seattle and went public six years later.",
        ));
        assert!(matches(
            "The agency said Tuesday that it would review the safety of the drug.",
            "On Tuesday, the agency said it would review the drug's safety.",
        ));
    }

    #[test]
    fn number_values_keep_units_that_start_with_e() {
        let (v, u) = number_value("#5e7eur");
        assert_eq!((v, u), (5e7, term_hash("eur")));
        let (v, u) = number_value("#1.79e9usd");
        assert_eq!((v, u), (1.79e9, term_hash("usd")));
        let (v, u) = number_value("#12eur");
        assert_eq!((v, u), (12.0, term_hash("eur")));
        assert_eq!(number_value("#4.5%"), (4.5, term_hash("%")));
        assert_eq!(number_value("#-3"), (-3.0, term_hash("")));
    }

    #[test]
    fn clause_pieces_keep_numbers_whole() {
        let text = "It cut 16,000 jobs, the company said; shares (up 2%) rose";
        assert_eq!(
            clause_pieces(text)
                .into_iter()
                .map(|p| &text[p])
                .collect::<Vec<_>>(),
            [
                "It cut 16,000 jobs",
                " the company said",
                " shares ",
                "up 2%",
                " rose"
            ]
        );
        assert!(clause_pieces(",,").is_empty());
    }

    #[test]
    fn align_group_keeps_the_best_partner_per_document() {
        let (t, _) = terms_of(&[
            "SoftBank is separately in discussions to invest up to $30 billion more in OpenAI as part of the same round.",
            "Unrelated words about the weather in Paris today.",
            "SoftBank is separately in talks to invest an additional 30 billion dollars in OpenAI, building on its existing stake.",
        ]);
        let a = packed(&[Some(&t[0]), Some(&t[1])]);
        let b = packed(&[None, Some(&t[2])]);
        let m = align_group(&[(7, &a), (9, &b)]);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0].from,
            SentenceRef {
                doc: 7,
                sentence: 0
            }
        );
        assert_eq!(
            m[0].to,
            SentenceRef {
                doc: 9,
                sentence: 1
            }
        );
        assert_eq!(m[1].from, m[0].to);
    }

    #[test]
    fn each_sentence_finds_its_twin_when_a_looser_match_ties() {
        // Both sentences of `a` match both of `b` (they share their first clause); each must be
        // matched with the sentence that says the same and no more.
        let early = "Amazon is reportedly in early talks to invest up to $50 billion in OpenAI, a day after confirming layoffs of around 16,000 corporate employees.";
        let behind = "Amazon is reportedly in talks to invest up to $50 billion in OpenAI, the company behind ChatGPT.";
        let (t, _) = terms_of(&[early, behind]);
        let a = packed(&[Some(&t[0]), Some(&t[1])]);
        let b = packed(&[Some(&t[0]), Some(&t[1])]);
        let m = align_group(&[(0, &a), (1, &b)]);
        let pairs: Vec<(usize, usize, usize)> = m
            .iter()
            .map(|x| (x.from.doc, x.from.sentence, x.to.sentence))
            .collect();
        assert_eq!(pairs, [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1)]);
    }

    #[test]
    fn repeated_sentences_are_aligned_once_and_all_matched() {
        let (t, _) = terms_of(&[
            "SoftBank is separately in discussions to invest up to $30 billion more in OpenAI as part of the same round.",
            "SoftBank is separately in talks to invest an additional 30 billion dollars in OpenAI, building on its existing stake.",
        ]);
        let a = packed(&[Some(&t[0]); 3]);
        let b = packed(&[Some(&t[1])]);
        let m = align_group(&[(0, &a), (1, &b)]);
        let from_a: Vec<usize> = m
            .iter()
            .filter(|x| x.from.doc == 0)
            .map(|x| x.from.sentence)
            .collect();
        assert_eq!(from_a, [0, 1, 2]);
        assert_eq!(m.iter().filter(|x| x.from.doc == 1).count(), 1);
    }
}
