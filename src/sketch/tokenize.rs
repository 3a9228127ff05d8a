//! Normalizing and tokenizing: text → words with byte spans into the original, each hashed.
//!
//! Words are Unicode (UAX #29) word segments that contain a letter or digit, found on the original
//! text so every token keeps its exact byte span. Each word is then normalized on its own: NFKC,
//! curly quotes and dashes folded to ASCII, case-folded, and NFKC again if case folding left it
//! un-normalized, so that normalizing is idempotent. The normalized word is hashed with seeded
//! xxh3; only the hash travels further.
//!
//! Main choice: a fast path for ASCII (and the curly quotes and dashes of news text). The text is
//! cut at whitespace followed by such a character (UAX #29 always breaks there, and no rule looks
//! across such a cut); stretches made only of such characters are scanned by a small state
//! machine implementing the UAX #29 rules as they apply to them, other stretches go to
//! `unicode-segmentation`. Property tests check that both paths give the same words. Nothing on
//! this path allocates per word: short words are folded on the stack, others in a reused buffer.

use caseless::Caseless;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A word of the original text: its byte span and the hash of its normalized form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte of the word in the original text.
    pub start: usize,
    /// Byte offset one past the word's last byte.
    pub end: usize,
    /// Seeded xxh3 of the normalized word.
    pub hash: u64,
}

/// Fold typographic quotes, apostrophes and dashes to their ASCII forms.
#[inline]
fn fold_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{FF07}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{FF02}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        c => c,
    }
}

/// Normalize `word` into `out` (cleared first): NFKC, quote and dash folding, lower case.
pub fn normalize_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    // Words the fast scanner finds are ASCII but for typographic apostrophes: fold those
    // directly (NFKC leaves ASCII and ‘ ’ alone, so this equals the general path).
    if word
        .chars()
        .all(|c| c.is_ascii() || c == '\u{2018}' || c == '\u{2019}')
    {
        out.extend(word.chars().map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            c => c.to_ascii_lowercase(),
        }));
        return;
    }
    // Full Unicode case folding (ß → ss, final ς → σ), not just lower-casing.
    out.extend(word.nfkc().map(fold_char).default_case_fold());
    if out.is_ascii() || is_nfkc_quick(out.chars()) == IsNormalized::Yes {
        return;
    }
    // Case folding can produce a sequence NFKC would rewrite; normalizing again keeps the whole
    // function idempotent. Rare, so the allocation here is off the hot path.
    let renormalized: String = out.nfkc().collect();
    *out = renormalized;
}

/// The normalized form of a whole text, as words are normalized (for display and tests).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Longest word folded without the general normalization path.
const SHORT_WORD: usize = 48;

/// Fold a short word made of ASCII and ‘ ’ only (most words of news text) into `out`: the same
/// bytes [`normalize_into`] gives, without touching the heap. Returns the folded length, or
/// `None` when the word needs the general path.
#[inline]
fn fold_short_word(word: &str, out: &mut [u8; SHORT_WORD]) -> Option<usize> {
    let bytes = word.as_bytes();
    if bytes.len() > SHORT_WORD {
        return None;
    }
    let (mut i, mut len) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            out[len] = b.to_ascii_lowercase();
            i += 1;
        } else if b == 0xE2 && matches!(bytes.get(i + 1..i + 3), Some([0x80, 0x98 | 0x99])) {
            out[len] = b'\'';
            i += 3;
        } else {
            return None;
        }
        len += 1;
    }
    Some(len)
}

#[inline]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C')
}

/// The fast scanner's view of the character at `i`: its class and byte length, or `None` for a
/// character it leaves to the full UAX #29 implementation. Besides ASCII it knows the
/// typographic characters news text is full of, none of which is Extend, Format, ZWJ or a
/// space to UAX #29: ‘ ’ (MidNumLet, like `.`), and “ ” – — … and no-break space (Other).
#[inline]
fn fast_class(bytes: &[u8], i: usize) -> Option<(Class, usize)> {
    let b = bytes[i];
    if b < 0x80 {
        return Some((CLASSES[b as usize], 1));
    }
    match (b, bytes.get(i + 1), bytes.get(i + 2)) {
        (0xE2, Some(0x80), Some(0x98 | 0x99)) => Some((Class::MidNumLet, 3)),
        (0xE2, Some(0x80), Some(0x93 | 0x94 | 0x9C | 0x9D | 0xA6)) => Some((Class::Other, 3)),
        (0xC2, Some(0xA0), _) => Some((Class::Other, 2)),
        _ => None,
    }
}

