//! Who carries each sentence: the partner lists behind the passages, bounded as they are built.
//!
//! A sentence's partners come from three places: the sentences it is aligned with in the other
//! near-duplicate representatives of its story, the copies aligned with it (or, for a copy, its
//! representative), and every document that carries it word for word. A wire sentence carried
//! by ten thousand articles would give each of them ten thousand partners, and the corpus a
//! hundred million; a report lists only the best few.
//!
//! Main choice: a list keeps only the entries a report can use, and the word-for-word
//! partners are never listed at all until a document is labelled. Lists are ordered best
//! first (similarity, then document order) and cut after the [`PartnerRules::reach`]-th
//! distinct document: every later entry ranks below that many other documents, so it can
//! neither reach the [`PartnerRules::max_partners`] a passage lists nor be read when partners
//! are followed through a representative (which reads a list only as far as `reach`). The
//! word-for-word partners of a sentence are derived from its group of identical sentences when
//! asked, in the same order, so a sentence in ten thousand articles costs one entry per
//! occurrence.

use crate::story::align::SentenceRef;
use crate::story::passage::Partner;
use crate::story::segment::PackedSegmentation;

/// One entry of a partner list: the other sentence and the similarity.
pub type Link = (SentenceRef, f64);

/// How many partners are kept and followed.
#[derive(Debug, Clone, Copy)]
pub struct PartnerRules {
    /// Most partners a passage lists.
    pub max_partners: usize,
    /// How far a list is read when partners are followed through a representative.
    pub reach: usize,
    /// How many distinct documents a list keeps: at least `reach`, and keeping more changes
    /// no partner (which the tests check).
    pub keep: usize,
}

impl PartnerRules {
    /// The rules for `max_partners` listed partners: lists are followed four times as far,
    /// and kept that far.
    pub fn new(max_partners: usize) -> Self {
        let reach = max_partners.max(1) * 4;
        PartnerRules {
            max_partners,
            reach,
            keep: reach,
        }
    }
}

/// Best first: higher similarity, then the earlier document and sentence.
fn best_first(a: &Link, b: &Link) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Sort `list` best first and cut it after its `keep`-th distinct document.
pub fn cap(list: &mut Vec<Link>, keep: usize) {
    list.sort_unstable_by(best_first);
    let mut seen: Vec<usize> = Vec::with_capacity(keep.min(64) + 1);
    let mut cut = list.len();
    for (k, (to, _)) in list.iter().enumerate() {
        if !seen.contains(&to.doc) {
            if seen.len() == keep {
                cut = k;
                break;
            }
            seen.push(to.doc);
        }
    }
    list.truncate(cut);
}

/// An entry of [`VerbatimGroups::from_entries`] is 16 bytes: the key, the document, and the
/// sentence with its length in this top bit (a document of two billion sentences is not read).
const LONG: u32 = 1 << 31;

/// Sentences found word for word in more than one document, by group of identical wording.
#[derive(Debug, Default)]
pub struct VerbatimGroups {
    groups: Vec<Group>,
    /// For each document, `(sentence, group)` sorted by sentence.
    member: Vec<Vec<(u32, u32)>>,
}

/// Sentences of one wording.
#[derive(Debug)]
struct Group {
    /// Whether they are long enough to be matched across stories.
    long: bool,
    /// Every occurrence, in document order, as (document, sentence): 8 bytes where a
    /// [`SentenceRef`] takes 16, and a wire sentence in every article has an occurrence in each.
    refs: Vec<[u32; 2]>,
    /// How many of `refs` hold the firsts: the first occurrence in each of the group's first
    /// [`GROUP_FIRSTS`] documents.
    firsts_end: usize,
}

impl Group {
    /// Is `refs[k]` its document's first occurrence (as opposed to a repeat)?
    fn starts_document(&self, k: usize) -> bool {
        k == 0 || self.refs[k - 1][0] != self.refs[k][0]
    }

    /// Occurrence `k`.
    fn at(&self, k: usize) -> SentenceRef {
        let [doc, sentence] = self.refs[k];
        SentenceRef {
            doc: doc as usize,
            sentence: sentence as usize,
        }
    }

