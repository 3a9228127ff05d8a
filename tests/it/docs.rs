//! The console examples of the README and of `docs/` run as written: each `$ reprint …` line in a
//! ```` ```console ```` block is run from the repository root and its output compared with the
//! lines below it (`...` elides lines), so the documentation cannot drift from the binary.

#[test]
fn console_examples_in_the_docs_print_what_they_show() {
    trycmd::TestCases::new()
        .register_bin(
            "reprint",
            std::path::Path::new(env!("CARGO_BIN_EXE_reprint")),
        )
        .case("README.md")
        .case("docs/*.md");
}
