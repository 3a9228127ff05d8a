"""Run one peer library's text-to-duplicates pipeline on a reprint synth corpus.

    python peers.py TOOL CORPUS OUT [--bands B]

TOOL is datasketch, rensa or gaoya. CORPUS is JSONL with `id` and `text` fields
(`reprint synth` writes it). OUT receives one duplicate pair per line,
`id_a<TAB>id_b`, with id_a before id_b in corpus order, each pair once.

Everything this process does is timed by run.sh from the outside (under
/usr/bin/time -v): interpreter start and imports, reading the JSONL, the
tokenizing users of each library must write themselves, hashing, building and
querying the LSH index, and writing the pairs. Nothing here evaluates quality;
evaluate.py does that afterwards from OUT.

Parameters shared by every peer: lowercase word 5-gram shingles, 128 hash
values, Jaccard threshold 0.8. How the 128 values are cut into LSH bands is
each library's own choice for that threshold unless --bands forces B bands of
128/B rows on all of them (see README.md).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Iterable, Iterator

NUM_PERM = 128
THRESHOLD = 0.8
SHINGLE = 5
SEED = 1

# Word characters, as `re.findall(r"\w+")` sees them (Unicode-aware in Python 3).
WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------
# Shared input, tokenizing and output
# --------------------------------------------------------------------------


def read_corpus(path: str) -> Iterator[tuple[str, str]]:
    """Yield (id, text) for every line of a JSONL corpus, streaming."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield record["id"], record["text"]


def texts_keeping_ids(path: str, ids: list[str]) -> Iterator[str]:
    """Yield the texts of a corpus, streaming, appending each id to `ids`."""
    for doc_id, text in read_corpus(path):
        ids.append(doc_id)
        yield text


def shingles(text: str) -> list[str]:
    """Lowercase word 5-grams, each joined by single spaces.

    This is the tokenizing a datasketch or rensa user writes in Python: neither
    library turns raw text into shingles. A text shorter than five words is one
    shingle of all its words (an empty text has none).
    """
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    # zip over five shifted views is the quickest plain-Python way to make
    # 5-grams (about 25% faster than slicing words[i:i + 5] in a loop).
    return list(map(" ".join, zip(*(words[k:] for k in range(SHINGLE)))))


def encoded_shingles(text: str) -> list[bytes]:
    """The shingles as UTF-8 bytes, which datasketch's default hash requires."""
    return [s.encode("utf-8") for s in shingles(text)]


def pairs_from_candidates(candidates: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    """Turn per-document candidate lists into unordered pairs of indices.

    `candidates` holds, for document i (in corpus order), the indices the index
    returned for it: itself included, and every pair seen from both ends.
    """
    pairs: set[tuple[int, int]] = set()
    for i, found in enumerate(candidates):
        for j in found:
            if j != i:
                pairs.add((i, j) if i < j else (j, i))
    return pairs


def write_pairs(path: str, ids: list[str], pairs: set[tuple[int, int]]) -> None:
    """Write the pairs as `id_a<TAB>id_b` lines, in corpus order."""
    with open(path, "w", encoding="utf-8") as out:
        for a, b in sorted(pairs):
            out.write(f"{ids[a]}\t{ids[b]}\n")


def announce_shape(bands: int, rows_per_band: int) -> None:
    """Print the LSH shape on stderr ("lsh-shape 16x8") for the table.

    Printed as soon as the index exists, so that it is known even for a run
    that is stopped before it ends.
    """
    print(f"lsh-shape {bands}x{rows_per_band}", file=sys.stderr, flush=True)


def rows(bands: int) -> int:
    """Rows per band when 128 values are cut into `bands` bands."""
    if bands < 1 or NUM_PERM % bands:
        sys.exit(f"--bands must divide {NUM_PERM}, got {bands}")
    return NUM_PERM // bands


# --------------------------------------------------------------------------
# datasketch
# --------------------------------------------------------------------------


def run_datasketch(corpus: str, out: str, bands: int | None) -> None:
    """datasketch: MinHash.generator over UTF-8 shingles, then MinHashLSH.

    `MinHash.bulk` / `MinHash.generator` is the documented fast way to build many
    sketches ("avoids unnecessary overhead when initializing many minhashes by
    reusing the initialized state"); each sketch is filled with `update_batch`.
    The generator streams, so the token lists of 100,000 documents are never
    held at once. The hash is datasketch's default (SHA-1, 32 bits, "affine32"
    permutations since 2.0.0). Insertion skips the duplicate-key check, as the
    docs suggest when keys are known to be unique; every document is then
    queried and the raw LSH candidates are the reported pairs (datasketch does
    not verify them; its docs leave that to the user).
    """
    from datasketch import MinHash, MinHashLSH

    if bands is None:
        # datasketch picks bands x rows for the threshold by minimising equal
        # weights of false-positive and false-negative probability mass.
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    else:
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(bands, rows(bands)))
    announce_shape(lsh.b, lsh.r)

    ids: list[str] = []
    minhashes = []
    for i, minhash in enumerate(
        MinHash.generator(
            (encoded_shingles(t) for t in texts_keeping_ids(corpus, ids)), num_perm=NUM_PERM, seed=SEED
        )
    ):
        lsh.insert(i, minhash, check_duplication=False)
        minhashes.append(minhash)

    write_pairs(out, ids, pairs_from_candidates(lsh.query(m) for m in minhashes))


