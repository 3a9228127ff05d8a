//! Reading a partner's data into cache before a computation that would wait on it line by line.
//!
//! The story stages weigh each article against partners spread over the whole corpus (its
//! candidates' story vectors, its edges' sentence terms), so a partner's data is rarely in
//! cache. The merges that read it wait for each line in turn: where a merge reads next is the
//! outcome of its last comparison, so the processor cannot ask for the next line before the
//! last has come. Main choice: read one value from every cache line first, in a loop whose
//! loads depend on nothing, so the memory system fetches many lines at once; the merge then
//! finds them in cache. These are plain loads (the crate has no `unsafe`, which the
//! processor's prefetch instructions need), kept by [`std::hint::black_box`].

/// Bytes in a cache line on the processors reprint runs on (x86-64 and most ARM cores).
const LINE_BYTES: usize = 64;

/// Read one item of `items` from each cache line they span, so that a computation over them
/// that follows finds them in cache.
#[inline]
pub(crate) fn fetch<T: Copy>(items: &[T]) {
    let step = (LINE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    for item in items.iter().step_by(step) {
        std::hint::black_box(*item);
    }
    // The last line, which the steps may stop short of.
    if let Some(last) = items.last() {
        std::hint::black_box(*last);
    }
}
