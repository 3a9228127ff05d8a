//! Raw command-line flags (clap derive). They are turned into library configurations, checked,
//! by the subcommands; nothing here is trusted until then.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find near-duplicate and syndicated news text.
#[derive(Debug, Parser)]
#[command(name = "reprint", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Worker threads (default: one per core). Output is identical for any number.
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no summary on stderr (warnings about skipped input still show).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assign every document to a near-duplicate cluster, or with --level story to a story.
    Cluster(ClusterArgs),
    /// Stories, every passage labelled shared, unique or boilerplate, and originality.
    Report(ReportArgs),
    /// Stream filter: JSONL in, JSONL out, later near-duplicates dropped (or annotated).
    Dedup(DedupArgs),
    /// Compare two text files: similarities and the word runs they share.
    Compare(CompareArgs),
    /// Show the LSH bands × rows chosen for a threshold, and their S-curve.
    Params(ParamsArgs),
    /// Generate a synthetic syndicated news corpus (JSONL) with known copies, for benchmarks.
    Synth(SynthArgs),
    /// A persistent index in one directory: check new documents against everything seen before.
    Index(IndexArgs),
    /// Signatures and LSH band keys of every document, one Parquet table per input, for long
    /// jobs; a rerun skips the inputs already signed.
    Sign(SignArgs),
    /// Group the band keys of `reprint sign`'s tables into shared buckets (DIR/buckets.parquet),
    /// for `cluster --from-signatures` to continue from; a rerun keeps a table still current.
    Bucket(BucketArgs),
}

/// `reprint index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// What to do with the index.
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// The `index` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Create an index in DIR; its parameters are fixed from then on.
    Create(IndexCreateArgs),
    /// Add documents: each is a near-duplicate of an indexed one, part of an indexed story,
    /// new (starting a story), or already indexed (a no-op, so a retry after a failure is safe).
    Add(IndexAddArgs),
    /// What `add` would say, without writing (another process may be adding meanwhile).
    Query(IndexAddArgs),
    /// Counts, parameters and size on disk.
    Stats(IndexStatsArgs),
    /// Remove documents by id; the near-duplicates of a removed representative are decided again.
    Remove(IndexRemoveArgs),
    /// Fold the band entries and postings held in memory into their tables, and give the
    /// space of removed and rewritten pages back to the file system.
    Compact(IndexCompactArgs),
}

/// `reprint index remove`.
#[derive(Debug, Args)]
pub struct IndexRemoveArgs {
    /// The index directory.
    pub dir: PathBuf,
    /// Ids of the documents to remove.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// `reprint index compact`.
#[derive(Debug, Args)]
pub struct IndexCompactArgs {
    /// The index directory.
    pub dir: PathBuf,
}

/// `reprint index create`.
#[derive(Debug, Args)]
pub struct IndexCreateArgs {
    /// The index directory (created if missing; must not hold an index yet).
    pub dir: PathBuf,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
    #[command(flatten)]
    pub story: StoryArgs,
    /// Match near-duplicates only: every representative is a story of its own, and adding
    /// skips the content terms that story matching needs (about twice as fast).
    #[arg(long)]
    pub no_stories: bool,
}

/// Output formats of `index add` and `index query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum IndexFormat {
    /// One readable line per input record.
    #[default]
    Text,
    /// One JSON object per input record: `id`, `status` (new, story, duplicate, exists) and
    /// `story`; for a duplicate `duplicate_of` and `similarity` (Jaccard), for a member of an
    /// indexed story `nearest`, `similarity` (average cosine) and `merged` (older stories it
    /// showed to be the same, now numbered `story`); skipped records have `source` and
    /// `skipped`.
    Jsonl,
}

/// `reprint index add` and `reprint index query`.
#[derive(Debug, Args)]
pub struct IndexAddArgs {
    /// The index directory.
    pub dir: PathBuf,
    /// Directories (text files, HTML pages), JSONL (.jsonl, .gz, .zst), WARC/WET, Parquet, or -.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = IndexFormat::Text)]
    pub format: IndexFormat,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// `add` only: fold a band's entries (or the postings) held in memory into its table once
    /// it holds those of N representatives [default: 65536]. Larger means fewer folds but more
    /// memory, and a slower start, for every process that opens the index; the answers are the
    /// same.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub fold_at: Option<u64>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// `reprint index stats`.
#[derive(Debug, Args)]
pub struct IndexStatsArgs {
    /// The index directory.
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How bad input is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OnError {
    /// Report it on stderr (and in JSON output) and go on.
    #[default]
    Skip,
    /// Stop at the first bad input with exit code 1.
    Fail,
}

/// Which document represents a cluster (mirrors `reprint::near_dup::cluster::Keep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeepArg {
    /// The first in input order.
    First,
    /// The one with the earliest date (undated last; ties by id).
    Earliest,
    /// The longest text (ties by id); with --containment, a trimmed copy joins its original.
    Longest,
}

impl From<KeepArg> for reprint::near_dup::cluster::Keep {
    fn from(keep: KeepArg) -> Self {
        match keep {
            KeepArg::First => reprint::near_dup::cluster::Keep::First,
            KeepArg::Earliest => reprint::near_dup::cluster::Keep::Earliest,
            KeepArg::Longest => reprint::near_dup::cluster::Keep::Longest,
        }
    }
}

/// Output formats of `cluster`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ClusterFormat {
    /// A readable table.
    #[default]
    Text,
    /// One JSON report.
    Json,
    /// One line per input record, in input order: `id`, `cluster`, `representative`,
    /// `similarity`, and `outlet` and `date` when known (`source` and `reason` for a skipped
    /// record).
    Jsonl,
    /// The same rows as a CSV table with a header (see docs/formats.md for the columns).
    Csv,
    /// The same rows as a Parquet table.
    Parquet,
}

