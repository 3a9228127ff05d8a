//! The library's folders are its pipeline (see docs/architecture.md): a folder uses only the
//! folders before it, so no import cycle between stages can come back unnoticed.

use std::path::Path;

/// The stages in data-flow order: each may use the ones before it.
const ORDER: [&str; 11] = [
    "error",
    "read",
    "sketch",
    "candidates",
    "near_dup",
    "story",
    "tables",
    "index",
    "pipeline",
    "report",
    "synth",
];

fn rank(name: &str) -> Option<usize> {
    ORDER.iter().position(|n| *n == name)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_import_points_down_the_pipeline() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let stage = first.to_str().unwrap().trim_end_matches(".rs");
        let Some(own) = rank(stage) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        // Tests may reach anywhere; comments are not imports.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if let Some(used) = rank(&name) {
                    assert!(
                        used <= own,
                        "{}: the {stage} stage uses {name}, which comes after it",
                        relative.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} imports found: is src/ laid out as expected?"
    );
}
