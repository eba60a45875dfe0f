#!/usr/bin/env bash
# benches/compare_ffmpeg_mp3.sh: muxkit vs ffprobe/ffmpeg on a ~100 MB MP3, in one run.
#
#   benches/compare_ffmpeg_mp3.sh [--runs N] [FILE.mp3]
#
# 1. every frame listed as JSON: `muxkit inspect --packets --json` vs
#    `ffprobe -v error -show_packets -of json` (target: 3x faster);
# 2. MP3 -> HLS: `muxkit convert big.mp3 out/` vs
#    `ffmpeg -i big.mp3 -c copy -f hls -hls_time 6 -hls_list_size 0 out/index.m3u8` (2x).
# Best wall-clock of N runs (default 3), its CPU time, peak RssAnon; ratios ffmpeg/muxkit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

bench_input testdata/bench/big.mp3 gen_big_mp3.sh "$@"
file=$BENCH_INPUT
require_tool "$FFPROBE"
warm_cache "$file"
work=$(dirname "$file")/bench-mp3
fresh() { rm -rf "$work"; mkdir -p "$work/out"; sync; }

best "muxkit packets" "$MUXKIT" inspect --packets --json "$file"
best "ffprobe packets" "$FFPROBE" -v error -show_packets -of json "$file"
BENCH_BEFORE=fresh
best "muxkit hls" "$MUXKIT" convert "$file" "$work/out/" --force
best "ffmpeg hls" "$FFMPEG" -v error -y -i "$file" -c copy -f hls -hls_time 6 -hls_list_size 0 "$work/out/index.m3u8"
BENCH_BEFORE=
rm -rf "$work"

print_measured "muxkit packets" "ffprobe packets" "muxkit hls" "ffmpeg hls"
print_ratios "packets json" "ffprobe packets" "muxkit packets"
print_ratios "mp3->hls" "ffmpeg hls" "muxkit hls"
