#!/usr/bin/env bash
# benches/gen_big_mp3.sh: make testdata/bench/big.mp3, the large MP3 for the benchmarks.
#
#   benches/gen_big_mp3.sh [--force]
#
# About 100 MB: 320 kb/s stereo 44.1 kHz MP3 with an ID3v2.4 tag, ~42 minutes. One minute is
# encoded once (LAME), then repeated with `-stream_loop N -c copy` (no re-encode).
# Environment: BIG_MP3_LOOPS (default 42) minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"
require_tool "$FFMPEG"

out=testdata/bench/big.mp3
if [[ -s $out && ${1:-} != --force ]]; then
    echo "$out exists ($(file_size "$out") bytes); skipping (use --force to rebuild)"
    exit 0
fi
mkdir -p testdata/bench
clip=testdata/bench/.big_clip.mp3
trap 'rm -f "$clip"' EXIT
loops=${BIG_MP3_LOOPS:-42}
"$FFMPEG" -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*(300+40*t)*t)+0.05*random(0)|0.3*sin(2*PI*(500-20*t)*t)+0.05*random(1):s=44100" \
    -t 60 -c:a libmp3lame -b:a 320k -ar 44100 -ac 2 -fflags +bitexact -f mp3 "$clip"
"$FFMPEG" -hide_banner -loglevel error -nostdin -y -stream_loop $((loops - 1)) -i "$clip" \
    -c copy -metadata title="muxkit benchmark" -metadata artist="muxkit" -fflags +bitexact \
    -f mp3 "$out"
echo "wrote $out: $(file_size "$out") bytes"
