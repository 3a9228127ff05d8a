//! The story report of `reprint report`: stories, every document's passages with their labels
//! and partners, originality per document and per outlet, and who reuses whom.

use super::table::{Cell, Column, TableWriter};
use super::{round4, ClusterParams, StoryParams, SCHEMA_VERSION};
use crate::near_dup::cluster::Membership;
use crate::pipeline::analysis::{AnalysisConfig, ArticleAnalysis};
use crate::pipeline::ingest::FingerprintedDocument;
use crate::read::document::Skipped;
use crate::story::boilerplate::BoilerplateReason;
use crate::story::passage::{ByteCounts, PassageStatus};
use ahash::AHashMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::io::{self, Write};

pub(super) fn round4_opt<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(v) => round4(v, s),
        None => s.serialize_none(),
    }
}

/// Every parameter that shaped a story report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportParams {
    /// Always `story`.
    pub level: &'static str,
    /// Story clustering.
    pub story: StoryParams,
    /// Most partners listed per passage.
    pub max_partners: usize,
    /// Share of the lighter sentence's weight that shared terms must carry.
    pub sentence_threshold: f64,
    /// Share of the lighter clause's weight that shared terms must carry.
    pub clause_threshold: f64,
    /// The near-duplicate clustering run first (copies follow their representative).
    pub near_duplicate: ClusterParams,
}

impl ReportParams {
    /// The parameters of a run.
    pub fn new(config: &AnalysisConfig, near_duplicate: ClusterParams) -> Self {
        ReportParams {
            level: "story",
            story: StoryParams::new(&config.story),
            max_partners: config.max_partners,
            sentence_threshold: crate::story::align::SENTENCE_THRESHOLD,
            clause_threshold: crate::story::align::CLAUSE_THRESHOLD,
            near_duplicate,
        }
    }
}

/// Where a shared passage is found in another document. Its strings are borrowed from the
/// documents read: a report of a hundred partners a document made one string each.
#[derive(Debug, Clone, Serialize)]
pub struct SharedWith<'a> {
    /// The other document's id.
    pub id: &'a str,
    /// First byte of the matching passage there.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// How similar the two passages are.
    #[serde(serialize_with = "round4")]
    pub similarity: f64,
}

/// One labelled passage.
#[derive(Debug, Clone, Serialize)]
pub struct PassageEntry<'a> {
    /// First byte (into the document's text as read).
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// `shared`, `unique` or `boilerplate`.
    pub status: PassageStatus,
    /// For a shared passage: where else it is found, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<SharedWith<'a>>,
    /// For boilerplate: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<BoilerplateReason>,
}

/// One document of a story report, its strings borrowed from the documents read.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument<'a> {
    /// Document id.
    pub id: &'a str,
    /// Outlet, when known.
    pub outlet: Option<&'a str>,
    /// Date as given, when known.
    pub date: Option<&'a str>,
    /// Story cluster.
    pub cluster: usize,
    /// The document it is a near-duplicate of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_duplicate_of: Option<&'a str>,
    /// Unique bytes over non-boilerplate bytes (`null` when all of it is boilerplate).
    #[serde(serialize_with = "round4_opt")]
    pub originality: Option<f64>,
    /// Bytes per label.
    pub bytes: ByteCounts,
    /// Passages in text order.
    pub passages: Vec<PassageEntry<'a>>,
}

/// One story cluster.
#[derive(Debug, Clone, Serialize)]
pub struct StoryCluster {
    /// Cluster number.
    pub id: usize,
    /// Member ids in input order.
    pub documents: Vec<String>,
    /// The distinct outlets of its members (a member without outlet counts under its id).
    pub outlets: Vec<String>,
    /// The earliest dated member, if any member is dated.
    pub first: Option<String>,
}

/// Originality of one outlet.
#[derive(Debug, Clone, Serialize)]
pub struct OutletEntry {
    /// The outlet (a document without outlet stands for itself, under its id).
    pub outlet: String,
    /// Its documents.
    pub documents: usize,
    /// Unique bytes over non-boilerplate bytes across its documents.
    #[serde(serialize_with = "round4_opt")]
    pub originality: Option<f64>,
    /// Bytes per label across its documents.
    pub bytes: ByteCounts,
}

