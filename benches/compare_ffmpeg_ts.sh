#!/usr/bin/env bash
# benches/compare_ffmpeg_ts.sh: muxkit vs ffmpeg -c copy for FLV -> TS and TS -> FLV, in one run.
#
#   benches/compare_ffmpeg_ts.sh [--runs N] [FILE.flv]
#
# FILE defaults to testdata/bench/big.flv (made by gen_big_flv.sh). The TS input for the second
# direction is made from it once with ffmpeg (testdata/bench/big.ts). For each tool and direction
# it reports the best wall-clock of N runs, the CPU time (user + sys) of that run, and the peak
# anonymous memory (RssAnon, sampled from /proc every 10 ms: file-backed pages of mapped input
# are not muxkit's allocations), then the ratios ffmpeg/muxkit (> 1: muxkit is better).
# Targets (issue 3): >= 2x wall-clock, >= 3x CPU, RssAnon flat and under 32 MiB.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

bench_input testdata/bench/big.flv gen_big_flv.sh "$@"
file=$BENCH_INPUT
out_dir=$(dirname "$file")
big_ts=$out_dir/$(basename "${file%.*}").ts
if [[ ! -s $big_ts ]]; then
    echo "making $big_ts with ffmpeg -c copy ..." >&2
    "$FFMPEG" -v error -y -i "$file" -map 0 -c copy -f mpegts "$big_ts"
fi

warm_cache "$file" "$big_ts"
tmp_out=$out_dir/bench-out
# Every run writes a new file: removing the last output (freeing its page cache) is not timed.
clear_outputs() { rm -f "$tmp_out.ts" "$tmp_out.flv"; sync; }
BENCH_BEFORE=clear_outputs
best "muxkit flv->ts" "$MUXKIT" convert "$file" "$tmp_out.ts"
best "ffmpeg flv->ts" "$FFMPEG" -v error -y -i "$file" -map 0 -c copy -f mpegts "$tmp_out.ts"
best "muxkit ts->flv" "$MUXKIT" convert "$big_ts" "$tmp_out.flv"
best "ffmpeg ts->flv" "$FFMPEG" -v error -y -i "$big_ts" -map 0 -c copy -f flv "$tmp_out.flv"
rm -f "$tmp_out.ts" "$tmp_out.flv"

print_measured "muxkit flv->ts" "ffmpeg flv->ts" "muxkit ts->flv" "ffmpeg ts->flv"
print_ratios "flv->ts" "ffmpeg flv->ts" "muxkit flv->ts"
print_ratios "ts->flv" "ffmpeg ts->flv" "muxkit ts->flv"
