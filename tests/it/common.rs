//! Helpers shared by the end-to-end tests: run the `reprint` binary from the repository root.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run `reprint ARGS` and insist that it succeeds.
pub fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "reprint {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reprint"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Run `reprint ARGS` with an empty standard input.
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run reprint")
}

/// Run `reprint ARGS` with `input` on standard input (written from another thread).
pub fn run_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], input: &[u8]) -> Output {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reprint");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may stop reading early; that is its business.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for reprint");
    writer.join().expect("stdin writer");
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Assert the exit code, showing stderr when it is not the expected one.
#[track_caller]
pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit code {code}, got {:?}\nstderr:\n{}",
        out.status,
        stderr(out)
    );
    assert!(
        !stderr(out).contains("panicked"),
        "reprint panicked:\n{}",
        stderr(out)
    );
}

#[track_caller]
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

#[track_caller]
pub fn jsonl(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSONL line {l:?}: {e}")))
        .collect()
}

pub fn seed_text(i: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/seeds")
        .join(format!("{}.txt", SEEDS[i]));
    std::fs::read_to_string(path).expect("read seed")
}

/// A JSONL line `{"id":…,"text":…}`.
pub fn record(id: &str, text: &str) -> String {
    serde_json::json!({ "id": id, "text": text }).to_string()
}

/// Seed 0 with one word changed and a footer line appended: a near-duplicate of it.
pub fn near_copy(text: &str) -> String {
    assert!(
        text.contains("reportedly"),
        "seed changed; pick another word"
    );
    format!(
        "{}\nFollow us on social media for the latest updates.\n",
        text.replacen("reportedly", "allegedly", 1)
    )
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_owned()
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).expect("write fixture");
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// The seed articles in `data/seeds`, by file name without the extension.
pub const SEEDS: [&str; 5] = [
    "000_4526b870d124d22a",
    "001_3e1f5d705c35a797",
    "002_27facdf7f722c302",
    "003_4645c990ff64489e",
    "004_83e95b52ee6adbb2",
];

/// The JSON output of `reprint ARGS`, which must succeed.
#[track_caller]
pub fn ok_json(args: &[&str]) -> Value {
    json(&ok(args))
}

/// Start `cmd` with one seed record on its standard input, kept open so that it waits for
/// more; once `ready()` (what is awaited, `what`) holds, send it `signal` (`-INT`, `-TERM`) and
/// check that it exits with status 130, as its interruption handler makes it.
#[track_caller]
pub fn interrupt_when(mut cmd: Command, signal: &str, ready: impl Fn() -> bool, what: &str) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn reprint");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{}", record("a", &seed_text(0))).expect("write a record");
    let started = std::time::Instant::now();
    while !ready() {
        assert!(started.elapsed().as_secs() < 30, "{what} never appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    assert_eq!(child.wait().expect("wait").code(), Some(130));
    drop(stdin);
}
