//! The content terms of one article, as story vectors count them: its headline's terms and
//! those of every block that is not boilerplate.
//!
//! Main choice: one function serves the batch pipeline, which also leaves out blocks that other
//! articles show to be templates, and the index, which sees one article at a time; so an
//! article's terms are the same whichever way it is matched.

use crate::story::boilerplate::{judge_blocks, BlockTerms, BoilerplateReason};
use crate::story::cluster::TermCounts;
use crate::story::segment::segment_blocks;
use crate::story::terms::{Term, TermExtractor, TermKind};
use ahash::AHashSet;

/// The terms of a headline, counted once each like the body's. In a headline set in title case
/// every word is capitalised, which says nothing about names: there, a capitalised word counts
/// as a name only where the body also writes it as one (the counts merge by term).
pub(crate) fn title_terms(title: Option<&str>) -> Vec<Term> {
    let Some(title) = title.filter(|t| !t.trim().is_empty()) else {
        return Vec::new();
    };
    let mut extractor = TermExtractor::new();
    let mut terms = Vec::new();
    extractor.for_each_term(title, |t| terms.push(t));
    let words = title.split_whitespace().count();
    let capitalised = title
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    if words >= 3 && capitalised * 2 > words {
        for t in &mut terms {
            if t.kind == TermKind::Name {
                t.kind = TermKind::Word;
            }
        }
    }
    terms
}

/// The terms of the content blocks of a document, after its headline's terms, leaving out
/// blocks whose key is in `skip`: what story vectors count. `known` holds the terms of every
/// content block, as the judging read them.
pub(crate) fn content_terms(
    (boilerplate, known): (&[Option<BoilerplateReason>], &BlockTerms),
    (block_keys, skip): (&[Option<u64>], &AHashSet<u64>),
    title_terms: &[Term],
) -> Vec<Term> {
    let mut terms: Vec<Term> = title_terms.to_vec();
    for b in 0..boilerplate.len() {
        let skipped = block_keys[b].is_some_and(|k| skip.contains(&k));
        if boilerplate[b].is_none() && !skipped {
            terms.extend(known.of(b).into_iter().flatten());
        }
    }
    terms
}

/// The content terms of one document on its own, as story vectors count them: its headline
/// (when given) and the text of every block its own evidence does not call boilerplate. (A
/// batch run also leaves out blocks that other documents show to be templates; a single
/// document cannot know those.)
pub fn story_terms(text: &str, title: Option<&str>) -> TermCounts {
    let segmentation = segment_blocks(text);
    let judged = judge_blocks(text, &segmentation);
    let no_keys = vec![None; segmentation.blocks.len()];
    TermCounts::from_terms(content_terms(
        (&judged.verdicts, &judged.terms),
        (&no_keys, &AHashSet::new()),
        &title_terms(title),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_headline_counts_in_story_terms_and_title_case_is_no_name() {
        let body = "The council approved the new bridge on Monday after a long debate.";
        let plain = story_terms(body, None);
        let titled = story_terms(body, Some("Council Approves Harbour Bridge"));
        let count = |c: &TermCounts, word: &str| {
            let h = TermExtractor::new().distinct_terms(word)[0].hash;
            c.terms
                .iter()
                .find(|(t, _)| t.hash == h)
                .map(|(t, n)| (t.kind, *n))
        };
        assert_eq!(count(&plain, "harbour"), None);
        // Every word of a title-case headline is capitalised: that alone makes no name.
        assert_eq!(count(&titled, "harbour"), Some((TermKind::Word, 1)));
        assert!(titled.terms.len() > plain.terms.len());
        assert_eq!(story_terms(body, Some("  ")).terms, plain.terms);
    }
}