/// How much of one outlet's text is shared with another outlet.
#[derive(Debug, Clone, Serialize)]
pub struct ReuseEntry {
    /// The outlet whose passages are counted.
    pub outlet: String,
    /// The outlet they are shared with.
    pub with: String,
    /// Bytes of `outlet`'s shared passages that `with` also carries.
    pub bytes: usize,
    /// Such passages.
    pub passages: usize,
    /// Of those where both dates are known: how often `outlet` published first.
    pub earlier: usize,
    /// … and how often `with` did.
    pub later: usize,
}

/// The report of `reprint report --format json`, borrowing the documents' strings.
#[derive(Debug, Clone, Serialize)]
pub struct PassageReport<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Parameters of the run.
    pub params: ReportParams,
    /// Every analysed document, in input order.
    pub documents: Vec<ReportDocument<'a>>,
    /// Every story cluster (singletons too), by number.
    pub clusters: Vec<StoryCluster>,
    /// Originality per outlet, by outlet name.
    pub outlets: Vec<OutletEntry>,
    /// Outlet × outlet reuse, by outlet then partner; pairs sharing nothing are left out.
    pub reuse: Vec<ReuseEntry>,
    /// Every input record that was set aside, in input order.
    pub skipped: Vec<Skipped>,
}

/// The columns of the `articles` table (`report --tables`): one row per document, in input
/// order.
pub const ARTICLE_COLUMNS: &[Column] = &[
    Column::text("id"),
    Column::text("outlet"),
    Column::text("date"),
    Column::integer("story"),
    Column::text("near_duplicate_of"),
    Column::float("originality"),
    Column::integer("shared_bytes"),
    Column::integer("unique_bytes"),
    Column::integer("boilerplate_bytes"),
    Column::integer("passages"),
];

/// The columns of the `outlets` table: one row per outlet, by name.
pub const OUTLET_COLUMNS: &[Column] = &[
    Column::text("outlet"),
    Column::integer("documents"),
    Column::float("originality"),
    Column::integer("shared_bytes"),
    Column::integer("unique_bytes"),
    Column::integer("boilerplate_bytes"),
];

/// The columns of the `reuse` table: one row per pair of outlets that share a passage.
pub const REUSE_COLUMNS: &[Column] = &[
    Column::text("outlet"),
    Column::text("with"),
    Column::integer("bytes"),
    Column::integer("passages"),
    Column::integer("earlier"),
    Column::integer("later"),
];

/// The columns of the `passages` table (and of `report --format parquet`): one row per
/// passage and partner, or one row with empty partner columns for a passage without.
pub const PASSAGE_COLUMNS: &[Column] = &[
    Column::text("id"),
    Column::integer("passage"),
    Column::integer("start"),
    Column::integer("end"),
    Column::text("status"),
    Column::text("reason"),
    Column::text("partner"),
    Column::integer("partner_start"),
    Column::integer("partner_end"),
    Column::float("similarity"),
];

fn count(n: usize) -> Cell<'static> {
    Cell::Integer(i64::try_from(n).ok())
}

fn rounded(x: Option<f64>) -> Cell<'static> {
    Cell::Float(x.map(|v| (v * 1e4).round() / 1e4))
}

impl<'a> ReportDocument<'a> {
    /// Its row of the `articles` table.
    pub fn article_cells(&self) -> [Cell<'_>; 10] {
        [
            Cell::Text(Some(self.id)),
            Cell::Text(self.outlet),
            Cell::Text(self.date),
            count(self.cluster),
            Cell::Text(self.near_duplicate_of),
            rounded(self.originality),
            count(self.bytes.shared),
            count(self.bytes.unique),
            count(self.bytes.boilerplate),
            count(self.passages.len()),
        ]
    }

    /// Write its rows of the `passages` table.
    pub fn write_passage_rows<W: Write + Send>(
        &self,
        table: &mut TableWriter<W>,
    ) -> crate::Result<()> {
        for (k, p) in self.passages.iter().enumerate() {
            let reason = p.reason.map(BoilerplateReason::as_str);
            let passage = [
                Cell::Text(Some(self.id)),
                count(k),
                count(p.start),
                count(p.end),
                Cell::Text(Some(p.status.as_str())),
                Cell::Text(reason),
            ];
            let partners = p.shared_with.iter().map(Some);
            let partners: Vec<Option<&SharedWith>> = if p.shared_with.is_empty() {
                vec![None]
            } else {
                partners.collect()
            };
            for q in partners {
                let [a, b, c, d, e, f] = passage;
                table.row(&[
                    a,
                    b,
                    c,
                    d,
                    e,
                    f,
                    Cell::Text(q.map(|q| q.id)),
                    Cell::Integer(q.and_then(|q| i64::try_from(q.start).ok())),
                    Cell::Integer(q.and_then(|q| i64::try_from(q.end).ok())),
                    rounded(q.map(|q| q.similarity)),
                ])?;
            }
        }
        Ok(())
    }
}

