//! Adversarial input: whatever a scraper returns gets a document, or a skip that says why,
//! and documents in = documents out. The heavy cases (a 200 MB line, a million documents,
//! resource bounds) are `#[ignore]`d here and run by CI in release mode:
//! `cargo test --release --test it -- --ignored adversarial::`.

use crate::common::{jsonl, run};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// `reprint cluster INPUT --format jsonl` (plus `extra`): every line, and stderr.
fn cluster_lines(input: &Path, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec!["cluster", input.to_str().unwrap(), "--format", "jsonl"];
    args.extend(extra);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, stderr)
}

/// Cluster per id, and skip reason per id (or per source when there is no id).
fn outcomes(lines: &[Value]) -> (BTreeMap<String, u64>, BTreeMap<String, String>) {
    let (mut clusters, mut skips) = (BTreeMap::new(), BTreeMap::new());
    for l in lines {
        match l["cluster"].as_u64() {
            Some(c) => {
                clusters.insert(l["id"].as_str().unwrap().to_string(), c);
            }
            None => {
                let key = l["id"].as_str().or(l["source"].as_str()).unwrap();
                skips.insert(key.to_string(), l["reason"].as_str().unwrap().to_string());
            }
        }
    }
    (clusters, skips)
}

const CHINESE: &str =
    "亚马逊公司正在与一家人工智能研究机构洽谈投资事宜，投资金额可能高达五百亿美元。\
知情人士表示，谈判由亚马逊首席执行官亲自主导，双方预计将在下个月达成初步协议。\
分析人士认为，这笔交易将重塑云计算市场格局，并加剧科技巨头之间在人工智能领域的竞争。";
const CHINESE_OTHER: &str = "刚果民主共和国东部一座矿山发生坍塌事故，造成两百多人死亡。\
当地官员称，救援工作仍在进行中，但暴雨和道路损毁使救援人员难以抵达现场。\
联合国呼吁国际社会提供紧急援助，邻国也派出了医疗队伍。";
const ARABIC: &str = "قالت وزارة الصحة إن فرق الإنقاذ تواصل البحث عن ناجين تحت الأنقاض بعد \
انهيار المنجم في شرق الكونغو الديمقراطية، وإن عدد القتلى تجاوز مئتي شخص حتى مساء الخميس \
وفق مصادر محلية وشهود عيان في المنطقة المنكوبة";

