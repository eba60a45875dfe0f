#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another, seeded from the
# fixtures. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#   fuzz/run.sh [SECONDS]          (TARGETS="ts_demux" fuzz/run.sh 600 for one target)
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
targets=${TARGETS:-flv_demux amf ts_demux id3 mp3_demux adts_demux annexb_demux rtmp_chunk rtmp_session rtmp_play_client f4v_demux fmp4_demux batch_glob hls_lint hls_resume}
mkdir -p corpus/flv_demux corpus/amf corpus/ts_demux corpus/id3 corpus/mp3_demux corpus/adts_demux corpus/annexb_demux corpus/rtmp_chunk corpus/rtmp_session corpus/rtmp_play_client corpus/f4v_demux corpus/fmp4_demux corpus/batch_glob corpus/hls_lint corpus/hls_resume
for f in ../testdata/*.flv ../testdata/hostile/*.flv; do
    [ "$(stat -c %s "$f")" -lt 200000 ] && cp -n "$f" corpus/flv_demux/ || true
done
# TS seeds: the first 40 packets of each TS fixture (and of muxkit's own TS of source.flv).
for f in ../testdata/*.ts ../testdata/*.m2ts; do
    head -c 7520 "$f" > "corpus/ts_demux/$(basename "$f").head"
done
# ID3 and MP3 seeds: each MP3 fixture's tag (or its first 4 KiB), and the small files whole.
for f in ../testdata/*.mp3 ../testdata/*.mp2; do
    head -c 4096 "$f" > "corpus/id3/$(basename "$f").head"
    [ "$(stat -c %s "$f")" -lt 70000 ] && cp -n "$f" corpus/mp3_demux/ || true
done
# ADTS seeds: the first 4 KiB of each .aac fixture (several frames, tags, MPEG-2 ID).
for f in ../testdata/*.aac; do
    head -c 4096 "$f" > "corpus/adts_demux/$(basename "$f").head"
done
# Annex B seeds: the first 4 KiB of each raw H.264/HEVC fixture.
for f in ../testdata/raw_*.h264 ../testdata/raw_*.h265; do
    head -c 4096 "$f" > "corpus/annexb_demux/$(basename "$f").head"
done
# RTMP seeds: a recorded publish of source.flv after the handshake (examples/rtmp_seed.rs).
(cd .. && cargo run --quiet --example rtmp_seed -- testdata/source.flv fuzz/corpus/rtmp_session/publish.bin 60)
cp -n corpus/rtmp_session/publish.bin corpus/rtmp_chunk/ || true
(cd .. && cargo run --quiet --example rtmp_play_seed -- testdata/source.flv fuzz/corpus/rtmp_play_client/play.bin 60)
# F4V/MP4 seeds: half a second of source.flv as ffmpeg's MP4 (moov at the end and first) and F4V.
if command -v ffmpeg >/dev/null; then
    for spec in "moov_end.mp4:" "faststart.mp4:-movflags +faststart" "short.f4v:"; do
        name=${spec%%:*}
        # shellcheck disable=SC2086
        ffmpeg -v error -y -i ../testdata/source.flv -t 0.5 -c copy ${spec#*:} "corpus/f4v_demux/$name"
    done
fi
# Fragmented MP4: the first 60 KB of every layout ffmpeg writes (a whole first fragment or
# a cut one).
for f in ../testdata/frag_*.mp4 ../testdata/fmp4_*.mp4 ../testdata/mp4_*.mp4; do
    head -c 60000 "$f" > "corpus/f4v_demux/$(basename "$f").head"
    head -c 60000 "$f" > "corpus/fmp4_demux/$(basename "$f").head"
done
# Playlist seeds: muxkit's and ffmpeg's kinds (TS, fMP4 with EXT-X-MAP, byte ranges, a key).
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.000,\nsegment_00000.ts\n#EXT-X-ENDLIST\n' > corpus/hls_lint/vod
printf '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.000000,\nindex0.m4s\n#EXT-X-ENDLIST\n' > corpus/hls_lint/fmp4
cp corpus/hls_lint/* corpus/hls_resume/ 2>/dev/null || true
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:18446744073709551614\n#EXTINF:2.000,\na-segment_00000.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nb-segment_00001.ts\n' > corpus/hls_resume/huge_sequence
printf '#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n#EXT-X-BYTERANGE:1000@0\nall.ts\n#EXTINF:2.0,\n#EXT-X-BYTERANGE:1000\nall.ts\n' > corpus/hls_lint/range
printf '#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x00\n#EXT-X-DISCONTINUITY\n#EXTINF:6,\na.ts\n' > corpus/hls_lint/key
# Glob seeds: a pattern, a newline, a path.
printf '*.flv\nshow/a.flv' > corpus/batch_glob/name
printf 'live/**/[a-c]?.ts\nlive/x/y/b1.ts' > corpus/batch_glob/path
printf '[!ab]*\\*\n**/z' > corpus/batch_glob/class
mkdir -p logs
status=0
for target in $targets; do
    echo "== $target for ${secs}s (full log: fuzz/logs/$target.log)"
    if cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 >"logs/$target.log" 2>&1; then
        grep -E '^Done [0-9]+ runs' "logs/$target.log" || tail -n 3 "logs/$target.log"
    else
        echo "CRASH in $target: the input is in fuzz/artifacts/$target/; copy it to testdata/fuzz-regressions/$target/"
        grep -E -A4 'panicked|ERROR: libFuzzer|SUMMARY' "logs/$target.log" | head -n 20
        status=1
    fi
done
exit $status
