//! Fingerprinting: text → tokens → shingles → MinHash signature and exact shingle set, in one pass.
//!
//! This is the hot path. A [`Fingerprinter`] owns every buffer it needs and is reused from one
//! document to the next (one per worker thread), so the only allocations per document are its
//! results; nothing is allocated per token or per shingle.

use crate::error::Result;
use crate::sketch::shingle::for_each_shingle;
use crate::sketch::shingle_set::ShingleSet;
use crate::sketch::signature::{Signature, SignatureBuilder, SignatureParams};
use crate::sketch::tokenize::Tokenizer;
use rayon::prelude::*;

/// What reprint keeps of a document to find its near-duplicates.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    /// The MinHash signature, for LSH.
    pub signature: Signature,
    /// The exact shingle set, to verify candidates.
    pub shingles: ShingleSet,
    /// Number of word tokens in the document.
    pub tokens: usize,
}

impl Fingerprint {
    /// Let go of the signature's values and the shingle set once near-duplicates are found;
    /// the token count stays. (They are most of a fingerprint's memory: a few kilobytes for a
    /// news article.)
    pub fn release(&mut self) {
        self.signature.release();
        self.shingles = ShingleSet::default();
    }
}

/// Turns texts into fingerprints; reuse one per thread.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    params: SignatureParams,
    tokenizer: Tokenizer,
    token_hashes: Vec<u64>,
    shingle_values: Vec<u32>,
    builder: SignatureBuilder,
}

impl Fingerprinter {
    /// A fingerprinter for `params`, which are validated here.
    pub fn new(params: SignatureParams) -> Result<Self> {
        params.validate()?;
        Ok(Fingerprinter {
            params,
            tokenizer: Tokenizer::new(params.token_seed()),
            token_hashes: Vec::new(),
            shingle_values: Vec::new(),
            builder: SignatureBuilder::new(params),
        })
    }

    /// The parameters of every signature this makes.
    pub fn params(&self) -> &SignatureParams {
        &self.params
    }

    fn hash_tokens(&mut self, text: &str) {
        self.token_hashes.clear();
        let hashes = &mut self.token_hashes;
        self.tokenizer.for_each_token(text, |t| hashes.push(t.hash));
    }

    /// The signature of `text` alone (no shingle set); `None` for a text without words.
    pub fn signature(&mut self, text: &str) -> Option<Signature> {
        self.hash_tokens(text);
        self.builder.reset();
        let builder = &mut self.builder;
        for_each_shingle(
            &self.token_hashes,
            self.params.shingle_size,
            self.params.shingle_seed(),
            |_, h| builder.push(h),
        );
        builder.finish()
    }

    /// The full fingerprint of `text`; `None` for a text without words.
    pub fn fingerprint(&mut self, text: &str) -> Option<Fingerprint> {
        self.hash_tokens(text);
        self.builder.reset();
        self.shingle_values.clear();
        let (builder, values) = (&mut self.builder, &mut self.shingle_values);
        for_each_shingle(
            &self.token_hashes,
            self.params.shingle_size,
            self.params.shingle_seed(),
            |_, h| absorb(builder, values, h),
        );
        self.finish(self.token_hashes.len())
    }

    /// The fingerprint of a document whose shingle hashes (from
    /// [`Fingerprinter::shingles_with_tokens`]) are already at hand.
    pub fn fingerprint_shingles(&mut self, shingles: &[u64], tokens: usize) -> Option<Fingerprint> {
        self.builder.reset();
        self.shingle_values.clear();
        for &h in shingles {
            absorb(&mut self.builder, &mut self.shingle_values, h);
        }
        self.finish(tokens)
    }

    fn finish(&mut self, tokens: usize) -> Option<Fingerprint> {
        let signature = self.builder.finish()?;
        Some(Fingerprint {
            signature,
            shingles: ShingleSet::from_values(&mut self.shingle_values),
            tokens,
        })
    }

    /// Shingle hashes of `text` with the index of each shingle's first token, and the tokens.
    pub fn shingles_with_tokens(
        &mut self,
        text: &str,
    ) -> (Vec<crate::sketch::tokenize::Token>, Vec<u64>) {
        let tokens = self.tokenizer.tokens(text);
        let hashes: Vec<u64> = tokens.iter().map(|t| t.hash).collect();
        let mut shingles = Vec::with_capacity(hashes.len());
        for_each_shingle(
            &hashes,
            self.params.shingle_size,
            self.params.shingle_seed(),
            |_, h| shingles.push(h),
        );
        (tokens, shingles)
    }
}

/// Fingerprint many texts in parallel (one [`Fingerprinter`] per worker thread), in order;
/// `None` for a text without words. The result does not depend on the number of threads.
pub fn fingerprint_all<T: AsRef<str> + Sync>(
    texts: &[T],
    params: SignatureParams,
) -> Result<Vec<Option<Fingerprint>>> {
    let first = Fingerprinter::new(params)?;
    Ok(texts
        .par_iter()
        .map_init(|| first.clone(), |f, text| f.fingerprint(text.as_ref()))
        .collect())
}

/// Feed one shingle hash to the signature and the exact set.
#[inline]
fn absorb(builder: &mut SignatureBuilder, values: &mut Vec<u32>, hash: u64) {
    builder.push(hash);
    values.push(hash as u32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_copies_are_close_and_strangers_far() {
        let mut f = Fingerprinter::new(SignatureParams::default()).unwrap();
        let a = "Amazon is reportedly in talks to invest up to $50 billion in OpenAI, the company \
                 behind ChatGPT. The discussions come just a day after Amazon confirmed it would \
                 lay off approximately 16,000 corporate employees.";
        let b = a.replace("approximately", "about");
        let c = "Mine collapse in eastern DR Congo kills more than 200, reports say, as rescuers \
                 search the site for survivors through the night.";
        let (fa, fb, fc) = (
            f.fingerprint(a).unwrap(),
            f.fingerprint(&b).unwrap(),
            f.fingerprint(c).unwrap(),
        );
        let exact = fa.shingles.jaccard(&fb.shingles);
        assert!(exact > 0.6 && exact < 1.0, "{exact}");
        assert_eq!(fa.shingles.jaccard(&fc.shingles), 0.0);
        assert!(fa.signature.jaccard(&fc.signature).unwrap() < 0.1);
        assert!(f.fingerprint(" ... !!! ").is_none());
        assert_eq!(
            f.signature(a).unwrap(),
            fa.signature,
            "signature() and fingerprint() agree"
        );
        let (tokens, shingles) = f.shingles_with_tokens(a);
        let again = f.fingerprint_shingles(&shingles, tokens.len()).unwrap();
        assert_eq!(again.signature, fa.signature);
        assert_eq!(again.shingles, fa.shingles);
        assert_eq!(again.tokens, fa.tokens);
    }
}