#[test]
fn hostile_records_are_documents_or_reasoned_skips() {
    let dir = tempfile::tempdir().unwrap();
    let words = "the committee will publish its final report on the budget next week";
    let mut lines: Vec<Vec<u8>> = vec![
        json!({"id": "plain", "text": words}).to_string().into(),
        // Invalid UTF-8 inside the line.
        [
            &b"{\"id\":\"latin1\",\"text\":\"caf"[..],
            &[0xe9],
            b" au lait\"}",
        ]
        .concat(),
        // NUL as an escape is text; a raw NUL byte inside a string is not JSON.
        json!({"id": "nul-escaped", "text": format!("{words}\u{0}{words}")})
            .to_string()
            .into(),
        [&b"{\"id\":\"nul-raw\",\"text\":\"a"[..], &[0], b"b\"}"].concat(),
        b"\0\0\0\0".to_vec(),
        // A letter under ten thousand combining marks, then words.
        json!({"id": "combining", "text": format!("a{} {words}", "\u{301}".repeat(10_000))})
            .to_string()
            .into(),
        json!({"id": "rtl", "text": ARABIC}).to_string().into(),
        json!({"id": "rtl-copy", "text": format!("{ARABIC} المزيد")})
            .to_string()
            .into(),
        json!({"id": "cjk", "text": CHINESE}).to_string().into(),
        json!({"id": "cjk-copy", "text": format!("{CHINESE}更多新闻请关注本站。")})
            .to_string()
            .into(),
        json!({"id": "cjk-other", "text": CHINESE_OTHER})
            .to_string()
            .into(),
        json!({"id": "punctuation", "text": "!!! ??? ... --- *** ((( ))) ,,, ;;;"})
            .to_string()
            .into(),
        json!({"id": "blank", "text": " \t\n "}).to_string().into(),
        json!({"id": "twin-a", "text": words}).to_string().into(),
        json!({"id": "twin-b", "text": words}).to_string().into(),
        json!({"id": "long-word", "text": "x".repeat(100_000)})
            .to_string()
            .into(),
        json!({"id": "plain", "text": "a repeated id"})
            .to_string()
            .into(),
        b"{\"id\": 7, \"text\": [1, 2]}".to_vec(),
        b"not json at all".to_vec(),
    ];
    let records = lines.len();
    let input = dir.path().join("hostile.jsonl");
    for l in &mut lines {
        l.push(b'\n');
    }
    std::fs::write(&input, lines.concat()).unwrap();

    let started = Instant::now();
    let (out, stderr) = cluster_lines(&input, &[]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(out.len(), records, "documents in = documents out\n{stderr}");
    let (clusters, skips) = outcomes(&out);
    assert_eq!(clusters.len() + skips.len(), records, "{skips:?}");
    for id in [
        "nul-escaped",
        "combining",
        "rtl",
        "cjk",
        "long-word",
        "twin-a",
    ] {
        assert!(clusters.contains_key(id), "{id} is a document: {skips:?}");
    }
    // Skips by line number (a line that is not JSON has no id to name it by).
    let skipped_line = |n: usize| -> String {
        out.iter()
            .find(|l| {
                l["reason"].is_string() && l["source"].as_str().unwrap().ends_with(&format!(":{n}"))
            })
            .map(|l| l["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("line {n} is not skipped: {out:?}"))
    };
    assert!(skipped_line(2).contains("UTF-8"), "{}", skipped_line(2));
    for (n, what) in [
        (4, "raw NUL"),
        (5, "NUL bytes"),
        (18, "wrong types"),
        (19, "not JSON"),
    ] {
        assert!(!skipped_line(n).is_empty(), "{what}");
    }
    assert!(
        skipped_line(12).contains("no words"),
        "{}",
        skipped_line(12)
    );
    assert!(!skipped_line(13).is_empty());
    assert!(
        skipped_line(17).starts_with("duplicate id"),
        "{}",
        skipped_line(17)
    );
    assert_eq!(skips.len(), 8, "{skips:?}");
    // Identical texts under two ids are one cluster, both listed.
    assert_eq!(clusters["twin-a"], clusters["twin-b"]);
    // Scripts without spaces still shingle into meaning: a CJK copy joins its original, and
    // another CJK story does not; the same for right-to-left text.
    assert_eq!(clusters["cjk"], clusters["cjk-copy"]);
    assert_ne!(clusters["cjk"], clusters["cjk-other"]);
    assert_eq!(clusters["rtl"], clusters["rtl-copy"]);
    assert_ne!(clusters["rtl"], clusters["cjk"]);

    // The story report reads the same input through every later stage.
    let out = run(&["report", input.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let documents = report["documents"].as_array().unwrap().len();
    let skipped = report["skipped"].as_array().unwrap().len();
    assert_eq!(documents + skipped, records);
}

#[test]
fn a_directory_of_traps_is_read_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("scrape");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("story.txt"), "one two three four five six seven").unwrap();
    std::fs::write(root.join("empty.txt"), "").unwrap();
    std::fs::write(root.join("binary.bin"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{symlink, PermissionsExt};
        symlink(".", root.join("loop")).unwrap();
        symlink(root.join("loop"), root.join("loop-of-loop")).unwrap();
        symlink("nowhere", root.join("gone")).unwrap();
        let fifo = root.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let locked = root.join("locked.txt");
        std::fs::write(&locked, "secret words here and there").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let started = Instant::now();
    let (out, stderr) = cluster_lines(&root, &[]);
    assert!(started.elapsed() < Duration::from_secs(30), "{stderr}");
    let (clusters, skips) = outcomes(&out);
    assert!(clusters.contains_key("story"), "{clusters:?} {skips:?}");
    let skipped_reason = |name: &str| {
        skips
            .iter()
            .find(|(k, _)| k.ends_with(name))
            .map(|(_, v)| v.clone())
    };
    assert!(skipped_reason("empty.txt").is_some() || skips.contains_key("empty"));
    #[cfg(unix)]
    {
        assert!(skipped_reason("loop").is_some(), "{skips:?}");
        assert!(skipped_reason("loop-of-loop").is_some(), "{skips:?}");
        assert!(skipped_reason("gone").unwrap().contains("broken"));
        assert!(skipped_reason("pipe")
            .unwrap()
            .contains("not a regular file"));
        // Root reads anything; anyone else gets a skip that says why.
        let root_user = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        if !root_user {
            assert!(skipped_reason("locked.txt").is_some(), "{skips:?}");
        }
        // Every entry is accounted for.
        assert_eq!(out.len(), 8, "{out:?}");
    }
}

/// A heavy case: time `reprint ARGS` (the release binary when run with --release).
fn timed(args: &[&str]) -> (Duration, std::process::Output) {
    let started = Instant::now();
    let out = run(args);
    let took = started.elapsed();
    eprintln!("reprint {args:?}: {took:.2?}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, out)
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn a_200_mb_single_line_document() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("huge.jsonl");
    let sentence = "The minister said talks on the budget would resume after a break. ";
    let text = sentence.repeat(200 * 1024 * 1024 / sentence.len());
    let line = json!({"id": "huge", "text": text}).to_string() + "\n";
    std::fs::write(&input, line).unwrap();
    let (took, out) = timed(&[
        "cluster",
        input.to_str().unwrap(),
        "--format",
        "jsonl",
        "--max-record-size",
        "256M",
    ]);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["cluster"], 0, "read as a document: {}", lines[0]);
    assert!(took < Duration::from_secs(120), "{took:?}");
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn a_decompression_bomb_is_skipped_and_the_next_record_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bomb.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&input).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(br#"{"id":"bomb","text":""#).unwrap();
    let block = vec![b'a'; 1 << 20];
    for _ in 0..1024 {
        gz.write_all(&block).unwrap();
    }
    gz.write_all(b"\"}\n").unwrap();
    let after = json!({"id": "after", "text": "The minister said talks would resume."});
    writeln!(gz, "{after}").unwrap();
    gz.finish().unwrap();
    // One GiB of text in a few MB of gzip: read past within the default limit, not held.
    let (took, out) = timed(&["cluster", input.to_str().unwrap(), "--format", "jsonl"]);
    let (clusters, skips) = outcomes(
        &String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect::<Vec<Value>>(),
    );
    assert!(clusters.contains_key("after"), "{clusters:?}");
    assert!(
        skips
            .values()
            .any(|r| r.contains("over the limit of 64.0 MiB")),
        "{skips:?}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn a_million_one_word_documents() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("words.jsonl");
    let mut text = String::new();
    for i in 0..1_000_000u32 {
        text.push_str(&format!(
            "{{\"id\":\"w{i}\",\"text\":\"word{}\"}}\n",
            i % 1000
        ));
    }
    std::fs::write(&input, text).unwrap();
    let (took, out) = timed(&["cluster", input.to_str().unwrap(), "--format", "jsonl"]);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1_000_000, "documents in = documents out");
    // A thousand distinct words: a thousand clusters of a thousand copies each.
    let clusters: std::collections::BTreeSet<u64> =
        lines.iter().filter_map(|l| l["cluster"].as_u64()).collect();
    assert_eq!(clusters.len(), 1000);
    assert!(took < Duration::from_secs(120), "{took:?}");
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn no_quadratic_path_on_identical_documents_or_repeated_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let article = std::fs::read_to_string("data/seeds/000_4526b870d124d22a.txt").unwrap();
    let identical = dir.path().join("identical.jsonl");
    let lines: String = (0..10_000)
        .map(|i| json!({"id": format!("i{i}"), "text": article}).to_string() + "\n")
        .collect();
    std::fs::write(&identical, lines).unwrap();
    let sentence = "The minister said the talks would resume on Monday after a short break. ";
    let repeated = dir.path().join("repeated.jsonl");
    std::fs::write(
        &repeated,
        json!({"id": "repeated", "text": sentence.repeat(100_000)}).to_string()
            + "\n"
            + &json!({"id": "article", "text": article}).to_string()
            + "\n",
    )
    .unwrap();
    let identical = identical.to_str().unwrap();
    let repeated = repeated.to_str().unwrap();
    for args in [
        vec!["cluster", identical, "--format", "jsonl"],
        vec![
            "cluster",
            identical,
            "--format",
            "jsonl",
            "--memory-limit",
            "64M",
        ],
        vec![
            "cluster", identical, "--level", "story", "--format", "jsonl",
        ],
        vec!["report", identical, "--format", "json"],
        vec!["report", repeated, "--format", "json"],
        vec!["dedup", identical],
    ] {
        let (took, _) = timed(&args);
        // Linear work here takes seconds; a quadratic path takes many minutes.
        assert!(took < Duration::from_secs(60), "{args:?}: {took:?}");
    }
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn a_page_of_many_short_lines_between_two_paragraphs_is_judged_in_linear_time() {
    // Every short line's class comes from its neighbours: scanning for them line by line was
    // quadratic (160,000 lines took 21 s).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lines.jsonl");
    let paragraph = "The council said on Monday that it would close the old bridge for repairs \
        that are expected to take most of the winter, and that buses would run in its place.";
    let mut text = format!("{paragraph}\n");
    for i in 0..300_000 {
        text.push_str(&format!(
            "Residents of ward {i} said the water was cold today.\n"
        ));
    }
    text.push_str(paragraph);
    std::fs::write(
        &input,
        json!({"id": "lines", "text": text}).to_string() + "\n",
    )
    .unwrap();
    let output = dir.path().join("report.json");
    let (took, _) = timed(&[
        "report",
        input.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// `n` articles of made-up words, different from each other, each carrying one wire sentence.
fn articles_sharing_one_sentence(path: &Path, n: usize) {
    let mut state = 7u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let wire =
        "Rescue teams searched the rubble of the collapsed harbour warehouse through the night.";
    let mut out = String::new();
    for i in 0..n {
        let mut text = String::new();
        for s in 0..8 {
            if s == 3 {
                text.push_str(wire);
                text.push(' ');
                continue;
            }
            for w in 0..14 {
                // Made-up content words between real function words, so that it reads as prose.
                let word: String = if w % 2 == 1 {
                    ["the", "of", "and", "to", "in", "that", "was", "for"][(next() % 8) as usize]
                        .to_string()
                } else {
                    let len = 4 + next() % 6;
                    (0..len)
                        .map(|_| (b'a' + (next() % 26) as u8) as char)
                        .collect()
                };
                if w == 0 {
                    // A sentence starts with a capital, or it does not start.
                    text.push_str(&word[..1].to_uppercase());
                    text.push_str(&word[1..]);
                } else {
                    text.push_str(&word);
                }
                text.push(if w == 13 { '.' } else { ' ' });
            }
            text.push(' ');
        }
        out.push_str(&json!({"id": format!("a{i}"), "text": text}).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn a_sentence_carried_by_every_article_keeps_the_report_linear() {
    // Every article shares one sentence with every other: compared and listed pair by pair,
    // that is n² partners; bounded, it is a few per article.
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (
        dir.path().join("small.jsonl"),
        dir.path().join("large.jsonl"),
    );
    articles_sharing_one_sentence(&small, 8_000);
    articles_sharing_one_sentence(&large, 32_000);
    let mut took = Vec::new();
    for path in [&small, &large] {
        let (t, out) = timed(&["report", path.to_str().unwrap(), "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0));
        let lines = jsonl(&out);
        // The wire sentence is shared in every article, with at most the listed partners.
        for line in &lines {
            let shared: Vec<&Value> = line["passages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["status"] == "shared")
                .collect();
            assert_eq!(shared.len(), 1, "{line}");
            let partners = shared[0]["shared_with"].as_array().unwrap().len();
            assert!((1..=10).contains(&partners), "{line}");
        }
        took.push(t);
    }
    // Four times the articles: about four times the time when linear, sixteen when quadratic.
    let ratio = took[1].as_secs_f64() / took[0].as_secs_f64().max(0.05);
    assert!(ratio < 8.0, "{took:?}");
}

#[test]
#[ignore = "heavy: run in release by CI"]
fn report_lines_are_the_json_report_across_label_batches() {
    // The row outputs label documents a batch at a time (a couple of thousand): every line
    // must still be the JSON report's entry, with skipped records where they were read.
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated.jsonl");
    let out = run(&[
        "synth",
        "--documents",
        "5000",
        "-o",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let mut lines: Vec<String> = std::fs::read_to_string(&generated)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    for at in [1_000, 2_048, 4_999] {
        lines.insert(at, "not a record".to_string());
    }
    let input = dir.path().join("with_bad_lines.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let input = input.to_str().unwrap();
    let report = run(&["report", input, "--format", "json"]);
    assert_eq!(report.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let rows = run(&["report", input, "--format", "jsonl"]);
    assert_eq!(rows.status.code(), Some(0));
    let rows = jsonl(&rows);
    assert_eq!(rows.len(), lines.len());
    let documents = report["documents"].as_array().unwrap();
    let kept: Vec<&Value> = rows.iter().filter(|r| !r["cluster"].is_null()).collect();
    assert_eq!(kept, documents.iter().collect::<Vec<_>>());
    let skipped: Vec<usize> = (0..rows.len())
        .filter(|&k| rows[k]["cluster"].is_null())
        .collect();
    assert_eq!(skipped, [1_000, 2_048, 4_999]);
    assert!(documents.iter().any(|d| d["passages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["status"] == "shared")));
}
