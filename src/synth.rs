//! A deterministic generator of syndicated news corpora with known ground truth.
//!
//! Tests and benchmarks need many news-length articles whose near-duplicate relations are known.
//! Each generated "wire story" is a headline and 25–40 sentences of English-like text: common
//! function words mixed with content words drawn from a Zipf-distributed vocabulary, plus numbers
//! and figures. Some documents are originals; others are syndicated copies of an earlier story
//! as outlets publish them: a new headline, sometimes a trimmed ending, a few sentences edited
//! word by word, and the outlet's own footer lines (related links, newsletter pitches). Every
//! document records its `story` and the id of the original it copies (`copy_of`), so recall can
//! be measured against exact similarities.
//!
//! Main choice: a story's text is a pure function of (seed, story number), regenerated when a copy
//! needs it, so generating a million documents needs no memory of earlier ones. The random
//! generator is SplitMix64, written here so that the corpus for a seed never changes with a
//! dependency's version.

use crate::sketch::hash::mix;
use serde::Serialize;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthConfig {
    /// Number of documents.
    pub documents: usize,
    /// Seed: the same seed always gives the same corpus.
    pub seed: u64,
    /// Share of documents that are copies of an earlier story (0..=1).
    pub copy_share: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            documents: 1000,
            seed: 1,
            copy_share: 0.3,
        }
    }
}

/// One generated article with its ground truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SynthDocument {
    /// Unique id, `d` and the document number.
    pub id: String,
    /// The publishing outlet.
    pub outlet: String,
    /// Publication date-time (ISO 8601, UTC).
    pub date: String,
    /// The article text: headline, body paragraphs, outlet footer.
    pub text: String,
    /// The story it tells (originals and their copies share it).
    pub story: usize,
    /// The id of the original this document copies; `None` for an original.
    pub copy_of: Option<String>,
}

/// A small, fast, seedable random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(mix(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "a", "that", "is", "for", "on", "with", "as", "by", "was",
    "it", "at", "from", "has", "its", "be", "are", "an", "have", "after", "which", "this", "will",
    "said", "more", "than", "their", "who", "would", "been", "but", "also", "not", "were", "they",
    "into", "over", "about", "could", "while", "amid", "since", "last", "new", "first", "two",
];

const SYLLABLES: &[&str] = &[
    "ba", "ker", "lon", "mi", "sta", "ro", "ven", "tal", "dor", "ne", "pri", "sen", "gal", "ti",
    "mar", "co", "vel", "ra", "shan", "den", "lu", "por", "qui", "zen", "fa", "hol", "bri", "gem",
    "nor", "sul", "tra", "win", "cas", "el", "mon", "ar", "ist", "ment", "ion", "ly",
];

const OUTLETS: &[&str] = &[
    "Wire Service",
    "The Daily Ledger",
    "Metro Herald",
    "Business Standard Online",
    "The Evening Post",
    "Coastal Times",
    "Market Watcher",
    "Global Dispatch",
    "City Chronicle",
    "Tech Bulletin",
    "The Morning Record",
    "Capital Report",
    "Northern Gazette",
    "News Now 24",
    "The Independent Voice",
    "Finance Daily",
    "Regional Courier",
    "The Observer Network",
    "Pacific Tribune",
    "World Briefing",
];

const FOOTERS: &[&str] = &[
    "Also Read: {}",
    "Subscribe to our daily newsletter for the top stories in your inbox.",
    "Share this article",
    "Leave a Reply",
    "Related: {}",
    "Advertisement",
    "Follow us on social media for live updates.",
    "This Post Has 0 Comments",
    "For all coverage, subscribe to the {} newsletter.",
];

const VOCABULARY: usize = 6000;

/// The generator: an iterator over [`SynthDocument`]s.
#[derive(Debug, Clone)]
pub struct Synth {
    config: SynthConfig,
    rng: Rng,
    vocabulary: Vec<String>,
    /// Cumulative Zipf weights over `vocabulary`.
    cumulative: Vec<f64>,
    next: usize,
    /// Document number of each story's original (8 bytes per story).
    originals: Vec<usize>,
}

