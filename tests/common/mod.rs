//! Helpers shared by the end-to-end tests: run the `reprint` binary from the repository root.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

/// Run `reprint ARGS` in the repository root, with no input on stdin.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reprint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run reprint")
}

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
