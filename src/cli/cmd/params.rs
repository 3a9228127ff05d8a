//! `reprint params`: the LSH bands × rows for a threshold, the S-curve and its error masses.

use crate::cli::args::{Format, ParamsArgs};
use anyhow::Result;
use reprint::report::round4;
use reprint::LshParams;
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
    let lsh = LshParams::for_threshold(
        args.threshold,
        args.num_perm,
        args.fp_weight,
        args.fn_weight,
    )?;
    let report = ParamsReport {
        schema_version: reprint::report::SCHEMA_VERSION,
        threshold: args.threshold,
        num_perm: args.num_perm,
        bands: lsh.bands,
        rows: lsh.rows,
        false_positive_mass: lsh.false_positive_mass(args.threshold),
        false_negative_mass: lsh.false_negative_mass(args.threshold),
        fp_weight: args.fp_weight,
        fn_weight: args.fn_weight,
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
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => {
            writeln!(
                out,
                "threshold {} with {} permutations: {} bands x {} rows ({} of {} values used)",
                args.threshold,
                args.num_perm,
                lsh.bands,
                lsh.rows,
                lsh.used(),
                args.num_perm
            )?;
            writeln!(
                out,
                "false-positive mass {:.4}, false-negative mass {:.4} (weights {} / {})",
                report.false_positive_mass,
                report.false_negative_mass,
                args.fp_weight,
                args.fn_weight
            )?;
            writeln!(out)?;
            writeln!(out, "similarity  P(candidate)")?;
            for p in &report.s_curve {
                let bar = "#".repeat((p.probability * 40.0).round() as usize);
                let mark = if (p.similarity - args.threshold).abs() < 0.025 {
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
