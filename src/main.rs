//! The `reprint` command: parses arguments, runs the library, maps errors to exit codes.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
