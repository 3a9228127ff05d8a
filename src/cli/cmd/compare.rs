//! `reprint compare`: two documents side by side.

use crate::cli::args::{CompareArgs, Format};
use crate::cli::{signature_params, stream_options, write_json};
use anyhow::{Context, Result};
use reprint::near_dup::compare::{compare, Span};
use reprint::read::{InputReader, RawRecord};
use reprint::report::{round4, SCHEMA_VERSION};
use reprint::{Fingerprinter, SignatureParams};
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

#[derive(Serialize)]
struct Side {
    path: String,
    bytes: usize,
    words: usize,
    shingles: usize,
}

#[derive(Serialize)]
struct Run<'a> {
    words: usize,
    a: Span,
    b: Span,
    text: &'a str,
}

#[derive(Serialize)]
struct CompareReport<'a> {
    schema_version: u32,
    params: SignatureParams,
    a: Side,
    b: Side,
    #[serde(serialize_with = "round4")]
    jaccard: f64,
    #[serde(serialize_with = "round4")]
    containment_a_in_b: f64,
    #[serde(serialize_with = "round4")]
    containment_b_in_a: f64,
    minhash_estimate: Option<f64>,
    shared_runs: Vec<Run<'a>>,
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| reprint::Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid UTF-8 (first bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// The texts of documents `a` and `b` from `inputs`, read in one pass that stops once both are
/// found.
fn find_documents(args: &CompareArgs) -> Result<(String, String)> {
    let options = stream_options(&args.input, SignatureParams::default());
    let (mut a, mut b) = (None, None);
    reprint::read::check_named_inputs(&args.from)?;
    let reader = InputReader::new(&args.from, &options.fields)
        .with_max_record_bytes(options.max_record_bytes);
    for record in reader {
        if a.is_some() && b.is_some() {
            break;
        }
        // Cheap test before parsing: a line that does not mention the id is not it. Only for
        // ids that no JSON writer escapes (a `/` may be written `\/`, non-ASCII as `\uXXXX`).
        let line_mentions = |id: &str| match &record {
            RawRecord::JsonLine { line, .. }
                if id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
            {
                line.contains(id)
            }
            _ => true,
        };
        let wanted =
            (a.is_none() && line_mentions(&args.a)) || (b.is_none() && line_mentions(&args.b));
        if !wanted {
            continue;
        }
        let Ok(doc) = record.into_document(&options.fields, false) else {
            continue;
        };
        if a.is_none() && doc.id == args.a {
            a = Some(doc.text.clone());
        }
        if b.is_none() && doc.id == args.b {
            b = Some(doc.text);
        }
    }
    let inputs = args
        .from
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        (a, _) => {
            let missing = if a.is_none() { &args.a } else { &args.b };
            Err(anyhow::anyhow!(
                "no document with id `{missing}` in {inputs}"
            ))
        }
    }
}

pub fn run(args: CompareArgs) -> Result<()> {
    let params = signature_params(&args.sketch)?;
    let (a, b) = if args.from.is_empty() {
        (
            read_text(Path::new(&args.a))?,
            read_text(Path::new(&args.b))?,
        )
    } else {
        find_documents(&args)?
    };
    let mut fingerprinter = Fingerprinter::new(params)?;
    let c = compare(&mut fingerprinter, &a, &b).context("comparing")?;
    let report = CompareReport {
        schema_version: SCHEMA_VERSION,
        params,
        a: Side {
            path: args.a.clone(),
            bytes: a.len(),
            words: c.words.0,
            shingles: c.shingles.0,
        },
        b: Side {
            path: args.b.clone(),
            bytes: b.len(),
            words: c.words.1,
            shingles: c.shingles.1,
        },
        jaccard: c.jaccard,
        containment_a_in_b: c.containment_a_in_b,
        containment_b_in_a: c.containment_b_in_a,
        minhash_estimate: c.minhash_estimate.map(|x| (x * 1e4).round() / 1e4),
        shared_runs: c
            .shared_runs
            .iter()
            .map(|r| Run {
                words: r.words,
                a: r.a,
                b: r.b,
                text: &a[r.a.start..r.a.end],
            })
            .collect(),
    };
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Text => {
            for (label, side) in [("a", &report.a), ("b", &report.b)] {
                writeln!(
                    out,
                    "{label}: {} ({} bytes, {} words, {} shingles)",
                    side.path, side.bytes, side.words, side.shingles
                )?;
            }
            writeln!(out, "jaccard               {:.4}", report.jaccard)?;
            writeln!(
                out,
                "containment a in b    {:.4}",
                report.containment_a_in_b
            )?;
            writeln!(
                out,
                "containment b in a    {:.4}",
                report.containment_b_in_a
            )?;
            match report.minhash_estimate {
                Some(e) => writeln!(
                    out,
                    "minhash estimate      {e:.4} ({} permutations, {}-word shingles)",
                    params.num_perm, params.shingle_size
                )?,
                None => writeln!(out, "minhash estimate      - (a document has no words)")?,
            }
            writeln!(out, "shared runs           {}", report.shared_runs.len())?;
            for (i, r) in report.shared_runs.iter().enumerate() {
                let snippet: String = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
                let snippet = if snippet.chars().count() > 100 {
                    format!("{}…", snippet.chars().take(100).collect::<String>())
                } else {
                    snippet
                };
                writeln!(
                    out,
                    "{:>4}. {:>4} words  a {}..{}  b {}..{}  \"{snippet}\"",
                    i + 1,
                    r.words,
                    r.a.start,
                    r.a.end,
                    r.b.start,
                    r.b.end
                )?;
            }
        }
    }
    Ok(())
}
