//! Passages: a document's sentences labelled shared, unique or boilerplate, merged with their
//! neighbours of the same label, and the originality score that follows from them.
//!
//! A sentence is boilerplate when its block is, shared when aligned with a sentence of another
//! document, unique otherwise. Neighbouring sentences merge when their labels agree: unique
//! and boilerplate ones within a block (boilerplate blocks in a row merge too), shared ones
//! when they are shared with the same documents in the same order, so that a passage never
//! mixes labels or partners.

use crate::story::boilerplate::BoilerplateReason;
use crate::story::segment::{Segmentation, Span};
use serde::Serialize;

/// What a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageStatus {
    /// Carried, in close wording, by another document.
    Shared,
    /// Found in no other document.
    Unique,
    /// Site furniture.
    Boilerplate,
}

impl PassageStatus {
    /// The label as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PassageStatus::Shared => "shared",
            PassageStatus::Unique => "unique",
            PassageStatus::Boilerplate => "boilerplate",
        }
    }
}

/// Where a shared passage is found in another document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partner {
    /// The other document (index into the analysed documents).
    pub doc: usize,
    /// The matching bytes in it.
    pub span: Span,
    /// Index of the first matching sentence there (for merging in order).
    pub sentence: usize,
    /// How similar the two passages are (0..1).
    pub similarity: f64,
}

/// One labelled passage of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Its bytes in the document's text.
    pub span: Span,
    /// Its label.
    pub status: PassageStatus,
    /// For a shared passage, where else it is found (best first).
    pub partners: Vec<Partner>,
    /// For a boilerplate passage, why.
    pub reason: Option<BoilerplateReason>,
}

/// Label every sentence and merge neighbours: `boilerplate[b]` says why block `b` is
/// boilerplate (`None`: content), `partners[s]` lists sentence `s`'s partners (best first).
/// Boilerplate blocks merge only with neighbours of the same reason.
pub fn build_passages(
    seg: &Segmentation,
    boilerplate: &[Option<BoilerplateReason>],
    partners: &[Vec<Partner>],
) -> Vec<Passage> {
    let mut passages: Vec<Passage> = Vec::new();
    let mut last_block = usize::MAX;
    for (b, block) in seg.blocks.iter().enumerate() {
        let reason = boilerplate.get(b).copied().flatten();
        let is_boilerplate = reason.is_some();
        for s in block.sentences.clone() {
            let span = seg.sentences[s];
            let mine = partners.get(s).map(Vec::as_slice).unwrap_or(&[]);
            let status = if is_boilerplate {
                PassageStatus::Boilerplate
            } else if mine.is_empty() {
                PassageStatus::Unique
            } else {
                PassageStatus::Shared
            };
            let same_block = last_block == b;
            if let Some(prev) = passages.last_mut() {
                if prev.status == status
                    && same_reason(prev.reason, reason)
                    && mergeable(
                        prev,
                        mine,
                        status,
                        same_block,
                        last_block.wrapping_add(1) == b,
                    )
                {
                    prev.span.end = span.end;
                    if prev.reason == Some(BoilerplateReason::Separator) {
                        prev.reason = reason;
                    }
                    for (p, m) in prev.partners.iter_mut().zip(mine) {
                        p.span.start = p.span.start.min(m.span.start);
                        p.span.end = p.span.end.max(m.span.end);
                        p.sentence = m.sentence;
                        p.similarity = p.similarity.min(m.similarity);
                    }
                    last_block = b;
                    continue;
                }
            }
            passages.push(Passage {
                span,
                status,
                partners: if status == PassageStatus::Shared {
                    mine.to_vec()
                } else {
                    Vec::new()
                },
                reason,
            });
            last_block = b;
        }
    }
    passages
}

/// Boilerplate merges with boilerplate of the same reason; a separator joins either side.
fn same_reason(a: Option<BoilerplateReason>, b: Option<BoilerplateReason>) -> bool {
    let separator = Some(BoilerplateReason::Separator);
    a == b || a == separator || b == separator
}

fn mergeable(
    prev: &Passage,
    next: &[Partner],
    status: PassageStatus,
    same_block: bool,
    next_block: bool,
) -> bool {
    match status {
        PassageStatus::Boilerplate => same_block || next_block,
        PassageStatus::Unique => same_block,
        PassageStatus::Shared => {
            same_block
                && prev.partners.len() == next.len()
                && prev.partners.iter().zip(next).all(|(p, n)| {
                    p.doc == n.doc && n.sentence >= p.sentence && n.sentence <= p.sentence + 2
                })
        }
    }
}

/// Bytes per label in `passages`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ByteCounts {
    /// Bytes of shared passages.
    pub shared: usize,
    /// Bytes of unique passages.
    pub unique: usize,
    /// Bytes of boilerplate passages.
    pub boilerplate: usize,
}

impl ByteCounts {
    /// Count the bytes of `passages`.
    pub fn of(passages: &[Passage]) -> Self {
        let mut c = ByteCounts::default();
        for p in passages {
            match p.status {
                PassageStatus::Shared => c.shared += p.span.len(),
                PassageStatus::Unique => c.unique += p.span.len(),
                PassageStatus::Boilerplate => c.boilerplate += p.span.len(),
            }
        }
        c
    }

    /// Add another count.
    pub fn add(&mut self, other: ByteCounts) {
        self.shared += other.shared;
        self.unique += other.unique;
        self.boilerplate += other.boilerplate;
    }

    /// Unique bytes over non-boilerplate bytes; `None` when there is no content at all.
    pub fn originality(&self) -> Option<f64> {
        let content = self.shared + self.unique;
        (content > 0).then(|| self.unique as f64 / content as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::segment::segment;

    #[test]
    fn labels_merge_within_blocks_and_never_mix() {
        let text = "One. Two. Three.\nMenu\nAds\nFour. Five.";
        let seg = segment(text);
        let p = |doc, sentence, start, end| Partner {
            doc,
            span: Span { start, end },
            sentence,
            similarity: 0.9,
        };
        let partners = vec![
            vec![p(1, 0, 0, 4)],
            vec![p(1, 1, 5, 9)],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![p(2, 9, 50, 60)],
        ];
        let cue = Some(BoilerplateReason::Cue);
        let passages = build_passages(&seg, &[None, cue, cue, None], &partners);
        let got: Vec<(&str, PassageStatus)> = passages
            .iter()
            .map(|x| (x.span.of(text), x.status))
            .collect();
        assert_eq!(
            got,
            [
                ("One. Two.", PassageStatus::Shared),
                ("Three.", PassageStatus::Unique),
                ("Menu\nAds", PassageStatus::Boilerplate),
                ("Four.", PassageStatus::Unique),
                ("Five.", PassageStatus::Shared),
            ]
        );
        assert_eq!(passages[0].partners[0].span, Span { start: 0, end: 9 });
        let counts = ByteCounts::of(&passages);
        assert_eq!(
            counts,
            ByteCounts {
                shared: 14,
                unique: 11,
                boilerplate: 8
            }
        );
        assert_eq!(counts.originality(), Some(11.0 / 25.0));
    }
}
