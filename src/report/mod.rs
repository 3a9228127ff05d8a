//! Report types: what reprint writes, as a versioned contract separate from internal types.
//!
//! JSON reports carry `schema_version` ([`SCHEMA_VERSION`]); a field is only added within a
//! version, never renamed or removed. Similarities are rounded to four decimals so reports are
//! readable and byte-identical across runs. Text renderings are for people and may change.

use crate::near_dup::cluster::{Keep, MatchConfig, Membership};
use crate::near_dup::verify::Measure;
use crate::read::document::Skipped;
use crate::sketch::signature::{SignatureParams, SCHEME};
use crate::story::cluster::StoryConfig;
use serde::{Serialize, Serializer};
use std::io::{self, Write};
use std::sync::Arc;

/// Version of the JSON report format.
pub const SCHEMA_VERSION: u32 = 1;

/// Round to four decimals when serializing.
pub fn round4<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 1e4).round() / 1e4)
}

/// Every parameter that shaped a near-duplicate clustering.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterParams {
    /// `near-duplicate` or `story`.
    pub level: &'static str,
    /// Minimum exact similarity.
    pub threshold: f64,
    /// `jaccard` or `containment`.
    pub measure: Measure,
    /// How candidates were verified: `exact` (shingle sets), or `minhash-estimate` (from
    /// signature tables alone, `cluster --from-signatures`), which the similarities then are.
    pub verified_by: &'static str,
    /// Words per shingle.
    pub shingle_size: usize,
    /// MinHash values per signature.
    pub num_perm: usize,
    /// Hash seed.
    pub seed: u64,
    /// MinHash scheme.
    pub scheme: &'static str,
    /// The Jaccard similarity the LSH bands are tuned for.
    pub candidate_threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Weight of the false-positive mass when bands × rows were chosen.
    pub fp_weight: f64,
    /// Weight of the false-negative mass when bands × rows were chosen.
    pub fn_weight: f64,
    /// Representative rule.
    pub keep: Keep,
    /// The inputs as given.
    pub inputs: Vec<String>,
    /// Story clustering parameters (`--level story` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story: Option<StoryParams>,
}

/// Parameters of story clustering.
#[derive(Debug, Clone, Serialize)]
pub struct StoryParams {
    /// Average similarity at which story clusters merge.
    pub threshold: f64,
    /// Date window in days (`null`: dates ignored).
    pub window_days: Option<f64>,
    /// Terms kept per story vector.
    pub max_terms: usize,
}

impl StoryParams {
    /// The parameters of `config`.
    pub fn new(config: &StoryConfig) -> Self {
        StoryParams {
            threshold: config.threshold,
            window_days: config.window.map(|w| w as f64 / 86_400.0),
            max_terms: config.max_terms,
        }
    }
}

impl ClusterParams {
    /// The parameters of a run; `weights` are the (false-positive, false-negative) weights the
    /// LSH bands × rows were chosen with.
    pub fn new(
        signature: &SignatureParams,
        matching: &MatchConfig,
        weights: (f64, f64),
        keep: Keep,
        inputs: Vec<String>,
    ) -> Self {
        ClusterParams {
            level: "near-duplicate",
            threshold: matching.threshold,
            measure: matching.measure,
            verified_by: "exact",
            shingle_size: signature.shingle_size,
            num_perm: signature.num_perm,
            seed: signature.seed,
            scheme: SCHEME,
            candidate_threshold: (MatchConfig::candidate_threshold(
                matching.threshold,
                matching.measure,
            ) * 1e4)
                .round()
                / 1e4,
            bands: matching.lsh.bands,
            rows: matching.lsh.rows,
            fp_weight: weights.0,
            fn_weight: weights.1,
            keep,
            inputs,
            story: None,
        }
    }
}

pub use crate::pipeline::cluster::DocumentMeta;

/// One document's place in a clustering.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterDocument {
    /// Document id.
    pub id: String,
    /// Outlet, when known.
    pub outlet: Option<Arc<str>>,
    /// Date as given, when known.
    pub date: Option<String>,
    /// Cluster number.
    pub cluster: usize,
    /// Id of the cluster's representative.
    pub representative: String,
    /// Exact similarity to the representative.
    #[serde(serialize_with = "round4")]
    pub similarity: f64,
}

/// One cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterEntry {
    /// Cluster number.
    pub id: usize,
    /// Id of its representative.
    pub representative: String,
    /// Member ids in input order.
    pub documents: Vec<String>,
}

/// The report of `reprint cluster --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Parameters of the run.
    pub params: ClusterParams,
    /// Every clustered document, in input order.
    pub documents: Vec<ClusterDocument>,
    /// Every cluster (singletons too), by number.
    pub clusters: Vec<ClusterEntry>,
    /// Every input record that was set aside, in input order.
    pub skipped: Vec<Skipped>,
}