/// Byte length of the UTF-8 character starting with `lead`.
#[inline]
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Position of the first byte `>= 0x80` at or after `from` (or `bytes.len()`), eight bytes at a
/// time: most of a news article is ASCII.
#[inline]
fn next_non_ascii(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let high = u64::from_le_bytes(word) & 0x8080_8080_8080_8080;
        if high != 0 {
            return i + (high.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i] < 0x80 {
        i += 1;
    }
    i
}

/// Start of the whitespace-separated piece that contains position `i`, not before `floor`.
#[inline]
fn piece_start(bytes: &[u8], floor: usize, mut i: usize) -> usize {
    while i > floor && !is_ascii_space(bytes[i - 1]) {
        i -= 1;
    }
    i
}

/// End of the whitespace-separated piece that contains position `i`.
#[inline]
fn piece_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && !is_ascii_space(bytes[i]) {
        i += 1;
    }
    i
}

/// Call `f(start, word)` for every word of `text` (a UAX #29 word segment with a letter or digit),
/// in order, with `start` its byte offset.
///
/// The text is scanned from a safe cut `pos` on. Characters the fast scanner knows are skipped
/// over in bulk; at the first character it does not know, the text before the piece holding it
/// goes to the fast scanner and a slow stretch goes to `unicode-segmentation`. The slow stretch
/// reaches back over the preceding whitespace and piece when the unknown character starts its
/// piece (it might be a combining mark that UAX #29 attaches to that whitespace), and forward
/// over every following piece that also starts with an unknown character, so that each cut is
/// whitespace followed by a known character.
pub fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str)) {
    scan_words(text, |start, word, _| f(start, word));
}

/// [`for_each_word`], also telling for each word whether it is plain: made only of ASCII
/// lower-case letters, digits and ASCII joiners, so that it is its own normalized form. The
/// fast scanner knows this from the bytes it reads anyway; the slow path says `false`.
#[inline]
fn scan_words<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str, bool)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut pos = 0;
    let mut search = 0;
    loop {
        let q = next_non_ascii(bytes, search);
        if q == n {
            scan_stretch(text, pos, n, true, &mut f);
            return;
        }
        if let Some((_, len)) = fast_class(bytes, q) {
            search = q + len;
            continue;
        }
        let piece = piece_start(bytes, pos, q);
        let start = if piece == q {
            // Back over the whitespace before, then over the previous piece.
            let mut s = q;
            while s > pos && is_ascii_space(bytes[s - 1]) {
                s -= 1;
            }
            piece_start(bytes, pos, s)
        } else {
            piece
        };
        let mut end = piece_end(bytes, q);
        loop {
            let mut next = end;
            while next < n && is_ascii_space(bytes[next]) {
                next += 1;
            }
            if next < n && fast_class(bytes, next).is_none() {
                end = piece_end(bytes, next);
            } else {
                break;
            }
        }
        scan_stretch(text, pos, start, true, &mut f);
        scan_stretch(text, start, end, false, &mut f);
        pos = end;
        search = end;
    }
}

#[inline]
fn scan_stretch<'t>(
    text: &'t str,
    start: usize,
    end: usize,
    fast: bool,
    f: &mut impl FnMut(usize, &'t str, bool),
) {
    let stretch = &text[start..end];
    if fast {
        fast_words(stretch, start, f);
    } else {
        for (offset, word) in stretch.unicode_word_indices() {
            f(start + offset, word, false);
        }
    }
}

/// UAX #29 word classes, as far as word segments with letters or digits go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    /// `_` (ExtendNumLet): joins letters and digits.
    Connector,
    /// `:` (MidLetter): joins two letters.
    MidLetter,
    /// `,` `;` (MidNum): join two digits.
    MidNum,
    /// `.` `'` ‘ ’ (MidNumLet, Single_Quote): join two letters or two digits.
    MidNumLet,
    Other,
}

static CLASSES: [Class; 128] = {
    let mut table = [Class::Other; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() {
            Class::Letter
        } else if c.is_ascii_digit() {
            Class::Digit
        } else if c == b'_' {
            Class::Connector
        } else if c == b':' {
            Class::MidLetter
        } else if c == b',' || c == b';' {
            Class::MidNum
        } else if c == b'.' || c == b'\'' {
            Class::MidNumLet
        } else {
            Class::Other
        };
        b += 1;
    }
    table
};

