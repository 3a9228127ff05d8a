//! End-to-end tests of `reprint report --format html`: the file itself (self-contained, every
//! article's text escaped, the same bytes whatever the thread count), and the page as a browser
//! draws it, in headless Chromium driven over WebDriver (chromedriver).
//!
//! The browser test needs Debian's `chromium` and `chromium-driver` (or `REPRINT_CHROMIUM` and
//! `REPRINT_CHROMEDRIVER` pointing at a Chromium and its driver). Without them it says so and
//! passes, unless `REPRINT_BROWSER_TESTS=require` (which CI sets) makes it fail.

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::ok;

/// An article written to attack the page: markup in its id, outlet and text.
const HOSTILE_ID: &str = "hostile<img src=x onerror=\"window.__pwned='id'\">";
const HOSTILE_TEXT: &str = "Breaking: <script>window.__pwned = 'text'; document.title = 'pwned';</script>\n\
    An image <img src=\"https://example.com/x.png\" onerror=\"window.__pwned='img'\"> and a closing \
    tag </script><script>window.__pwned='close'</script> then <!-- a comment and &amp; an entity.\n\
    U+2028 here:\u{2028} and a line that is only text about a local council meeting on roads.";

/// The seeds plus the hostile article, in a fresh directory.
fn inputs(dir: &Path) -> (String, String) {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/seeds");
    let hostile = dir.join("hostile.jsonl");
    let record = json!({"id": HOSTILE_ID, "outlet": "<b>Evil</b> & Co", "date": "2026-01-30", "text": HOSTILE_TEXT});
    std::fs::write(&hostile, format!("{record}\n")).unwrap();
    (
        seeds.to_string_lossy().into_owned(),
        hostile.to_string_lossy().into_owned(),
    )
}

/// The report as HTML (written to `out`) and as JSON.
fn reports(dir: &Path, threads: &str) -> (PathBuf, String, Value) {
    let (seeds, hostile) = inputs(dir);
    let out = dir.join(format!("report-{threads}.html"));
    let out_s = out.to_string_lossy().into_owned();
    let report = |format: &str, extra: &[&str]| {
        let mut args = vec![
            "report",
            &seeds,
            &hostile,
            "--threads",
            threads,
            "--format",
            format,
        ];
        args.extend_from_slice(extra);
        ok(&args)
    };
    report("html", &["-o", &out_s]);
    let html = std::fs::read_to_string(&out).unwrap();
    let json_out = report("json", &[]);
    (out, html, serde_json::from_slice(&json_out.stdout).unwrap())
}

/// The data block of the page, and the page without it.
fn split_page(html: &str) -> (Value, String) {
    let open = "<script type=\"application/json\" id=\"reprint-data\">";
    let start = html.find(open).expect("data block") + open.len();
    let end = start + html[start..].find("</script>").expect("end of data block");
    let data = serde_json::from_str(&html[start..end]).expect("data block is JSON");
    let markup = format!("{}{}", &html[..start], &html[end..]);
    (data, markup)
}

fn texts() -> BTreeMap<String, String> {
    let mut texts = BTreeMap::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/seeds");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        texts.insert(id, std::fs::read_to_string(&path).unwrap());
    }
    texts.insert(HOSTILE_ID.to_string(), HOSTILE_TEXT.to_string());
    texts
}

#[test]
fn html_report_is_self_contained_escaped_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html, report) = reports(dir.path(), "2");
    let (_, html1, _) = reports(dir.path(), "1");
    assert!(html == html1, "HTML differs between 1 and 2 threads");

    let (data, markup) = split_page(&html);
    // No article byte reaches the markup: only two script elements, and nothing in the page
    // outside the data block names the hostile article.
    assert_eq!(
        markup.matches("<script").count(),
        2,
        "exactly the data block and our script"
    );
    assert!(!markup.contains("__pwned") && !markup.contains("Evil"));
    assert!(
        !html.contains("onerror=\"window"),
        "markup of the article survives unescaped"
    );
    // Nothing is fetched: no resource attributes, no URL outside the data block.
    for needle in [" src=", "http://", "https://", "@import", "url("] {
        assert!(!markup.contains(needle), "the page refers to {needle}");
    }
    // The Content-Security-Policy allows our script, by its hash, and nothing from anywhere.
    let script_start = markup.rfind("<script>").unwrap() + "<script>".len();
    let script_end = script_start + markup[script_start..].find("</script>").unwrap();
    let hash = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(&markup.as_bytes()[script_start..script_end]));
    assert!(
        markup.contains(&format!("script-src 'sha256-{hash}'")),
        "CSP names the script's hash"
    );
    assert!(markup.contains("default-src 'none'"));

    // The data block carries every document, its text exactly, and the JSON report's labels.
    let texts = texts();
    let docs = data["docs"].as_array().unwrap();
    assert_eq!(docs.len(), texts.len());
    assert_eq!(docs.len(), report["documents"].as_array().unwrap().len());
    for (d, r) in docs.iter().zip(report["documents"].as_array().unwrap()) {
        let id = d["id"].as_str().unwrap();
        assert_eq!(id, r["id"].as_str().unwrap());
        let text = &texts[id];
        assert_eq!(d["text"].as_str().unwrap(), text);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let passages = d["passages"].as_array().unwrap();
        assert_eq!(passages.len(), r["passages"].as_array().unwrap().len());
        for (p, q) in passages.iter().zip(r["passages"].as_array().unwrap()) {
            assert_eq!(p["status"], q["status"]);
            assert_eq!(p["byte_start"], q["start"]);
            // UTF-16 offsets select the same text as the byte offsets.
            let (s, e) = (p["start"].as_u64().unwrap(), p["end"].as_u64().unwrap());
            let (bs, be) = (q["start"].as_u64().unwrap(), q["end"].as_u64().unwrap());
            assert_eq!(
                String::from_utf16(&utf16[s as usize..e as usize]).unwrap(),
                text[bs as usize..be as usize]
            );
        }
    }
}

