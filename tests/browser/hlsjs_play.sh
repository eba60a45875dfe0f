#!/usr/bin/env bash
# hlsjs_play.sh -- proves a real player (hls.js in headless Chromium) plays
# muxkit's HLS output of testdata/source.flv to the end without any hls.js error.
#
#   tests/browser/hlsjs_play.sh            # from the repo root (or anywhere)
#   MUXKIT=path/to/muxkit tests/browser/hlsjs_play.sh
#   HLS_DIR=some/hls/folder tests/browser/hlsjs_play.sh   # play an existing folder instead
#
# Installs when missing: Debian package `chromium` (apt-get, needs root) and the
# pinned npm packages in package.json (hls.js, playwright-core) into
# tests/browser/node_modules. No tool downloads its own browser.
# Converts with `muxkit convert testdata/source.flv OUTDIR/ --force`, then play.mjs
# serves OUTDIR on 127.0.0.1, plays it at 4x (from the buffer's start, see
# player.html) and prints a PASS/FAIL line; any hls.js ERROR event fails it.
# If `muxkit convert --help` offers --hls-playlist-type, the `event` variant is
# played too, and with --hls-segment-type fmp4 the fMP4 (CMAF) variant. Exit 0 when every run passes, 1 otherwise (timeout: TIMEOUT_S=90).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
muxkit="${MUXKIT:-target/release/muxkit}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (apt-get)..." >&2
  apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
fi
if [ ! -f "$here/node_modules/hls.js/package.json" ] || [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "installing npm packages (npm ci)..." >&2
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

if [ -n "${HLS_DIR:-}" ]; then
  node "$here/play.mjs" "$HLS_DIR" "${PLAYLIST:-index.m3u8}" "$HLS_DIR" || status=1
  exit $status
fi

"$muxkit" convert testdata/source.flv "$tmp/vod/" --force >/dev/null
node "$here/play.mjs" "$tmp/vod" index.m3u8 "muxkit vod" || status=1

if "$muxkit" convert --help | grep -q -- '--hls-segment-type'; then
  "$muxkit" convert testdata/source.flv "$tmp/fmp4/" --force --hls-segment-type fmp4 >/dev/null
  node "$here/play.mjs" "$tmp/fmp4" index.m3u8 "muxkit fmp4 vod" || status=1
  "$muxkit" convert testdata/source.flv "$tmp/single/" --force --hls-segment-type fmp4 --hls-single-file >/dev/null
  node "$here/play.mjs" "$tmp/single" index.m3u8 "muxkit fmp4 single file (byte ranges)" || status=1
  "$muxkit" convert testdata/source.flv "$tmp/aes/" --force --hls-segment-type fmp4 --hls-encrypt --hls-key "$tmp/aes/stream.key" >/dev/null
  node "$here/play.mjs" "$tmp/aes" index.m3u8 "muxkit fmp4 aes-128" || status=1
  "$muxkit" convert testdata/source.flv "$tmp/aes_ts/" --force --hls-encrypt --hls-key "$tmp/aes_ts/key_%d.key" --hls-key-rotate 2 >/dev/null
  node "$here/play.mjs" "$tmp/aes_ts" index.m3u8 "muxkit ts aes-128, key rotation" || status=1
  # Codecs only fMP4 carries: AV1 + Opus and VP9 + FLAC pick fMP4 segments by themselves.
  "$muxkit" convert testdata/mp4_av1_opus.mp4 "$tmp/av1/" --force --hls-time 1 >/dev/null 2>&1
  node "$here/play.mjs" "$tmp/av1" index.m3u8 "muxkit av1+opus fmp4" || status=1
  "$muxkit" convert testdata/mp4_vp9_flac.mp4 "$tmp/vp9/" --force --hls-time 1 >/dev/null 2>&1
  node "$here/play.mjs" "$tmp/vp9" index.m3u8 "muxkit vp9+flac fmp4" || status=1
  "$muxkit" convert testdata/mp4_vp9_opus.mp4 "$tmp/vp9o/" --force --hls-time 1 >/dev/null 2>&1
  node "$here/play.mjs" "$tmp/vp9o" index.m3u8 "muxkit vp9+opus fmp4" || status=1
  if "$muxkit" convert --help | grep -q -- '--dash'; then
    # Per-track segments shared with DASH: a multivariant playlist with an audio group.
    "$muxkit" convert testdata/source.flv "$tmp/shared/" --force --hls-segment-type fmp4 --dash >/dev/null
    node "$here/play.mjs" "$tmp/shared" index.m3u8 "muxkit fmp4 shared with dash (audio group)" || status=1
  fi
  "$muxkit" convert testdata/source.flv "$tmp/single_ts/" --force --hls-single-file >/dev/null
  node "$here/play.mjs" "$tmp/single_ts" index.m3u8 "muxkit ts single file (byte ranges)" || status=1
fi

if "$muxkit" convert --help | grep -q -- '--hls-playlist-type'; then
  "$muxkit" convert testdata/source.flv "$tmp/event/" --force --hls-playlist-type event >/dev/null
  node "$here/play.mjs" "$tmp/event" index.m3u8 "muxkit event" || status=1
else
  echo "SKIP [muxkit event] $muxkit convert has no --hls-playlist-type option"
fi

exit $status
