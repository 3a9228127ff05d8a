//! The text of an HTML article page, as reprint reads it: one line per block.
//!
//! Pages are parsed as browsers parse them (`scraper`, on html5ever), so broken markup and
//! entities come out as a reader sees them. The text comes from the page's main `<article>` (the
//! outermost one with the most text), else its `<main>`, else its `<body>`. Inside it, scripts,
//! styles, navigation, forms and other things that are not prose are left out; every block
//! element (paragraph, heading, list item, table row, `<br>`) ends a line, and white space
//! within a line is collapsed. What remains of a site's furniture ("Related stories", share
//! links) is kept on purpose: judging boilerplate is reprint's job, and it reports what it
//! judged. Every offset reprint reports for such a document is a byte offset into this
//! extracted text, which `report` includes.

use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose content is never article prose.
const LEFT_OUT: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
    "embed", "canvas", "video", "audio", "nav", "form", "button", "select", "textarea", "input",
    "label",
];

/// Elements that start and end a line of their own.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "hr",
    "br",
    "main",
    "address",
    "details",
    "summary",
    "center",
];

/// Deepest nesting of elements a page may have. A browser's parser stops nesting at 512
/// (Chromium); article pages stay far below. The parser's scope checks walk the stack of open
/// elements for each new one, so a page nested a hundred thousand deep would take minutes.
pub const MAX_NESTING: usize = 2_000;

/// Why a page was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// Elements nested deeper than [`MAX_NESTING`] (at least this deep).
    TooDeep(usize),
    /// A tag with more than [`MAX_ATTRIBUTES`] attributes (about this many).
    TooManyAttributes(usize),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::TooDeep(depth) => write!(
                f,
                "HTML elements nested {depth} deep (more than {MAX_NESTING}): not an article page"
            ),
            PageError::TooManyAttributes(n) => write!(
                f,
                "an HTML tag with {n} attributes (more than {MAX_ATTRIBUTES}): not an article page"
            ),
        }
    }
}

/// A page's bytes as text. UTF-8 is taken as it is; other bytes are decoded (`encoding_rs`,
/// the WHATWG encodings browsers use) from the charset `declared` by the server, else the one
/// the page declares in its first 1,024 bytes (`<meta charset>` or `http-equiv`), as browsers
/// look for it. Bytes that are not UTF-8 and name no known charset are refused.
pub fn page_text(bytes: Vec<u8>, declared: Option<&str>) -> Result<String, String> {
    let label = |l: &str| {
        encoding_rs::Encoding::for_label(l.trim().as_bytes()).ok_or_else(|| {
            format!(
                "unknown charset `{}`",
                l.chars().take(40).collect::<String>()
            )
        })
    };
    let encoding = match declared {
        Some(declared) => Some(label(declared)?),
        None => None,
    };
    let bytes = match (encoding, String::from_utf8(bytes)) {
        (None, Ok(text)) => return Ok(text),
        (Some(e), Ok(text)) if e == encoding_rs::UTF_8 => return Ok(text),
        (_, Err(e)) => e.into_bytes(),
        (Some(_), Ok(text)) => text.into_bytes(),
    };
    let encoding = match encoding {
        Some(e) => e,
        None => match meta_charset(&bytes) {
            Some(l) => label(&l)?,
            None => {
                return Err(format!(
                    "not valid UTF-8 (first bad byte at offset {}) and no charset declared",
                    bytes.utf8_chunks().next().map_or(0, |c| c.valid().len())
                ))
            }
        },
    };
    let (text, _) = encoding.decode_without_bom_handling(&bytes);
    Ok(text.into_owned())
}

/// The charset a page declares in its first 1,024 bytes, as an HTML parser prescans for it.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(bytes.get(..1024).unwrap_or(bytes)).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(at) = rest.find("<meta") {
        rest = &rest[at + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(at) = tag.find("charset=") {
            let value = tag[at + 8..].trim_start_matches(['"', '\'', ' ']);
            let end = value
                .find(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace())
                .unwrap_or(value.len());
            if end > 0 {
                return Some(value[..end].to_string());
            }
        }
    }
    None
}

