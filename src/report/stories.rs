//! The story report of `reprint report`: stories, every document's passages with their labels
//! and partners, originality per document and per outlet, and who reuses whom.

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

/// Where a shared passage is found in another document.
#[derive(Debug, Clone, Serialize)]
pub struct SharedWith {
    /// The other document's id.
    pub id: String,
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
pub struct PassageEntry {
    /// First byte (into the document's text as read).
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// `shared`, `unique` or `boilerplate`.
    pub status: PassageStatus,
    /// For a shared passage: where else it is found, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<SharedWith>,
    /// For boilerplate: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<BoilerplateReason>,
}

/// One document of a story report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportDocument {
    /// Document id.
    pub id: String,
    /// Outlet, when known.
    pub outlet: Option<String>,
    /// Date as given, when known.
    pub date: Option<String>,
    /// Story cluster.
    pub cluster: usize,
    /// The document it is a near-duplicate of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_duplicate_of: Option<String>,
    /// Unique bytes over non-boilerplate bytes (`null` when all of it is boilerplate).
    #[serde(serialize_with = "round4_opt")]
    pub originality: Option<f64>,
    /// Bytes per label.
    pub bytes: ByteCounts,
    /// Passages in text order.
    pub passages: Vec<PassageEntry>,
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

/// The report of `reprint report --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct PassageReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Parameters of the run.
    pub params: ReportParams,
    /// Every analysed document, in input order.
    pub documents: Vec<ReportDocument>,
    /// Every story cluster (singletons too), by number.
    pub clusters: Vec<StoryCluster>,
    /// Originality per outlet, by outlet name.
    pub outlets: Vec<OutletEntry>,
    /// Outlet × outlet reuse, by outlet then partner; pairs sharing nothing are left out.
    pub reuse: Vec<ReuseEntry>,
    /// Every input record that was set aside, in input order.
    pub skipped: Vec<Skipped>,
}

impl PassageReport {
    /// Assemble a report. `documents`, `memberships` and `analyses` are in the same order.
    pub fn new(
        params: ReportParams,
        documents: &[FingerprintedDocument],
        memberships: &[Membership],
        analyses: &[ArticleAnalysis],
        skipped: Vec<Skipped>,
    ) -> Self {
        let outlet_of = |i: usize| -> String {
            documents[i]
                .outlet
                .clone()
                .unwrap_or_else(|| documents[i].id.clone())
        };
        let mut report_docs = Vec::with_capacity(documents.len());
        let mut reuse: BTreeMap<(String, String), ReuseEntry> = BTreeMap::new();
        let mut outlets: BTreeMap<String, OutletEntry> = BTreeMap::new();
        for (i, (doc, analysis)) in documents.iter().zip(analyses).enumerate() {
            let bytes = ByteCounts::of(&analysis.passages);
            let mine = outlet_of(i);
            let passages = analysis
                .passages
                .iter()
                .map(|p| {
                    let reason = p.reason;
                    let mut partner_outlets: Vec<(String, Option<i64>)> = Vec::new();
                    let shared_with = p
                        .partners
                        .iter()
                        .map(|q| {
                            partner_outlets.push((outlet_of(q.doc), documents[q.doc].timestamp));
                            SharedWith {
                                id: documents[q.doc].id.clone(),
                                start: q.span.start,
                                end: q.span.end,
                                similarity: q.similarity,
                            }
                        })
                        .collect();
                    // Per outlet, its earliest dated partner (an undated one only if none is).
                    partner_outlets.sort_by_key(|(o, when)| (o.clone(), when.is_none(), *when));
                    partner_outlets.dedup_by(|a, b| a.0 == b.0);
                    for (other, when) in partner_outlets {
                        let e = reuse
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
                    PassageEntry {
                        start: p.span.start,
                        end: p.span.end,
                        status: p.status,
                        shared_with,
                        reason,
                    }
                })
                .collect();
            let o = outlets.entry(mine.clone()).or_insert_with(|| OutletEntry {
                outlet: mine,
                documents: 0,
                originality: None,
                bytes: ByteCounts::default(),
            });
            o.documents += 1;
            o.bytes.add(bytes);
            let m = memberships.get(i);
            report_docs.push(ReportDocument {
                id: doc.id.clone(),
                outlet: doc.outlet.clone(),
                date: doc.date.clone(),
                cluster: analysis.story,
                near_duplicate_of: m
                    .filter(|m| m.representative != i)
                    .map(|m| documents[m.representative].id.clone()),
                originality: bytes.originality(),
                bytes,
                passages,
            });
        }
        for o in outlets.values_mut() {
            o.originality = o.bytes.originality();
        }
        let count = analyses.iter().map(|a| a.story + 1).max().unwrap_or(0);
        let mut clusters: Vec<StoryCluster> = (0..count)
            .map(|id| StoryCluster {
                id,
                documents: Vec::new(),
                outlets: Vec::new(),
                first: None,
            })
            .collect();
        let mut first: AHashMap<usize, (i64, usize)> = AHashMap::new();
        for (i, a) in analyses.iter().enumerate() {
            let c = &mut clusters[a.story];
            c.documents.push(documents[i].id.clone());
            let o = outlet_of(i);
            if !c.outlets.contains(&o) {
                c.outlets.push(o);
            }
            if let Some(t) = documents[i].timestamp {
                let e = first.entry(a.story).or_insert((t, i));
                if t < e.0 {
                    *e = (t, i);
                }
            }
        }
        for (story, (_, i)) in first {
            clusters[story].first = Some(documents[i].id.clone());
        }
        PassageReport {
            schema_version: SCHEMA_VERSION,
            params,
            documents: report_docs,
            clusters,
            outlets: outlets.into_values().collect(),
            reuse: reuse.into_values().collect(),
            skipped,
        }
    }

    /// Each document's position in [`PassageReport::documents`], by id.
    pub fn index_by_id(&self) -> AHashMap<&str, usize> {
        self.documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
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
                    .and_then(|&i| self.documents[i].date.as_deref())
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
