//! Reproducibility: the same input and options give byte-identical output, whatever the
//! number of threads, from one run to the next, and however the input is split into files.

use crate::common::ok;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A corpus with copies and rewrites: generated articles, then the five seeds and their
/// syndicated copies, as one JSONL file.
fn corpus(dir: &Path) -> PathBuf {
    let synth = dir.join("synth.jsonl");
    ok(&[
        "synth",
        "--documents",
        "300",
        "--seed",
        "5",
        "-o",
        synth.to_str().unwrap(),
    ]);
    let mut text = std::fs::read_to_string(&synth).unwrap();
    for seed in std::fs::read_dir("data/seeds").unwrap() {
        let path = seed.unwrap().path();
        let id = path.file_stem().unwrap().to_str().unwrap().to_string();
        let body = std::fs::read_to_string(&path).unwrap();
        text.push_str(&serde_json::json!({ "id": id, "text": body }).to_string());
        text.push('\n');
    }
    text.push_str(&std::fs::read_to_string("data/syndicated.jsonl").unwrap());
    let all = dir.join("all.jsonl");
    std::fs::write(&all, text).unwrap();
    all
}

/// The commands whose output must not vary, each writing to stdout.
fn commands(input: &str) -> Vec<Vec<String>> {
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.insert(1, input.to_string());
        v
    };
    vec![
        with(&["cluster", "--format", "json"]),
        with(&["cluster", "--format", "jsonl", "--keep", "longest"]),
        with(&["cluster", "--format", "jsonl", "--memory-limit", "64K"]),
        with(&["cluster", "--level", "story", "--format", "json"]),
        with(&["report", "--format", "json"]),
        with(&["report", "--format", "html"]),
        with(&["report"]),
        with(&["dedup", "--annotate"]),
    ]
}

fn output(threads: &str, args: &[String]) -> Vec<u8> {
    let mut all = vec!["--threads", threads];
    all.extend(args.iter().map(String::as_str));
    all.push("-q");
    ok(&all).stdout
}

#[test]
fn outputs_do_not_depend_on_the_number_of_threads_or_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path());
    for args in commands(input.to_str().unwrap()) {
        let one = output("1", &args);
        assert!(one.len() > 1000, "{args:?} wrote {} bytes", one.len());
        for threads in ["2", "8"] {
            assert!(
                output(threads, &args) == one,
                "{args:?}: --threads {threads} differs from --threads 1"
            );
        }
        assert!(output("2", &args) == one, "{args:?}: a second run differs");
    }
}

#[test]
fn signature_tables_do_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path());
    let tables: Vec<Vec<u8>> = ["1", "8"]
        .iter()
        .map(|threads| {
            let out = dir.path().join(format!("signed-{threads}"));
            ok(&[
                "--threads",
                threads,
                "sign",
                input.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "-q",
            ]);
            std::fs::read(out.join("shard-00000.parquet")).unwrap()
        })
        .collect();
    assert!(tables[0] == tables[1], "signature tables differ");
}

/// The parts of a JSON report that describe the documents, not the files they came from.
fn findings(report: &[u8]) -> Value {
    fn drop_inputs(v: &mut Value) {
        if let Value::Object(map) = v {
            map.remove("inputs");
            map.values_mut().for_each(drop_inputs);
        }
    }
    let mut v: Value = serde_json::from_slice(report).unwrap();
    drop_inputs(&mut v["params"]);
    v
}

#[test]
fn splitting_the_input_across_files_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path());
    let text = std::fs::read_to_string(&input).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Three files of uneven sizes, in order.
    let cuts = [0, 7, lines.len() / 2, lines.len()];
    let parts: Vec<String> = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let path = dir.path().join(format!("part-{i}.jsonl"));
            std::fs::write(&path, lines[w[0]..w[1]].join("\n") + "\n").unwrap();
            path.to_str().unwrap().to_string()
        })
        .collect();
    let whole = input.to_str().unwrap();
    let run_on = |inputs: &[&str], args: &[&str]| -> Vec<u8> {
        let mut all = vec![args[0]];
        all.extend(inputs);
        all.extend(&args[1..]);
        all.push("-q");
        ok(&all).stdout
    };
    let split: Vec<&str> = parts.iter().map(String::as_str).collect();
    for args in [
        &["cluster", "--format", "jsonl"][..],
        &["cluster", "--level", "story", "--format", "jsonl"],
        &["dedup"],
    ] {
        assert!(
            run_on(&[whole], args) == run_on(&split, args),
            "{args:?} differs when the input is split"
        );
    }
    for args in [
        &["cluster", "--format", "json"][..],
        &["report", "--format", "json"],
    ] {
        assert_eq!(
            findings(&run_on(&[whole], args)),
            findings(&run_on(&split, args)),
            "{args:?} differs when the input is split"
        );
    }
}
