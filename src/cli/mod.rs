//! The command line: parse, configure, run a subcommand, and map the outcome to an exit code
//! (0 success, 1 runtime failure, 2 usage error). A closed pipe (`reprint … | head`) ends the
//! run quietly with success.

mod args;
mod cmd;
mod outputs;

use anyhow::Result;
use args::{Cli, Command, InputArgs, MatchArgs, OnError, SketchArgs, StoryArgs};
use clap::{CommandFactory, FromArgMatches};
use indicatif::{ProgressBar, ProgressStyle};
use reprint::near_dup::cluster::MatchConfig;
use reprint::near_dup::verify::Measure;
use reprint::pipeline::ingest::{ReadNotes, StreamOptions};
use reprint::pipeline::Observer;
use reprint::read::FieldNames;
use reprint::story::cluster::StoryConfig;
use reprint::{SignatureParams, Skipped};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code of a usage error.
const EXIT_USAGE: i32 = 2;
/// Exit code of a runtime failure.
const EXIT_FAILURE: i32 = 1;
/// Skipped-input warnings printed in full before they are only counted.
const MAX_WARNINGS: usize = 20;

/// Run the command line and return the process exit code.
pub fn main() -> i32 {
    let parsed = with_exit_status(Cli::command())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            if is_broken_pipe(&e) {
                return 0;
            }
            report_error(&e)
        }
    }
}

/// What every `--help` says about exit codes.
const EXIT_STATUS: &str = "Exit status: 0 success; 1 runtime failure (an input named that cannot \
     be read, bad input when told to stop on it, an output that cannot be written); 2 usage \
     error (an unknown flag, a value out of range, flags that do not go together).";

/// `command` and all its subcommands, with the exit codes after their help.
fn with_exit_status(command: clap::Command) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .into_iter()
        .fold(command.after_help(EXIT_STATUS), |command, name| {
            command.mut_subcommand(name, with_exit_status)
        })
}

/// A usage error: the command line asks for what cannot be had (exit code 2).
#[derive(Debug)]
pub struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error with `message`, for `?` and `return Err(…)`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The flag that sets a library parameter, for the parameters the command line exposes.
fn flag_of(parameter: &str) -> Option<&'static str> {
    const FLAGS: [(&str, &str); 10] = [
        ("num_perm", "--num-perm"),
        ("shingle_size", "--shingle-size"),
        ("threshold", "--threshold"),
        ("fp_weight", "--fp-weight"),
        ("fn_weight", "--fn-weight"),
        ("story_threshold", "--story-threshold"),
        ("window", "--window"),
        ("memory_limit", "--memory-limit"),
        ("measure", "--containment"),
        ("keep", "--keep"),
    ];
    FLAGS
        .iter()
        .find(|(name, _)| *name == parameter)
        .map(|(_, flag)| *flag)
}

/// Print `e` on stderr (with a hint where one helps) and return its exit code: 2 for a usage
/// error (this module's, clap's, or a parameter out of range), 1 for everything else.
fn report_error(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<UsageError>().is_some() {
        eprintln!("reprint: error: {e:#}");
        return EXIT_USAGE;
    }
    match e.downcast_ref::<reprint::Error>() {
        Some(reprint::Error::InvalidParameter { name, reason }) => {
            match flag_of(name) {
                Some(flag) => eprintln!("reprint: error: {flag}: {reason}"),
                None => eprintln!("reprint: error: {e:#}"),
            }
            EXIT_USAGE
        }
        Some(reprint::Error::FieldNotFound { field, .. }) => {
            eprintln!("reprint: error: {e:#}");
            eprintln!(
                "reprint: hint: name the fields that hold the id and the text with --id-field \
                 and --text-field (`{field}` is looked for now)"
            );
            EXIT_FAILURE
        }
        _ => {
            eprintln!("reprint: error: {e:#}");
            EXIT_FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = Some(io::ErrorKind::BrokenPipe);
    e.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().map(io::Error::kind) == broken
            // serde_json wraps the I/O error without exposing it as a source.
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
            || cause.downcast_ref::<reprint::Error>().is_some_and(|r| {
                matches!(r, reprint::Error::Io { error, .. } if error.kind() == io::ErrorKind::BrokenPipe)
            })
    })
}

