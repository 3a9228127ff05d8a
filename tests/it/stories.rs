//! End-to-end tests of story clustering and passage labels: `reprint report` and
//! `reprint cluster --level story` on the seeds, the hand-written story fixture
//! (`data/stories.jsonl`) and the seed annotation (`data/annotations/seeds.json`).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use crate::common::{ok, ok_json, run};

/// The JSON report of `cluster --level story` on `inputs`, with `extra` options.
fn story_report(inputs: &[&str], extra: &[&str]) -> Value {
    let mut args = vec!["cluster"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["--level", "story", "--format", "json", "-q"]);
    args.extend_from_slice(extra);
    ok_json(&args)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The text of every document of the seeds and the story fixture, by id.
fn texts() -> BTreeMap<String, String> {
    let mut texts = BTreeMap::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/seeds");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().to_string();
        texts.insert(id, std::fs::read_to_string(&path).unwrap());
    }
    for line in read("data/stories.jsonl").lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        texts.insert(
            v["id"].as_str().unwrap().to_string(),
            v["text"].as_str().unwrap().to_string(),
        );
    }
    texts
}

/// What DESIGN.md promises of every report: passages in order, not overlapping, covering every
/// non-blank byte, one status each, partners that exist, originality from the bytes.
fn check_report_contract(report: &Value, texts: &BTreeMap<String, String>) {
    assert_eq!(report["schema_version"], 1);
    let ids: BTreeSet<&str> = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    for doc in report["documents"].as_array().unwrap() {
        let id = doc["id"].as_str().unwrap();
        let text = texts[id].as_bytes();
        let mut covered = vec![false; text.len()];
        let mut last_end = 0;
        let (mut unique, mut shared) = (0u64, 0u64);
        for p in doc["passages"].as_array().unwrap() {
            let (start, end) = (
                p["start"].as_u64().unwrap() as usize,
                p["end"].as_u64().unwrap() as usize,
            );
            assert!(
                start >= last_end && start < end && end <= text.len(),
                "{id}: {p}"
            );
            last_end = end;
            covered[start..end].iter_mut().for_each(|c| *c = true);
            let status = p["status"].as_str().unwrap();
            match status {
                "shared" => {
                    shared += (end - start) as u64;
                    let partners = p["shared_with"].as_array().unwrap();
                    assert!(!partners.is_empty());
                    for s in partners {
                        let other = s["id"].as_str().unwrap();
                        assert!(ids.contains(other) && other != id);
                        let (ps, pe) = (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap());
                        assert!(ps < pe && pe as usize <= texts[other].len());
                        let sim = s["similarity"].as_f64().unwrap();
                        assert!(sim > 0.0 && sim <= 1.0);
                    }
                }
                "unique" => {
                    unique += (end - start) as u64;
                    assert!(p.get("shared_with").is_none());
                }
                "boilerplate" => assert!(p["reason"].is_string()),
                other => panic!("unknown status {other}"),
            }
        }
        for (i, &b) in text.iter().enumerate() {
            assert!(
                covered[i] || b.is_ascii_whitespace(),
                "{id}: byte {i} not in any passage"
            );
        }
        match doc["originality"].as_f64() {
            Some(o) => assert!((o - unique as f64 / (unique + shared) as f64).abs() < 1e-3),
            None => assert_eq!(unique + shared, 0),
        }
    }
}

#[test]
fn seeds_are_one_story_and_the_report_keeps_its_contract() {
    let report = ok_json(&["report", "data/seeds", "--format", "json", "-q"]);
    check_report_contract(&report, &texts());
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    assert_eq!(clusters[0]["documents"].as_array().unwrap().len(), 5);
    // Every seed carries some shared and some unique text.
    for doc in report["documents"].as_array().unwrap() {
        let o = doc["originality"].as_f64().unwrap();
        assert!(o > 0.3 && o < 1.0, "{}: originality {o}", doc["id"]);
    }
    assert_eq!(report["outlets"].as_array().unwrap().len(), 5);
    assert!(!report["reuse"].as_array().unwrap().is_empty());
}