// ---------- the browser ----------

/// Chromium and chromedriver, or why the browser test cannot run.
fn browser() -> Result<(PathBuf, PathBuf), String> {
    let find = |var: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(var) {
            return Some(PathBuf::from(p));
        }
        let path = std::env::var_os("PATH")?;
        names.iter().find_map(|n| {
            std::env::split_paths(&path)
                .map(|d| d.join(n))
                .find(|p| p.is_file())
        })
    };
    let chromium = find(
        "REPRINT_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    )
    .ok_or("no chromium on PATH (Debian package `chromium`)")?;
    let driver = find("REPRINT_CHROMEDRIVER", &["chromedriver"])
        .ok_or("no chromedriver on PATH (Debian package `chromium-driver`)")?;
    Ok((chromium, driver))
}

/// A chromedriver process and one headless Chromium session, ended on drop.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(chromium: &Path, driver: &Path) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver: child,
            base,
            session: String::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{}/status", browser.base))
            .call()
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
            "--window-size=1400,1000",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        )])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let v = browser.post("/session", caps);
        browser.session = v["sessionId"].as_str().expect("session id").to_string();
        browser
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        match ureq::post(&url).send_json(body) {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(code, r)) => {
                panic!(
                    "WebDriver {path}: {code} {}",
                    r.into_string().unwrap_or_default()
                )
            }
            Err(e) => panic!("WebDriver {path}: {e}"),
        }
    }

    fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
    }

    /// Open `url` and wait until the page has drawn its view.
    fn open(&self, url: &str) {
        self.post("/url", json!({"url": url}));
        self.wait_drawn();
    }

    /// Go to a view of the page already open (a hash change) and wait until it is drawn.
    fn view(&self, hash: &str) {
        self.js(
            "document.documentElement.dataset.ready = ''; location.hash = arguments[0];",
            json!([hash]),
        );
        self.wait_drawn();
    }

    fn wait_drawn(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.js(
            "return document.documentElement.dataset.ready === '1';",
            json!([]),
        ) != json!(true)
        {
            assert!(Instant::now() < deadline, "the page never finished drawing");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn click(&self, css: &str) {
        let el = self.post("/element", json!({"using": "css selector", "value": css}));
        let id = el
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_string();
        self.post(&format!("/element/{id}/click"), json!({}));
    }

    /// A PNG of the window, saved under `name` next to the test's other output.
    fn screenshot(&self, name: &str) -> PathBuf {
        let url = format!("{}/session/{}/screenshot", self.base, self.session);
        let v: Value = ureq::get(&url).call().unwrap().into_json().unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(v["value"].as_str().unwrap())
            .unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "a real screenshot"
        );
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = ureq::delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Start the browser, or say why not (and fail if CI requires it).
fn browser_or_skip() -> Option<Browser> {
    match browser() {
        Ok((chromium, driver)) => Some(Browser::start(&chromium, &driver)),
        Err(why) => {
            assert!(
                std::env::var("REPRINT_BROWSER_TESTS").as_deref() != Ok("require"),
                "browser test required but cannot run: {why}"
            );
            eprintln!("skipping the browser test: {why}");
            None
        }
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

#[test]
fn html_report_renders_in_chromium() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (page, _, report) = reports(dir.path(), "2");
    let texts = texts();
    let documents = report["documents"].as_array().unwrap();
    let url = file_url(&page);

    // Every article is listed.
    browser.open(&format!("{url}#view=docs"));
    let listed = browser.js(
        "return [...document.querySelectorAll('#app tr[data-id]')].map(r => r.dataset.id);",
        json!([]),
    );
    let ids: Vec<&str> = documents
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, json!(ids));

    // The hostile article shows its markup as text, and none of it ran or fetched anything.
    browser.view(&format!("view=doc&id={}", url_encode(HOSTILE_ID)));
    let shown = browser.js(
        "const t = document.querySelector('#app article .text');
         return {
           text: t.textContent,
           scripts: document.querySelectorAll('script').length,
           images: document.querySelectorAll('img').length,
           pwned: window.__pwned === undefined ? null : String(window.__pwned),
           title: document.title,
           fetched: performance.getEntriesByType('resource').length,
         };",
        json!([]),
    );
    assert_eq!(
        shown["text"].as_str().unwrap(),
        HOSTILE_TEXT,
        "text shown as written"
    );
    assert_eq!(shown["scripts"], 2, "no script element was added");
    assert_eq!(
        shown["images"], 0,
        "no image element was made from the text"
    );
    assert_eq!(shown["pwned"], Value::Null, "the injected script ran");
    assert!(shown["title"]
        .as_str()
        .unwrap()
        .starts_with("reprint report"));
    assert_eq!(shown["fetched"], 0, "the page fetched something");
    browser.screenshot("hostile.png");

    // The seeds' story: every article, every passage marked as the JSON report labels it, and the
    // text intact around the marks.
    let story = documents
        .iter()
        .find(|d| d["id"] == "000_4526b870d124d22a")
        .unwrap()["cluster"]
        .as_u64()
        .unwrap();
    browser.view(&format!("view=story&id={story}"));
    let cards = browser.js(
        "return [...document.querySelectorAll('#app article.article')].map(a => {
           const t = a.querySelector('.text').cloneNode(true);
           t.querySelectorAll('sup').forEach(s => s.remove());
           return {
             id: a.dataset.id,
             text: t.textContent,
             marks: [...a.querySelectorAll('.passage')].map(p =>
               [p.classList.contains('shared') ? 'shared' : p.classList.contains('unique') ? 'unique'
                 : p.classList.contains('boilerplate') ? 'boilerplate' : '?', p.style.backgroundColor !== '']),
           };
         });",
        json!([]),
    );
    let members: Vec<&Value> = documents
        .iter()
        .filter(|d| d["cluster"].as_u64() == Some(story))
        .collect();
    assert_eq!(members.len(), 5, "the five seeds are one story");
    assert_eq!(cards.as_array().unwrap().len(), members.len());
    for (card, doc) in cards.as_array().unwrap().iter().zip(&members) {
        let id = doc["id"].as_str().unwrap();
        assert_eq!(card["id"], id);
        assert_eq!(
            card["text"].as_str().unwrap(),
            texts[id],
            "{id}: text intact"
        );
        let expected: Vec<Value> = doc["passages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!([p["status"], p["status"] == "shared"]))
            .collect();
        assert_eq!(
            card["marks"],
            json!(expected),
            "{id}: passages marked, shared ones coloured"
        );
    }
    browser.screenshot("story.png");

    // Clicking a shared passage pins its partners' wording in the side panel.
    let first = &members[0];
    let (k, passage) = first["passages"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, p)| p["status"] == "shared")
        .unwrap();
    browser.click(&format!(
        "article.article[data-id='{}'] .passage[data-index='{k}']",
        first["id"].as_str().unwrap()
    ));
    let panel = browser.js(
        "const p = document.getElementById('panel');
         return { hidden: p.hidden, pinned: p.classList.contains('pinned'),
                  quotes: [...p.querySelectorAll('blockquote')].map(q => q.textContent) };",
        json!([]),
    );
    assert_eq!(panel["hidden"], false);
    assert_eq!(panel["pinned"], true);
    let quotes = panel["quotes"].as_array().unwrap();
    let partners = passage["shared_with"].as_array().unwrap();
    assert_eq!(
        quotes.len(),
        1 + partners.len(),
        "the passage and each partner's wording"
    );
    for (q, s) in quotes[1..].iter().zip(partners) {
        let text = &texts[s["id"].as_str().unwrap()];
        let want =
            &text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize];
        assert_eq!(q.as_str().unwrap(), want);
    }
    browser.screenshot("story-pinned.png");

    // Side by side: a sentence shared in other words sits against its twin.
    browser.view("view=compare&a=000_4526b870d124d22a&b=002_27facdf7f722c302");
    let twins = browser.js(
        "const grid = document.querySelector('.side');
         const left = [...grid.querySelectorAll('.passage[data-doc]')].find(p =>
           p.textContent.startsWith('Negotiations are reportedly being led'));
         if (!left || !left.dataset.twins) return null;
         const other = left.dataset.other;
         const right = grid.querySelector(`.passage[data-doc='${other}'][data-index='${left.dataset.twins.split(' ')[0]}']`);
         return { aligned: left.classList.contains('aligned'), crossing: left.classList.contains('crossing'),
                  right: right.textContent, rows: Number(grid.dataset.rows) };",
        json!([]),
    );
    assert!(twins.is_object(), "the Jassy/Altman sentence has a twin");
    assert!(twins["aligned"] == true || twins["crossing"] == true);
    assert!(
        twins["right"]
            .as_str()
            .unwrap()
            .contains("being led directly by OpenAI CEO Sam Altman"),
        "twin: {}",
        twins["right"]
    );
    assert!(
        twins["rows"].as_u64().unwrap() >= 1,
        "at least one aligned row"
    );
    browser.screenshot("compare.png");

    // Outlets: one bar per outlet and a heat map.
    browser.view("view=outlets");
    let outlets = browser.js(
        "return { bars: document.querySelectorAll('.bars .bar').length,
                  cells: document.querySelectorAll('.heatmap td.cell').length };",
        json!([]),
    );
    let n = report["outlets"].as_array().unwrap().len() as u64;
    assert_eq!(outlets["bars"], n);
    assert!(outlets["cells"].as_u64().unwrap() >= 4);
    browser.screenshot("outlets.png");
}