/// Bytes that always join each other inside a word: [`LOWER`] for ASCII lower-case letters,
/// digits and `_`, [`UPPER`] for upper-case letters, 0 for every other byte (non-ASCII too).
static WORD_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            LOWER
        } else {
            0
        };
        b += 1;
    }
    table
};
const LOWER: u8 = 1;
/// Also marks a word that needs folding (upper case, or a typographic apostrophe).
const UPPER: u8 = 2;

#[inline]
fn is_word_byte(b: u8) -> bool {
    WORD_CLASS[b as usize] != 0
}

/// UAX #29 word segmentation of a stretch whose characters are all known to [`fast_class`];
/// yields the segments with a letter or digit.
#[inline]
fn fast_words<'t>(s: &'t str, base: usize, f: &mut impl FnMut(usize, &'t str, bool)) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if !is_word_byte(b) {
            // Only letters, digits and `_` start a word; the known non-ASCII characters never do.
            i += if b < 0x80 { 1 } else { char_len(b) };
            continue;
        }
        let start = i;
        let mut seen = 0u8;
        loop {
            // WB5, WB8, WB9, WB10, WB13a, WB13b: letters, digits and `_` all join.
            while let Some(&b) = bytes.get(i) {
                let class = WORD_CLASS[b as usize];
                if class == 0 {
                    break;
                }
                seen |= class;
                i += 1;
            }
            if i == n {
                break;
            }
            let Some((mid, len)) = fast_class(bytes, i) else {
                break;
            };
            if !matches!(mid, Class::MidLetter | Class::MidNum | Class::MidNumLet) || i + len >= n {
                break;
            }
            // WB6/WB7 (letters) and WB11/WB12 (digits) look one character each way.
            let (prev, next) = (bytes[i - 1], bytes[i + len]);
            let letters = prev.is_ascii_alphabetic() && next.is_ascii_alphabetic();
            let digits = prev.is_ascii_digit() && next.is_ascii_digit();
            let joins = match mid {
                Class::MidLetter => letters,
                Class::MidNum => digits,
                _ => letters || digits,
            };
            if !joins {
                break;
            }
            if len > 1 {
                // A typographic apostrophe folds to `'`.
                seen |= UPPER;
            }
            i += len;
        }
        // A run of `_` alone is no word.
        if bytes[start] != b'_' || bytes[start..i].iter().any(|&b| b != b'_') {
            f(base + start, &s[start..i], seen & UPPER == 0);
        }
    }
}

/// Turns text into hashed tokens; holds the buffer that normalization reuses.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    seed: u64,
    buf: String,
    short: [u8; SHORT_WORD],
}

