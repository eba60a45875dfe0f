#!/usr/bin/env bash
# benches/compare_ffmpeg_hls.sh: muxkit vs ffmpeg writing VOD HLS from the same FLV, in one run.
#
#   benches/compare_ffmpeg_hls.sh [--runs N] [FILE.flv]
#
# Times `muxkit convert FILE out/` against
# `ffmpeg -i FILE -c copy -f hls -hls_time 6 -hls_list_size 0 out/index.m3u8`, and both against
# `cat FILE > copy` on the same disk (the floor: reading and writing the bytes once). Reports the
# best wall-clock of N runs, that run's CPU time (user + sys) and the peak RssAnon.
# Targets (issue 4): >= 2x faster wall-clock and 3x less CPU than ffmpeg, within 1.3x of cat,
# RssAnon flat under 32 MiB.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

bench_input testdata/bench/big.flv gen_big_flv.sh "$@"
file=$BENCH_INPUT
work=$(dirname "$file")/bench-hls
warm_cache "$file"
fresh() { rm -rf "$work"; mkdir -p "$work/out"; sync; }

BENCH_BEFORE=fresh
best "muxkit hls" "$MUXKIT" convert "$file" "$work/out/" --force
best "ffmpeg hls" "$FFMPEG" -v error -y -i "$file" -map 0 -c copy -f hls -hls_time 6 -hls_list_size 0 "$work/out/index.m3u8"
best "cat > copy" sh -c 'cat "$1" > "$2"' sh "$file" "$work/copy"
BENCH_BEFORE=
rm -rf "$work"

print_measured "muxkit hls" "ffmpeg hls" "cat > copy"
print_ratios "flv->hls" "ffmpeg hls" "muxkit hls"
awk -v mw="${WALL[muxkit hls]}" -v cw="${WALL[cat > copy]}" 'BEGIN { printf "muxkit/cat wall %.2f\n", mw / cw }'