/// Percent-encode a string for a URL fragment parameter.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A large report stays usable: only a page of stories and of articles is drawn, the pager moves
/// through all of them, and the browser draws in bounded time. 600 generated articles by default
/// (a few seconds); `REPRINT_HTML_ARTICLES=10000 cargo test --release --test it html:: -- --nocapture`
/// gives the figures for 10,000 quoted in the README.
#[test]
fn html_report_of_many_articles_is_paged() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let articles: usize = std::env::var("REPRINT_HTML_ARTICLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(600);
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("synth.jsonl");
    let corpus_s = corpus.to_string_lossy().into_owned();
    let n = articles.to_string();
    ok(&["synth", "--documents", &n, "--seed", "3", "-o", &corpus_s]);
    let page = dir.path().join("report.html");
    let page_s = page.to_string_lossy().into_owned();
    let t = Instant::now();
    ok(&["report", &corpus_s, "--format", "html", "-o", &page_s]);
    let written = t.elapsed();
    let size = std::fs::metadata(&page).unwrap().len();
    let html = std::fs::read_to_string(&page).unwrap();
    let (data, _) = split_page(&html);
    let stories = data["clusters"].as_array().unwrap().len();
    assert!(stories > 50 && articles > 100, "enough to need paging");

    let t = Instant::now();
    browser.open(&format!("{}#view=stories", file_url(&page)));
    let first_draw = t.elapsed();
    let page_state = |what: &str| {
        browser.js(
            &format!(
                "return {{ rows: document.querySelectorAll('#app tr[{what}]').length,
                          pager: (document.querySelector('#app .pager') || {{}}).textContent || '' }};"
            ),
            json!([]),
        )
    };
    let first = page_state("data-story");
    assert_eq!(first["rows"], 50, "one page of stories");
    let pages = stories.div_ceil(50);
    let pager = first["pager"].as_str().unwrap().to_string();
    assert!(
        pager.contains(&format!("page 1 of {pages} ({stories} in all)")),
        "{pager}"
    );
    let biggest = browser.js(
        "return document.querySelector('#app tr[data-story]').dataset.story;",
        json!([]),
    );
    browser.click("#app .pager button:last-child");
    let second = page_state("data-story");
    assert!(second["pager"]
        .as_str()
        .unwrap()
        .contains(&format!("page 2 of {pages}")));
    assert_eq!(second["rows"], 50.min(stories - 50));

    let t = Instant::now();
    browser.view("view=docs");
    let docs_view = t.elapsed();
    let docs = page_state("data-id");
    assert_eq!(docs["rows"], 100, "one page of articles");
    assert!(docs["pager"]
        .as_str()
        .unwrap()
        .contains(&format!("({articles} in all)")));
    let t = Instant::now();
    browser.view(&format!("view=story&id={}", biggest.as_str().unwrap()));
    let story_view = t.elapsed();
    let cards = browser.js(
        "return document.querySelectorAll('#app article.article').length;",
        json!([]),
    );
    assert!(
        cards.as_u64().unwrap() >= 2,
        "the largest story has several articles"
    );
    browser.screenshot("synth-story.png");
    eprintln!(
        "{articles} articles, {stories} stories: HTML {:.1} MB written in {:.1} s; opened and drawn \
         in {:.2} s; article list {:.2} s; largest story {:.2} s",
        size as f64 / 1e6,
        written.as_secs_f64(),
        first_draw.as_secs_f64(),
        docs_view.as_secs_f64(),
        story_view.as_secs_f64()
    );
    assert!(
        first_draw < Duration::from_secs(20),
        "first draw took {first_draw:?}"
    );
}