impl Synth {
    /// A generator for `config`.
    pub fn new(config: SynthConfig) -> Self {
        let mut rng = Rng::new(config.seed ^ 0x5EED);
        let vocabulary: Vec<String> = (0..VOCABULARY)
            .map(|rank| {
                let syllables = 2 + rank * 3 / VOCABULARY + rng.below(2);
                (0..syllables)
                    .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                    .collect()
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=VOCABULARY)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Synth {
            config,
            rng: Rng::new(config.seed),
            vocabulary,
            cumulative,
            next: 0,
            originals: Vec::new(),
        }
    }

    fn content_word(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative[VOCABULARY - 1];
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let rank = self.cumulative.partition_point(|c| *c < x);
        &self.vocabulary[rank.min(VOCABULARY - 1)]
    }

    fn word(&self, rng: &mut Rng) -> String {
        match rng.below(20) {
            0..=8 => FUNCTION_WORDS[rng.below(FUNCTION_WORDS.len())].to_string(),
            9 => match rng.below(4) {
                0 => format!("{},{:03}", rng.between(1, 99), rng.below(1000)),
                1 => format!("${} billion", rng.between(1, 500)),
                2 => format!("{}.{}%", rng.below(30), rng.below(10)),
                _ => format!("{}", rng.between(1990, 2030)),
            },
            _ => self.content_word(rng).to_string(),
        }
    }

    fn sentence(&self, rng: &mut Rng) -> Vec<String> {
        let n = rng.between(12, 28);
        (0..n).map(|_| self.word(rng)).collect()
    }

    fn render(words: &[String]) -> String {
        let mut s = words.join(" ");
        if let Some(first) = s.get(..1) {
            let upper = first.to_ascii_uppercase();
            s.replace_range(..1, &upper);
        }
        s.push('.');
        s
    }

    fn headline(&self, rng: &mut Rng) -> String {
        let n = rng.between(6, 12);
        let words: Vec<String> = (0..n).map(|_| self.word(rng)).collect();
        let mut s = words.join(" ");
        if let Some(first) = s.get(..1) {
            let upper = first.to_ascii_uppercase();
            s.replace_range(..1, &upper);
        }
        s
    }

    /// The sentences of story `story`: the same every time it is asked for.
    fn story_sentences(&self, story: usize) -> Vec<Vec<String>> {
        let mut rng = Rng::new(self.config.seed ^ mix(story as u64 ^ 0x570_2E5));
        let n = rng.between(25, 40);
        (0..n).map(|_| self.sentence(&mut rng)).collect()
    }

    fn footer(&self, outlet: usize, rng: &mut Rng) -> Vec<String> {
        // Each outlet has its own fixed template lines, filled with a fresh related headline.
        let mut template = Rng::new(outlet as u64 ^ 0xF00);
        let lines = template.between(2, 4);
        (0..lines)
            .map(|_| {
                let line = FOOTERS[template.below(FOOTERS.len())];
                if line.contains("{}") {
                    if line.contains("the {} newsletter") {
                        line.replace("{}", OUTLETS[outlet])
                    } else {
                        line.replace("{}", &self.headline(rng))
                    }
                } else {
                    line.to_string()
                }
            })
            .collect()
    }

    fn assemble(
        headline: &str,
        sentences: &[Vec<String>],
        footer: &[String],
        rng: &mut Rng,
    ) -> String {
        let mut text = String::with_capacity(5000);
        text.push_str(headline);
        text.push('\n');
        let mut i = 0;
        while i < sentences.len() {
            let paragraph = rng.between(2, 4).min(sentences.len() - i);
            let rendered: Vec<String> = sentences[i..i + paragraph]
                .iter()
                .map(|s| Self::render(s))
                .collect();
            text.push_str(&rendered.join(" "));
            text.push('\n');
            i += paragraph;
        }
        for line in footer {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn date(story: usize, delay_minutes: usize) -> String {
        // Stories start 2026-01-01 and come every 7 minutes.
        let minutes = story * 7 + delay_minutes;
        let (days, rest) = (minutes / 1440, minutes % 1440);
        let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let day = base + chrono::Days::new(days as u64);
        format!("{}T{:02}:{:02}:00Z", day, rest / 60, rest % 60)
    }
}

impl Iterator for Synth {
    type Item = SynthDocument;

    fn next(&mut self) -> Option<SynthDocument> {
        if self.next >= self.config.documents {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let id = format!("d{index:07}");
        let mut rng = Rng::new(self.config.seed ^ mix(index as u64));
        let stories = self.originals.len();
        let is_copy = stories > 0 && self.rng.chance(self.config.copy_share);
        if !is_copy {
            let story = stories;
            self.originals.push(index);
            let sentences = self.story_sentences(story);
            let footer = self.footer(0, &mut rng);
            let text = Self::assemble(&self.headline(&mut rng), &sentences, &footer, &mut rng);
            return Some(SynthDocument {
                id,
                outlet: OUTLETS[0].to_string(),
                date: Self::date(story, 0),
                text,
                story,
                copy_of: None,
            });
        }
        // A copy of one of the recent stories, as another outlet runs it.
        let story = stories - 1 - self.rng.below(stories.min(500));
        let outlet = 1 + rng.below(OUTLETS.len() - 1);
        let mut sentences = self.story_sentences(story);
        if rng.chance(0.4) {
            let keep = sentences.len() - rng.below(sentences.len() / 3 + 1);
            sentences.truncate(keep.max(1));
        }
        for _ in 0..rng.below(5) {
            let s = rng.below(sentences.len());
            let sentence = &mut sentences[s];
            let w = rng.below(sentence.len());
            match rng.below(3) {
                0 => sentence[w] = self.word(&mut rng),
                1 if sentence.len() > 1 => {
                    sentence.remove(w);
                }
                _ => sentence.insert(w, self.word(&mut rng)),
            }
        }
        let footer = self.footer(outlet, &mut rng);
        let text = Self::assemble(&self.headline(&mut rng), &sentences, &footer, &mut rng);
        Some(SynthDocument {
            id,
            outlet: OUTLETS[outlet].to_string(),
            date: Self::date(story, rng.between(5, 3 * 1440)),
            text,
            story,
            copy_of: Some(format!("d{:07}", self.originals[story])),
        })
    }
}

/// How well a clustering recovers the planted near-duplicates of a generated corpus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlantedRecall {
    /// Pairs of documents of the same story whose exact Jaccard is at least `threshold + 0.05`.
    pub pairs: usize,
    /// How many of those pairs share a cluster.
    pub found: usize,
    /// `found / pairs` (1 when there is no such pair).
    pub recall: f64,
    /// The lowest exact similarity of a cluster member to its representative.
    pub min_member_similarity: f64,
    /// Same-story pairs at or above the threshold itself.
    pub pairs_at_threshold: usize,
}

/// Measure `clusters` (one cluster number per document) against the ground truth of `docs`:
/// every pair of documents of one story is compared exactly with `similarity`.
pub fn planted_recall(
    docs: &[SynthDocument],
    clusters: &[usize],
    representative_similarity: &[f64],
    threshold: f64,
    similarity: impl Fn(usize, usize) -> f64,
) -> PlantedRecall {
    let mut by_story: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, d) in docs.iter().enumerate() {
        by_story.entry(d.story).or_default().push(i);
    }
    let (mut pairs, mut found, mut at_threshold) = (0, 0, 0);
    for members in by_story.values() {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let j = similarity(a, b);
                at_threshold += usize::from(j >= threshold);
                if j >= threshold + 0.05 {
                    pairs += 1;
                    found += usize::from(clusters[a] == clusters[b]);
                }
            }
        }
    }
    PlantedRecall {
        pairs,
        found,
        recall: if pairs == 0 {
            1.0
        } else {
            found as f64 / pairs as f64
        },
        min_member_similarity: representative_similarity
            .iter()
            .copied()
            .fold(1.0, f64::min),
        pairs_at_threshold: at_threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_corpus_and_copies_point_back() {
        let config = SynthConfig {
            documents: 300,
            ..SynthConfig::default()
        };
        let a: Vec<_> = Synth::new(config).collect();
        let b: Vec<_> = Synth::new(config).collect();
        assert_eq!(a, b);
        let copies = a.iter().filter(|d| d.copy_of.is_some()).count();
        assert!((60..=120).contains(&copies), "{copies} copies");
        for doc in &a {
            if let Some(original) = &doc.copy_of {
                let original = a.iter().find(|d| &d.id == original).unwrap();
                assert_eq!(original.story, doc.story);
                assert!(original.copy_of.is_none());
            }
        }
        let mean = a.iter().map(|d| d.text.len()).sum::<usize>() / a.len();
        assert!((3000..6000).contains(&mean), "mean length {mean}");
    }
}
