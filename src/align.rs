//! Align sentences across the documents of a story: which sentence carries the same facts in
//! close wording as which sentence elsewhere.
//!
//! A sentence is compared by its content terms weighted by IDF (see [`crate::terms`]), so
//! reordered clauses and light paraphrase still match while a sentence on the same topic with
//! other facts does not. Two sentences match when the terms they share carry most of the weight
//! of the lighter one (a trimmed copy is still a copy), or when a clause of each matches almost
//! whole (a sentence that keeps one clause of the wire copy and adds its own). The figures must
//! agree: when the lighter sentence states a number and the other states none of its numbers,
//! they report different facts. Candidates come from an inverted index over the group's
//! sentences, never from all pairs.

use crate::story::Idf;
use crate::terms::{dedup_terms, Term, TermExtractor, TermKind};
use ahash::AHashMap;

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

/// A set of weighted terms (sorted by hash).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeightedTerms {
    /// (hash, weight, kind) sorted by hash.
    pub terms: Vec<(u64, f32, TermKind)>,
    /// Total weight.
    pub weight: f32,
}

impl WeightedTerms {
    fn new(mut terms: Vec<Term>, idf: &Idf) -> Self {
        dedup_terms(&mut terms);
        let terms: Vec<(u64, f32, TermKind)> = terms
            .iter()
            .map(|t| {
                let number = t.kind == TermKind::Number;
                let w = idf.weight(t.hash) * if number { 1.5 } else { 1.0 };
                (t.hash, w, t.kind)
            })
            .collect();
        let weight = terms.iter().map(|t| t.1).sum();
        WeightedTerms { terms, weight }
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
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
    pub fn new(extractor: &mut TermExtractor, sentence: &str, idf: &Idf) -> Self {
        let mut whole = Vec::new();
        extractor.for_each_term(sentence, |t| whole.push(t));
        let whole = WeightedTerms::new(whole, idf);
        let mut clauses = Vec::new();
        let pieces: Vec<&str> = sentence
            .split([',', ';', ':', '—', '–', '(', ')'])
            .filter(|p| !p.trim().is_empty())
            .collect();
        if pieces.len() > 1 {
            for piece in pieces {
                let mut terms = Vec::new();
                extractor.for_each_term(piece, |t| terms.push(t));
                let clause = WeightedTerms::new(terms, idf);
                if clause.len() + usize::from(clause.terms.iter().any(|t| t.2 == TermKind::Number))
                    >= MIN_CLAUSE_TERMS
                {
                    clauses.push(clause);
                    if clauses.len() == MAX_CLAUSES {
                        break;
                    }
                }
            }
        }
        SentenceTerms { whole, clauses }
    }
}

/// What two term sets share: weight and count, and whether they contradict each other.
struct Overlap {
    weight: f32,
    count: usize,
    shared_numbers: usize,
    /// Either states figures and they share none, or both name someone and share no name:
    /// the same kind of fact about something else.
    contradicted: bool,
}

fn overlap(a: &WeightedTerms, b: &WeightedTerms) -> Overlap {
    let (mut i, mut j, mut weight, mut count) = (0, 0, 0.0f32, 0);
    let (mut shared_numbers, mut shared_names) = (0, 0);
    while i < a.terms.len() && j < b.terms.len() {
        match a.terms[i].0.cmp(&b.terms[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                weight += a.terms[i].1;
                count += 1;
                // A term is a name when either side capitalised it mid-sentence.
                match (a.terms[i].2, b.terms[j].2) {
                    (TermKind::Number, _) => shared_numbers += 1,
                    (TermKind::Name, _) | (_, TermKind::Name) => shared_names += 1,
                    _ => {}
                }
                i += 1;
                j += 1;
            }
        }
    }
    let has = |w: &WeightedTerms, kind: TermKind| w.terms.iter().any(|t| t.2 == kind);
    let numbers = has(a, TermKind::Number) || has(b, TermKind::Number);
    let names = has(a, TermKind::Name) && has(b, TermKind::Name);
    Overlap {
        weight,
        count,
        shared_numbers,
        contradicted: (numbers && shared_numbers == 0) || (names && shared_names == 0),
    }
}

fn coefficient(a: &WeightedTerms, b: &WeightedTerms, min_shared: usize) -> Option<f64> {
    let o = overlap(a, b);
    // A shared figure is worth a term: "seeks $100 billion in new capital" is a fact.
    if o.contradicted || o.count + usize::from(o.shared_numbers > 0) < min_shared {
        return None;
    }
    let lighter = a.weight.min(b.weight);
    (lighter > 0.0).then(|| (o.weight / lighter) as f64)
}

/// How closely two sentences carry the same facts: `Some(similarity)` when they match.
pub fn sentence_similarity(a: &SentenceTerms, b: &SentenceTerms) -> Option<f64> {
    let whole =
        coefficient(&a.whole, &b.whole, MIN_SHARED_TERMS).filter(|&s| s >= SENTENCE_THRESHOLD);
    let mut best = whole;
    for ca in a.clauses.iter().chain(std::iter::once(&a.whole)) {
        for cb in b.clauses.iter().chain(std::iter::once(&b.whole)) {
            if std::ptr::eq(ca, &a.whole) && std::ptr::eq(cb, &b.whole) {
                continue;
            }
            if let Some(s) =
                coefficient(ca, cb, MIN_CLAUSE_TERMS).filter(|&s| s >= CLAUSE_THRESHOLD)
            {
                // A clause match says less about the whole sentence: scale by its share.
                let share = (ca.weight / a.whole.weight)
                    .max(cb.weight / b.whole.weight)
                    .min(1.0) as f64;
                let s = (s * share).max(SENTENCE_THRESHOLD);
                best = Some(best.map_or(s, |b: f64| b.max(s)));
            }
        }
    }
    best.map(|s| s.min(1.0))
}

/// Shared weight over the heavier side's weight: 1 for the same terms, less the more either
/// side says besides.
fn closeness(a: &WeightedTerms, b: &WeightedTerms) -> f32 {
    let heavier = a.weight.max(b.weight);
    if heavier > 0.0 {
        overlap(a, b).weight / heavier
    } else {
        0.0
    }
}

/// For each sentence, the index of the first sentence of the document with the same terms.
fn first_occurrences(sentences: &[Option<SentenceTerms>]) -> Vec<usize> {
    let mut seen: AHashMap<u64, usize> = AHashMap::new();
    sentences
        .iter()
        .enumerate()
        .map(|(s, terms)| {
            let Some(terms) = terms else { return s };
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            for t in &terms.whole.terms {
                h.update(&t.0.to_le_bytes());
            }
            *seen.entry(h.digest()).or_insert(s)
        })
        .collect()
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
pub fn align_group(group: &[(usize, &[Option<SentenceTerms>])]) -> Vec<SentenceMatch> {
    // A sentence repeated within a document is aligned once, through its first occurrence.
    let firsts: Vec<Vec<usize>> = group
        .iter()
        .map(|(_, sentences)| first_occurrences(sentences))
        .collect();
    let mut postings: AHashMap<u64, Vec<(u32, u32)>> = AHashMap::new();
    for (g, (_, sentences)) in group.iter().enumerate() {
        for (s, terms) in sentences.iter().enumerate() {
            if firsts[g][s] != s {
                continue;
            }
            if let Some(terms) = terms {
                for t in &terms.whole.terms {
                    postings.entry(t.0).or_default().push((g as u32, s as u32));
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
        for (s, terms) in sentences.iter().enumerate() {
            let Some(terms) = terms else { continue };
            if firsts[g][s] != s {
                continue;
            }
            counts.clear();
            for t in &terms.whole.terms {
                let Some(list) = postings.get(&t.0) else {
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
                let Some(Some(other)) = group[og as usize].1.get(os as usize) else {
                    continue;
                };
                if let Some(sim) = sentence_similarity(terms, other) {
                    let close = closeness(&terms.whole, &other.whole);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::TermCounts;

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

    #[test]
    fn reordered_paraphrase_matches_and_other_facts_do_not() {
        let (t, _) = terms_of(&[
            "Negotiations are reportedly being led by Amazon CEO Andy Jassy directly with OpenAI CEO Sam Altman.",
            "The negotiations are being led directly by OpenAI CEO Sam Altman and Amazon CEO Andy Jassy, according to the same sources.",
            "Amazon is reportedly in talks to invest up to 50 billion dollars in OpenAI, a move that would position the e-commerce giant as a dominant force",
            "Amazon is reportedly in early talks to invest up to $50 billion in OpenAI, a day after confirming layoffs of around 16,000 corporate employees.",
            "Internal projections show that OpenAI could face losses of up to 14 billion dollars in 2026 alone.",
            "This follows an earlier round of roughly 14,000 layoffs in October, bringing the total reductions to about 30,000 corporate positions in recent months.",
        ]);
        assert!(sentence_similarity(&t[0], &t[1]).is_some_and(|s| s > 0.8));
        assert!(sentence_similarity(&t[2], &t[3]).is_some());
        assert!(sentence_similarity(&t[4], &t[5]).is_none());
        assert!(sentence_similarity(&t[0], &t[4]).is_none());
    }

    #[test]
    fn align_group_keeps_the_best_partner_per_document() {
        let (t, _) = terms_of(&[
            "SoftBank is separately in discussions to invest up to $30 billion more in OpenAI as part of the same round.",
            "Unrelated words about the weather in Paris today.",
            "SoftBank is separately in talks to invest an additional 30 billion dollars in OpenAI, building on its existing stake.",
        ]);
        let a = vec![Some(t[0].clone()), Some(t[1].clone())];
        let b = vec![None, Some(t[2].clone())];
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
        let a = vec![Some(t[0].clone()), Some(t[1].clone())];
        let b = vec![Some(t[0].clone()), Some(t[1].clone())];
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
        let a = vec![Some(t[0].clone()); 3];
        let b = vec![Some(t[1].clone())];
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
