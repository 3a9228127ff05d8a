"""Score the runs that run.sh recorded and print one Markdown table.

    python evaluate.py RUNS_DIR [SIZE ...]

Without SIZEs it reports every size found in RUNS_DIR. run.sh leaves, for every
corpus size N, tool and repetition K (RUNS_DIR is work/runs, or
work/runs-bandsB with --bands B):

    work/corpus-N.jsonl                  the corpus (`reprint synth --seed 1`)
    RUNS_DIR/N/TOOL/rep-K.out            the tool's output
    RUNS_DIR/N/TOOL/rep-K.time           `/usr/bin/time -v` report
    RUNS_DIR/N/TOOL/rep-K.err            the tool's stderr (holds "lsh-shape BxR")
    RUNS_DIR/N/TOOL/rep-K.status         "ok", "timeout SECONDS" or "failed RC"

A peer's output is one duplicate pair per line, `id_a<TAB>id_b`; reprint's is
`reprint cluster --format jsonl`, one {"id", "cluster"} line per document, and
two documents are reported as duplicates when they share a cluster.

Truth: the planted pairs (copy, copy_of) of the corpus whose exact Jaccard over
lowercase word 5-gram shingle sets (peers.shingles) is at least 0.85, a margin
of 0.05 above the 0.8 threshold, as the reprint README defines recall. Recall is
the share of those pairs a tool reports. Precision is the share of reported
pairs whose exact Jaccard is at least 0.8 (computed on a uniform sample of
200,000 pairs when a run reports more than 1,000,000; the cell then says so).
Nothing here is timed.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from peers import read_corpus, shingles

THRESHOLD = 0.8
TRUTH_MARGIN = 0.05
PRECISION_CAP = 1_000_000
PRECISION_SAMPLE = 200_000
TOOL_ORDER = ["reprint", "gaoya", "rensa", "datasketch"]


# --------------------------------------------------------------------------
# Corpus and exact similarity
# --------------------------------------------------------------------------


class Corpus:
    """Ids, text size and planted pairs of one corpus, plus exact Jaccard."""

    def __init__(self, path: Path):
        self.path = path
        self.ids: list[str] = []
        self.text_bytes = 0
        copy_of: list[tuple[int, str]] = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("copy_of") is not None:
                    copy_of.append((len(self.ids), record["copy_of"]))
                self.ids.append(record["id"])
                self.text_bytes += len(record["text"].encode("utf-8"))
        self.index = {doc_id: i for i, doc_id in enumerate(self.ids)}
        # Planted pairs as (smaller index, larger index).
        self.planted = sorted(
            tuple(sorted((i, self.index[original]))) for i, original in copy_of
        )
        self._shingles: dict[int, np.ndarray] = {}
        self._jaccard: dict[tuple[int, int], float] = {}

    def load_shingles(self, needed: set[int]) -> None:
        """Hash the shingle sets of the `needed` documents, in one pass.

        Each set is kept as a sorted array of 64-bit hashes of its shingles
        (collisions are negligible at a few thousand shingles per document),
        which keeps 100,000 documents within a few hundred MB.
        """
        needed = needed - self._shingles.keys()
        if not needed:
            return
        for i, (_, text) in enumerate(read_corpus(str(self.path))):
            if i in needed:
                hashes = np.fromiter((hash(s) for s in shingles(text)), dtype=np.int64)
                self._shingles[i] = np.unique(hashes)

    def jaccard(self, a: int, b: int) -> float:
        """Exact Jaccard of the shingle sets of documents a < b (cached)."""
        key = (a, b)
        if key not in self._jaccard:
            x, y = self._shingles[a], self._shingles[b]
            common = len(np.intersect1d(x, y, assume_unique=True))
            union = len(x) + len(y) - common
            self._jaccard[key] = common / union if union else 1.0
        return self._jaccard[key]


# --------------------------------------------------------------------------
# One run's output
# --------------------------------------------------------------------------


class Found:
    """The duplicates one run reported: explicit pairs, or cluster labels."""

    def __init__(self, corpus: Corpus, tool: str, path: Path):
        self.pairs: set[tuple[int, int]] | None = None
        self.cluster: list[int] | None = None
        if tool == "reprint":
            self.cluster = [0] * len(corpus.ids)
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    self.cluster[corpus.index[record["id"]]] = record["cluster"]
            members: dict[int, list[int]] = defaultdict(list)
            for i, c in enumerate(self.cluster):
                members[c].append(i)
            self.groups = [m for m in members.values() if len(m) > 1]
            self.count = sum(len(m) * (len(m) - 1) // 2 for m in self.groups)
        else:
            self.pairs = set()
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    a, b = line.rstrip("\n").split("\t")
                    i, j = corpus.index[a], corpus.index[b]
                    self.pairs.add((i, j) if i < j else (j, i))
            self.count = len(self.pairs)

    def has(self, a: int, b: int) -> bool:
        if self.cluster is not None:
            return self.cluster[a] == self.cluster[b]
        return (a, b) in self.pairs

    def precision_pairs(self) -> tuple[list[tuple[int, int]], bool]:
        """The reported pairs to check for precision, and whether they are a sample."""
        if self.pairs is not None:
            every = sorted(self.pairs)
        else:
            every = [
                (m[x], m[y]) for m in self.groups for x in range(len(m)) for y in range(x + 1, len(m))
            ]
        if len(every) > PRECISION_CAP:
            return random.Random(0).sample(every, PRECISION_SAMPLE), True
        return every, False


# --------------------------------------------------------------------------
# /usr/bin/time -v
# --------------------------------------------------------------------------


def parse_time(path: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB from a `/usr/bin/time -v` report."""
    text = path.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return seconds, rss_kb * 1024 / 1e6