    /// The firsts, in document order.
    fn firsts(&self) -> impl Iterator<Item = SentenceRef> + '_ {
        (0..self.firsts_end)
            .filter(|&k| self.starts_document(k))
            .map(|k| self.at(k))
    }
}

/// Documents of a group whose first occurrence stands for it: every occurrence is matched with
/// these, so a group's matches grow with its size, not with its square.
const GROUP_FIRSTS: usize = 64;

impl VerbatimGroups {
    /// Group the sentences of `n` documents by their key: `keys(doc)` gives
    /// `(sentence, key, long)` for each sentence that may be matched by its wording, in
    /// sentence order. Groups found in one document only are dropped.
    pub fn new<I>(n: usize, keys: impl Fn(usize) -> I) -> Self
    where
        I: IntoIterator<Item = (usize, u64, bool)>,
    {
        let mut keyed: Vec<(u64, u32, u32)> = Vec::new();
        for doc in 0..n {
            keyed.extend(
                keys(doc)
                    .into_iter()
                    .filter_map(|(sentence, key, long)| Self::entry((doc, sentence), key, long)),
            );
        }
        Self::from_entries(n, keyed)
    }

    /// The entry [`VerbatimGroups::from_entries`] reads for sentence `sentence` of document
    /// `doc` with wording `key`, `long` enough to be matched across stories; `None` past the
    /// two billionth document or sentence, which are not read.
    pub fn entry((doc, sentence): (usize, usize), key: u64, long: bool) -> Option<(u64, u32, u32)> {
        let (d, s) = (u32::try_from(doc).ok()?, u32::try_from(sentence).ok()?);
        (s < LONG).then_some((key, d, s | if long { LONG } else { 0 }))
    }

    /// Group the entries of `n` documents (each made by [`VerbatimGroups::entry`], in any
    /// order) as [`VerbatimGroups::new`] does.
    pub fn from_entries(n: usize, mut keyed: Vec<(u64, u32, u32)>) -> Self {
        // Every keyed sentence in one flat list sorted by key, then by place: a run of one key
        // is a group, its occurrences in document order, the first one's length deciding. (A
        // hash table of lists would take three times the memory for the same groups.)
        {
            use rayon::slice::ParallelSliceMut;
            keyed.par_sort_unstable_by_key(|&(key, doc, s)| (key, doc, s & !LONG));
        }
        let at = |&(_, doc, s): &(u64, u32, u32)| [doc, s & !LONG];
        let runs = keyed.chunk_by(|a, b| a.0 == b.0);
        let mut groups: Vec<Group> = runs
            .filter(|run| run.iter().any(|r| r.1 != run[0].1))
            .map(|run| (run[0].2 & LONG != 0, run.iter().map(at).collect::<Vec<_>>()))
            .map(|(long, refs)| {
                // Past the last first: the ref that starts the (GROUP_FIRSTS + 1)-th document.
                let mut docs = 0;
                let firsts_end = refs
                    .iter()
                    .enumerate()
                    .position(|(k, r)| {
                        if k == 0 || refs[k - 1][0] != r[0] {
                            docs += 1;
                        }
                        docs > GROUP_FIRSTS
                    })
                    .unwrap_or(refs.len());
                Group {
                    long,
                    refs,
                    firsts_end,
                }
            })
            .collect();
        drop(keyed);
        // Deterministic numbering: by first occurrence.
        groups.sort_unstable_by_key(|g| g.refs[0]);
        let mut member: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        for (g, group) in groups.iter().enumerate() {
            for &[doc, sentence] in &group.refs {
                member[doc as usize].push((sentence, g as u32));
            }
        }
        for m in &mut member {
            m.sort_unstable();
        }
        VerbatimGroups { groups, member }
    }

    /// The group of sentence `r`, if it is in one.
    fn group_of(&self, r: SentenceRef) -> Option<&Group> {
        let m = self.member.get(r.doc)?;
        let k = m.binary_search_by_key(&(r.sentence as u32), |x| x.0).ok()?;
        self.groups.get(m[k].1 as usize)
    }