/// An HTML page as reprint reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticlePage {
    /// The article text: one line per block, words separated by single spaces.
    pub text: String,
    /// The headline the page gives apart from its text (see [`article_page`]), if any.
    pub headline: Option<String>,
}

/// Longest headline taken from a page's head, in bytes; a longer one is a description.
const HEADLINE_MAX_BYTES: usize = 300;

/// What separates a headline from the site's name in a `<title>` ("Quake hits Chile | The
/// Daily Post", "Daily Post - Quake hits Chile").
const TITLE_SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " » "];

/// The headline a page gives in its head, apart from the article text: the `og:title` or
/// `twitter:title` meta tag (the headline as the outlet shares it), else the `<title>` without
/// the site's name (its longest piece between separators). The article's own `<h1>` is already
/// in the text, so it is not repeated here.
fn page_headline(page: &Html) -> Option<String> {
    let mut meta: Option<&str> = None;
    let mut title: Option<String> = None;
    for node in page.tree.nodes() {
        let Node::Element(e) = node.value() else {
            continue;
        };
        match e.name() {
            "meta" if meta.is_none() => {
                let key = e.attr("property").or_else(|| e.attr("name"));
                if key.is_some_and(|k| {
                    k.eq_ignore_ascii_case("og:title") || k.eq_ignore_ascii_case("twitter:title")
                }) {
                    meta = e.attr("content").filter(|c| !c.trim().is_empty());
                }
            }
            "title" if title.is_none() => {
                let text: String = node
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| &**t))
                    .collect();
                title = Some(text);
            }
            _ => {}
        }
    }
    let headline = match meta {
        Some(m) => collapse_spaces(m),
        None => {
            let title = collapse_spaces(&title?);
            let mut pieces = vec![title.as_str()];
            for sep in TITLE_SEPARATORS {
                pieces = pieces.iter().flat_map(|p| p.split(sep)).collect();
            }
            // The first longest piece: a site's name is shorter than its headlines.
            let longest = pieces
                .iter()
                .copied()
                .rev()
                .max_by_key(|p| p.chars().count())
                .unwrap_or("");
            longest.trim().to_string()
        }
    };
    (!headline.is_empty() && headline.len() <= HEADLINE_MAX_BYTES).then_some(headline)
}

/// `text` with every run of white space made one space, trimmed.
fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The article text of an HTML page: one line per block, words separated by single spaces.
pub fn article_text(html: &str) -> Result<String, PageError> {
    article_page(html).map(|page| page.text)
}

/// The article text of an HTML page (as [`article_text`]) and its headline.
pub fn article_page(html: &str) -> Result<ArticlePage, PageError> {
    let (depth, attributes) = shape(html);
    if depth > MAX_NESTING {
        return Err(PageError::TooDeep(depth));
    }
    if attributes > MAX_ATTRIBUTES {
        return Err(PageError::TooManyAttributes(attributes));
    }
    let page = Html::parse_document(html);
    let root = main_block(&page).unwrap_or_else(|| page.tree.root());
    let mut text = String::new();
    let mut line = String::new();
    // Depth inside a left-out element: its events are passed over until it closes.
    let mut left_out = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if left_out > 0 || LEFT_OUT.contains(&e.name()) => left_out += 1,
                Node::Element(e) if BLOCKS.contains(&e.name()) => end_line(&mut line, &mut text),
                // Cells of a row share its line, apart.
                Node::Element(e) if matches!(e.name(), "td" | "th") => line.push(' '),
                Node::Text(t) if left_out == 0 => line.push_str(t),
                _ => {}
            },
            Edge::Close(node) => match node.value() {
                Node::Element(_) if left_out > 0 => left_out -= 1,
                Node::Element(e) if BLOCKS.contains(&e.name()) => end_line(&mut line, &mut text),
                _ => {}
            },
        }
    }
    end_line(&mut line, &mut text);
    Ok(ArticlePage {
        text,
        headline: page_headline(&page),
    })
}

