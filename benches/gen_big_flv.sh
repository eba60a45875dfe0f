#!/usr/bin/env bash
# benches/gen_big_flv.sh: make testdata/bench/big.flv, the large input for the benchmarks.
#
#   benches/gen_big_flv.sh [--force]
#
# big.flv is ~10 minutes of 1280x720 30 fps H.264 at ~8 Mb/s plus AAC-LC 44.1 kHz stereo at
# 128 kb/s, about 600-650 MB. testdata/bench/ is git-ignored; the file is never committed.
# If big.flv already exists it is left alone (pass --force to rebuild).
#
# How it stays fast on 2 cores: encode one short, noisy clip once (noise keeps x264 at its
# VBV ceiling, so the bitrate really is ~8 Mb/s, without CBR filler NAL units), then repeat it
# with `-stream_loop N -c copy` (no re-encode; timestamps continue across loops).
#
# Environment: BIG_FLV_LOOPS (default 20) x BIG_FLV_CLIP_SECONDS (default 30) = duration.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

force=0
case ${1:-} in
    --force) force=1 ;;
    "") ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

require_tool "$FFMPEG"

out_dir=testdata/bench
out=$out_dir/big.flv
clip_secs=${BIG_FLV_CLIP_SECONDS:-30}
loops=${BIG_FLV_LOOPS:-20}

if [[ -s $out && $force -eq 0 ]]; then
    echo "$out exists ($(file_size "$out") bytes); skipping (use --force to rebuild)"
    exit 0
fi

mkdir -p "$out_dir"
clip=$out_dir/.big_clip.flv
tmp=$out_dir/.big.flv.partial
trap 'rm -f "$clip" "$tmp"' EXIT

start=$(date +%s)
echo "encoding a ${clip_secs}s noisy 720p clip ..."
# testsrc2 + temporal/uniform noise: incompressible enough to sit at the 8 Mb/s VBV cap.
# -g 60: a keyframe every 2 s, as live streams have; ultrafast has no B-frames.
"$FFMPEG" -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t+u:all_seed=12345" \
    -f lavfi -i "aevalsrc=exprs=0.3*sin(2*PI*(300+40*t)*t)|0.3*sin(2*PI*(500-20*t)*t):s=44100" \
    -t "$clip_secs" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 60 -keyint_min 60 -sc_threshold 0 \
    -b:v 8M -minrate 8M -maxrate 8M -bufsize 8M \
    -c:a aac -b:a 128k -ar 44100 -ac 2 \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
    -f flv "$clip"

echo "repeating it $loops times with -c copy ..."
# -stream_loop counts extra plays, so loops-1.
"$FFMPEG" -hide_banner -loglevel error -nostdin -y \
    -stream_loop $((loops - 1)) -i "$clip" \
    -map 0 -c copy \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
    -f flv "$tmp"

mv -f "$tmp" "$out"
end=$(date +%s)
echo "wrote $out: $(file_size "$out") bytes in $((end - start)) s"
"$FFPROBE" -hide_banner -v error -show_entries format=duration,size,bit_rate -of compact=p=0 "$out"
