//! Normalizing and tokenizing: text → words with byte spans into the original, each hashed.
//!
//! Words are Unicode (UAX #29) word segments that contain a letter or digit, found on the original
//! text so every token keeps its exact byte span. Each word is then normalized on its own: NFKC,
//! curly quotes and dashes folded to ASCII, lower-cased, and NFKC again if lower-casing left it
//! un-normalized, so that normalizing is idempotent. The normalized word is hashed with seeded
//! xxh3; only the hash travels further.
//!
//! Main choice: a fast path for ASCII. The text is cut at whitespace that is followed by an ASCII
//! character (UAX #29 always breaks there, and no rule looks across such a cut), and every
//! all-ASCII stretch is scanned by a small hand-written state machine that implements the UAX #29
//! rules as they apply to ASCII; other stretches go to `unicode-segmentation`. A property test
//! checks that both paths give the same tokens. Nothing on this path allocates per word: the
//! normalization buffer is reused.

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
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' | '\u{FF07}' => {
            '\''
        }
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
    for c in word.nfkc() {
        out.extend(fold_char(c).to_lowercase());
    }
    if out.is_ascii() || is_nfkc_quick(out.chars()) == IsNormalized::Yes {
        return;
    }
    // Lower-casing can produce a sequence NFKC would rewrite; normalizing again keeps the whole
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

#[inline]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C')
}

/// Call `f(start, word)` for every word of `text` (a UAX #29 word segment with a letter or digit),
/// in order, with `start` its byte offset.
pub fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // The current stretch: [start, end), and whether it is all ASCII.
    let mut stretch: Option<(usize, usize, bool)> = None;
    // Where the previous stretch ended: a stretch that begins with a non-ASCII character reaches
    // back over the whitespace before it (UAX #29 may attach combining marks to that whitespace).
    let mut gap_start = 0;
    let mut i = 0;
    while i < n {
        while i < n && is_ascii_space(bytes[i]) {
            i += 1;
        }
        if i == n {
            break;
        }
        let piece_start = i;
        let mut piece_ascii = true;
        while i < n && !is_ascii_space(bytes[i]) {
            piece_ascii &= bytes[i] < 0x80;
            i += 1;
        }
        if bytes[piece_start] >= 0x80 {
            stretch = Some(match stretch {
                Some((start, _, ascii)) => (start, i, ascii && piece_ascii),
                None => (gap_start, i, false),
            });
        } else {
            if let Some((start, end, ascii)) = stretch {
                scan_stretch(text, start, end, ascii, &mut f);
                gap_start = end;
            }
            stretch = Some((piece_start, i, piece_ascii));
        }
    }
    if let Some((start, end, ascii)) = stretch {
        scan_stretch(text, start, end, ascii, &mut f);
    }
}

#[inline]
fn scan_stretch<'t>(
    text: &'t str,
    start: usize,
    end: usize,
    ascii: bool,
    f: &mut impl FnMut(usize, &'t str),
) {
    let stretch = &text[start..end];
    if ascii {
        ascii_words(stretch, start, f);
    } else {
        for (offset, word) in stretch.unicode_word_indices() {
            f(start + offset, word);
        }
    }
}

/// UAX #29 word classes of ASCII bytes, as far as word segments with letters or digits go.
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
    /// `.` `'` (MidNumLet, Single_Quote): join two letters or two digits.
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

/// UAX #29 word segmentation restricted to ASCII text; yields segments with a letter or digit.
#[inline]
fn ascii_words<'t>(s: &'t str, base: usize, f: &mut impl FnMut(usize, &'t str)) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let class = |i: usize| CLASSES[(bytes[i] & 0x7F) as usize];
    let mut i = 0;
    while i < n {
        let first = class(i);
        if !matches!(first, Class::Letter | Class::Digit | Class::Connector) {
            i += 1;
            continue;
        }
        let start = i;
        let mut has_alnum = first != Class::Connector;
        let mut prev = first;
        i += 1;
        while i < n {
            let c = class(i);
            match c {
                // WB5, WB8, WB9, WB10, WB13a, WB13b: letters, digits and `_` all join.
                Class::Letter | Class::Digit | Class::Connector => {
                    has_alnum |= c != Class::Connector;
                    prev = c;
                    i += 1;
                }
                Class::MidLetter | Class::MidNum | Class::MidNumLet if i + 1 < n => {
                    let next = class(i + 1);
                    // WB6/WB7 (letters) and WB11/WB12 (digits).
                    let joins = match c {
                        Class::MidLetter => prev == Class::Letter && next == Class::Letter,
                        Class::MidNum => prev == Class::Digit && next == Class::Digit,
                        _ => {
                            (prev == Class::Letter && next == Class::Letter)
                                || (prev == Class::Digit && next == Class::Digit)
                        }
                    };
                    if !joins {
                        break;
                    }
                    prev = next;
                    i += 2;
                }
                _ => break,
            }
        }
        if has_alnum {
            f(base + start, &s[start..i]);
        }
    }
}

/// Turns text into hashed tokens; holds the buffer that normalization reuses.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    seed: u64,
    buf: String,
}

impl Tokenizer {
    /// A tokenizer whose token hashes are seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Tokenizer {
            seed,
            buf: String::with_capacity(64),
        }
    }

    /// The hash of an already normalized word.
    #[inline]
    pub fn hash_normalized(&self, normalized: &str) -> u64 {
        xxh3_64_with_seed(normalized.as_bytes(), self.seed)
    }

    /// Call `f` with every token of `text`, in order.
    #[inline]
    pub fn for_each_token(&mut self, text: &str, mut f: impl FnMut(Token)) {
        let seed = self.seed;
        let buf = &mut self.buf;
        for_each_word(text, |start, word| {
            normalize_into(word, buf);
            f(Token {
                start,
                end: start + word.len(),
                hash: xxh3_64_with_seed(buf.as_bytes(), seed),
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
                "Amazon’s", "50B", "deal", "U.S", "talks", "16,000", "jobs", "can't", "e.g", "a_b",
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
        fn normalizing_is_idempotent(text in "\\PC{0,24}") {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
