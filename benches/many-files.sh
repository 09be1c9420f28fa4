#!/usr/bin/env bash
# Peak memory and time of `logtrace report` on a folder of many one-line files.
#
# Usage: benches/many-files.sh [FILES] [DIR]
#   FILES  how many files (default 1000000), 1000 per sub-folder
#   DIR    where to put them (default $TMPDIR/logtrace-files-FILES); reused when
#          it already holds FILES files
# Env: LOGTRACE_BIN  the binary to measure (default target/release/logtrace)
#
# Each file holds one logfmt line with its own request id, so every file adds
# an event, a symbol table, a file entry in report.json and a trace: what a
# folder of many tiny logs (one per request, per job, per pod restart) costs.
# Needs GNU time (`/usr/bin/time -v`) for the peak resident memory. A million
# files take about 4 GB of disk (one block each) and a million inodes.
set -euo pipefail
cd "$(dirname "$0")/.."

files=${1:-1000000}
dir=${2:-${TMPDIR:-/tmp}/logtrace-files-$files}
bin=${LOGTRACE_BIN:-target/release/logtrace}
[ -n "${LOGTRACE_BIN:-}" ] || cargo build --release --quiet --bin logtrace

if [ "$(find "$dir" -type f 2>/dev/null | wc -l)" -ne "$files" ]; then
    rm -rf "$dir"
    python3 - "$dir" "$files" <<'EOF'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
for n in range(files):
    d = os.path.join(root, f"h{n // 1000:04d}")
    if n % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"app{n % 1000:03d}.log"), "w") as f:
        f.write(
            f"time=2026-11-24T13:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z level=info "
            f"service=svc{n % 20} msg=\"request done\" request_id=r{n} duration_ms={n % 500}\n"
        )
EOF
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -v "$bin" report "$dir" -o "$out/report" --quiet >/dev/null 2>"$out/time"
secs=$(awk -F': ' '/Elapsed/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$out/time")
kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time")
awk -v f="$files" -v s="$secs" -v kb="$kb" 'BEGIN {
    printf "%d files in %.1f s (%.0f files/s), peak RSS %.0f MB (%.1f KB per file)\n",
        f, s, f / s, kb / 1024, kb / f
}'
