#!/usr/bin/env bash
# benches/compare_ffmpeg_f4v.sh: muxkit vs ffmpeg between FLV and F4V on the ~600 MB FLV, in one run.
#
#   benches/compare_ffmpeg_f4v.sh [--runs N] [FILE.flv]
#
# 1. FLV -> F4V: `muxkit convert big.flv big.f4v` vs `ffmpeg -i big.flv -c copy big.f4v`;
# 2. F4V -> FLV: `muxkit convert big.f4v big.flv` vs `ffmpeg -i big.f4v -c copy big.flv`,
#    both reading the same F4V (made once by ffmpeg, so muxkit reads a foreign file).
# Best wall-clock of N runs (default 3), its CPU time, peak RssAnon; ratios ffmpeg/muxkit.
# Target (issue 6): at least 2x faster wall-clock each way, memory flat in the file size.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

bench_input testdata/bench/big.flv gen_big_flv.sh "$@"
file=$BENCH_INPUT
dir=$(dirname "$file")
f4v=$dir/big-ffmpeg.f4v
if [[ ! -s $f4v || $f4v -ot $file ]]; then
    echo "making $f4v with ffmpeg (once)" >&2
    "$FFMPEG" -v error -y -i "$file" -c copy "$f4v"
fi
warm_cache "$file" "$f4v"
work=$dir/bench-f4v
fresh() { rm -rf "$work"; mkdir -p "$work"; sync; }

BENCH_BEFORE=fresh
best "muxkit flv->f4v" "$MUXKIT" convert "$file" "$work/out.f4v" --force
best "ffmpeg flv->f4v" "$FFMPEG" -v error -y -i "$file" -c copy "$work/out.f4v"
best "muxkit f4v->flv" "$MUXKIT" convert "$f4v" "$work/out.flv" --force
best "ffmpeg f4v->flv" "$FFMPEG" -v error -y -i "$f4v" -c copy "$work/out.flv"
BENCH_BEFORE=
rm -rf "$work"

print_measured "muxkit flv->f4v" "ffmpeg flv->f4v" "muxkit f4v->flv" "ffmpeg f4v->flv"
print_ratios "flv->f4v" "ffmpeg flv->f4v" "muxkit flv->f4v"
print_ratios "f4v->flv" "ffmpeg f4v->flv" "muxkit f4v->flv"