    /// The word-for-word partners of sentence `at`, as whole lists would hold them (both
    /// directions of every match, repeats included), cut after `keep` documents each way.
    /// `matches(long, a, b)` says whether two occurrences in different documents of a group
    /// whose sentences are `long` (or not) are matched.
    pub fn partners_of(
        &self,
        at: SentenceRef,
        keep: usize,
        matches: impl Fn(bool, SentenceRef, SentenceRef) -> bool,
        out: &mut Vec<Link>,
    ) {
        let Some(group) = self.group_of(at) else {
            return;
        };
        let matches = |a, b| matches(group.long, a, b);
        // Matched with each first (all at similarity 1, so the earliest documents rank first).
        let mut taken = 0;
        for b in group.firsts() {
            if taken == keep {
                break;
            }
            if b.doc != at.doc && matches(at, b) {
                out.push((b, 1.0));
                taken += 1;
            }
        }
        // A first is matched with every occurrence.
        // A reference past the 32-bit numbers is in no group (`group_of` found one).
        let packed = [at.doc, at.sentence].map(|v| u32::try_from(v).unwrap_or(u32::MAX));
        let at_is_first = group.refs[..group.firsts_end]
            .binary_search(&packed)
            .is_ok_and(|k| group.starts_document(k));
        if at_is_first {
            let mut docs = 0;
            let mut last = usize::MAX;
            for k in 0..group.refs.len() {
                let a = group.at(k);
                if a.doc == at.doc || !matches(a, at) {
                    continue;
                }
                if a.doc != last {
                    if docs == keep {
                        break;
                    }
                    docs += 1;
                    last = a.doc;
                }
                out.push((a, 1.0));
            }
        }
    }
}

/// Buffers of [`PartnerSources::head_into`], kept between calls.
#[derive(Debug, Default)]
struct Scratch {
    verbatim: Vec<Link>,
    seen: Vec<usize>,
}

/// A document's partner lists before the word-for-word partners are added: per sentence, its
/// aligned sentences in other documents, capped.
pub type SentenceLinks = Vec<Vec<Link>>;

/// Where partners come from when documents are labelled.
pub struct PartnerSources<'a> {
    /// Per document, per sentence: aligned partners (story and copies), capped.
    pub aligned: &'a [SentenceLinks],
    /// Per copy, per sentence: its match in its representative (sentence, similarity).
    pub in_representative: &'a [Vec<Option<(usize, f64)>>],
    /// Word-for-word partners.
    pub verbatim: &'a VerbatimGroups,
    /// Each document's near-duplicate representative.
    pub representative: &'a [usize],
    /// Each document's story.
    pub story: &'a [usize],
    /// Documents that are the representative of at least one copy.
    pub has_copies: &'a [bool],
    /// Every document's segmentation, for partner spans.
    pub segmentation: &'a [PackedSegmentation],
    /// How many partners are kept and followed.
    pub rules: PartnerRules,
    /// Per representative with copies, per sentence: the copies its list reaches, as
    /// [`PartnerSources::copies_reached`] finds them once for the whole corpus. `None` follows
    /// whole lists wherever they are reached: the same partners for many times the work (the
    /// tests' reference).
    pub copies_reached: Option<&'a [SentenceLinks]>,
}

