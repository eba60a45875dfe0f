#!/usr/bin/env bash
# benches/compare_ffmpeg_cmaf.sh: muxkit vs a current ffmpeg (9.x) on fragmented MP4 / CMAF,
# in one run, on the same ~600 MB FLV.
#
#   benches/compare_ffmpeg_cmaf.sh [--runs N] [FILE.flv]
#
# FFMPEG9 is the ffmpeg to compare with (default: the pinned imageio-ffmpeg wheel's binary:
# pip install imageio-ffmpeg==0.8.1). Times, best of N, with CPU and peak RssAnon:
#   HLS fMP4:  muxkit convert FILE out/ --hls-segment-type fmp4
#              ffmpeg -c copy -f hls -hls_segment_type fmp4 -hls_time 6 -hls_list_size 0
#   fMP4 file: muxkit convert FILE out.mp4 --fragmented
#              ffmpeg -c copy -movflags frag_keyframe+empty_moov+default_base_moof
#   DASH:      muxkit convert FILE out/manifest.mpd
#              ffmpeg -c copy -f dash -seg_duration 6 -use_template 1 -use_timeline 1
#   fMP4->FLV: muxkit convert frag.mp4 out.flv    ffmpeg -c copy out.flv
#              (frag.mp4: ffmpeg's fragmented MP4 of FILE, made once)
# Targets (issue: CMAF): muxkit at most 0.5x ffmpeg's wall-clock in each, RssAnon flat.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
cd "$BENCH_ROOT"

FFMPEG9=${FFMPEG9:-$(python3 -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())' 2>/dev/null || true)}
[ -x "$FFMPEG9" ] || die "no ffmpeg 9: set FFMPEG9 or pip install imageio-ffmpeg==0.8.1"

bench_input testdata/bench/big.flv gen_big_flv.sh "$@"
file=$BENCH_INPUT
work=$(dirname "$file")/bench-cmaf
frag=$(dirname "$file")/big_frag.mp4
if [ ! -s "$frag" ]; then
    echo "making $frag (ffmpeg's fragmented MP4 of $file, once)" >&2
    "$FFMPEG9" -v error -y -i "$file" -map 0 -c copy -movflags frag_keyframe+empty_moov+default_base_moof "$frag"
fi
warm_cache "$file" "$frag"
fresh() { rm -rf "$work"; mkdir -p "$work/out"; sync; }

BENCH_BEFORE=fresh
best "muxkit hls fmp4" "$MUXKIT" convert "$file" "$work/out/" --force --hls-segment-type fmp4
best "ffmpeg hls fmp4" "$FFMPEG9" -v error -y -i "$file" -map 0 -c copy -f hls -hls_segment_type fmp4 \
    -hls_time 6 -hls_list_size 0 -hls_fmp4_init_filename init.mp4 \
    -hls_segment_filename "$work/out/segment_%05d.m4s" "$work/out/index.m3u8"
best "muxkit fmp4 file" "$MUXKIT" convert "$file" "$work/out/x.mp4" --fragmented
best "ffmpeg fmp4 file" "$FFMPEG9" -v error -y -i "$file" -map 0 -c copy \
    -movflags frag_keyframe+empty_moov+default_base_moof "$work/out/x.mp4"
best "muxkit dash" "$MUXKIT" convert "$file" "$work/out/manifest.mpd" --force
best "ffmpeg dash" "$FFMPEG9" -v error -y -i "$file" -map 0 -c copy -f dash -seg_duration 6 \
    -use_template 1 -use_timeline 1 "$work/out/manifest.mpd"
best "muxkit fmp4->flv" "$MUXKIT" convert "$frag" "$work/out/x.flv"
best "ffmpeg fmp4->flv" "$FFMPEG9" -v error -y -i "$frag" -map 0 -c copy "$work/out/x.flv"
BENCH_BEFORE=
rm -rf "$work"

print_measured "muxkit hls fmp4" "ffmpeg hls fmp4" "muxkit fmp4 file" "ffmpeg fmp4 file" \
    "muxkit dash" "ffmpeg dash" "muxkit fmp4->flv" "ffmpeg fmp4->flv"
print_ratios "flv->hls fmp4" "ffmpeg hls fmp4" "muxkit hls fmp4"
print_ratios "flv->fmp4" "ffmpeg fmp4 file" "muxkit fmp4 file"
print_ratios "flv->dash" "ffmpeg dash" "muxkit dash"
print_ratios "fmp4->flv" "ffmpeg fmp4->flv" "muxkit fmp4->flv"
