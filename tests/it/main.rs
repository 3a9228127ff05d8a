//! End-to-end tests, in one binary: each module runs the built `reprint` binary (or the library)
//! on the fixtures in `data/` and checks what the documentation promises. Helpers live in
//! `common`. The heavy cases are `#[ignore]`d and run by CI in release mode:
//! `cargo test --release --test it -- --ignored`.

// Tests fail loudly: panicking on a broken expectation is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod adversarial;
mod cli;
mod docs;
mod html;
mod index;
mod invariants;
mod layout;
mod quality;
mod reproducible;
mod shared_pairs;
mod stories;
