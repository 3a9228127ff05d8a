//! Any text through the tokenizer and the sentence splitter: every span lies inside the text,
//! on character boundaries, in order, without overlap.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::story::segment::{segment, segment_blocks, Segmentation};
use reprint::sketch::tokenize::Tokenizer;

fn check(text: &str, s: &Segmentation) {
    let mut end = 0;
    for b in &s.blocks {
        assert!(b.span.start >= end && b.span.start <= b.span.end && b.span.end <= text.len());
        assert!(text.is_char_boundary(b.span.start) && text.is_char_boundary(b.span.end));
        assert!(b.sentences.end <= s.sentences.len());
        end = b.span.end;
    }
    let mut end = 0;
    for (i, span) in s.sentences.iter().enumerate() {
        assert!(span.start >= end && span.start < span.end && span.end <= text.len());
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        let block = &s.blocks[s.block_of(i)];
        assert!(block.span.start <= span.start && span.end <= block.span.end);
        end = span.end;
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut tokenizer = Tokenizer::new(0);
    let mut end = 0;
    for token in tokenizer.tokens(&text) {
        assert!(token.start >= end && token.start < token.end && token.end <= text.len());
        assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
        end = token.end;
    }
    check(&text, &segment(&text));
    check(&text, &segment_blocks(&text));
});