/// Score the report of the seeds against the hand annotation: a fragment is right when the
/// passages over most of its bytes have its status and, for `shared`, name one of its partners.
#[test]
fn seed_passages_match_the_hand_annotation() {
    let report = ok_json(&["report", "data/seeds", "--format", "json", "-q"]);
    let annotation: Value = serde_json::from_str(&read("data/annotations/seeds.json")).unwrap();
    let texts = texts();
    let docs: BTreeMap<&str, &Value> = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap(), d))
        .collect();
    let mut right: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (id, fragments) in annotation["documents"].as_object().unwrap() {
        for f in fragments.as_array().unwrap() {
            let fragment = f["text"].as_str().unwrap();
            let expected = f["status"].as_str().unwrap();
            let start = texts[id].find(fragment).expect("fragment in its document");
            let end = start + fragment.len();
            let mut bytes: BTreeMap<&str, usize> = BTreeMap::new();
            let mut partners = BTreeSet::new();
            for p in docs[id.as_str()]["passages"].as_array().unwrap() {
                let (ps, pe) = (
                    p["start"].as_u64().unwrap() as usize,
                    p["end"].as_u64().unwrap() as usize,
                );
                let overlap = end.min(pe).saturating_sub(start.max(ps));
                if overlap > 0 {
                    *bytes.entry(p["status"].as_str().unwrap()).or_default() += overlap;
                    for s in p["shared_with"].as_array().into_iter().flatten() {
                        partners.insert(s["id"].as_str().unwrap().to_string());
                    }
                }
            }
            let got = bytes
                .iter()
                .max_by_key(|(_, &n)| n)
                .map(|(s, _)| *s)
                .unwrap_or("none");
            let partner_ok = expected != "shared"
                || f["partners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| partners.contains(p.as_str().unwrap()));
            let ok = got == expected && partner_ok;
            let e = right.entry(expected.to_string()).or_default();
            e.0 += usize::from(ok);
            e.1 += 1;
            if !ok {
                misses.push(format!("{id} {expected} -> {got}: {fragment}"));
            }
        }
    }
    let total: usize = right.values().map(|v| v.1).sum();
    let correct: usize = right.values().map(|v| v.0).sum();
    eprintln!(
        "seed annotation: {correct} of {total} right {right:?}\n{}",
        misses.join("\n")
    );
    assert_eq!(right["boilerplate"], (11, 11), "{misses:#?}");
    assert_eq!(right["unique"].0, right["unique"].1, "{misses:#?}");
    assert!(correct >= 67, "{correct} of {total}: {misses:#?}");
}

#[test]
fn story_level_keeps_other_events_of_the_same_kind_apart() {
    let report = story_report(&["data/stories.jsonl", "data/seeds"], &[]);
    assert_eq!(report["params"]["level"], "story");
    let mut gold: BTreeMap<String, String> = BTreeMap::new();
    for line in read("data/stories.jsonl").lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        gold.insert(
            v["id"].as_str().unwrap().into(),
            v["story"].as_str().unwrap().into(),
        );
    }
    let mut story_of_cluster: BTreeMap<u64, String> = BTreeMap::new();
    let mut cluster_of_story: BTreeMap<String, u64> = BTreeMap::new();
    for d in report["documents"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        let story = gold.get(id).cloned().unwrap_or_else(|| "seeds".into());
        let cluster = d["cluster"].as_u64().unwrap();
        assert_eq!(
            story_of_cluster
                .entry(cluster)
                .or_insert_with(|| story.clone()),
            &story,
            "{id} joined another story's cluster"
        );
        assert_eq!(
            cluster_of_story.entry(story).or_insert(cluster),
            &cluster,
            "{id} split from its story"
        );
    }
    assert_eq!(cluster_of_story.len(), 8);
}