impl OutletEntry {
    /// Its row of the `outlets` table.
    pub fn cells(&self) -> [Cell<'_>; 6] {
        [
            Cell::Text(Some(&self.outlet)),
            count(self.documents),
            rounded(self.originality),
            count(self.bytes.shared),
            count(self.bytes.unique),
            count(self.bytes.boilerplate),
        ]
    }
}

impl ReuseEntry {
    /// Its row of the `reuse` table.
    pub fn cells(&self) -> [Cell<'_>; 6] {
        [
            Cell::Text(Some(&self.outlet)),
            Cell::Text(Some(&self.with)),
            count(self.bytes),
            count(self.passages),
            count(self.earlier),
            count(self.later),
        ]
    }
}

/// The outlet of document `i` (a document without outlet stands for itself, under its id).
fn outlet_of(documents: &[FingerprintedDocument], i: usize) -> String {
    documents[i]
        .outlet
        .clone()
        .unwrap_or_else(|| documents[i].id.clone())
}

impl<'a> ReportDocument<'a> {
    /// The report entry of document `i` of `documents` (all of a run's, with their
    /// near-duplicate `memberships`), analysed as `analysis`.
    pub fn new(
        i: usize,
        documents: &'a [FingerprintedDocument],
        memberships: &[Membership],
        analysis: &ArticleAnalysis,
    ) -> Self {
        let doc = &documents[i];
        let bytes = ByteCounts::of(&analysis.passages);
        let passages = analysis
            .passages
            .iter()
            .map(|p| PassageEntry {
                start: p.span.start,
                end: p.span.end,
                status: p.status,
                shared_with: p
                    .partners
                    .iter()
                    .map(|q| SharedWith {
                        id: documents[q.doc].id.as_str(),
                        start: q.span.start,
                        end: q.span.end,
                        similarity: q.similarity,
                    })
                    .collect(),
                reason: p.reason,
            })
            .collect();
        ReportDocument {
            id: &doc.id,
            outlet: doc.outlet.as_deref(),
            date: doc.date.as_deref(),
            cluster: analysis.story,
            near_duplicate_of: memberships
                .get(i)
                .filter(|m| m.representative != i)
                .map(|m| documents[m.representative].id.as_str()),
            originality: bytes.originality(),
            bytes,
            passages,
        }
    }
}

/// Stories, outlet totals and who reuses whom, gathered document by document: the report's
/// `clusters`, `outlets` and `reuse` without holding its documents.
#[derive(Debug, Default)]
pub struct ReportTotals {
    clusters: Vec<StoryCluster>,
    /// Per story, its earliest dated member so far: (time, document).
    first: Vec<Option<(i64, usize)>>,
    outlets: BTreeMap<String, OutletEntry>,
    reuse: BTreeMap<(String, String), ReuseEntry>,
}

impl ReportTotals {
    /// Count document `i` of `documents`, analysed as `analysis`. Documents are added in
    /// input order.
    pub fn add(
        &mut self,
        i: usize,
        documents: &[FingerprintedDocument],
        analysis: &ArticleAnalysis,
    ) {
        let doc = &documents[i];
        let mine = outlet_of(documents, i);
        for p in &analysis.passages {
            // Per outlet, its earliest dated partner (an undated one only if none is).
            let mut partner_outlets: Vec<(String, Option<i64>)> = p
                .partners
                .iter()
                .map(|q| (outlet_of(documents, q.doc), documents[q.doc].timestamp))
                .collect();
            partner_outlets.sort_by_key(|(o, when)| (o.clone(), when.is_none(), *when));
            partner_outlets.dedup_by(|a, b| a.0 == b.0);
            for (other, when) in partner_outlets {
                let e = self
                    .reuse
                    .entry((mine.clone(), other.clone()))
                    .or_insert_with(|| ReuseEntry {
                        outlet: mine.clone(),
                        with: other,
                        bytes: 0,
                        passages: 0,
                        earlier: 0,
                        later: 0,
                    });
                e.bytes += p.span.len();
                e.passages += 1;
                if let (Some(a), Some(b)) = (doc.timestamp, when) {
                    if a < b {
                        e.earlier += 1;
                    } else if b < a {
                        e.later += 1;
                    }
                }
            }
        }
        let o = self
            .outlets
            .entry(mine.clone())
            .or_insert_with(|| OutletEntry {
                outlet: mine.clone(),
                documents: 0,
                originality: None,
                bytes: ByteCounts::default(),
            });
        o.documents += 1;
        o.bytes.add(ByteCounts::of(&analysis.passages));
        let story = analysis.story;
        while self.clusters.len() <= story {
            self.clusters.push(StoryCluster {
                id: self.clusters.len(),
                documents: Vec::new(),
                outlets: Vec::new(),
                first: None,
            });
            self.first.push(None);
        }
        let c = &mut self.clusters[story];
        c.documents.push(doc.id.clone());
        if !c.outlets.contains(&mine) {
            c.outlets.push(mine);
        }
        if let Some(t) = doc.timestamp {
            let e = self.first[story].get_or_insert((t, i));
            if t < e.0 {
                *e = (t, i);
            }
        }
    }

