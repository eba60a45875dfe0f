#!/usr/bin/env bash
# dash_play.sh -- shaka-player in headless Chromium plays muxkit's DASH (and the HLS that
# shares its segments) to the end without an error, and every MPD passes the DASH schema:
# source.flv (H.264/AAC), AV1/Opus and VP9/FLAC.
#
#   tests/browser/dash_play.sh            # from the repo root (or anywhere)
#   MUXKIT=path/to/muxkit tests/browser/dash_play.sh
#
# Installs what shaka_play.sh and tests/dash-schema/validate.sh need on first use.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
muxkit="${MUXKIT:-target/release/muxkit}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

for src in source.flv mp4_av1_opus.mp4 mp4_vp9_flac.mp4 mp4_vp9_opus.mp4; do
  name=${src%.*}
  "$muxkit" convert "testdata/$src" "$tmp/$name/manifest.mpd" --hls-time 2 >/dev/null
  bash "$root/tests/dash-schema/validate.sh" "$tmp/$name/manifest.mpd" || status=1
  bash "$here/shaka_play.sh" "$tmp/$name" manifest.mpd "muxkit dash $name" || status=1
done
# One set of segments, two manifests.
"$muxkit" convert testdata/source.flv "$tmp/shared/" --hls-segment-type fmp4 --dash --hls-time 2 >/dev/null
bash "$root/tests/dash-schema/validate.sh" "$tmp/shared/manifest.mpd" || status=1
bash "$here/shaka_play.sh" "$tmp/shared" manifest.mpd "muxkit shared segments, dash side" || status=1
bash "$here/shaka_play.sh" "$tmp/shared" index.m3u8 "muxkit shared segments, hls side" || status=1
exit $status