fn run(cli: Cli) -> Result<()> {
    if let Some(threads) = cli.threads {
        if threads == 0 {
            return Err(usage("--threads must be at least 1"));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()?;
    }
    let ui = Ui::new(cli.quiet);
    let _temp = outputs::run_temp_dir()?;
    match cli.command {
        Command::Cluster(args) => cmd::cluster::run(args, &ui),
        Command::Report(args) => cmd::report::run(args, &ui),
        Command::Dedup(args) => cmd::dedup::run(args, &ui),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Params(args) => cmd::params::run(args),
        Command::Synth(args) => cmd::synth::run(args),
        Command::Index(args) => cmd::index::run(args, &ui),
        Command::Sign(args) => cmd::sign::run(args, &ui),
        Command::Bucket(args) => cmd::bucket::run(args, &ui),
    }
}

/// Signature parameters from flags, validated.
fn signature_params(sketch: &SketchArgs) -> reprint::Result<SignatureParams> {
    let params = SignatureParams {
        num_perm: sketch.num_perm,
        shingle_size: sketch.shingle_size,
        seed: sketch.seed,
    };
    params.validate()?;
    Ok(params)
}

/// Matching configuration from flags, validated (LSH bands × rows derived here).
fn match_config(matching: &MatchArgs, params: &SignatureParams) -> reprint::Result<MatchConfig> {
    let measure = if matching.containment {
        Measure::Containment
    } else {
        Measure::Jaccard
    };
    MatchConfig::new(
        matching.threshold,
        measure,
        params.num_perm,
        matching.fp_weight,
        matching.fn_weight,
    )
}

fn stream_options(input: &InputArgs, params: SignatureParams) -> StreamOptions {
    StreamOptions {
        fields: FieldNames {
            id: input.id_field.clone(),
            text: input.text_field.clone(),
            outlet: input.outlet_field.clone(),
            date: input.date_field.clone(),
            title: input.title_field.clone(),
        },
        params,
        keep_raw: false,
        keep_text: false,
        story_terms: false,
        max_record_bytes: input
            .max_record_size
            .unwrap_or(reprint::read::DEFAULT_MAX_RECORD_BYTES),
    }
}

/// Standard output or a file, buffered; a file appears when [`outputs::Output::finish`] is called.
fn open_output(path: Option<&Path>) -> Result<outputs::Output> {
    outputs::Output::create(path)
}

/// Write `value` as pretty JSON and a final newline.
fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// What the user sees on stderr: progress, warnings about skipped input, a summary.
pub struct Ui {
    quiet: bool,
    progress: Option<ProgressBar>,
}

impl Ui {
    fn new(quiet: bool) -> Self {
        let progress = (!quiet && io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Ui { quiet, progress }
    }

    /// Show how far reading has come (cheap: called every document, draws now and then).
    fn progress(&self, documents: usize, bytes: usize) {
        if let Some(bar) = &self.progress {
            if documents.is_multiple_of(512) {
                bar.set_message(format!(
                    "{documents} documents, {:.1} MB read",
                    bytes as f64 / 1e6
                ));
            }
        }
    }

    /// Print a line on stderr without tearing the progress bar.
    fn line(&self, line: &str) {
        match &self.progress {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// A line of news about the run (not a warning), unless quiet.
    fn note(&self, line: &str) {
        if !self.quiet {
            self.line(line);
        }
    }

    /// The closing summary, unless quiet.
    fn summary(&self, line: &str) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// Warn, one line per file, about documents kept with something lost (an unreadable date), and
/// say which fields were read under a common name.
fn warn_read_notes(ui: &Ui, notes: &ReadNotes) {
    for stand_in in &notes.stand_ins {
        ui.line(&format!(
            "reprint: note: {}: records without `{}` have their {} read from `{}` (the first at \
             {}); --{}-field names another field",
            stand_in.file,
            stand_in.field,
            stand_in.field,
            stand_in.name,
            stand_in.first,
            stand_in.field
        ));
    }
    for dates in &notes.unreadable_dates {
        ui.line(&format!(
            "reprint: warning: {}: {} {} not be read (the first, `{}`, at {}); {} kept undated",
            dates.file,
            dates.count,
            if dates.count == 1 {
                "date could"
            } else {
                "dates could"
            },
            dates.example,
            dates.first,
            if dates.count == 1 {
                "its document is"
            } else {
                "their documents are"
            },
        ));
    }
}

/// The command line's view of a library run: progress and notes on stderr, a warning for each
/// of the first skipped records, a stop at the first one when the user asked to fail on bad
/// input, and the clean-up of temporary files on interruption.
pub struct Watch<'u> {
    ui: &'u Ui,
    on_error: OnError,
    /// Where the full list can be found, shown once the warnings are cut short.
    full_list: &'static str,
    /// Skipped records seen.
    skips: usize,
}

impl<'u> Watch<'u> {
    fn new(ui: &'u Ui, on_error: OnError, full_list: &'static str) -> Self {
        Watch {
            ui,
            on_error,
            full_list,
            skips: 0,
        }
    }

    /// Skipped records seen so far.
    fn skips(&self) -> usize {
        self.skips
    }
}

impl Observer for Watch<'_> {
    fn skipped(&mut self, skipped: &Skipped) -> reprint::Result<()> {
        if self.on_error == OnError::Fail {
            return Err(reprint::Error::BadInput {
                origin: skipped.source.clone(),
                reason: match &skipped.id {
                    Some(id) => format!("document `{id}`: {}", skipped.reason),
                    None => skipped.reason.clone(),
                },
            });
        }
        if self.skips < MAX_WARNINGS {
            self.ui.line(&format!("reprint: skipped {skipped}"));
        } else if self.skips == MAX_WARNINGS {
            self.ui.line(&format!(
                "reprint: more input skipped; the rest is only counted ({})",
                self.full_list
            ));
        }
        self.skips += 1;
        Ok(())
    }

    fn progress(&mut self, records: usize, bytes: usize) {
        self.ui.progress(records, bytes);
    }

    fn note(&mut self, note: &str) {
        self.ui.note(&format!("reprint: {note}"));
    }

    fn read_notes(&mut self, notes: &ReadNotes) {
        warn_read_notes(self.ui, notes);
    }

    fn temporary_file(&mut self, path: &Path, live: bool) {
        if live {
            outputs::register_partial(path);
        } else {
            outputs::unregister_partial(path);
        }
    }
}

/// The path of each input as given, for reports.
fn input_names(inputs: &[PathBuf]) -> Vec<String> {
    inputs.iter().map(|p| p.display().to_string()).collect()
}

/// Story clustering configuration from flags, validated.
fn story_config(story: &StoryArgs) -> reprint::Result<StoryConfig> {
    let config = StoryConfig {
        threshold: story.story_threshold,
        window: parse_window(&story.window)?,
        ..StoryConfig::default()
    };
    config.validate()?;
    Ok(config)
}

/// A date window such as `7d`, `36h`, `90m`, `3600s` in seconds; `none` for no window.
fn parse_window(span: &str) -> reprint::Result<Option<i64>> {
    let span = span.trim();
    if span.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || {
        reprint::Error::invalid(
            "window",
            format!("expected a span such as 7d, 36h, 90m or none, got `{span}`"),
        )
    };
    let split = span
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(span.len());
    let (number, unit) = span.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds).map(Some).ok_or_else(bad)
}

/// The closing line of a story-level run.
fn story_summary(
    documents: usize,
    cluster_sizes: impl Iterator<Item = usize>,
    skipped: usize,
) -> String {
    let (mut stories, mut multi) = (0, 0);
    for size in cluster_sizes {
        stories += 1;
        multi += usize::from(size > 1);
    }
    let noun = if stories == 1 { "story" } else { "stories" };
    format!(
        "reprint: {documents} documents in {stories} {noun} ({multi} with more than one article), \
         {skipped} skipped"
    )
}

#[cfg(test)]
mod tests {
    use super::parse_window;

    #[test]
    fn windows_parse() {
        assert_eq!(parse_window("7d").ok(), Some(Some(604_800)));
        assert_eq!(parse_window("36h").ok(), Some(Some(129_600)));
        assert_eq!(parse_window("none").ok(), Some(None));
        assert!(parse_window("7 weeks").is_err());
        assert!(parse_window("d").is_err());
        assert!(parse_window("99999999999999999d").is_err());
    }
}