impl Tokenizer {
    /// A tokenizer whose token hashes are seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Tokenizer {
            seed,
            buf: String::with_capacity(64),
            short: [0; SHORT_WORD],
        }
    }

    /// The hash of an already normalized word.
    #[inline]
    pub fn hash_normalized(&self, normalized: &str) -> u64 {
        xxh3_64_with_seed(normalized.as_bytes(), self.seed)
    }

    /// The hash of `word` once normalized.
    #[inline]
    pub fn hash_word(&mut self, word: &str) -> u64 {
        let bytes = word.as_bytes();
        // Most words of news text are lower-case ASCII already: hash them in place.
        if !bytes.iter().any(|&b| b >= 0x80 || b.is_ascii_uppercase()) {
            return xxh3_64_with_seed(bytes, self.seed);
        }
        if let Some(len) = fold_short_word(word, &mut self.short) {
            return xxh3_64_with_seed(&self.short[..len], self.seed);
        }
        normalize_into(word, &mut self.buf);
        xxh3_64_with_seed(self.buf.as_bytes(), self.seed)
    }

    /// Call `f` with every token of `text`, in order.
    #[inline]
    pub fn for_each_token(&mut self, text: &str, mut f: impl FnMut(Token)) {
        let seed = self.seed;
        scan_words(text, |start, word, plain| {
            f(Token {
                start,
                end: start + word.len(),
                // A plain word is already normalized: hash it where it stands.
                hash: if plain {
                    xxh3_64_with_seed(word.as_bytes(), seed)
                } else {
                    self.hash_word(word)
                },
            });
        });
    }

    /// Every token of `text`.
    pub fn tokens(&mut self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::with_capacity(text.len() / 6);
        self.for_each_token(text, |t| tokens.push(t));
        tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        for_each_word(text, |s, w| out.push((s, w)));
        out
    }

    fn reference(text: &str) -> Vec<(usize, &str)> {
        text.unicode_word_indices().collect()
    }

    #[test]
    fn words_keep_their_spans() {
        let text = "Amazon’s $50B deal: U.S. talks, 16,000 jobs; can't e.g. a_b 3.14";
        assert_eq!(words(text), reference(text));
        let w: Vec<&str> = words(text).into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            w,
            [
                "Amazon’s",
                "50B",
                "deal",
                "U.S",
                "talks",
                "16,000",
                "jobs",
                "can't",
                "e.g",
                "a_b",
                "3.14"
            ]
        );
    }

    #[test]
    fn normalization_folds_case_width_quotes() {
        assert_eq!(normalize("Amazon’s"), "amazon's");
        assert_eq!(normalize("ＡＭＡＺＯＮ"), "amazon");
        assert_eq!(normalize("ﬁnance"), "finance");
        assert_eq!(normalize("“Quote” — dash"), "\"quote\" - dash");
        assert_eq!(normalize("STRAẞE"), normalize("strasse"));
        assert_eq!(normalize("ΟΔΟΣ"), normalize("οδος"));
    }

    #[test]
    fn curly_and_straight_apostrophes_hash_alike() {
        let mut t = Tokenizer::new(7);
        let a: Vec<u64> = t.tokens("Amazon’s cloud").iter().map(|t| t.hash).collect();
        let b: Vec<u64> = t.tokens("AMAZON'S Cloud").iter().map(|t| t.hash).collect();
        assert_eq!(a, b);
    }

    fn news_like() -> impl Strategy<Value = String> {
        // Words, punctuation that matters to UAX #29 and a sprinkle of non-ASCII.
        let atom = prop_oneof![
            "[a-zA-Z]{1,8}",
            "[0-9]{1,4}",
            Just(" ".to_string()),
            Just("  ".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            "[.,;:'_\\-$%()\"!?]",
            Just("’".to_string()),
            Just("‘".to_string()),
            Just("“".to_string()),
            Just("”".to_string()),
            Just("—".to_string()),
            Just("…".to_string()),
            Just("\u{3000}".to_string()),
            Just("é".to_string()),
            Just("\u{301}".to_string()),
            Just("\u{903}".to_string()),
            Just("\u{200D}".to_string()),
            Just("\u{00A0}".to_string()),
            Just("日本".to_string()),
            Just("🇫🇷".to_string()),
            Just("👍🏽".to_string()),
        ];
        prop::collection::vec(atom, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_path_matches_uax29(text in news_like()) {
            prop_assert_eq!(words(&text), reference(&text));
        }

        #[test]
        fn fast_path_matches_uax29_on_any_text(text in "\\PC{0,40}") {
            prop_assert_eq!(words(&text), reference(&text));
        }

        #[test]
        fn short_word_folding_matches_normalization(text in news_like()) {
            let mut t = Tokenizer::new(3);
            for_each_word(&text, |_, word| {
                let mut folded = [0; SHORT_WORD];
                if let Some(len) = fold_short_word(word, &mut folded) {
                    assert_eq!(&folded[..len], normalize(word).as_bytes(), "{word:?}");
                }
                assert_eq!(t.hash_word(word), t.hash_normalized(&normalize(word)), "{word:?}");
            });
        }

        /// Tokens hash their normalized word, whether the scanner called the word plain or not.
        #[test]
        fn token_hashes_are_hashes_of_normalized_words(text in news_like()) {
            let mut t = Tokenizer::new(5);
            let reference = Tokenizer::new(5);
            let mut tokens = Vec::new();
            t.for_each_token(&text, |tok| tokens.push(tok));
            let expected: Vec<Token> = words(&text)
                .into_iter()
                .map(|(start, word)| Token {
                    start,
                    end: start + word.len(),
                    hash: reference.hash_normalized(&normalize(word)),
                })
                .collect();
            prop_assert_eq!(tokens, expected);
        }

        #[test]
        fn normalizing_is_idempotent(text in "\\PC{0,24}") {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