/// Elements without content, and elements whose end tag pages often leave out (the parser
/// closes them itself): neither deepens a page.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body",
];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Most attributes a tag may have: the parser checks each new attribute against the tag's
/// others, so a tag with hundreds of thousands takes minutes.
pub const MAX_ATTRIBUTES: usize = 10_000;

/// What the parser would face, measured in one pass without building anything: how deep
/// elements nest and the most attributes on one tag. Comments and raw-text elements are
/// stepped over; `/>` closes only void elements and, inside `<svg>` or `<math>`, foreign ones,
/// as in browsers. Quotes are not parsed, so both figures are estimates; only pages thousands
/// deep, or with thousands of attributes on a tag, are refused on them.
fn shape(html: &str) -> (usize, usize) {
    let bytes = html.as_bytes();
    let lower_at = |at: usize, what: &str| {
        bytes
            .get(at..at + what.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(what.as_bytes()))
    };
    let (mut deepest, mut most_attributes, mut foreign) = (0usize, 0, 0usize);
    // The elements open, and how many of each: an end tag closes up to its element only when
    // one is open; a stray one (`</span>` with no span open) is ignored, as the parser
    // ignores it, so `<div></span>` repeated still nests.
    let mut open: Vec<String> = Vec::new();
    let mut open_count: std::collections::HashMap<String, usize> = Default::default();
    let mut i = 0;
    while let Some(offset) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&b| b == b'<'))
    {
        i += offset + 1;
        if lower_at(i, "!--") {
            i = find(bytes, i + 3, b"-->").map_or(bytes.len(), |p| p + 3);
            continue;
        }
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if len == 0 {
            continue;
        }
        let name = html
            .get(start..start + len)
            .unwrap_or("")
            .to_ascii_lowercase();
        let end = bytes
            .get(start + len..)
            .and_then(|b| b.iter().position(|&b| b == b'>'))
            .map_or(bytes.len(), |p| start + len + p);
        let attributes = bytes
            .get(start + len..end)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'=')
            .count();
        most_attributes = most_attributes.max(attributes);
        i = end.min(bytes.len());
        let is_foreign_root = name == "svg" || name == "math";
        if closing {
            if is_foreign_root {
                foreign = foreign.saturating_sub(1);
            }
            if !NOT_NESTING.contains(&name.as_str())
                && open_count.get(&name).is_some_and(|&n| n > 0)
            {
                while let Some(top) = open.pop() {
                    if let Some(n) = open_count.get_mut(&top) {
                        *n = n.saturating_sub(1);
                    }
                    if top == name {
                        break;
                    }
                }
            }
            continue;
        }
        let self_closing = end > 0 && bytes.get(end - 1) == Some(&b'/');
        if NOT_NESTING.contains(&name.as_str()) || (self_closing && foreign > 0) {
            continue;
        }
        *open_count.entry(name.clone()).or_default() += 1;
        open.push(name.clone());
        deepest = deepest.max(open.len());
        if is_foreign_root && !self_closing {
            foreign += 1;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Its text ends at its end tag; what looks like markup inside is not.
            let close = format!("</{name}");
            let mut at = i;
            loop {
                match find(bytes, at, b"</") {
                    Some(p) if lower_at(p, &close) => {
                        i = p;
                        break;
                    }
                    Some(p) => at = p + 2,
                    None => {
                        i = bytes.len();
                        break;
                    }
                }
            }
        }
    }
    (deepest, most_attributes)
}

/// Where `needle` first occurs in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

/// Move `line`, its white space collapsed, to the end of `text` as one line; nothing if blank.
fn end_line(line: &mut String, text: &mut String) {
    let mut words = line.split_whitespace();
    if let Some(first) = words.next() {
        text.push_str(first);
        for w in words {
            text.push(' ');
            text.push_str(w);
        }
        text.push('\n');
    }
    line.clear();
}

