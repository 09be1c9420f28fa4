#!/usr/bin/env bash
# Times `logtrace inspect` against `wc -l` on the same generated incident folder.
#
# Usage: benches/compare-wc.sh [SIZE_MB] [DIR]
#   SIZE_MB  size of the folder to generate on disk (default 1000, i.e. ~1 GB)
#   DIR      where to put it (default $TMPDIR/logtrace-bench-SIZE_MB); reused when
#            DIR.truth.json exists beside it
# Env: LOGTRACE_BIN  the binary to time (default target/release/logtrace)
#
# The folder comes from `cargo run --release --example gen -- DIR SIZE_MB`: every
# input format, rotated, gzip and zstd files, damaged lines. `wc -l` reads plain
# files directly and compressed ones through `gzip -dc` / `zstd -dc`, so both
# tools see the same decompressed bytes. Files are read once beforehand so both
# runs start from the page cache. Prints seconds, MB/s and lines/s for each, and
# the peak memory of `inspect` when GNU time is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=${1:-1000}
dir=${2:-${TMPDIR:-/tmp}/logtrace-bench-$size_mb}
bin=${LOGTRACE_BIN:-target/release/logtrace}

cargo build --release --quiet --example gen
[ -n "${LOGTRACE_BIN:-}" ] || cargo build --release --quiet --bin logtrace
if [ ! -f "$dir.truth.json" ]; then
    target/release/examples/gen "$dir" "$size_mb"
fi

mapfile -t files < <(find "$dir" -type f | sort)

# Writes the decompressed content of one file to stdout.
content() {
    case "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" in
        1f8b*) gzip -dc "$1" ;;
        28b52ffd) zstd -dcq "$1" ;;
        *) cat "$1" ;;
    esac
}

now() { date +%s.%N; }

for f in "${files[@]}"; do cat "$f" > /dev/null; done
bytes=0
for f in "${files[@]}"; do bytes=$((bytes + $(content "$f" | wc -c))); done

t0=$(now)
lines=0
for f in "${files[@]}"; do
    case "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" in
        1f8b* | 28b52ffd) n=$(content "$f" | wc -l) ;;
        *) n=$(wc -l < "$f") ;;
    esac
    lines=$((lines + n))
done
t1=$(now)

rss=""
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$dir.rss" "$bin" inspect "$dir" > /dev/null || true
    rss="$(cat "$dir.rss") KiB"
    rm -f "$dir.rss"
fi
t2=$(now)
"$bin" inspect "$dir" > /dev/null || echo "note: $bin inspect exited non-zero" >&2
t3=$(now)

report() { # name start end
    awk -v n="$1" -v t0="$2" -v t1="$3" -v b="$bytes" -v l="$lines" \
        'BEGIN { s = t1 - t0; printf "%-18s %8.3f s %10.1f MB/s %12.0f lines/s\n", n, s, b / s / 1e6, l / s }'
}
echo "folder: $dir, ${#files[@]} files, $((bytes / 1000000)) MB decompressed, $lines lines"
report "wc -l" "$t0" "$t1"
report "logtrace inspect" "$t2" "$t3"
[ -z "$rss" ] || echo "logtrace inspect peak memory: $rss"
