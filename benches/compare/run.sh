#!/usr/bin/env bash
# Compare `reprint cluster` with datasketch, rensa and gaoya on generated news.
#
#   benches/compare/run.sh [--sizes 10000,100000] [--repeat 3] [--tools LIST]
#                          [--bands B] [--timeout SECONDS]
#
# Creates benches/compare/.venv (pinned peers from requirements.txt) if needed,
# builds reprint in release mode, generates the corpora with `reprint synth`,
# runs every tool one after the other under /usr/bin/time -v, and prints a
# Markdown table (evaluate.py). Everything it writes goes to benches/compare/work/.
#
#   --sizes    corpus sizes in documents, comma-separated (default 10000,100000)
#   --repeat   runs of every tool at every size; the table gives medians (default 3)
#   --tools    subset of reprint,gaoya,rensa,datasketch (default: all four)
#   --bands    force B LSH bands of 128/B rows on the peers (default: each
#              library's own choice for threshold 0.8; reprint always uses its own)
#   --timeout  seconds before a run is stopped and reported as too slow (default 900)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$here/work"
venv="$here/.venv"

sizes="10000,100000"
repeat=3
tools="reprint,gaoya,rensa,datasketch"
bands=""
timeout_s=900

while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --tools) tools="$2"; shift 2 ;;
        --bands) bands="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { echo "[compare] $*" >&2; }

# No __pycache__ next to the sources (evaluate.py imports peers.py).
export PYTHONDONTWRITEBYTECODE=1

# Runs with --bands B are kept apart from the default ones.
runs="$work/runs${bands:+-bands$bands}"

# --- Python environment ------------------------------------------------------
if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv"
    python3 -m venv "$venv"
fi
# Install again only when requirements.txt changed since the last install.
if [[ ! -f "$venv/.installed" || "$here/requirements.txt" -nt "$venv/.installed" ]]; then
    log "installing pinned peers from requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    touch "$venv/.installed"
fi
py="$venv/bin/python"

# --- reprint -------------------------------------------------------------------
log "cargo build --release (a no-op when up to date)"
(cd "$repo" && cargo build --release --quiet --bin reprint)
reprint="${CARGO_TARGET_DIR:-$repo/target}/release/reprint"
# reprint's LSH shape for the table, e.g. "16x8".
reprint_shape="$("$reprint" params --threshold 0.8 --num-perm 128 \
    | sed -n '1s/.*: \([0-9]*\) bands x \([0-9]*\) rows.*/\1x\2/p')"

# --- machine and versions ------------------------------------------------------
mkdir -p "$runs"
{
    echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
         "$(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)"
    echo "Versions: $("$reprint" --version) (commit $(git -C "$repo" rev-parse --short HEAD)$(
        git -C "$repo" diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ', src modified')),"\
         "$("$py" --version)," \
         "$("$py" -m pip list --format=freeze --disable-pip-version-check 2>/dev/null \
            | grep -Ei '^(datasketch|rensa|gaoya)==' | tr '\n' ' ' | sed 's/ $//')"
    if [[ -n "$bands" ]]; then shape="peers forced to $bands LSH bands of $((128 / bands)) rows."
    else shape="each with its own LSH bands for threshold 0.8."; fi
    echo "Tools run one at a time, each with all cores it can use; $shape"
} > "$runs/machine.txt"
sed 's/^/[compare] /' "$runs/machine.txt" >&2

# --- corpora -----------------------------------------------------------------
IFS=, read -r -a size_list <<< "$sizes"
IFS=, read -r -a tool_list <<< "$tools"
for n in "${size_list[@]}"; do
    corpus="$work/corpus-$n.jsonl"
    if [[ ! -s "$corpus" ]]; then
        log "generating $corpus"
        "$reprint" synth --documents "$n" --seed 1 -o "$corpus.tmp" -q
        mv "$corpus.tmp" "$corpus"
    fi
done

# --- runs ----------------------------------------------------------------------
# One tool at a time; repetitions interleave the tools so that a noisy minute
# on the shared machine does not land on one tool's every run.
run_one() {  # run_one TOOL CORPUS DIR REP
    local tool="$1" corpus="$2" dir="$3" rep="$4"
    local out="$dir/rep-$rep.out" err="$dir/rep-$rep.err" tim="$dir/rep-$rep.time"
    local cmd
    if [[ "$tool" == reprint ]]; then
        cmd=("$reprint" cluster "$corpus" --format jsonl -o "$out"
             --threshold 0.8 --num-perm 128 --shingle-size 5 -q)
    else
        cmd=("$py" "$here/peers.py" "$tool" "$corpus" "$out" ${bands:+--bands "$bands"})
    fi
    local rc=0
    /usr/bin/time -v -o "$tim" timeout --signal=KILL "$timeout_s" "${cmd[@]}" 2> "$err" || rc=$?
    [[ "$tool" == reprint ]] && echo "lsh-shape $reprint_shape" >> "$err"
    if [[ $rc -eq 0 ]]; then
        echo ok > "$dir/rep-$rep.status"
    elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
        echo "timeout $timeout_s" > "$dir/rep-$rep.status"
        rm -f "$out"
    else
        echo "failed $rc" > "$dir/rep-$rep.status"
        log "$tool failed (exit $rc): $(tail -3 "$err")"
    fi
    log "$tool, $(basename "$corpus"), run $rep: $(cat "$dir/rep-$rep.status"), $(
        sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tim") wall"
}

for n in "${size_list[@]}"; do
    corpus="$work/corpus-$n.jsonl"
    for tool in "${tool_list[@]}"; do rm -rf "${runs:?}/$n/$tool"; done
    cat "$corpus" > /dev/null   # into the page cache, so that no tool pays the first read
    for rep in $(seq 1 "$repeat"); do
        for tool in "${tool_list[@]}"; do
            mkdir -p "$runs/$n/$tool"
            run_one "$tool" "$corpus" "$runs/$n/$tool" "$rep"
        done
    done
done

# --- table ---------------------------------------------------------------------
log "evaluating (not timed)"
{
    cat "$runs/machine.txt"
    echo
    (cd "$here" && "$py" evaluate.py "$runs" "${size_list[@]}")
} | tee "$runs/results.md"
