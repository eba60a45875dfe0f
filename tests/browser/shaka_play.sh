#!/usr/bin/env bash
# shaka_play.sh -- proves a second real player (shaka-player in headless
# Chromium) plays a DASH or HLS presentation to the end without any shaka error.
#
#   tests/browser/shaka_play.sh DIR MANIFEST_NAME [LABEL]
#   tests/browser/shaka_play.sh /tmp/out manifest.mpd "muxkit dash"
#   tests/browser/shaka_play.sh /tmp/out index.m3u8            # HLS (TS or fMP4) works too
#   EXPECT_DURATION=10 tests/browser/shaka_play.sh ...         # also pin the manifest's length
#
# Installs when missing: Debian package `chromium` (apt-get, needs root) and the
# pinned npm packages in package.json (shaka-player, playwright-core, hls.js)
# into tests/browser/node_modules. No tool downloads its own browser.
# shaka_play.mjs serves DIR on 127.0.0.1, loads DIR/MANIFEST_NAME in
# shaka_player.html with shaka-player's compiled build, plays it at 4x and
# prints one PASS/FAIL line; any shaka 'error' event fails it (see the header
# of shaka_play.mjs for every check). Exit 0 on pass, 1 on fail, 2 on bad usage
# (timeout: TIMEOUT_S=90).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 2 ] || [ ! -d "$1" ] || [ ! -f "$1/$2" ]; then
  echo "usage: $0 DIR MANIFEST_NAME [LABEL]   (DIR/MANIFEST_NAME must exist)" >&2
  exit 2
fi
dir="$(cd "$1" && pwd)"
manifest="$2"
label="${3:-$manifest}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (apt-get)..." >&2
  apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
fi
# npm ci also when node_modules holds another shaka-player than package.json pins.
pinned="$(node -p "require('$here/package.json').dependencies['shaka-player']")"
installed="$(node -p "try { require('$here/node_modules/shaka-player/package.json').version } catch { '' }")"
if [ "$installed" != "$pinned" ] || [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "installing npm packages (npm ci)..." >&2
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

exec node "$here/shaka_play.mjs" "$dir" "$manifest" "$label"