impl ClusterReport {
    /// Assemble a report from documents and their memberships (same order).
    pub fn new(
        params: ClusterParams,
        documents: Vec<DocumentMeta>,
        memberships: &[Membership],
        skipped: Vec<Skipped>,
    ) -> Self {
        let clusters_len = memberships.iter().map(|m| m.cluster + 1).max().unwrap_or(0);
        let mut clusters: Vec<ClusterEntry> = (0..clusters_len)
            .map(|id| ClusterEntry {
                id,
                representative: String::new(),
                documents: Vec::new(),
            })
            .collect();
        let representatives: Vec<String> = memberships
            .iter()
            .map(|m| {
                documents
                    .get(m.representative)
                    .map(|d| d.id.clone())
                    .unwrap_or_default()
            })
            .collect();
        let documents = documents
            .into_iter()
            .zip(memberships)
            .zip(representatives)
            .map(|((doc, m), representative)| {
                let entry = &mut clusters[m.cluster];
                entry.documents.push(doc.id.clone());
                entry.representative.clone_from(&representative);
                ClusterDocument {
                    id: doc.id,
                    outlet: doc.outlet,
                    date: doc.date,
                    cluster: m.cluster,
                    representative,
                    similarity: m.similarity,
                }
            })
            .collect();
        ClusterReport {
            schema_version: SCHEMA_VERSION,
            params,
            documents,
            clusters,
            skipped,
        }
    }

    /// Number of documents that are not their cluster's representative.
    pub fn duplicates(&self) -> usize {
        self.documents
            .iter()
            .filter(|d| d.id != d.representative)
            .count()
    }

    /// A readable table: one row per document, in input order.
    pub fn write_text(&self, w: &mut impl Write) -> io::Result<()> {
        let width = self
            .documents
            .iter()
            .map(|d| d.id.chars().count())
            .max()
            .unwrap_or(2)
            .clamp(2, 48);
        writeln!(
            w,
            "{:<width$}  {:>7}  {:>10}  representative",
            "id", "cluster", "similarity"
        )?;
        for d in &self.documents {
            let rep = if d.id == d.representative {
                "(itself)"
            } else {
                &d.representative
            };
            writeln!(
                w,
                "{:<width$}  {:>7}  {:>10.4}  {}",
                d.id, d.cluster, d.similarity, rep
            )?;
        }
        for s in &self.skipped {
            writeln!(
                w,
                "{:<width$}  {:>7}  {:>10}  skipped: {}",
                s.id.as_deref().unwrap_or(&s.source),
                "-",
                "-",
                s.reason
            )?;
        }
        Ok(())
    }
}

/// One row of `reprint cluster --format jsonl|csv|parquet`: a document's cluster, or a
/// skipped record and why.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterLine<'a> {
    /// Document id (`null` when a skipped record had none).
    pub id: Option<&'a str>,
    /// Cluster number (`null` for a skipped record).
    pub cluster: Option<usize>,
    /// Id of the cluster's representative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<&'a str>,
    /// Similarity to the representative, rounded to four decimals.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "stories::round4_opt"
    )]
    pub similarity: Option<f64>,
    /// Outlet, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet: Option<&'a str>,
    /// Date as given, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<&'a str>,
    /// Where a skipped record came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// The columns of `reprint cluster --format csv|parquet`, as `docs/formats.md` lists them.
pub const CLUSTER_COLUMNS: &[Column] = &[
    Column::text("id"),
    Column::integer("cluster"),
    Column::text("representative"),
    Column::float("similarity"),
    Column::text("outlet"),
    Column::text("date"),
    Column::text("source"),
    Column::text("reason"),
];

impl<'a> ClusterLine<'a> {
    /// The row of a skipped record: where it came from and why.
    pub fn skipped(s: &'a Skipped) -> Self {
        ClusterLine {
            id: s.id.as_deref(),
            cluster: None,
            representative: None,
            similarity: None,
            outlet: None,
            date: None,
            source: Some(&s.source),
            reason: Some(&s.reason),
        }
    }

    /// The row's cells, in [`CLUSTER_COLUMNS`] order.
    pub fn cells(&self) -> [Cell<'_>; 8] {
        [
            Cell::Text(self.id),
            Cell::Integer(self.cluster.and_then(|c| i64::try_from(c).ok())),
            Cell::Text(self.representative),
            Cell::Float(self.similarity.map(|s| (s * 1e4).round() / 1e4)),
            Cell::Text(self.outlet),
            Cell::Text(self.date),
            Cell::Text(self.source),
            Cell::Text(self.reason),
        ]
    }
}

/// Write cluster rows as a CSV or Parquet table on `out` (`name` in errors), as they come.
pub fn write_cluster_table<'a, W: Write + Send>(
    out: W,
    name: &str,
    format: TableFormat,
    lines: impl IntoIterator<Item = ClusterLine<'a>>,
) -> crate::Result<()> {
    let mut table = TableWriter::new(out, name, format, "clusters", CLUSTER_COLUMNS)?;
    for line in lines {
        table.row(&line.cells())?;
    }
    table.finish().map(|_| ())
}

pub mod compare;
mod html;
pub mod index;
mod stories;
pub mod table;
pub use stories::{
    OutletEntry, PassageEntry, PassageReport, ReportDocument, ReportParams, ReportTotals,
    ReuseEntry, SharedWith, StoryCluster, ARTICLE_COLUMNS, OUTLET_COLUMNS, PASSAGE_COLUMNS,
    REUSE_COLUMNS,
};
use table::{Cell, Column, TableFormat, TableWriter};