    /// The stories, outlets (by name) and reuse (by outlet, then partner) of every document
    /// added; `documents` are those they were added from.
    pub fn finish(
        mut self,
        documents: &[FingerprintedDocument],
    ) -> (Vec<StoryCluster>, Vec<OutletEntry>, Vec<ReuseEntry>) {
        for (c, first) in self.clusters.iter_mut().zip(&self.first) {
            c.first = first.map(|(_, i)| documents[i].id.clone());
        }
        for o in self.outlets.values_mut() {
            o.originality = o.bytes.originality();
        }
        (
            self.clusters,
            self.outlets.into_values().collect(),
            self.reuse.into_values().collect(),
        )
    }
}

impl<'a> PassageReport<'a> {
    /// Assemble a report. `documents`, `memberships` and `analyses` are in the same order.
    pub fn new(
        params: ReportParams,
        documents: &'a [FingerprintedDocument],
        memberships: &[Membership],
        analyses: &[ArticleAnalysis],
        skipped: Vec<Skipped>,
    ) -> Self {
        let mut totals = ReportTotals::default();
        let report_docs = analyses
            .iter()
            .enumerate()
            .map(|(i, analysis)| {
                totals.add(i, documents, analysis);
                ReportDocument::new(i, documents, memberships, analysis)
            })
            .collect();
        let (clusters, outlets, reuse) = totals.finish(documents);
        PassageReport {
            schema_version: SCHEMA_VERSION,
            params,
            documents: report_docs,
            clusters,
            outlets,
            reuse,
            skipped,
        }
    }

    /// Each document's position in [`PassageReport::documents`], by id.
    pub fn index_by_id(&self) -> AHashMap<&str, usize> {
        self.documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect()
    }