impl PartnerSources<'_> {
    /// Are two occurrences of one sentence matched? Across stories when the sentence is long
    /// enough; within a story only between representatives (copies inherit).
    fn verbatim_match(&self, long: bool, a: SentenceRef, b: SentenceRef) -> bool {
        if self.story[a.doc] == self.story[b.doc] {
            self.representative[a.doc] == a.doc && self.representative[b.doc] == b.doc
        } else {
            long
        }
    }

    /// Sentence `at`'s whole list: aligned and word-for-word partners, best first, capped.
    fn list(&self, at: SentenceRef) -> Vec<Link> {
        let mut out: Vec<Link> = self
            .aligned
            .get(at.doc)
            .and_then(|d| d.get(at.sentence))
            .cloned()
            .unwrap_or_default();
        self.verbatim.partners_of(
            at,
            self.rules.keep,
            |long, a, b| self.verbatim_match(long, a, b),
            &mut out,
        );
        cap(&mut out, self.rules.keep);
        out
    }

    /// The first `n` entries of sentence `at`'s whole list, exactly `list(at)` cut to `n`
    /// entries: its aligned list is kept sorted best first, so only the word-for-word partners
    /// are sorted, and the two are merged (aligned first among equals, as a stable sort of
    /// the two put end to end would have them) until `n` entries or the cap.
    fn head(&self, at: SentenceRef, n: usize) -> Vec<Link> {
        let mut out = Vec::new();
        self.head_into(at, n, &mut Scratch::default(), &mut out);
        out
    }

    /// [`PartnerSources::head`] into `out` (emptied first), with `scratch`'s buffers.
    fn head_into(&self, at: SentenceRef, n: usize, scratch: &mut Scratch, out: &mut Vec<Link>) {
        out.clear();
        let aligned: &[Link] = self
            .aligned
            .get(at.doc)
            .and_then(|d| d.get(at.sentence))
            .map_or(&[], Vec::as_slice);
        let Scratch { verbatim, seen } = scratch;
        verbatim.clear();
        seen.clear();
        self.verbatim.partners_of(
            at,
            self.rules.keep,
            |long, a, b| self.verbatim_match(long, a, b),
            verbatim,
        );
        verbatim.sort_unstable_by(best_first);
        let (mut i, mut j) = (0, 0);
        while out.len() < n {
            let next = match (aligned.get(i), verbatim.get(j)) {
                (Some(a), Some(v)) if best_first(a, v) != std::cmp::Ordering::Greater => {
                    i += 1;
                    *a
                }
                (_, Some(v)) => {
                    j += 1;
                    *v
                }
                (Some(a), None) => {
                    i += 1;
                    *a
                }
                (None, None) => break,
            };
            // The cap: a list ends before its (keep + 1)-th distinct document.
            if !seen.contains(&next.0.doc) {
                if seen.len() == self.rules.keep {
                    break;
                }
                seen.push(next.0.doc);
            }
            out.push(next);
        }
    }

    /// The copies of `to.doc` that sentence `to`'s list reaches within its first
    /// [`PartnerRules::reach`] entries: what following `to` adds to a list that holds it.
    /// Empty unless `to.doc` is a representative with copies aligned with `to`.
    fn copies_through(&self, to: SentenceRef) -> Vec<Link> {
        if self.representative[to.doc] != to.doc || !self.has_copies[to.doc] {
            return Vec::new();
        }
        // Only aligned entries can be copies of `to.doc` (word-for-word matches within a
        // story are between representatives): most sentences have none to follow.
        let aligned = self.aligned.get(to.doc).and_then(|d| d.get(to.sentence));
        if !aligned.is_some_and(|l| l.iter().any(|(x, _)| self.representative[x.doc] == to.doc)) {
            return Vec::new();
        }
        let mut found = self.head(to, self.rules.reach);
        found.retain(|(x, _)| self.representative[x.doc] == to.doc);
        found
    }

    /// For every document, per sentence, the copies of that document its list reaches
    /// within its first [`PartnerRules::reach`] entries; empty for documents without copies. A sentence
    /// is followed from every sentence aligned with it, so finding this once, in parallel,
    /// saves labelling from rebuilding the head of the same list for each of them.
    pub fn copies_reached(&self) -> Vec<SentenceLinks> {
        use rayon::prelude::*;
        (0..self.representative.len())
            .into_par_iter()
            .map(|doc| {
                if self.representative[doc] != doc || !self.has_copies[doc] {
                    return Vec::new();
                }
                let sentences = self
                    .segmentation
                    .get(doc)
                    .map_or(0, PackedSegmentation::sentence_count);
                (0..sentences)
                    .map(|sentence| {
                        let mut found = self.copies_through(SentenceRef { doc, sentence });
                        found.shrink_to_fit();
                        found
                    })
                    .collect()
            })
            .collect()
    }

    /// A representative's list with the copies of the representatives it matches: a sentence
    /// of `r` also reaches the copies aligned with its partners' sentences.
    fn expanded(&self, r: usize, list: &mut Vec<Link>) {
        let followed = list.len().min(self.rules.reach);
        for k in 0..followed {
            let (to, sim) = list[k];
            // Most documents have no copies: nothing to follow, and no list to look up.
            if !self.has_copies.get(to.doc).copied().unwrap_or(false) {
                continue;
            }
            let found;
            let through: &[Link] = match self.copies_reached {
                Some(reached) => reached
                    .get(to.doc)
                    .and_then(|d| d.get(to.sentence))
                    .map_or(&[], Vec::as_slice),
                None => {
                    found = self.head(to, self.rules.reach);
                    &found
                }
            };
            for &(further, s2) in through {
                if further.doc != r && self.representative[further.doc] == to.doc {
                    list.push((further, sim.min(s2)));
                }
            }
        }
    }

    /// The partners of every sentence of document `i`, best first, at most `max_partners`
    /// each, one per document.
    pub fn partners(&self, i: usize) -> Vec<Vec<Partner>> {
        let r = self.representative[i];
        let reach = self.rules.reach;
        let sentences = self.segmentation[i].sentence_count();
        // Buffers kept from sentence to sentence: a list is rebuilt for every sentence.
        let mut scratch = Scratch::default();
        let (mut found, mut through) = (Vec::new(), Vec::new());
        (0..sentences)
            .map(|s| {
                let at = SentenceRef {
                    doc: i,
                    sentence: s,
                };
                // The whole list, merged from its sorted parts rather than sorted again
                // (the reference builds it the plain way).
                match self.copies_reached {
                    Some(_) => self.head_into(at, usize::MAX, &mut scratch, &mut found),
                    None => found = self.list(at),
                }
                if r == i {
                    self.expanded(i, &mut found);
                } else if let Some(Some((t, sim))) =
                    self.in_representative.get(i).and_then(|m| m.get(s))
                {
                    let to = SentenceRef {
                        doc: r,
                        sentence: *t,
                    };
                    // Only the first `reach` entries are read: found once, the head is
                    // enough.
                    match self.copies_reached {
                        Some(_) => self.head_into(to, reach, &mut scratch, &mut through),
                        None => through = self.list(to),
                    }
                    self.expanded(r, &mut through);
                    for &(further, s2) in through.iter().take(reach) {
                        if further.doc != i {
                            found.push((further, sim.min(s2)));
                        }
                    }
                }
                self.best(&mut found)
            })
            .collect()
    }

    /// One partner per document (the best), best first, then by document order; at most
    /// `max_partners`.
    fn best(&self, found: &mut Vec<Link>) -> Vec<Partner> {
        found.sort_unstable_by(|a, b| {
            a.0.doc
                .cmp(&b.0.doc)
                .then(b.1.total_cmp(&a.1))
                .then(a.0.sentence.cmp(&b.0.sentence))
        });
        found.dedup_by_key(|x| x.0.doc);
        found.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.doc.cmp(&b.0.doc)));
        found.truncate(self.rules.max_partners);
        found
            .iter()
            .filter_map(|&(to, similarity)| {
                let span = self.segmentation.get(to.doc)?.sentence(to.sentence)?;
                Some(Partner {
                    doc: to.doc,
                    span,
                    sentence: to.sentence,
                    similarity,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::segment::segment;
    use proptest::prelude::*;

    /// A random corpus for the partner stage: documents of a few sentences, in a few stories,
    /// some copies of an earlier representative of their story, random aligned links and
    /// sentences repeated word for word.
    #[derive(Debug, Clone)]
    struct Corpus {
        sentences: Vec<usize>,
        story: Vec<usize>,
        representative: Vec<usize>,
        links: Vec<(usize, usize, usize, usize, u8)>,
        keys: Vec<Vec<Option<(u8, bool)>>>,
    }

    fn corpus() -> impl Strategy<Value = Corpus> {
        (2usize..14).prop_flat_map(|n| {
            (
                proptest::collection::vec(1usize..5, n),
                proptest::collection::vec(0usize..3, n),
                proptest::collection::vec(proptest::option::of(0usize..n), n),
                proptest::collection::vec((0..n, 0usize..5, 0..n, 0usize..5, 0u8..4), 0..40),
                proptest::collection::vec(
                    proptest::collection::vec(
                        proptest::option::weighted(0.7, (0u8..3, any::<bool>())),
                        5,
                    ),
                    n,
                ),
            )
                .prop_map(|(sentences, mut story, copy_of, links, keys)| {
                    let n = sentences.len();
                    let mut representative: Vec<usize> = (0..n).collect();
                    for i in 0..n {
                        if let Some(j) = copy_of[i] {
                            if j < i && representative[j] == j {
                                representative[i] = j;
                                story[i] = story[j];
                            }
                        }
                    }
                    Corpus {
                        sentences,
                        story,
                        representative,
                        links,
                        keys,
                    }
                })
        })
    }

    fn partners_with(c: &Corpus, rules: PartnerRules) -> Vec<Vec<Vec<Partner>>> {
        let n = c.sentences.len();
        let texts: Vec<String> = c
            .sentences
            .iter()
            .map(|&k| vec!["A sentence here."; k].join(" "))
            .collect();
        let segmentations: Vec<PackedSegmentation> = texts
            .iter()
            .map(|t| PackedSegmentation::new(&segment(t)).unwrap())
            .collect();
        let count = |d: usize| segmentations[d].sentence_count();
        let mut aligned: Vec<SentenceLinks> = (0..n).map(|d| vec![Vec::new(); count(d)]).collect();
        let mut in_representative: Vec<Vec<Option<(usize, f64)>>> =
            (0..n).map(|d| vec![None; count(d)]).collect();
        let sims = [0.6, 0.8, 0.95, 1.0];
        for &(a, s, b, t, k) in &c.links {
            if a == b || s >= count(a) || t >= count(b) {
                continue;
            }
            let sim = sims[k as usize];
            let (x, y) = (
                SentenceRef {
                    doc: a,
                    sentence: s,
                },
                SentenceRef {
                    doc: b,
                    sentence: t,
                },
            );
            aligned[a][s].push((y, sim));
            aligned[b][t].push((x, sim));
            if c.representative[a] == b && a != b {
                in_representative[a][s] = Some((t, sim));
            }
        }
        for list in aligned.iter_mut().flatten() {
            cap(list, rules.keep);
        }
        let verbatim = VerbatimGroups::new(n, |doc| {
            c.keys[doc]
                .iter()
                .enumerate()
                .take(count(doc))
                .filter_map(|(s, k)| k.map(|(key, long)| (s, u64::from(key), long)))
                .collect::<Vec<_>>()
        });
        let has_copies: Vec<bool> = (0..n)
            .map(|d| (0..n).any(|i| i != d && c.representative[i] == d))
            .collect();
        let sources = PartnerSources {
            aligned: &aligned,
            in_representative: &in_representative,
            verbatim: &verbatim,
            representative: &c.representative,
            story: &c.story,
            has_copies: &has_copies,
            segmentation: &segmentations,
            rules,
            copies_reached: None,
        };
        // The head of a list is the list cut short.
        for d in 0..n {
            for sentence in 0..count(d) {
                let at = SentenceRef { doc: d, sentence };
                let list = sources.list(at);
                for cut in [1, 3, rules.reach, usize::MAX] {
                    let expected = &list[..cut.min(list.len())];
                    assert_eq!(sources.head(at, cut), expected, "{at:?} {cut}");
                }
            }
        }
        // Copies found once give the partners that following every list again gives.
        let reached = sources.copies_reached();
        let once = PartnerSources {
            copies_reached: Some(&reached),
            ..sources
        };
        let partners: Vec<Vec<Vec<Partner>>> = (0..n).map(|i| once.partners(i)).collect();
        for (i, p) in partners.iter().enumerate() {
            assert_eq!(*p, sources.partners(i), "document {i}");
        }
        partners
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Lists cut after `keep` documents give every sentence the partners that whole lists
        /// give it.
        #[test]
        fn capped_lists_give_the_partners_of_whole_lists(c in corpus(), max in 1usize..3) {
            let capped = PartnerRules::new(max);
            let whole = PartnerRules { keep: usize::MAX, ..capped };
            prop_assert_eq!(partners_with(&c, capped), partners_with(&c, whole));
        }
    }

    #[test]
    fn cap_keeps_the_best_of_the_first_documents() {
        let at = |doc, sentence| SentenceRef { doc, sentence };
        let mut list = vec![
            (at(3, 0), 0.5),
            (at(1, 0), 0.9),
            (at(2, 1), 0.9),
            (at(1, 2), 0.7),
            (at(4, 0), 1.0),
        ];
        cap(&mut list, 2);
        // Documents 4 and 1 are the two best: from the third document on, every entry goes
        // (document 1's weaker one too, since it ranks after document 2).
        assert_eq!(list, vec![(at(4, 0), 1.0), (at(1, 0), 0.9)]);
    }
}