/// What `cluster` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Level {
    /// Copies of one article (word-shingle similarity).
    #[default]
    NearDuplicate,
    /// Articles that rewrite one story or report one event.
    Story,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    /// A readable report.
    #[default]
    Text,
    /// One JSON report.
    Json,
    /// One self-contained HTML page to read in a browser (no network access).
    Html,
    /// One line per input record, in input order, written as each is ready: a document's
    /// story, originality, bytes per label and passages with partners (as in the JSON's
    /// `documents`), or a skipped record and why.
    Jsonl,
    /// The passages table (see --tables) as one Parquet file.
    Parquet,
}

/// Formats of the `report --tables` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TablesFormat {
    /// CSV with a header row (`.csv`).
    #[default]
    Csv,
    /// Parquet (`.parquet`).
    Parquet,
}

/// Output formats of `compare` and `params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// JSON.
    Json,
}

/// Where documents come from and how their fields are named.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// JSONL field (or Parquet column) holding the document id.
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,
    /// JSONL field (or Parquet column) holding the text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,
    /// JSONL field (or Parquet column) holding the outlet [default: outlet, else source, else site].
    #[arg(long, value_name = "NAME")]
    pub outlet_field: Option<String>,
    /// JSONL field (or Parquet column) holding the publication date (ISO 8601, or a Parquet timestamp).
    #[arg(long, default_value = "date", value_name = "NAME")]
    pub date_field: String,
    /// JSONL field (or Parquet column) holding the headline; it counts in story matching (not in
    /// near-duplicates or passages) and may be absent. HTML pages give theirs in their head.
    #[arg(long, default_value = "title", value_name = "NAME")]
    pub title_field: String,
    /// What to do with bad input (malformed line, missing text, duplicate id, empty document…).
    #[arg(long, value_enum, default_value_t = OnError::Skip)]
    pub on_error: OnError,
    /// Largest record read (a JSONL line, a file, a WARC record or a Parquet text, once
    /// decompressed: 64M, 1G, …); a longer one is skipped with its reason, without being held
    /// in memory [default: 64M; with `cluster --memory-limit`, at most an eighth of the limit].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_record_size: Option<usize>,
}

/// Fingerprint parameters.
#[derive(Debug, Args)]
pub struct SketchArgs {
    /// Words per shingle.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub shingle_size: usize,
    /// MinHash values per signature.
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub num_perm: usize,
    /// Seed of every hash function.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Matching parameters.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Minimum exact similarity of near-duplicates.
    #[arg(
        long,
        default_value_t = 0.8,
        value_name = "T",
        allow_negative_numbers = true
    )]
    pub threshold: f64,
    /// Verify by containment |D∩R|/|D|, the share of a document found in its representative,
    /// instead of Jaccard: catches trimmed copies.
    #[arg(long)]
    pub containment: bool,
    /// Weight of false positives when choosing LSH bands × rows.
    #[arg(long, default_value_t = reprint::candidates::lsh::DEFAULT_FP_WEIGHT, value_name = "W")]
    pub fp_weight: f64,
    /// Weight of false negatives when choosing LSH bands × rows.
    #[arg(long, default_value_t = reprint::candidates::lsh::DEFAULT_FN_WEIGHT, value_name = "W")]
    pub fn_weight: f64,
}

/// Story clustering parameters.
#[derive(Debug, Args)]
pub struct StoryArgs {
    /// Average similarity (cosine of weighted names, figures and content words) at which
    /// story clusters merge.
    #[arg(long, default_value_t = reprint::story::cluster::StoryConfig::default().threshold, value_name = "T")]
    pub story_threshold: f64,
    /// Articles dated further apart are never one story: 7d, 36h, 90m, or `none` to ignore
    /// dates. Undated articles are not held apart.
    #[arg(long, default_value = "7d", value_name = "SPAN")]
    pub window: String,
}

