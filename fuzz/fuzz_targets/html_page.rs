//! Bytes as an HTML page: decoding, parsing, the article text and headline, then the
//! boilerplate judgement of its blocks. Every page ends in text or a refusal with a reason,
//! quickly (run with a short `-timeout`: the depth guard must stop what the parser would nest
//! without end), and the text keeps its promised shape.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reprint::story::boilerplate::judge_blocks;
use reprint::read::html::{article_page, page_text};
use reprint::story::segment::segment;

fuzz_target!(|data: &[u8]| {
    let Ok(html) = page_text(data.to_vec(), None) else {
        return;
    };
    let Ok(page) = article_page(&html) else {
        return;
    };
    for line in page.text.lines() {
        assert!(!line.is_empty(), "no empty line in the text");
        assert!(!line.contains("  "), "words are separated by single spaces: {line:?}");
    }
    if let Some(headline) = &page.headline {
        assert!(!headline.is_empty() && headline.len() <= 300, "headline {headline:?}");
    }
    let segmentation = segment(&page.text);
    let judged = judge_blocks(&page.text, &segmentation);
    assert_eq!(judged.verdicts.len(), segmentation.blocks.len(), "one verdict per block");
});