/// The node the article's text comes from: the outermost `<article>` with the most text, else
/// the first `<main>`, else `<body>`.
fn main_block(page: &Html) -> Option<ego_tree::NodeRef<'_, Node>> {
    let root = page.tree.root();
    // One pass: text bytes per outermost article (nested ones count towards theirs).
    let mut articles: Vec<(ego_tree::NodeRef<'_, Node>, usize)> = Vec::new();
    let mut open_article: Option<ego_tree::NodeId> = None;
    let (mut main, mut body) = (None, None);
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if e.name() == "article" && open_article.is_none() => {
                    open_article = Some(node.id());
                    articles.push((node, 0));
                }
                Node::Element(e) if e.name() == "main" && main.is_none() => main = Some(node),
                Node::Element(e) if e.name() == "body" && body.is_none() => body = Some(node),
                Node::Text(t) if open_article.is_some() => {
                    if let Some(last) = articles.last_mut() {
                        last.1 += t.trim().len();
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if open_article == Some(node.id()) {
                    open_article = None;
                }
            }
        }
    }
    // The first of equals, so that the choice never depends on more than the page.
    let best = articles
        .iter()
        .filter(|(_, len)| *len > 0)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.id().cmp(&a.0.id())))
        .map(|(node, _)| *node);
    best.or(main).or(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_lines_and_furniture_is_left_out() {
        let page = r#"<!doctype html><html><head><title>T</title><style>p{}</style></head>
            <body><nav><a href="/">Home</a> | <a href="/w">World</a></nav>
            <article><h1>Storm  hits
              coast</h1><p>The storm &amp; its <b>winds</b> arrived on Monday.<br>Power is out.</p>
            <script>var x = "<p>not text</p>";</script>
            <ul><li>Also read: Earlier storms</li><li>Leave a Reply</li></ul></article>
            <footer>© Site</footer></body></html>"#;
        assert_eq!(
            article_text(page).unwrap(),
            "Storm hits coast\nThe storm & its winds arrived on Monday.\nPower is out.\n\
             Also read: Earlier storms\nLeave a Reply\n"
        );
    }

    #[test]
    fn the_article_with_most_text_else_main_else_body() {
        let two = "<body><article><p>Short teaser.</p></article>\
                   <article><p>The long article text is here, with more words.</p></article></body>";
        assert_eq!(
            article_text(two).unwrap(),
            "The long article text is here, with more words.\n"
        );
        let main = "<body><div>Menu</div><main><p>Main text.</p></main></body>";
        assert_eq!(article_text(main).unwrap(), "Main text.\n");
        let body = "<p>Just a paragraph</p>text after";
        assert_eq!(
            article_text(body).unwrap(),
            "Just a paragraph\ntext after\n"
        );
        assert_eq!(article_text("").unwrap(), "");
    }

    #[test]
    fn deep_nesting_is_refused_and_broken_markup_read() {
        let nested = |n: usize| "<div>".repeat(n) + "deep text" + &"</div>".repeat(n);
        assert_eq!(article_text(&nested(MAX_NESTING)).unwrap(), "deep text\n");
        let started = std::time::Instant::now();
        assert_eq!(
            article_text(&nested(200_000)),
            Err(PageError::TooDeep(200_000))
        );
        assert!(started.elapsed().as_secs() < 5, "the refusal is cheap");
        // Paragraphs and list items left open do not nest, nor do void tags; `<div/>` does, as
        // in browsers; end tags inside comments and scripts do not count.
        let open = "<p>x<li>y<br><img/>".repeat(10_000);
        assert!(article_text(&open).is_ok());
        assert_eq!(shape(&"<div/>".repeat(3_000)).0, 3_000);
        assert_eq!(shape(&"<div><!-- </div> -->".repeat(3_000)).0, 3_000);
        // (The last script sits one deeper than the last div.)
        assert_eq!(
            shape(&"<div><script>'</div>'</script>".repeat(3_000)).0,
            3_001
        );
        // Self-closed inside SVG is closed.
        let icons = format!("<svg>{}</svg>", "<path d='M0'/>".repeat(5_000));
        assert_eq!(shape(&icons).0, 1);
        let broken = "<p>one <b>two <i>three</p><p>four";
        assert_eq!(article_text(broken).unwrap(), "one two three\nfour\n");
        // An estimate: quotes are not parsed.
        assert_eq!(shape("<div a='>'><div></div></div>").0, 2);
    }

    #[test]
    fn adversarial_pages_are_refused_quickly() {
        let started = std::time::Instant::now();
        let attributes: String = (0..50_000).map(|i| format!(" a{i}=1")).collect();
        assert_eq!(
            article_text(&format!("<p{attributes}>x</p>")),
            Err(PageError::TooManyAttributes(50_000))
        );
        assert!(article_text(&"<div/>".repeat(150_000)).is_err());
        // Stray end tags close nothing, so the divs still nest (the parser ignores them): a
        // 2.4 MB page of them took a minute to parse before it was counted this way.
        assert_eq!(
            article_text(&"<div></span>".repeat(200_000)),
            Err(PageError::TooDeep(200_000))
        );
        // An end tag that matches closes what it encloses: these do not nest.
        let closed = "<div><span><b>x</div>".repeat(10_000);
        assert!(article_text(&closed).is_ok());
        assert!(article_text(&"<div><!-- </div> -->".repeat(100_000)).is_err());
        assert!(started.elapsed().as_secs() < 5, "refusals are cheap");
    }

    #[test]
    fn pages_in_other_charsets_are_decoded() {
        let meta =
            b"<html><head><meta charset=\"windows-1252\"></head><p>Caf\xe9 \x93quoted\x94</p>";
        assert!(page_text(meta.to_vec(), None)
            .unwrap()
            .contains("Café “quoted”"));
        let equiv = b"<meta http-equiv='Content-Type' content='text/html; charset=ISO-8859-1'>\xe9";
        assert!(page_text(equiv.to_vec(), None).unwrap().ends_with('é'));
        // The server's charset wins; UTF-8 stays as it is.
        assert_eq!(page_text(b"\xe9".to_vec(), Some("latin1")).unwrap(), "é");
        assert_eq!(page_text("é".as_bytes().to_vec(), None).unwrap(), "é");
        let undeclared = page_text(b"ok \xe9".to_vec(), None).unwrap_err();
        assert!(
            undeclared.contains("offset 3") && undeclared.contains("no charset"),
            "{undeclared}"
        );
        assert_eq!(
            page_text(b"x".to_vec(), Some("klingon")).unwrap_err(),
            "unknown charset `klingon`"
        );
    }

    #[test]
    fn table_cells_stay_apart() {
        let table =
            "<table><tr><th>Revenue</th><th>Profit</th></tr><tr><td>5</td><td>1</td></tr></table>";
        assert_eq!(article_text(table).unwrap(), "Revenue Profit\n5 1\n");
    }

    #[test]
    fn a_pages_headline_comes_from_its_head_without_the_sites_name() {
        let headline = |head: &str| {
            article_page(&format!(
                "<html><head>{head}</head><body><h1>In the text</h1><p>Body.</p></body></html>"
            ))
            .unwrap()
            .headline
        };
        assert_eq!(
            headline(
                r#"<title>Site</title><meta property="og:title" content=" Quake  hits Chile ">"#
            )
            .as_deref(),
            Some("Quake hits Chile")
        );
        assert_eq!(
            headline(r#"<meta name="twitter:title" content="Quake hits Chile">"#).as_deref(),
            Some("Quake hits Chile")
        );
        assert_eq!(
            headline("<title>Quake hits Chile, killing 12 | The Daily Post</title>").as_deref(),
            Some("Quake hits Chile, killing 12")
        );
        assert_eq!(
            headline("<title>The Daily Post - Quake hits central Chile</title>").as_deref(),
            Some("Quake hits central Chile")
        );
        // No head: no headline (the <h1> is already part of the text).
        assert_eq!(headline(""), None);
        assert_eq!(headline("<title>   </title>"), None);
        assert_eq!(
            headline(&format!("<title>{}</title>", "word ".repeat(100))),
            None
        );
        let page = article_page("<title>T</title><p>Body.</p>").unwrap();
        assert_eq!(page.text, "Body.\n");
    }
}
