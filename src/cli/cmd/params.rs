//! `reprint params`: the LSH bands × rows for a threshold, the S-curve and its error masses.

use crate::cli::args::{Format, ParamsArgs};
use crate::cli::{match_config, write_json};
use anyhow::Result;
use reprint::near_dup::cluster::MatchConfig;
use reprint::near_dup::verify::Measure;
use reprint::report::round4;
use reprint::SignatureParams;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Point {
    #[serde(serialize_with = "round4")]
    similarity: f64,
    #[serde(serialize_with = "round4")]
    probability: f64,
}

#[derive(Serialize)]
struct ParamsReport {
    schema_version: u32,
    threshold: f64,
    measure: Measure,
    candidate_threshold: f64,
    num_perm: usize,
    bands: usize,
    rows: usize,
    #[serde(serialize_with = "round4")]
    false_positive_mass: f64,
    #[serde(serialize_with = "round4")]
    false_negative_mass: f64,
    fp_weight: f64,
    fn_weight: f64,
    s_curve: Vec<Point>,
}

pub fn run(args: ParamsArgs) -> Result<()> {
    let m = &args.matching;
    let params = SignatureParams {
        num_perm: args.num_perm,
        ..SignatureParams::default()
    };
    let config = match_config(m, &params)?;
    let lsh = config.lsh;
    // With --containment the curve is over the Jaccard similarity the bands are tuned for.
    let tuned_for = MatchConfig::candidate_threshold(m.threshold, config.measure);
    let report = ParamsReport {
        schema_version: reprint::report::SCHEMA_VERSION,
        threshold: m.threshold,
        measure: config.measure,
        candidate_threshold: (tuned_for * 1e4).round() / 1e4,
        num_perm: args.num_perm,
        bands: lsh.bands,
        rows: lsh.rows,
        false_positive_mass: lsh.false_positive_mass(tuned_for),
        false_negative_mass: lsh.false_negative_mass(tuned_for),
        fp_weight: m.fp_weight,
        fn_weight: m.fn_weight,
        s_curve: (1..=20)
            .map(|i| {
                let s = i as f64 * 0.05;
                Point {
                    similarity: s,
                    probability: lsh.probability(s),
                }
            })
            .collect(),
    };
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Text => {
            if config.measure == Measure::Containment {
                writeln!(
                    out,
                    "containment {} is tuned as Jaccard {:.4} (copies at least half as long)",
                    m.threshold, tuned_for
                )?;
            }
            writeln!(
                out,
                "threshold {} with {} permutations: {} bands x {} rows ({} of {} values used)",
                (tuned_for * 1e4).round() / 1e4,
                args.num_perm,
                lsh.bands,
                lsh.rows,
                lsh.used(),
                args.num_perm
            )?;
            writeln!(
                out,
                "false-positive mass {:.4}, false-negative mass {:.4} (weights {} / {})",
                report.false_positive_mass, report.false_negative_mass, m.fp_weight, m.fn_weight
            )?;
            writeln!(out)?;
            writeln!(out, "similarity  P(candidate)")?;
            for p in &report.s_curve {
                let bar = "#".repeat((p.probability * 40.0).round() as usize);
                let mark = if (p.similarity - tuned_for).abs() < 0.025 {
                    "<"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{:>10.2}  {:>12.4}  {bar}{mark}",
                    p.similarity, p.probability
                )?;
            }
        }
    }
    Ok(())
}