#[test]
fn a_lone_report_about_the_same_company_stays_out_of_a_larger_story() {
    // Without the other layoffs report to compete, the Amazon layoffs report is still not part
    // of the five seed articles about Amazon and OpenAI.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stories.jsonl");
    let kept: String = read("data/stories.jsonl")
        .lines()
        .filter(|l| !l.contains("\"layoffs-meta\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&input, kept).unwrap();
    let report = story_report(&[input.to_str().unwrap(), "data/seeds"], &[]);
    let cluster_of = |prefix: &str| -> Vec<u64> {
        report["documents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["id"].as_str().unwrap().starts_with(prefix))
            .map(|d| d["cluster"].as_u64().unwrap())
            .collect()
    };
    let seeds: Vec<u64> = ["000_", "001_", "002_", "003_", "004_"]
        .iter()
        .flat_map(|p| cluster_of(p))
        .collect();
    assert_eq!(seeds.len(), 5);
    assert!(seeds.iter().all(|&c| c == seeds[0]), "{seeds:?}");
    assert_ne!(cluster_of("layoffs-amazon"), [seeds[0]]);
}

/// Each document's story cluster, in input order, from `cluster --level story` on `input`.
fn story_clusters(input: &str, extra: &[&str]) -> Vec<u64> {
    let mut args = vec![
        "cluster", input, "--level", "story", "--format", "jsonl", "-q",
    ];
    args.extend_from_slice(extra);
    String::from_utf8(ok(&args).stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["cluster"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

/// The rows of `data/titles.jsonl`: three reports, two of them tied only by their headlines.
fn title_rows() -> Vec<Value> {
    read("data/titles.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_headline_given_apart_counts_in_story_matching() {
    // The two reports of the council vote share their headline's facts, not their bodies'.
    assert_eq!(story_clusters("data/titles.jsonl", &[]), [0, 0, 1]);
    // Read from a field the file does not have, there is no headline to tie them.
    assert_eq!(
        story_clusters("data/titles.jsonl", &["--title-field", "headline"]),
        [0, 1, 2]
    );
}

#[test]
fn an_html_pages_headline_counts_in_story_matching() {
    let rows = title_rows();
    let with_head = tempfile::tempdir().unwrap();
    let without_head = tempfile::tempdir().unwrap();
    for (k, r) in rows.iter().enumerate() {
        let (title, text) = (r["title"].as_str().unwrap(), r["text"].as_str().unwrap());
        // One page gives its headline as it is shared, the others in <title> beside the
        // site's name, as news sites do.
        let head = match k {
            0 => format!("<meta property=\"og:title\" content=\"{title}\"><title>Home</title>"),
            1 => format!("<title>{title} | The Harbour Times</title>"),
            _ => format!("<title>Otago Daily - {title}</title>"),
        };
        let body = format!("<body><article><p>{text}</p></article></body>");
        let name = format!("{}.html", r["id"].as_str().unwrap());
        std::fs::write(
            with_head.path().join(&name),
            format!("<html><head>{head}</head>{body}</html>"),
        )
        .unwrap();
        std::fs::write(
            without_head.path().join(&name),
            format!("<html>{body}</html>"),
        )
        .unwrap();
    }
    assert_eq!(
        story_clusters(with_head.path().to_str().unwrap(), &[]),
        [0, 0, 1]
    );
    assert_eq!(
        story_clusters(without_head.path().to_str().unwrap(), &[]),
        [0, 1, 2]
    );
}

#[test]
fn a_parquet_headline_column_counts_in_story_matching() {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::writer::SerializedFileWriter;
    let rows = title_rows();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("titles.parquet");
    let schema = parquet::schema::parser::parse_message_type(
        "message titles {
            REQUIRED BYTE_ARRAY id (UTF8);
            REQUIRED BYTE_ARRAY text (UTF8);
            REQUIRED BYTE_ARRAY headline (UTF8);
        }",
    )
    .unwrap();
    let file = std::fs::File::create(&input).unwrap();
    let mut writer =
        SerializedFileWriter::new(file, std::sync::Arc::new(schema), Default::default()).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for field in ["id", "text", "title"] {
        let values: Vec<ByteArray> = rows
            .iter()
            .map(|r| ByteArray::from(r[field].as_str().unwrap()))
            .collect();
        let mut w = group.next_column().unwrap().unwrap();
        w.typed::<ByteArrayType>()
            .write_batch(&values, None, None)
            .unwrap();
        w.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
    let input = input.to_str().unwrap();
    assert_eq!(
        story_clusters(input, &["--title-field", "headline"]),
        [0, 0, 1]
    );
    assert_eq!(story_clusters(input, &[]), [0, 1, 2]);
}

#[test]
fn the_date_window_holds_stories_apart() {
    let cluster_of = |window: &str| -> BTreeMap<String, u64> {
        let report = story_report(&["data/stories.jsonl"], &["--window", window]);
        report["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_string(),
                    d["cluster"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let week = cluster_of("7d");
    assert_eq!(week["quake-chile-wire"], week["quake-chile-rewrite"]);
    let hours = cluster_of("12h");
    assert_ne!(hours["quake-chile-wire"], hours["quake-chile-rewrite"]);
    let none = cluster_of("none");
    assert_eq!(none["quake-chile-wire"], none["quake-chile-rewrite"]);
    let bad = run(&[
        "cluster",
        "data/stories.jsonl",
        "--level",
        "story",
        "--window",
        "soon",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--window"));
}

#[test]
fn rewrites_share_passages_and_their_furniture_is_boilerplate() {
    let report = ok_json(&["report", "data/stories.jsonl", "--format", "json", "-q"]);
    check_report_contract(&report, &texts());
    let doc = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "rehab-lovato-rewrite")
        .unwrap();
    let statuses: Vec<&str> = doc["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&"shared"), "{doc:#}");
    assert_eq!(statuses.last(), Some(&"boilerplate"), "{doc:#}");
    assert_eq!(doc["passages"][0]["shared_with"][0]["id"], "rehab-lovato");
    // Outlet rows and the reuse table name outlets, and dates say who was first.
    let reuse = report["reuse"].as_array().unwrap();
    let celeb = reuse
        .iter()
        .find(|r| r["outlet"] == "celebwatch" && r["with"] == "wire")
        .unwrap();
    assert!(celeb["bytes"].as_u64().unwrap() > 100);
    assert!(celeb["later"].as_u64().unwrap() > 0 && celeb["earlier"] == 0);
}

#[test]
fn a_footer_repeated_across_one_outlets_stories_is_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.jsonl");
    // A closed sentence of a paragraph's length: on its own evidence it is content.
    let footer = "Reporting by Jane Doe in Santiago; editing by John Roe for the Daily Wire desk. \
                  Write to the desk at any hour with corrections and tips.";
    let mut lines = String::new();
    for line in read("data/stories.jsonl").lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if v["outlet"] == "wire" && (v["id"] == "quake-turkey" || v["id"] == "rehab-affleck") {
            let text = format!("{}\n{footer}", v["text"].as_str().unwrap());
            v["text"] = Value::String(text);
        }
        lines.push_str(&format!("{v}\n"));
    }
    std::fs::write(&path, lines).unwrap();
    let report = ok_json(&["report", path.to_str().unwrap(), "--format", "json", "-q"]);
    let mut templates = 0;
    for d in report["documents"].as_array().unwrap() {
        for p in d["passages"].as_array().unwrap() {
            if p["reason"] == "template" {
                templates += 1;
                assert_eq!(p["status"], "boilerplate");
            }
        }
    }
    assert_eq!(templates, 2, "{report:#}");
}

#[test]
fn report_is_identical_for_any_thread_count_and_accounts_for_bad_input() {
    let args = |threads: &str| {
        let out = run(&[
            "report",
            "data/seeds",
            "data/stories.jsonl",
            "data/bad/mixed.jsonl",
            "--format",
            "json",
            "--threads",
            threads,
            "-q",
        ]);
        assert!(out.status.success());
        out.stdout
    };
    let one = args("1");
    assert_eq!(one, args("2"));
    let report: Value = serde_json::from_slice(&one).unwrap();
    let documents = report["documents"].as_array().unwrap().len();
    let skipped = report["skipped"].as_array().unwrap().len();
    // Blank lines are not records.
    let mixed_lines = read("data/bad/mixed.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let stories = read("data/stories.jsonl").lines().count();
    assert_eq!(documents + skipped, 5 + stories + mixed_lines);
    assert!(skipped > 0);
}

#[test]
fn text_report_shows_stories_passages_and_outlets() {
    let out = run(&["report", "data/stories.jsonl", "-q"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "== Story 0",
        "-- quake-chile-rewrite [dailybrief] 2026-03-03",
        "shared",
        "~ quake-chile-wire",
        "boilerplate",
        "== Originality per outlet",
        "== Shared bytes",
        "== Who published first",
        "dailybrief before wire: 0 of",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn cluster_level_story_and_report_agree() {
    for input in ["data/stories.jsonl", "data/dev/reuters.jsonl"] {
        let clusters = |args: &[&str]| -> Vec<u64> {
            ok_json(args)["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["cluster"].as_u64().unwrap())
                .collect()
        };
        let from_cluster = clusters(&[
            "cluster", input, "--level", "story", "--format", "json", "-q",
        ]);
        let from_report = clusters(&["report", input, "--format", "json", "-q"]);
        assert_eq!(from_cluster, from_report, "{input}");
    }
}

#[test]
fn text_report_lists_skipped_input_even_when_nothing_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.jsonl");
    std::fs::write(
        &path,
        "{\"id\":\"a\",\"text\":\"The harbour authority approved a dredging plan on Monday.\"}\n\
         {\"id\":\"a\",\"text\":\"A second record with the same id.\"}\n",
    )
    .unwrap();
    let out = run(&["report", path.to_str().unwrap(), "-q"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("== Skipped input"), "{text}");
    assert!(text.contains("duplicate id"), "{text}");
}
