//! How records are encoded in the store's values: shingle sets, band keys and story vectors.
//!
//! Main choice: fixed-width little-endian integers, no self-describing format: every value is
//! read by code of the same format version (see `schema`), and a plain layout is the cheapest to
//! read on the query path.

use super::store::StoreResult;
use super::IndexedDocument;
use crate::sketch::shingle_set::ShingleSet;
use crate::story::cluster::StoryVector;
use redb::ReadableTable;

/// Band `b`'s key, tagged with the band so that one table holds every band.
pub(super) fn band_entry(band: usize, key: u64) -> u64 {
    (key & !(0xFFFF << 48)) | ((band as u64) << 48)
}

pub(super) fn encode_set(set: &ShingleSet) -> Vec<u8> {
    set.values().iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub(super) fn decode_set(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

pub(super) fn read_record<D: ReadableTable<u64, &'static [u8]>>(
    docs: &D,
    number: u64,
) -> StoreResult<IndexedDocument> {
    let record = docs
        .get(number)?
        .ok_or_else(|| format!("document {number} is missing from the index"))?;
    Ok(serde_json::from_slice(record.value())?)
}

pub(super) fn encode_keys(keys: &[u64]) -> Vec<u8> {
    keys.iter().flat_map(|k| k.to_le_bytes()).collect()
}

pub(super) fn decode_keys(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// A stored story vector: the document's story, its date, its terms.
pub(super) struct StoredVector {
    pub(super) story: u64,
    pub(super) timestamp: Option<i64>,
    pub(super) vector: StoryVector,
}

pub(super) const NO_DATE: i64 = i64::MIN;

pub(super) fn encode_vector(story: u64, timestamp: Option<i64>, vector: &StoryVector) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + vector.terms.len() * 12);
    out.extend_from_slice(&story.to_le_bytes());
    out.extend_from_slice(&timestamp.unwrap_or(NO_DATE).to_le_bytes());
    for &(t, w) in &vector.terms {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

pub(super) fn decode_vector(bytes: &[u8]) -> StoreResult<StoredVector> {
    let corrupt = || "corrupt story vector";
    let word = |at: usize| -> StoreResult<[u8; 8]> {
        Ok(bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(corrupt)?)
    };
    let story = u64::from_le_bytes(word(0)?);
    let timestamp = Some(i64::from_le_bytes(word(8)?)).filter(|&t| t != NO_DATE);
    let rest = bytes.get(16..).ok_or_else(corrupt)?;
    if rest.len() % 12 != 0 {
        return Err(corrupt().into());
    }
    let terms = rest
        .chunks_exact(12)
        .map(|c| {
            let (t, w) = c.split_at(8);
            let t: [u8; 8] = t.try_into().unwrap_or_default();
            let w: [u8; 4] = w.try_into().unwrap_or_default();
            (u64::from_le_bytes(t), f32::from_le_bytes(w))
        })
        .collect();
    Ok(StoredVector {
        story,
        timestamp,
        vector: StoryVector { terms },
    })
}

/// The heaviest [`POSTED_TERMS`] terms of `vector` with their weights, heaviest first.
pub(super) fn heaviest_terms(vector: &StoryVector) -> Vec<(u64, f32)> {
    let heavier = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let mut terms = vector.terms.clone();
    // The order is total (ties go to the lower term), so selecting first changes nothing.
    if terms.len() > POSTED_TERMS {
        terms.select_nth_unstable_by(POSTED_TERMS - 1, heavier);
        terms.truncate(POSTED_TERMS);
    }
    terms.sort_unstable_by(heavier);
    terms
}

/// The [`heaviest_terms`] of `vector` with their `postings` values: the document's number and
/// the term's weight in 24 bits.
pub(super) fn postings_of(number: u64, vector: &StoryVector) -> Vec<(u64, u64)> {
    heaviest_terms(vector)
        .into_iter()
        .map(|(t, w)| {
            let q = (f64::from(w.clamp(0.0, 1.0)) * WEIGHT_SCALE).round() as u64;
            (t, (number << 24) | q)
        })
        .collect()
}

pub(super) const WEIGHT_SCALE: f64 = ((1u64 << 24) - 1) as f64;

/// Heaviest terms of a representative entered in `postings`: enough for two rewrites of one
/// story to share one, few enough that adding stays cheap.
pub(super) const POSTED_TERMS: usize = 32;

/// Terms held by more representatives than this are not used to find story candidates: the
/// batch story stage's bar ([`crate::story::cluster::MAX_STORY_POSTINGS`]).
pub(super) const MAX_POSTINGS: u64 = crate::story::cluster::MAX_STORY_POSTINGS as u64;