# --------------------------------------------------------------------------
# rensa
# --------------------------------------------------------------------------

# Documents per call into rensa's batch API: large enough that the per-call
# cost vanishes (1,000 and 10,000 run equally fast), small enough that the
# Python token lists of one batch stay near 100 MB.
RENSA_BATCH = 2_000

# RMinHashLSH needs an explicit band count. rensa's own choice for a threshold
# in [0.8, 0.9) is 8 bands (RMinHashDeduplicator's default, and the setting of
# its published full benchmark at threshold 0.8).
RENSA_DEFAULT_BANDS = 8


def run_rensa(corpus: str, out: str, bands: int | None) -> None:
    """rensa: batch R-MinHash over Python shingles, then RMinHashLSH.

    `RMinHash.from_token_sets` is the documented batch API that builds sketches
    from many token lists in one call into Rust (full-set R-MinHash, which can
    spread a batch over threads). The sketches go into RMinHashLSH with
    `insert_many` and come back out with `query_all`; the raw LSH candidates are
    the reported pairs. rensa's headline "rho" pipeline
    (`digest_matrix_from_token_sets_rho` + `query_duplicate_flags_matrix_one_shot`)
    is faster still but returns one duplicate flag per document, not pairs, so
    its recall of planted pairs cannot be measured; it also samples token
    positions rather than sketching the full set.

    Tokens are passed as `str`: rensa reads compact ASCII strings directly
    ("CPython fast path"), so encoding them to bytes first would only add work.
    """
    from rensa import RMinHash, RMinHashLSH

    bands = RENSA_DEFAULT_BANDS if bands is None else bands
    rows_per_band = rows(bands)
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=bands)
    announce_shape(bands, rows_per_band)

    ids: list[str] = []
    minhashes: list = []
    batch: list[list[str]] = []

    def flush() -> None:
        sketches = RMinHash.from_token_sets(batch, num_perm=NUM_PERM, seed=SEED)
        lsh.insert_many(sketches, start_key=len(minhashes))
        minhashes.extend(sketches)
        batch.clear()

    for doc_id, text in read_corpus(corpus):
        ids.append(doc_id)
        batch.append(shingles(text))
        if len(batch) == RENSA_BATCH:
            flush()
    if batch:
        flush()

    write_pairs(out, ids, pairs_from_candidates(lsh.query_all(minhashes)))


# --------------------------------------------------------------------------
# gaoya
# --------------------------------------------------------------------------


def run_gaoya(corpus: str, out: str, bands: int | None) -> None:
    """gaoya: MinHashStringIndex, tokenizing and shingling in Rust.

    gaoya takes raw strings: analyzer="word" splits on ASCII whitespace and
    ASCII punctuation, lowercase=True lowercases, ngram_range=(5, 5) makes word
    5-grams, all on the Rust side, so no Python tokenizing is needed. The
    documented bulk calls `par_bulk_insert_docs` and `par_bulk_query` run on
    all cores. `par_bulk_query` takes documents, not signatures, so every
    document is tokenized and hashed a second time to query it; that is the
    API. gaoya checks each candidate's estimated Jaccard against the threshold
    before returning it.

    Without --bands, gaoya chooses bands x rows from the threshold and a
    requested number of hashes (128), which gives 21 x 6 = 126 values.
    """
    import gaoya

    if bands is None:
        index = gaoya.minhash.MinHashStringIndex(
            hash_size=32, jaccard_threshold=THRESHOLD, num_bands=None, band_size=None,
            num_hashes=NUM_PERM, analyzer="word", lowercase=True, ngram_range=(SHINGLE, SHINGLE),
        )
    else:
        index = gaoya.minhash.MinHashStringIndex(
            hash_size=32, jaccard_threshold=THRESHOLD, num_bands=bands, band_size=rows(bands),
            analyzer="word", lowercase=True, ngram_range=(SHINGLE, SHINGLE),
        )
    # The index prints as "MinHashIndex<u32> { ..., bands = B, rows_per_band = R, ... }".
    shape = re.search(r"bands = (\d+), rows_per_band = (\d+)", str(index))
    announce_shape(int(shape.group(1)), int(shape.group(2)))

    ids: list[str] = []
    texts: list[str] = []
    for doc_id, text in read_corpus(corpus):
        ids.append(doc_id)
        texts.append(text)

    index.par_bulk_insert_docs(list(range(len(texts))), texts)
    write_pairs(out, ids, pairs_from_candidates(index.par_bulk_query(texts)))


# --------------------------------------------------------------------------

TOOLS = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tool", choices=sorted(TOOLS))
    parser.add_argument("corpus", help="JSONL corpus with id and text fields")
    parser.add_argument("out", help="where to write the duplicate pairs (TSV)")
    parser.add_argument("--bands", type=int, default=None,
                        help="force B LSH bands of 128/B rows (default: the library's own choice)")
    args = parser.parse_args()
    TOOLS[args.tool](args.corpus, args.out, args.bands)


if __name__ == "__main__":
    main()
