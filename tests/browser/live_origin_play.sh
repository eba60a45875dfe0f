#!/usr/bin/env bash
# live_origin_play.sh -- hls.js in headless Chromium plays the live HLS that `muxkit ingest
# --http` serves from memory, from a page on another origin (CORS), to the end.
#
#   tests/browser/live_origin_play.sh
#   MUXKIT=target/debug/muxkit tests/browser/live_origin_play.sh
#
# Starts `muxkit ingest --http` with no --out (memory only, event playlist), publishes
# testdata/source.flv with ffmpeg, waits for the playlist's ENDLIST, then play.mjs serves the
# player page on its own port (another origin) and plays
# http://127.0.0.1:HTTP_PORT/live/cam/index.m3u8 from muxkit. Needs what hlsjs_play.sh needs,
# and ffmpeg. Exit 0 when it plays to the end without an hls.js error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
muxkit="${MUXKIT:-target/release/muxkit}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f "$here/node_modules/hls.js/package.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rtmp=$(free_port)
http=$(free_port)
log="$(mktemp)"
RUST_LOG=warn "$muxkit" ingest --listen "127.0.0.1:$rtmp" --http "127.0.0.1:$http" \
  --hls-time 2 --hls-playlist-type event 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do
  curl -s "http://127.0.0.1:$http/metrics" >/dev/null && break
  sleep 0.1
done
ffmpeg -nostdin -v error -i testdata/source.flv -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/cam"
url="http://127.0.0.1:$http/live/cam/index.m3u8"
for _ in $(seq 100); do
  curl -s "$url" | grep -q EXT-X-ENDLIST && break
  sleep 0.1
done
# Preflight as a browser on another origin sends it.
curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://127.0.0.1:1' \
  -H 'Access-Control-Request-Method: GET' "$url" | grep -qi '^access-control-allow-origin: \*' \
  || { echo "FAIL [live origin] no CORS on the preflight"; exit 1; }
node "$here/play.mjs" "" "$url" "muxkit ingest --http (memory), page on another origin"
