#!/usr/bin/env bash
# Peak memory, time and throughput of `logtrace report` on a generated incident folder.
#
# Usage: benches/memory.sh [SIZE_MB] [DIR] [-- REPORT_ARGS...]
#   SIZE_MB      size of the folder to generate on disk (default 1000, i.e. ~1 GB)
#   DIR          where to put it (default $TMPDIR/logtrace-bench-SIZE_MB); reused when
#                DIR.truth.json exists beside it (the same folder as benches/compare-wc.sh)
#   REPORT_ARGS  more arguments for `report` (e.g. `--threads 1`)
# Env: LOGTRACE_BIN  the binary to measure (default target/release/logtrace)
#      RUNS          how many runs (default 3); every run is printed, then the median
#
# Needs GNU time (`/usr/bin/time -v`) for the peak resident memory. Prints per run the
# wall and CPU seconds, the peak resident memory, bytes of peak memory per event and
# per input byte, and MB/s and events/s (input bytes as stored on disk, events as
# report.json counts them). The folder is read once beforehand, so every run starts
# from the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=1000
dir=""
[ $# -gt 0 ] && [ "$1" != "--" ] && { size_mb=$1; shift; }
[ $# -gt 0 ] && [ "$1" != "--" ] && { dir=$1; shift; }
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
dir=${dir:-${TMPDIR:-/tmp}/logtrace-bench-$size_mb}
bin=${LOGTRACE_BIN:-target/release/logtrace}
runs=${RUNS:-3}

[ -x /usr/bin/time ] || { echo "memory.sh: needs GNU time at /usr/bin/time" >&2; exit 2; }
cargo build --release --quiet --example gen --features generator
[ -n "${LOGTRACE_BIN:-}" ] || cargo build --release --quiet --bin logtrace
if [ ! -f "$dir.truth.json" ]; then
    target/release/examples/gen "$dir" "$size_mb"
fi
find "$dir" -type f -exec cat {} + > /dev/null
disk=$(find "$dir" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
: > "$out/runs"
for run in $(seq "$runs"); do
    rm -rf "$out/report"
    /usr/bin/time -v "$bin" report "$dir" -o "$out/report" --quiet "$@" >/dev/null 2>"$out/time"
    events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["input"]["events"])' \
        "$out/report/report.json")
    awk -F': ' -v events="$events" -v disk="$disk" -v run="$run" '
        /Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
        /User time/ { u = $2 }
        /System time/ { y = $2 }
        /Maximum resident/ { kb = $2 }
        END {
            printf "run %d: %.2f s wall, %.1f s CPU, peak %.0f MB = %.0f bytes per event, %.2f per input byte; %.0f MB/s, %.2f M events/s\n",
                run, s, u + y, kb / 1024, kb * 1024 / events, kb * 1024 / disk,
                disk / s / 1e6, events / s / 1e6
            print s, kb > "/dev/stderr"
        }' "$out/time" 2>>"$out/runs"
done
m=$(( (runs + 1) / 2 ))
secs=$(cut -d' ' -f1 "$out/runs" | sort -n | sed -n "${m}p")
kb=$(cut -d' ' -f2 "$out/runs" | sort -n | sed -n "${m}p")
awk -v s="$secs" -v kb="$kb" -v n="$runs" -v d="$dir" 'BEGIN {
    printf "%s: median %.2f s, median peak %.0f MB over %d runs\n", d, s, kb / 1024, n
}'