    /// A readable report: stories with their articles and passages, then outlets.
    /// `texts` are the documents' texts, in report order.
    pub fn write_text(&self, w: &mut impl Write, texts: &[&str]) -> io::Result<()> {
        let multi = self
            .clusters
            .iter()
            .filter(|c| c.documents.len() > 1)
            .count();
        writeln!(
            w,
            "{} documents in {} {} ({} with more than one article), {} skipped",
            self.documents.len(),
            self.clusters.len(),
            if self.clusters.len() == 1 {
                "story"
            } else {
                "stories"
            },
            multi,
            self.skipped.len()
        )?;
        let index = self.index_by_id();
        for c in &self.clusters {
            writeln!(w)?;
            write!(
                w,
                "== Story {}: {} article{}, {} outlet{}",
                c.id,
                c.documents.len(),
                if c.documents.len() == 1 { "" } else { "s" },
                c.outlets.len(),
                if c.outlets.len() == 1 { "" } else { "s" }
            )?;
            if let Some(first) = &c.first {
                let date = index
                    .get(first.as_str())
                    .and_then(|&i| self.documents[i].date)
                    .unwrap_or("");
                write!(w, ", first published by {first} ({date})")?;
            }
            writeln!(w)?;
            for id in &c.documents {
                let Some(&i) = index.get(id.as_str()) else {
                    continue;
                };
                let d = &self.documents[i];
                let text = texts.get(i).copied().unwrap_or("");
                writeln!(w)?;
                write!(w, "-- {}", d.id)?;
                if let Some(o) = &d.outlet {
                    write!(w, " [{o}]")?;
                }
                if let Some(date) = &d.date {
                    write!(w, " {date}")?;
                }
                match d.originality {
                    Some(o) => write!(w, "  originality {o:.2}")?,
                    None => write!(w, "  originality -")?,
                }
                writeln!(
                    w,
                    "  (shared {} B, unique {} B, boilerplate {} B)",
                    d.bytes.shared, d.bytes.unique, d.bytes.boilerplate
                )?;
                if let Some(of) = &d.near_duplicate_of {
                    writeln!(w, "   near-duplicate of {of}")?;
                }
                for p in &d.passages {
                    let excerpt = excerpt(text.get(p.start..p.end).unwrap_or(""), 72);
                    writeln!(
                        w,
                        "   {:<11} {:>5}..{:<5} {}",
                        p.status.as_str(),
                        p.start,
                        p.end,
                        excerpt
                    )?;
                    for s in &p.shared_with {
                        writeln!(
                            w,
                            "               ~ {} {}..{} ({:.2})",
                            s.id, s.start, s.end, s.similarity
                        )?;
                    }
                }
            }
        }
        writeln!(w)?;
        writeln!(w, "== Originality per outlet")?;
        let width = self
            .outlets
            .iter()
            .map(|o| o.outlet.chars().count())
            .max()
            .unwrap_or(6)
            .clamp(6, 40);
        writeln!(
            w,
            "{:<width$}  {:>4}  {:>11}  {:>8}  {:>8}  {:>11}",
            "outlet", "docs", "originality", "shared", "unique", "boilerplate"
        )?;
        for o in &self.outlets {
            let orig = o.originality.map_or("-".to_string(), |x| format!("{x:.2}"));
            writeln!(
                w,
                "{:<width$}  {:>4}  {:>11}  {:>8}  {:>8}  {:>11}",
                o.outlet, o.documents, orig, o.bytes.shared, o.bytes.unique, o.bytes.boilerplate
            )?;
        }
        writeln!(w)?;
        if self.reuse.is_empty() {
            writeln!(w, "== No passage is shared between outlets")?;
            return self.write_skipped(w);
        }
        writeln!(
            w,
            "== Shared bytes: row outlet's passages also carried by column outlet"
        )?;
        let names: Vec<&str> = self.outlets.iter().map(|o| o.outlet.as_str()).collect();
        if names.len() <= 12 {
            let short: Vec<String> = (0..names.len()).map(|i| format!("[{i}]")).collect();
            write!(w, "{:<width$}", "")?;
            for s in &short {
                write!(w, "  {s:>7}")?;
            }
            writeln!(w)?;
            let cell: AHashMap<(&str, &str), usize> = self
                .reuse
                .iter()
                .map(|r| ((r.outlet.as_str(), r.with.as_str()), r.bytes))
                .collect();
            for (i, row) in names.iter().enumerate() {
                write!(w, "{:<width$}", format!("[{i}] {row}"))?;
                for col in &names {
                    match cell.get(&(*row, *col)) {
                        Some(b) => write!(w, "  {b:>7}")?,
                        None => write!(w, "  {:>7}", "-")?,
                    }
                }
                writeln!(w)?;
            }
        } else {
            for r in &self.reuse {
                writeln!(
                    w,
                    "{} -> {}: {} B in {} passages",
                    r.outlet, r.with, r.bytes, r.passages
                )?;
            }
        }
        let dated: Vec<&ReuseEntry> = self
            .reuse
            .iter()
            .filter(|r| r.earlier + r.later > 0)
            .collect();
        writeln!(w)?;
        if dated.is_empty() {
            writeln!(
                w,
                "== Who published first: no shared passage has dates on both sides"
            )?;
        } else {
            writeln!(
                w,
                "== Who published first (shared passages with both dates known)"
            )?;
            for r in dated {
                writeln!(
                    w,
                    "{} before {}: {} of {} passages",
                    r.outlet,
                    r.with,
                    r.earlier,
                    r.earlier + r.later
                )?;
            }
        }
        self.write_skipped(w)
    }

    /// The skipped input, one line each.
    fn write_skipped(&self, w: &mut impl Write) -> io::Result<()> {
        if !self.skipped.is_empty() {
            writeln!(w)?;
            writeln!(w, "== Skipped input")?;
        }
        for s in &self.skipped {
            writeln!(w, "{}: {}", s.source, s.reason)?;
        }
        Ok(())
    }
}

/// `text` on one line, cut to about `max` characters.
fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{cut}…")
}