/// `reprint report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Directories (text files, HTML pages), JSONL (.jsonl, .gz, .zst), WARC/WET, Parquet, or -.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format [default: text, or none when --tables is given].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the tables articles, outlets, reuse and passages into DIR (created if
    /// missing), one file each, row by row.
    #[arg(long, value_name = "DIR")]
    pub tables: Option<PathBuf>,
    /// Format of the --tables files.
    #[arg(long, value_enum, default_value_t = TablesFormat::Csv, requires = "tables")]
    pub tables_format: TablesFormat,
    /// Most partners listed per shared passage (the most similar).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_partners: usize,
    /// Work within about SIZE of memory (512M, 2G, …): band keys are sorted, and shingle
    /// sets, texts, term counts and sentence terms wait in temporary files in TMPDIR, read
    /// back as each stage needs them. The same report, slower. What each document keeps
    /// (its id, segments, story and partner lists: a few kilobytes) comes on top.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    #[command(flatten)]
    pub story: StoryArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

/// `reprint cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Directories (text files, HTML pages), JSONL (.jsonl, .gz, .zst), WARC/WET, Parquet, or -.
    #[arg(required_unless_present = "from_signatures", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Cluster the documents `reprint sign` signed into DIR instead of reading inputs: no text
    /// is read again, and similarities are the signatures' estimates.
    #[arg(long, value_name = "DIR", conflicts_with = "inputs")]
    pub from_signatures: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ClusterFormat::Text)]
    pub format: ClusterFormat,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which document represents a cluster.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    pub keep: KeepArg,
    /// Group copies of one article, or articles of one story.
    #[arg(long, value_enum, default_value_t = Level::NearDuplicate)]
    pub level: Level,
    #[command(flatten)]
    pub story: StoryArgs,
    /// Sort band keys and candidate buckets within about SIZE of memory (512M, 2G, …),
    /// through temporary files in TMPDIR, instead of holding an index: the same clusters.
    /// What each document keeps (id, date, cluster: about 300 bytes) comes on top. With
    /// `--level story`, term counts and sentence terms wait in TMPDIR too.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

/// `reprint bucket`.
#[derive(Debug, Args)]
pub struct BucketArgs {
    /// Directory of signature tables written by `reprint sign`; `buckets.parquet` is written
    /// into it.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Sort band keys within about SIZE of memory (512M, 2G, …), through temporary files in
    /// TMPDIR.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

/// A size in bytes: a number with an optional unit, K, M, G or T (powers of 1024, also written
/// KB, KiB, MB, MiB, …). A fraction needs a unit (1.5G).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let not_a_size = || format!("`{text}` is not a size such as 512M or 2G");
    if number.is_empty() {
        return Err(not_a_size());
    }
    let unit = unit.trim().to_ascii_uppercase();
    let power = match unit.as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 1,
        "M" | "MB" | "MIB" => 2,
        "G" | "GB" | "GIB" => 3,
        "T" | "TB" | "TIB" => 4,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use K, M, G or T)"
            ))
        }
    };
    if power == 0 && number.contains('.') {
        return Err(not_a_size());
    }
    let number: f64 = number.parse().map_err(|_| not_a_size())?;
    let bytes = (number * 1024f64.powi(power)).floor();
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("`{text}` is not a size reprint can use"));
    }
    Ok(bytes as usize)
}

/// `reprint sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Inputs, each one shard: files of any format reprint reads, or directories.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Directory for the tables (`shard-00000.parquet`, … in input order); made if missing.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

/// `reprint dedup`.
#[derive(Debug, Args)]
pub struct DedupArgs {
    /// JSONL inputs (or directories); - or nothing for stdin.
    #[arg(value_name = "INPUT", default_value = "-")]
    pub inputs: Vec<PathBuf>,
    /// Keep duplicates, tagged with `duplicate_of` and `similarity`.
    #[arg(long)]
    pub annotate: bool,
    /// Also write every skipped input record to FILE, one JSON line each (source, id, reason).
    #[arg(long, value_name = "FILE")]
    pub skipped: Option<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub sketch: SketchArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
}

/// `reprint compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// First text file (or, with --from, a document id).
    pub a: String,
    /// Second text file (or, with --from, a document id).
    pub b: String,
    /// Take A and B as ids of documents in these inputs (JSONL files or directories).
    #[arg(long, value_name = "INPUT", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// JSONL field names, when A and B come from --from.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub sketch: SketchArgs,
}

/// `reprint params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// MinHash values per signature.
    #[arg(long, default_value_t = 128, value_name = "N")]
    pub num_perm: usize,
    #[command(flatten)]
    pub matching: MatchArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `reprint synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of documents.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub documents: usize,
    /// Seed; the same seed always gives the same corpus.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of documents that copy an earlier story.
    #[arg(long, default_value_t = 0.3, value_name = "P")]
    pub copy_share: f64,
    /// Write to FILE instead of stdout (.gz and .zst compress).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("800mb"), Ok(800 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("2Q").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("1.5").is_err());
        assert!(parse_size("1iB").is_err());
        assert!(parse_size("1KIIB").is_err());
    }
}
