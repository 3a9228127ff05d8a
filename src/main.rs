//! The `reprint` command: parses arguments, runs the library, maps errors to exit codes.

mod cli;

/// jemalloc rather than the system allocator: the story and report stages make and free many
/// small vectors on every thread, where glibc's allocator took a sixth of a report's CPU time
/// (dense 100,000 articles: 137 s of CPU with glibc, 116 s with jemalloc, the same peak
/// memory). The library leaves the choice to the program that links it.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(cli::main());
}