# --------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------


def too_slow(status: str) -> str:
    """A failed run's cell: "> 15 min" for "timeout 900", else the status."""
    if status.startswith("timeout "):
        seconds = int(status.split()[1])
        return f"> {seconds // 60} min" if seconds % 60 == 0 else f"> {seconds} s"
    return status


def fmt(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}"


def spread(values: list[float], digits: int) -> str:
    """Median, with the range when there is more than one value."""
    median = fmt(statistics.median(values), digits)
    low, high = fmt(min(values), digits), fmt(max(values), digits)
    return f"{median} ({low}–{high})" if low != high else median


def evaluate_size(size_dir: Path) -> tuple[list[str], str]:
    """Table rows for one corpus size, and a note on its truth."""
    size = int(size_dir.name)
    corpus = Corpus(size_dir.parent.parent / f"corpus-{size}.jsonl")
    mb = corpus.text_bytes / 1e6

    tools = sorted((d.name for d in size_dir.iterdir() if d.is_dir()),
                   key=lambda t: (TOOL_ORDER.index(t) if t in TOOL_ORDER else 99, t))
    runs: dict[str, list[dict]] = {}
    for tool in tools:
        runs[tool] = []
        for status_file in sorted((size_dir / tool).glob("rep-*.status")):
            stem = status_file.with_suffix("")
            status = status_file.read_text().strip()
            run = {"status": status}
            if status == "ok":
                run["wall"], run["rss"] = parse_time(stem.with_suffix(".time"))
                run["found"] = Found(corpus, tool, stem.with_suffix(".out"))
            err = stem.with_suffix(".err")
            shape = re.search(r"lsh-shape (\S+)", err.read_text()) if err.exists() else None
            run["shape"] = shape.group(1) if shape else "?"
            runs[tool].append(run)

    # Every document whose shingles are needed: planted pairs and reported pairs.
    needed = {i for pair in corpus.planted for i in pair}
    checks: dict[int, tuple[list[tuple[int, int]], bool]] = {}
    for tool_runs in runs.values():
        for run in tool_runs:
            if "found" in run:
                checks[id(run)] = run["found"].precision_pairs()
                needed.update(i for pair in checks[id(run)][0] for i in pair)
    corpus.load_shingles(needed)

    truth = [p for p in corpus.planted if corpus.jaccard(*p) >= THRESHOLD + TRUTH_MARGIN]

    rows = []
    for tool in tools:
        done = [r for r in runs[tool] if r["status"] == "ok"]
        failed = [r["status"] for r in runs[tool] if r["status"] != "ok"]
        shape = runs[tool][0]["shape"] if runs[tool] else "?"
        if not done:
            wall = too_slow(failed[0]) if failed else "not run"
            rows.append(f"| {tool} | {size:,} | {fmt(mb, 1)} | {shape} | {wall} | – | – | – | – | – | 0 |")
            continue
        walls = [r["wall"] for r in done]
        recalls, precisions, counts, sampled = [], [], [], False
        for r in done:
            found = r["found"]
            recalls.append(sum(found.has(a, b) for a, b in truth) / len(truth) if truth else 1.0)
            pairs, was_sampled = checks[id(r)]
            sampled |= was_sampled
            good = sum(corpus.jaccard(a, b) >= THRESHOLD for a, b in pairs)
            precisions.append(good / len(pairs) if pairs else 1.0)
            counts.append(found.count)
        note = (f" ({len(failed)} of {len(runs[tool])} runs: {', '.join(sorted(set(map(too_slow, failed))))})"
                if failed else "")
        rows.append(
            "| {tool} | {docs} | {mb} | {shape} | {wall}{note} | {mbs} | {rss} | {recall} | {prec} | {pairs} | {n} |".format(
                tool=tool, docs=f"{size:,}", mb=fmt(mb, 1), shape=shape,
                wall=spread(walls, 2), note=note,
                mbs=fmt(mb / statistics.median(walls), 1),
                rss=spread([r["rss"] for r in done], 0),
                recall=spread(recalls, 4),
                prec=("≈" if sampled else "") + spread(precisions, 4),
                pairs=spread([float(c) for c in counts], 0),
                n=len(done),
            )
        )
    note = (f"{size:,} documents, {fmt(mb, 1)} MB of text: {len(corpus.planted):,} planted pairs, "
            f"{len(truth):,} of them with exact Jaccard ≥ {THRESHOLD + TRUTH_MARGIN:.2f} (the truth for recall)")
    return rows, note


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[1])
    runs_dir = Path(sys.argv[1])
    wanted = set(sys.argv[2:])  # sizes to report; all that were run when none are given
    sizes = sorted((d for d in runs_dir.iterdir()
                    if d.is_dir() and d.name.isdigit() and (not wanted or d.name in wanted)),
                   key=lambda d: int(d.name))
    print("| tool | documents | MB of text | LSH bands×rows | wall s, median (range) | MB/s | "
          "peak RSS MB | recall | precision | pairs reported | runs |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for size_dir in sizes:
        rows, note = evaluate_size(size_dir)
        print("\n".join(rows))
        notes.append(note)
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
